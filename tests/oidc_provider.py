"""A small but real OpenID Connect provider on 127.0.0.1 for the tests: MitID through NemLog-in cannot be reached
from here, so a client runs the whole flow against this one over real HTTP: discovery, the authorization code with
PKCE (S256 only), state passed back, the nonce in the ID token, RS256 signatures checked against the JWKS.

    with TestProvider(redirect_uris=["http://localhost/portal/mitid/callback"], auto_approve=True) as provider:
        provider.next_login(cpr="0101801234")                     # Substantial by default
        app = make_test_app(..., **provider.app_config())         # issuer, client id and secret

As a pytest fixture:

    @pytest.fixture
    def provider():
        with TestProvider(redirect_uris=[...]) as provider:
            yield provider

A browser gets an approval page titled "Test MitID" with the buttons "Approve" (#approve) and "Refuse" (#refuse),
a form POST; `auto_approve=True` redirects at once (for the Flask test client or requests). Tests say who signs in
next (`next_login`, which holds until changed or `reset()`), and may make the provider misbehave — a foreign key, a
wrong nonce, audience or issuer, an expired or unsigned token, no CPR number — to see the client refuse it.

What the provider refuses by itself: an unknown client or a redirect_uri not registered for it (an error page, never
a redirect), a request without openid, a missing or non-S256 code_challenge (redirect with error=invalid_request), a
code used twice, expired (`code_ttl`), redeemed by another client or with another redirect_uri, a wrong or missing
code_verifier (the code is burnt all the same), a wrong client secret (client_secret_basic and client_secret_post).

Claim names and level values, as checked (2026) in public material:
- NemLog-in's login service speaks OIOSAML 3 ("Når jeres it-system anvender NemLog-ins login-services, skal jeres
  tjeneste anvende OIOSAML 3 profilen", https://tu.nemlog-in.dk/oprettelse-og-administration-af-tjenester/login/
  dokumentation-og-guides/); an OpenID Connect client reaches it through a broker that passes the OIOSAML 3
  attribute names on as claim names, e.g. FoxIDs' NemLog-in guide lists https://data.gov.dk/concept/core/nsis/loa,
  https://data.gov.dk/model/core/eid/cprNumber, .../eid/cprUuid, .../eid/firstName, .../eid/lastName. MitID brokers
  of their own (Signaturgruppen, https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/
  mitid.html; Signicat, https://developer.signicat.com/identity-methods/mitid/setup/attributes/) use other names
  (nemlogin.cpr, nin, mitid_loa): the app's PORTAL_OIDC_*_CLAIM settings exist for that.
- The levels as authentication context (SAML AuthnContextClassRef, here `acr`) are the URIs
  https://data.gov.dk/concept/core/nsis/loa/Low, .../Substantial, .../High (Digitaliseringsstyrelsen's OIOSAML.Java,
  dk.gov.oio.saml.model.NSISLevel.getUrl; FoxIDs' guide). The VALUE of the loa attribute in an OIOSAML 3 assertion
  is the bare name "Low", "Substantial" or "High" (the same NSISLevel.getNSISLevelFromAttributeValue; test
  assertions in public NemLog-in integrations carry "Substantial"). By default this provider puts the URI in the
  loa claim too, as the portal's client expects today; `loa_values="name"` sends the bare name as NemLog-in does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey
from markupsafe import escape
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NSIS = "https://data.gov.dk/concept/core/nsis/loa"
LOW, SUBSTANTIAL, HIGH = f"{NSIS}/Low", f"{NSIS}/Substantial", f"{NSIS}/High"
CPR_CLAIM = "https://data.gov.dk/model/core/eid/cprNumber"
TAMPERS = frozenset({
    "wrong_key",     # signed by a key that is not in the JWKS (with the published key's kid)
    "wrong_nonce",   # a nonce other than the authorization request's
    "no_nonce",      # no nonce claim although the request had one
    "wrong_aud",     # for another client
    "foreign_aud",   # for another client only, with azp naming this one (OIDC Core 3.1.3.7: the client refuses it)
    "wrong_iss",     # from another issuer
    "expired",       # issued and expired half an hour ago
    "no_cpr",        # no CPR number claim
    "alg_none",      # an unsigned token (alg "none")
    "no_id_token",   # the token response carries an access token only
})
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, unpadded


@dataclass
class Login:
    """Who signs in at the provider, and how the provider misbehaves (tamper)."""

    cpr: str
    loa: str = SUBSTANTIAL
    name: str = "Test Person"
    refuse: bool = False
    tamper: str | None = None


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    scope: str
    login: Login
    expires: float
    auth_time: int


def _new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex[:12], "use": "sig", "alg": "RS256"})


class TestProvider:
    """An OpenID provider on http://127.0.0.1:<random port>, in a daemon thread. Start with `start()` or `with`."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, redirect_uris: list[str] | None = None, client_id: str = "servicecenter-portal",
                 client_secret: str | None = None, auto_approve: bool = False, code_ttl: float = 60.0,
                 token_ttl: int = 300, loa_values: str = "uri") -> None:
        assert loa_values in ("uri", "name"), loa_values
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.clients: dict[str, Client] = {}
        self.register_client(client_id, self.client_secret, redirect_uris or [])
        self.auto_approve = auto_approve
        self.code_ttl = code_ttl          # seconds an authorization code lives; may be changed between logins
        self.token_ttl = token_ttl        # seconds an ID token lives
        self.loa_values = loa_values      # "uri": loa claim ".../loa/Substantial"; "name": "Substantial"
        self.key = _new_key()             # signs the ID tokens; its public half is at /jwks
        self._retired: list[RSAKey] = []  # earlier keys, still published after rotate_key()
        self._stranger = RSAKey.generate_key(2048, parameters={"kid": self.key.kid, "alg": "RS256"})
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"oidc-provider-{self._server.server_port}", daemon=True)
        self.reset()

    # --- the test's controls ------------------------------------------------------------------------------------

    def start(self) -> TestProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> TestProvider:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget the next login, the codes and tokens issued, and the counts (for a provider shared by tests)."""
        with self._lock:
            self._next: Login | None = None
            self._codes: dict[str, Grant] = {}
            self._access_tokens: dict[str, dict] = {}
            self.token_requests = 0                  # requests to /token, answered or refused
            self.authorization_requests: list[dict] = []  # the query of every /authorize request, as received

    def register_client(self, client_id: str, client_secret: str | None = None,
                        redirect_uris: list[str] | tuple[str, ...] = ()) -> str:
        """Another client (or the same one with other URIs); returns its secret. Redirect URIs match exactly."""
        secret = client_secret or secrets.token_urlsafe(24)
        self.clients[client_id] = Client(client_id, secret, list(redirect_uris))
        return secret

    @property
    def redirect_uris(self) -> list[str]:
        """The default client's registered redirect URIs (a live list: append to register one more)."""
        return self.clients[self.client_id].redirect_uris

    def next_login(self, cpr: str = "", *, loa: str = SUBSTANTIAL, name: str = "Test Person", refuse: bool = False,
                   tamper: str | None = None) -> None:
        """Who signs in from now on (until changed or reset): the CPR number, the NSIS level (LOW, SUBSTANTIAL,
        HIGH or any string), the name; refuse=True makes the person refuse (error=access_denied); tamper makes
        the provider misbehave in one of TAMPERS."""
        assert tamper is None or tamper in TAMPERS, f"tamper must be one of {sorted(TAMPERS)}"
        with self._lock:
            self._next = Login(cpr=cpr, loa=loa, name=name, refuse=refuse, tamper=tamper)

    def subject_of(self, cpr: str) -> str:
        """The pseudonymous, stable `sub` this provider gives the person with this CPR number."""
        return str(uuid.uuid5(uuid.NAMESPACE_OID, f"test-mitid:{cpr}"))

    def rotate_key(self) -> RSAKey:
        """Sign with a new key (a new kid) from now on; the JWKS publishes both, the new one first."""
        with self._lock:
            self._retired.insert(0, self.key)
            self.key = _new_key()
            self._stranger = RSAKey.generate_key(2048, parameters={"kid": self.key.kid, "alg": "RS256"})
        return self.key

    def app_config(self) -> dict:
        return {"PORTAL_OIDC_ISSUER": self.issuer, "PORTAL_OIDC_CLIENT_ID": self.client_id,
                "PORTAL_OIDC_CLIENT_SECRET": self.client_secret}

    @property
    def metadata(self) -> dict:
        """What /.well-known/openid-configuration answers."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "mitid", "ssn"],
            "acr_values_supported": [LOW, SUBSTANTIAL, HIGH],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "name", NSIS,
                                 CPR_CLAIM],
            "authorization_response_iss_parameter_supported": True,
        }

    # --- the endpoints ------------------------------------------------------------------------------------------

    def _app(self, environ, start_response):
        request = Request(environ)
        routes = {"/.well-known/openid-configuration": (self._discovery, ("GET",)), "/jwks": (self._jwks, ("GET",)),
                  "/authorize": (self._authorize, ("GET", "POST")), "/token": (self._token, ("POST",)),
                  "/userinfo": (self._userinfo, ("GET", "POST"))}
        handler, methods = routes.get(request.path, (None, ()))
        if handler is None:
            response = Response("not found", status=404)
        elif request.method not in methods:
            response = Response("method not allowed", status=405, headers={"Allow": ", ".join(methods)})
        else:
            response = handler(request)
        return response(environ, start_response)

    def _discovery(self, _request: Request) -> Response:
        return _json(self.metadata)

    def _jwks(self, _request: Request) -> Response:
        with self._lock:
            keys = [self.key, *self._retired]
        return _json({"keys": [key.as_dict(private=False) for key in keys]})

    def _authorize(self, request: Request) -> Response:
        args = request.values  # the query on GET; the approval page's hidden fields on POST
        if request.method == "GET":
            with self._lock:
                self.authorization_requests.append(request.args.to_dict(flat=True))
        client = self.clients.get(args.get("client_id", ""))
        redirect_uri = args.get("redirect_uri", "")
        if client is None:
            return _error_page("Unknown client_id.")
        if redirect_uri not in client.redirect_uris:
            return _error_page("This redirect_uri is not registered for the client.")  # never redirect there
        state = args.get("state")

        def back(**params: str) -> Response:
            return _redirect(redirect_uri, state=state, iss=self.issuer, **params)

        if args.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in args.get("scope", "").split():
            return back(error="invalid_scope", error_description="openid is required")
        if args.get("code_challenge_method") != "S256" or not _CHALLENGE.match(args.get("code_challenge", "")):
            return back(error="invalid_request", error_description="PKCE with S256 is required")
        with self._lock:
            login = self._next
        if login is None or login.refuse or request.form.get("decision") == "refuse":
            return back(error="access_denied")
        if request.method == "GET" and not self.auto_approve:
            return self._approval_page(request, login)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = Grant(client.client_id, redirect_uri, args["code_challenge"], args.get("nonce"),
                                      args.get("scope", ""), login, time.time() + self.code_ttl, int(time.time()))
        return back(code=code)

    def _approval_page(self, request: Request, login: Login) -> Response:
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in request.args.items(multi=True))
        page = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test MitID</title></head>'
                f'<body><main><h1>Test MitID</h1><p>Sign in as {escape(login.name)}, CPR {escape(login.cpr)}, '
                f'at level {escape(login.loa.rsplit("/", 1)[-1])}.</p>'
                f'<form method="post" action="/authorize">{hidden}'
                '<button type="submit" name="decision" value="approve" id="approve">Approve</button> '
                '<button type="submit" name="decision" value="refuse" id="refuse">Refuse</button>'
                '</form></main></body></html>')
        return Response(page, content_type="text/html; charset=utf-8")

    def _token(self, request: Request) -> Response:
        with self._lock:
            self.token_requests += 1
        client = self._authenticate(request)
        if client is None:
            return _json({"error": "invalid_client"}, 401, {"WWW-Authenticate": 'Basic realm="token"'})
        if request.form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self._codes.pop(request.form.get("code", ""), None)  # a code is used once, right or wrong
        if grant is None or grant.expires <= time.time():
            return _json({"error": "invalid_grant", "error_description": "unknown, used or expired code"}, 400)
        if grant.client_id != client.client_id:
            return _json({"error": "invalid_grant", "error_description": "code issued to another client"}, 400)
        if request.form.get("redirect_uri") != grant.redirect_uri:
            return _json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        verifier = request.form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(challenge, grant.challenge):
            return _json({"error": "invalid_grant", "error_description": "code_verifier"}, 400)
        access_token = secrets.token_urlsafe(32)
        claims = self._claims(grant)
        with self._lock:
            self._access_tokens[access_token] = {k: v for k, v in claims.items()
                                                 if k in ("sub", "name", NSIS, CPR_CLAIM)}
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": self.token_ttl,
                "scope": grant.scope}
        if grant.login.tamper != "no_id_token":
            body["id_token"] = self._id_token(grant, claims, access_token)
        return _json(body)

    def _authenticate(self, request: Request) -> Client | None:
        """client_secret_basic or client_secret_post, not both at once (RFC 6749 2.3)."""
        basic = request.authorization if request.authorization and request.authorization.type == "basic" else None
        posted = request.form.get("client_secret")
        if basic is not None and posted is not None:
            return None
        if basic is not None:  # form-urlencoded before base64 (RFC 6749 2.3.1)
            client_id, secret = unquote_plus(basic.username or ""), unquote_plus(basic.password or "")
        else:
            client_id, secret = request.form.get("client_id"), posted
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest((secret or "").encode(), client.client_secret.encode()):
            return None
        return client

    def _userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        with self._lock:
            claims = self._access_tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if claims is None:
            return _json({"error": "invalid_token"}, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return _json(claims)

    # --- the ID token -------------------------------------------------------------------------------------------

    def _claims(self, grant: Grant) -> dict:
        login, now = grant.login, int(time.time())
        level = login.loa if self.loa_values == "uri" else login.loa.rsplit("/", 1)[-1]
        claims = {"iss": self.issuer, "aud": grant.client_id, "sub": self.subject_of(login.cpr), "iat": now,
                  "exp": now + self.token_ttl, "auth_time": grant.auth_time, "jti": uuid.uuid4().hex,
                  "acr": login.loa, NSIS: level, CPR_CLAIM: login.cpr, "name": login.name}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        match login.tamper:
            case "wrong_nonce":
                claims["nonce"] = secrets.token_urlsafe(16)
            case "no_nonce":
                claims.pop("nonce", None)
            case "wrong_aud":
                claims["aud"] = "someone-else"
            case "foreign_aud":
                claims["aud"], claims["azp"] = ["someone-else"], grant.client_id
            case "wrong_iss":
                claims["iss"] = "http://127.0.0.1:1"
            case "expired":
                claims["iat"], claims["exp"] = now - 3600, now - 1800
            case "no_cpr":
                del claims[CPR_CLAIM]
        return claims

    def _id_token(self, grant: Grant, claims: dict, access_token: str) -> str:
        digest = hashlib.sha256(access_token.encode()).digest()
        claims = {**claims, "at_hash": base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()}
        with self._lock:
            key = self._stranger if grant.login.tamper == "wrong_key" else self.key
        if grant.login.tamper == "alg_none":
            header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
            payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{header}.{payload}."
        return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": key.kid}, claims, key)


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json",
                    headers={"Cache-Control": "no-store", **(headers or {})})


def _redirect(uri: str, **params: str | None) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return Response(status=302, headers={"Location": f"{uri}{'&' if urlsplit(uri).query else '?'}{query}"})


def _error_page(message: str) -> Response:
    page = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test MitID: error</title></head>'
            f'<body><main><h1>Test MitID</h1><p id="error">{escape(message)}</p></main></body></html>')
    return Response(page, status=400, content_type="text/html; charset=utf-8")
