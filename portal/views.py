"""The portal's pages. Every view is public to Flask-Login (no staff login) and checks the portal's own session:
`_signed_in()` is the portal's deny-by-default, and `_part()` the level and scope each page needs. No personal
data in the address: a visit is named by its id, and anything not hers is a 404."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from portal.models import Assurance, GrantScope, PortalSession
from portal.oidc import MitIdFailed, init_oidc, mitid_identity, start_mitid
from portal.service import grants, selfservice, signin
from servicecenter import idempotency
from servicecenter.citizens.models import Citizen
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import N_, DomainError, NotFound
from servicecenter.extensions import db_session, get_database
from servicecenter.outbox.delivery import deliver_due
from servicecenter.outbox.senders import make_sender
from servicecenter.outbox.service import Policy
from servicecenter.web import client_ip, now, page_arg, public, public_url

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")
log = logging.getLogger(__name__)
TOKEN_KEY, NUMBER_KEY, CHOICES_KEY = "portal", "portal_number", "portal_choices"


def init_portal(app) -> None:
    init_oidc(app)
    app.add_template_global(signin.may, "portal_may")


@bp.app_context_processor
def portal_labels():
    return {"what_happens": lambda kind: gettext(selfservice.WHAT_HAPPENS[kind]),
            "device_purpose": lambda category: gettext(selfservice.PURPOSES[category]),
            "scope_label": lambda scope: gettext(grants.SCOPE_LABELS[scope]),
            "problem_label": lambda key: gettext(selfservice.PROBLEMS[key][1]),
            "slot_day": lambda slot: dt.date.fromisoformat(slot[0]),
            "first_name": lambda visit: visit.technician.user.full_name.split()[0] if visit.technician else None}


def _limits() -> signin.Limits:
    return signin.Limits.from_config(current_app.config)


def _rule(visit) -> selfservice.BookingRule:
    return selfservice.rules_from(current_app.config.get("PORTAL_BOOKING_RULES"))[visit.kind]


def _signed_in() -> PortalSession | None:
    s = db_session()
    with unit_of_work(s):
        row = signin.current_session(s, session.get(TOKEN_KEY), now=now(), limits=_limits())
    if row is None:
        session.pop(TOKEN_KEY, None)
    g.portal = row
    return row


def _part(part: str, *, page: str | None = None) -> PortalSession:
    """The session if it may see this part; else to sign-in (none), to MitID (code level), or 404 (not granted).
    A relative's read is logged, for the citizen to see."""
    row = _signed_in()
    if row is None:
        abort(redirect(url_for("portal.start")))
    if not signin.may(row, part):
        if row.assurance == Assurance.LOW and signin.may(_as_substantial(row), part):
            flash(gettext("Sign in with MitID to see this."), "info")
            abort(redirect(url_for("portal.home")))
        abort(404)
    if page and row.grant is not None:
        s = db_session()
        with unit_of_work(s):
            signin.portal_event(s, row, "portal.view", now=now(), detail={"page": page})
    return row


def _as_substantial(row: PortalSession) -> PortalSession:
    return PortalSession(assurance=Assurance.SUBSTANTIAL, grant=row.grant)


def _sign_in(token: str) -> None:
    session.pop(CHOICES_KEY, None)
    session.pop(NUMBER_KEY, None)
    session[TOKEN_KEY] = token


# --- signing in -------------------------------------------------------------------------------------------------


@bp.get("/")
@public
def start():
    if _signed_in() is not None:
        return redirect(url_for("portal.home"))
    return render_template("portal/start.html", mitid=bool(current_app.config.get("PORTAL_OIDC_ISSUER")))


@bp.post("/code")
@public
def ask_code():
    s = db_session()
    number = request.form.get("number", "")
    try:
        with unit_of_work(s):
            message_id = signin.request_code(s, number, address=client_ip(), now=now(), limits=_limits(),
                                             secret=current_app.config["SECRET_KEY"],
                                             link=public_url("portal.code_form"))
            key = signin.number_key(number)
    except DomainError as error:
        status = error.status_code if error.status_code != 400 else 422
        return render_template("portal/start.html", number_error=error.translate(gettext), number=number[:20],
                               mitid=bool(current_app.config.get("PORTAL_OIDC_ISSUER"))), status
    if message_id is not None:
        _send_now(message_id)
    session[NUMBER_KEY] = key
    return redirect(url_for("portal.code_form"))


@bp.get("/code")
@public
def code_form():
    if NUMBER_KEY not in session:
        return redirect(url_for("portal.start"))
    return render_template("portal/code.html", ending=session[NUMBER_KEY][-2:])


@bp.post("/code/check")
@public
def check_code():
    key = session.get(NUMBER_KEY)
    if key is None:
        return redirect(url_for("portal.start"))
    s = db_session()
    with unit_of_work(s):
        verdict = signin.verify_code(s, key, request.form.get("code", ""), address=client_ip(), now=now(),
                                     limits=_limits(), secret=current_app.config["SECRET_KEY"])
    if verdict.locked:
        message = gettext("Too many wrong codes. Sign-in with this number is locked for an hour. Call the service "
                          "center if you need help.")
        return render_template("portal/code.html", ending=key[-2:], code_error=message), 429
    if not verdict.subjects:
        message = gettext("The code is wrong or has expired. Check the text message, or ask for a new code.")
        return render_template("portal/code.html", ending=key[-2:], code_error=message), 422
    return _after_identified(verdict.subjects, Assurance.LOW, key, how="code")


def _send_now(message_id: int) -> None:
    """The code goes out now, after the commit that made it; if the gateway fails, the job tries again."""
    config = current_app.config
    deliver_due(get_database().factory, make_sender(config), policy=Policy.from_config(config), only=[message_id])


def _after_identified(subjects: list[signin.Subject], assurance: Assurance, key: str | None, *, how: str):
    if len(subjects) == 1:
        s = db_session()
        with unit_of_work(s):
            token, _row = signin.open_session(s, subjects[0], assurance=assurance, now=now(), number=key, how=how)
        _sign_in(token)
        return redirect(url_for("portal.home"))
    session[CHOICES_KEY] = {"subjects": [[x.citizen_id, x.grant_id] for x in subjects], "level": assurance.value,
                            "number": key, "how": how, "at": now().isoformat()}
    return redirect(url_for("portal.choose"))


@bp.route("/choose", methods=["GET", "POST"])
@public
def choose():
    """One number or one MitID may stand for more than one record (her own, and a relative's she was given)."""
    pending = session.get(CHOICES_KEY)
    if not pending or now() - dt.datetime.fromisoformat(pending["at"]) > dt.timedelta(minutes=5):
        session.pop(CHOICES_KEY, None)
        return redirect(url_for("portal.start"))
    subjects = [signin.Subject(c, g) for c, g in pending["subjects"]]
    if request.method == "POST":
        picked = request.form.get("subject", "")
        chosen = next((x for n, x in enumerate(subjects) if str(n) == picked), None)
        if chosen is not None:
            session.pop(CHOICES_KEY)
            return _after_identified([chosen], Assurance(pending["level"]), pending["number"], how=pending["how"])
    s = db_session()
    names = [(n, s.get(Citizen, x.citizen_id).full_name, x.grant_id is not None) for n, x in enumerate(subjects)]
    return render_template("portal/choose.html", names=names)


@bp.get("/mitid")
@public
def mitid():
    """Sign in with MitID, or step up from a code session."""
    if not current_app.config.get("PORTAL_OIDC_ISSUER"):
        abort(404)
    return start_mitid(public_url("portal.mitid_callback"))


@bp.get("/mitid/callback")
@public
def mitid_callback():
    try:
        cpr = mitid_identity()
    except MitIdFailed as error:
        flash(error.translate(gettext), "danger")
        return redirect(url_for("portal.home" if session.get(TOKEN_KEY) else "portal.start"))
    row = _signed_in()
    s = db_session()
    if row is not None:
        with unit_of_work(s):
            stepped = signin.step_up(s, row, cpr, now=now())
        if stepped is None:
            session.pop(TOKEN_KEY, None)
            flash(gettext(signin.STEP_UP_REFUSED), "danger")
            return redirect(url_for("portal.start"))
        _sign_in(stepped[0])
        return redirect(url_for("portal.home"))
    subjects = signin.subjects_of_cpr(s, cpr, today=local_date(now()))
    if not subjects:
        flash(gettext("We have no record for you, and no one has given you access. Call the service center."),
              "warning")
        return redirect(url_for("portal.start"))
    return _after_identified(subjects, Assurance.SUBSTANTIAL, None, how="mitid")


@bp.post("/logout")
@public
def logout():
    row = _signed_in()
    if row is not None:
        s = db_session()
        with unit_of_work(s):
            signin.end_session(row, now=now())
    session.pop(TOKEN_KEY, None)
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("portal.start"))


# --- her pages --------------------------------------------------------------------------------------------------


@bp.get("/home")
@public
def home():
    row = _part("visits", page="home")
    s = db_session()
    visits = selfservice.coming_visits(s, row.citizen_id)
    rules = selfservice.rules_from(current_app.config.get("PORTAL_BOOKING_RULES"))
    data = {"visits": [(v, selfservice.choices(v, rules[v.kind], now=now())) for v in visits]}
    if signin.may(row, "devices"):
        data["devices"] = selfservice.devices(s, row.citizen_id)
    if signin.may(row, "trainings"):
        data["trainings"] = selfservice.trainings(s, row.citizen_id)
    if signin.may(row, "contacts"):
        data["contacts"] = row.citizen.contacts
        data["organisations"] = selfservice.organisations_of(s, row)
    return render_template("portal/home.html", row=row, purposes=selfservice.PURPOSES, **data)


def _visit(row: PortalSession, visit_id: int):
    try:
        return selfservice.visit_of(db_session(), row.citizen_id, visit_id)
    except NotFound:
        abort(404)


@bp.post("/visits/<int:visit_id>/confirm")
@public
def confirm_visit(visit_id: int):
    row = _part("visits")
    s = db_session()
    visit = _visit(row, visit_id)
    try:
        with unit_of_work(s):
            selfservice.confirm(s, row, visit, _rule(visit), now=now())
    except DomainError as error:
        flash(error.translate(gettext), "danger")
    else:
        flash(gettext("Thank you: the time is confirmed."), "success")
    return redirect(url_for("portal.home"))


@dataclass
class VisitForm:
    visit: object
    rule: selfservice.BookingRule
    error: str | None = None
    done: object = None  # the redirect after a change that went through


def _visit_form(visit_id: int, page: str, change, done: str) -> VisitForm:
    """A page with a form about one of her visits: on POST the change in one unit of work, then home with `done`;
    refused, the page again with the reason (and the visit as it is now)."""
    row = _part("visits", page=page)
    visit = _visit(row, visit_id)
    form = VisitForm(visit, _rule(visit))
    if request.method == "POST":
        s = db_session()
        try:
            with unit_of_work(s):
                change(s, row, form.visit, form.rule)
        except DomainError as failure:
            form.error, form.visit = failure.translate(gettext), _visit(row, visit_id)
        else:
            flash(gettext(done), "success")
            form.done = redirect(url_for("portal.home"))
    return form


@bp.route("/visits/<int:visit_id>/move", methods=["GET", "POST"])
@public
def move_visit(visit_id: int):
    form = _visit_form(visit_id, "move", lambda s, row, visit, rule: selfservice.move(
        s, row, visit, rule, request.form.get("slot", ""), now=now()),
        N_("Your visit is moved. You will get the exact time when the day is planned."))
    if form.done:
        return form.done
    allowed = selfservice.choices(form.visit, form.rule, now=now()).move
    slots = selfservice.slots_for(db_session(), form.visit, form.rule, now=now()) if allowed else []
    return render_template("portal/move.html", visit=form.visit, slots=slots, allowed=allowed, rule=form.rule,
                           error=form.error, slot_value=selfservice.slot_value), 422 if form.error else 200


@bp.route("/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@public
def cancel_visit(visit_id: int):
    form = _visit_form(visit_id, "cancel", lambda s, row, visit, rule: selfservice.cancel(
        s, row, visit, rule, request.form.get("reason", ""), now=now()),
        N_("The visit is cancelled. We have told the service center."))
    if form.done:
        return form.done
    allowed = selfservice.choices(form.visit, form.rule, now=now()).cancel
    return render_template("portal/cancel.html", visit=form.visit, allowed=allowed, rule=form.rule, error=form.error,
                           reason=request.form.get("reason", "")), 422 if form.error else 200


def _creates(view):
    """A portal form that creates: it carries the one-time form key (a double tap sends one message)."""
    view.creates = True
    return view


@bp.route("/problem", methods=["GET", "POST"])
@public
@_creates
def problem():
    row = _part("visits", page="problem")
    s = db_session()
    pick = signin.may(row, "devices")
    own = selfservice.devices(s, row.citizen_id) if pick else []
    errors: dict[str, str] = {}
    if request.method == "POST":
        device = request.form.get("device_id", "")
        try:
            with unit_of_work(s):
                idempotency.create_once(s, request.form.get(idempotency.KEY_FIELD), lambda: selfservice.report_problem(
                    s, row, kind=request.form.get("kind", ""), text=request.form.get("text", ""),
                    device_id=int(device) if device.isdigit() else None, may_pick_device=pick, now=now()),
                    kind="portal.problem", actor_id=None, now=now())
        except idempotency.AlreadyCreated:
            flash(gettext("Your message was already sent."), "info")
            return redirect(url_for("portal.home"))
        except DomainError as failure:
            errors[failure.field or "form"] = failure.translate(gettext)
        else:
            flash(gettext("Thank you. The service center has your message and will contact you."), "success")
            return redirect(url_for("portal.home"))
    return render_template("portal/problem.html", devices=own, problems=selfservice.PROBLEMS, errors=errors,
                           form=request.form), 422 if errors else 200


@bp.get("/access")
@public
def access_log():
    row = _part("access_log", page="access_log")
    page = page_arg()
    rows = selfservice.who_looked(db_session(), row.citizen_id, page=page, per_page=25)
    return render_template("portal/access.html", rows=rows[:25], page=page, more=len(rows) > 25)


@bp.route("/relatives", methods=["GET", "POST"])
@public
def relatives():
    row = _part("grants")
    s = db_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with unit_of_work(s):
                _change_grants(s, row)
        except DomainError as failure:
            errors[failure.field or "form"] = failure.translate(gettext)
        else:
            return redirect(url_for("portal.relatives"))
    citizen = s.get(Citizen, row.citizen_id)
    return render_template("portal/relatives.html", grants=grants.grants_of(s, row.citizen_id),
                           relatives=grants.relatives_of(citizen), scopes=grants.SCOPE_LABELS, errors=errors,
                           form=request.form, today=local_date(now()),
                           latest=local_date(now()) + dt.timedelta(days=grants.MAX_DAYS)), 422 if errors else 200


def _change_grants(s, row: PortalSession) -> None:
    if request.form.get("withdraw"):
        grant_id = request.form["withdraw"]
        grant = grants.get_grant(s, row.citizen_id, int(grant_id) if grant_id.isdigit() else 0)
        grants.withdraw(s, grant, actor=None, now=now())
        signin.portal_event(s, row, "portal.withdraw_access", now=now(), detail={"relative": grant.relative_name})
        flash(gettext("Access withdrawn from %(name)s.", name=grant.relative_name), "success")
        return
    grant = grants.grant_access(s, row.citizen, **grant_form(), actor=None, now=now())
    signin.portal_event(s, row, "portal.grant_access", now=now(),
                        detail={"relative": grant.relative_name, "scope": grant.scope.value})
    flash(gettext("%(name)s now has access until %(until)s.", name=grant.relative_name,
                  until=grant.valid_until.strftime("%d.%m.%Y")), "success")


def grant_form() -> dict:
    """The grant form's fields as grant_access takes them (shared with the helpdesk's panel)."""
    contact = request.form.get("contact_id", "")
    scope = request.form.get("scope", "")
    try:
        until = dt.date.fromisoformat(request.form.get("until", ""))
    except ValueError:
        raise DomainError(N_("Enter the last day of the access."), field="until") from None
    if scope not in set(GrantScope):
        raise DomainError(N_("Choose what the relative may see."), field="scope")
    return {"contact_id": int(contact) if contact.isdigit() else 0, "relative_cpr": request.form.get("cpr", ""),
            "scope": GrantScope(scope), "until": until}
