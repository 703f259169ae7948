"""A request's state follows its items': open while one waits for approval or fulfilment;
once none does, closed complete, rejected, cancelled, or incomplete (some done, some not)."""

from __future__ import annotations

from collections.abc import Iterable

from watchkeeper.requests.choices import OPEN_ITEM_STATES, ItemState, RequestState


def request_state(item_states: Iterable[str]) -> RequestState:
    states = set(item_states)
    if not states or states & set(OPEN_ITEM_STATES):
        return RequestState.OPEN
    if states == {ItemState.COMPLETE}:
        return RequestState.CLOSED_COMPLETE
    if ItemState.COMPLETE in states:
        return RequestState.CLOSED_INCOMPLETE
    if ItemState.REJECTED in states:
        return RequestState.CLOSED_REJECTED
    return RequestState.CLOSED_CANCELLED
