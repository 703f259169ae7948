"""Problem jobs. Periodic ones are declared here and nowhere else."""

from __future__ import annotations

from watchkeeper.core.jobs import periodic
from watchkeeper.problems import detection


@periodic("35 * * * *")
def detect_recurring_incidents() -> int:
    """Hourly at :35: propose problem candidates for recurring incidents (``detection.find``);
    the number proposed or brought up to date."""
    return len(detection.find())
