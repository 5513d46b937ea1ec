"""Dispatch pages: one blueprint, its views split by who is working (nurse, helpdesk/planner, technician,
citizen)."""

from flask import Blueprint

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch", template_folder="../templates")

from dispatch.views import confirm, course_visits, field, planner, queue, requests, technicians  # noqa: E402, F401
