"""Read a Solomon VRPTW instance into stops, technicians and a planar provider, so it runs through `plan_day`.

The model counts time in whole minutes; Solomon's time units are scaled by TIME_SCALE (1 unit = 1,000 model
minutes) so the rounding-up of each drive to a whole model minute costs at most 0.001 unit per leg. Coordinates are
kept as they are: distances (the objective and every reported figure) are Euclidean in double precision, in the
instance's own units, and the provider's travel times are those same distances × TIME_SCALE.
"""

from __future__ import annotations

from pathlib import Path

from dispatch.planning.model import Point, Stop, Technician
from dispatch.planning.travel import PlanarProvider

TIME_SCALE = 1000


def read_instance(path: str | Path) -> tuple[list[Stop], list[Technician], PlanarProvider]:
    """Customer 0 is the depot: every vehicle leaves it at its ready time and is back by its due date."""
    lines = Path(path).read_text().splitlines()
    vehicles, capacity = _fleet(lines)
    depot, *customers = _customers(lines)
    _, x, y, _, ready, due, _ = depot
    shift = (_minutes(ready), _minutes(due))
    technicians = [Technician(f"v{k}", Point(lat=y, lon=x), shift, capacity=int(capacity))
                   for k in range(1, int(vehicles) + 1)]
    stops = [Stop(str(int(number)), Point(lat=y, lon=x), _minutes(service), (_minutes(ready), _minutes(due)),
                  demand=int(demand))
             for number, x, y, demand, ready, due, service in customers]
    return stops, technicians, PlanarProvider(time_scale=TIME_SCALE)


def _fleet(lines: list[str]) -> tuple[float, float]:
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["NUMBER", "CAPACITY"])
    vehicles, capacity = map(float, lines[header + 1].split())
    return vehicles, capacity


def _customers(lines: list[str]) -> list[tuple[float, ...]]:
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("CUST NO."))
    rows = [tuple(map(float, line.split())) for line in lines[header + 1:] if line.strip()]
    if not rows or any(len(row) != 7 for row in rows):
        raise ValueError(f"Not a Solomon instance: expected 7 numbers per customer line in {lines[0].strip()!r}")
    return rows


def _minutes(units: float) -> int:
    minutes = round(units * TIME_SCALE)
    if abs(minutes - units * TIME_SCALE) > 1e-6:
        raise ValueError(f"Time {units} has more decimals than the time scale keeps")
    return minutes
