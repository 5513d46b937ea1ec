"""Dispatch: visit requests, technicians, planning and routing, route sheets and field execution."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Plug the feature into the app: pages, the timeline source, the course-ended hook, demo data, navigation."""
    from dispatch.demo import dispatch_demo_logins, load_dispatch_demo
    from dispatch.history import visit_entries
    from dispatch.service.allocation import create_pickup_for_ended_course
    from dispatch.views import bp
    from dispatch.views.citizen_panel import citizen_panel
    from servicecenter.extensions import register_extension

    app.config.setdefault("PLAN_SECONDS", 10.0)
    app.config.setdefault("PLAN_IN_BACKGROUND", True)
    app.config.setdefault("TRAVEL_PROVIDER", "haversine")
    app.register_blueprint(bp)
    register_extension(app, "timeline_sources", visit_entries)
    register_extension(app, "on_course_ended", create_pickup_for_ended_course)
    register_extension(app, "demo_loaders", load_dispatch_demo)
    register_extension(app, "demo_logins", dispatch_demo_logins)
    register_extension(app, "citizen_panels", citizen_panel)
    register_extension(app, "nav", ("dispatch.queue", _l("Visits")))
    register_extension(app, "nav", ("dispatch.my_day", _l("My day")))
    register_extension(app, "nav", ("dispatch.my_requests", _l("My requests")))
