"""What every export shares: CSV cells a spreadsheet never runs, text the PDF core fonts can
print, and the download response (used by access review evidence, reports and the audit report)."""

from __future__ import annotations

import unicodedata

from django.http import HttpResponse

#: What a spreadsheet takes for the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Dashes, quotes and the ellipsis that Latin-1 lacks, made plain for the PDF.
PLAIN = str.maketrans({
    "\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...",
})  # fmt: skip


def guard(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs (CSV formula injection)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def latin1(text: str) -> str:
    """``text`` in the PDF core fonts' Latin-1: dashes and quotes made plain, accents dropped
    where the letter is not in Latin-1, anything else "?"."""
    simpler = []
    for char in str(text).translate(PLAIN):
        if ord(char) > 255:
            char = unicodedata.normalize("NFKD", char)[0]
        simpler.append(char if ord(char) <= 255 else "?")
    return "".join(simpler)


def download(content: bytes | str, filename: str, content_type: str) -> HttpResponse:
    """The export as a download that is never shown in Watchkeeper's origin or kept in caches."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
