"""Process audit permissions: auditors, process managers and service owners see the findings and
the audit report; a finding's owner and the process managers respond to findings (remediate or
accept the risk, with a reason); auditors and administrators run the checks on demand. Running a
check writes findings, never the records it looks at, so auditors still change nothing."""

from enum import StrEnum

from watchkeeper.accounts.choices import MANAGER_ROLES, Role


class AuditPermission(StrEnum):
    VIEW_FINDINGS = "audit.view_findings"
    RESPOND = "audit.respond"
    RUN_CHECKS = "audit.run_checks"


P = AuditPermission
GRANTS: dict[str, set[str]] = {
    Role.AUDITOR: {P.VIEW_FINDINGS, P.RUN_CHECKS},
    Role.SERVICE_OWNER: {P.VIEW_FINDINGS, P.RESPOND},
    **{role: {P.VIEW_FINDINGS, P.RESPOND} for role in MANAGER_ROLES},
}
