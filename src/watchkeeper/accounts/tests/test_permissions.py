"""Role grants: what each role may do, from the permissions each app declares."""

from __future__ import annotations

import pytest

from watchkeeper.access.permissions import AccessPermission
from watchkeeper.accounts.choices import STAFF_ROLES, Role
from watchkeeper.accounts.models import User
from watchkeeper.accounts.permissions import AccountsPermission
from watchkeeper.audit.permissions import AuditPermission
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.core.permissions import CorePermission, all_grants, granted_to
from watchkeeper.events.permissions import EventPermission
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.knowledge.permissions import KnowledgePermission
from watchkeeper.problems.permissions import ProblemPermission
from watchkeeper.reporting.permissions import ReportingPermission
from watchkeeper.requests.permissions import RequestPermission
from watchkeeper.sla.permissions import SlaPermission

EVERY_PERMISSION = [
    *CorePermission, *AccountsPermission, *CmdbPermission, *IncidentPermission, *SlaPermission,
    *EventPermission, *RequestPermission, *AccessPermission, *ProblemPermission,
    *KnowledgePermission, *ReportingPermission, *AuditPermission,
]  # fmt: skip


def test_a_requester_has_no_staff_permissions(make_user):
    # given a requester
    user = make_user("req", Role.REQUESTER)

    # when their permissions are asked
    # then they may report incidents, order from the catalog and read the knowledge base, and
    # neither use the workspace nor read the directory, nor anything else
    assert not user.has_perm(CorePermission.USE_WORKSPACE)
    assert not user.has_perm(AccountsPermission.VIEW_DIRECTORY)
    theirs = {IncidentPermission.REPORT, RequestPermission.ORDER, KnowledgePermission.READ}
    assert user.get_all_permissions() == theirs
    others = [p for p in EVERY_PERMISSION if p not in theirs]
    assert not any(user.has_perm(permission) for permission in others)


def test_an_agent_uses_the_workspace_and_reads_the_directory(make_user):
    # given an agent
    user = make_user("agent", Role.AGENT)

    # when their permissions are asked
    # then they may use the workspace and read the directory, but not manage users
    assert user.has_perm(CorePermission.USE_WORKSPACE)
    assert user.has_perm(AccountsPermission.VIEW_DIRECTORY)
    assert not user.has_perm(AccountsPermission.MANAGE_USERS)
    assert not user.has_perm(AccountsPermission.MANAGE_GROUPS)
    assert not user.has_perm(CorePermission.VERIFY_AUDIT_TRAIL)


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_every_staff_role_uses_the_workspace(make_user, role):
    # given a user with one staff role
    user = make_user(None, role)

    # then they may use the workspace
    assert user.has_perm(CorePermission.USE_WORKSPACE)


def test_an_administrator_has_every_permission(make_user):
    # given an administrator
    user = make_user("root", Role.ADMINISTRATOR)

    # when their permissions are asked
    # then they hold every declared permission, and they are all listed
    assert all(user.has_perm(permission) for permission in EVERY_PERMISSION)
    assert user.get_all_permissions() >= {str(p) for p in EVERY_PERMISSION}
    assert user.has_module_perms("accounts")


def test_an_auditor_verifies_the_audit_trail_but_manages_nothing(make_user):
    # given an auditor
    user = make_user("aud", Role.AUDITOR)

    # then they may verify the audit trail and read history, and change nothing
    assert user.has_perm(CorePermission.VERIFY_AUDIT_TRAIL)
    assert user.has_perm(CorePermission.VIEW_HISTORY)
    assert not user.has_perm(AccountsPermission.MANAGE_USERS)
    assert not user.has_perm(CmdbPermission.MANAGE_CIS)


def test_a_service_owner_manages_configuration_items(make_user):
    # given a service owner and an agent
    owner = make_user("owner", Role.SERVICE_OWNER)
    agent = make_user("agent", Role.AGENT)

    # then only the owner may manage configuration items
    assert owner.has_perm(CmdbPermission.MANAGE_CIS)
    assert not agent.has_perm(CmdbPermission.MANAGE_CIS)


def test_roles_add_up(make_user):
    # given a user who is both an agent and an auditor
    user = make_user("both", Role.AGENT, Role.AUDITOR)

    # then they hold the permissions of both
    assert user.get_all_permissions() == set(granted_to([Role.AGENT, Role.AUDITOR]))
    assert user.has_perm(CorePermission.VERIFY_AUDIT_TRAIL)
    assert user.has_perm(CmdbPermission.VIEW_CIS)


def test_an_inactive_administrator_has_no_permission(make_user):
    # given a deactivated administrator
    user = make_user("former", Role.ADMINISTRATOR, is_active=False)

    # then they hold nothing
    assert not user.has_perm(AccountsPermission.MANAGE_USERS)
    assert user.get_all_permissions() == set()


def test_a_superuser_counts_as_an_administrator(make_user):
    # given a Django superuser with no role grant
    user = make_user("super", is_superuser=True)

    # then they are an administrator
    assert Role.ADMINISTRATOR in user.roles
    assert user.has_perm(AccountsPermission.MANAGE_USERS)


def test_grants_only_name_declared_permissions():
    # given the grants gathered from every app
    declared = {str(permission) for permission in EVERY_PERMISSION}

    # then each role is a real role and each granted permission is declared
    for role, permissions in all_grants().items():
        assert role in Role.values
        assert permissions <= declared, role


def test_users_holding_a_permission_are_found_in_one_query(make_user, django_assert_num_queries):
    # given users of several roles, one inactive
    manager = make_user("ivy", Role.INCIDENT_MANAGER)
    admin = make_user("root", Role.ADMINISTRATOR)
    make_user("adam", Role.AGENT)
    make_user("gone", Role.INCIDENT_MANAGER, is_active=False)
    # when
    with django_assert_num_queries(1):
        holders = set(User.objects.with_permission(IncidentPermission.DECLARE_MAJOR))
    # then exactly the active holders, as has_perm says
    assert holders == {manager, admin}
    assert all(user.has_perm(IncidentPermission.DECLARE_MAJOR) for user in holders)
