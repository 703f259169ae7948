"""The knowledge pages' forms. They take what is typed; the actions check the rules (the same as
the API's), and their errors come back beside the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from watchkeeper.knowledge.actions import MAX_BODY
from watchkeeper.knowledge.choices import Audience
from watchkeeper.knowledge.models import KnowledgeCategory

MARKDOWN = "Markdown: **bold**, *italic*, lists, links, `code`, tables. HTML is shown as text."


def _categories() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        KnowledgeCategory.objects.filter(is_active=True), required=False, empty_label="—"
    )


class ShowsErrors(forms.Form):
    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """An action's errors beside their fields (the others above the form)."""
        for name, messages in errors.items():
            self.add_error(name if name in self.fields else None, messages)


class TextForm(ShowsErrors):
    """A version's text; ``version`` is the article's version the writer read."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(
        max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 18}), help_text=MARKDOWN
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class DetailsForm(ShowsErrors):
    audience = forms.ChoiceField(choices=Audience.choices)
    category = forms.ModelChoiceField(KnowledgeCategory.objects.none(), required=False)
    keywords = forms.CharField(
        max_length=300, required=False, help_text="Words people search with, e.g. other names."
    )
    valid_until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The owner is reminded 14 days before; empty for no review date.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"] = _categories()


class ArticleForm(TextForm, DetailsForm):
    """A new article: its first draft and its details."""


class EditDetailsForm(DetailsForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class AttachmentForm(forms.Form):
    file = forms.FileField(help_text=f"At most {settings.ATTACHMENT_MAX_MB} MB.")
