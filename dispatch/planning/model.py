"""The planning vocabulary: stops, technicians and the plan, as frozen dataclasses (no solver, no database)."""

from __future__ import annotations

from dataclasses import dataclass

# Why a stop was left out of the plan. Pre-checks decide all but the last before the solver runs.
NO_LOCATION = "no_location"  # the stop has no coordinates
WINDOW_IMPOSSIBLE = "window_impossible"  # empty window, or no technician can start it in its window within a shift
NO_SKILL = "no_skill"  # no technician (or not the locked one) has every skill the stop needs
LOCKED_TECHNICIAN_UNKNOWN = "locked_technician_unknown"  # locked to a technician who is not working this day
NO_CAPACITY = "no_capacity"  # its demand exceeds the capacity of every technician who could serve it
NO_TIME = "no_time"  # possible on its own, but did not fit: more work than shift time
REASONS = (NO_LOCATION, WINDOW_IMPOSSIBLE, NO_SKILL, LOCKED_TECHNICIAN_UNKNOWN, NO_CAPACITY, NO_TIME)


@dataclass(frozen=True)
class Point:
    """A place in degrees (WGS84); the planar provider reads lon as x and lat as y."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Stop:
    """A visit to plan. Times are minutes after 00:00 of the planned day; the service must start inside `window`."""

    id: str
    point: Point | None
    service_minutes: int
    window: tuple[int, int]
    skills: frozenset[str] = frozenset()
    demand: int = 0
    locked_to: str | None = None
    priority: int = 1


@dataclass(frozen=True)
class Technician:
    """Someone who drives from `depot` and back within `shift` (minutes after 00:00)."""

    id: str
    depot: Point
    shift: tuple[int, int]
    skills: frozenset[str] = frozenset()
    capacity: int | None = None


@dataclass(frozen=True)
class PlannedStop:
    """A stop in a route: arrival may be before start (waiting); end = start + service."""

    stop_id: str
    arrival: int
    start: int
    end: int


@dataclass(frozen=True)
class Route:
    """One technician's day: leaves the depot at `leaves_at`, visits `stops` in order, is back at `returns_at`."""

    technician_id: str
    stops: list[PlannedStop]
    distance_m: float
    driving_minutes: int
    leaves_at: int
    returns_at: int


@dataclass(frozen=True)
class Unplanned:
    """A stop left out, with one of `REASONS`."""

    stop_id: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """The routes (technicians with no stops have none), what was left out, the total distance and solve time."""

    routes: list[Route]
    unplanned: list[Unplanned]
    distance_m: float
    seconds: float
