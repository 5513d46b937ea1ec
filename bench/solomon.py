"""Solomon VRPTW instances through the app's own planner (`plan_day`), checked by the app's own validator.

    python -m bench.solomon FILE... --seconds S   one JSON line per instance file
    python -m bench.solomon                       all public instances, 10 s each, gaps to the distance-only
                                                  best-known solutions, written to bench/results/solomon.json
    python -m bench.solomon --seconds 2           the same at the interactive limit (issue 17), written to
                                                  bench/results/solomon-2s.json

Distances are Euclidean in double precision (../shared/data/solomon/README.md). "feasible" means every customer is
served and the validator finds no violation. BENCH_SOLOMON_SECONDS shortens the full run; BENCH_SOLOMON_DIR
points elsewhere for the instances.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
from importlib.metadata import version
from pathlib import Path

from dispatch.planning.solomon import read_instance
from dispatch.planning.solver import plan_day
from dispatch.planning.validate import violations

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(os.environ.get("BENCH_SOLOMON_DIR", Path(__file__).resolve().parents[2] / "shared/data/solomon"))
SECONDS = float(os.environ.get("BENCH_SOLOMON_SECONDS", "10"))
INTERACTIVE_SECONDS = 2.0  # a planner re-optimising after a phone call (issue 17)
CLASSES = ("c1", "c2", "r1", "r2", "rc1", "rc2")


def run(path: Path, seconds: float) -> dict:
    stops, technicians, provider = read_instance(path)
    plan = plan_day(stops, technicians, provider, seconds=seconds)
    problems = violations(plan, stops, technicians, provider)
    return {
        "instance": path.stem,
        "vehicles": len(plan.routes),
        "distance": plan.distance_m,
        "feasible": not problems and not plan.unplanned,
        "seconds": round(plan.seconds, 3),
    }


def best_known(path: Path = DATA / "bks_distance_only.csv") -> dict[str, dict]:
    with path.open(newline="") as f:
        return {row["instance"]: {"vehicles": int(row["vehicles"]), "distance": float(row["distance"])}
                for row in csv.DictReader(f)}


def main(seconds: float = SECONDS) -> dict:
    """Every public instance: gap to the distance-only best known, per class and overall."""
    bks = best_known()
    rows = []
    for path in sorted(DATA.glob("*.txt")):
        row = run(path, seconds)
        row["bks_distance"] = bks[row["instance"]]["distance"]
        row["bks_vehicles"] = bks[row["instance"]]["vehicles"]
        row["gap_percent"] = round(100 * (row["distance"] / row["bks_distance"] - 1), 3)
        rows.append(row)
        print(json.dumps(row), flush=True)
    report = _summary(rows, seconds)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / results_name(seconds)).write_text(json.dumps(report, indent=2) + "\n")
    return report


def results_name(seconds: float) -> str:
    """solomon.json for the 10 s limit (the history in BENCHMARKS.md), solomon-2s.json and so on for others, so a
    short run never overwrites the long one."""
    return "solomon.json" if seconds == 10 else f"solomon-{seconds:g}s.json"


def _summary(rows: list[dict], seconds: float) -> dict:
    def of(group: list[dict]) -> dict:
        return {"instances": len(group),
                "mean_gap_percent": round(statistics.fmean(r["gap_percent"] for r in group), 3),
                "vehicles": sum(r["vehicles"] for r in group),
                "bks_vehicles": sum(r["bks_vehicles"] for r in group),
                "feasible": sum(r["feasible"] for r in group)}

    classes = {c: of([r for r in rows if r["instance"][:-2] == c]) for c in CLASSES}
    return {"seconds_limit": seconds, "machine": machine(), "overall": of(rows), "classes": classes,
            "max_seconds": max(r["seconds"] for r in rows), "instances": rows}


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(), "pyvrp": version("pyvrp")}


def cli(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.solomon", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="Solomon-format instance files")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="time limit per instance")
    args = parser.parse_args(argv)
    if not args.files:
        report = main(args.seconds)
        print(json.dumps({"overall": report["overall"], "classes": report["classes"]}))
        return
    for path in args.files:
        print(json.dumps(run(path, args.seconds)), flush=True)


if __name__ == "__main__":
    cli(sys.argv[1:])
