"""WTForms' own messages in the user's language: WTForms ships no Danish, the app's catalogue has them."""

from __future__ import annotations

import pytest
from flask import session as web_session
from flask_wtf import FlaskForm
from sqlalchemy import select

from servicecenter.auth.models import Role
from servicecenter.courses.models import Programme
from servicecenter.forms import AppForm, library_messages
from tests.conftest import make_test_app


@pytest.fixture
def web_app(sqlite_url):
    app = make_test_app(sqlite_url)
    yield app
    app.extensions["database"].engine.dispose()


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_the_app_takes_its_messages_from_the_catalogue(web_app):
    app_forms = [f for f in _subclasses(FlaskForm) if f.__module__.split(".")[0] in
                 ("servicecenter", "dispatch", "inventory", "support")]
    assert len(app_forms) > 20
    assert [f.__qualname__ for f in app_forms if not issubclass(f, AppForm)] == []


def test_every_library_message_has_danish(web_app):
    with web_app.test_request_context():
        web_session["lang"] = "en"
        english = library_messages()
    with web_app.test_request_context():
        web_session["lang"] = "da"
        danish = library_messages()
    assert "This field is required." in english
    untranslated = [e for e, d in zip(english, danish, strict=True) if e == d]
    assert untranslated == []


def _staff_training_form_submitted_empty(client, factory, session, lang):
    coordinator = factory.user(Role.COORDINATOR)
    session.commit()
    assert client.login(coordinator.username).status_code == 302
    if lang == "en":
        client.post("/language", data={"lang": "en"})
    programme_id = session.scalar(select(Programme.id).order_by(Programme.id))
    return client.post("/training/staff/new", data={"programme_id": str(programme_id), "trainee": "", "result": ""})


@pytest.mark.parametrize(("lang", "message", "not_shown"), [
    ("da", "Feltet skal udfyldes.", "This field is required."),
    ("en", "This field is required.", "Feltet skal udfyldes."),
])
def test_an_empty_required_field_on_the_training_form_is_named_in_the_users_language(client, factory, session, lang,
                                                                                      message, not_shown):
    page = _staff_training_form_submitted_empty(client, factory, session, lang).get_data(as_text=True)
    assert message in page
    assert not_shown not in page


def test_the_login_form_asks_for_the_username_in_danish(client):
    page = client.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert "Feltet skal udfyldes." in page
    assert "This field is required." not in page
