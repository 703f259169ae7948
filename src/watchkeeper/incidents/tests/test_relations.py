"""Links between incidents: related records and parent/child, through the actions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.core.history import history_of, verify_history
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.models import Incident


@pytest.fixture
def pair(make_incident, agent):
    return make_incident("VPN down", acting_user=agent), make_incident("No VPN", acting_user=agent)


def test_relating_links_both_ways_with_history_on_both(pair, agent):
    # given two incidents
    first, second = pair

    # when the agent relates them
    actions.relate(first, second, acting_user=agent)

    # then each lists the other, and each has a history entry naming the other
    assert list(first.related.all()) == [second]
    assert list(second.related.all()) == [first]
    for incident, other in ((first, second), (second, first)):
        entry = history_of(incident).last()
        assert entry.action == "related" and entry.actor == agent
        assert entry.changes == {"related": {"old": [], "new": [other.number]}}
    assert not verify_history()


def test_unrelating_removes_the_link_with_history_on_both(pair, agent):
    # given two related incidents
    first, second = pair
    actions.relate(first, second, acting_user=agent)

    # when the relation is removed from the second one's side
    actions.unrelate(second, first, acting_user=agent)

    # then neither lists the other and both recorded it
    assert not first.related.exists() and not second.related.exists()
    assert history_of(first).last().action == history_of(second).last().action == "unrelated"
    assert history_of(first).last().changes["related"] == {"old": [second.number], "new": []}


def test_relating_twice_itself_or_unrelated_ones_is_refused(pair, agent):
    # given
    first, second = pair
    actions.relate(first, second, acting_user=agent)
    entries = history_of(first).count()

    # when / then
    with pytest.raises(ValidationError, match="already related"):
        actions.relate(second, first, acting_user=agent)
    with pytest.raises(ValidationError, match="itself"):
        actions.relate(first, first, acting_user=agent)
    actions.unrelate(first, second, acting_user=agent)
    with pytest.raises(ValidationError, match="not related"):
        actions.unrelate(first, second, acting_user=agent)
    assert history_of(first).count() == entries + 1  # only the one real unrelate


def test_relating_needs_the_work_permission(pair, requester):
    first, second = pair
    with pytest.raises(PermissionDenied):
        actions.relate(first, second, acting_user=requester)
    assert not first.related.exists()


def test_setting_and_clearing_the_parent_records_it_on_both(pair, agent):
    # given two incidents
    parent, child = pair

    # when the second becomes the first's child, then is detached again
    actions.update_incident(child, parent=parent, acting_user=agent)
    linked = list(parent.children.values_list("number", flat=True))
    actions.update_incident(child, parent=None, acting_user=agent)

    # then the child's history has the field change and the parent's its children
    assert linked == [child.number]
    assert Incident.objects.get(pk=child.pk).parent is None
    assert [e.action for e in history_of(parent)][-2:] == ["child_added", "child_removed"]
    assert history_of(parent).last().changes["children"] == {"old": [child.number], "new": []}
    assert history_of(child).last().changes["parent"]["old"]["id"] == parent.pk


def test_a_child_cannot_have_children_nor_a_parent_become_a_child(make_incident, agent):
    # given top > middle
    top = make_incident("Top", acting_user=agent)
    middle = make_incident("Middle", acting_user=agent, parent=top)
    bottom = make_incident("Bottom", acting_user=agent)

    # when / then: a grandchild is refused, naming the top to use instead
    with pytest.raises(ValidationError, match=f"choose {top.number}"):
        actions.update_incident(bottom, parent=middle, acting_user=agent)
    # the cycle top > middle > top is refused, and so is a parent becoming a child
    with pytest.raises(ValidationError, match="its own descendant"):
        actions.update_incident(top, parent=middle, acting_user=agent)
    with pytest.raises(ValidationError, match="has children of its own"):
        actions.update_incident(top, parent=bottom, acting_user=agent)
    with pytest.raises(ValidationError, match="own parent"):
        actions.update_incident(top, parent=top, acting_user=agent)
    with pytest.raises(ValidationError, match="choose"):
        make_incident("Deeper", acting_user=agent, parent=middle)
    assert Incident.objects.get(pk=top.pk).parent is None
    assert Incident.objects.get(pk=bottom.pk).parent is None


def test_the_parent_must_be_open(make_incident, agent):
    # given a resolved incident
    done = make_incident("Done", acting_user=agent)
    actions.resolve(done, code="solved_permanently", notes="Fixed", acting_user=agent)
    other = make_incident("Other", acting_user=agent)

    # when / then
    with pytest.raises(ValidationError, match="must be open"):
        actions.update_incident(other, parent=done, acting_user=agent)
    assert Incident.objects.get(pk=other.pk).parent is None


def test_a_child_created_with_a_parent_resolves_with_it(make_incident, agent):
    # given a parent and a child linked at creation
    parent = make_incident("Mail down", acting_user=agent)
    child = make_incident("No mail", acting_user=agent, parent=parent)

    # when the parent is resolved
    actions.resolve(parent, code="solved_permanently", notes="Restarted", acting_user=agent)

    # then the child went with it, and the parent recorded the child's arrival
    assert Incident.objects.get(pk=child.pk).state == IncidentState.RESOLVED
    assert "child_added" in [entry.action for entry in history_of(parent)]
