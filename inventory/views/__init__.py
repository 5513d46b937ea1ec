"""Inventory pages: one blueprint, its views split by what the person is doing."""

from flask import Blueprint

bp = Blueprint("inventory", __name__, url_prefix="/inventory", template_folder="../templates")

from inventory.views import catalog, devices, imports, kits, scanning, sims  # noqa: E402, F401 - register the routes
