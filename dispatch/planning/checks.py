"""Pre-checks: which technicians could serve each stop on its own, and why a stop cannot be planned at all."""

from __future__ import annotations

from dispatch.planning.model import (
    LOCKED_TECHNICIAN_UNKNOWN,
    NO_CAPACITY,
    NO_LOCATION,
    NO_SKILL,
    NO_TIME,
    WINDOW_IMPOSSIBLE,
    Stop,
    Technician,
    Unplanned,
)
from dispatch.planning.network import Network


def screen(stops: list[Stop], technicians: list[Technician],
           network: Network) -> tuple[dict[str, list[str]], list[Unplanned]]:
    """The technicians allowed for each plannable stop, and the stops that cannot be planned with their reason."""
    allowed: dict[str, list[str]] = {}
    unplanned: list[Unplanned] = []
    for stop in stops:
        reason, candidates = _verdict(stop, technicians, network)
        if reason:
            unplanned.append(Unplanned(stop.id, reason))
        else:
            allowed[stop.id] = [t.id for t in candidates]
    return allowed, unplanned


def _verdict(stop: Stop, technicians: list[Technician], network: Network) -> tuple[str | None, list[Technician]]:
    if stop.point is None:
        return NO_LOCATION, []
    if stop.window[0] > stop.window[1]:
        return WINDOW_IMPOSSIBLE, []
    if not technicians:
        return NO_TIME, []
    if stop.locked_to is not None and stop.locked_to not in {t.id for t in technicians}:
        return LOCKED_TECHNICIAN_UNKNOWN, []
    candidates = [t for t in technicians if stop.locked_to in (None, t.id) and stop.skills <= t.skills]
    if not candidates:
        return NO_SKILL, []
    candidates = [t for t in candidates if t.capacity is None or stop.demand <= t.capacity]
    if not candidates:
        return NO_CAPACITY, []
    candidates = [t for t in candidates if can_serve_alone(stop, t, network)]
    if not candidates:
        return WINDOW_IMPOSSIBLE, []
    return None, candidates


def can_serve_alone(stop: Stop, technician: Technician, network: Network) -> bool:
    """Whether the technician could drive out, start the stop inside its window, and be back by the shift's end."""
    depot, at = network.depot_of[technician.id], network.stop_at[stop.id]
    start = max(technician.shift[0] + network.drive[depot][at], stop.window[0])
    back = start + stop.service_minutes + network.drive[at][depot]
    return start <= stop.window[1] and back <= technician.shift[1]
