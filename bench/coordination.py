"""The coordinator's dashboard and the monthly report at national scale (issue 15).

The data: the start-page benchmark's national world (`bench.startpage.build_data`: 100,000 citizens, 300,000 devices
through their ledger, 500,000 tickets, 1,000,000 visits over two years, courses referred, active, ending and
ended), plus extra device history so the ledger holds about 3,000,000 movements: every device that is back in stock
gets earlier round trips (handed over, collected, cleaned, tested) in the two years before.

Measured:
- the recomputation of one month's cells, and of the thirteen months the dashboard shows (the jobs' work);
- that the stored cells equal a full recomputation (`disagreements`, which must be empty);
- GET /coordination/ as the demo coordinator for last month, with no filter and with a cluster filter, and one chart
  image, through Flask's test client: p50/p95 and SQL statements per request;
- the monthly report: drafted (its stale months recomputed first) and rendered to PDF, seconds.

Env: BENCH_SIZES (default 100000), BENCH_REQUESTS (200), BENCH_BACKENDS (postgresql,sqlite), BENCH_MEASURE_ONLY=URL
measures a kept database without building it. PostgreSQL uses a database of its own, sc_bench_coord.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from bench import citizens as citizens_bench
from bench import support as support_bench
from bench.citizens import percentile
from bench.scale import fresh_postgres
from bench.startpage import build_data
from coordination.models import IndicatorCell
from coordination.service import figures as F
from coordination.service import reports
from inventory.models import Movement
from servicecenter.db import unit_of_work, utcnow
from servicecenter.demo import demo_logins
from servicecenter.months import previous_month
from servicecenter.organisations.models import Cluster

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARM_UP = 10
PG_BENCH_DB = "sc_bench_coord"
EXTRA_ROUND_TRIPS = 5  # per device back in stock: earlier trips to a citizen, five movements each


def _more_history(url: str) -> int:
    """Earlier round trips for the devices in stock (HANDOVER, COLLECT, CLEAN_START, CLEAN_FINISH, TEST_PASS), as
    movements only (the custody of those trips is not needed by the figures measured here); returns how many."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    steps = [("handover", "at_citizen"), ("collect", "returned"), ("clean_start", "cleaning"),
             ("clean_finish", "testing"), ("test_pass", "ready")]
    made = 0
    with engine.begin() as conn:
        first = conn.execute(text("SELECT min(occurred_at) FROM movements")).scalar()
        if isinstance(first, str):  # SQLite: the stored text, naive UTC
            first = dt.datetime.fromisoformat(first)
        for trip in range(EXTRA_ROUND_TRIPS):
            for k, (kind, status) in enumerate(steps):
                result = conn.execute(text(
                    "INSERT INTO movements (device_id, kind, from_holder_id, to_holder_id, from_status, to_status, "
                    "occurred_at, recorded_at, actor_id) "
                    "SELECT id, :kind, holder_id, holder_id, NULL, :status, :at, :at, NULL FROM devices "
                    "WHERE status IN ('ready', 'returned', 'cleaning', 'testing', 'faulty', 'in_van', 'received')"),
                    {"kind": kind, "status": status,
                     "at": first - (EXTRA_ROUND_TRIPS - trip) * dt.timedelta(days=60) + k * dt.timedelta(days=3)})
                made += result.rowcount
    engine.dispose()
    return made


def _spread_courses(url: str) -> int:
    """The start-page world's courses begin now; here they are referred over the two years before, set up 3-40 days
    later (5 % excluded instead), so every month has referrals, inclusions and active citizens to count."""
    import random

    from sqlalchemy import bindparam, update

    from servicecenter.courses.models import Course, CourseStatus, EndReason
    from servicecenter.db import make_engine, make_session_factory

    engine = make_engine(url)
    s = make_session_factory(engine)()
    rng, now = random.Random(15), utcnow()
    rows = []
    for course_id, status, ended_at in s.execute(select(Course.id, Course.status, Course.ended_at)).all():
        referred = now - dt.timedelta(days=rng.uniform(5, 730))
        activated = referred + dt.timedelta(days=rng.uniform(3, 40))
        excluded = status in (CourseStatus.ENDED, CourseStatus.ENDING) and rng.random() < 0.3
        if status == CourseStatus.REFERRED or activated > now:
            activated = None
        ended = min(now, (activated or referred) + dt.timedelta(days=rng.uniform(30, 300))) if ended_at else None
        rows.append({"id_": course_id, "referred": referred, "created": referred, "activated": None if excluded
                     else activated, "ended": ended, "reason": EndReason.EXCLUDED if excluded else
                     (EndReason.COMPLETED if ended else None)})
    stmt = (update(Course.__table__).where(Course.__table__.c.id == bindparam("id_"))
            .values(referred_at=bindparam("referred"), created_at=bindparam("created"),
                    activated_at=bindparam("activated"), ended_at=bindparam("ended"),
                    end_reason=bindparam("reason")))
    with unit_of_work(s):
        s.connection().execute(stmt, rows)
    s.close()
    engine.dispose()
    return len(rows)


def build_national(url: str, size: int) -> dict:
    """The national data set at `size` citizens (100,000: about 3,000,000 movements, 500,000 tickets, 1,000,000
    visits), shared with the load benchmark (bench/load.py)."""
    began = time.perf_counter()
    made = build_data(url, size)
    made["extra_movements"] = _more_history(url)
    made["courses_spread"] = _spread_courses(url)
    made["build_s"] = round(time.perf_counter() - began)
    return made


def _timed(call, n: int) -> dict:
    for _ in range(WARM_UP):
        call()
    samples = [call() for _ in range(n)]
    times = [t for t, _s in samples]
    return {"requests": n, "p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 95), 2),
            "max_ms": round(max(times), 2), "sql_statements": sorted({s for _t, s in samples})}


def _measure(url: str) -> dict:
    app, statements = support_bench.timed_app(url)
    database = app.extensions["database"]
    s = database.factory()
    now = utcnow()
    last = previous_month(now)
    grace = app.config["COORDINATION_PICKUP_GRACE_DAYS"]
    result = {"movements": s.scalar(select(func.count()).select_from(Movement))}

    began = time.perf_counter()
    with unit_of_work(s):
        F.refresh(s, last, now=now, pickup_grace_days=grace)
    result["refresh_one_month_s"] = round(time.perf_counter() - began, 2)
    began = time.perf_counter()
    with unit_of_work(s):
        for first in F.recent_months(now):
            F.refresh(s, first, now=now, pickup_grace_days=grace)
    result["refresh_13_months_s"] = round(time.perf_counter() - began, 2)
    result["cells"] = s.scalar(select(func.count()).select_from(IndicatorCell))
    result["cells_last_month"] = s.scalar(select(func.count()).select_from(IndicatorCell)
                                          .where(IndicatorCell.month == last))
    began = time.perf_counter()
    problems = F.disagreements(s, last, at=now, pickup_grace_days=grace)
    result["verify_one_month_s"] = round(time.perf_counter() - began, 2)
    result["disagreements"] = problems[:10]
    shown = F.figures(s, last, last)[0]
    result["last_month"] = {"referred": shown.referred, "included": shown.included, "active": shown.active,
                            "tickets": shown.tickets, "overdue_pickups": shown.overdue_pickups,
                            "inclusion_rate": shown.inclusion_rate}
    cluster = s.scalar(select(Cluster.id).order_by(Cluster.id).limit(1))
    s.close()

    passwords = {username: password for username, password, _role in demo_logins()}
    client = app.test_client()
    assert client.post("/login", data={"username": "koordinator",
                                       "password": passwords["koordinator"]}).status_code == 302
    month = f"{last:%Y-%m}"

    def get(url):
        def call():
            statements.clear()
            began = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, (url, response.status_code)
            return elapsed, len(statements)
        return call

    result["dashboard"] = _timed(get(f"/coordination/?month={month}"), REQUESTS)
    result["dashboard_cluster"] = _timed(get(f"/coordination/?month={month}&cluster={cluster}"), REQUESTS)
    result["chart"] = _timed(get(f"/coordination/charts/sla.svg?month={month}"), REQUESTS)
    result["cases_page"] = _timed(get(f"/coordination/cases/tickets?month={month}"), max(20, REQUESTS // 10))

    s = database.factory()
    with unit_of_work(s):  # the job's first run for the month: no cells yet for the twelve before
        s.execute(text("DELETE FROM indicator_cells"))
        s.execute(text("DELETE FROM indicator_months"))
    began = time.perf_counter()
    with unit_of_work(s):
        report = reports.generate(s, last, actor=None, now=now, config=app.config)
    result["report_generate_s"] = round(time.perf_counter() - began, 2)
    from coordination.report_document import render_pdf

    began = time.perf_counter()
    with app.test_request_context():
        pdf = render_pdf(s, report)
    result["report_pdf_s"] = round(time.perf_counter() - began, 2)
    result["report_pdf_bytes"] = len(pdf)
    result["report_deviations"] = len(report.deviations)
    began = time.perf_counter()
    with unit_of_work(s):  # again, as the coordinator's "compute again": the twelve months are current now
        reports.generate(s, last, actor=None, now=utcnow(), config=app.config)
    result["report_regenerate_s"] = round(time.perf_counter() - began, 2)
    s.close()
    database.engine.dispose()
    return result


def _backends() -> list[tuple[str, str | None]]:
    wanted = os.environ.get("BENCH_BACKENDS", "postgresql,sqlite").split(",")
    found = []
    if "postgresql" in wanted and (pg := citizens_bench.postgres_url(PG_BENCH_DB)):
        found.append(("postgresql", pg))
    if "sqlite" in wanted:
        found.append(("sqlite", None))
    return found


def main() -> dict:
    results = []
    for backend, pg_url in _backends():
        for size in SIZES:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='sc-bench-coord-')) / 'bench.db'}"
            else:
                fresh_postgres(pg_url)
                url = pg_url
            made = build_national(url, size)
            print(json.dumps({"backend": backend, **made}, default=str), flush=True)
            gc.collect()
            result = {"backend": backend, "size": made, **_measure(url)}
            print(json.dumps(result, default=str), flush=True)
            results.append(result)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "code": support_bench._code(),  # noqa: SLF001
              "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "coordination.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    return report


if __name__ == "__main__":
    if os.environ.get("BENCH_MEASURE_ONLY"):
        print(json.dumps(_measure(os.environ["BENCH_MEASURE_ONLY"]), indent=2, default=str))
    else:
        main()
