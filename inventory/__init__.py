"""Inventory: device models, devices, kits, SIMs, holders, the movement ledger, labels and scanning."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Plug the feature into the app: pages, command line, scheduled jobs, demo data, the citizen page."""
    from inventory.cli import inventory_cli
    from inventory.demo import load_inventory_demo
    from inventory.jobs import JOBS
    from inventory.service import devices_in_home, home_facts, startpage
    from inventory.timeline import models_in_home, movement_entries
    from inventory.views import bp
    from inventory.views.citizen_panel import citizen_panel
    from servicecenter.auth.models import Role
    from servicecenter.courses.journey import add_fact_source
    from servicecenter.extensions import register_extension
    from servicecenter.jobs import register_job
    from servicecenter.startpage import Panel

    app.register_blueprint(bp)
    app.cli.add_command(inventory_cli)
    for job in JOBS:
        register_job(job)
    register_extension(app, "demo_loaders", load_inventory_demo)
    register_extension(app, "citizen_panels", citizen_panel)
    register_extension(app, "timeline_sources", movement_entries)
    register_extension(app, "course_devices", devices_in_home)
    register_extension(app, "course_models", models_in_home)
    add_fact_source("inventory", home_facts)
    register_extension(app, "nav", ("inventory.index", _l("Inventory")))
    register_extension(app, "start_panels", Panel("warehouse", frozenset({Role.WAREHOUSE}), 10,
                                                  "inventory/start/work.html", startpage.warehouse_work))
    register_extension(app, "start_panels", Panel("where", frozenset({Role.HELPDESK, Role.WAREHOUSE, Role.COORDINATOR}),
                                                  45, "inventory/start/where.html"))
    register_extension(app, "start_panels", Panel("stock", frozenset({Role.WAREHOUSE, Role.COORDINATOR}), 40,
                                                  "inventory/start/stock.html", startpage.stock_against_minimums))
