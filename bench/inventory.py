"""Inventory at national scale: 300,000 devices and 3,000,000 movements (and 3,000 / 30,000 for comparison).

The ledger is generated as bulk rows that follow the real life of a device (received, accepted, loaded, handed
over, collected, unloaded, cleaned, tested, ready; every seventh goes round twice), so current state, custody
intervals and movements agree (`verify_ledger` is run on the result). Then measured through the app:
scan-to-answer (POST of one scan to the load page, htmx), the as-of queries, and 1,000 labels to PDF.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select, text

from bench.citizens import backends, percentile
from bench.scale import build, fresh_postgres
from inventory import service
from inventory.labels import A4_SHEET, LabelData, render_labels
from inventory.models import DeviceCategory, DeviceStatus, HolderKind
from inventory.service.ledger import cleaning_holder
from inventory.tags import make_tag
from servicecenter import create_app
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course, Programme
from servicecenter.db import make_engine, make_session_factory, unit_of_work, utcnow
from servicecenter.organisations.models import Organisation, OrganisationKind

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_DEVICES", "3000,300000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
HOMES = 20_000
STEPS = [  # (movement kind, to status, where) of one round through a citizen's home
    ("receive", "received", "depot"), ("accept", "ready", "depot"), ("load", "in_van", "van"),
    ("handover", "at_citizen", "home"), ("collect", "returned", "van"), ("unload", "returned", "depot"),
    ("clean_start", "cleaning", "cleaning"), ("clean_finish", "testing", "cleaning"), ("test_pass", "ready", "depot"),
]


def _setup(url: str, devices: int) -> dict:
    """Reference data, models, places, citizens with courses: everything but the devices."""
    build(url, citizens=min(HOMES, max(devices // 15, 200)))
    engine = make_engine(url)
    s = make_session_factory(engine)()
    with unit_of_work(s):
        ids = places(s)
        programme = s.scalar(select(Programme).limit(1))
        citizens = list(s.scalars(select(Citizen.id).order_by(Citizen.id)))
        s.add_all([Course(citizen_id=c, programme_id=programme.id, created_at=utcnow()) for c in citizens])
        s.flush()
        homes = [service.course_holder(s, c) for c in s.scalars(select(Course).order_by(Course.id))]
        ids["homes"] = [(h.id, h.citizen_id) for h in homes]
    s.close()
    engine.dispose()
    return ids


def places(s) -> dict:
    """The region, three device models, a depot with its cleaning room and 20 vans (ids; homes are the caller's)."""
    who = {"actor": None, "now": utcnow()}
    region = s.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.REGION))
    models = [service.create_device_model(s, **who, category=c, manufacturer="Bench", model_number=f"B-{c.value}",
                                          name=c.value) for c in (DeviceCategory.TABLET,
                                                                  DeviceCategory.PULSE_OXIMETER,
                                                                  DeviceCategory.SCALE)]
    depot = service.create_holder(s, **who, kind=HolderKind.DEPOT, name="Bench depot")
    vans = [service.create_holder(s, **who, kind=HolderKind.VAN, name=f"Bench van {i}") for i in range(20)]
    cleaning = cleaning_holder(s, depot)
    return {"region": region.id, "models": [m.id for m in models], "depot": depot.id,
            "vans": [v.id for v in vans], "cleaning": cleaning.id}


def _rows(ids: dict, devices: int, start: dt.datetime, home_of=None, steps_of=None):
    """Devices, movements and custody rows, generated in step; every seventh device goes round twice.

    Device n goes to the home `home_of(n)` ((holder id, citizen id)); by default the homes in turn. `steps_of(n)`
    gives device n's (kind, to status, where) steps, to stop its life on the way (by default the whole round)."""
    home_of = home_of or (lambda n: ids["homes"][n % len(ids["homes"])])
    steps_of = steps_of or (lambda n: STEPS + (STEPS[2:] if n % 7 == 0 else []))  # 300,000: 3,000,000 movements
    rng = random.Random(devices)
    device_rows, movement_rows, custody_rows = [], [], []
    movement_id = custody_id = 0
    for n in range(1, devices + 1):
        van = rng.choice(ids["vans"])
        home, citizen = home_of(n)
        where = {"depot": (ids["depot"], None), "van": (van, None), "home": (home, citizen),
                 "cleaning": (ids["cleaning"], None)}
        steps = steps_of(n)
        at = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 365))
        holder, status, open_custody = None, None, None
        for kind, to_status, place in steps:
            at += dt.timedelta(hours=rng.randrange(1, 24 * 20))
            to_holder, to_citizen = where[place]
            movement_id += 1
            movement_rows.append((movement_id, n, kind, holder, to_holder, status, to_status, at, at))
            if to_holder != holder:
                if open_custody is not None:
                    custody_rows[open_custody] = (*custody_rows[open_custody][:5], at, custody_rows[open_custody][6])
                custody_id += 1
                custody_rows.append((custody_id, n, to_holder, to_citizen, at, None, movement_id))
                open_custody = len(custody_rows) - 1
            holder, status = to_holder, to_status
        device_rows.append((n, make_tag("D", n), f"SER{n:07d}", ids["models"][n % 3], ids["region"], status,
                            holder, at, at, at.date(), 1))
    return device_rows, movement_rows, custody_rows


def _insert(url: str, ids: dict, devices: int, home_of=None, steps_of=None) -> tuple[float, int]:
    started = time.perf_counter()
    device_rows, movement_rows, custody_rows = _rows(ids, devices, utcnow() - dt.timedelta(days=800), home_of,
                                                     steps_of)
    engine = make_engine(url)
    raw = engine.raw_connection()
    cursor = raw.cursor()
    tables = [
        ("devices", "id, tag, serial, model_id, owner_organisation_id, status, holder_id, created_at, last_moved_at, "
                    "purchased_on, version", device_rows),
        ("movements", "id, device_id, kind, from_holder_id, to_holder_id, from_status, to_status, occurred_at, "
                      "recorded_at", movement_rows),
        ("custody", "id, device_id, holder_id, citizen_id, started_at, ended_at, movement_id", custody_rows),
    ]
    if engine.dialect.name == "postgresql":
        for table, columns, rows in tables:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.execute("SELECT setval(pg_get_serial_sequence('movements', 'id'), (SELECT max(id) FROM movements))")
        cursor.execute("SELECT setval(pg_get_serial_sequence('custody', 'id'), (SELECT max(id) FROM custody))")
        cursor.execute("SELECT setval(pg_get_serial_sequence('devices', 'id'), (SELECT max(id) FROM devices))")
    else:
        cursor.execute("BEGIN")
        for table, columns, rows in tables:
            marks = ", ".join("?" for _ in columns.split(","))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", [  # noqa: S608 - our names
                tuple(_sqlite(v) for v in row) for row in rows])
    cursor.execute("INSERT INTO tag_counters (prefix, next_value) VALUES ('D', " + str(devices + 1) + ")")  # noqa: S608
    raw.commit()
    raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started, len(movement_rows)


def _sqlite(value):
    """SQLAlchemy's SQLite format for timestamps (naive UTC, always with microseconds)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat() if isinstance(value, dt.date) else value


def _measure(url: str, ids: dict, devices: int) -> dict:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    database = app.extensions["database"]
    counter = {"n": 0}
    event.listen(database.engine, "before_cursor_execute", lambda *a: counter.__setitem__("n", counter["n"] + 1))
    client = app.test_client()
    assert client.post("/login", data={"username": "lager", "password": "Servicecenter-demo-5"}).status_code == 302
    rng = random.Random(7)
    s = database.factory()
    ready = list(s.scalars(select(service.queries.Device.tag).where(
        service.queries.Device.status == DeviceStatus.READY).limit(REQUESTS + 20)))
    van = ids["vans"][0]
    scan_times, scan_statements = [], set()
    for i, tag in enumerate(ready):
        counter["n"] = 0
        began = time.perf_counter()
        response = client.post(f"/inventory/scan/load?holder={van}", data={"code": tag}, headers={"HX-Request": "1"})
        elapsed = (time.perf_counter() - began) * 1000
        assert b'data-scan-result="ok"' in response.data, response.data[:300]
        if i >= 20:
            scan_times.append(elapsed)
            scan_statements.add(counter["n"])
    end = utcnow()
    as_of = {"device": [], "citizen": []}
    for _ in range(REQUESTS):
        at = end - dt.timedelta(days=rng.randrange(700))
        device_id = rng.randint(1, devices)
        began = time.perf_counter()
        service.holder_at(s, device_id, at)
        as_of["device"].append((time.perf_counter() - began) * 1000)
        citizen = rng.choice(ids["homes"])[1]
        began = time.perf_counter()
        service.held_by_citizen_at(s, citizen, at)
        as_of["citizen"].append((time.perf_counter() - began) * 1000)
    problems = len(service.verify_ledger(s)) if devices <= 30_000 else None
    s.close()
    database.engine.dispose()

    def summary(values):
        return {"p50_ms": round(statistics.median(values), 2), "p95_ms": round(percentile(values, 95), 2)}

    return {"scan": {**summary(scan_times), "sql_statements": sorted(scan_statements)},
            "where_was_device_at": summary(as_of["device"]), "what_citizen_held_at": summary(as_of["citizen"]),
            "ledger_disagreements": problems}


def labels_benchmark() -> dict:
    labels = [LabelData(make_tag("D", n), "Samsung Galaxy Tab A9", "Region Midtjylland") for n in range(1, 1001)]
    times = []
    for _ in range(5):
        began = time.perf_counter()
        pdf = render_labels(labels, A4_SHEET)
        times.append(time.perf_counter() - began)
    return {"labels": 1000, "seconds_median": round(statistics.median(times), 3), "pdf_bytes": len(pdf)}


def main() -> dict:
    results = []
    for backend, pg_url in backends():
        for devices in SIZES:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='sc-bench-inv-')) / 'bench.db'}"
            else:
                fresh_postgres(pg_url)
                url = pg_url
            ids = _setup(url, devices)
            seconds, movements = _insert(url, ids, devices)
            result = {"backend": backend, "devices": devices, "movements": movements, "load_seconds": round(seconds),
                      **_measure(url, ids, devices)}
            print(json.dumps(result), flush=True)
            results.append(result)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": results,
              "labels": labels_benchmark()}
    print(json.dumps(report["labels"]))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "inventory.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    sys.exit(main() and 0)
