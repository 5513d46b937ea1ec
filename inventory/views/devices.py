"""Devices: the list (found by tag or serial, as CSV), a device's page with its sign-offs and history, its firmware
and calibration, registering one device by hand, and the devices due for calibration or service."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from flask_login import current_user

from inventory import service
from inventory.forms import CalibrationForm, FirmwareForm, RegisterDeviceForm
from inventory.models import Device, DeviceStatus, HolderKind
from inventory.service import imports as import_service
from inventory.tags import TAG_RE, parse_tag
from inventory.transitions import DEVICE_STATUS
from inventory.views import bp
from servicecenter.auth.permissions import can_manage_inventory, can_view_citizens, can_view_inventory
from servicecenter.citizens.service import can_see
from servicecenter.csvexport import csv_lines
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.inputguards import bounded_int
from servicecenter.organisations.models import OrganisationKind
from servicecenter.organisations.service import list_organisations
from servicecenter.web import creates, now, once, page_arg, rate_limited, require, show_error

DUE_WINDOWS = (-1, 30, 90, 365)  # -1: overdue only


def _device_filters() -> dict:
    status = request.args.get("status") or None
    if status and status not in DeviceStatus.__members__.values():
        abort(400)
    return {"status": DeviceStatus(status) if status else None, "model_id": request.args.get("model", type=bounded_int),
            "holder_id": request.args.get("holder", type=bounded_int)}


@bp.get("/devices")
@require(can_view_inventory)
def devices():
    """The device list; a search goes straight to the device for a tag and lists the matches for a serial."""
    s, query = db_session(), request.args.get("q", "").strip()[:60]
    if query:
        found = service.find_devices(s, query)
        if isinstance(found, Device):
            return redirect(url_for("inventory.device", tag=found.tag))
        rows, has_more = found, False
        if not rows:
            _explain_tag(query)
    else:
        rows, has_more = service.list_devices(s, **_device_filters(), page=page_arg(),
                                              per_page=current_app.config["PAGE_SIZE"])
    return render_template("inventory/devices.html", devices=rows, has_more=has_more, page=page_arg(), query=query,
                           models=service.list_models(s), statuses=list(DeviceStatus))


def _explain_tag(query: str) -> None:
    """Nothing found for something shaped like a tag: it was most likely misread, and the check character says so."""
    if TAG_RE.match(query.replace(" ", "").upper()):
        try:
            parse_tag(query)
        except DomainError as error:
            show_error(error)


@bp.get("/devices.csv")
@require(can_view_inventory)
@rate_limited("export")
def devices_csv():
    """The filtered device list as CSV (formula-safe cells), up to 50,000 rows."""
    rows, _more = service.list_devices(db_session(), **_device_filters(), per_page=50_000)
    header = [gettext("Tag"), gettext("Model"), gettext("Serial number"), gettext("Firmware/app version"),
              gettext("Status"), gettext("Place"), gettext("Owner")]
    lines = csv_lines(header, ([d.tag, str(d.model), d.serial, d.firmware_version,
                                gettext(DEVICE_STATUS.labels[d.status]), d.holder.name, d.owner.name] for d in rows))
    return Response("".join(lines), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=devices.csv"})


def _device_or_404(s, tag: str) -> Device:
    try:
        return service.get_device(s, tag)
    except DomainError:
        abort(404)


def _home_citizen(s, device: Device) -> int | None:
    """The citizen whose home holds the device, for a link to her page (no name here) if this person may see her."""
    citizen_id = device.holder.citizen_id
    if citizen_id and can_view_citizens(current_user) and can_see(s, current_user, citizen_id, now()):
        return citizen_id
    return None


def _render_device(s, device: Device, status: int = 200, **forms):
    timeline = service.device_timeline(s, device.id, page=page_arg())
    return render_template(
        "inventory/device.html", device=device, timeline=timeline, page=page_arg(), has_more=len(timeline) == 50,
        signoffs=service.device_signoffs(s, device.id), firmware_history=service.firmware_history(s, device.id),
        sim=service.sim_of_device(s, device.id), kit=service.get_kit(s, device.kit_id) if device.kit_id else None,
        due_on=service.device_due_on(s, device), today=local_date(now()), home_citizen=_home_citizen(s, device),
        firmware_form=forms.get("firmware_form") or FirmwareForm(firmware=device.firmware_version),
        calibration_form=forms.get("calibration_form") or CalibrationForm(),
        panels=[panel(device) for panel in current_app.extensions.get("device_panels", [])],
    ), status


@bp.get("/devices/<tag>")
@require(can_view_inventory)
def device(tag: str):
    s = db_session()
    return _render_device(s, _device_or_404(s, tag))


@bp.post("/devices/<tag>/firmware")
@require(can_manage_inventory)
def device_firmware(tag: str):
    s, form = db_session(), FirmwareForm()
    found = _device_or_404(s, tag)
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                service.set_firmware(s, found, firmware=form.firmware.data, actor=current_user, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The firmware/app version is saved."), "success")
            return redirect(url_for("inventory.device", tag=found.tag))
    return _render_device(s, _device_or_404(s, tag), 400, firmware_form=form)


@bp.post("/devices/<tag>/calibration")
@require(can_manage_inventory)
def device_calibration(tag: str):
    s, form = db_session(), CalibrationForm()
    found = _device_or_404(s, tag)
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                device = service.record_calibration(s, found, method=form.method.data,
                                                    next_due_on=form.next_due_on.data, actor=current_user, now=now())
                due_on = service.device_due_on(s, device)
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The calibration/service is recorded. Next due: %(date)s.",
                          date=format_date(due_on) if due_on else "—"), "success")
            return redirect(url_for("inventory.device", tag=found.tag))
    return _render_device(s, _device_or_404(s, tag), 400, calibration_form=form)


def _register_form(s) -> RegisterDeviceForm:
    """The form, with the model, owner and depot of the device registered just before chosen again."""
    organisations = list_organisations(s)
    region = next((o.id for o in organisations if o.kind == OrganisationKind.REGION), None)
    form = RegisterDeviceForm(model=request.args.get("model"), depot_id=request.args.get("depot", type=bounded_int),
                              owner_organisation_id=request.args.get("owner", type=bounded_int) or region)
    form.model.choices = [(m.model_number, f"{m} ({m.model_number})") for m in service.list_models(s)]
    form.owner_organisation_id.choices = [(o.id, o.name) for o in organisations]
    form.depot_id.choices = [(d.id, d.name) for d in service.list_holders(s, HolderKind.DEPOT)]
    # The next device of the same delivery: straight to its serial number (scanned from its box).
    (form.serial if form.model.data else form.model).render_kw = {"autofocus": True, "autocomplete": "off"}
    return form


def _register(s, form: RegisterDeviceForm) -> Device | None:
    """Every problem at its field first (the import's checks); then the registration, which checks again."""
    for problem in import_service.check_entry(s, form.entry()):
        show_error(DomainError(problem["message"], field=problem["column"], **problem["params"]), form)
    if form.errors:
        return None
    try:
        with unit_of_work(s):
            return once(s, lambda: import_service.register_entry(
                s, form.entry(), depot=service.get_holder(s, form.depot_id.data),
                owner_organisation_id=form.owner_organisation_id.data, actor=current_user, now=now()),
                ref=lambda device: device.tag)
    except DomainError as error:
        show_error(error, form)
        return None


@bp.route("/devices/new", methods=["GET", "POST"])
@require(can_manage_inventory)
@creates(lambda ref: url_for("inventory.register_device", registered=ref))
def register_device():
    """One device by hand, checked as a row of a delivery file; then its label is offered."""
    s = db_session()
    form = _register_form(s)
    device = _register(s, form) if form.validate_on_submit() else None
    if device is not None:  # the page says so, with the label to print: no flash as well
        return redirect(url_for("inventory.register_device", registered=device.tag, model=form.model.data,
                                owner=form.owner_organisation_id.data, depot=form.depot_id.data))
    registered = request.args.get("registered")
    return render_template("inventory/register.html", form=form,
                           registered=_device_or_404(s, registered) if registered else None), \
        400 if form.errors else 200


def _due_window() -> int:
    days = request.args.get("days", service.DUE_SOON_DAYS, type=bounded_int)
    return days if days in DUE_WINDOWS else service.DUE_SOON_DAYS


@bp.get("/calibration")
@require(can_view_inventory)
def calibration_due():
    """Devices overdue or soon due for calibration or service, the earliest first."""
    s, today = db_session(), local_date(now())
    rows, has_more = service.list_due(s, today=today, within_days=_due_window(), page=page_arg(),
                                      per_page=current_app.config["PAGE_SIZE"])
    return render_template("inventory/calibration.html", rows=rows, has_more=has_more, page=page_arg(), today=today,
                           days=_due_window(), windows=DUE_WINDOWS)


@bp.get("/calibration.csv")
@require(can_view_inventory)
@rate_limited("export")
def calibration_due_csv():
    s, today = db_session(), local_date(now())
    rows, _more = service.list_due(s, today=today, within_days=_due_window(), per_page=50_000)
    header = [gettext("Due"), gettext("Tag"), gettext("Model"), gettext("Serial number"), gettext("Status"),
              gettext("Place"), gettext("Last calibrated")]
    lines = csv_lines(header, ([r.due_on.isoformat(), r.device.tag, str(r.device.model), r.device.serial,
                                gettext(DEVICE_STATUS.labels[r.device.status]), r.device.holder.name,
                                local_date(r.last_calibrated_at).isoformat() if r.last_calibrated_at else ""]
                               for r in rows))
    return Response("".join(lines), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=calibration-due.csv"})
