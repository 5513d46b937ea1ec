"""Fuzzing shared by the tests (a small budget) and `bench/fuzzing.py` (100,000+ inputs): hypothesis strategies for
the inputs people and scanners type, and a harness that drives one app in-process with Flask's test client.

The promise checked for every input: never a 500 (an unhandled exception counts as one), and an import the app
refuses leaves every row count as it was; one it accepts adds all of its rows.

NUL bytes, ids >= 2**31 and bare CRs in a CSV are fuzzed too (servicecenter/inputguards.py and the import's checks
answer them); SKIP_KNOWN_ELSEWHERE = True would leave them out, for bisecting a regression of those guards.
"""

from __future__ import annotations

import datetime as dt
import io
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from stdnum import luhn

from inventory.models import Device, ImportBatch, Movement, SimCard
from inventory.tags import make_tag
from servicecenter.auth.models import Role
from servicecenter.citizens import cpr
from servicecenter.errors import DomainError

SKIP_KNOWN_ELSEWHERE = False
MAX_ID = 2**31 - 1 if SKIP_KNOWN_ELSEWHERE else 2**70
SCAN_MODES = ("accept", "load", "unload", "handover", "collect", "clean_start", "clean_finish", "test_pass", "fault",
              "repair_out", "repair_back", "lose", "find", "scrap")


# --- strategies ------------------------------------------------------------------------------------------------


def _no_known(text: str) -> bool:
    return not SKIP_KNOWN_ELSEWHERE or ("\x00" not in text and "\r" not in text)


# Any text (surrogates excluded: a browser cannot send them), with a bias towards the characters that break parsers.
TRICKY = "%_\\'\"<>&;,.-+*/ \t\n|=()[]{}æøåÆØÅé€\u200b\ufeff\u202e"
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80).filter(_no_known)
tricky_text = st.text(st.sampled_from(TRICKY + string.digits + "ADKBVxyz"), max_size=40).filter(_no_known)
digits = st.text(st.sampled_from(string.digits + " -/."), min_size=1, max_size=16)


@st.composite
def cpr_shaped(draw) -> str:
    """Ten digits that look like a CPR number (a date, maybe not a real one), with the usual separators."""
    day, month = draw(st.integers(0, 39)), draw(st.integers(0, 19))
    year, serial = draw(st.integers(0, 99)), draw(st.integers(0, 9999))
    sep = draw(st.sampled_from(["", "-", " ", "- ", "/", "\u2010", "\u2013"]))
    return f"{day:02d}{month:02d}{year:02d}{sep}{serial:04d}"


cpr_inputs = st.one_of(cpr_shaped(), digits, tricky_text, any_text)
search_queries = st.one_of(cpr_shaped(), digits, tricky_text, any_text,
                           st.sampled_from(["Jensen", "Anne Jensen", "8000", "Søndergade 1", "%", "_", "%%"]))


@st.composite
def tags(draw) -> str:
    """Our asset tags, a right one or one with a wrong check character, or a misread of one."""
    tag = make_tag(draw(st.sampled_from("DKBV")), draw(st.integers(1, 999_999)))
    how = draw(st.sampled_from(["right", "lower", "spaced", "wrong_check", "truncated"]))
    if how == "lower":
        return tag.lower()
    if how == "spaced":
        return f"{tag[:4]} {tag[4:]}"
    if how == "wrong_check":
        return tag[:-1] + draw(st.sampled_from(string.digits + string.ascii_uppercase))
    return tag[:-1] if how == "truncated" else tag


def iccid(n: int) -> str:
    body = f"8945{n:014d}"
    return body + luhn.calc_check_digit(body)


scan_codes = st.one_of(tags(), tricky_text, any_text, st.integers(0, 10**20).map(str))

CSV_COLUMNS = ("model", "serial", "iccid", "phone", "operator", "firmware", "purchased", "warranty_until")
csv_value = st.one_of(
    st.just(""), tricky_text, any_text, st.integers(0, 10**8).map(lambda n: f"S{n}"),
    st.integers(0, 10**9).map(iccid), st.sampled_from(["M-tablet", "m-TABLET", "M-scale", "nope"]),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["2026-02-30", "+4512345678", "12 34 56 78", "=cmd|' /C calc'!A0"]),
)


@st.composite
def clean_csv_files(draw) -> bytes:
    """A file that imports: fresh serials of known models (a tablet with its SIM), or the same file with one cell
    spoilt, which must import nothing at all."""
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        serial = draw(st.uuids()).hex[:16]
        if draw(st.booleans()):
            rows.append(["M-tablet", serial, iccid(draw(st.integers(0, 10**13))), "+4512345678"])
        else:
            rows.append([draw(st.sampled_from(["M-scale", "M-pulse_oximeter"])), serial, "", ""])
    if draw(st.booleans()):
        row, column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, 3))
        rows[row][column] = draw(csv_value)
    out = io.StringIO()
    for line in [["model", "serial", "iccid", "phone"], *rows]:
        out.write(",".join(_quote(v, ",") for v in line) + "\n")
    return out.getvalue().encode("utf-8")


@st.composite
def csv_files(draw) -> bytes:
    """A supplier file: a header of known (and sometimes unknown) columns, rows of right and wrong values,
    quoting, either delimiter, sometimes a BOM or a non-UTF-8 byte."""
    header = draw(st.lists(st.sampled_from(CSV_COLUMNS + ("colour", "")), min_size=0, max_size=8, unique=True))
    if draw(st.booleans()):
        header = ["model", "serial", *[h for h in header if h not in ("model", "serial")]]
    sep = draw(st.sampled_from([",", ";"]))
    rows = draw(st.lists(st.lists(csv_value, min_size=0, max_size=len(header) + 1), max_size=6))
    out = io.StringIO()
    for line in [header, *rows]:
        out.write(sep.join(_quote(v, sep) for v in line) + draw(st.sampled_from(["\n", "\r\n"])))
    data = out.getvalue().encode("utf-8")
    prefix = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xff"]))
    return prefix + data


def _quote(value: str, sep: str) -> str:
    if any(c in value for c in f'"{sep}\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def cpr_problem(text: str) -> str | None:
    """normalise_cpr answers a number or a DomainError, never anything else, and a number it accepts is ten digits
    that looks_like_cpr agrees with; None when that holds, else what went wrong."""
    try:
        number = cpr.normalise_cpr(text)
        looks = cpr.looks_like_cpr(text)
    except DomainError:
        return None
    except Exception as error:  # noqa: BLE001 - anything but a DomainError is the bug we look for
        return f"normalise_cpr({text!r}): {type(error).__name__}: {error}"
    if not (len(number) == 10 and number.isdigit() and looks and cpr.looks_like_cpr(number)):
        return f"normalise_cpr({text!r}) accepted {number!r}"
    return None


# --- the harness ----------------------------------------------------------------------------------------------


@dataclass
class Found:
    """What a run saw: inputs tried and the ones that broke a promise (the first few kept)."""
    inputs: int = 0  # generated examples (one example may be several requests: an upload and its confirm)
    requests: int = 0
    failures: int = 0
    examples: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)  # HTTP status -> how many (what the inputs reached)


class Harness:
    """One app, one database, a small inventory world and logged-in clients; each `*_one` method sends one input.

    strict=True (tests): a broken promise raises AssertionError, so hypothesis shrinks it and the test fails.
    strict=False (bench): it is counted in `found` and the run goes on.
    """

    def __init__(self, app, session, factory, *, strict: bool = True):
        from tests.inventory.helpers import World

        self.app, self.s, self.strict = app, session, strict
        self.found: dict[str, Found] = {}
        self.world = World(session, factory)
        self.devices = [self.world.device(category) for category in self.world.models for _ in range(2)]
        self.known_tags = [d.tag for d in self.devices]
        w = self.world
        self.holder_ids = [w.depot.id, w.depot2.id, w.van.id, w.van2.id]
        self.depot_id, self.region_id = w.depot.id, w.region.id
        for _ in range(3):
            factory.citizen()
        self.clients = {}
        for role in (Role.ADMIN, Role.HELPDESK, Role.WAREHOUSE, Role.NURSE):
            user = self.world.warehouse if role == Role.WAREHOUSE else factory.user(role)
            client = app.test_client()
            assert client.login(user.username).status_code == 302
            self.clients[role] = (client, client.csrf_token())
        session.rollback()  # no read transaction left open between inputs

    # -- sending --

    def _send(self, target: str, role: Role, method: str, url: str, shown: object = None, **kwargs):
        """One request; `shown` is what a failure report quotes instead of the arguments (an upload's bytes)."""
        client, token = self.clients[role]
        what = f"{method} {url} {shown if shown is not None else kwargs!r:.300}"
        found = self.found.setdefault(target, Found())
        found.requests += 1
        try:
            if method == "POST":
                headers = {"X-CSRFToken": token, **kwargs.pop("headers", {})}
                response = client.post(url, headers=headers, csrf=False, **kwargs)
            else:
                response = client.get(url, **kwargs)
        except Exception as error:  # noqa: BLE001 - an unhandled exception is the 500 we look for
            return self._broken(target, f"{what}: {type(error).__name__}: {str(error)[:300]}")
        found.statuses[response.status_code] += 1
        if response.status_code >= 500:
            return self._broken(target, f"{what}: HTTP {response.status_code}")
        return response

    def _broken(self, target: str, what: str) -> None:
        found = self.found[target]
        found.failures += 1
        if len(found.examples) < 5:
            found.examples.append(what)
        if self.strict:
            raise AssertionError(what)
        return None

    # -- targets --

    def cpr_one(self, text: str) -> None:
        problem = cpr_problem(text)
        if problem:
            self._broken("cpr", problem)

    def citizen_search_one(self, q: str) -> None:
        self._send("citizen_search", Role.HELPDESK, "POST", "/citizens/search", data={"q": q})

    def nurse_search_one(self, q: str) -> None:
        self._send("nurse_search", Role.NURSE, "POST", "/citizens/search", data={"q": q})

    def device_search_one(self, q: str) -> None:
        self._send("device_search", Role.WAREHOUSE, "GET", "/inventory/devices", query_string={"q": q})

    def support_search_one(self, q: str) -> None:
        self._send("support_search", Role.HELPDESK, "POST", "/support/call", data={"q": q})
        self._send("support_search", Role.HELPDESK, "GET", "/support/kb", query_string={"q": q})

    def scan_one(self, mode: str, code: str, holder: int | None) -> None:
        data = {"code": code} if "\n" not in code else {"codes": code}
        if holder is not None:
            data["holder"] = str(holder)
        self._send("scan", Role.WAREHOUSE, "POST", f"/inventory/scan/{mode}", data=data,
                   headers={"HX-Request": "true"})

    def import_one(self, data: bytes) -> None:
        """Upload then confirm: a refused import changes no count, an accepted one adds every row."""
        before = self.counts()
        form = {"file": (io.BytesIO(data), "levering.csv"), "depot_id": str(self.depot_id),
                "owner_organisation_id": str(self.region_id)}
        response = self._send("import", Role.WAREHOUSE, "POST", "/inventory/import", shown=repr(data[:300]), data=form,
                              content_type="multipart/form-data")
        if response is None or response.status_code != 302:
            if response is not None and self.counts()["batches"] != before["batches"]:
                self._broken("import", f"upload refused but a batch was saved: {data[:200]!r}")
            return
        batch = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
        if self._send("import", Role.WAREHOUSE, "POST", f"/inventory/import/{batch}") is None:
            return
        after = self.counts()
        row_count = self.s.scalar(select(ImportBatch.row_count).where(ImportBatch.id == batch))
        self.s.rollback()
        added = after["devices"] - before["devices"]
        self.found["import"].statuses["imported" if added else "refused"] += 1
        if added not in (0, row_count) or (added == 0 and after != {**before, "batches": before["batches"] + 1}):
            self._broken("import", f"half-saved import ({before} -> {after}, {row_count} rows): {data[:300]!r}")

    def counts(self) -> dict[str, int]:
        self.s.rollback()  # a fresh snapshot: SQLite keeps showing an open read transaction's old one
        counts = {name: self.s.scalar(select(func.count()).select_from(model))
                  for name, model in (("devices", Device), ("sims", SimCard), ("movements", Movement),
                                      ("batches", ImportBatch))}
        self.s.rollback()
        return counts


# --- running ----------------------------------------------------------------------------------------------------


def fuzz_settings(max_examples: int, *, bench: bool = False) -> settings:
    """No example database (runs are independent), no deadline (a shared 2-core machine), function-scoped
    fixtures allowed (one app and database reused on purpose); the bench only generates, it does not shrink."""
    return settings(max_examples=max_examples, database=None, deadline=None, derandomize=not bench,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate] if bench else [Phase.explicit, Phase.generate, Phase.shrink])


def _codes(harness: Harness) -> st.SearchStrategy:
    """One code, or a pasted list; biased towards the devices that exist, so scans also succeed."""
    one = st.one_of(st.sampled_from(harness.known_tags), scan_codes)
    return st.one_of(one, st.lists(one, max_size=5).map("\n".join))


TARGETS: dict[str, tuple[Callable, Callable]] = {
    # name: (strategies for @given, how the harness sends one)
    "cpr": (lambda h: (cpr_inputs,), lambda h: h.cpr_one),
    "citizen_search": (lambda h: (search_queries,), lambda h: h.citizen_search_one),
    "nurse_search": (lambda h: (search_queries,), lambda h: h.nurse_search_one),
    "device_search": (lambda h: (search_queries,), lambda h: h.device_search_one),
    "support_search": (lambda h: (search_queries,), lambda h: h.support_search_one),
    "scan": (lambda h: (st.sampled_from(SCAN_MODES + ("nope", "%2e%2e")), _codes(h),
                        st.none() | st.sampled_from(h.holder_ids) | st.integers(-5, MAX_ID)), lambda h: h.scan_one),
    "import": (lambda h: (st.one_of(csv_files(), clean_csv_files()),), lambda h: h.import_one),
}


def run(harness: Harness, name: str, max_examples: int, *, bench: bool = False) -> Found:
    strategies, sender = TARGETS[name]
    send = sender(harness)

    @fuzz_settings(max_examples, bench=bench)
    @given(st.tuples(*strategies(harness)))
    def check(values):
        harness.found.setdefault(name, Found()).inputs += 1
        send(*values)

    check()
    return harness.found.get(name, Found())
