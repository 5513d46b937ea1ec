"""Dispatch: visit requests, technicians, planning and routing, route sheets and field execution."""

from __future__ import annotations

from functools import partial

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Plug the feature into the app: pages, the timeline source, the journey's facts and listeners, jobs, demo data,
    navigation, the technician's need to know."""
    from dispatch.demo import dispatch_demo_logins, load_dispatch_demo
    from dispatch.history import visit_entries
    from dispatch.jobs import JOBS
    from dispatch.service import on_course_ended, on_course_status, planning, reservation_claims, startpage, visit_facts
    from dispatch.service.access import technician_rule
    from dispatch.service.technicians import own_van, van_driver
    from dispatch.views import bp
    from dispatch.views.citizen_panel import citizen_panel
    from dispatch.views.course_visits import course_actions, course_panel
    from inventory.service import add_reservation_claims
    from servicecenter.auth.models import Role
    from servicecenter.citizens.access import register_rule
    from servicecenter.courses import journey
    from servicecenter.extensions import register_extension
    from servicecenter.jobs import register_job
    from servicecenter.queue import register_handler
    from servicecenter.startpage import Panel

    app.config.setdefault("PLAN_SECONDS", 10.0)
    app.config.setdefault("TRAVEL_PROVIDER", "haversine")
    app.config.setdefault("PICKUP_OVERDUE_DAYS", 14)  # days after a course ends before its pickup is overdue
    app.config.setdefault("PICKUP_REMINDER_DAYS", 3)  # a pickup booked this many days ahead: "have it all ready"
    app.config.setdefault("VISIT_REMINDER_HOURS", (9, 20))  # local hours in which the reminder job writes texts
    app.register_blueprint(bp)
    register_extension(app, "timeline_sources", visit_entries)
    journey.add_fact_source("dispatch", visit_facts)
    journey.add_ended_listener("dispatch", on_course_ended)
    journey.add_status_listener("dispatch", on_course_status)
    add_reservation_claims("dispatch", reservation_claims)
    register_rule(Role.TECHNICIAN, "dispatch", technician_rule)
    for job in JOBS:
        register_job(job)
    register_handler(planning.HANDLER)  # optimising a day runs as a job of the queue (servicecenter/queue.py)
    register_extension(app, "demo_loaders", load_dispatch_demo)
    register_extension(app, "demo_logins", dispatch_demo_logins)
    register_extension(app, "citizen_panels", citizen_panel)
    register_extension(app, "own_van", own_van)  # "load van" preselects the technician's own van
    register_extension(app, "van_driver", van_driver)  # "where was it?" names the van's technician
    register_extension(app, "course_panels", course_panel)
    register_extension(app, "course_actions", course_actions)
    register_extension(app, "nav", ("dispatch.queue", _l("Visits")))
    register_extension(app, "nav", ("dispatch.my_day", _l("My day")))
    register_extension(app, "nav", ("dispatch.my_requests", _l("My requests")))
    overview = partial(startpage.dispatch_overview, overdue_days=app.config["PICKUP_OVERDUE_DAYS"])
    for panel in (Panel("visits", frozenset({Role.HELPDESK, Role.COORDINATOR}), 30, "dispatch/start/overview.html",
                        overview),
                  Panel("my_day", frozenset({Role.TECHNICIAN}), 10, "dispatch/start/my_day.html",
                        startpage.technician_today, wide=True),
                  Panel("requests", frozenset({Role.NURSE}), 10, "dispatch/start/requests.html",
                        startpage.nurse_requests),
                  Panel("kits", frozenset({Role.WAREHOUSE}), 20, "dispatch/start/kits.html", startpage.kits_to_pack)):
        register_extension(app, "start_panels", panel)
