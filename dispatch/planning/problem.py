"""The planning problem as PyVRP data: integer matrices, one routing profile per set of forbidden stops, one
vehicle type per group of interchangeable technicians, and visits that may be left out for a prize."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, Route, Solution, VehicleType

from dispatch.planning.model import Stop, Technician
from dispatch.planning.network import Network

MATRIX_MAGNITUDE = 1e6  # the largest edge is scaled to about this, so rounding loses nothing that matters


@dataclass(frozen=True)
class Problem:
    """PyVRP's data, with what maps it back: client i is `stops[i]`, vehicle type k's vehicles are
    `technicians[k]` in order. Solver times are model minutes × `time_scale`, costs are the objective's
    unit × `cost_scale`. A left-out visit costs `prize_unit` × its priority, more than any plan's whole distance,
    so a cost below `prize_unit` means every visit is served."""

    data: ProblemData
    stops: list[Stop]
    technicians: list[list[Technician]]
    time_scale: int
    cost_scale: float
    prize_unit: int


def build_problem(stops: list[Stop], technicians: list[Technician], allowed: dict[str, list[str]],
                  network: Network, *, objective: str) -> Problem:
    """`allowed` names the technicians who may serve each stop (the pre-checks' answer)."""
    cost = np.array(network.metres if objective == "distance" else network.minutes, dtype=float)
    cost_scale = _scale_for(cost.max(initial=0.0))
    time_scale = int(_scale_for(max(map(max, network.drive), default=0)))
    base_cost = np.rint(cost * cost_scale).astype(np.int64)
    base_time = np.array(network.drive, dtype=np.int64) * time_scale
    groups = _groups(technicians, stops, allowed, network)
    prize_unit = (len(stops) + len(technicians) + 1) * max(1, int(base_cost.max(initial=0)))
    forbidden_sets = list(dict.fromkeys(forbidden for _, forbidden in groups))
    profiles = [frozenset(), *[f for f in forbidden_sets if f]]
    block_cost = prize_unit * (max((s.priority for s in stops), default=1) + 1)
    block_time = (max(t.shift[1] for t in technicians) + 1) * time_scale
    data = ProblemData(
        locations=[Location(p.lon, p.lat) for p in network.points],
        clients=[_client(s, network, time_scale, prize_unit) for s in stops],
        depots=_depots(technicians, network, time_scale),
        vehicle_types=[_vehicle_type(group, profiles.index(forbidden), stops, network, time_scale)
                       for group, forbidden in groups],
        distance_matrices=[_blocked(base_cost, f, block_cost) for f in profiles],
        duration_matrices=[_blocked(base_time, f, block_time) for f in profiles],
    )
    return Problem(data, stops, [group for group, _ in groups], time_scale, cost_scale, prize_unit)


def all_required(data: ProblemData) -> ProblemData:
    """The same problem with every visit required: PyVRP then searches complete plans only."""
    return data.replace(clients=[_required(c) for c in data.clients()])


def in_data(solution: Solution, data: ProblemData) -> Solution:
    """The same routes, judged by `data` (a solution keeps the data it was made with)."""
    routes = [Route(data, [a.idx for a in r.schedule() if a.is_client()], r.vehicle_type()) for r in solution.routes()]
    return Solution(data, routes)


def warm_start(problem: Problem, routes: dict[str, list[str]], allowed: dict[str, list[str]]) -> Solution | None:
    """An earlier plan's routes (technician id -> stop ids in order) as a solution of this problem, so the search
    starts from them. Stops no longer in the problem (cancelled, moved, screened out) or no longer allowed to that
    technician are left off, as are technicians no longer on duty; None when nothing is left."""
    client_of = {stop.id: index for index, stop in enumerate(problem.stops)}
    placed: set[str] = set()
    solution_routes = []
    for kind, group in enumerate(problem.technicians):
        for technician in group:
            stops = [s for s in routes.get(technician.id, [])
                     if s in client_of and technician.id in allowed[s] and s not in placed]
            placed.update(stops)
            solution_routes += [Route(problem.data, [client_of[s] for s in stops], kind)] if stops else []
    return Solution(problem.data, solution_routes) if solution_routes else None


def _required(client: Client) -> Client:
    return Client(location=client.location, delivery=client.delivery, pickup=client.pickup,
                  service_duration=client.service_duration, tw_early=client.tw_early, tw_late=client.tw_late,
                  release_time=client.release_time, prize=client.prize, required=True, name=client.name)


def _scale_for(largest: float) -> float:
    """A power of ten that brings the largest value to about MATRIX_MAGNITUDE (never below 1)."""
    return 10.0 ** max(0, math.floor(math.log10(MATRIX_MAGNITUDE / largest))) if largest > 0 else 1.0


def _groups(technicians: list[Technician], stops: list[Stop], allowed: dict[str, list[str]],
            network: Network) -> list[tuple[list[Technician], frozenset[int]]]:
    """Technicians who are interchangeable (same depot, shift, capacity and allowed stops) share a vehicle type;
    each group comes with the locations of the stops it must not serve."""
    groups: dict[tuple, list[Technician]] = {}
    forbidden_of: dict[tuple, frozenset[int]] = {}
    for technician in technicians:
        forbidden = frozenset(network.stop_at[s.id] for s in stops if technician.id not in allowed[s.id])
        key = (network.depot_of[technician.id], technician.shift, technician.capacity, forbidden)
        groups.setdefault(key, []).append(technician)
        forbidden_of[key] = forbidden
    return [(group, forbidden_of[key]) for key, group in groups.items()]


def _blocked(matrix: np.ndarray, forbidden: frozenset[int], value: int) -> np.ndarray:
    """The matrix with every edge into and out of a forbidden location set to a prohibitive value."""
    if not forbidden:
        return matrix
    blocked = matrix.copy()
    rows = sorted(forbidden)
    blocked[rows, :] = value
    blocked[:, rows] = value
    np.fill_diagonal(blocked, 0)
    return blocked


def _client(stop: Stop, network: Network, time_scale: int, prize_unit: int) -> Client:
    """Every visit may be left out, but its prize outweighs any distance it adds (see build_problem)."""
    return Client(
        location=network.stop_at[stop.id],
        delivery=[stop.demand],
        service_duration=stop.service_minutes * time_scale,
        tw_early=stop.window[0] * time_scale,
        tw_late=stop.window[1] * time_scale,
        prize=prize_unit * max(1, stop.priority),
        required=False,
        name=stop.id,
    )


def _depots(technicians: list[Technician], network: Network, time_scale: int) -> list[Depot]:
    depots = []
    for location in range(network.depot_count):
        shifts = [t.shift for t in technicians if network.depot_of[t.id] == location]
        depots.append(Depot(location, tw_early=min(s[0] for s in shifts) * time_scale,
                            tw_late=max(s[1] for s in shifts) * time_scale))
    return depots


def _vehicle_type(group: list[Technician], profile: int, stops: list[Stop], network: Network,
                  time_scale: int) -> VehicleType:
    first = group[0]
    depot = network.depot_of[first.id]
    capacity = first.capacity if first.capacity is not None else sum(s.demand for s in stops)
    return VehicleType(
        num_available=len(group),
        capacity=[capacity],
        start_depot=depot,
        end_depot=depot,
        tw_early=first.shift[0] * time_scale,
        tw_late=first.shift[1] * time_scale,
        profile=profile,
        name=",".join(t.id for t in group),
    )
