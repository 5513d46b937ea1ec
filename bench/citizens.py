"""Latency of citizen search and the citizen page at 1,000 and 100,000 citizens, on SQLite and PostgreSQL.

Server time is measured around the WSGI call of Flask's test client (in-process: routing, session check, views,
SQL, templates; no network). SQL statements are counted per request with an engine event.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, event, select, text

from bench.scale import build, fresh_postgres
from servicecenter import create_app
from servicecenter.citizens.models import Citizen

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "sc_bench"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def postgres_url(database: str = PG_BENCH_DB) -> str | None:
    """A benchmark database of its own (created when missing), or None without a server."""
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}).scalar():
                conn.execute(text(f"CREATE DATABASE {database}"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - a missing server only narrows the benchmark
        print(f"PostgreSQL not available ({error.__class__.__name__}); SQLite only", file=sys.stderr)
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


def backends() -> list[tuple[str, str | None]]:
    """("sqlite", None) and, when a server answers, ("postgresql", its benchmark database URL)."""
    pg = postgres_url()
    return [("sqlite", None)] + ([("postgresql", pg)] if pg else [])


def queries(session, rng: random.Random) -> list[str]:
    """A helpdesk's mix: CPR, full name, last name, phone, address, birth date."""
    sample = list(session.scalars(select(Citizen).order_by(Citizen.id).limit(2000)))
    made = []
    for _ in range(REQUESTS):
        c = rng.choice(sample)
        made.append(rng.choice([
            f"{c.cpr[:6]}-{c.cpr[6:]}", f"{c.first_name} {c.last_name}", c.last_name, c.phone, c.address,
            c.cpr[:6],
        ]))
    return made


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args):
        self.count += 1


def measure(client, counter: StatementCounter, call) -> tuple[float, int]:
    counter.count = 0
    started = time.perf_counter()
    response = call(client)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, counter.count


def run_size(backend: str, url: str, size: int) -> dict:
    build_seconds = build(url, size)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    database = app.extensions["database"]
    counter = StatementCounter(database.engine)
    client = app.test_client()
    assert client.post("/login", data={"username": "helpdesk", "password": "Servicecenter-demo-3"}).status_code == 302
    session = database.factory()
    rng = random.Random(size)
    search_terms = queries(session, rng)
    max_id = session.scalar(select(Citizen.id).order_by(Citizen.id.desc()).limit(1))
    session.close()
    ids = [rng.randint(1, max_id) for _ in range(REQUESTS)]
    result = {"backend": backend, "citizens": size, "requests": REQUESTS, "build_seconds": round(build_seconds, 1)}
    for name, calls in (
        ("search", [lambda c, q=q: c.post("/citizens/search", data={"q": q}) for q in search_terms]),
        ("citizen_page", [lambda c, i=i: c.get(f"/citizens/{i}") for i in ids]),
    ):
        for call in calls[:20]:  # warm-up: caches, connection pool, compiled statements
            measure(client, counter, call)
        samples = [measure(client, counter, call) for call in calls]
        times = [t for t, _n in samples]
        statements = sorted({n for _t, n in samples})
        result[name] = {
            "p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 95), 2),
            "max_ms": round(max(times), 2), "sql_statements": statements,
        }
    database.engine.dispose()
    return result


def main() -> list[dict]:
    results = []
    backends = [("sqlite", None)]
    pg = postgres_url()
    if pg:
        backends.append(("postgresql", pg))
    for backend, url in backends:
        for size in SIZES:
            if backend == "sqlite":
                path = Path(tempfile.mkdtemp(prefix="sc-bench-")) / "bench.db"
                url_for_size = f"sqlite:///{path}"
            else:
                fresh_postgres(url)
                url_for_size = url
            result = run_size(backend, url_for_size, size)
            print(json.dumps(result), flush=True)
            results.append(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "citizens.json").write_text(json.dumps({
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": results,
    }, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
