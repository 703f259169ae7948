"""How a KPI reads: units, nothing to measure, and availability's three decimals."""

from watchkeeper.reporting.kpi import Kpi


def test_figures_read_with_their_unit() -> None:
    assert Kpi("mttr", "MTTR", 12.345, "hours").display == "12.3 h"
    assert Kpi("opened", "Opened", 24915, "count").display == "24,915"
    assert Kpi("satisfaction", "Satisfaction", 4.25, "score").display == "4.2 / 5"
    assert Kpi("sla", "SLA met", None, "%").display == "-"


def test_availability_keeps_three_decimals_so_an_outage_shows() -> None:
    assert Kpi("availability", "Availability", 99.9843, "%", decimals=3).display == "99.984 %"
    assert Kpi("availability", "Availability", 99.9843, "%").display == "100.0 %"
