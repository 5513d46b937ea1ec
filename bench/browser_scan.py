"""Scan-to-answer in the browser (issue 13): Enter to the answer row shown, as the warehouse sees it.

A live server (gunicorn with the repository's gunicorn.conf.py and 4 sync workers, as the README deploys it) on the
demo data (300 citizens, the inventory and dispatch demos) plus enough ready devices for every scan; Debian's
Chromium through Playwright, logged in as the demo warehouse user, on "Load van" with a van chosen. Each round is 10
scans back to back, as a keyboard-wedge scanner sends them (the code typed and Enter, no waiting for the answer in
between); the page records performance.now() at each Enter (a capture listener on the scan field, before the page's
own handler) and when the answer row for that code is inserted into the scan log (a MutationObserver), so the time
is the browser's own: the wait behind earlier scans, the request, the server, the rendering of the row. One warm-up
round, then ROUNDS measured rounds. Browser, benchmark and server share the machine's cores.

BENCH_SCAN_PACE_MS puts that many milliseconds between one Enter and the next code (default 0, the burst above);
the result goes to browser_scan-paced.json then, so the burst's stays.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.citizens import percentile, postgres_url
from bench.scale import build, fresh_postgres
from inventory import service
from inventory.models import Device, DeviceModel, DeviceStatus, Holder, HolderKind
from servicecenter import create_app
from servicecenter.auth.models import Role, User
from servicecenter.db import unit_of_work, utcnow
from servicecenter.organisations.models import Organisation, OrganisationKind

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SCANS = 10
ROUNDS = int(os.environ.get("BENCH_BROWSER_ROUNDS", "10"))
# Milliseconds between one scan's Enter and the next code: 0 is a burst with no gap at all (the worst case: ten codes
# in about a tenth of a second); 300 is a fast person with a handheld scanner (three labels a second).
PACE_MS = int(os.environ.get("BENCH_SCAN_PACE_MS", "0"))
CITIZENS = 300
WAREHOUSE = ("lager", "Servicecenter-demo-5")
GOAL_P95_MS = 150

# Installed before the page's scripts: Enter on the scan field (capture phase, so before the submit handler empties
# the field) and each answer row as it is inserted, both with the page's own clock.
PROBE = """
window.__scan = {enter: {}, shown: {}};
document.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && event.target && event.target.id === "code") {
    window.__scan.enter[event.target.value.trim().toUpperCase()] = performance.now();
  }
}, true);
document.addEventListener("DOMContentLoaded", function () {
  new MutationObserver(function (changes) {
    var now = performance.now();
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        var match = node.nodeType === 1 && /[DK][0-9]{6}[0-9A-Z]/.exec(node.textContent);
        if (match && !(match[0] in window.__scan.shown)) window.__scan.shown[match[0]] = now;
      });
    });
  }).observe(document.getElementById("scan-log"), {childList: true});
});
"""


def _prepare(url: str, devices: int) -> dict:
    """The demo data and `devices` more ready devices at the Aarhus depot (registered and accepted)."""
    build(url, citizens=CITIZENS)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    s = app.extensions["database"].factory()
    with unit_of_work(s):
        for loader in app.extensions.get("demo_loaders", []):
            loader(s, now=utcnow())
    with unit_of_work(s):
        warehouse = s.scalar(select(User).where(User.role == Role.WAREHOUSE))
        depot = s.scalar(select(Holder).where(Holder.kind == HolderKind.DEPOT).order_by(Holder.id))
        region = s.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.REGION))
        model = s.scalar(select(DeviceModel).order_by(DeviceModel.id))
        tags = []
        for n in range(devices):
            device = service.register_device(s, service.DeviceData(model_id=model.id, serial=f"BROWSER{n:05d}",
                                                                   owner_organisation_id=region.id),
                                             depot=depot, actor=warehouse, now=utcnow())
            service.scan(s, "accept", device.tag, service.Context(actor=warehouse, now=utcnow()))
            tags.append(device.tag)
        van = s.scalar(select(Holder).where(Holder.kind == HolderKind.VAN).order_by(Holder.id))
        size = {"devices": s.query(Device).count(), "ready": s.query(Device).filter(
            Device.status == DeviceStatus.READY).count(), "citizens": CITIZENS}
    s.close()
    app.extensions["database"].engine.dispose()
    return {"tags": tags, "van": van.id, "size": size}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(url: str, instance: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-browser", "SC_INSTANCE_PATH": instance}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                               "--bind", f"127.0.0.1:{port}", "--workers", "4", "app:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def _rounds(base: str, van: int, tags: list[str]) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_FLAGS

    times: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        page = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}).new_page()
        page.add_init_script(PROBE)
        page.goto("/login")
        page.fill("#username", WAREHOUSE[0])
        page.fill("#password", WAREHOUSE[1])
        page.press("#password", "Enter")
        page.wait_for_url(base + "/")
        for number in range(ROUNDS + 1):  # round 0 warms the server's workers and the browser up
            batch = tags[number * SCANS:(number + 1) * SCANS]
            page.goto(f"/inventory/scan/load?holder={van}")
            page.locator("#code:focus").wait_for()
            for tag in batch:
                page.keyboard.type(tag)
                page.keyboard.press("Enter")
                if PACE_MS:
                    page.wait_for_timeout(PACE_MS)
            page.locator("#scan-log [data-scan-result]").nth(len(batch) - 1).wait_for()
            assert page.locator("#scan-log [data-scan-result=error]").count() == 0, page.inner_text("#scan-log")
            probe = page.evaluate("window.__scan")
            if number:
                times += [probe["shown"][tag] - probe["enter"][tag] for tag in batch]
        browser.close()
    return times


def _measure(backend: str, url: str) -> dict:
    data = _prepare(url, SCANS * (ROUNDS + 1))
    with tempfile.TemporaryDirectory() as instance:
        server, base = _serve(url, instance)
        try:
            times = _rounds(base, data["van"], data["tags"])
        finally:
            server.terminate()
            try:
                server.wait(timeout=40)  # gunicorn lets its workers finish (30 s at most)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return {"backend": backend, "size": data["size"], "scans": len(times), "pace_ms": PACE_MS,
            "p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1), "goal_p95_ms": GOAL_P95_MS}


def _cpu_pressure() -> float | None:
    """The share of the last minute in which some task waited for a CPU (Linux PSI), in percent: other work on the
    machine slows every number here."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return None
    return float(dict(field.split("=") for field in some.split()[1:])["avg60"])


def main() -> dict:
    results = []
    load_before, pressure_before = round(os.getloadavg()[0], 2), _cpu_pressure()
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{tmp}/browser-scan.db")]
        pg = None if os.environ.get("BENCH_SQLITE_ONLY") else postgres_url("sc_bench_browser")
        if pg:
            fresh_postgres(pg)
            backends.append(("postgresql", pg))
        for backend, url in backends:
            results.append(_measure(backend, url))
            print(json.dumps(results[-1]), flush=True)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "server": "gunicorn, 4 sync workers (the README's), on the same machine as the browser",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "load_average_before": load_before, "cpu_pressure_before_percent": pressure_before,
              "cpu_pressure_after_percent": _cpu_pressure(), "results": results}
    RESULTS.mkdir(exist_ok=True)
    name = "browser_scan-paced.json" if PACE_MS else "browser_scan.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
