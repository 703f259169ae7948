"""Problem permissions: staff read problems; the service desk, resolvers and incident managers
work them (open one from incidents, link incidents, record the analysis, root cause, workaround
and fix, mark a known error, work tasks); problem managers also close them and decide on the
candidates the recurring-incident analysis proposes."""

from enum import StrEnum

from watchkeeper.accounts.choices import STAFF_ROLES, Role


class ProblemPermission(StrEnum):
    VIEW = "problems.view"
    WORK = "problems.work"
    MANAGE = "problems.manage"


P = ProblemPermission
WORKERS: set[str] = {P.VIEW, P.WORK}
GRANTS: dict[str, set[str]] = {
    **{role: {P.VIEW} for role in STAFF_ROLES},
    **{role: WORKERS for role in (Role.AGENT, Role.RESOLVER, Role.INCIDENT_MANAGER)},
    Role.PROBLEM_MANAGER: WORKERS | {P.MANAGE},
}
