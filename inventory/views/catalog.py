"""Overview, "where was it", recall, places and device models."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from inventory import service
from inventory.forms import (
    CATEGORY_LABELS,
    HOLDER_LABELS,
    KIT_STATE_LABELS,
    MOVEMENT_LABELS,
    SIGNOFF_LABELS,
    SIM_STATE_LABELS,
    DeviceModelForm,
    HolderForm,
    StockMinimumForm,
)
from inventory.labels import LAYOUTS, LabelData, render_labels
from inventory.models import DeviceCategory, DeviceStatus, HolderKind
from inventory.transitions import DEVICE_STATUS
from inventory.views import bp
from servicecenter.audit.service import record_event
from servicecenter.auth.models import User
from servicecenter.auth.permissions import can_manage_inventory, can_recall, can_view_inventory
from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import Citizen
from servicecenter.courses.service import list_programmes
from servicecenter.db import LOCAL_ZONE, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.inputguards import bounded_int
from servicecenter.moments import parse_moment
from servicecenter.web import creates, now, once, rate_limited, require, show_error


@bp.app_context_processor
def inventory_labels():
    return {
        "status_label": lambda status: gettext(DEVICE_STATUS.labels[DeviceStatus(status)]),
        "holder_kind_label": lambda kind: HOLDER_LABELS.get(kind, kind),
        "category_label": lambda category: CATEGORY_LABELS.get(category, category),
        "movement_label": lambda kind: MOVEMENT_LABELS.get(kind, kind),
        "signoff_label": lambda kind: SIGNOFF_LABELS.get(kind, kind),
        "sim_state_label": lambda state: SIM_STATE_LABELS.get(state, state),
        "kit_state_label": lambda state: KIT_STATE_LABELS.get(state, state),
        "place_tag": service.place_tag,
    }


@bp.get("/")
@require(can_view_inventory)
def index():
    s = db_session()
    return render_template("inventory/index.html", counts=service.holding_counts(s), low=service.low_stock(s),
                           split=service.split_kits(s, limit=20))


@bp.get("/places/<int:holder_id>/label.pdf")
@require(can_manage_inventory)
def place_label(holder_id: int):
    """A place's label: scanned on a scan page, it chooses the place."""
    holder = service.get_holder(db_session(), holder_id)
    tag = service.place_tag(holder) or abort(404)
    layout = LAYOUTS.get(request.args.get("layout", "tape"), LAYOUTS["tape"])
    pdf = render_labels([LabelData(tag, holder.name, gettext(str(HOLDER_LABELS[holder.kind])))], layout)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=label-{tag}.pdf"})


def _at_arg() -> dt.datetime | None:
    """The moment typed (local time, read as people write it: servicecenter.moments) as UTC; nothing typed means
    now; None when it cannot be read."""
    value = request.args.get("at", "").strip()
    if not value:
        return now()
    local = parse_moment(value, now_local=now().astimezone(LOCAL_ZONE).replace(tzinfo=None))
    return local.replace(tzinfo=LOCAL_ZONE).astimezone(dt.UTC) if local else None


def shown_citizen(s, citizen_id: int | None, action: str) -> Citizen | None:
    """The citizen whose home it is, for a person who may see her; showing her name is an audited read. Anyone
    else is told only that it is a citizen's home."""
    if not citizen_id or not citizens.can_see(s, current_user, citizen_id, now()):
        return None
    with unit_of_work(s):
        citizens.record_listed(s, [citizen_id], actor=current_user, now=now(), action=action)
    return s.get(Citizen, citizen_id)


@bp.get("/where")
@require(can_view_inventory)
def where():
    """Who had device X at time T: the citizen (to those who may see her), or the place (a van with its
    technician), and from when until when."""
    s, answer, error, citizen, driver = db_session(), None, None, None, None
    at, tag, typed = _at_arg(), request.args.get("tag", "").strip(), request.args.get("at", "").strip()
    if tag and at:
        try:
            found = service.get_device(s, tag)
        except DomainError as exc:
            error = exc.translate(gettext)
        else:
            custody = service.custody_at(s, found.id, at)
            citizen = shown_citizen(s, custody.holder.citizen_id if custody else None, "inventory.where")
            driver = van_driver(s, custody.holder) if custody else None
            answer = (found, custody)
    elif tag:
        error = gettext("“%(at)s” is not a time that can be read. Write it as 3/11 14:00, 3.11.2026 14.00 or "
                        "2026-11-03 14:00 (a date alone means 12:00; nothing means now).", at=typed[:40])
    return render_template("inventory/where.html", answer=answer, error=error, where_tag=tag, where_at=typed,
                           at=at, citizen=citizen, driver=driver)


def van_driver(s, holder) -> str | None:
    """The technician whose van it is, asked of the features that know (dispatch registers "van_driver")."""
    if holder.kind != HolderKind.VAN:
        return None
    names = (lookup(s, holder.id) for lookup in current_app.extensions.get("van_driver", []))
    return next((name for name in names if name), None) or (s.get(User, holder.user_id).full_name
                                                            if holder.user_id else None)


@bp.route("/recall", methods=["GET", "POST"])
@require(can_recall)
@rate_limited("search")
def recall():
    """Every citizen who holds or held model M (with firmware F): a POST, since each citizen listed is an audited
    read (a link or an image elsewhere must not be able to write those rows in someone's name)."""
    s = db_session()
    model_id, firmware = request.form.get("model", type=bounded_int), request.form.get("firmware", "").strip() or None
    rows = []
    if request.method == "POST" and model_id:
        with unit_of_work(s):
            rows = service.recall(s, model_id=model_id, firmware=firmware)
            for citizen_id in {citizen.id for citizen, *_ in rows}:
                record_event(s, actor=current_user, action="inventory.recall", entity_type="citizen",
                             entity_id=citizen_id, citizen_id=citizen_id, now=now(), purpose="recall")
    return render_template("inventory/recall.html", rows=rows, models=service.list_models(s), model_id=model_id,
                           firmware=firmware or "")


@bp.route("/places", methods=["GET", "POST"])
@require(can_manage_inventory)
@creates(lambda _ref: url_for("inventory.places"))
def places():
    s = db_session()
    depots = service.list_holders(s, HolderKind.DEPOT)
    form, minimum_form = HolderForm(prefix="place"), StockMinimumForm(prefix="min")
    form.depot_id.choices = [(0, "—")] + [(d.id, d.name) for d in depots]
    minimum_form.depot_id.choices = [(d.id, d.name) for d in depots]
    minimum_form.programme_id.choices = [(p.id, p.name) for p in list_programmes(s)]
    if form.validate_on_submit():
        depot = service.get_holder(s, form.depot_id.data) if form.depot_id.data else None
        if form.kind.data == HolderKind.BIN and depot is None:
            form.depot_id.errors = [gettext("A shelf/bin belongs to a depot.")]
        else:
            with unit_of_work(s):
                once(s, lambda: service.create_holder(s, actor=current_user, now=now(),
                                                      kind=HolderKind(form.kind.data), name=form.name.data,
                                                      depot=depot))
            flash(gettext("The place is created."), "success")
            return redirect(url_for("inventory.places"))
    if minimum_form.validate_on_submit():
        with unit_of_work(s):
            service.set_minimum(s, actor=current_user, now=now(), depot_id=minimum_form.depot_id.data,
                                programme_id=minimum_form.programme_id.data,
                                minimum=minimum_form.minimum.data)
        flash(gettext("The minimum is saved."), "success")
        return redirect(url_for("inventory.places"))
    holders = service.list_holders(s, HolderKind.DEPOT, HolderKind.BIN, HolderKind.VAN, HolderKind.REPAIR)
    return render_template("inventory/places.html", holders=holders, form=form, minimum_form=minimum_form,
                           stock=service.stock_lines(s))


def _model_fields(form: DeviceModelForm) -> dict:
    return {"category": DeviceCategory(form.category.data), "manufacturer": form.manufacturer.data.strip(),
            "model_number": form.model_number.data.strip(), "name": form.name.data.strip(),
            "cleaning_procedure": form.cleaning_procedure.data or None,
            "service_interval_days": form.service_interval_days.data, "unit_price": form.unit_price.data}


@bp.route("/models", methods=["GET", "POST"])
@require(can_manage_inventory)
@creates(lambda _ref: url_for("inventory.models"))
def models():
    s, form = db_session(), DeviceModelForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                once(s, lambda: service.create_device_model(s, actor=current_user, now=now(), **_model_fields(form)))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The device model is created."), "success")
            return redirect(url_for("inventory.models"))
    return render_template("inventory/models.html", models=service.list_models(s), form=form)


@bp.route("/models/<int:model_id>", methods=["GET", "POST"])
@require(can_manage_inventory)
def edit_model(model_id: int):
    s = db_session()
    model = service.get_device_model(s, model_id)
    form = DeviceModelForm(obj=model)
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                service.update_device_model(s, service.get_device_model(s, model_id), actor=current_user, now=now(),
                                            **_model_fields(form))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The device model is saved."), "success")
            return redirect(url_for("inventory.models"))
    panels = [panel(model) for panel in current_app.extensions.get("device_model_panels", [])]
    return render_template("inventory/model_edit.html", model=model, form=form, panels=panels), (
        400 if form.errors else 200)
