"""Fuzzing at volume: the strategies and harness of tests/fuzzing.py, 100,000+ inputs per backend (BENCH_FUZZ_SCALE
multiplies the budget), one app and one database per backend, Flask's test client in-process. Hypothesis only
generates here (no shrinking, no example database); every 500 or half-saved import is counted, the first few kept.

`BENCH_FUZZ_TARGETS=scan,import` limits the targets;
`BENCH_FUZZ_BACKENDS=sqlite` limits the run to SQLite (default: SQLite and, when a server answers, PostgreSQL in
its own database sc_bench_fuzz).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from bench.citizens import postgres_url
from bench.scale import fresh_postgres
from servicecenter.seed import prepare_database
from tests.conftest import make_test_app
from tests.factories import Factory
from tests.fuzzing import SKIP_KNOWN_ELSEWHERE, Harness, run

RESULTS = Path(__file__).resolve().parent / "results"
SCALE = float(os.environ.get("BENCH_FUZZ_SCALE", "1"))
BUDGET = {"cpr": 40_000, "citizen_search": 12_000, "nurse_search": 6_000, "device_search": 12_000,
          "support_search": 10_000, "scan": 12_000, "import": 8_000}


def _url(backend: str) -> str | None:
    if backend == "sqlite":
        return f"sqlite:///{Path(tempfile.mkdtemp(prefix='sc-bench-fuzz-')) / 'fuzz.db'}"
    url = postgres_url("sc_bench_fuzz")
    if url:
        fresh_postgres(url)
    return url


def fuzz(backend: str) -> dict | None:
    url = _url(backend)
    if url is None:
        return None
    prepare_database(url)
    app = make_test_app(url)
    session = sessionmaker(bind=app.extensions["database"].engine, expire_on_commit=True)()
    harness = Harness(app, session, Factory(session), strict=False)
    targets = {}
    began = time.perf_counter()
    wanted = os.environ.get("BENCH_FUZZ_TARGETS", ",".join(BUDGET)).split(",")
    for name, examples in ((n, e) for n, e in BUDGET.items() if n in wanted):
        started = time.perf_counter()
        found = run(harness, name, max(1, int(examples * SCALE)), bench=True)
        targets[name] = {"inputs": found.inputs, "requests": found.requests,
                         "seconds": round(time.perf_counter() - started, 1),
                         "failures": found.failures, "examples": found.examples,
                         "outcomes": {str(k): v for k, v in sorted(found.statuses.items(), key=str)}}
        print(backend, name, json.dumps(targets[name]), flush=True)
    session.close()
    app.extensions["database"].engine.dispose()
    return {"backend": backend, "inputs": sum(t["inputs"] for t in targets.values()),
            "requests": sum(t["requests"] for t in targets.values()),
            "seconds": round(time.perf_counter() - began), "failures": sum(t["failures"] for t in targets.values()),
            "targets": targets}


def main() -> dict:
    backends = os.environ.get("BENCH_FUZZ_BACKENDS", "sqlite,postgresql").split(",")
    results = [r for r in (fuzz(b) for b in backends) if r is not None]
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "skip_known_elsewhere": SKIP_KNOWN_ELSEWHERE, "results": results}
    RESULTS.mkdir(exist_ok=True)
    name = os.environ.get("BENCH_FUZZ_RESULT", "fuzzing.json")
    (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


if __name__ == "__main__":
    sys.exit(main() and 0)
