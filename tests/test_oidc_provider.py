"""The test OpenID provider (tests/oidc_provider.py) against a real client over real HTTP: Authlib's requests
OAuth2Session does discovery, the authorization request with PKCE (S256), state and nonce, and the code exchange;
the ID token is checked as OpenID Connect Core 3.1.3.7 asks (signature against the JWKS, iss, aud, exp, nonce,
at_hash) plus the NSIS level and the CPR number. A good login passes; each way the provider must refuse is refused
by it, and each way it can be made to misbehave is caught by the client."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749 import MismatchingStateException
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from tests.oidc_provider import CPR_CLAIM, HIGH, LOW, NSIS, SUBSTANTIAL, TAMPERS, TestProvider

REDIRECT = "http://127.0.0.1:9/callback"  # never contacted: the tests read the provider's Location header
CPR = "0101801234"
ACCEPTED_LEVELS = (SUBSTANTIAL, HIGH)


class Refused(Exception):
    """The client refuses the ID token (or the provider's answer)."""


class RelyingParty:
    """The client side, as an app does it, with a fresh state, nonce and PKCE verifier per sign-in."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, *, redirect_uri: str = REDIRECT,
                 auth: str = "client_secret_basic") -> None:
        self.client_id = client_id
        self.metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
        if self.metadata["issuer"] != issuer:
            raise Refused("discovery names another issuer")
        self.session = OAuth2Session(client_id, client_secret, scope="openid mitid ssn", redirect_uri=redirect_uri,
                                     code_challenge_method="S256", token_endpoint_auth_method=auth)

    def authorization_url(self, **extra: str) -> str:
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)
        url, _ = self.session.create_authorization_url(self.metadata["authorization_endpoint"], state=self.state,
                                                       nonce=self.nonce, code_verifier=self.verifier, **extra)
        return url

    def authorize(self, **extra: str) -> str:
        """The browser's trip to the provider (auto-approving): the callback URL it is sent back to."""
        answer = requests.get(self.authorization_url(**extra), allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def exchange(self, callback: str, **overrides: str) -> dict:
        """The callback: an error ends it here (Authlib's requests client would send the code-less callback on to
        the token endpoint); the state is compared by Authlib; then the code and the verifier to the token endpoint."""
        if "error" in query(callback):
            raise Refused(f"the provider answered {query(callback)['error']}")
        params = {"code_verifier": self.verifier, **overrides}
        return self.session.fetch_token(self.metadata["token_endpoint"], authorization_response=callback,
                                        state=self.state, **params)

    def verify(self, token: dict) -> CodeIDToken:
        if "id_token" not in token:
            raise Refused("no ID token")
        keys = KeySet.import_key_set(requests.get(self.metadata["jwks_uri"], timeout=5).json())
        try:
            decoded = jwt.decode(token["id_token"], keys,
                                 registry=JWSRegistry(algorithms=self.metadata["id_token_signing_alg_values_supported"]))
            claims = CodeIDToken(decoded.claims, decoded.header,
                                 {"iss": {"essential": True, "value": self.metadata["issuer"]},
                                  "aud": {"essential": True, "value": self.client_id}},
                                 {"nonce": self.nonce, "client_id": self.client_id,
                                  "access_token": token["access_token"]})
            claims.validate(leeway=60)
        except JoseError as error:
            raise Refused(f"ID token: {error.error}") from error
        if claims.get(NSIS) not in ACCEPTED_LEVELS:
            raise Refused("level of assurance too low")
        if not str(claims.get(CPR_CLAIM) or "").isdigit():
            raise Refused("no CPR number")
        return claims

    def sign_in(self, **auth_params: str) -> CodeIDToken:
        return self.verify(self.exchange(self.authorize(**auth_params)))


@pytest.fixture(scope="module")
def shared():
    with TestProvider(redirect_uris=[REDIRECT], auto_approve=True) as provider:
        yield provider


@pytest.fixture
def provider(shared):
    """One provider for the module (starting one costs two RSA keys), reset to a good login before each test."""
    shared.reset()
    shared.auto_approve, shared.code_ttl = True, 60.0
    shared.next_login(cpr=CPR, name="Karen Hansen")
    return shared


@pytest.fixture
def rp(provider):
    return RelyingParty(provider.issuer, provider.client_id, provider.client_secret)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def authorize_raw(provider, **params: str | None) -> requests.Response:
    """An authorization request as a browser would send it, with some parameters changed or (None) left out."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    base = {"client_id": provider.client_id, "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid",
            "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256"}
    query_string = urlencode({k: v for k, v in {**base, **params}.items() if v is not None})
    return requests.get(f"{provider.issuer}/authorize?{query_string}", allow_redirects=False, timeout=5)


def post_token(provider, auth=None, **form: str) -> requests.Response:
    return requests.post(f"{provider.issuer}/token", data=form, auth=auth, timeout=5)


# --- a good login ----------------------------------------------------------------------------------------------


def test_discovery_and_jwks_say_what_a_client_needs(provider):
    meta = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).json()
    assert meta["issuer"] == provider.issuer and provider.issuer.startswith("http://127.0.0.1:")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        assert meta[endpoint].startswith(provider.issuer + "/")
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "openid" in meta["scopes_supported"] and meta["subject_types_supported"]
    keys = requests.get(meta["jwks_uri"], timeout=5).json()["keys"]
    assert [(k["kty"], k["kid"], k["alg"]) for k in keys] == [("RSA", provider.key.kid, "RS256")]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])  # the public half only


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_a_good_login_passes_every_check(provider, auth):
    rp = RelyingParty(provider.issuer, provider.client_id, provider.client_secret, auth=auth)
    callback = rp.authorize()
    assert callback.startswith(REDIRECT + "?")
    assert query(callback)["state"] == rp.state and query(callback)["iss"] == provider.issuer
    sent = provider.authorization_requests[-1]
    assert sent["code_challenge_method"] == "S256" and sent["nonce"] == rp.nonce and "code_verifier" not in sent
    claims = rp.verify(rp.exchange(callback))
    assert claims["iss"] == provider.issuer and claims["aud"] == provider.client_id
    assert claims["nonce"] == rp.nonce and claims["exp"] > claims["iat"] >= claims["auth_time"] - 1
    assert claims[CPR_CLAIM] == CPR and claims[NSIS] == SUBSTANTIAL and claims["acr"] == SUBSTANTIAL
    assert claims["name"] == "Karen Hansen" and claims["sub"] == provider.subject_of(CPR)
    assert provider.token_requests == 1


def test_the_subject_is_a_stable_pseudonym_per_person(provider, rp):
    first, again = rp.sign_in()["sub"], rp.sign_in()["sub"]
    provider.next_login(cpr="0202802345")
    other = rp.sign_in()["sub"]
    assert first == again != other and CPR not in first and len(first) == 36


def test_the_levels_and_the_userinfo_endpoint(provider, rp):
    provider.next_login(cpr=CPR, loa=HIGH, name="Karen Hansen")
    token = rp.exchange(rp.authorize())
    assert rp.verify(token)[NSIS] == HIGH
    info = requests.get(rp.metadata["userinfo_endpoint"], timeout=5,
                        headers={"Authorization": f"Bearer {token['access_token']}"})
    assert info.json() == {"sub": provider.subject_of(CPR), "name": "Karen Hansen", NSIS: HIGH, CPR_CLAIM: CPR}
    assert requests.get(rp.metadata["userinfo_endpoint"], timeout=5,
                        headers={"Authorization": "Bearer forged"}).status_code == 401


def test_the_bare_level_names_as_nemlogin_sends_them():
    with TestProvider(redirect_uris=[REDIRECT], auto_approve=True, loa_values="name") as provider:
        provider.next_login(cpr=CPR, loa=SUBSTANTIAL)
        rp = RelyingParty(provider.issuer, provider.client_id, provider.client_secret)
        token = rp.exchange(rp.authorize())
        keys = KeySet.import_key_set(requests.get(rp.metadata["jwks_uri"], timeout=5).json())
        claims = jwt.decode(token["id_token"], keys).claims
        assert (claims[NSIS], claims["acr"]) == ("Substantial", SUBSTANTIAL)
        with pytest.raises(Refused, match="level"):  # this client wants the URI in the claim
            rp.verify(token)


def test_a_new_key_is_published_beside_the_old_one():
    with TestProvider(redirect_uris=[REDIRECT], auto_approve=True) as provider:
        provider.next_login(cpr=CPR)
        old = provider.key.kid
        new = provider.rotate_key().kid
        rp = RelyingParty(provider.issuer, provider.client_id, provider.client_secret)
        token = rp.exchange(rp.authorize())
        assert json.loads(base64.urlsafe_b64decode(token["id_token"].split(".")[0] + "=="))["kid"] == new != old
        assert [k["kid"] for k in requests.get(rp.metadata["jwks_uri"], timeout=5).json()["keys"]] == [new, old]
        assert rp.verify(token)[CPR_CLAIM] == CPR


# --- the browser's approval page --------------------------------------------------------------------------------


def test_a_browser_sees_the_test_mitid_page_and_approves_with_a_form_post(provider, rp):
    provider.auto_approve = False
    page = requests.get(rp.authorization_url(), allow_redirects=False, timeout=5)
    assert page.status_code == 200 and "<title>Test MitID</title>" in page.text
    assert 'id="approve">Approve</button>' in page.text and 'method="post" action="/authorize"' in page.text
    fields = dict(_hidden_fields(page.text))
    assert fields["state"] == rp.state and fields["nonce"] == rp.nonce
    back = requests.post(f"{provider.issuer}/authorize", data={**fields, "decision": "approve"},
                         allow_redirects=False, timeout=5)
    assert back.status_code == 302 and "code" in query(back.headers["Location"])
    assert rp.verify(rp.exchange(back.headers["Location"]))[CPR_CLAIM] == CPR


def test_refusing_on_the_page_or_beforehand_sends_access_denied(provider, rp):
    provider.auto_approve = False
    page = requests.get(rp.authorization_url(), allow_redirects=False, timeout=5)
    back = requests.post(f"{provider.issuer}/authorize", data={**dict(_hidden_fields(page.text)),
                                                                "decision": "refuse"}, allow_redirects=False, timeout=5)
    assert query(back.headers["Location"]) == {"error": "access_denied", "state": rp.state, "iss": provider.issuer}
    provider.next_login(cpr=CPR, refuse=True)
    with pytest.raises(Refused, match="access_denied"):
        rp.exchange(rp.authorize())
    assert provider.token_requests == 0


def _hidden_fields(page: str):
    for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page):
        yield name, value.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


# --- what the provider refuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"client_id": "stranger"}, {"client_id": None},
    {"redirect_uri": "http://127.0.0.1:9/elsewhere"}, {"redirect_uri": REDIRECT + "?next=/x"},
    {"redirect_uri": REDIRECT.replace("127.0.0.1", "localhost")}, {"redirect_uri": None},
])
def test_an_unknown_client_or_redirect_uri_gets_an_error_page_and_no_redirect(provider, params):
    answer = authorize_raw(provider, **params)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "text/html" in answer.headers["Content-Type"] and "Test MitID" in answer.text


@pytest.mark.parametrize(("params", "error"), [
    ({"code_challenge": None}, "invalid_request"),
    ({"code_challenge_method": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": "too-short"}, "invalid_request"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"response_type": "token"}, "unsupported_response_type"),
])
def test_a_request_without_pkce_s256_or_openid_is_sent_back_with_an_error(provider, params, error):
    answer = authorize_raw(provider, **params)
    assert answer.status_code == 302
    back = query(answer.headers["Location"])
    assert back["error"] == error and back["state"] == "s1" and "code" not in back


def test_a_code_works_once(provider, rp):
    callback = rp.authorize()
    assert rp.verify(rp.exchange(callback))
    with pytest.raises(OAuthError) as refused:
        rp.exchange(callback)
    assert refused.value.error == "invalid_grant"


def test_an_expired_code_is_refused(provider, rp):
    provider.code_ttl = 0
    with pytest.raises(OAuthError) as refused:
        rp.exchange(rp.authorize())
    assert refused.value.error == "invalid_grant"


def test_a_wrong_or_missing_code_verifier_is_refused_and_burns_the_code(provider, rp):
    callback = rp.authorize()
    with pytest.raises(OAuthError) as refused:
        rp.exchange(callback, code_verifier=secrets.token_urlsafe(48))
    assert refused.value.error == "invalid_grant"
    with pytest.raises(OAuthError):  # the right verifier is too late now
        rp.exchange(callback)
    code = query(rp.authorize())["code"]
    answer = post_token(provider, (provider.client_id, provider.client_secret), grant_type="authorization_code",
                        code=code, redirect_uri=REDIRECT)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_a_wrong_client_secret_is_refused(provider, auth):
    rp = RelyingParty(provider.issuer, provider.client_id, "not-the-secret", auth=auth)
    with pytest.raises(OAuthError) as refused:
        rp.exchange(rp.authorize())
    assert refused.value.error == "invalid_client"


def test_an_unknown_client_or_two_ways_of_authenticating_are_refused_at_the_token_endpoint(provider, rp):
    code = query(rp.authorize())["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": rp.verifier}
    assert post_token(provider, ("stranger", "x"), **form).status_code == 401
    both = post_token(provider, (provider.client_id, provider.client_secret), client_id=provider.client_id,
                      client_secret=provider.client_secret, **form)
    assert both.status_code == 401 and both.json() == {"error": "invalid_client"}


def test_a_code_is_only_for_the_client_and_redirect_uri_it_was_issued_to(provider, rp):
    other_secret = provider.register_client("other-client", redirect_uris=[REDIRECT])
    other = RelyingParty(provider.issuer, "other-client", other_secret)
    callback = rp.authorize()
    other.verifier, other.state = rp.verifier, rp.state  # a stolen code and verifier, the other client's secret
    with pytest.raises(OAuthError) as refused:
        other.exchange(callback)
    assert refused.value.error == "invalid_grant"
    callback = rp.authorize()
    answer = post_token(provider, (provider.client_id, provider.client_secret), grant_type="authorization_code",
                        code=query(callback)["code"], redirect_uri=REDIRECT + "/other", code_verifier=rp.verifier)
    assert answer.json()["error"] == "invalid_grant"


# --- what the client must catch ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("login", "reason"), [
    ({"tamper": "wrong_key"}, "bad_signature"),
    ({"tamper": "alg_none"}, "unsupported_algorithm"),
    ({"tamper": "wrong_nonce"}, "invalid_claim"),
    ({"tamper": "no_nonce"}, "missing_claim"),
    ({"tamper": "wrong_aud"}, "invalid_claim"),
    ({"tamper": "foreign_aud"}, "invalid_claim"),
    ({"tamper": "wrong_iss"}, "invalid_claim"),
    ({"tamper": "expired"}, "expired_token"),
    ({"tamper": "no_cpr"}, "no CPR number"),
    ({"tamper": "no_id_token"}, "no ID token"),
    ({"loa": LOW}, "level of assurance too low"),
])
def test_a_token_a_careful_client_must_not_trust_is_caught(provider, rp, login, reason):
    provider.next_login(cpr=CPR, **login)
    token = rp.exchange(rp.authorize())  # the provider answers; the client must see through it
    with pytest.raises(Refused, match=reason):
        rp.verify(token)


def test_every_tamper_is_covered_here():
    covered = {"wrong_key", "alg_none", "wrong_nonce", "no_nonce", "wrong_aud", "foreign_aud", "wrong_iss",
               "expired", "no_cpr", "no_id_token"}
    assert covered == TAMPERS


def test_a_callback_with_another_state_is_refused_by_the_client(provider, rp):
    callback = rp.authorize()
    rp.authorize()  # a second flow started: the first callback's state is no longer the one expected
    with pytest.raises(MismatchingStateException):
        rp.exchange(callback)


def test_the_provider_stops_and_frees_its_port():
    provider = TestProvider(redirect_uris=[REDIRECT]).start()
    url = f"{provider.issuer}/jwks"
    assert requests.get(url, timeout=5).ok
    provider.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
