from django.db import models


class CiClass(models.TextChoices):
    """Classes of configuration item; the CMDB issue adds typed attributes per class."""

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
    PLANNED = "planned", "Planned"
    IN_SERVICE = "in_service", "In service"
    MAINTENANCE = "maintenance", "In maintenance"
    RETIRED = "retired", "Retired"


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"
