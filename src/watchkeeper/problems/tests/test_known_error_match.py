"""Known-error matching: a new incident like a known error is linked to it (automatically, in
both histories) and gets the workaround as a work note; unlike ones are left alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.accounts.models import User
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.choices import ActivityKind
from watchkeeper.incidents.models import Activity, Category, Incident
from watchkeeper.problems import known_error_match
from watchkeeper.problems.actions import mark_known_error, update_problem
from watchkeeper.problems.models import Problem, ProblemIncident

pytestmark = pytest.mark.django_db
WORKAROUND = "Restart the **spooler** service on the print server."


@pytest.fixture
def printer(make_ci: Callable[..., ConfigurationItem]) -> ConfigurationItem:
    return make_ci("print-01")


@pytest.fixture
def make_known_error(make_problem: Callable[..., Problem], agent: User) -> Callable[..., Problem]:
    def make(short_description: str, **fields: Any) -> Problem:
        problem = make_problem(short_description, **fields)
        update_problem(problem, acting_user=agent, root_cause="Spooler leak", workaround=WORKAROUND)
        return mark_known_error(problem, agent)

    return make


def notes_of(incident: Incident) -> list[Activity]:
    return list(Activity.objects.filter(incident=incident, kind=ActivityKind.WORK_NOTE))


def test_an_incident_like_a_known_error_on_its_item_is_linked_with_the_workaround(
    make_known_error: Callable[..., Problem],
    printer: ConfigurationItem,
    requester: User,
) -> None:
    # given a known error on the print server
    known = make_known_error("Print jobs stuck in the queue", configuration_items=[printer])
    # when a requester reports a matching incident on it
    incident = create_incident(
        caller=requester,
        short_description="My print jobs are stuck",
        acting_user=requester,
        configuration_item=printer,
    )
    # then it is linked automatically, recorded in both histories
    link = ProblemIncident.objects.get(incident=incident)
    assert (link.problem, link.automatic, link.linked_by) == (known, True, None)
    linked = history_of(incident).get(action="problem_linked")
    assert linked.changes["problem"]["new"] == known.number
    assert linked.channel == Channel.SYSTEM
    assert history_of(known).filter(action="incident_linked").count() == 1
    # and a work note (never shown to the caller) carries the workaround
    (note,) = notes_of(incident)
    assert note.author.username != requester.username
    assert known.number in note.body and WORKAROUND in note.body
    assert "<strong>spooler</strong>" in note.body_html
    assert not Activity.objects.filter(incident=incident, kind=ActivityKind.COMMENT).exists()


def test_an_unlike_incident_on_the_same_item_is_not_linked(
    make_known_error: Callable[..., Problem],
    printer: ConfigurationItem,
    make_incident: Callable[..., Incident],
) -> None:
    make_known_error("Print jobs stuck in the queue", configuration_items=[printer])
    incident = make_incident("Toner is empty", configuration_item=printer)
    assert not ProblemIncident.objects.filter(incident=incident).exists()
    assert notes_of(incident) == []


def test_a_like_incident_elsewhere_is_not_linked(
    make_known_error: Callable[..., Problem],
    printer: ConfigurationItem,
    make_ci: Callable[..., ConfigurationItem],
    make_incident: Callable[..., Incident],
) -> None:
    make_known_error("Print jobs stuck in the queue", configuration_items=[printer])
    incident = make_incident("Print jobs stuck in the queue", configuration_item=make_ci("pc-7"))
    assert not ProblemIncident.objects.filter(incident=incident).exists()


def test_a_category_match_needs_strongly_similar_text(
    make_known_error: Callable[..., Problem], make_incident: Callable[..., Incident]
) -> None:
    # given a known error in the Printing category only
    printing = Category.objects.create(name="Printing")
    known = make_known_error("Print jobs stuck in the queue", category=printing)
    # when two incidents in the category arrive, one loosely and one closely alike
    loose = make_incident("Print jobs are slow", category=printing)
    close = make_incident("Print jobs stuck in queue", category=printing)
    # then only the close one is linked
    assert not ProblemIncident.objects.filter(incident=loose).exists()
    assert ProblemIncident.objects.get(incident=close).problem == known


def test_the_service_matches_and_the_most_specific_known_error_wins(
    make_known_error: Callable[..., Problem],
    make_ci: Callable[..., ConfigurationItem],
    make_incident: Callable[..., Incident],
    printer: ConfigurationItem,
) -> None:
    # given one known error on the print service, and one on the print server itself
    service = make_ci("Printing", ci_class=CiClass.BUSINESS_SERVICE)
    on_service = make_known_error("Print jobs stuck", service=service)
    on_item = make_known_error("Print jobs stuck on the server", configuration_items=[printer])
    # when an incident names both
    both = make_incident("Print jobs stuck", service=service, configuration_item=printer)
    only_service = make_incident("Print jobs stuck", service=service)
    # then the item's known error wins; with the service alone, the service's
    assert ProblemIncident.objects.get(incident=both).problem == on_item
    assert ProblemIncident.objects.get(incident=only_service).problem == on_service


def test_plain_problems_and_closed_known_errors_do_not_match(
    make_problem: Callable[..., Problem],
    make_known_error: Callable[..., Problem],
    printer: ConfigurationItem,
    make_incident: Callable[..., Incident],
) -> None:
    # given a problem that is no known error, and a closed known error (closed in the database:
    # this is about matching, not the lifecycle)
    make_problem("Print jobs stuck in the queue", configuration_items=[printer])
    closed = make_known_error("Print jobs stuck in the queue", configuration_items=[printer])
    Problem.objects.filter(pk=closed.pk).update(state="closed")
    # when / then
    incident = make_incident("Print jobs stuck in the queue", configuration_item=printer)
    assert not ProblemIncident.objects.filter(incident=incident).exists()


def test_no_classification_means_no_query(
    make_known_error: Callable[..., Problem],
    django_assert_num_queries: Any,
    requester: User,
) -> None:
    make_known_error("Print jobs stuck in the queue")
    incident = Incident(short_description="Print jobs stuck in the queue", caller=requester)
    with django_assert_num_queries(0):
        assert known_error_match.match_new_incident(incident) is None
