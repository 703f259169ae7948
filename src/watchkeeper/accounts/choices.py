from django.db import models


class Role(models.TextChoices):
    """The roles of DESIGN.md's users table; a user may hold several."""

    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Service desk agent"
    RESOLVER = "resolver", "Resolver"
    INCIDENT_MANAGER = "incident_manager", "Incident manager"
    PROBLEM_MANAGER = "problem_manager", "Problem manager"
    CHANGE_MANAGER = "change_manager", "Change manager"
    ACCESS_MANAGER = "access_manager", "Access manager"
    SERVICE_OWNER = "service_owner", "Service owner"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"


#: Roles that work tickets: they see the agent workspace.
STAFF_ROLES = frozenset(Role) - {Role.REQUESTER}
MANAGER_ROLES = frozenset(
    {
        Role.INCIDENT_MANAGER,
        Role.PROBLEM_MANAGER,
        Role.CHANGE_MANAGER,
        Role.ACCESS_MANAGER,
    }
)


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"
