"""Cross-cutting guarantees: headers, no external hosts, friendly errors, languages, CSV safety."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from servicecenter.auth.models import Role
from servicecenter.csvexport import csv_lines, safe_cell

ROOT = Path(__file__).resolve().parent.parent


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action", "formaction", "hx-get", "hx-post", "data") and value:
                self.urls.append(value)


def external(urls: list[str]) -> list[str]:
    return [u for u in urls if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", u, re.I) and not u.startswith("//localhost")]


def crawl_pages(client, app) -> dict[str, bytes]:
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.build({arg: 1 for arg in rule.arguments})[1]
        response = client.get(url)
        if response.mimetype == "text/html":
            pages[url] = response.data
    return pages


@pytest.mark.parametrize("role", [Role.ADMIN, Role.HELPDESK, Role.NURSE])
def test_no_page_references_an_external_host(client, app, factory, role):
    factory.citizen()
    client.login(factory.user(role).username)
    pages = crawl_pages(client, app)
    assert len(pages) >= 4
    for url, html in pages.items():
        parser = Links()
        parser.feed(html.decode())
        assert parser.urls, url
        assert external(parser.urls) == [], url


def test_vendored_assets_load_nothing_from_elsewhere():
    static = ROOT / "servicecenter" / "static"
    for path in static.rglob("*"):
        if path.suffix in (".css", ".js"):
            text = path.read_text(errors="replace")
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), path
            assert "sourceMappingURL" not in text, path
            assert not re.search(r"@import\s+['\"]?(url\()?['\"]?https?:", text), path


def test_security_headers_on_every_page(client, factory):
    client.login(factory.user().username)
    response = client.get("/citizens/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"])


def test_templates_have_no_inline_script_or_style():
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "servicecenter").rglob("*.html")):
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_an_unexpected_error_shows_a_request_id_and_no_traceback(app, client, factory):
    @app.get("/boom")
    def boom():
        raise ValueError("secret internals 0101501234")

    boom.permission = lambda user: True
    client.login(factory.user().username)
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert response.headers["X-Request-ID"] in body
    assert "Traceback" not in body and "secret internals" not in body and "0101501234" not in body


def test_danish_by_default_and_english_on_request(client, factory):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="da"' in page and "Log ind" in page
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page
    client.post("/language", data={"lang": "xx", "next": "//evil.example"})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "da"})
    assert 'lang="da"' in client.get("/login").get_data(as_text=True)


def test_both_catalogues_translate_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        wanted = {_ids(m)[0] for m in read_po(f) if m.id}
    assert len(wanted) > 100
    for lang in ("da", "en"):
        with (ROOT / "servicecenter" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalogue = read_po(f)
        missing = [m for m in wanted if not (catalogue.get(m) and all(_strings(catalogue.get(m))))]
        fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
        assert missing == [] and fuzzy == [], lang
        for message in catalogue:
            if message.id:
                placeholders = set(re.findall(r"%\(\w+\)[sd]", " ".join(_ids(message))))
                for string in _strings(message):
                    assert set(re.findall(r"%\(\w+\)[sd]", string)) == placeholders, message.id


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+45 12", "'+45 12"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("Jensen", "Jensen"), (None, ""),
])
def test_csv_cells_cannot_start_a_formula(value, expected):
    assert safe_cell(value) == expected


def test_csv_lines_have_a_header_and_every_row():
    text = "".join(csv_lines(["a", "b"], [["=1", "x"], ["y", "@z"]]))
    assert text == "\ufeffa;b\r\n'=1;x\r\ny;'@z\r\n"


@pytest.mark.parametrize("text,expected", [
    ("cpr 0101501234 here", "cpr 010150-XXXX here"), ("010150-1234", "010150-XXXX"),
    ("phone 20304050", "phone 20304050"), ("id 12345678901", "id 12345678901"),
])
def test_the_log_formatter_blanks_cpr_shaped_numbers(text, expected):
    from servicecenter.logredact import redact

    assert redact(text) == expected
