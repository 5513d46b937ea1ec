"""The load benchmark's users (locust, headless; started by bench/load.py). Each class is one role doing its day's
frequent work with think time between actions. What they act on (the citizens each role may see, tickets, ready
devices and the places to scan them at, the technician's stops) is read from the database by bench/load.py and
handed over in the JSON file named by BENCH_LOAD_FIXTURES, so no request is a 404 that a real user would not make.

BENCH_LOAD_ONLY=<name> runs one endpoint without think time (the throughput ceilings: bare, devices, citizen, scan).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading

from locust import HttpUser, between, constant, task
from locust.clients import HttpSession

FIXTURES = json.loads(open(os.environ["BENCH_LOAD_FIXTURES"], encoding="utf-8").read())  # noqa: SIM115, PTH123
ONLY = os.environ.get("BENCH_LOAD_ONLY")
THINK = between(float(os.environ.get("BENCH_LOAD_THINK_MIN", "1")), float(os.environ.get("BENCH_LOAD_THINK_MAX", "4")))
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
_device_slices = itertools.count()
_login_numbers = {role: itertools.count() for role in FIXTURES["logins"]}
_slice_lock = threading.Lock()


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1) or found.group(2)


def _sign_in(client, role: str) -> str:
    """A person of her own for this role (the technicians share the one day with stops); returns the CSRF token."""
    names = FIXTURES["logins"][role]
    with _slice_lock:
        username = names[next(_login_numbers[role]) % len(names)]
    page = client.get("/login", name="login (form)")
    answer = client.post("/login", name="login", allow_redirects=False, data={
        "csrf_token": _csrf(page.text), "username": username, "password": FIXTURES["passwords"][username]})
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not sign in ({answer.status_code})")
    return _csrf(client.get("/", name="start page").text)


def _signed_in(environment) -> None:
    """When the last simulated user has signed in, the figures start over: they are of the work, not of a whole
    team signing in within seconds (argon2 is slow on purpose), which no morning in a service center looks like."""
    global _arrived  # noqa: PLW0603
    with _slice_lock:
        _arrived += 1
        everyone = _arrived == int(os.environ.get("BENCH_LOAD_USERS_NOW", "0"))
    if everyone:
        environment.stats.reset_all()


_arrived = 0


class Staff(HttpUser):
    abstract = True
    role = ""
    wait_time = THINK

    def on_start(self) -> None:
        self.token = _sign_in(self.client, self.role)
        self.prepare()
        _signed_in(self.environment)

    def prepare(self) -> None:
        """What a role sets up after signing in (the warehouse: the devices of her own)."""

    def post(self, url: str, data: dict, name: str):
        return self.client.post(url, name=name, data={"csrf_token": self.token, **data}, allow_redirects=False)


class Helpdesk(Staff):
    """On the phone: who is calling, her page, the queue, a ticket, a note on it, a call logged."""

    weight = 4
    role = "helpdesk"

    @task(3)
    def queue(self):
        self.client.get("/support/", name="support queue")

    @task(3)
    def caller_lookup(self):
        self.post("/citizens/search", {"q": random.choice(FIXTURES["search_terms"])}, "citizen search")

    @task(4)
    def citizen_page(self):
        self.client.get(f"/citizens/{random.choice(FIXTURES['helpdesk_citizens'])}", name="citizen page")

    @task(3)
    def ticket(self):
        self.client.get(f"/support/tickets/{random.choice(FIXTURES['tickets'])}", name="ticket")

    @task(1)
    def note(self):
        ticket = random.choice(FIXTURES["tickets"])
        self.post(f"/support/tickets/{ticket}/reply", {"body": "Ringede, aftalt nyt opkald i morgen.",
                                                       "kind": "note"}, "ticket note")


class Warehouse(Staff):
    """At the scanner: the device list, a device, and real ready devices loaded into a van and unloaded again."""

    weight = 2
    role = "warehouse"

    def prepare(self) -> None:
        with _slice_lock:  # each simulated user scans devices of her own: no two users scan the same device
            n = next(_device_slices)
        self.devices = FIXTURES["ready_devices"][n::max(1, int(os.environ.get("BENCH_LOAD_SLICES", "200")))]
        self.in_van: list[str] = []

    @task(3)
    def devices_list(self):
        self.client.get("/inventory/devices", name="device list")

    @task(2)
    def device(self):
        self.client.get(f"/inventory/devices/{random.choice(FIXTURES['ready_devices'])}", name="device page")

    @task(3)
    def scan(self):
        if self.in_van:
            tag = self.in_van.pop()
            self.post(f"/inventory/scan/unload?holder={FIXTURES['depot']}", {"code": tag}, "scan (unload)")
        elif self.devices:
            tag = random.choice(self.devices)
            self.post(f"/inventory/scan/load?holder={FIXTURES['van']}", {"code": tag}, "scan (load)")
            self.in_van.append(tag)


class Technician(Staff):
    """In the field: my day, a stop."""

    weight = 2
    role = "technician"

    @task(3)
    def my_day(self):
        self.client.get("/dispatch/my-day", name="my day")

    @task(2)
    def a_stop(self):
        if FIXTURES["stops"]:
            self.client.get(f"/dispatch/my-day/visits/{random.choice(FIXTURES['stops'])}", name="a stop")


class Nurse(Staff):
    """Her requests and her citizens."""

    weight = 1
    role = "nurse"

    @task(2)
    def requests(self):
        self.client.get("/dispatch/requests", name="nurse requests")

    @task(2)
    def citizen(self):
        if FIXTURES["nurse_citizens"]:
            self.client.get(f"/citizens/{random.choice(FIXTURES['nurse_citizens'])}", name="citizen page (nurse)")

    @task(1)
    def start_page(self):
        self.client.get("/", name="start page")


class Coordinator(Staff):
    """The plan of the day and the month's figures."""

    weight = 1
    role = "coordinator"

    @task(2)
    def plan(self):
        self.client.get("/dispatch/plan", name="plan page")

    @task(1)
    def dashboard(self):
        self.client.get(f"/coordination/?month={FIXTURES['last_month']}", name="dashboard")

    @task(1)
    def queue(self):
        self.client.get("/dispatch/", name="visit queue")


class Ceiling(Staff):
    """One endpoint as fast as it goes (BENCH_LOAD_ONLY): the throughput ceilings of the goals. The citizen page is
    read by a person at most RATE_LIMITS["record"] times a minute, so each simulated user works through
    CEILING_SESSIONS signed-in people in turn (the rate limit is not what is measured here)."""

    role = "helpdesk" if ONLY == "citizen" else "warehouse"
    wait_time = constant(0)

    def on_start(self) -> None:
        self.sessions = []
        if ONLY != "bare":
            for _ in range(int(os.environ.get("BENCH_LOAD_CEILING_SESSIONS", "25")) if ONLY == "citizen" else 1):
                session = HttpSession(self.host, self.environment.events.request, self)
                self.sessions.append((session, _sign_in(session, self.role)))
            self.client, self.token = self.sessions[0]
            Warehouse.prepare(self)
        self.turn = itertools.cycle(self.sessions)
        _signed_in(self.environment)

    @task
    def hit(self):
        if ONLY == "bare":
            self.client.get("/bare", name="bare flask")
            return
        self.client, self.token = next(self.turn)
        {"devices": Warehouse.devices_list, "citizen": Helpdesk.citizen_page, "scan": Warehouse.scan}[ONLY](self)


for _user in (Helpdesk, Warehouse, Technician, Nurse, Coordinator, Ceiling):  # a ceiling run wants only its own
    _user.abstract = (_user is Ceiling) != bool(ONLY)
del _user  # locust would take the name for one more user class
