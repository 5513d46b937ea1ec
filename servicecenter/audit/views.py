"""The per-citizen access log ("who has looked at this record"), on screen and as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicecenter.audit import service
from servicecenter.auth.permissions import can_review_security_events, can_view_citizen_audit
from servicecenter.citizens.service import open_citizen
from servicecenter.csvexport import csv_lines
from servicecenter.db import unit_of_work
from servicecenter.extensions import db_session
from servicecenter.web import now, page_arg, rate_limited, require

bp = Blueprint("audit", __name__, template_folder="templates")

ACTION_LABELS = {
    "citizen.view": _l("Opened the record"),
    "citizen.grant_access": _l("Gave a relative access (on the citizen's behalf)"),
    "citizen.withdraw_access": _l("Withdrew a relative's access (on the citizen's behalf)"),
    "portal.signin": _l("Signed in to the portal"),
    "portal.view": _l("Read in the portal"),
    "portal.step_up_refused": _l("MitID did not match the person who signed in"),
    "portal.signin_locked": _l("Portal sign-in locked after wrong codes"),
    "portal.visit_confirm": _l("Confirmed a visit in the portal"),
    "portal.visit_move": _l("Moved a visit in the portal"),
    "portal.visit_cancel": _l("Cancelled a visit in the portal"),
    "portal.problem": _l("Reported a problem in the portal"),
    "portal.grant_access": _l("Gave a relative access in the portal"),
    "portal.withdraw_access": _l("Withdrew a relative's access in the portal"),
    "citizen.search": _l("Searched"),
    "citizen.search_result": _l("Shown in a search result"),
    "citizen.duplicate_check": _l("CPR number checked when creating a citizen"),
    "citizen.create": _l("Created the record"),
    "citizen.update": _l("Changed the record"),
    "citizen.edit_form": _l("Opened the record for editing"),
    "citizen.edit_submit": _l("Submitted changes"),
    "citizen.cpr_reveal": _l("Showed the full CPR number"),
    "citizen.contact_form": _l("Changed contact persons"),
    "citizen.contact_add": _l("Added a contact person"),
    "citizen.contact_remove": _l("Removed a contact person"),
    "citizen.access_log": _l("Viewed this access log"),
    "citizen.course_form": _l("Started a course"),
    "citizen.break_glass": _l("Emergency access (reason in the coordinators' review)"),
    "citizen.access_notes": _l("Access notes shown (day of the visit)"),
    "citizen.list_recent": _l("Listed among recently opened citizens"),
    "citizen.list_glass_breaks": _l("Listed in the review of emergency access"),
    "course.create": _l("Course created"),
    "device.status": _l("Equipment moved"),
    "inventory.recall": _l("Listed in a device recall"),
    "auth.login": _l("Logged in"),
    "auth.logout": _l("Logged out"),
    "user.create": _l("User created"),
    "user.update": _l("User changed"),
    "user.password": _l("Password changed"),
    "user.status": _l("User status changed"),
    "organisation.create": _l("Organisation created"),
    "organisation.update": _l("Organisation changed"),
    "citizen.list_follow_ups": _l("Listed among follow-ups"),
    "citizen.list_handovers": _l("Listed among handovers"),
    "citizen.list_overdue_pickups": _l("Listed among overdue pickups"),
    "citizen.list_plan": _l("Listed in a visit plan"),
    "citizen.list_requests": _l("Listed among requests"),
    "citizen.list_route": _l("Listed on a technician's route"),
    "citizen.list_stranded": _l("Listed among equipment left at a home"),
    "citizen.list_tickets": _l("Listed among tickets"),
    "citizen.list_visits": _l("Listed among visits"),
    "programme.save": _l("Programme saved"),
    "course.end": _l("Course ended"),
    "course.status": _l("Course status changed"),
    "course.handover_offer": _l("Course offered to another organisation"),
    "handover.status": _l("Handover answered"),
    "training.record": _l("Training recorded"),
    "training.follow_up": _l("Follow-up recorded"),
    "visit.create": _l("Visit requested"),
    "visit.assign": _l("Visit assigned"),
    "visit.status": _l("Visit status changed"),
    "visit.field_view": _l("Opened the visit in the field"),
    "visit.request_form": _l("Opened the visit request form"),
    "visit.route_sheet_print": _l("Printed on a route sheet"),
    "plan.start": _l("Planning started"),
    "plan.lock": _l("Visit locked in the plan"),
    "plan.publish": _l("Plan published"),
    "technician.save": _l("Technician saved"),
    "technician.absence": _l("Technician absence recorded"),
    "device.register": _l("Device registered"),
    "device.firmware": _l("Firmware/app version changed"),
    "device.calibrated": _l("Device calibrated"),
    "device_model.create": _l("Device model created"),
    "device_model.update": _l("Device model changed"),
    "sim.status": _l("SIM card state changed"),
    "holder.create": _l("Place created"),
    "holder.location": _l("Place location changed"),
    "kit.create": _l("Kit created"),
    "kit.pack": _l("Kit packed"),
    "kit.unpack": _l("Kit unpacked"),
    "kit_template.set": _l("Kit contents set"),
    "reservation.replace": _l("Reserved device replaced"),
    "stock_minimum.set": _l("Stock minimum set"),
    "inventory.import": _l("Devices imported"),
    "inventory.register_by_hand": _l("Device registered by hand"),
    "ticket.create": _l("Ticket created"),
    "ticket.view": _l("Opened the ticket"),
    "ticket.assign": _l("Ticket assigned"),
    "ticket.status": _l("Ticket status changed"),
    "ticket.reply": _l("Replied on the ticket"),
    "ticket.priority": _l("Ticket priority changed"),
    "ticket.group": _l("Ticket moved to another group"),
    "ticket.escalate": _l("Ticket escalated"),
    "ticket.device": _l("Device linked to the ticket"),
    "ticket.link": _l("Ticket linked to another ticket"),
    "ticket.merge": _l("Tickets merged"),
    "support.caller": _l("Shown as a match for a caller's phone number"),
    "support.caller_lookup": _l("Looked up a caller"),
    "support.canned_save": _l("Standard answer saved"),
    "support.group_save": _l("Support group saved"),
    "support.on_duty": _l("On-duty changed"),
    "support.sla_settings": _l("SLA settings changed"),
    "kb.save": _l("Knowledge base article saved"),
    "security.forbidden": _l("Refused: no access"),
    "security.rate_limited": _l("Refused: too many requests"),
}


PURPOSE_LABELS = {
    "support": _l("support"),
    "care": _l("care"),
    "field work": _l("field work"),
    "coordination": _l("coordination"),
}


@bp.app_context_processor
def audit_labels():
    return {"action_label": lambda action: ACTION_LABELS.get(action, action),
            "purpose_label": lambda purpose: PURPOSE_LABELS.get(purpose, purpose or "")}


def _open_citizen(citizen_id: int):
    s = db_session()
    with unit_of_work(s):
        access = open_citizen(s, citizen_id, actor=current_user, now=now(), action="citizen.access_log")
    if not access.allowed:
        abort(404)
    return access.citizen


@bp.get("/citizens/<int:citizen_id>/access-log")
@require(can_view_citizen_audit)
@rate_limited("record")
def citizen_access(citizen_id: int):
    citizen = _open_citizen(citizen_id)
    s, per_page = db_session(), current_app.config["PAGE_SIZE"]
    rows = service.list_citizen_access(s, citizen_id, page=page_arg(), per_page=per_page)
    total = service.count_citizen_access(s, citizen_id)
    return render_template("audit/citizen_access.html", citizen=citizen, rows=rows, total=total,
                           page=page_arg(), per_page=per_page)


@bp.get("/citizens/<int:citizen_id>/access-log.csv")
@require(can_view_citizen_audit)
@rate_limited("export")
def citizen_access_csv(citizen_id: int):
    _open_citizen(citizen_id)
    header = [gettext("Time"), gettext("Person"), gettext("Role"), gettext("Organisation"), gettext("Action"),
              gettext("Purpose"), gettext("Outcome"), gettext("Address"), gettext("Request id")]
    rows = [
        (format_datetime(e.at, "yyyy-MM-dd HH:mm:ss"), name or gettext("System"), e.actor_role, org,
         str(ACTION_LABELS.get(e.action, e.action)), str(PURPOSE_LABELS.get(e.purpose, e.purpose or "")),
         gettext("allowed") if e.outcome.value == "allowed" else gettext("denied"), e.address or "",
         e.request_id or "")
        for e, name, org in service.iter_citizen_access(db_session(), citizen_id)
    ]
    return Response(
        "".join(csv_lines(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=access-log-{citizen_id}.csv"},
    )


@bp.get("/audit/security")
@require(can_review_security_events)
def security_events():
    """Refusals by role or rate limit: who, what, when, from which address, with the request id to find in logs."""
    per_page = current_app.config["PAGE_SIZE"]
    rows = service.list_security_events(db_session(), page=page_arg(), per_page=per_page)
    return render_template("audit/security_events.html", rows=rows[:per_page], has_more=len(rows) > per_page,
                           page=page_arg())
