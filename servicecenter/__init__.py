"""The service-center application: create_app() reads like the table of contents of the system."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from servicecenter.config import ROOT, check_config, load_config

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    # Flask is imported here, not above, so flask-free modules such as servicecenter.workdays load without it.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_relative_config=False)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    check_config(app.config)
    from servicecenter.inputguards import init_input_guards

    init_input_guards(app)  # before the blueprints (their <int:...> ids) and the security hooks
    if app.config.get("PROXY_COUNT"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=1)
    from servicecenter import logredact

    logredact.install()
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from servicecenter.auth import passwords
    from servicecenter.extensions import babel, csrf, init_database, login_manager, register_extension
    from servicecenter.i18n import init_i18n
    from servicecenter.security import init_security, undeclared_endpoints

    passwords.configure(time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"])
    init_database(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    init_i18n(app, babel)
    init_security(app)
    from servicecenter.web import init_idempotency

    init_idempotency(app)

    from servicecenter.audit.views import bp as audit_bp
    from servicecenter.auth.views import admin_bp
    from servicecenter.auth.views import bp as auth_bp
    from servicecenter.citizens.views import bp as citizens_bp
    from servicecenter.courses.history import course_entries
    from servicecenter.courses.views import bp as courses_bp
    from servicecenter.main import bp as main_bp
    from servicecenter.organisations.views import bp as organisations_bp
    from servicecenter.training.history import training_entries
    from servicecenter.training.views import bp as training_bp

    for blueprint in (main_bp, auth_bp, admin_bp, organisations_bp, citizens_bp, courses_bp, training_bp, audit_bp):
        app.register_blueprint(blueprint)
    for source in (course_entries, training_entries):
        register_extension(app, "timeline_sources", source)
    from servicecenter.core_panels import PANELS

    for panel in PANELS:
        register_extension(app, "start_panels", panel)

    import api
    import coordination
    import dispatch
    import fhirapi
    import inventory
    import knowledge
    import portal
    import support
    import webhooks

    inventory.init_app(app)
    dispatch.init_app(app)
    support.init_app(app)
    portal.init_app(app)
    coordination.init_app(app)
    knowledge.init_app(app)
    api.init_app(app)
    fhirapi.init_app(app)
    webhooks.init_app(app)

    from servicecenter.cli import register_cli
    from servicecenter.courses.cli import courses_cli
    from servicecenter.errorpages import register_error_handlers

    register_error_handlers(app)
    register_cli(app)
    app.cli.add_command(courses_cli)

    missing = undeclared_endpoints(app)
    if missing:
        raise RuntimeError(f"endpoints without a declared permission: {', '.join(missing)}")
    return app
