"""SIM cards: the list (found by ICCID or phone number), a card's page with its tablet and its pairing and state
histories, and suspending or reactivating it while its tablet is in stock."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from inventory import service
from inventory.forms import SimStateForm
from inventory.models import SimCard
from inventory.views import bp
from servicecenter.auth.permissions import can_manage_inventory, can_view_inventory
from servicecenter.db import unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.web import now, page_arg, require, show_error

ACTIONS = {"suspend": (service.suspend_sim, N_("The SIM card is suspended.")),
           "reactivate": (service.reactivate_sim, N_("The SIM card is active again."))}


@bp.get("/sims")
@require(can_view_inventory)
def sims():
    """SIM cards by ICCID; a whole scanned ICCID opens its card."""
    s, query = db_session(), request.args.get("q", "").strip()[:40]
    exact = service.find_sim(s, query) if query else None
    if exact is not None:
        return redirect(url_for("inventory.sim", sim_id=exact.id))
    rows, has_more = service.list_sims(s, query=query, page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("inventory/sims.html", sims=rows, has_more=has_more, page=page_arg(), query=query)


def _render_sim(s, sim: SimCard, status: int = 200, form: SimStateForm | None = None):
    return render_template("inventory/sim.html", sim=sim, pairings=service.sim_pairings(s, sim.id),
                           history=service.sim_state_history(s, sim.id), form=form or SimStateForm()), status


@bp.get("/sims/<int:sim_id>")
@require(can_view_inventory)
def sim(sim_id: int):
    s = db_session()
    return _render_sim(s, service.get_sim(s, sim_id))


@bp.post("/sims/<int:sim_id>/state")
@require(can_manage_inventory)
def sim_state(sim_id: int):
    """Suspend or reactivate, with a reason: one transaction, audited by the state machine."""
    s, form = db_session(), SimStateForm()
    change, done = ACTIONS.get(request.form.get("action", "")) or abort(400)
    service.get_sim(s, sim_id)
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                change(s, service.get_sim(s, sim_id), reason=form.reason.data, actor=current_user, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext(done), "success")
            return redirect(url_for("inventory.sim", sim_id=sim_id))
    return _render_sim(s, service.get_sim(s, sim_id), 400, form)
