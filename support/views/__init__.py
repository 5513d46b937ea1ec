"""Support's pages: the queue, log a call, the ticket, the knowledge base and the settings."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("support", __name__, url_prefix="/support", template_folder="../templates")

from support.views import admin, calls, kb, queue, tickets  # noqa: E402, F401 - the views register on bp
