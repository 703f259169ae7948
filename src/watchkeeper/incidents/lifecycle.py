"""The incident state machine: which state may follow which."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from watchkeeper.incidents.choices import IncidentState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED, S.CANCELED}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.RESOLVED, S.CANCELED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELED}),
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELED: frozenset(),
}


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(S(state).label for state in sorted(TRANSITIONS[current])) or "none"
        raise ValidationError(
            {
                "state": f"An incident that is {S(current).label} cannot become "
                f"{S(target).label} (allowed: {allowed})."
            }
        )
