from django.db import models


class CiClass(models.TextChoices):
    """Classes of configuration item; each has its typed attributes in ``cmdb.classes``."""

    BUSINESS_SERVICE = "business_service", "Business service"
    TECHNICAL_SERVICE = "technical_service", "Technical service"
    APPLICATION = "application", "Application"
    DATABASE = "database", "Database"
    SERVER = "server", "Server"
    NETWORK_DEVICE = "network_device", "Network device"
    STORAGE = "storage", "Storage"
    BACKUP_JOB = "backup_job", "Backup job"
    LOCATION = "location", "Location"


SERVICE_CLASSES = (CiClass.BUSINESS_SERVICE, CiClass.TECHNICAL_SERVICE)


class CiStatus(models.TextChoices):
    """The lifecycle of an item; ``CI_TRANSITIONS`` says which moves are allowed."""

    PLANNED = "planned", "Planned"
    IN_SERVICE = "in_service", "In service"
    MAINTENANCE = "maintenance", "In maintenance"
    RETIRED = "retired", "Retired"


CI_TRANSITIONS: dict[str, set[str]] = {
    CiStatus.PLANNED: {CiStatus.IN_SERVICE, CiStatus.RETIRED},
    CiStatus.IN_SERVICE: {CiStatus.MAINTENANCE, CiStatus.RETIRED},
    CiStatus.MAINTENANCE: {CiStatus.IN_SERVICE, CiStatus.RETIRED},
    CiStatus.RETIRED: {CiStatus.PLANNED},
}


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    TEST = "test", "Test"
    DEVELOPMENT = "development", "Development"
    DISASTER_RECOVERY = "dr", "Disaster recovery"


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class RelationType(models.TextChoices):
    """A relation reads "source <type> target", e.g. "mail-app runs on srv-01"."""

    DEPENDS_ON = "depends_on", "depends on"
    RUNS_ON = "runs_on", "runs on"
    HOSTED_ON = "hosted_on", "hosted on"
    CONNECTS_TO = "connects_to", "connects to"
    BACKED_UP_BY = "backed_up_by", "backed up by"
    PART_OF = "part_of", "part of"


#: The inverse reading, shown on the target's page ("srv-01 runs mail-app").
RELATION_INVERSE_LABELS: dict[str, str] = {
    RelationType.DEPENDS_ON: "is needed by",
    RelationType.RUNS_ON: "runs",
    RelationType.HOSTED_ON: "hosts",
    RelationType.CONNECTS_TO: "is connected to by",
    RelationType.BACKED_UP_BY: "backs up",
    RelationType.PART_OF: "consists of",
}

#: Relations whose target's failure harms the source (a server down stops what runs on it).
FAILURE_FLOWS_TO_SOURCE = (
    RelationType.DEPENDS_ON,
    RelationType.RUNS_ON,
    RelationType.HOSTED_ON,
    RelationType.CONNECTS_TO,
)
#: Relations whose source's failure harms the target (a failed part harms the whole).
FAILURE_FLOWS_TO_TARGET = (RelationType.PART_OF,)


class BackupResult(models.TextChoices):
    SUCCESS = "success", "Succeeded"
    FAILURE = "failure", "Failed"
    MISSED = "missed", "Missed"


class RestoreResult(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
