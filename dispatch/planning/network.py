"""The travel matrices of one planning problem: each technician's depot and each located stop get an index."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dispatch.planning.model import Point, Stop, Technician
from dispatch.planning.travel import TravelTimeProvider


@dataclass(frozen=True)
class Network:
    """Depots come first (one index per distinct depot point), then the stops that have a point.

    `drive` is the travel time in whole minutes, rounded up: every schedule the planner builds uses it, so a plan
    that fits in whole minutes also fits in the provider's real (fractional) minutes.
    """

    points: list[Point]
    depot_of: dict[str, int]
    stop_at: dict[str, int]
    minutes: list[list[float]]
    metres: list[list[float]]
    drive: list[list[int]]

    @property
    def depot_count(self) -> int:
        return len(set(self.depot_of.values()))


def build_network(technicians: list[Technician], stops: list[Stop], provider: TravelTimeProvider) -> Network:
    depots = list(dict.fromkeys(t.depot for t in technicians))
    located = [s for s in stops if s.point is not None]
    points = depots + [s.point for s in located]
    minutes, metres = provider.matrix(points) if points else ([], [])
    return Network(
        points=points,
        depot_of={t.id: depots.index(t.depot) for t in technicians},
        stop_at={s.id: len(depots) + i for i, s in enumerate(located)},
        minutes=minutes,
        metres=metres,
        drive=[[math.ceil(m) for m in row] for row in minutes],
    )
