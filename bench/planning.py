"""Realistic planning days through `plan_day`: a 60 × 60 km region around Viborg, 12 technicians from one depot
in its centre, 8-hour shifts (08:00-16:00), 2-hour windows, 30-60 minute visits, some needing spirometry (which
4 technicians have). Citizens live where people live: 70 % of the visits are in the region's towns (spread
around each town's centre, drawn by population), 30 % anywhere in the square. 80 visits fit in the day; 150 are
more work than the shifts hold. Haversine travel times with the app's defaults (road factor 1.3, 50 km/h).
Each day gets 10 s (BENCH_PLANNING_SECONDS to change), and again the interactive 2 s of issue 17; every plan is
checked by the independent validator.
BENCH_PLANNING_UNIFORM=1 spreads every visit uniformly instead. Results in bench/results/planning.json.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections import Counter
from pathlib import Path

from dispatch.planning.model import Plan, Point, Stop, Technician
from dispatch.planning.solver import plan_day
from dispatch.planning.travel import HaversineProvider
from dispatch.planning.validate import violations

RESULTS = Path(__file__).resolve().parent / "results"
SECONDS = float(os.environ.get("BENCH_PLANNING_SECONDS", "10"))
INTERACTIVE_SECONDS = 2.0  # a planner re-optimising after a phone call (issue 17)
DEPOT = Point(lat=56.4510, lon=9.4020)  # Viborg
HALF_SIDE_KM = 30.0
TECHNICIANS = 12
SPIROMETRY_TECHNICIANS = 4
SHIFT = (8 * 60, 16 * 60)
SPIROMETRY_SHARE = 0.2
DAYS = ((80, 1), (150, 2))  # (visits, seed)
UNIFORM = os.environ.get("BENCH_PLANNING_UNIFORM") == "1"
TOWN_SHARE = 0.7
# (name, lat, lon, population in thousands, spread in km): the towns of the square around Viborg
TOWNS = (
    ("Viborg", 56.4510, 9.4020, 41.0, 2.5), ("Skive", 56.5667, 9.0333, 20.5, 2.0),
    ("Bjerringbro", 56.3776, 9.6600, 7.6, 1.2), ("Kjellerup", 56.2861, 9.4336, 4.8, 1.0),
    ("Frederiks", 56.2578, 9.3069, 2.5, 0.8), ("Karup", 56.3067, 9.1681, 2.3, 0.8),
    ("Stoholm", 56.4847, 9.1469, 2.1, 0.8), ("Ørum", 56.4650, 9.6330, 1.2, 0.6),
    ("Møldrup", 56.6131, 9.4916, 1.1, 0.6), ("Rødkærsbro", 56.3540, 9.5040, 1.1, 0.6),
)


def technicians() -> list[Technician]:
    return [Technician(f"t{k:02}", DEPOT, SHIFT,
                       skills=frozenset({"spirometry"}) if k <= SPIROMETRY_TECHNICIANS else frozenset())
            for k in range(1, TECHNICIANS + 1)]


def visits(count: int, seed: int) -> list[Stop]:
    """Uniform over the square; each window starts on a half hour between 08:00 and 14:00 and lasts 2 hours."""
    rng = random.Random(seed)
    return [_visit(f"v{i:03}", rng) for i in range(1, count + 1)]


def _visit(stop_id: str, rng: random.Random) -> Stop:
    north, east = _town_km(rng) if not UNIFORM and rng.random() < TOWN_SHARE else _anywhere_km(rng)
    point = Point(lat=DEPOT.lat + north / 111.2, lon=DEPOT.lon + east / _KM_PER_LON_DEGREE)
    opens = SHIFT[0] + 30 * rng.randrange(13)
    skills = frozenset({"spirometry"}) if rng.random() < SPIROMETRY_SHARE else frozenset()
    return Stop(stop_id, point, rng.randrange(30, 61), (opens, opens + 120), skills=skills)


_KM_PER_LON_DEGREE = 111.32 * math.cos(math.radians(DEPOT.lat))


def _anywhere_km(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM), rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM)


def _town_km(rng: random.Random) -> tuple[float, float]:
    """Kilometres north and east of the depot: around a town drawn by population, kept inside the square."""
    _, lat, lon, _, spread = rng.choices(TOWNS, weights=[t[3] for t in TOWNS])[0]
    north = (lat - DEPOT.lat) * 111.2 + rng.gauss(0, spread)
    east = (lon - DEPOT.lon) * _KM_PER_LON_DEGREE + rng.gauss(0, spread)
    return (max(-HALF_SIDE_KM, min(HALF_SIDE_KM, north)), max(-HALF_SIDE_KM, min(HALF_SIDE_KM, east)))


def run_day(count: int, seed: int, seconds: float = SECONDS) -> dict:
    stops, people, provider = visits(count, seed), technicians(), HaversineProvider()
    reports: list[float] = []
    started = time.perf_counter()
    plan = plan_day(stops, people, provider, seconds=seconds, seed=seed,
                    on_progress=lambda fraction, cost: reports.append(time.perf_counter()))
    wall = time.perf_counter() - started
    return _summary(plan, stops, people, provider, wall, [started, *reports])


def _summary(plan: Plan, stops: list[Stop], people: list[Technician], provider: HaversineProvider, wall: float,
             reports: list[float]) -> dict:
    return {
        "visits": len(stops),
        "technicians": len(people),
        "planned": sum(len(r.stops) for r in plan.routes),
        "routes": len(plan.routes),
        "driving_km": round(plan.distance_m / 1000, 1),
        "driving_hours": round(sum(r.driving_minutes for r in plan.routes) / 60, 1),
        "unplanned_by_reason": dict(Counter(u.reason for u in plan.unplanned)),
        "unplanned": [{"stop": u.stop_id, "reason": u.reason} for u in plan.unplanned],
        "seconds": round(wall, 2),
        "violations": violations(plan, stops, people, provider),
        "progress_reports": len(reports) - 1,
        "longest_progress_gap_s": round(max(b - a for a, b in zip(reports, reports[1:], strict=False)), 2),
    }


def main() -> dict:
    report = {"seconds_limit": SECONDS, "placement": "uniform" if UNIFORM else "towns",
              "days": [run_day(count, seed) for count, seed in DAYS],
              "interactive": {"seconds_limit": INTERACTIVE_SECONDS,
                              "days": [run_day(count, seed, INTERACTIVE_SECONDS) for count, seed in DAYS]}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "planning.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    result = main()
    for limit in (result, result["interactive"]):
        for day in limit["days"]:
            print(f"{day['visits']} visits at {limit['seconds_limit']:g} s: planned {day['planned']} on "
                  f"{day['routes']} routes, {day['driving_km']} km, unplanned {day['unplanned_by_reason']}, "
                  f"{day['seconds']} s, violations {len(day['violations'])}")
