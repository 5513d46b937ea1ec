"""Where a page's time goes, in-process: the load benchmark's pages (bench/locustfile.py) on a database it built,
each requested N times by the role that opens it; per page the wall and CPU time per request, the SQL statements
and their time, and a pyinstrument profile of the requests (bench/results/profile/<page>.txt).

    python -m bench.profile_pages [PAGE...]     BENCH_PROFILE_URL (default: the load benchmark's national database),
                                                BENCH_PROFILE_REQUESTS (default 30)

Needs pyinstrument (`make bench-load` installs it with the load extra). Not a benchmark of throughput: the figures
say what each request does, to find what to cut; `make bench-load` measures the effect under load.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from bench import load
from bench import support as support_bench

OUT = Path(__file__).resolve().parent / "results" / "profile"
REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "30"))


def pages(fx: dict) -> dict[str, tuple[str, str, callable]]:
    """name: (role, method, a function giving the next request's path and form)."""
    rng = random.Random(5)
    scanned: list[str] = []

    def scan():
        if scanned:
            return f"/inventory/scan/unload?holder={fx['depot']}", {"code": scanned.pop()}
        tag = fx["ready_devices"].pop()
        scanned.append(tag)
        return f"/inventory/scan/load?holder={fx['van']}", {"code": tag}

    return {
        "citizen page": ("helpdesk", "GET", lambda: (f"/citizens/{rng.choice(fx['helpdesk_citizens'])}", None)),
        "citizen page (nurse)": ("nurse", "GET", lambda: (f"/citizens/{rng.choice(fx['nurse_citizens'])}", None)),
        "citizen search": ("helpdesk", "POST", lambda: ("/citizens/search", {"q": rng.choice(fx["search_terms"])})),
        "support queue": ("helpdesk", "GET", lambda: ("/support/", None)),
        "ticket": ("helpdesk", "GET", lambda: (f"/support/tickets/{rng.choice(fx['tickets'])}", None)),
        "device list": ("warehouse", "GET", lambda: ("/inventory/devices", None)),
        "device page": ("warehouse", "GET", lambda: (f"/inventory/devices/{rng.choice(fx['ready_devices'])}", None)),
        "scan": ("warehouse", "POST", scan),
        "my day": ("technician", "GET", lambda: ("/dispatch/my-day", None)),
        "a stop": ("technician", "GET", lambda: (f"/dispatch/my-day/visits/{rng.choice(fx['stops'])}", None)
                   if fx["stops"] else ("/dispatch/my-day", None)),
        "nurse requests": ("nurse", "GET", lambda: ("/dispatch/requests", None)),
        "start page": ("nurse", "GET", lambda: ("/", None)),
        "plan page": ("coordinator", "GET", lambda: ("/dispatch/plan", None)),
        "dashboard": ("coordinator", "GET", lambda: (f"/coordination/?month={fx['last_month']}", None)),
        "visit queue": ("coordinator", "GET", lambda: ("/dispatch/", None)),
    }


def profile(app, statements: list, fx: dict, name: str, role: str, method: str, next_request) -> dict:
    from pyinstrument import Profiler

    client = app.test_client()
    username = fx["logins"][role][0]
    assert client.post("/login", data={"username": username, "password": fx["passwords"][username]}).status_code == 302
    call = client.get if method == "GET" else client.post

    def one() -> tuple[float, float, int, float]:
        path, data = next_request()
        statements.clear()
        began, cpu = time.perf_counter(), time.process_time()
        response = call(path, data=data) if data else call(path)
        elapsed, cpu = (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000
        assert response.status_code in (200, 302, 303), (name, path, response.status_code)
        return elapsed, cpu, len(statements), sum(st[3] or 0 for st in statements)

    for _ in range(3):
        one()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    samples = [one() for _ in range(REQUESTS)]
    profiler.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name.replace(' ', '_').replace('(', '').replace(')', '')}.txt").write_text(
        profiler.output_text(unicode=True, show_all=bool(os.environ.get("BENCH_PROFILE_ALL")), timeline=False))
    return {"page": name, "wall_p50_ms": round(statistics.median(s[0] for s in samples), 1),
            "cpu_p50_ms": round(statistics.median(s[1] for s in samples), 1),
            "statements": sorted({s[2] for s in samples}),
            "sql_ms_p50": round(statistics.median(s[3] for s in samples), 1)}


def main(chosen: list[str]) -> list[dict]:
    url = os.environ.get("BENCH_PROFILE_URL") or load._database(int(os.environ.get("BENCH_PROFILE_SIZE", "100000")))  # noqa: SLF001
    fx = load.fixtures(url)
    app, statements = support_bench.timed_app(url)
    app.config["RATE_LIMITS"] = {}
    rows = []
    for name, (role, method, next_request) in pages(fx).items():
        if chosen and name not in chosen:
            continue
        row = profile(app, statements, fx, name, role, method, next_request)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    app.extensions["database"].engine.dispose()
    name = url.rsplit("/", 1)[-1]
    (OUT / f"{name}.json").write_text(json.dumps({"database": name, "requests": REQUESTS, "pages": rows,
                                                  "load_average": os.getloadavg()[0]}, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
