"""The ticket queue: my tickets, unassigned, breaching soon, breached and one tab per group; the agent's on-duty
switch for round-robin; "take" from the list."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from servicecenter.auth.permissions import can_work_tickets
from servicecenter.db import unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.i18n import short_datetime_formatter
from servicecenter.inputguards import bounded_int
from servicecenter.web import listed_after_render, now, page_arg, require
from support.service import queue as queues
from support.service import tickets
from support.views import bp
from support.views.labels import labels  # noqa: F401 - registers the template helpers


@bp.get("/")
@require(can_work_tickets)
def queue():
    s = db_session()
    view = request.args.get("view", "mine")
    group_id = request.args.get("group", type=bounded_int)
    if group_id is not None:
        view = "group"
    elif view not in queues.VIEWS:
        abort(404)
    at = now()
    page = queues.queue_page(s, view, user_id=current_user.id, now=at, page=page_arg(), group_id=group_id)
    counts = queues.queue_counts(s, user_id=current_user.id, now=at)
    html = render_template("support/queue.html", page=page, view=view, counts=counts, group_id=group_id,
                           groups=tickets.list_groups(s), duty=tickets.memberships(s, current_user.id), now=at,
                           when=short_datetime_formatter(), words=_words(), badge_class=BADGES, csrf=generate_csrf(),
                           ticket_path=url_for("support.ticket", ticket_id=0)[:-1])
    return listed_after_render(html, [t.citizen_id for t in page.tickets if t.citizen_id],
                               action="citizen.list_tickets")


# The rows' links are the ticket's path with its number appended (url_for once, not 150 times a page).
BADGES = {"breached": "text-bg-danger", "soon": "text-bg-warning", "paused": "text-bg-secondary",
          "done": "text-bg-light border"}


def _words() -> dict:
    """Every label the rows repeat, translated once per page (50 rows called gettext hundreds of times)."""
    msgids = {**tickets.CATEGORY_LABELS, **tickets.REQUESTER_LABELS, **tickets.TICKET_STATUS.labels,
              "breached": N_("breached"), "soon": N_("breaching soon"), "paused": N_("paused"), "done": N_("done"),
              "escalated": N_("escalated"), "take": N_("Take")}
    return {key: gettext(msgid) for key, msgid in msgids.items()}


@bp.post("/duty")
@require(can_work_tickets)
def duty():
    """The agent says whether round-robin may give them new tickets in a group."""
    group_id = request.form.get("group_id", type=bounded_int)
    on_duty = request.form.get("on_duty") == "1"
    s = db_session()
    try:
        with unit_of_work(s):
            tickets.set_on_duty(s, group_id=group_id or 0, user=current_user, on_duty=on_duty, now=now())
    except DomainError as error:
        flash(error.translate(gettext), "danger")
    else:
        flash(gettext("You now take new tickets by turn.") if on_duty
              else gettext("You no longer take new tickets by turn."), "success")
    return redirect(url_for("support.queue"))
