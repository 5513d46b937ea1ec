"""The citizen's confirmation link over HTTP, without logging in: confirm, choose another offered time, and the
links that must change nothing: forged, replaced by a newer publication, expired, without the form's CSRF token,
and too many uses from one address."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from dispatch.models import CitizenRequest, Visit, VisitEvent, VisitStatus
from dispatch.service.confirm import make_token
from dispatch.views import confirm as confirm_view
from servicecenter.auth.models import Role
from servicecenter.db import utcnow
from tests.dispatch.test_field import Day


@pytest.fixture
def published(session, factory):
    """A setup visit published today for Anna, with three offered slots (today, tomorrow, the day after)."""
    day = Day(session, factory)
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    session.rollback()
    return day, session.get(Visit, visit.id)


def link(app, visit: Visit) -> str:
    return f"/dispatch/c/{make_token(app.config['SECRET_KEY'], visit)}"


def current(session, visit_id: int) -> Visit:
    session.rollback()
    return session.get(Visit, visit_id)


def history(session, visit_id: int) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(VisitEvent).where(VisitEvent.visit_id == visit_id))


def english(client) -> None:
    client.post("/language", data={"lang": "en"})


def test_the_link_shows_the_day_and_window_but_no_personal_data(app, client, session, published):
    _day, visit = published
    response = client.get(link(app, visit))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bekræft" in page or "Confirm" in page  # Danish by default, whatever the catalogue has so far
    assert f"{visit.window_start // 60:02d}:00" in page
    assert visit.citizen.first_name not in page and visit.citizen.last_name not in page
    assert visit.citizen.address not in page and visit.citizen.phone not in page
    assert 'name="csrf_token"' in page and response.headers["Cache-Control"] == "no-store"


def test_confirming_sets_confirmed_at_and_twice_is_harmless(app, client, session, published):
    _day, visit = published
    english(client)
    for _ in range(2):
        response = client.post(link(app, visit), data={"choice": "confirm"})
        assert response.status_code == 200 and "is confirmed" in response.get_data(as_text=True)
    confirmed = current(session, visit.id)
    assert confirmed.confirmed_at is not None and confirmed.status == VisitStatus.SCHEDULED
    assert session.scalar(select(func.count()).select_from(VisitEvent).where(
        VisitEvent.visit_id == visit.id, VisitEvent.note == "confirmed by the citizen")) == 1
    assert "You have confirmed this time" in client.get(link(app, visit)).get_data(as_text=True)


def test_choosing_another_time_with_room_books_it_and_the_helpdesk_sees_it(app, client, session, factory,
                                                                           published):
    day, visit = published
    bob = factory.user(Role.TECHNICIAN)  # on duty every day, trained for COPD: the offered days have room
    day.technician(bob, day.world.van2, every_day=True)
    day.competent(bob)
    english(client)
    url = link(app, visit)
    tomorrow = day.today + dt.timedelta(days=1)
    response = client.post(url, data={"choice": "1"})
    assert response.status_code == 200 and "Your visit is moved to" in response.get_data(as_text=True)
    moved = current(session, visit.id)
    assert (moved.status, moved.scheduled_on, moved.citizen_request) == (VisitStatus.SCHEDULED, tomorrow,
                                                                           CitizenRequest.MOVED)
    assert moved.technician_id is None and moved.published_at is None and moved.confirmation_text is None
    # The old link is withdrawn with the text; the same button again (a double tap) thanks and changes nothing
    before = history(session, visit.id)
    again = client.post(url, data={"choice": "1"})
    assert again.status_code == 200 and "We have your answer" in again.get_data(as_text=True)
    assert history(session, visit.id) == before
    helpdesk = app.test_client()
    helpdesk.login(day.helpdesk.username)
    english(helpdesk)
    queue = helpdesk.get("/dispatch/?show=scheduled").get_data(as_text=True)
    assert f'data-visit="{visit.id}"' in queue and "moved by the citizen" in queue


def test_a_time_without_room_is_refused_and_the_citizen_chooses_again(app, client, session, published):
    day, visit = published  # Anna works only today and is not trained: no other day has room for this visit
    english(client)
    response = client.post(link(app, visit), data={"choice": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "just been taken" in page and 'id="none-suits"' in page
    assert current(session, visit.id).status == VisitStatus.SCHEDULED


def test_none_of_the_times_puts_the_visit_in_the_helpdesks_queue_flagged(app, client, session, published):
    day, visit = published
    english(client)
    response = client.post(link(app, visit), data={"choice": "none"})
    assert response.status_code == 200 and "We will call you" in response.get_data(as_text=True)
    back = current(session, visit.id)
    assert (back.status, back.scheduled_on, back.citizen_request) == (VisitStatus.REQUESTED, None,
                                                                        CitizenRequest.NO_TIME_FITS)
    assert back.confirmation_text is None and back.published_at is None
    helpdesk = app.test_client()
    helpdesk.login(day.helpdesk.username)
    english(helpdesk)
    queue = helpdesk.get("/dispatch/").get_data(as_text=True)
    assert "no offered time suits the citizen" in queue
    assert queue.index(f'data-visit="{visit.id}"') < queue.index("</tbody>")


def test_a_slot_that_was_not_offered_is_refused(app, client, session, published):
    _day, visit = published
    english(client)
    response = client.post(link(app, visit), data={"choice": "7"})
    assert response.status_code == 400 and "Choose one of the offered times" in response.get_data(as_text=True)
    assert current(session, visit.id).status == VisitStatus.SCHEDULED


def test_a_forged_link_is_refused_and_changes_nothing(app, client, session, published):
    _day, visit = published
    english(client)
    token = make_token(app.config["SECRET_KEY"], visit)
    forged = ("B" if token[0] != "B" else "C") + token[1:]  # one character changed
    before = history(session, visit.id)
    for response in (client.get(f"/dispatch/c/{forged}"),
                     client.post(f"/dispatch/c/{forged}", data={"choice": "confirm"}),
                     client.post(f"/dispatch/c/{forged}", data={"choice": "1"})):
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)
    unchanged = current(session, visit.id)
    assert unchanged.confirmed_at is None and unchanged.status == VisitStatus.SCHEDULED
    assert history(session, visit.id) == before


def test_a_link_signed_with_another_key_is_refused(app, client, published):
    _day, visit = published
    response = client.get(f"/dispatch/c/{make_token('not-our-key', visit)}")
    assert response.status_code == 400


def test_a_link_for_a_republished_visit_is_replaced(app, client, session, published):
    day, visit = published
    english(client)
    old = link(app, visit)
    day.publish({day.anna: [visit]})
    response = client.post(old, data={"choice": "confirm"})
    assert response.status_code in (400, 410)
    assert "replaced by a newer message" in response.get_data(as_text=True)
    assert current(session, visit.id).confirmed_at is None
    assert client.get(link(app, current(session, visit.id))).status_code == 200


def test_an_expired_link_is_refused(app, client, session, published, monkeypatch):
    _day, visit = published
    english(client)
    url = link(app, visit)
    monkeypatch.setattr(confirm_view, "now", lambda: utcnow() + dt.timedelta(days=2))  # the visit day has passed
    for response in (client.get(url), client.post(url, data={"choice": "confirm"})):
        assert response.status_code in (400, 410)
        assert "This link has expired" in response.get_data(as_text=True)
    assert current(session, visit.id).confirmed_at is None


def test_the_form_needs_its_csrf_token(app, client, session, published):
    _day, visit = published
    response = client.post(link(app, visit), data={"choice": "confirm"}, csrf=False)
    assert response.status_code == 400
    assert current(session, visit.id).confirmed_at is None


def test_the_21st_use_in_ten_minutes_from_one_address_is_refused(app, client, session, published):
    _day, visit = published
    english(client)
    url = link(app, visit)
    guesser = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(20):
        assert client.get(f"/dispatch/c/guess{n}", environ_base=guesser).status_code == 400
    refused = client.post(url, data={"choice": "confirm"}, environ_base=guesser)
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    assert current(session, visit.id).confirmed_at is None
    assert client.get(url, environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200  # others still can
