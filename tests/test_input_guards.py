"""Odd input never answers 500: huge ids, NUL bytes, HEAD, a database that is down; and the production cookie,
HSTS and logs that keep confirmation tokens out."""

from __future__ import annotations

import io
import logging
import logging.config
import runpy

import pytest

from servicecenter.auth.models import Role
from servicecenter.logredact import RedactingFormatter, redact


@pytest.fixture
def helpdesk(client, factory):
    user = factory.user(Role.HELPDESK)
    client.login(user.username)
    return user


@pytest.mark.parametrize("ident", [2**31, 2**63, 2**64, 10**30])
def test_ids_beyond_the_database_integer_are_404(client, helpdesk, ident):
    # given a logged-in user, when an id too large for the database is in the URL, then 404 (both databases)
    assert client.get(f"/citizens/{ident}").status_code == 404


def test_the_largest_database_id_is_an_ordinary_404(client, helpdesk):
    assert client.get(f"/citizens/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize("query", ["group=2147483648", "group=9223372036854775808", "group=abc", "group=-1"])
def test_huge_ids_in_the_query_string_are_ignored_not_500(client, helpdesk, query):
    # given the support queue, when a filter id is out of range or not a number, then no 500
    assert client.get(f"/support/?{query}").status_code in (200, 400, 404)


def test_huge_ids_in_inventory_filters_are_not_500(client, factory):
    client.login(factory.user(Role.ADMIN).username)
    for query in ("holder=9223372036854775808", "model=2147483648", "holder=1&model=99999999999999999999"):
        assert client.get(f"/inventory/devices?{query}").status_code in (200, 400, 404)


def test_a_nul_byte_in_the_query_string_is_a_clear_400(client, helpdesk):
    response = client.get("/citizens/?q=ab%00cd")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_form_is_a_clear_400_before_the_database(client, helpdesk):
    response = client.post("/citizens/search", data={"q": "Jens\x00"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_path_is_a_400(client):
    assert client.get("/dispatch/c/abc%00def").status_code == 400


def test_a_nul_byte_in_a_header_is_a_400_before_anything_is_stored(client):
    response = client.post("/login", data={"username": "a", "password": "x"}, headers={"User-Agent": "x\x00y"})
    assert response.status_code == 400


def test_a_nul_byte_on_login_is_a_400_not_500(client):
    assert client.post("/login", data={"username": "a\x00b", "password": "x"}).status_code == 400


@pytest.mark.parametrize("path", ["/login", "/healthz"])
def test_head_answers_as_get_without_a_body(client, path):
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.get_data() == b""


def test_healthz_runs_select_1(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_down(tmp_path):
    from tests.conftest import make_test_app

    # given an app whose database cannot be opened (a directory that does not exist)
    app = make_test_app(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    # when the load balancer asks, then 503
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "database unavailable"}
    app.extensions["database"].engine.dispose()


def test_production_uses_a_host_prefixed_secure_cookie_and_hsts(monkeypatch, database_url):
    from servicecenter.config import load_config
    from tests.conftest import TEST_CONFIG, CsrfClient

    # given production settings from the environment
    monkeypatch.setenv("SC_ENV", "production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://service.example.dk")
    config = load_config()
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-") and config["SESSION_COOKIE_SECURE"]
    from servicecenter import create_app

    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    app.test_client_class = CsrfClient
    client = app.test_client()
    # when the login page is fetched over https, then the cookie is __Host-, Secure, Path=/ and has no Domain
    response = client.get("/login", base_url="https://localhost")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-session="))
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    app.extensions["database"].engine.dispose()


def test_confirmation_tokens_are_blanked_in_log_lines():
    line = '10.0.0.1 - - "GET /dispatch/c/eyJ2IjoxfQ.Zx1-ab_c HTTP/1.1" 200 "https://x.dk/dispatch/c/eyJ2.zz?a=1"'
    assert "eyJ" not in redact(line) and redact(line).count("/dispatch/c/[token]") == 2


def test_the_app_log_blanks_tokens(caplog):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger("servicecenter.test")
    logger.addHandler(handler)
    try:
        logger.warning("link sent: %s", "https://service.example.dk/dispatch/c/SECRET-token.sig")
    finally:
        logger.removeHandler(handler)
    assert "SECRET" not in stream.getvalue() and "/dispatch/c/[token]" in stream.getvalue()


def test_the_dev_server_access_log_blanks_tokens(client, capfd):
    # werkzeug's request log propagates to the root logger, whose handler redacts
    logging.getLogger("werkzeug").info('"GET /dispatch/c/SECRETTOKEN HTTP/1.1" 404 -')
    assert "SECRETTOKEN" not in capfd.readouterr().err


def test_gunicorn_access_log_blanks_tokens(capsys):
    # given gunicorn's own log configuration (gunicorn.conf.py at the project root)
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    logging.config.dictConfig(settings["logconfig_dict"])
    access = logging.getLogger("gunicorn.access")
    try:
        # when gunicorn writes an access line (it passes its format and the atoms to the logger)
        access.info('%(h)s "%(r)s" %(s)s', {"h": "10.0.0.1", "r": "GET /dispatch/c/SECRETTOKEN HTTP/1.1", "s": "200"})
        out = capsys.readouterr().out
    finally:
        access.handlers.clear()
        logging.getLogger("gunicorn.error").handlers.clear()
    # then the token is not in it
    assert "SECRETTOKEN" not in out and "/dispatch/c/[token]" in out


def test_gunicorn_starts_with_the_log_configuration():
    # given gunicorn.conf.py as gunicorn reads it (merged into gunicorn's own defaults)
    from pathlib import Path

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    for name, value in runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    # when gunicorn sets its logging up, then it does not refuse (a handler the root logger names is missing)
    try:
        Logger(config)
    finally:
        for name in ("gunicorn.access", "gunicorn.error"):
            logging.getLogger(name).handlers.clear()
