"""The workspace's knowledge pages: every article with its state, the review queue, a new
article, and an article's editor (draft, submit, review, retire, details, files, versions,
history). Only writers (``knowledge.write``) come here; the actions decide the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, message_of
from watchkeeper.core.history_rows import history_rows
from watchkeeper.core.markup import render_markdown
from watchkeeper.knowledge import actions, attachments, reading
from watchkeeper.knowledge.choices import VersionState
from watchkeeper.knowledge.forms import ArticleForm, AttachmentForm, EditDetailsForm, TextForm
from watchkeeper.knowledge.models import Article, ArticleVersion
from watchkeeper.knowledge.permissions import KnowledgePermission as P
from watchkeeper.knowledge.views import SHOWN, found

WEB = Channel.WEB


class WriterMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = P.WRITE


class DeskListView(WriterMixin, View):
    """All articles, or those waiting for review (``?show=review``)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        show = "review" if request.GET.get("show") == "review" else "all"
        rows = Article.objects.select_related("owner", "category", "published")
        if show == "review":
            rows = rows.filter(versions__state=VersionState.IN_REVIEW)
        rows, text, chosen = found(rows, request)
        context = {"articles": list(rows[:SHOWN]), "q": text, "show": show, "chosen": chosen}
        return render(request, "knowledge/desk/list.html", context)


class DeskNewView(WriterMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "knowledge/desk/new.html", {"form": ArticleForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ArticleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                article = actions.create_article(
                    title=data["title"],
                    body=data["body"],
                    audience=data["audience"],
                    category=data["category"],
                    keywords=data["keywords"],
                    valid_until=data["valid_until"],
                    acting_user=request.user,
                    channel=WEB,
                )
            except ValidationError as problem:
                form.show_errors(problem.message_dict)
            else:
                messages.success(request, f"{article.number} is saved as a draft.")
                return redirect("knowledge:desk_article", number=article.number)
        return render(request, "knowledge/desk/new.html", {"form": form}, status=400)


def _article(number: str) -> Article:
    rows = Article.objects.select_related("owner", "category", "published")
    return get_object_or_404(rows, number=number.upper())


def _page(request: HttpRequest, article: Article, **forms: Any) -> dict[str, Any]:
    working = actions.working_version(article)
    user = request.user
    text = working or article.published
    initial = {"title": text.title, "body": text.body} if text else {}
    details = {
        "audience": article.audience,
        "category": article.category,
        "keywords": article.keywords,
        "valid_until": article.valid_until,
    }
    return {
        "article": article,
        "working": working,
        "published_html": render_markdown(article.published.body) if article.published else "",
        "working_html": render_markdown(working.body) if working else "",
        "versions": article.versions.select_related("author", "reviewed_by").order_by("-number"),
        "files": list(article.attachments.select_related("uploaded_by")),
        "review_needed": reading.review_needed(article),
        "may_review": bool(
            working
            and working.state == VersionState.IN_REVIEW
            and user.has_perm(P.PUBLISH)
            and working.author_id != user.pk
        ),
        "may_publish": user.has_perm(P.PUBLISH),
        "text_form": forms.get("text_form")
        or TextForm(initial={**initial, "version": article.version}),
        "details_form": forms.get("details_form")
        or EditDetailsForm(initial={**details, "version": article.version}),
        "file_form": AttachmentForm(),
        "history": history_rows(article),
    }


class DeskArticleView(WriterMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        article = _article(number)
        return render(request, "knowledge/desk/article.html", _page(request, article))


def _version(request: HttpRequest) -> int | None:
    given = request.POST.get("version", "")
    return int(given) if given.isdigit() and 0 < int(given) < 2**31 else None


class DeskActionView(WriterMixin, View):
    """One POST per action; a refusal comes back as a message (or beside the form's fields)."""

    do: str = ""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        article = _article(number)
        handler: Callable[[HttpRequest, Article], HttpResponse | str] = getattr(self, self.do)
        try:
            result = handler(request, article)
        except (ValidationError, PermissionDenied, Conflict) as problem:
            messages.error(request, message_of(problem))
            return redirect("knowledge:desk_article", number=article.number)
        if isinstance(result, HttpResponse):
            return result
        messages.success(request, result)
        return redirect("knowledge:desk_article", number=article.number)

    def draft(self, request: HttpRequest, article: Article) -> HttpResponse | str:
        form = TextForm(request.POST)
        if not form.is_valid():
            return self._again(request, article, text_form=form)
        data = form.cleaned_data
        try:
            saved = actions.save_draft(
                article,
                title=data["title"],
                body=data["body"],
                acting_user=request.user,
                expected_version=data["version"],
                channel=WEB,
            )
        except ValidationError as problem:
            form.show_errors(problem.message_dict)
            return self._again(request, article, text_form=form)
        return f"Draft version {saved.number} saved; readers still see the published version."

    def details(self, request: HttpRequest, article: Article) -> HttpResponse | str:
        form = EditDetailsForm(request.POST)
        if not form.is_valid():
            return self._again(request, article, details_form=form)
        values = {name: form.cleaned_data[name] for name in actions.DETAILS if name != "owner"}
        expected = form.cleaned_data["version"]
        try:
            actions.update_details(
                article, values, acting_user=request.user, expected_version=expected, channel=WEB
            )
        except ValidationError as problem:
            form.show_errors(problem.message_dict)
            return self._again(request, article, details_form=form)
        return "Details saved."

    def submit(self, request: HttpRequest, article: Article) -> str:
        version = actions.submit(
            article, acting_user=request.user, expected_version=_version(request), channel=WEB
        )
        return f"Version {version.number} is waiting for review."

    def review(self, request: HttpRequest, article: Article) -> str:
        publish = request.POST.get("decision") == "publish"
        version = actions.review(
            article,
            publish=publish,
            comment=request.POST.get("comment", "")[:2000],
            acting_user=request.user,
            expected_version=_version(request),
            channel=WEB,
        )
        return (
            f"Version {version.number} {'is published' if publish else 'went back to its author'}."
        )

    def retire(self, request: HttpRequest, article: Article) -> str:
        actions.retire(
            article,
            reason=request.POST.get("reason", "")[:2000],
            acting_user=request.user,
            expected_version=_version(request),
            channel=WEB,
        )
        return f"{article.number} is retired; readers no longer see it."

    def add_file(self, request: HttpRequest, article: Article) -> str:
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError(
                " ".join(str(e) for errors in form.errors.values() for e in errors)
            )
        stored = attachments.add_attachment(
            article, upload=form.cleaned_data["file"], acting_user=request.user, channel=WEB
        )
        return f"{stored.name} added."

    def remove_file(self, request: HttpRequest, article: Article) -> str:
        given = request.POST.get("attachment", "")
        pk = int(given) if given.isdigit() else 0
        attachment = attachments.find(request.user, article.number, pk)
        attachments.remove_attachment(attachment, acting_user=request.user, channel=WEB)
        return f"{attachment.name} removed."

    def _again(self, request: HttpRequest, article: Article, **forms: Any) -> HttpResponse:
        context = _page(request, article, **forms)
        return render(request, "knowledge/desk/article.html", context, status=400)


class DeskVersionView(WriterMixin, View):
    """One version's text as it was written."""

    def get(self, request: HttpRequest, number: str, version: int) -> HttpResponse:
        article = _article(number)
        shown = get_object_or_404(
            ArticleVersion.objects.select_related("author", "reviewed_by"),
            article=article,
            number=version,
        )
        context = {"article": article, "version": shown, "body_html": render_markdown(shown.body)}
        return render(request, "knowledge/desk/version.html", context)
