"""Citizen pages: list and search, create, view (audited), edit, reveal CPR, contact persons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicecenter import timeline
from servicecenter.auth.permissions import (
    can_break_glass,
    can_edit_citizens,
    can_reveal_cpr,
    can_review_glass_breaks,
    can_see_access_notes,
    can_view_citizens,
)
from servicecenter.citizens import service
from servicecenter.citizens import timeline_pdf as timeline_pdf_module
from servicecenter.citizens.cpr import format_cpr, mask_cpr
from servicecenter.citizens.forms import (
    CONTACT_KIND_LABELS,
    LANGUAGES,
    BreakGlassForm,
    CitizenForm,
    ContactForm,
    SearchForm,
    citizen_data,
)
from servicecenter.citizens.models import Citizen, ContactKind
from servicecenter.courses import service as course_service
from servicecenter.courses.service import list_citizen_courses, list_programmes
from servicecenter.db import LOCAL_ZONE, unit_of_work
from servicecenter.errors import N_, DomainError, translate_message
from servicecenter.extensions import db_session
from servicecenter.i18n import cached_gettext, short_datetime_formatter
from servicecenter.inputguards import bounded_int
from servicecenter.organisations.models import OrganisationKind
from servicecenter.organisations.service import list_organisations
from servicecenter.web import creates, now, once, page_arg, rate_limited, require, show_error

bp = Blueprint("citizens", __name__, url_prefix="/citizens", template_folder="templates")
NOT_FROM_HERE = N_("This citizen cannot be registered from here. Call the service center's helpdesk, who will "
                   "connect the citizen to your organisation.")


@bp.app_context_processor
def citizen_labels():
    languages = dict(LANGUAGES)
    return {"language_label": lambda code: languages.get(code, code),
            "course_status_label": lambda status: gettext(course_service.COURSE_STATUS.labels[status]),
            "contact_kind_label": lambda kind: str(CONTACT_KIND_LABELS[kind])}


def _open(citizen_id: int, action: str) -> Citizen:
    """Load a citizen for the current user, writing one audit row; a refusal is audited, then 404 (as for no such
    citizen)."""
    s = db_session()
    with unit_of_work(s):
        access = service.open_citizen(s, citizen_id, actor=current_user, now=now(), action=action)
    if not access.allowed:
        abort(404)
    return access.citizen


def _citizen_form(obj: Citizen | None = None) -> CitizenForm:
    form = CitizenForm(obj=obj)
    if not can_see_access_notes(current_user):
        del form.access_notes  # neither shown nor accepted: what is stored stays
    organisations = _organisations_for(obj)
    # No silent default: a citizen filed under the wrong municipality is seen by the wrong nurses.
    form.municipality_id.choices = [(0, gettext("— choose —"))] + [
        (o.id, _organisation_label(o)) for o in organisations if o.kind == OrganisationKind.MUNICIPALITY
    ]
    # Any kind: a municipal nurse's citizens are her municipality's responsibility.
    form.responsible_organisation_id.choices = [(0, "—")] + [(o.id, _organisation_label(o)) for o in organisations]
    if obj is not None and obj.language not in dict(form.language.choices):
        form.language.choices = [*form.language.choices, (obj.language, obj.language)]
    return form


def _organisations_for(citizen: Citizen | None) -> list:
    """The active organisations, and the citizen's own even if inactive: a select must be able to show what is
    stored, or saving the form silently changes it."""
    organisations = list_organisations(db_session())
    listed = {o.id for o in organisations}
    stored = (citizen.municipality, citizen.responsible_organisation) if citizen is not None else ()
    return organisations + [o for o in stored if o is not None and o.id not in listed]


def _organisation_label(organisation) -> str:
    return organisation.name if organisation.is_active else f"{organisation.name} ({gettext('inactive')})"


@bp.get("/")
@require(can_view_citizens)
def index():
    s = db_session()
    with unit_of_work(s):
        rows = service.list_recently_opened(s, actor=current_user, now=now())
    return render_template("citizens/index.html", form=SearchForm(), citizens=rows, has_more=False, page=1,
                           searched=False)


@bp.post("/search")
@require(can_view_citizens)
@rate_limited("search")
def search():
    """POST, so a CPR number typed into the box never lands in a URL, a proxy log or the browser history."""
    form, rows, has_more = SearchForm(), [], False
    if form.validate_on_submit():
        s = db_session()
        try:
            with unit_of_work(s):
                rows, has_more = service.search_citizens(s, form.q.data, actor=current_user, now=now(),
                                                         page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
        except DomainError as error:
            show_error(error, form)
    template = "citizens/_results.html" if request.headers.get("HX-Request") else "citizens/index.html"
    return render_template(template, form=form, citizens=rows, has_more=has_more, page=page_arg(), searched=True)


@bp.route("/new", methods=["GET", "POST"])
@require(can_edit_citizens)
@creates(lambda ref: url_for("citizens.view", citizen_id=ref))
def new():
    form = _citizen_form()
    if form.validate_on_submit():
        s = db_session()
        try:
            with unit_of_work(s):
                citizen = once(s, lambda: service.create_citizen(s, citizen_data(form), actor=current_user,
                                                                  now=now()))
        except service.DuplicateCitizen as error:
            with unit_of_work(s):  # learning that a CPR is registered is itself a read of that citizen
                visible = service.note_duplicate_check(s, error.citizen_id, actor=current_user, now=now())
            # Outside her need to know the answer does not say "already registered" (a health fact about the
            # citizen): only that the helpdesk does this registration.
            show_error(error if visible else DomainError(NOT_FROM_HERE, field="cpr"), form)
            return render_template("citizens/form.html", form=form, citizen=None,
                                   duplicate_id=error.citizen_id if visible else None), 409
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The citizen is created."), "success")
            return redirect(url_for("citizens.view", citizen_id=citizen.id))
    return render_template("citizens/form.html", form=form, citizen=None), _status(form, 200)


@bp.route("/break-glass", methods=["GET", "POST"])
@require(can_break_glass)
def break_glass():
    """Emergency access: a technician helping a colleague opens one citizen outside his own visits, until the end of
    today. The reason is required, logged and shown to the coordinators."""
    form = BreakGlassForm()
    if form.validate_on_submit():
        s = db_session()
        try:
            with unit_of_work(s):
                glass = service.break_glass(s, form.cpr.data, form.reason.data, actor=current_user, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("You may open this citizen until the end of today. The coordinators see your reason."),
                  "warning")
            return redirect(url_for("citizens.view", citizen_id=glass.citizen_id))
    return render_template("citizens/break_glass.html", form=form), _status(form, 200)


@bp.get("/glass-breaks")
@require(can_review_glass_breaks)
def glass_breaks():
    """The coordinators' review of emergency access: who opened whom outside their visits, when and why."""
    s = db_session()
    with unit_of_work(s):
        rows = service.list_glass_breaks(s, actor=current_user, now=now())
    return render_template("citizens/glass_breaks.html", rows=rows, when=short_datetime_formatter())


def _render_view(citizen: Citizen, contact_form: ContactForm):
    s = db_session()
    return render_template(
        "citizens/view.html", citizen=citizen, contact_form=contact_form,
        show_access_notes=can_see_access_notes(current_user), may_reveal=can_reveal_cpr(current_user),
        may_edit=can_edit_citizens(current_user), contact_labels=CONTACT_KIND_LABELS,
        courses=list_citizen_courses(s, citizen.id), programmes=list_programmes(s),
        panels=[panel(citizen) for panel in current_app.extensions.get("citizen_panels", [])],
    )


@bp.get("/<int:citizen_id>")
@require(can_view_citizens)
@rate_limited("record")
def view(citizen_id: int):
    return _render_view(_open(citizen_id, "citizen.view"), ContactForm())


@bp.post("/<int:citizen_id>/courses")
@require(can_edit_citizens)
@creates(lambda ref, citizen_id: url_for("courses.view", course_id=ref))
def open_course(citizen_id: int):
    _open(citizen_id, "citizen.course_form")
    s = db_session()
    try:
        with unit_of_work(s):
            course = once(s, lambda: course_service.open_course(
                s, citizen_id=citizen_id, actor=current_user, now=now(),
                programme_id=request.form.get("programme_id", 0, type=bounded_int)))
    except DomainError as error:
        show_error(error)
        return redirect(url_for("citizens.view", citizen_id=citizen_id))
    flash(gettext("The referral is registered."), "success")
    return redirect(url_for("courses.view", course_id=course.id))


@bp.route("/<int:citizen_id>/edit", methods=["GET", "POST"])
@require(can_edit_citizens)
@rate_limited("record")
def edit(citizen_id: int):
    citizen = _open(citizen_id, "citizen.edit_form" if request.method == "GET" else "citizen.edit_submit")
    form, status = _citizen_form(obj=citizen), 200
    if request.method == "GET":
        form.cpr.data = mask_cpr(citizen.cpr)  # the full number only after the audited reveal
        form.version.data = citizen.version
        form.responsible_organisation_id.data = citizen.responsible_organisation_id or 0
    if form.validate_on_submit():
        s = db_session()
        try:
            with unit_of_work(s):
                stored = s.get(Citizen, citizen_id)
                service.update_citizen(s, stored, citizen_data(form, stored), actor=current_user, now=now(),
                                       expected_version=int(form.version.data or 0))
        except DomainError as error:
            show_error(error, form)
            status = error.status_code
        else:
            flash(gettext("The changes are saved."), "success")
            return redirect(url_for("citizens.view", citizen_id=citizen_id))
    return render_template("citizens/form.html", form=form, citizen=citizen), _status(form, status)


def _status(form, status: int) -> int:
    return 400 if form.errors and status == 200 else status


@bp.post("/<int:citizen_id>/reveal-cpr")
@require(can_reveal_cpr)
def reveal_cpr(citizen_id: int):
    s = db_session()
    with unit_of_work(s):
        access = service.open_citizen(s, citizen_id, actor=current_user, now=now(), action="citizen.cpr_reveal")
        cpr = access.allowed and format_cpr(access.citizen.cpr)
    if not access.allowed:
        abort(404)
    return render_template("citizens/_cpr.html", citizen_id=citizen_id, cpr=cpr)


@bp.post("/<int:citizen_id>/contacts")
@require(can_edit_citizens)
@creates(lambda _ref, citizen_id: url_for("citizens.view", citizen_id=citizen_id))
def add_contact(citizen_id: int):
    citizen = _open(citizen_id, "citizen.contact_form")
    form = ContactForm()
    if form.validate_on_submit():
        s = db_session()
        data = service.ContactData(kind=ContactKind(form.kind.data), name=form.name.data,
                                   relation=form.relation.data, phone=form.phone.data,
                                   may_contact=form.may_contact.data)
        try:
            with unit_of_work(s):
                once(s, lambda: service.add_contact(s, s.get(Citizen, citizen_id), data, actor=current_user,
                                                   now=now()))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The contact person is added."), "success")
            return redirect(url_for("citizens.view", citizen_id=citizen_id))
    return _render_view(citizen, form), 400


@bp.post("/<int:citizen_id>/contacts/<int:contact_id>/delete")
@require(can_edit_citizens)
def remove_contact(citizen_id: int, contact_id: int):
    _open(citizen_id, "citizen.contact_form")
    s = db_session()
    with unit_of_work(s):
        service.remove_contact(s, s.get(Citizen, citizen_id), contact_id, actor=current_user, now=now())
    flash(gettext("The contact person is removed."), "success")
    return redirect(url_for("citizens.view", citizen_id=citizen_id))


# --- the timeline -----------------------------------------------------------------------------------------

TIMELINE_PAGE = 50
PDF_MAX_ENTRIES = 1000
CATEGORY_LABELS = {"course": _l("Course"), "handover": _l("Handover"), "training": _l("Training"),
                   "equipment": _l("Equipment"), "visit": _l("Visit"), "ticket": _l("Ticket")}


def _timeline_filters() -> tuple[set[str] | None, timeline.Cursor | None]:
    """The chosen categories (none chosen: all) and where to start: a cursor, or the end of a chosen day."""
    chosen = {c for c in request.args.getlist("c") if c in timeline.CATEGORIES} or None
    cursor = timeline.Cursor.decode(request.args.get("before"))
    until = request.args.get("until", "")
    if cursor is None and until:
        try:
            day_end = dt.datetime.combine(dt.date.fromisoformat(until), dt.time.max, LOCAL_ZONE)
            cursor = timeline.Cursor(day_end.astimezone(dt.UTC), "~", 0)
        except ValueError:
            flash(gettext("“%(value)s” is not a date.", value=until[:20]), "danger")
    return chosen, cursor


def _timeline_page(citizen_id: int, chosen, cursor, limit: int) -> timeline.Page:
    return timeline.citizen_timeline(db_session(), citizen_id, current_app.extensions.get("timeline_sources", []),
                                     before=cursor, limit=limit, categories=chosen)


def _entry_texts() -> Callable[[timeline.Entry], str]:
    """Each entry's sentence in the reader's language; a page repeats a few dozen msgids, each is looked up once."""
    translate = cached_gettext()
    return lambda entry: translate_message(entry.message, entry.params, translate)


def _category_labels() -> dict[str, str]:
    return {key: str(label) for key, label in CATEGORY_LABELS.items()}


@bp.get("/<int:citizen_id>/timeline")
@require(can_view_citizens)
@rate_limited("record")
def timeline_page(citizen_id: int):
    citizen = _open(citizen_id, "citizen.timeline")
    chosen, cursor = _timeline_filters()
    page = _timeline_page(citizen_id, chosen, cursor, TIMELINE_PAGE)
    offered = timeline.offered_categories(current_app.extensions.get("timeline_sources", []))
    # Which entry links this person may follow: decided once per endpoint, not once per entry.
    linkable = {endpoint for endpoint in {e.link[0] for e in page.entries if e.link}
                if current_app.view_functions[endpoint].permission(current_user)}
    return render_template("citizens/timeline.html", citizen=citizen, page=page, chosen=chosen or set(),
                           categories=_category_labels(), offered=offered, entry_text=_entry_texts(),
                           when=short_datetime_formatter(), linkable=linkable, paged=cursor is not None,
                           until=request.args.get("until", ""))


@bp.get("/<int:citizen_id>/timeline.pdf")
@require(can_view_citizens)
@rate_limited("record")
def timeline_pdf(citizen_id: int):
    """The whole filtered history (up to PDF_MAX_ENTRIES) for a care conference. Printing is audited."""
    citizen = _open(citizen_id, "citizen.timeline_pdf")
    chosen, cursor = _timeline_filters()
    entries, more = [], True
    while more and len(entries) < PDF_MAX_ENTRIES:
        page = _timeline_page(citizen_id, chosen, cursor, min(200, PDF_MAX_ENTRIES - len(entries)))
        entries += page.entries
        cursor, more = page.next_cursor, page.next_cursor is not None
    entry_text, when, labels = _entry_texts(), short_datetime_formatter(), _category_labels()
    document = timeline_pdf_module.TimelineDocument(
        title=gettext("Timeline for %(name)s", name=citizen.full_name),
        subtitle_lines=[gettext("CPR: %(cpr)s", cpr=mask_cpr(citizen.cpr)),
                        f"{citizen.address}, {citizen.postal_code} {citizen.city}",
                        gettext("Printed %(at)s by %(name)s", at=format_datetime(now(), "short"),
                                name=current_user.full_name)]
        + ([gettext("Showing only: %(what)s", what=", ".join(labels[c] for c in sorted(chosen)))]
           if chosen else []),
        headings=(gettext("Time"), gettext("Event"), gettext("By")),
        rows=[timeline_pdf_module.Row(when(e.at), labels[e.category], entry_text(e), e.note, e.actor)
              for e in entries],
        footer=gettext("Page %(page)s"),
        truncated_note=gettext("Only the newest %(n)d events are printed.", n=PDF_MAX_ENTRIES) if more else None)
    response = make_response(timeline_pdf_module.render_timeline_pdf(document))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="timeline-{citizen_id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
