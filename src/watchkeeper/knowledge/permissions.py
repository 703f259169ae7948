"""Knowledge permissions: everyone reads the articles for everyone (agents also those for
agents); staff (not auditors) write drafts; knowledge managers — here the problem managers
and service owners — review, publish and retire."""

from enum import StrEnum

from watchkeeper.accounts.choices import STAFF_ROLES, Role


class KnowledgePermission(StrEnum):
    READ = "knowledge.read"
    READ_INTERNAL = "knowledge.read_internal"
    WRITE = "knowledge.write"
    PUBLISH = "knowledge.publish"


P = KnowledgePermission
STAFF: set[str] = {P.READ, P.READ_INTERNAL, P.WRITE}
GRANTS: dict[str, set[str]] = {
    Role.REQUESTER: {P.READ},
    **{role: STAFF for role in STAFF_ROLES},
    Role.AUDITOR: {P.READ, P.READ_INTERNAL},  # auditors read, never change
    Role.PROBLEM_MANAGER: STAFF | {P.PUBLISH},
    Role.SERVICE_OWNER: STAFF | {P.PUBLISH},
}
