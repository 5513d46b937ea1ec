"""The public base URL: checked at start (https in production), used for links that leave the system."""

from __future__ import annotations

import pytest

from servicecenter.config import check_config


@pytest.mark.parametrize("base", ["http://service.example.dk", "ftp://service.example.dk", "service.example.dk", ""])
def test_production_refuses_a_base_url_that_is_not_https(base):
    # given production, when the base URL is not an absolute https URL, then the app refuses to start
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        check_config({"SC_ENV": "production", "PUBLIC_BASE_URL": base})


def test_production_accepts_https_and_development_accepts_http():
    check_config({"SC_ENV": "production", "PUBLIC_BASE_URL": "https://service.example.dk"})
    check_config({"SC_ENV": "development", "PUBLIC_BASE_URL": "http://localhost:5000"})


def test_create_app_refuses_production_with_an_http_base_url(sqlite_url):
    from tests.conftest import make_test_app

    with pytest.raises(RuntimeError, match="https"):
        make_test_app(sqlite_url, SC_ENV="production", PUBLIC_BASE_URL="http://service.example.dk")


def test_public_url_ignores_the_request_host(sqlite_url):
    from servicecenter.web import public_url
    from tests.conftest import make_test_app

    app = make_test_app(sqlite_url, PUBLIC_BASE_URL="https://service.example.dk/")
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert public_url("dispatch.confirm_link", token="abc") == "https://service.example.dk/dispatch/c/abc"
    app.extensions["database"].engine.dispose()
