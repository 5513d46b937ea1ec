"""Kits: the list (by programme, place and state), create, pack by scanning against the template, swap or remove a
member, the membership history, print the kit's label."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from inventory import service
from inventory.forms import KitForm
from inventory.labels import LAYOUTS, LabelData, render_labels
from inventory.models import HolderKind, KitTemplate
from inventory.views import bp
from servicecenter.auth.permissions import can_manage_inventory, can_view_inventory
from servicecenter.db import unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.inputguards import bounded_int
from servicecenter.web import creates, now, once, page_arg, require, show_error


def _kit_form(s) -> KitForm:
    form = KitForm()
    form.template_id.choices = [(t.id, t.name) for t in s.scalars(select(KitTemplate).order_by(KitTemplate.name))]
    return form


def _kit_filters() -> dict:
    place = request.args.get("place", "")
    state = request.args.get("state") or None
    if state and state not in service.KIT_STATES:
        abort(400)
    return {"template_id": request.args.get("template", type=bounded_int), "state": state,
            "place": service.HOMES if place == service.HOMES else (int(place) if place.isdigit() else None)}


def _render_kits(s, form: KitForm, status: int = 200):
    rows, has_more = service.list_kits(s, **_kit_filters(), page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    places = service.list_holders(s, HolderKind.DEPOT, HolderKind.BIN, HolderKind.VAN, HolderKind.REPAIR)
    return render_template("inventory/kits.html", form=form, rows=rows, has_more=has_more, page=page_arg(),
                           templates=form.template_id.choices, places=places, states=service.KIT_STATES), status


@bp.get("/kits")
@require(can_view_inventory)
def kits():
    """Kits by tag, filtered by programme, place and state; a scanned kit tag opens the kit."""
    s = db_session()
    if request.args.get("tag"):
        try:
            return redirect(url_for("inventory.kit", tag=service.get_kit(s, request.args["tag"]).tag))
        except DomainError as error:
            show_error(error)
    return _render_kits(s, _kit_form(s))


@bp.post("/kits")
@require(can_manage_inventory)
@creates(lambda ref: url_for("inventory.kit", tag=ref))
def create_kit():
    s = db_session()
    form = _kit_form(s)
    if not form.validate_on_submit():
        return _render_kits(s, form, 400)
    with unit_of_work(s):
        kit = once(s, lambda: service.create_kit(s, template=s.get(KitTemplate, form.template_id.data),
                                                 actor=current_user, now=now()), ref=lambda made: made.tag)
    return redirect(url_for("inventory.kit", tag=kit.tag))


@bp.get("/kits/<tag>")
@require(can_view_inventory)
def kit(tag: str):
    s = db_session()
    found = service.get_kit(s, tag)
    return render_template("inventory/kit.html", kit=found, state=service.packing_state(s, found),
                           history=service.kit_history(s, found.id))


@bp.post("/kits/<tag>")
@require(can_manage_inventory)
def kit_action(tag: str):
    s = db_session()
    found = service.get_kit(s, tag)
    _kit_action(s, found)
    return redirect(url_for("inventory.kit", tag=found.tag))


def _kit_action(s, found) -> None:
    action, code = request.form.get("action"), request.form.get("code", "")
    try:
        with unit_of_work(s):
            kit = service.get_kit(s, found.id)
            if action == "pack":
                device = service.pack(s, kit, code, actor=current_user, now=now())
                message = gettext("%(tag)s is packed.", tag=device.tag)
            elif action == "swap":
                device = service.swap_member(s, kit, code, request.form.get("replacement", ""),
                                             actor=current_user, now=now())
                message = gettext("%(tag)s is swapped in.", tag=device.tag)
            elif action == "remove":
                service.remove_from_kit(s, kit, service.get_device(s, code), actor=current_user, now=now())
                message = gettext("The device is taken out of the kit.")
            else:
                abort(400)
    except DomainError as error:
        show_error(error)
    else:
        flash(message, "success")


@bp.get("/kits/<tag>/label.pdf")
@require(can_manage_inventory)
def kit_label(tag: str):
    found = service.get_kit(db_session(), tag)
    layout = LAYOUTS.get(request.args.get("layout", "tape"), LAYOUTS["tape"])
    pdf = render_labels([LabelData(found.tag, gettext("Kit: %(name)s", name=found.template.name), "")], layout,
                        offset=min(max(request.args.get("offset", 0, type=bounded_int), 0), layout.per_page - 1))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=kit-{found.tag}.pdf"})
