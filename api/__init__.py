"""Interfaces for other systems: the REST API under /api/v1 (tokens issued by an admin per integration, each with
scopes and an organisation scope; OpenAPI 3.1 generated from the code by spectree), and the admin pages that issue
and revoke the tokens.

Importing this package loads no Flask; init_app plugs it into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from api.admin_views import bp as admin_bp
    from api.problems import register_problem_prefix
    from api.views import bp
    from servicecenter.extensions import csrf

    csrf.exempt(bp)  # a bearer token, never a cookie: nothing a browser sends on its own
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    register_problem_prefix(app, "/api/")
