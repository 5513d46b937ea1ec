"""MitID through NemLog-in (or a broker) over OpenID Connect, with Authlib's Flask client: discovery, the
authorization code flow with PKCE (S256), state and nonce kept in the session, the ID token's signature checked
against the provider's keys and its issuer, audience, expiry and nonce by Authlib; then our own checks: the level
of assurance must be "betydelig" (Substantial) or higher, and the token must carry a CPR number.

Configured by PORTAL_OIDC_ISSUER, PORTAL_OIDC_CLIENT_ID, PORTAL_OIDC_CLIENT_SECRET; the claims' names and the
accepted levels default to NemLog-in's (PORTAL_OIDC_CPR_CLAIM, PORTAL_OIDC_LOA_CLAIM, PORTAL_OIDC_LEVELS)."""

from __future__ import annotations

import logging

from flask import current_app

from servicecenter.errors import N_, DomainError

log = logging.getLogger(__name__)
NSIS = "https://data.gov.dk/concept/core/nsis/loa"
DEFAULTS = {
    "PORTAL_OIDC_CPR_CLAIM": "https://data.gov.dk/model/core/eid/cprNumber",
    "PORTAL_OIDC_LOA_CLAIM": NSIS,
    "PORTAL_OIDC_LEVELS": (f"{NSIS}/Substantial", f"{NSIS}/High"),
    "PORTAL_OIDC_SCOPE": "openid mitid ssn",
}


class MitIdFailed(DomainError):
    status_code = 403


def init_oidc(app) -> None:
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    if not app.config.get("PORTAL_OIDC_ISSUER"):
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    oauth.register(
        "mitid", client_id=app.config["PORTAL_OIDC_CLIENT_ID"], client_secret=app.config["PORTAL_OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["PORTAL_OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["PORTAL_OIDC_SCOPE"], "code_challenge_method": "S256",
                       "timeout": 10})
    app.extensions["portal_oidc"] = oauth


def _client():
    return current_app.extensions["portal_oidc"].mitid


def start_mitid(redirect_uri: str):
    """To the provider; Authlib keeps state, nonce and the PKCE verifier in the session for the callback."""
    import secrets

    return _client().authorize_redirect(redirect_uri, nonce=secrets.token_urlsafe(24))


def mitid_identity() -> str:
    """The CPR number of the person MitID signed in, at an accepted level; MitIdFailed otherwise (logged, without
    the token or the number)."""
    try:
        token = _client().authorize_access_token()
    except Exception as error:  # noqa: BLE001 - state, code, signature, claims: each is a refusal to the person
        log.warning("MitID sign-in refused: %s", type(error).__name__)
        raise MitIdFailed(N_("The MitID sign-in did not succeed. Try again.")) from None
    claims = token.get("userinfo") or {}
    config = current_app.config
    if claims.get(config["PORTAL_OIDC_LOA_CLAIM"]) not in config["PORTAL_OIDC_LEVELS"]:
        log.warning("MitID sign-in refused: level of assurance too low")
        raise MitIdFailed(N_("This needs MitID at level Substantial or higher."))
    cpr = str(claims.get(config["PORTAL_OIDC_CPR_CLAIM"]) or "")
    if len(cpr) != 10 or not cpr.isdigit():
        log.warning("MitID sign-in refused: no CPR number in the token")
        raise MitIdFailed(N_("MitID did not tell us your CPR number. Try again, and allow it to be shared."))
    return cpr
