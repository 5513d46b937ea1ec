"""Times of a route in whole minutes from the network's rounded-up drive times, and repair of a route that
does not fit (a safety net: the solver's feasible routes always fit)."""

from __future__ import annotations

from dispatch.planning.model import PlannedStop, Route, Stop, Technician
from dispatch.planning.network import Network


def fit_route(technician: Technician, stops: list[Stop], network: Network) -> tuple[Route | None, list[Stop]]:
    """The technician's route through `stops` in that order, leaving out stops until it fits; and those left out."""
    stops, dropped = list(stops), []
    while (misfit := first_misfit(technician, stops, network)) is not None:
        dropped.append(stops.pop(misfit))
    return (build_route(technician, stops, network) if stops else None), dropped


def first_misfit(technician: Technician, stops: list[Stop], network: Network) -> int | None:
    """The index of the first stop started after its window or loaded beyond capacity; the last stop if the
    technician is back after the shift; None when the route fits."""
    _, starts, back = timeline(technician, stops, network)
    load = 0
    for i, (stop, start) in enumerate(zip(stops, starts, strict=True)):
        load += stop.demand
        if start > stop.window[1] or (technician.capacity is not None and load > technician.capacity):
            return i
    return len(stops) - 1 if stops and back > technician.shift[1] else None


def timeline(technician: Technician, stops: list[Stop], network: Network) -> tuple[list[int], list[int], int]:
    """Earliest arrival and start at each stop when leaving the depot at the shift's start, and the return."""
    depot = network.depot_of[technician.id]
    clock, here = technician.shift[0], depot
    arrivals, starts = [], []
    for stop in stops:
        there = network.stop_at[stop.id]
        arrivals.append(clock + network.drive[here][there])
        starts.append(max(arrivals[-1], stop.window[0]))
        clock, here = starts[-1] + stop.service_minutes, there
    return arrivals, starts, clock + network.drive[here][depot]


def build_route(technician: Technician, stops: list[Stop], network: Network) -> Route:
    """The route of a fitting stop sequence. The technician leaves late enough not to wait at the first stop."""
    arrivals, starts, back = timeline(technician, stops, network)
    leaves_at = technician.shift[0] + starts[0] - arrivals[0]
    arrivals[0] = starts[0]
    legs = _legs(network.depot_of[technician.id], [network.stop_at[s.id] for s in stops])
    return Route(
        technician_id=technician.id,
        stops=[PlannedStop(s.id, a, b, b + s.service_minutes) for s, a, b in zip(stops, arrivals, starts, strict=True)],
        distance_m=sum(network.metres[i][j] for i, j in legs),
        driving_minutes=round(sum(network.minutes[i][j] for i, j in legs)),
        leaves_at=leaves_at,
        returns_at=back,
    )


def _legs(depot: int, visits: list[int]) -> list[tuple[int, int]]:
    path = [depot, *visits, depot]
    return list(zip(path, path[1:], strict=False))
