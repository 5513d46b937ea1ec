"""Scan pages: one autofocused field for keyboard-wedge scanners (Enter ends a code) and a paste-a-list mode.
Each code is its own transaction and gets its own green or red answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from inventory import service
from inventory.forms import CLEANING_METHODS, HOLDER_LABELS, TEST_METHODS
from inventory.models import HolderKind
from inventory.tags import parse_tag
from inventory.views import bp
from servicecenter.auth.permissions import Permission, can_hand_over_outside_visit, can_scan
from servicecenter.citizens.service import can_see
from servicecenter.courses.service import get_course
from servicecenter.db import unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.inputguards import bounded_int
from servicecenter.web import now, require

MAX_PASTED = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mode:
    label: str
    places: tuple[HolderKind, ...] = ()  # the place to choose before scanning
    methods: tuple = ()
    asks_reason: bool = False
    outside_visit: bool = False  # into or out of a home without a visit: with a reason (the service checks it)
    permission: Permission = can_scan  # who may use the mode, beyond scanning at all


MODES = {
    "accept": Mode(_l("Receive delivery (goods-in)")),
    "load": Mode(_l("Load van"), (HolderKind.VAN,)),
    "unload": Mode(_l("Unload van at depot"), (HolderKind.DEPOT,)),
    "handover": Mode(_l("Hand over to citizen"), (HolderKind.COURSE,), asks_reason=True, outside_visit=True,
                     permission=can_hand_over_outside_visit),
    "collect": Mode(_l("Collect from citizen"), (HolderKind.VAN, HolderKind.DEPOT), asks_reason=True,
                    outside_visit=True),
    "clean_start": Mode(_l("Start cleaning")),
    "clean_finish": Mode(_l("Finish cleaning"), methods=tuple(CLEANING_METHODS)),
    "test_pass": Mode(_l("Function test passed"), (HolderKind.DEPOT,), tuple(TEST_METHODS)),
    "fault": Mode(_l("Report faulty"), asks_reason=True),
    "repair_out": Mode(_l("Send to repair"), (HolderKind.REPAIR,)),
    "repair_back": Mode(_l("Back from repair"), (HolderKind.DEPOT,)),
    "lose": Mode(_l("Report lost"), asks_reason=True),
    "find": Mode(_l("Found again"), (HolderKind.DEPOT,)),
    "scrap": Mode(_l("Scrap"), asks_reason=True),
}


@dataclass(frozen=True)
class Answer:
    ok: bool
    code: str
    text: str
    warning: str | None = None


def _course(s):
    """The citizen's course a handover goes to: only for those who may see the citizen (the service refuses an
    ended course, or one not set up yet)."""
    course_id = request.values.get("course", type=bounded_int)
    if not course_id:
        return None
    if not can_see(s, current_user, get_course(s, course_id).citizen_id, now()):
        abort(404)
    return get_course(s, course_id)


def _place(s, mode: Mode):
    """The chosen van, depot or citizen's home (made on the first handover, inside the write transaction)."""
    if HolderKind.COURSE in mode.places:
        course = _course(s)
        return service.course_holder(s, course) if course else None
    holder_id = request.values.get("holder", type=bounded_int)
    holder = service.get_holder(s, holder_id) if holder_id else None
    return holder if holder is None or holder.kind in mode.places else None


def _scan_one(mode_name: str, mode: Mode, code: str) -> Answer:
    s = db_session()
    try:
        with unit_of_work(s):
            ctx = service.Context(actor=current_user, now=now(), holder=_place(s, mode),
                                  method=request.form.get("method") or None,
                                  factory_reset=request.form.get("factory_reset") == "y",
                                  note=request.form.get("note", "").strip()[:500] or None)
            result = service.scan(s, mode_name, code, ctx)
    except DomainError as error:
        return Answer(False, code, error.translate(gettext))
    except SQLAlchemyError:
        log.exception("scan not saved (request %s)", g.get("request_id"))
        return Answer(False, code, gettext("%(code)s was not saved (the database was busy). Scan it again.",
                                           code=code[:20]))
    warning = gettext(result.warning, **result.warning_params) if result.warning else None
    return Answer(True, result.tag, gettext(result.message, **result.params), warning)


def _modes() -> dict[str, Mode]:
    """The scan modes this person may use (a handover outside a visit: only who may see the citizen and goes to
    homes)."""
    return {name: mode for name, mode in MODES.items() if mode.permission(current_user)}


@bp.get("/scan/")
@require(can_scan)
def scan_modes():
    return render_template("inventory/scan_modes.html", modes=_modes())


@bp.route("/scan/<mode_name>", methods=["GET", "POST"])
@require(can_scan)
def scan(mode_name: str):
    if mode_name in MODES and mode_name not in _modes():
        abort(403)
    mode = MODES.get(mode_name) or abort(404)
    s = db_session()
    answers = []
    if request.method == "POST":
        codes = _codes()
        chosen = _scanned_place(s, mode, codes)
        if chosen is not None and not isinstance(chosen, Answer):
            return _choose(s, mode_name, mode, chosen)
        answers = [chosen] if chosen else _scan_all(s, mode_name, mode, codes)
        if request.headers.get("HX-Request"):
            return render_template("inventory/_scan_answers.html", answers=list(reversed(answers)))
    elif _needs_place(mode) and "holder" not in request.args and (van := _own_van(s, mode)):
        return redirect(url_for("inventory.scan", mode_name=mode_name, holder=van))
    places = service.list_holders(s, *[k for k in mode.places if k != HolderKind.COURSE])
    course = _course(s) if HolderKind.COURSE in mode.places else None
    place = None if HolderKind.COURSE in mode.places else _place(s, mode)
    action = url_for("inventory.scan", mode_name=mode_name, **{k: v for k, v in request.args.items() if k != "holder"})
    return render_template("inventory/scan.html", mode_name=mode_name, mode=mode, places=places, place=place,
                           course=course, answers=list(reversed(answers)), place_kinds=_place_kinds(mode),
                           scan_action=action)


def _needs_place(mode: Mode) -> bool:
    """A van, depot or repair vendor to choose (a citizen's home is chosen on the citizen's page)."""
    return bool(mode.places) and HolderKind.COURSE not in mode.places


def _scan_all(s, mode_name: str, mode: Mode, codes: list[str]) -> list[Answer]:
    if _needs_place(mode) and _place(s, mode) is None:
        return [Answer(False, code, _scan_place_first(mode)) for code in codes]
    return [_scan_one(mode_name, mode, code) for code in codes]


def _place_kinds(mode: Mode) -> str:
    return " / ".join(str(HOLDER_LABELS[kind]).lower() for kind in mode.places)


def _scan_place_first(mode: Mode) -> str:
    return gettext("Scan the label of the place first (%(kinds)s), then the devices.", kinds=_place_kinds(mode))


def _scanned_place(s, mode: Mode, codes: list[str]):
    """A place's label scanned on a page that asks for a place: the place it chooses, or an answer saying why it
    cannot; None when the code is no place label (then it is a device's or a kit's scan). A place label is never
    taken as a device."""
    if not _needs_place(mode) or len(codes) != 1:
        return None
    try:
        tag = parse_tag(codes[0])
    except DomainError:
        return None  # the scan itself answers why
    if not service.is_place_tag(tag):
        return None
    label = service.place_by_tag(s, tag)
    place = service.place_for(s, label, mode.places) if label else None
    if place is None:
        return Answer(False, tag, gettext("%(tag)s is not a place for this page. Scan the label of the place "
                                          "(%(kinds)s).", tag=tag, kinds=_place_kinds(mode)))
    return place


def _choose(s, mode_name: str, mode: Mode, place) -> Response:
    """The place chosen: with the page's script, the place panel and the form's place are replaced in the page
    (scans sent meanwhile go to the new place, the cursor stays in the field, the address follows); without, the
    page again."""
    message = gettext("%(place)s chosen. Scan the devices.", place=place.name)
    target = url_for("inventory.scan", mode_name=mode_name, holder=place.id)
    if not request.headers.get("HX-Request"):
        flash(message, "success")
        return redirect(target)
    places = service.list_holders(s, *mode.places)
    html = render_template("inventory/_place_chosen.html", place=place, places=places, mode_name=mode_name,
                           place_kinds=_place_kinds(mode), answers=[Answer(True, service.place_tag(place), message)])
    return Response(html, headers={"HX-Replace-Url": target})


def _own_van(s, mode: Mode) -> int | None:
    """The technician's own van, preselected where a van is one of the places: asked of the features that know
    whose van it is (dispatch registers "own_van"), else the van recorded as the user's in inventory."""
    if HolderKind.VAN not in mode.places:
        return None
    for lookup in current_app.extensions.get("own_van", []):
        if van_id := lookup(s, current_user.id):
            return van_id
    van = service.van_of_user(s, current_user.id)
    return van.id if van else None


def _codes() -> list[str]:
    if request.form.get("codes"):
        lines = [line.strip() for line in request.form["codes"].splitlines() if line.strip()]
        return lines[:MAX_PASTED]
    code = request.form.get("code", "").strip()
    return [code] if code else []


@bp.route("/count", methods=["GET", "POST"])
@require(can_scan)
def stock_count():
    """Stock count: the codes scanned at a place against what the ledger says is there."""
    s = db_session()
    places = service.list_holders(s, HolderKind.DEPOT, HolderKind.VAN)
    holder_id = request.values.get("holder", type=bounded_int)
    if holder_id is not None and holder_id not in {p.id for p in places}:
        abort(400)
    result = None
    if request.method == "POST" and holder_id:
        scanned, refused = set(), []
        for line in filter(str.strip, request.form.get("codes", "").splitlines()[:5000]):
            try:
                scanned |= service.tags_behind(s, parse_tag(line))  # a kit label counts as its members
            except DomainError as error:
                refused.append(error.translate(gettext))
        expected = {d.tag for d in service.holdings(s, holder_id, per_page=100_000)}
        result = {"missing": sorted(expected - scanned), "unexpected": sorted(scanned - expected),
                  "matched": len(expected & scanned), "refused": refused}
    return render_template("inventory/count.html", places=places, holder_id=holder_id, result=result)
