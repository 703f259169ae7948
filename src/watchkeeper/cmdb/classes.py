"""Typed attributes per CI class: what a server, a database or a backup job records beyond the
common fields. Attributes are stored as one JSON object on the item and checked here, so a new
attribute needs no migration while every value is still validated and named in errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.schedule import schedule_problem


@dataclass(frozen=True)
class Attribute:
    """One typed attribute: ``kind`` is "text", "integer", "choice" or "schedule"."""

    name: str
    label: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    required: bool = False
    minimum: int = 0
    help: str = ""
    max_length: int = 200

    def clean(self, value: Any) -> Any:
        """The value in its stored form, or ValueError saying what is wrong with it."""
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError("must be a whole number")
            try:
                number = int(value)
            except ValueError:
                raise ValueError("must be a whole number") from None
            if number < self.minimum:
                raise ValueError(f"must be at least {self.minimum}")
            return number
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError("must be text")
        text = str(value).strip()
        if len(text) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters")
        if self.kind == "choice" and text not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}")
        if self.kind == "schedule" and (problem := schedule_problem(text)):
            raise ValueError(problem)
        return text


@dataclass(frozen=True)
class CiClassSpec:
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)
    #: Whether items of this class are protected by backups and restore-tested.
    protectable: bool = False

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


SPECS: dict[str, CiClassSpec] = {
    CiClass.BUSINESS_SERVICE: CiClassSpec(
        (
            Attribute("service_hours", "Service hours", help="e.g. Mon-Fri 08:00-18:00"),
            Attribute("user_count", "Users (estimate)", "integer"),
        )
    ),
    CiClass.TECHNICAL_SERVICE: CiClassSpec(
        (Attribute("service_hours", "Service hours", help="e.g. 24x7"),)
    ),
    CiClass.APPLICATION: CiClassSpec(
        (
            Attribute("vendor", "Vendor"),
            Attribute("version", "Version", max_length=64),
            Attribute("url", "URL", max_length=500),
        ),
        protectable=True,
    ),
    CiClass.DATABASE: CiClassSpec(
        (
            Attribute("engine", "Engine", help="e.g. PostgreSQL, Oracle, SQL Server"),
            Attribute("version", "Version", max_length=64),
            Attribute("port", "Port", "integer", minimum=1),
        ),
        protectable=True,
    ),
    CiClass.SERVER: CiClassSpec(
        (
            Attribute("kind", "Physical or virtual", "choice", ("physical", "virtual")),
            Attribute("os", "Operating system"),
            Attribute("os_version", "OS version", max_length=64),
            Attribute("cpu_count", "CPUs", "integer", minimum=1),
            Attribute("memory_gb", "Memory (GB)", "integer", minimum=1),
        ),
        protectable=True,
    ),
    CiClass.NETWORK_DEVICE: CiClassSpec(
        (
            Attribute(
                "device_type",
                "Device type",
                "choice",
                ("router", "switch", "firewall", "load_balancer", "wireless", "other"),
            ),
            Attribute("vendor", "Vendor"),
            Attribute("model", "Model"),
            Attribute("firmware", "Firmware", max_length=64),
        )
    ),
    CiClass.STORAGE: CiClassSpec(
        (
            Attribute("kind", "Kind", "choice", ("san", "nas", "object", "local", "tape")),
            Attribute("capacity_gb", "Capacity (GB)", "integer", minimum=1),
        ),
        protectable=True,
    ),
    CiClass.BACKUP_JOB: CiClassSpec(
        (
            Attribute(
                "schedule",
                "Schedule",
                "schedule",
                required=True,
                help="cron expression in UTC, e.g. '0 2 * * *' for every night at 02:00",
            ),
            Attribute("grace_minutes", "Grace (minutes)", "integer", help="default 60"),
            Attribute("retention_days", "Retention (days)", "integer", minimum=1),
            Attribute("destination", "Writes to", help="where the copies are stored"),
            Attribute("tool", "Backup tool", help="e.g. restic, Veeam, pgBackRest"),
        )
    ),
    CiClass.LOCATION: CiClassSpec(
        (
            Attribute("address", "Address", max_length=500),
            Attribute("city", "City"),
            Attribute("country", "Country"),
        )
    ),
}


def spec_of(ci_class: str) -> CiClassSpec:
    return SPECS.get(ci_class, CiClassSpec())


def clean_attributes(ci_class: str, values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check ``values`` against the class's attributes; empty values are dropped.

    Errors are keyed ``attributes.<name>`` so forms and the API can name the attribute.
    """
    spec, cleaned, errors = spec_of(ci_class), {}, {}
    for name, value in (values or {}).items():
        attribute = spec.attribute(name)
        if attribute is None:
            errors[f"attributes.{name}"] = f"{name!r} is not an attribute of this class"
        elif value is not None and value != "":
            try:
                cleaned[name] = attribute.clean(value)
            except ValueError as problem:
                errors[f"attributes.{name}"] = f"{attribute.label} {problem}"
    for attribute in spec.attributes:
        if attribute.required and attribute.name not in cleaned:
            errors.setdefault(f"attributes.{attribute.name}", f"{attribute.label} is required")
    if errors:
        raise ValidationError(errors)
    return cleaned
