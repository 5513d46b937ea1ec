"""Supplier delivery import (upload, preview with per-row errors, import all or nothing) and device labels."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from inventory import service
from inventory.forms import ImportForm
from inventory.labels import LAYOUTS, LabelData, render_labels
from inventory.models import Device, HolderKind
from inventory.service import imports as import_service
from inventory.views import bp
from servicecenter.auth.permissions import can_manage_inventory
from servicecenter.db import unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.inputguards import bounded_int
from servicecenter.organisations.service import list_organisations
from servicecenter.web import creates, now, once, require, show_error

MAX_LABELS = 5000


def _import_form(s) -> ImportForm:
    form = ImportForm()
    form.depot_id.choices = [(d.id, d.name) for d in service.list_holders(s, HolderKind.DEPOT)]
    form.owner_organisation_id.choices = [(o.id, o.name) for o in list_organisations(s)]
    return form


@bp.route("/import", methods=["GET", "POST"])
@require(can_manage_inventory)
@creates(lambda ref: url_for("inventory.import_preview", batch_id=ref))
def import_upload():
    s = db_session()
    form = _import_form(s)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            with unit_of_work(s):
                batch, _parsed = once(s, lambda: import_service.create_batch(
                    s, filename=upload.filename or "delivery.csv", data=upload.read(import_service.MAX_BYTES + 1),
                    depot=service.get_holder(s, form.depot_id.data),
                    owner_organisation_id=form.owner_organisation_id.data, actor=current_user, now=now()),
                    ref=lambda made: made[0].id)
        except DomainError as error:
            show_error(error, form)
        else:
            return redirect(url_for("inventory.import_preview", batch_id=batch.id))
    return render_template("inventory/import.html", form=form), 400 if form.errors else 200


@bp.get("/import/<int:batch_id>")
@require(can_manage_inventory)
def import_preview(batch_id: int):
    s = db_session()
    batch = import_service.get_batch(s, batch_id)
    parsed = import_service.parse(s, batch.content) if batch.imported_at is None else None
    devices = list(s.scalars(select(Device).where(Device.import_batch_id == batch.id).order_by(Device.id)))
    return render_template("inventory/import_preview.html", batch=batch, parsed=parsed, devices=devices,
                           form=_import_form(s))


@bp.post("/import/<int:batch_id>")
@require(can_manage_inventory)
def import_confirm(batch_id: int):
    s = db_session()
    try:
        with unit_of_work(s):
            devices = import_service.run_import(s, import_service.get_batch(s, batch_id), actor=current_user,
                                                now=now())
    except DomainError as error:
        show_error(error)
    else:
        flash(ngettext("%(num)d device is registered. Print its label below.",
                         "%(num)d devices are registered. Print their labels below.", len(devices)), "success")
    return redirect(url_for("inventory.import_preview", batch_id=batch_id))


@bp.route("/labels.pdf", methods=["GET", "POST"])
@require(can_manage_inventory)
def labels():
    """Labels for a whole delivery (?batch=) or a selection of tags (POST tags, one per line)."""
    s = db_session()
    stmt = select(Device)
    if request.values.get("batch", type=bounded_int):
        stmt = stmt.where(Device.import_batch_id == request.values.get("batch", type=bounded_int))
    else:
        tags = [t.strip().upper() for t in request.values.get("tags", "").split() if t.strip()][:MAX_LABELS]
        stmt = stmt.where(Device.tag.in_(tags))
    devices = list(s.scalars(stmt.order_by(Device.tag).limit(MAX_LABELS)))
    if not devices:
        abort(404)
    owners = {o.id: o.name for o in list_organisations(s)}
    layout = LAYOUTS.get(request.values.get("layout", "a4"), LAYOUTS["a4"])
    offset = min(max(request.values.get("offset", 0, type=bounded_int), 0), layout.per_page - 1)
    pdf = render_labels([LabelData(d.tag, str(d.model), owners.get(d.owner_organisation_id, "")) for d in devices],
                        layout, offset=offset)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": "inline; filename=labels.pdf"})
