"""An independent check of a plan against the stops, technicians and the provider's own matrices.

It shares nothing with the solver but the model: it asks the provider for a fresh matrix and checks every rule in
double precision, allowing TOLERANCE (in minutes, or metres) for floating-point sums.
"""

from __future__ import annotations

import math
from collections import Counter

from dispatch.planning.model import Plan, PlannedStop, Point, Route, Stop, Technician
from dispatch.planning.travel import TravelTimeProvider

TOLERANCE = 1e-6


class _Matrix:
    """Travel minutes and metres between any two points, from one call to the provider."""

    def __init__(self, points: list[Point], provider: TravelTimeProvider) -> None:
        self.index = {p: i for i, p in enumerate(dict.fromkeys(points))}
        self.minutes, self.metres = provider.matrix(list(self.index))

    def drive(self, a: Point, b: Point) -> float:
        return self.minutes[self.index[a]][self.index[b]]

    def distance(self, a: Point, b: Point) -> float:
        return self.metres[self.index[a]][self.index[b]]


def violations(plan: Plan, stops: list[Stop], technicians: list[Technician],
               provider: TravelTimeProvider) -> list[str]:
    """Every rule the plan breaks, as sentences; an empty list means the plan is valid."""
    by_stop = {s.id: s for s in stops}
    by_technician = {t.id: t for t in technicians}
    found = _accounting(plan, by_stop, by_technician)
    routes = [r for r in plan.routes if r.technician_id in by_technician
              and all(p.stop_id in by_stop and by_stop[p.stop_id].point for p in r.stops)]
    points = [by_technician[r.technician_id].depot for r in routes]
    points += [by_stop[p.stop_id].point for r in routes for p in r.stops]
    matrix = _Matrix(points, provider)
    for route in routes:
        found += _route_violations(route, by_technician[route.technician_id], by_stop, matrix)
    total = sum(r.distance_m for r in plan.routes)
    if not math.isclose(plan.distance_m, total, rel_tol=1e-9, abs_tol=TOLERANCE):
        found.append(f"plan distance {plan.distance_m} is not the sum of its routes ({total})")
    return found


def _accounting(plan: Plan, by_stop: dict[str, Stop], by_technician: dict[str, Technician]) -> list[str]:
    """Each stop planned at most once and otherwise listed as unplanned; known ids; one route per technician."""
    found = []
    planned = Counter(p.stop_id for r in plan.routes for p in r.stops)
    listed = Counter(u.stop_id for u in plan.unplanned)
    for stop_id in (planned + listed).keys() - by_stop.keys():
        found.append(f"unknown stop {stop_id}")
    for stop_id in by_stop:
        if planned[stop_id] + listed[stop_id] == 0:
            found.append(f"stop {stop_id} is neither planned nor listed as unplanned")
        elif planned[stop_id] + listed[stop_id] > 1:
            found.append(f"stop {stop_id} appears {planned[stop_id]} times in routes, {listed[stop_id]} unplanned")
    for technician_id, count in Counter(r.technician_id for r in plan.routes).items():
        if technician_id not in by_technician:
            found.append(f"unknown technician {technician_id}")
        elif count > 1:
            found.append(f"technician {technician_id} has {count} routes")
    for route in plan.routes:
        found += [f"stop {p.stop_id} has no location" for p in route.stops
                  if p.stop_id in by_stop and by_stop[p.stop_id].point is None]
    return found


def _route_violations(route: Route, technician: Technician, by_stop: dict[str, Stop], matrix: _Matrix) -> list[str]:
    who = f"technician {technician.id}"
    found = []
    if route.leaves_at < technician.shift[0] - TOLERANCE:
        found.append(f"{who} leaves at {route.leaves_at}, before the shift starts at {technician.shift[0]}")
    if route.returns_at > technician.shift[1] + TOLERANCE:
        found.append(f"{who} returns at {route.returns_at}, after the shift ends at {technician.shift[1]}")
    here, clock = technician.depot, route.leaves_at
    for planned in route.stops:
        stop = by_stop[planned.stop_id]
        found += _stop_violations(planned, stop, technician, here, clock, matrix)
        here, clock = stop.point, planned.end
    if route.returns_at < clock + matrix.drive(here, technician.depot) - TOLERANCE:
        found.append(f"{who} cannot be back at the depot at {route.returns_at}")
    load = sum(by_stop[p.stop_id].demand for p in route.stops)
    if technician.capacity is not None and load > technician.capacity:
        found.append(f"{who} carries {load}, more than the capacity {technician.capacity}")
    distance = _distance(route, technician, by_stop, matrix)
    if not math.isclose(route.distance_m, distance, rel_tol=1e-9, abs_tol=TOLERANCE):
        found.append(f"{who}'s route is {distance} long, not {route.distance_m}")
    return found


def _stop_violations(planned: PlannedStop, stop: Stop, technician: Technician, came_from: Point, left_at: float,
                     matrix: _Matrix) -> list[str]:
    what = f"stop {stop.id} ({technician.id})"
    found = []
    if planned.arrival < left_at + matrix.drive(came_from, stop.point) - TOLERANCE:
        found.append(f"{what} arrives at {planned.arrival}, sooner than the drive allows")
    if planned.start < planned.arrival - TOLERANCE:
        found.append(f"{what} starts at {planned.start}, before arriving at {planned.arrival}")
    if not stop.window[0] - TOLERANCE <= planned.start <= stop.window[1] + TOLERANCE:
        found.append(f"{what} starts at {planned.start}, outside its window {stop.window}")
    if planned.end < planned.start + stop.service_minutes - TOLERANCE:
        found.append(f"{what} ends at {planned.end}, before its {stop.service_minutes} minutes of service")
    if not stop.skills <= technician.skills:
        found.append(f"{what} needs {sorted(stop.skills - technician.skills)}, which the technician lacks")
    if stop.locked_to is not None and stop.locked_to != technician.id:
        found.append(f"{what} is locked to {stop.locked_to}")
    return found


def _distance(route: Route, technician: Technician, by_stop: dict[str, Stop], matrix: _Matrix) -> float:
    path = [technician.depot, *[by_stop[p.stop_id].point for p in route.stops], technician.depot]
    return sum(matrix.distance(a, b) for a, b in zip(path, path[1:], strict=False)) if route.stops else 0.0
