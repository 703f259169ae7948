"""The answers to a catalog item's order form, checked against its variables.

``clean_answers`` takes what a form or the API sent (texts, numbers, lists, booleans, ids or
names) and gives back the stored form of each answer — JSON values only, so they can be copied
into requests and tasks and recorded in history — or raises one ``ValidationError`` naming every
wrong answer as ``answers.<name>``. Users, groups and configuration items are stored by id; an
attachment answer is the uploaded file itself, checked here and stored with the request
(``requests.attachments``), which adds the stored file's id to the answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.actions.conversation import checked_upload
from watchkeeper.requests.choices import VariableKind
from watchkeeper.requests.models import CatalogVariable

#: The longest text answer when the variable sets no maximum.
TEXT_MAX: dict[str, int] = {VariableKind.TEXT: 1_000, VariableKind.LONG_TEXT: 10_000}
TRUE_WORDS = {"true", "on", "yes", "1"}
FALSE_WORDS = {"false", "off", "no", "0", ""}


class Wrong(ValueError):
    """One answer's problem, in words for the person filling in the form."""


def clean_answers(
    variables: Iterable[CatalogVariable], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The stored answers (unanswered optional questions left out); every problem at once."""
    by_name = {variable.name: variable for variable in variables}
    errors: dict[str, str] = {
        f"answers.{name}": "This item's form has no such question."
        for name in answers
        if name not in by_name
    }
    cleaned: dict[str, Any] = {}
    for name, variable in by_name.items():
        value = answers.get(name)
        try:
            if _blank(value):
                if variable.required:
                    raise Wrong("This question needs an answer.")
                continue
            cleaned[name] = CLEANERS[variable.kind](variable, value)
        except Wrong as problem:
            errors[f"answers.{name}"] = str(problem)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value is False


def _text(variable: CatalogVariable, value: Any) -> str:
    if not isinstance(value, str):
        raise Wrong("Give a text.")
    if "\x00" in value:
        raise Wrong("Text must not contain NUL (0x00) characters.")
    text = value.strip()
    longest = int(variable.maximum) if variable.maximum is not None else TEXT_MAX[variable.kind]
    if len(text) > longest:
        raise Wrong(f"At most {longest} characters.")
    if variable.minimum is not None and len(text) < int(variable.minimum):
        raise Wrong(f"At least {int(variable.minimum)} characters.")
    return text


def _number(variable: CatalogVariable, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Wrong("Give a number.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Wrong("Give a number, e.g. 12 or 3.5.") from None
    if not number.is_finite():
        raise Wrong("Give a number, e.g. 12 or 3.5.")
    if variable.minimum is not None and number < variable.minimum:
        raise Wrong(f"At least {variable.minimum.normalize():f}.")
    if variable.maximum is not None and number > variable.maximum:
        raise Wrong(f"At most {variable.maximum.normalize():f}.")
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _choice(variable: CatalogVariable, value: Any) -> str:
    if value not in variable.choices:
        raise Wrong(f"Choose one of: {', '.join(variable.choices)}.")
    return str(value)


def _choices(variable: CatalogVariable, value: Any) -> list[str]:
    picked = [value] if isinstance(value, str) else value
    if not isinstance(picked, list) or not all(isinstance(v, str) for v in picked):
        raise Wrong("Give a list of the options chosen.")
    unknown = [v for v in picked if v not in variable.choices]
    if unknown:
        raise Wrong(f"Not an option: {', '.join(unknown)}. Options: {', '.join(variable.choices)}.")
    return [option for option in variable.choices if option in picked]  # the form's order, once


def _date(variable: CatalogVariable, value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise Wrong("Give a date as YYYY-MM-DD.") from None


def _checkbox(variable: CatalogVariable, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Wrong("Give true or false.")


def _user(variable: CatalogVariable, value: Any) -> int:
    users = User.objects.filter(is_active=True)
    found = _one(users, value, lambda text: Q(username__iexact=text) | Q(email__iexact=text))
    if found is None:
        raise Wrong("No active user has this username, e-mail address or id.")
    return found


def _group(variable: CatalogVariable, value: Any) -> int:
    groups = SupportGroup.objects.filter(is_active=True)
    found = _one(groups, value, lambda text: Q(name__iexact=text))
    if found is None:
        raise Wrong("No active group has this name or id.")
    return found


def _item(variable: CatalogVariable, value: Any) -> int:
    items = ConfigurationItem.objects.active()
    found = _one(items, value, lambda text: Q(number__iexact=text) | Q(name__iexact=text))
    if found is None:
        raise Wrong("No configuration item in use has this number, name or id.")
    return found


def _one(rows: Any, value: Any, by_text: Callable[[str], Q]) -> int | None:
    """The id of the one row ``value`` names (an id, or a text ``by_text`` matches)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    match = Q(pk=int(text)) if text.isdigit() and len(text) < 19 else by_text(text)
    found = list(rows.filter(match).values_list("pk", flat=True)[:2])
    return found[0] if len(found) == 1 else None


def _attachment(variable: CatalogVariable, value: Any) -> dict[str, Any]:
    """The file's safe name, size and type (by its suffix, from the list incidents take too:
    never HTML or scripts); ``requests.attachments`` stores it and adds its id."""
    if not isinstance(value, UploadedFile):
        raise Wrong("Attach a file with the order.")
    try:
        name, content_type = checked_upload(value)
    except ValidationError as problem:
        raise Wrong(" ".join(problem.messages)) from None
    return {"name": name, "size": value.size, "content_type": content_type}


CLEANERS: dict[str, Callable[[CatalogVariable, Any], Any]] = {
    VariableKind.TEXT: _text,
    VariableKind.LONG_TEXT: _text,
    VariableKind.NUMBER: _number,
    VariableKind.CHOICE: _choice,
    VariableKind.MULTI_CHOICE: _choices,
    VariableKind.DATE: _date,
    VariableKind.CHECKBOX: _checkbox,
    VariableKind.USER: _user,
    VariableKind.GROUP: _group,
    VariableKind.CONFIGURATION_ITEM: _item,
    VariableKind.ATTACHMENT: _attachment,
}
