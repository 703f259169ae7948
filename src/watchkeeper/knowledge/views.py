"""The portal's knowledge pages: search and browse the articles you may read, read one (its
published version, sanitized), download its files and say whether it helped."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import message_of
from watchkeeper.core.markup import render_markdown
from watchkeeper.core.search import search
from watchkeeper.knowledge import attachments, reading
from watchkeeper.knowledge.models import Article, KnowledgeCategory
from watchkeeper.knowledge.permissions import KnowledgePermission as P

SHOWN = 50


class ReaderMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = P.READ


def found(rows: QuerySet[Article], request: HttpRequest) -> tuple[QuerySet[Article], str, Any]:
    """``rows`` narrowed by the page's ``q`` (best matches first) and ``category``."""
    text = request.GET.get("q", "").strip()[:200]
    category = request.GET.get("category", "")
    chosen = None
    if category.isdigit() and int(category) < 2**63:
        chosen = KnowledgeCategory.objects.filter(pk=int(category), is_active=True).first()
        if chosen is not None:
            rows = rows.filter(category__in=[chosen, *chosen.children.all()])
    return (search(rows, text) if text else rows), text, chosen


class PortalListView(ReaderMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        rows = reading.published_for(request.user).select_related("category")
        rows, text, chosen = found(rows, request)
        if not text:
            rows = rows.order_by("title")
        context = {
            "articles": list(rows[:SHOWN]),
            "q": text,
            "chosen": chosen,
            "categories": KnowledgeCategory.objects.filter(is_active=True, parent=None),
        }
        return render(request, "knowledge/portal/list.html", context)


def _readable(request: HttpRequest, number: str) -> Article:
    rows = reading.published_for(request.user).select_related("published", "category")
    return get_object_or_404(rows, number=number.upper())


class PortalArticleView(ReaderMixin, View):
    """The published version; each view by a reader (not its owner) counts."""

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        article = _readable(request, number)
        reading.count_view(article, request.user)
        published = article.published
        assert published is not None
        context = {
            "article": article,
            "body_html": render_markdown(published.body),
            "published": published,
            "files": list(article.attachments.all()),
            "verdict": reading.verdict_of(article, request.user),
            "review_needed": reading.review_needed(article),
            "can_edit": request.user.has_perm(P.WRITE),
        }
        return render(request, "knowledge/portal/article.html", context)


class FeedbackView(ReaderMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        article = _readable(request, number)
        helpful = request.POST.get("helpful")
        if helpful not in ("yes", "no"):
            messages.error(request, "Say whether it helped: yes or no.")
            return redirect("knowledge:portal_article", number=article.number)
        try:
            reading.give_feedback(
                article,
                helpful=helpful == "yes",
                comment=request.POST.get("comment", ""),
                acting_user=request.user,
                channel=Channel.PORTAL,
            )
        except (ValidationError, PermissionDenied) as problem:
            messages.error(request, message_of(problem))
        else:
            messages.success(request, "Thank you for your feedback.")
        return redirect("knowledge:portal_article", number=article.number)


class AttachmentView(ReaderMixin, View):
    """A file of an article the user may open, as a download."""

    def get(self, request: HttpRequest, number: str, pk: int) -> FileResponse:
        return attachments.download(request.user, number, pk)
