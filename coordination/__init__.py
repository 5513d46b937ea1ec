"""Coordination: the indicators the programmes report monthly, the coordinator's dashboard, and the monthly
steering-group report with its deviations explained before release; the devices that do not come back.

Importing this package loads no Flask; init_app plugs it into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from coordination.cli import coordination_cli
    from coordination.history import non_return_entries
    from coordination.jobs import JOBS
    from coordination.non_return_views import bp as non_returns_bp
    from coordination.non_return_views import device_panel
    from coordination.service.non_returns import on_course_status
    from coordination.service.reports import HANDLER as REPORT_HANDLER
    from coordination.views import bp
    from servicecenter.courses import journey
    from servicecenter.extensions import register_extension
    from servicecenter.jobs import register_job
    from servicecenter.queue import register_handler

    app.register_blueprint(bp)
    app.register_blueprint(non_returns_bp)
    register_extension(app, "nav", ("coordination.dashboard", _l("Indicators")))
    register_extension(app, "nav", ("non_returns.index", _l("Not returned")))
    register_extension(app, "timeline_sources", non_return_entries)
    register_extension(app, "device_panels", device_panel)
    journey.add_status_listener("non_returns", on_course_status)
    app.cli.add_command(coordination_cli)
    for job in JOBS:
        register_job(job)
    register_handler(REPORT_HANDLER)  # a report asked for on the page is drafted by a job of the queue
