"""Checks other apps add to ordering; requests never imports them, they register here.

- ``register``: called with the person an item is for and the catalog item; returns a reason
  to refuse it, or None. Access management refuses a blocking separation-of-duties rule so.
- ``register_answers``: called with the person, the catalog item and the cleaned answers;
  returns ``{"answers.<name>": problem}`` (empty: fine). Access management checks a joiner's
  profile and a leaver's last day so.
- ``register_extra_approval``: called with the person and the catalog item; returns the
  approvals needed beyond the item's own policy, each as (who may give it, a note saying why).
  An exception to a separation-of-duties rule is asked so (``requests.approvals``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from watchkeeper.accounts.models import User

Check = Callable[[Any, Any], "str | None"]
AnswersCheck = Callable[[Any, Any, Mapping[str, Any]], Mapping[str, str]]
ExtraApproval = tuple[list[User], str]
ExtraApprovalSource = Callable[[Any, Any], list[ExtraApproval]]

_checks: list[Check] = []
_answers_checks: list[AnswersCheck] = []
_extra_approvals: list[ExtraApprovalSource] = []


def register(check: Check) -> None:
    if check not in _checks:
        _checks.append(check)


def problems(recipient: Any, catalog_item: Any) -> list[str]:
    return [found for check in _checks if (found := check(recipient, catalog_item))]


def register_answers(check: AnswersCheck) -> None:
    if check not in _answers_checks:
        _answers_checks.append(check)


def answer_problems(
    recipient: Any, catalog_item: Any, answers: Mapping[str, Any]
) -> dict[str, str]:
    found: dict[str, str] = {}
    for check in _answers_checks:
        found.update(check(recipient, catalog_item, answers))
    return found


def register_extra_approval(source: ExtraApprovalSource) -> None:
    if source not in _extra_approvals:
        _extra_approvals.append(source)


def extra_approvals(recipient: Any, catalog_item: Any) -> list[ExtraApproval]:
    return [needed for source in _extra_approvals for needed in source(recipient, catalog_item)]
