"""The citizen's confirmation link (no login): the visit's day and promised window, with no name or address since
a link may be forwarded; confirm, or pick another offered time. Every use is counted first (the rate limit); an
expired, replaced or forged link gets a plain explanation and changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import current_app, render_template, request, session
from flask_babel import format_date, gettext

from dispatch.models import Visit
from dispatch.service import confirm
from dispatch.views import bp
from servicecenter.db import unit_of_work
from servicecenter.extensions import db_session
from servicecenter.web import client_ip, now, public

# A browser remembers its answers for a while, so pressing a button twice (or reloading the answer) thanks again
# instead of saying the link is no longer valid (choosing another time takes the visit off the plan).
REMEMBERED, REMEMBER_FOR = 5, dt.timedelta(minutes=15)


@bp.route("/c/<token>", methods=["GET", "POST"])
@public
def confirm_link(token: str):
    s = db_session()
    try:
        with unit_of_work(s):
            confirm.note_use(s, client_ip(), now=now())
    except confirm.LinkRefused as error:
        return _refused(error, 429)
    if request.method == "POST":
        return _answer(token, request.form.get("choice", ""))
    try:
        visit = confirm.open_link(s, current_app.config["SECRET_KEY"], token, now=now())
    except confirm.LinkRefused as error:
        return _refused(error, token=token)
    return _page(token, visit)


def _page(token: str, visit: Visit, error: str | None = None, status: int = 200):
    return render_template("dispatch/confirm.html", token=token, visit=visit, planned=_slot(visit, 0), error=error,
                           others=[(n, _slot(visit, n)) for n in range(1, len(visit.offered_slots or []))]), status


def _answer(token: str, choice: str):
    """Confirm (slot 0), another offered time, or "none": none of them suits the citizen."""
    s = db_session()
    try:
        with unit_of_work(s):
            visit = confirm.open_link(s, current_app.config["SECRET_KEY"], token, now=now())
            slot = 0 if choice in ("confirm", "0") else -2 if choice == "none" else _index(choice)
            chosen = _slot(visit, slot) if 0 <= slot < len(visit.offered_slots or []) else None
            if slot == 0:
                confirm.confirm(s, visit, now=now())
            elif slot == -2:
                confirm.none_suits(s, visit, now=now())
            else:
                confirm.choose_slot(s, visit, slot, now=now())
    except confirm.SlotTaken as error:
        return _page(token, confirm.open_link(s, current_app.config["SECRET_KEY"], token, now=now()),
                     error.translate(gettext), error.status_code)
    except confirm.LinkRefused as error:
        return _refused(error, token=token)
    if slot != 0:
        _remember(token)
    return render_template("dispatch/confirm_done.html", confirmed=slot == 0, chosen=chosen, none_suits=slot == -2)


def _index(choice: str) -> int:
    return int(choice) if choice.isdigit() and len(choice) < 3 else -1


def _slot(visit: Visit, n: int) -> dict:
    if n == 0 or not visit.offered_slots:
        day, start, end = visit.scheduled_on, visit.window_start, visit.window_end
    else:
        iso, start, end = visit.offered_slots[n]
        day = dt.date.fromisoformat(iso)
    return {"day": format_date(day, "full"), "start": f"{start // 60:02d}:{start % 60:02d}",
            "end": f"{end // 60:02d}:{end % 60:02d}"}


def _refused(error: confirm.LinkRefused, status: int | None = None, *, token: str | None = None):
    """A refused link; but a link this browser has just answered (a second press) gets the thanks again."""
    if token is not None and _digest(token) in _answered():
        return render_template("dispatch/confirm_done.html", confirmed=None, chosen=None)
    return render_template("dispatch/confirm_refused.html", message=error.translate(gettext)), \
        status or error.status_code


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _answered() -> dict[str, str]:
    since = (now() - REMEMBER_FOR).isoformat()
    return {digest: at for digest, at in session.get("answered_links", []) if at > since}


def _remember(token: str) -> None:
    answered = {**_answered(), _digest(token): now().isoformat()}
    session["answered_links"] = sorted(answered.items(), key=lambda item: item[1])[-REMEMBERED:]
