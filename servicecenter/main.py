"""The front page, the language switch and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicecenter.auth.forms import ROLE_LABELS
from servicecenter.auth.permissions import is_authenticated
from servicecenter.db import database_is_up, unit_of_work
from servicecenter.extensions import db_session, get_database
from servicecenter.startpage import COUNT_CAP, panels_for
from servicecenter.web import now, public, require, safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
@require(is_authenticated)
def index():
    """The start page is the person's work: the panels registered for their role, each with live counts and one
    click (or key) from its task. A role without panels (the administrator) gets the navigation as cards."""
    s, at = db_session(), now()
    # Some panels list citizens by name: each is a logged read, saved with the page. Rendered inside the unit of
    # work, so what the panels loaded is not expired and reloaded row by row by the commit.
    with unit_of_work(s):
        shown = [(panel, panel.load(s, current_user, at) if panel.load else None)
                 for panel in panels_for(current_app.extensions.get("start_panels", []), current_user.role)]
        return render_template("index.html", panels=shown, cap=COUNT_CAP)


@bp.post("/language")
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.get("/healthz")
@public
def health():
    """For the load balancer: 200 when the database answers SELECT 1, else 503 (take this instance out)."""
    if not database_is_up(get_database().engine):
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok")


@bp.app_context_processor
def navigation():
    """Role-aware navigation: each entry shows only to users whose permission the target view declares."""

    def nav_items():
        # "nav_end": areas used less often than the core's, after them (under "More" when the bar is full).
        entries = (NAV[:1] + current_app.extensions.get("nav", []) + NAV[1:]
                   + current_app.extensions.get("nav_end", []))
        return [(endpoint, label, current_app.view_functions[endpoint].permission(current_user))
                for endpoint, label in entries]

    def nav_permission(endpoint: str) -> bool:
        return current_app.view_functions[endpoint].permission(current_user)

    def nav_bar():
        """The entries this user may open, split so the bar fits one line at 1280 px: the first NAV_INLINE in the
        bar, the rest (the areas a role with many uses least, which come last) under "More"."""
        allowed = [(endpoint, label) for endpoint, label, ok in nav_items() if ok]
        if len(allowed) <= NAV_INLINE + 1:
            return allowed, []
        return allowed[:NAV_INLINE], allowed[NAV_INLINE:]

    return {"nav_items": nav_items, "nav_permission": nav_permission, "nav_bar": nav_bar,
            "nav_shortcuts": NAV_SHORTCUTS, "role_label": lambda role: ROLE_LABELS.get(role, role)}


# How many navigation entries fit the bar at 1280 px in Danish and English beside the brand and the user's menu
# (tests/browser/test_polish.py measures it for every role); more go under "More".
NAV_INLINE = 5

# Single keys (outside a text field) that open a page from anywhere, shown on the pages that use them.
NAV_SHORTCUTS = {"support.queue": "q"}

NAV = [
    ("citizens.index", _l("Citizens")),
    ("courses.handovers", _l("Handovers")),
    ("training.follow_ups", _l("Follow-ups")),
    ("training.competence", _l("Competence")),
    ("courses.programmes", _l("Programmes")),
    ("admin.users", _l("Users")),
    ("organisations.index", _l("Organisations")),
]
