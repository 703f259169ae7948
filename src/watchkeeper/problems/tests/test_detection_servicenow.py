"""Recurring-incident detection on the real ServiceNow incident log (UCI, see SOURCE.md in
/work/shared/data/uci-incident-event-log): a slice of it is imported with the importer, and the
analysis must propose the recurring patterns really in it and nothing for unrelated incidents.

The expectations are counted straight from the CSV, not from the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from watchkeeper.incidents.importers.run import import_servicenow_incidents
from watchkeeper.incidents.importers.servicenow import parse_timestamp
from watchkeeper.problems import detection
from watchkeeper.problems.choices import CandidateBasis
from watchkeeper.problems.models import ProblemCandidate

#: ../shared beside the checkout, else the machine's /work/shared (a clean clone may be elsewhere).
PLACES = [Path(__file__).resolve().parents[5] / "shared", Path("/work/shared")]
DATA = next((p for p in PLACES if p.is_dir()), PLACES[-1]) / "data/uci-incident-event-log"
ZIP = DATA / "incident_event_log.csv.zip"
#: The first incidents of the log: opened from 29 Feb to 3 Mar 2016, imported in a few seconds.
SLICE = 1000
THRESHOLD = 4

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ZIP.exists(), reason=f"the UCI incident log is not at {ZIP}"),
]
Rows = list[dict[str, str]]


@cache
def first_incidents(count: int) -> tuple[list[str], dict[str, Rows], list[str]]:
    """The numbers of the log's first ``count`` incidents, their rows, and the header."""
    numbers: list[str] = []
    rows: dict[str, Rows] = {}
    with zipfile.ZipFile(ZIP) as archive, archive.open("incident_event_log.csv") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        for row in reader:
            if row["number"] not in rows:
                if len(numbers) == count:
                    break
                numbers.append(row["number"])
            rows.setdefault(row["number"], []).append(row)
        return numbers, rows, list(reader.fieldnames or [])


def write_slice(path: Path, numbers: list[str]) -> Path:
    _, rows, header = first_incidents(SLICE)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for number in numbers:
            writer.writerows(rows[number])
    return path


def last_row(number: str) -> dict[str, str]:
    """The importer keeps each incident as its last row shows it."""
    return first_incidents(SLICE)[1][number][-1]


def pair(number: str) -> tuple[str, str]:
    row = last_row(number)
    return row["category"], row["subcategory"]


def label(category: str, subcategory: str) -> str:
    return category if subcategory == "?" else f"{category} / {subcategory}"


def end_of(numbers: list[str]) -> dt.datetime:
    opened = [parse_timestamp(last_row(n)["opened_at"], "UTC") for n in numbers]
    return max(opened) + dt.timedelta(minutes=1)


def test_a_recurring_category_is_proposed_and_unrelated_incidents_are_not(
    tmp_path: Path,
) -> None:
    # given the first 1,000 incidents of the log, imported (four days of a busy service desk)
    numbers = first_incidents(SLICE)[0]
    report = import_servicenow_incidents(write_slice(tmp_path / "slice.csv", numbers))
    assert report.skipped == [] and report.created == SLICE
    # when the analysis runs at the end of the slice (a 7-day window holds all of it)
    found = detection.find(end_of(numbers), window_days=7, threshold=THRESHOLD)
    # then the busiest category/subcategory in the file is proposed with exactly its incidents
    counts = Counter(pair(n) for n in numbers)
    (busiest, count), *_ = counts.most_common(1)
    assert (busiest, count) == (("Category 32", "Subcategory 9"), 68)
    by_label = {c.evidence["label"]: c for c in found if c.basis == CandidateBasis.CATEGORY}
    candidate = by_label["Category 32 / Subcategory 9"]
    expected = {n for n in numbers if pair(n) == busiest}
    assert set(candidate.incidents.values_list("number", flat=True)) == expected
    assert candidate.evidence["count"] == 68
    assert candidate.title == "68 incidents in Category 32 / Subcategory 9 within 7 days"
    # and every category/subcategory with at least four incidents is proposed, no other
    recurring = {label(c, s) for (c, s), n in counts.items() if n >= THRESHOLD and c != "?"}
    assert set(by_label) == recurring
    # and incidents whose category and subcategory occur nowhere else are in no candidate
    categories = Counter(pair(n)[0] for n in numbers)
    subcategories = Counter(pair(n)[1] for n in numbers)
    unrelated = {
        n for n in numbers if categories[pair(n)[0]] == 1 and subcategories[pair(n)[1]] == 1
    }
    assert unrelated == {"INC0000134", "INC0000956"}
    proposed = ProblemCandidate.objects.filter(pk__in=[c.pk for c in found])
    in_candidates = set(proposed.values_list("incidents__number", flat=True))
    assert not unrelated & in_candidates


def test_unrelated_incidents_of_the_log_make_no_candidate(tmp_path: Path) -> None:
    # given incidents of the log that share no category, subcategory, symptom or item
    categories, subcategories, symptoms = set(), set(), set()
    chosen = []
    for number in first_incidents(SLICE)[0]:
        row = last_row(number)
        symptom = row["u_symptom"]
        if (
            row["category"] in categories
            or row["subcategory"] in subcategories
            or (symptom != "?" and symptom in symptoms)
            or row["cmdb_ci"] != "?"
        ):
            continue
        categories.add(row["category"])
        subcategories.add(row["subcategory"])
        symptoms.add(symptom)
        chosen.append(number)
    assert len(chosen) == 27
    import_servicenow_incidents(write_slice(tmp_path / "unrelated.csv", chosen))
    # when the analysis runs over them
    found = detection.find(end_of(chosen), window_days=7, threshold=THRESHOLD)
    # then nothing is proposed
    assert found == []
    assert not ProblemCandidate.objects.exists()
