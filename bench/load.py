"""Real load over real HTTP (issue 17): `make bench-load`. Not part of `make test` nor `make bench`.

For each size (BENCH_LOAD_SIZES, citizens; default national 100,000 and 1 % = 1,000): the national data set of the
coordination benchmark (`bench.coordination.build_national`: 100,000 citizens, 300,000 devices, about 3,000,000
movements, 500,000 tickets, 1,000,000 visits; everything in proportion at 1 %) on PostgreSQL, served by gunicorn
(BENCH_LOAD_WORKERS sync workers, default 4) on 127.0.0.1, driven by locust, headless (bench/locustfile.py):

1. the ceilings, one endpoint at a time without think time (BENCH_LOAD_CEILING_USERS users, default 8): a bare
   Flask endpoint (one `SELECT 1` and a small template, bench/bare.py, under the same gunicorn settings), the
   device list, the audited citizen page, a scan — their requests/s side by side;
2. the mix of roles with think time (helpdesk, warehouse, technicians, nurses, coordinators) at BENCH_LOAD_USERS
   (default 50,100,200 at national scale, 50 at 1 %): per endpoint requests, failures, p50/p95/p99, throughput.

Every phase records the CPU seconds spent by the web workers and by PostgreSQL's processes (from /proc), so the
split between app and database per request is in the table. Results: bench/results/load.json and a table printed
for BENCHMARKS.md.

BENCH_LOAD_SECONDS (default 60) per phase; BENCH_LOAD_KEEP=1 reuses a database already built at that size
(sc_bench_load_<size>); BENCH_LOAD_SPAWN_RATE (default 10 users/s).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import func, insert, select, text

from bench import citizens as citizens_bench
from bench import support as support_bench
from bench.coordination import build_national
from bench.scale import fresh_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_LOAD_SIZES", "100000,1000").split(",")]
USERS = [int(n) for n in os.environ.get("BENCH_LOAD_USERS", "50,100,200").split(",")]
SMALL_USERS = [int(n) for n in os.environ.get("BENCH_LOAD_SMALL_USERS", "50").split(",")]
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "4"))
CEILING_USERS = int(os.environ.get("BENCH_LOAD_CEILING_USERS", "8"))
SPAWN_RATE = os.environ.get("BENCH_LOAD_SPAWN_RATE", "10")
CEILINGS = ("bare", "devices", "citizen", "scan")
CEILING_SESSIONS = int(os.environ.get("BENCH_LOAD_CEILING_SESSIONS", "25"))
ROLES = {"helpdesk": "helpdesk", "warehouse": "lager", "technician": "tekniker", "nurse": "sygeplejerske",
         "coordinator": "koordinator"}
SIMULATED_LOGINS = 200  # distinct users per role: a person's rate limits are a person's, not the whole team's


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the data ---------------------------------------------------------------------------------------------------


def _database(size: int) -> str:
    url = citizens_bench.postgres_url(f"sc_bench_load_{size}")
    if url is None:
        sys.exit("bench-load needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth)")
    if os.environ.get("BENCH_LOAD_KEEP") and _citizens(url) == size:
        from servicecenter.seed import prepare_database

        prepare_database(url)  # the migrations added since it was built
        print(f"reusing the database built at {size} citizens", flush=True)
        return url
    fresh_postgres(url)
    made = build_national(url, size)
    print(json.dumps({"built": made}, default=str), flush=True)
    return url


def _citizens(url: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM citizens")).scalar() or 0
    except Exception:  # noqa: BLE001 - an empty database has no table yet
        return 0
    finally:
        engine.dispose()


def fixtures(url: str) -> dict:
    """What the simulated users act on, read from the database with the app's own rules (need to know)."""
    from dispatch.models import Technician, Visit
    from inventory.models import Device, DeviceStatus, Holder, HolderKind
    from servicecenter.auth.models import User
    from servicecenter.citizens.access import visible_to
    from servicecenter.citizens.models import Citizen
    from servicecenter.db import local_date, make_engine, make_session_factory, unit_of_work, utcnow
    from servicecenter.demo import demo_logins
    from support.models import Ticket

    rng = random.Random(17)
    engine = make_engine(url)
    s = make_session_factory(engine)()
    now = utcnow()
    passwords = {username: password for username, password, _role in demo_logins()}
    users = {role: s.scalar(select(User).where(User.username == name)) for role, name in ROLES.items()}
    logins = _simulated_logins(s, users)

    def sample(query, n: int) -> list:
        found = list(s.scalars(query.limit(n * 4)))
        return rng.sample(found, min(n, len(found)))

    depot = s.scalar(select(Device.holder_id).join(Holder, Holder.id == Device.holder_id)
                     .where(Device.status == DeviceStatus.READY, Holder.kind == HolderKind.DEPOT)
                     .group_by(Device.holder_id).order_by(func.count().desc()).limit(1))
    technician = s.scalar(select(Technician).where(Technician.user_id == users["technician"].id))
    result = {
        "passwords": {name: passwords[ROLES[role]] for role, names in logins.items() for name in names},
        "logins": logins,
        "helpdesk_citizens": sample(select(Citizen.id).where(visible_to(s, users["helpdesk"], now)), 2000),
        "nurse_citizens": sample(select(Citizen.id).where(visible_to(s, users["nurse"], now)), 500),
        "search_terms": sample(select(Citizen.last_name).distinct(), 200),
        "tickets": sample(select(Ticket.id).where(Ticket.resolved_at.is_(None)), 2000),
        "ready_devices": sample(select(Device.tag).where(Device.status == DeviceStatus.READY,
                                                         Device.holder_id == depot, Device.kit_id.is_(None)), 4000),
        "depot": depot,
        "van": technician.van_id if technician and technician.van_id else
        s.scalar(select(Holder.id).where(Holder.kind == HolderKind.VAN).limit(1)),
        "stops": list(s.scalars(select(Visit.id).where(Visit.technician_id == technician.id,
                                                       Visit.scheduled_on == local_date(now)))) if technician else [],
        "last_month": f"{(now.replace(day=1) - dt.timedelta(days=1)):%Y-%m}",
    }
    with unit_of_work(s):
        pass
    s.close()
    engine.dispose()
    return result


def _simulated_logins(s, users: dict) -> dict[str, list[str]]:
    """SIMULATED_LOGINS copies of each demo user (same role, organisation and password), made once per database.
    The technicians all use the demo technician: her day is the one with stops."""
    from servicecenter.auth.models import User
    from servicecenter.db import unit_of_work, utcnow

    logins = {"technician": [users["technician"].username]}
    now = utcnow()
    with unit_of_work(s):
        for role, user in users.items():
            if role == "technician":
                continue
            names = [f"{user.username}-load-{n:03d}" for n in range(SIMULATED_LOGINS)]
            have = set(s.scalars(select(User.username).where(User.username.in_(names))))
            rows = [{"username": name, "full_name": f"{user.full_name} {n}", "role": user.role,
                     "organisation_id": user.organisation_id, "status": user.status,
                     "password_hash": user.password_hash, "created_at": now, "password_changed_at": now}
                    for n, name in enumerate(names) if name not in have]
            if rows:
                s.execute(insert(User), rows)
            logins[role] = names
    return logins


# --- the server and the processes' CPU ---------------------------------------------------------------------------


@contextlib.contextmanager
def serve(url: str, app: str, instance: Path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SC_INSTANCE_PATH": str(instance), "BENCH_BARE_DATABASE_URL": url}
    log = (instance / "gunicorn.log").open("ab")
    server = subprocess.Popen(  # noqa: S603
        [_bin("gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
         "--timeout", "120", app], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_for(address: str, server: subprocess.Popen) -> None:
    for _ in range(240):
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {server.returncode}); see its log")
        with contextlib.suppress(OSError), urllib.request.urlopen(address, timeout=2):  # noqa: S310 - our own server
            return
        time.sleep(0.5)
    sys.exit(f"gunicorn did not answer at {address}")


def _cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return [pid, *found]


def _postgres_cpu() -> dict[int, float]:
    """Each PostgreSQL process's CPU seconds so far (other databases' backends too: the phase's are picked after)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = _cpu_seconds([int(entry.name)])
    return found


def _database_cpu(url: str, before: dict[int, float]) -> float:
    """CPU spent since `before` by the backends serving this database (the app's pools keep them open): the
    machine's other databases (a test run beside it) are not counted."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        pids = list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND pid <> pg_backend_pid()")).scalars())
    engine.dispose()
    return sum(_cpu_seconds([pid]) - before.get(pid, 0.0) for pid in pids)


# --- locust ------------------------------------------------------------------------------------------------------


def run_locust(url: str, port: int, users: int, seconds: int, fixture_file: Path, workdir: Path, *,
               only: str | None, app_pids: list[int]) -> dict:
    prefix = workdir / f"{only or 'mix'}-{users}"
    env = {**os.environ, "BENCH_LOAD_FIXTURES": str(fixture_file), "BENCH_LOAD_SLICES": str(max(users, 1)),
           "BENCH_LOAD_USERS_NOW": str(users)}
    env.pop("BENCH_LOAD_ONLY", None)
    if only:
        env["BENCH_LOAD_ONLY"] = only
    db_before, app_before = _postgres_cpu(), _cpu_seconds(app_pids)
    began = time.monotonic()
    done = subprocess.run(  # noqa: S603
        [_bin("locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "--users", str(users),
         "--spawn-rate", SPAWN_RATE, "--run-time",
         f"{seconds + _ramp(users, CEILING_SESSIONS if only == 'citizen' else 1)}s",
         "--host", f"http://127.0.0.1:{port}",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - began
    app_cpu, db_cpu = _cpu_seconds(app_pids) - app_before, _database_cpu(url, db_before)
    rows = _stats(Path(f"{prefix}_stats.csv"))
    if not rows or any(r["failures"] for r in rows):
        print(done.stderr[-3000:], file=sys.stderr)
    total = next((r for r in rows if r["name"] == "Aggregated"), None)
    requests = total["requests"] if total else 0
    return {"users": users, "seconds": seconds, "wall_s": round(wall, 1), "endpoints": rows,
            "cpu": {"app_s": round(app_cpu, 1), "database_s": round(db_cpu, 1),
                    "app_ms_per_request": round(1000 * app_cpu / requests, 1) if requests else None,
                    "database_ms_per_request": round(1000 * db_cpu / requests, 1) if requests else None,
                    "machine_busy_share": round((app_cpu + db_cpu) / (wall * (os.cpu_count() or 1)), 2)},
            "errors": _errors(Path(f"{prefix}_failures.csv"))}


def _ramp(users: int, sessions: int = 1) -> int:
    """Seconds for the users to arrive and sign in (argon2: about a third of a second of CPU each on this kind of
    machine); the locustfile starts the statistics over when the last has signed in."""
    return int(users / float(SPAWN_RATE) + users * sessions * 0.4) + 10


def _stats(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [{"name": row["Name"], "method": row["Type"], "requests": int(row["Request Count"]),
                 "failures": int(row["Failure Count"]), "p50_ms": _number(row["50%"]), "p95_ms": _number(row["95%"]),
                 "p99_ms": _number(row["99%"]), "rps": round(float(row["Requests/s"]), 1)}
                for row in csv.DictReader(f)]


def _number(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def _errors(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [{"name": row["Name"], "error": row["Error"][:200], "count": int(row["Occurrences"])}
                for row in csv.DictReader(f)][:20]


# --- the run -----------------------------------------------------------------------------------------------------


def measure(url: str, size: int, user_counts: list[int]) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="sc-bench-load-"))
    fixture_file = workdir / "fixtures.json"
    data = fixtures(url)
    fixture_file.write_text(json.dumps(data))
    result = {"size": size, "workers": WORKERS, "fixtures": {k: len(v) for k, v in data.items()
                                                             if isinstance(v, list | dict)},
              "ceilings": {}, "mix": []}
    with serve(url, "bench.bare:app", workdir) as (port, pid):
        result["ceilings"]["bare"] = run_locust(url, port, CEILING_USERS, SECONDS // 2, fixture_file, workdir,
                                                only="bare", app_pids=_children(pid))
    with serve(url, "app:app", workdir) as (port, pid):
        for only in CEILINGS[1:]:
            result["ceilings"][only] = run_locust(url, port, CEILING_USERS, SECONDS // 2, fixture_file, workdir,
                                                  only=only, app_pids=_children(pid))
        for users in user_counts:
            phase = run_locust(url, port, users, SECONDS, fixture_file, workdir, only=None, app_pids=_children(pid))
            print(json.dumps({"size": size, "users": users, "total": phase["endpoints"][-1:] or None,
                              "cpu": phase["cpu"]}), flush=True)
            result["mix"].append(phase)
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def table(report: dict) -> str:
    lines = []
    for result in report["results"]:
        bare = _rps(result["ceilings"].get("bare"))
        lines.append(f"\n### {result['size']:,} citizens, {result['workers']} gunicorn workers\n")
        lines.append("| ceiling (no think time) | req/s | share of bare | p95 ms |\n|---|---:|---:|---:|")
        for name, phase in result["ceilings"].items():
            rps = _rps(phase)
            share = f"{100 * rps / bare:.0f} %" if bare and rps is not None else "–"
            lines.append(f"| {name} | {rps} | {share} | {_total(phase).get('p95_ms')} |")
        for phase in result["mix"]:
            cpu = phase["cpu"]
            lines.append(f"\n**{phase['users']} users**: {_total(phase).get('rps')} req/s, "
                         f"app {cpu['app_ms_per_request']} ms + database {cpu['database_ms_per_request']} ms CPU "
                         f"per request, machine {100 * cpu['machine_busy_share']:.0f} % busy\n")
            lines.append("| endpoint | requests | failures | p50 | p95 | p99 | req/s |\n"
                         "|---|---:|---:|---:|---:|---:|---:|")
            lines += [f"| {r['name']} | {r['requests']} | {r['failures']} | {r['p50_ms']} | {r['p95_ms']} | "
                      f"{r['p99_ms']} | {r['rps']} |" for r in phase["endpoints"] if r["requests"]]
    return "\n".join(lines)


def _total(phase: dict | None) -> dict:
    return next((r for r in (phase or {}).get("endpoints", []) if r["name"] == "Aggregated"), {})


def _rps(phase: dict | None) -> float | None:
    """Successful answers per second (a 429 or an error is not throughput)."""
    total = _total(phase)
    if not total or not total.get("requests"):
        return None
    return round(total["rps"] * (total["requests"] - total["failures"]) / total["requests"], 1)


def main() -> dict:
    results = []
    for size in SIZES:
        url = _database(size)
        results.append(measure(url, size, USERS if size == SIZES[0] else SMALL_USERS))
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "code": support_bench._code(),  # noqa: SLF001
              "seconds_per_phase": SECONDS, "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(table(report))
    return report


if __name__ == "__main__":
    main()
