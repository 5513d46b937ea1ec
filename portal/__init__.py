"""Self-service for citizens and relatives (the portal): her coming visits, confirmed, moved or cancelled under
the booking rules; her devices, trainings and contact persons; a problem reported; who looked at her record; and
the relatives she gives access to. Signed in at two levels of assurance: a one-time code by SMS (visit windows
only) and MitID over OpenID Connect (everything she, or the relative she granted it, may see).

Importing this package loads no Flask; init_app plugs it into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from portal.demo import load_portal_demo, portal_demo_note
    from portal.jobs import JOBS
    from portal.staff import citizen_panel
    from portal.views import bp, init_portal
    from servicecenter.extensions import register_extension
    from servicecenter.jobs import register_job

    app.register_blueprint(bp)
    init_portal(app)
    register_extension(app, "citizen_panels", citizen_panel)
    register_extension(app, "login_links", ("portal.start", _l("Citizen or relative? See your visits and equipment")))
    register_extension(app, "demo_loaders", load_portal_demo)
    register_extension(app, "demo_notes", portal_demo_note)
    for job in JOBS:
        register_job(job)
