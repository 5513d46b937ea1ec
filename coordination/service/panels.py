"""What the dashboard and the monthly report show: panels of measures, each a function of one month's figures, with
the indicator whose cases stand behind it. Labels are msgids; the views and the PDF translate them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coordination.service.figures import INCLUSION_TARGET, Figures
from servicecenter.courses.models import EndReason
from servicecenter.errors import N_
from support.models import Priority


@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    value: Callable[[Figures], float | int | None]
    percent: bool = False
    cases: str | None = None  # the indicator whose cases are behind the figure
    key: str | None = None
    charted: bool = True


@dataclass(frozen=True)
class Panel:
    id: str
    title: str
    measures: tuple[Measure, ...]
    kind: str = "line"
    target: float | None = None
    target_label: str = ""
    note: str = ""


def _sla(priority: Priority) -> Measure:
    return Measure(f"sla_{priority.value.lower()}", priority.value, lambda f: f.sla_rate(priority), percent=True,
                   cases="sla", key=f"{priority.value}:missed")  # behind the rate: the deadlines missed


END_REASON_LABELS = {
    EndReason.COMPLETED: N_("Completed"), EndReason.DECEASED: N_("Deceased"), EndReason.MOVED: N_("Moved"),
    EndReason.DECLINED: N_("Declined"), EndReason.EXCLUDED: N_("Excluded"),
}

PANELS: tuple[Panel, ...] = (
    Panel("inclusion", N_("Inclusion rate"), (
        Measure("inclusion_rate", N_("Inclusion rate"), lambda f: f.inclusion_rate, percent=True),
        Measure("included", N_("Included"), lambda f: f.included, cases="activated", charted=False),
        Measure("excluded", N_("Excluded"), lambda f: f.excluded, cases="ended", key="excluded", charted=False),
    ), target=INCLUSION_TARGET, target_label=N_("Target"),
        note=N_("Included: got working equipment in the home in the month. Excluded: ended as excluded in the "
                "month. Rate: included ÷ (included + excluded).")),
    Panel("courses", N_("Citizens referred, included and ended"), (
        Measure("referred", N_("Referred"), lambda f: f.referred, cases="referred"),
        Measure("included_count", N_("Included"), lambda f: f.included, cases="activated"),
        Measure("ended", N_("Ended"), lambda f: f.n("ended"), cases="ended"),
        Measure("active", N_("Active courses at the month's end"), lambda f: f.active, cases="active",
                charted=False),
        Measure("active_citizens", N_("Active citizens at the month's end"), lambda f: f.active_citizens,
                charted=False),
    ), kind="bar"),
    Panel("ended", N_("Courses ended, by reason"), tuple(
        Measure(f"ended_{reason.value}", label, lambda f, r=reason.value: f.n("ended", r), cases="ended",
                key=reason.value) for reason, label in END_REASON_LABELS.items()), kind="bar"),
    Panel("lead_time", N_("Lead time from referral to working equipment in the home (days)"), (
        Measure("lead_median", N_("Median"), lambda f: f.lead_days_median),
        Measure("lead_p90", N_("90th percentile"), lambda f: f.lead_days_p90),
    ), note=N_("Whole days, for the citizens included in the month.")),
    Panel("first_setup", N_("First-visit success of setups"), (
        Measure("first_setup_rate", N_("Success at the first visit"), lambda f: f.first_setup_rate, percent=True),
        Measure("first_setups", N_("First setup visits"), lambda f: f.n("first_setup"), cases="first_setup",
                charted=False),
        Measure("first_setups_failed", N_("Failed at the first visit"), lambda f: f.n("first_setup", "failed"),
                cases="first_setup", key="failed", charted=False),
    )),
    Panel("tickets", N_("Tickets per 100 active citizens"), (
        Measure("tickets_per_100", N_("Tickets per 100 active citizens"), lambda f: f.tickets_per_100),
        Measure("tickets", N_("Tickets opened"), lambda f: f.tickets, cases="tickets", charted=False),
    )),
    Panel("resolution", N_("Resolution time of tickets (hours)"), (
        Measure("resolution_median", N_("Median"), lambda f: f.resolution_hours_median),
        Measure("resolution_p90", N_("90th percentile"), lambda f: f.resolution_hours_p90),
        Measure("resolved", N_("Resolved"), lambda f: f.n("resolved"), cases="resolved", charted=False),
    ), note=N_("Whole hours up to a day, then whole days.")),
    Panel("sla", N_("SLA compliance per priority"), tuple(_sla(p) for p in Priority),
          note=N_("Tickets whose resolution deadline fell in the month: resolved by the deadline ÷ all.")),
    Panel("overdue", N_("Devices overdue for pickup"), (
        Measure("overdue_pickups", N_("Devices overdue"), lambda f: f.overdue_pickups, cases="overdue_pickups"),
    ), kind="bar", note=N_("At the month's end (this month: now), devices still in the home of a course that ended "
                          "more than the grace period before.")),
    Panel("utilisation", N_("Device utilisation"), (
        Measure("utilisation", N_("Share of device-days at a citizen"), lambda f: f.utilisation, percent=True),
    ), note=N_("The whole fleet, whatever the filter; lost and scrapped devices do not count.")),
)

PANEL_BY_ID = {panel.id: panel for panel in PANELS}
