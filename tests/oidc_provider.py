"""A small but real OpenID Connect provider on 127.0.0.1 for the tests: MitID through NemLog-in cannot be reached
from here, so the portal's client runs the whole flow against this one: discovery, the authorization code with
PKCE (S256 only), state passed back, the nonce in the ID token, RS256 signatures checked against the JWKS.

The ID token carries NemLog-in's claims (the NSIS level of assurance and the CPR number, as named in NemLog-in's
OIDC profile: https://data.gov.dk/concept/core/nsis/loa and https://data.gov.dk/model/core/eid/cprNumber).
Tests say who signs in next, and may make the provider misbehave (a foreign key, a wrong nonce or audience, an
expired token, no CPR number) to see the client refuse it.

    with TestProvider(redirect_uris=["http://localhost/portal/mitid/callback"]) as provider:
        provider.next_login(cpr="0101801234")            # Substantial by default
        ... the app, configured with provider.issuer, provider.client_id, provider.client_secret ...

A browser gets an approval page ("Test MitID", a button); `auto_approve=True` redirects at once (test clients).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from markupsafe import escape
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NSIS = "https://data.gov.dk/concept/core/nsis/loa"
SUBSTANTIAL, LOW, HIGH = f"{NSIS}/Substantial", f"{NSIS}/Low", f"{NSIS}/High"
CPR_CLAIM = "https://data.gov.dk/model/core/eid/cprNumber"
TAMPERS = {"wrong_key", "wrong_nonce", "wrong_aud", "expired", "no_cpr", "wrong_iss"}


@dataclass
class Login:
    cpr: str
    loa: str = SUBSTANTIAL
    name: str = "Test Person"
    refuse: bool = False
    tamper: str | None = None


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    login: Login
    expires: float


class TestProvider:
    __test__ = False  # not a pytest test class

    def __init__(self, *, redirect_uris: list[str] | None = None, client_id: str = "servicecenter-portal",
                 client_secret: str | None = None, auto_approve: bool = False) -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.redirect_uris = list(redirect_uris or [])
        self.auto_approve = auto_approve
        self.key = RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex[:8], "use": "sig", "alg": "RS256"})
        self._stranger = RSAKey.generate_key(2048, parameters={"kid": self.key.kid, "alg": "RS256"})
        self._next: Login | None = None
        self._codes: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.token_requests = 0
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- the test's controls ------------------------------------------------------------------------------------

    def start(self) -> TestProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> TestProvider:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def next_login(self, cpr: str = "", *, loa: str = SUBSTANTIAL, name: str = "Test Person", refuse: bool = False,
                   tamper: str | None = None) -> None:
        """Who signs in at the next authorization (and how the provider misbehaves, if asked)."""
        assert tamper is None or tamper in TAMPERS, tamper
        self._next = Login(cpr=cpr, loa=loa, name=name, refuse=refuse, tamper=tamper)

    def app_config(self) -> dict:
        return {"PORTAL_OIDC_ISSUER": self.issuer, "PORTAL_OIDC_CLIENT_ID": self.client_id,
                "PORTAL_OIDC_CLIENT_SECRET": self.client_secret}

    # --- the endpoints ------------------------------------------------------------------------------------------

    def _app(self, environ, start_response):
        request = Request(environ)
        routes = {"/.well-known/openid-configuration": self._discovery, "/jwks": self._jwks,
                  "/authorize": self._authorize, "/token": self._token}
        handler = routes.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def _discovery(self, _request: Request) -> Response:
        return _json({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                      "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                      "response_types_supported": ["code"], "subject_types_supported": ["pairwise"],
                      "id_token_signing_alg_values_supported": ["RS256"],
                      "code_challenge_methods_supported": ["S256"], "scopes_supported": ["openid", "mitid", "ssn"],
                      "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                      "claims_supported": ["sub", "acr", NSIS, CPR_CLAIM, "name"]})

    def _jwks(self, _request: Request) -> Response:
        return _json({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, request: Request) -> Response:
        args = request.values
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            return Response("unknown client or redirect_uri", status=400)  # never redirect to an unknown place
        state = args.get("state", "")
        if args.get("response_type") != "code" or "openid" not in args.get("scope", "").split():
            return _redirect(redirect_uri, error="invalid_request", state=state)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return _redirect(redirect_uri, error="invalid_request", error_description="PKCE S256 required",
                             state=state)
        login = self._next
        if login is None or login.refuse or request.form.get("decision") == "refuse":
            return _redirect(redirect_uri, error="access_denied", state=state)
        if request.method == "GET" and not self.auto_approve:
            return self._approval_page(request)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = Grant(self.client_id, redirect_uri, args["code_challenge"], args.get("nonce"), login,
                                      time.time() + 60)
        return _redirect(redirect_uri, code=code, state=state)

    def _approval_page(self, request: Request) -> Response:
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in request.args.items(multi=True))
        page = (f'<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Test MitID</title></head><body>'
                f'<main><h1>Test MitID</h1><p>CPR {escape(self._next.cpr)}</p>'
                f'<form method="post" action="/authorize">{hidden}'
                f'<button type="submit" name="decision" value="approve" id="approve">Godkend</button> '
                f'<button type="submit" name="decision" value="refuse" id="refuse">Afvis</button>'
                f'</form></main></body></html>')
        return Response(page, content_type="text/html; charset=utf-8")

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        client_id, secret = _client_credentials(request)
        if client_id != self.client_id or not secrets.compare_digest(secret or "", self.client_secret):
            return _json({"error": "invalid_client"}, 401)
        if request.form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self._codes.pop(request.form.get("code", ""), None)  # a code is used once
        if grant is None or grant.expires < time.time():
            return _json({"error": "invalid_grant"}, 400)
        if request.form.get("redirect_uri") != grant.redirect_uri:
            return _json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        verifier = request.form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or challenge != grant.challenge:
            return _json({"error": "invalid_grant", "error_description": "code_verifier"}, 400)
        return _json({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                      "id_token": self._id_token(grant), "scope": "openid"})

    def _id_token(self, grant: Grant) -> str:
        login, now = grant.login, int(time.time())
        claims = {"iss": self.issuer, "aud": grant.client_id, "sub": _pseudonym(login.cpr), "iat": now,
                  "exp": now + 300, "auth_time": now, "acr": login.loa, NSIS: login.loa, CPR_CLAIM: login.cpr,
                  "name": login.name}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        key = self.key
        match login.tamper:
            case "wrong_key":
                key = self._stranger
            case "wrong_nonce":
                claims["nonce"] = secrets.token_urlsafe(16)
            case "wrong_aud":
                claims["aud"] = "someone-else"
            case "wrong_iss":
                claims["iss"] = "http://127.0.0.1:1"
            case "expired":
                claims["iat"], claims["exp"] = now - 3600, now - 1800
            case "no_cpr":
                del claims[CPR_CLAIM]
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _pseudonym(cpr: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"test-mitid:{cpr}"))


def _client_credentials(request: Request) -> tuple[str | None, str | None]:
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username, request.authorization.password
    return request.form.get("client_id"), request.form.get("client_secret")


def _json(body: dict, status: int = 200) -> Response:
    import json

    return Response(json.dumps(body), status=status, content_type="application/json",
                    headers={"Cache-Control": "no-store"})


def _redirect(uri: str, **params: str) -> Response:
    return Response(status=302, headers={"Location": f"{uri}?{urlencode(params)}"})
