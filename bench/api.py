"""The REST API over real HTTP at national scale (issue 16: custody API p95 <= 20 ms).

The data: the coordination benchmark's national world, built by the same builders (`bench.startpage.build_data`:
100,000 citizens, 300,000 devices through their ledger, 500,000 tickets, 1,000,000 visits; plus
`bench.coordination`'s earlier round trips so the ledger holds about 3,000,000 movements), on PostgreSQL.

The app runs under gunicorn as the README deploys it (gunicorn.conf.py, 4 sync workers) on a free 127.0.0.1 port;
two tokens with custody:read are issued (one for the organisation that leads the most courses, one for all
organisations). Timed over HTTP with `requests` (one Session per client, so its connection is reused where the
server keeps it open): for random ids,
- GET /api/v1/devices/<id>/custody (the first page of a device's custody intervals),
- GET /api/v1/devices/<id>/holder?at=T (who held device X at T),
- GET /api/v1/citizens/<id>/devices?at=T (what citizen Y held at T),
with 1, 2 and 4 clients at once (each in a thread of its own, all sending the whole time); a warm-up first, then
BENCH_REQUESTS requests per kind and client count: p50/p95/p99/max per kind. SQL statements per request are
counted in-process (the same app on the same database through Flask's test client, with the engine's statement
events), as the other benchmarks count them.

Env: BENCH_REQUESTS (1000), BENCH_CLIENTS (1,2,4), BENCH_SIZES (100000), BENCH_MEASURE_ONLY=URL measures a kept
database without building it (BENCH_KEEP=1 keeps nothing else: the PostgreSQL database is always kept after a run).
PostgreSQL only, in a database of its own, sc_apibench.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from api.service import tokens
from bench import support as support_bench
from bench.browser_scan import _serve
from bench.citizens import percentile, postgres_url
from bench.coordination import _more_history
from bench.scale import fresh_postgres
from bench.startpage import build_data
from dispatch.models import Visit
from inventory.models import Custody, Device, Movement
from servicecenter.auth.models import User
from servicecenter.citizens.access import organisation_sees
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course
from servicecenter.db import make_engine, make_session_factory, unit_of_work, utcnow
from support.models import Ticket

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "1,2,4").split(",")]
WARM_UP = 50
PG_BENCH_DB = "sc_apibench"
GOAL_P95_MS = 20
KINDS = ("custody", "holder_at", "citizen_at")


def build(url: str, citizens: int) -> dict:
    """The national world (the coordination benchmark's, without its spread of courses: not read here)."""
    fresh_postgres(url)
    began = time.perf_counter()
    made = build_data(url, citizens)
    made["extra_movements"] = _more_history(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE movements"))
    engine.dispose()
    made["build_s"] = round(time.perf_counter() - began)
    print(json.dumps(made, default=str), flush=True)
    return made


def _prepare(url: str) -> dict:
    """Two tokens with custody:read (the organisation leading the most courses, and all organisations), and the
    ids to ask about: devices, the citizens that organisation may see, moments in the last two years."""
    engine = make_engine(url)
    s = make_session_factory(engine)()
    now = utcnow()
    organisation = s.execute(select(Course.lead_organisation_id, func.count()).group_by(Course.lead_organisation_id)
                             .order_by(func.count().desc()).limit(1)).first()[0]
    admin = s.scalar(select(User).where(User.username == "admin"))
    with unit_of_work(s):
        _row, org_token = tokens.issue(s, name="Benchmark (organisation)", scopes=["custody:read"],
                                       organisation_id=organisation, actor=admin, now=now)
        _row, all_token = tokens.issue(s, name="Benchmark (all)", scopes=["custody:read"], organisation_id=None,
                                       actor=admin, now=now)
    data = {"organisation_id": organisation, "org_token": org_token, "all_token": all_token,
            "devices": list(s.scalars(select(Device.id))),
            "seen": list(s.scalars(select(Citizen.id).where(organisation_sees(s, organisation, now)))),
            "citizens": list(s.scalars(select(Citizen.id))),
            "size": {"citizens": s.scalar(select(func.count()).select_from(Citizen)),
                     "devices": s.scalar(select(func.count()).select_from(Device)),
                     "movements": s.scalar(select(func.count()).select_from(Movement)),
                     "custody_intervals": s.scalar(select(func.count()).select_from(Custody)),
                     "tickets": s.scalar(select(func.count()).select_from(Ticket)),
                     "visits": s.scalar(select(func.count()).select_from(Visit))},
            "now": now}
    s.close()
    engine.dispose()
    return data


def _paths(data: dict, citizens: list[int], seed: int):
    """An endless supply of (kind, path) for random ids and random moments in the last two years."""
    rng = random.Random(seed)

    def at() -> str:
        moment = data["now"] - dt.timedelta(seconds=rng.uniform(0, 730 * 86400))
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"

    makers = {"custody": lambda: f"/api/v1/devices/{rng.choice(data['devices'])}/custody",
              "holder_at": lambda: f"/api/v1/devices/{rng.choice(data['devices'])}/holder?at={at()}",
              "citizen_at": lambda: f"/api/v1/citizens/{rng.choice(citizens)}/devices?at={at()}"}
    return lambda kind: makers[kind]()


def _client(base: str, token: str, path_of, kind: str, count: int, warm_up: int, times: list, statuses: dict,
            start: threading.Barrier) -> None:
    import requests

    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for _ in range(warm_up):
            http.get(base + path_of(kind))
        start.wait()
        for _ in range(count):
            path = path_of(kind)
            began = time.perf_counter()
            response = http.get(base + path)
            times.append((time.perf_counter() - began) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1


def _round(base: str, token: str, data: dict, citizens: list[int], kind: str, clients: int) -> dict:
    """REQUESTS requests of one kind, spread over `clients` clients sending at once."""
    times: list[float] = []
    statuses: dict[int, int] = {}
    started: list[float] = []
    start = threading.Barrier(clients, action=lambda: started.append(time.perf_counter()))  # after the warm-up
    each = -(-REQUESTS // clients)
    threads = [threading.Thread(target=_client, args=(base, token, _paths(data, citizens, 1000 * clients + n), kind,
                                                      each, WARM_UP // clients, times, statuses, start))
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started[0]
    assert set(statuses) <= {200, 404}, statuses  # 404: the device did not exist yet at T
    return {"requests": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 95), 1), "p99_ms": round(percentile(times, 99), 1),
            "max_ms": round(max(times), 1), "per_second": round(len(times) / seconds), "statuses": statuses,
            "load_average_1min": round(os.getloadavg()[0], 1)}  # the machine is shared: how busy it was


def _statements(url: str, data: dict) -> dict:
    """SQL statements per request of each kind, counted in-process (the same app through Flask's test client)."""
    app, statements = support_bench.timed_app(url)
    client = app.test_client()
    counts = {}
    for token, citizens, label in ((data["org_token"], data["seen"], "organisation"),
                                   (data["all_token"], data["citizens"], "all")):
        path_of = _paths(data, citizens, 7)
        for kind in KINDS:
            seen = set()
            for _ in range(30):
                statements.clear()
                response = client.get(path_of(kind), headers={"Authorization": f"Bearer {token}"})
                assert response.status_code in (200, 404), response.status_code
                seen.add(len(statements))
            counts[f"{kind}_{label}"] = sorted(seen)
    app.extensions["database"].engine.dispose()
    return counts


def measure(url: str) -> dict:
    data = _prepare(url)
    result = {"size": data["size"], "organisation_id": data["organisation_id"],
              "citizens_the_organisation_sees": len(data["seen"]), "statements": _statements(url, data)}
    os.environ["API_CALLS_PER_MINUTE"] = "1000000"  # the limit is still counted per call; only not reached here
    with tempfile.TemporaryDirectory() as instance:
        server, base = _serve(url, instance)
        try:
            for clients in CLIENTS:
                for kind in KINDS:
                    result[f"{kind}_{clients}"] = _round(base, data["org_token"], data, data["seen"], kind, clients)
                    print(kind, clients, json.dumps(result[f"{kind}_{clients}"]), flush=True)
            for kind in KINDS:
                result[f"{kind}_all_1"] = _round(base, data["all_token"], data, data["citizens"], kind, 1)
                print(kind, "all", json.dumps(result[f"{kind}_all_1"]), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=40)
    result["met"] = all(result[f"{kind}_1"]["p95_ms"] <= GOAL_P95_MS for kind in KINDS)
    return result


def _report(results: list[dict], name: str) -> dict:
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "code": support_bench._code(),  # noqa: SLF001
              "server": "gunicorn, gunicorn.conf.py, 4 sync workers (the README's), on the same machine as the clients",
              "goal_p95_ms": GOAL_P95_MS, "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    return report


def main() -> dict:
    url = postgres_url(PG_BENCH_DB)
    if url is None:
        return _report([], "api.json")
    results = []
    for size in SIZES:
        made = build(url, size)
        gc.collect()
        results.append({"backend": "postgresql", "built": made, **measure(url)})
    return _report(results, "api.json")


if __name__ == "__main__":
    if os.environ.get("BENCH_MEASURE_ONLY"):
        _report([{"backend": "postgresql", **measure(os.environ["BENCH_MEASURE_ONLY"])}], "api.json")
    else:
        main()
