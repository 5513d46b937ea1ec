"""FHIR R4 read endpoints under /fhir, shaped as the national eHealth infrastructure (FUT) profiles them: Device
(owned by an organisation, never pointing at a patient), DeviceUseStatement (a citizen's custody of a device),
Patient (DK Core's CPR identifier only), Organization, and a Bundle per citizen. Same bearer tokens and scopes as the
REST API (api/auth.py); errors are OperationOutcome.

Importing this package loads no Flask; init_app plugs it into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from fhirapi.outcome import register_outcome_prefix
    from fhirapi.views import bp
    from servicecenter.extensions import csrf

    csrf.exempt(bp)  # a bearer token, never a cookie: nothing a browser sends on its own
    app.register_blueprint(bp)
    register_outcome_prefix(app)
