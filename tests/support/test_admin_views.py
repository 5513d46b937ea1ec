"""Support's knowledge-base and admin pages over HTTP on both databases: each page renders for the roles that
may use it and is refused to the others, bad input is shown at its field and saves nothing, article text is
escaped, helpful counts once per person, settings recompute open tickets' deadlines, figures from known data."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from inventory.models import DeviceCategory
from servicecenter.auth.models import Role
from servicecenter.db import local_date, unit_of_work, utcnow
from support.models import (
    Article,
    ArticleVote,
    CannedResponse,
    Category,
    GroupMember,
    Priority,
    SlaPolicyRow,
    SupportGroup,
    Ticket,
)
from support.service import kb
from tests.support.helpers import SupportWorld, monday_at

DANISH_BODY = "Sluk tabletten.\nHold tænd-knappen inde i 10 sekunder.\n<script>alert('x')</script>"


@pytest.fixture
def world(session, factory):
    return SupportWorld(session, factory)


def login(client, user, lang: str = "en"):
    client.post("/logout")
    assert client.login(user.username).status_code == 302
    client.post("/language", data={"lang": lang})
    return user


def field_error(page, field_id: str) -> str:
    """The message shown under a field (the empty string if none)."""
    found = re.search(rf'<div class="invalid-feedback[^"]*" id="{field_id}-err">(.*?)</div>', page.get_data(True))
    return html.unescape(found[1]) if found else ""


def tag(page: str, field_id: str) -> str:
    """The HTML tag of the input with this id (WTForms writes its attributes in alphabetical order)."""
    return re.search(rf'<input[^>]* id="{field_id}"[^>]*>', page)[0]


def count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def article(world, session, *, title_da="Tablet: genstart", title_en="Tablet: restart", body_da=DANISH_BODY,
            category=Category.DEVICE_FAULT, model=DeviceCategory.TABLET) -> Article:
    with unit_of_work(session):
        return kb.save_article(session, None, device_model_id=world.models[model].id if model else None,
                               category=category, title_da=title_da, body_da=body_da, title_en=title_en,
                               body_en="Switch the tablet off.\nHold the power button for 10 seconds.",
                               actor=world.coordinator, now=utcnow())


# --- permissions -------------------------------------------------------------------------------------------------

PAGES = ["/support/kb", "/support/kb/new", "/support/canned", "/support/settings", "/support/groups",
         "/support/groups/new", "/support/figures"]


@pytest.mark.parametrize("role,allowed", [
    (Role.COORDINATOR, set(PAGES)),
    (Role.HELPDESK, {"/support/kb", "/support/kb/new"}),
    (Role.TECHNICIAN, {"/support/kb"}),
    (Role.NURSE, set()),
])
def test_each_page_renders_for_the_roles_that_may_use_it_and_is_refused_to_the_others(client, factory, role,
                                                                                       allowed):
    login(client, factory.user(role))
    for url in PAGES:
        assert client.get(url).status_code == (200 if url in allowed else 403), url


def test_a_technician_reads_an_article_but_may_not_edit_it(world, client, session):
    found = article(world, session)
    login(client, world.technician)
    page = client.get(f"/support/kb/{found.id}").get_data(True)
    assert "Tablet: restart" in page and f"/support/kb/{found.id}/edit" not in page and "/support/kb/new" not in page
    assert client.get(f"/support/kb/{found.id}/edit").status_code == 403
    assert client.post(f"/support/kb/{found.id}/edit", data={"title_da": "x"}).status_code == 403
    assert client.get("/support/kb/999999").status_code == 404


# --- the knowledge base --------------------------------------------------------------------------------------


def test_the_article_is_shown_in_the_readers_language_as_escaped_plain_text(world, client, session):
    found = article(world, session)
    login(client, world.helpdesk, lang="da")
    page = client.get(f"/support/kb/{found.id}").get_data(True)
    assert "Tablet: genstart" in page and "Tablet: restart" not in page
    assert "<script>alert" not in page
    assert ("Sluk tabletten.<br>Hold tænd-knappen inde i 10 sekunder.<br>&lt;script&gt;alert(&#39;x&#39;)"
            "&lt;/script&gt;") in page
    login(client, world.helpdesk, lang="en")
    page = client.get(f"/support/kb/{found.id}").get_data(True)
    assert "Tablet: restart" in page and "Switch the tablet off.<br>Hold the power button" in page


def test_the_list_searches_filters_and_pages_with_the_filters_kept(world, client, session):
    with unit_of_work(session):
        for n in range(26):
            kb.save_article(session, None, device_model_id=None, category=Category.HOW_TO,
                            title_da=f"Vejledning {n}", body_da="Tekst", title_en=f"How to {n}", body_en="Text",
                            actor=world.coordinator, now=utcnow())
    article(world, session, title_en="Scale shows no weight", title_da="Vægten viser intet",
            model=DeviceCategory.SCALE)
    login(client, world.helpdesk)
    first = client.get("/support/kb?category=how_to").get_data(True)
    assert first.count("How to ") == 25 and "Scale shows" not in first
    assert "/support/kb?category=how_to&amp;page=2" in first  # the next page keeps the filter
    assert client.get("/support/kb?category=how_to&page=2").get_data(True).count("How to ") == 1
    scale = world.models[DeviceCategory.SCALE].id
    by_model = client.get(f"/support/kb?model={scale}").get_data(True)
    assert "Scale shows no weight" in by_model and "How to 1" not in by_model
    by_text = client.get("/support/kb?q=VÆGT").get_data(True)  # the Danish text, any case
    assert "Scale shows no weight" in by_text and "How to" not in by_text
    assert client.get("/support/kb?model=x&category=nonsense&page=-3").status_code == 200


def test_helpful_counts_once_per_person_and_returns_to_a_safe_place(world, client, session):
    found = article(world, session)
    ticket = world.ticket()
    login(client, world.helpdesk)
    first = client.post(f"/support/kb/{found.id}/helpful", data={"ticket_id": ticket.id,
                                                                 "next": f"/support/tickets/{ticket.id}"})
    assert first.status_code == 302 and first.headers["Location"] == f"/support/tickets/{ticket.id}"
    again = client.post(f"/support/kb/{found.id}/helpful", data={"next": "https://evil.example/"},
                        follow_redirects=True)
    assert again.request.path == f"/support/kb/{found.id}"
    text = again.get_data(True)
    assert "already marked this article helpful" in text and "1 person found this helpful." in text
    assert 'type="submit" disabled' in text
    login(client, world.technician)
    client.post(f"/support/kb/{found.id}/helpful")
    session.rollback()
    assert session.get(Article, found.id).helpful_count == 2
    votes = session.scalars(select(ArticleVote).order_by(ArticleVote.id)).all()
    assert [(v.user_id, v.ticket_id) for v in votes] == [(world.helpdesk.id, ticket.id), (world.technician.id, None)]
    assert client.post(f"/support/kb/{found.id}/helpful", data={"ticket_id": "abc"}).status_code == 400
    assert client.post(f"/support/kb/{found.id}/helpful", data={"ticket_id": "999999"}).status_code == 404
    assert client.post(f"/support/kb/{found.id}/helpful", csrf=False).status_code == 400
    assert count(session, ArticleVote) == 2


def test_writing_an_article_shows_mistakes_at_their_field_and_saves_only_when_right(world, client, session):
    login(client, world.helpdesk)
    form = {"device_model_id": "0", "category": "", "title_da": "Opladning", "body_da": "Sæt stikket i.",
            "title_en": "Charging", "body_en": ""}
    missing = client.post("/support/kb/new", data=form)
    assert missing.status_code == 400 and field_error(missing, "body_en") == "This field is required."
    form["body_en"] = "Plug it in."
    unplaced = client.post("/support/kb/new", data=form)  # neither a model nor a category
    assert unplaced.status_code == 400
    assert field_error(unplaced, "device_model_id") == "Choose a device model, a category or both."
    form["device_model_id"] = "999999"
    assert client.post("/support/kb/new", data=form).status_code == 400  # not a model in the list
    assert count(session, Article) == 0
    form.update(device_model_id=str(world.models[DeviceCategory.TABLET].id), category="connectivity")
    saved = client.post("/support/kb/new", data=form)
    assert saved.status_code == 302
    session.rollback()
    new = session.scalar(select(Article))
    assert saved.headers["Location"] == f"/support/kb/{new.id}"
    assert (new.title_en, new.category, new.updated_by_id) == ("Charging", Category.CONNECTIVITY, world.helpdesk.id)
    edit = client.get(f"/support/kb/{new.id}/edit").get_data(True)
    assert 'value="Charging"' in tag(edit, "title_en") and '<option selected value="connectivity">' in edit
    form.update(category="", title_en="Charging the tablet")
    assert client.post(f"/support/kb/{new.id}/edit", data=form).status_code == 302
    session.rollback()
    assert (session.get(Article, new.id).title_en, session.get(Article, new.id).category) == \
        ("Charging the tablet", None)
    assert count(session, Article) == 1


# --- canned responses ------------------------------------------------------------------------------------------


def test_canned_responses_are_listed_created_and_edited_with_the_variables_explained(world, client, session):
    login(client, world.coordinator)
    page = client.get("/support/canned").get_data(True)
    assert "{citizen_name}" in page and "{device}" in page and "{visit_time}" in page
    created = client.post("/support/canned", data={"title": "Skift aftalt", "body": "Hej {citizen_name}"})
    assert created.status_code == 302
    clash = client.post("/support/canned", data={"title": "Skift aftalt", "body": "Noget andet"})
    assert clash.status_code == 400 and "Another canned response is called Skift aftalt." in field_error(clash,
                                                                                                          "title")
    empty = client.post("/support/canned", data={"title": "Tom", "body": "  "})
    assert empty.status_code == 400 and field_error(empty, "body") == "This field is required."
    assert count(session, CannedResponse) == 1
    response = session.scalar(select(CannedResponse))
    assert "Skift aftalt" in client.get("/support/canned").get_data(True)
    edited = client.post(f"/support/canned/{response.id}/edit", data={"title": "Skift aftalt",
                                                                      "body": "Hej {citizen_name}, {visit_time}"})
    assert edited.status_code == 302
    session.rollback()
    assert session.get(CannedResponse, response.id).body == "Hej {citizen_name}, {visit_time}"
    assert client.get("/support/canned/999999/edit").status_code == 404


# --- SLA settings ----------------------------------------------------------------------------------------------


def _settings_form(**changes) -> dict:
    form = {}
    for p in Priority:
        form.update({f"{p.value}_first": "4:00", f"{p.value}_resolution": "24:00", f"{p.value}_business": "y"})
    for d in range(5):
        form.update({f"day{d}": "y", f"day{d}_opens": "08:00", f"day{d}_closes": "18:00"})
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_the_settings_page_shows_the_defaults(world, client):
    login(client, world.coordinator)
    page = client.get("/support/settings").get_data(True)
    assert 'value="0:30"' in tag(page, "P1_first") and 'value="80:00"' in tag(page, "P4_resolution")
    assert "checked" in tag(page, "day0") and "checked" not in tag(page, "day5")  # closed on Saturdays
    assert 'value="08:00"' in tag(page, "day0_opens") and 'value="16:00"' in tag(page, "day4_closes")


def test_saving_the_settings_recomputes_the_deadlines_of_open_tickets(world, client, session):
    ticket = world.ticket(now=monday_at(15), priority=Priority.P3)  # 4 h from Monday 15:00 in 08-16: Tuesday 11:00
    session.rollback()
    assert session.get(Ticket, ticket.id).first_response_due_at == monday_at(11) + dt.timedelta(days=1)
    login(client, world.coordinator)
    saved = client.post("/support/settings", data=_settings_form(P1_first="30", P1_resolution="4 t",
                                                                 day4_opens="07.30"),  # Danes write 07.30
                        follow_redirects=True)
    assert saved.status_code == 200
    assert "the deadlines of 1 open ticket were recomputed" in saved.get_data(True)
    session.rollback()
    # Open until 18:00 now: 3 hours on Monday, the fourth on Tuesday from 08:00.
    assert session.get(Ticket, ticket.id).first_response_due_at == monday_at(9) + dt.timedelta(days=1)
    p1 = session.get(SlaPolicyRow, Priority.P1)
    assert (p1.first_response_minutes, p1.resolution_minutes, p1.business_hours) == (30, 240, True)
    page = client.get("/support/settings").get_data(True)
    assert 'value="18:00"' in tag(page, "day0_closes") and 'value="4:00"' in tag(page, "P1_resolution")
    assert 'value="07:30"' in tag(page, "day4_opens")


@pytest.mark.parametrize("changes,field,message", [
    ({"P2_first": "soon"}, "P2_first", "Write hours and minutes as 4:30, or minutes as 270."),
    ({"P2_first": ""}, "P2_first", "This field is required."),
    ({"P2_first": "30:00"}, "P2_first", "P2: the first response must come within the resolution time"),
    ({"day1_opens": None}, "day1", "Give the opening and the closing time."),
    ({"day2_opens": "19:00"}, "day2", "Opening hours must open before they close."),
    ({"day3_opens": "8 am"}, "day3_opens", "Not a valid time value."),
    ({f"day{d}": None for d in range(5)}, "day0", "The service center must be open on at least one day."),
])
def test_bad_settings_are_shown_at_their_field_and_nothing_is_saved(world, client, session, changes, field,
                                                                    message):
    login(client, world.coordinator)
    refused = client.post("/support/settings", data=_settings_form(**changes))
    assert refused.status_code == 400 and field_error(refused, field).startswith(message)
    assert count(session, SlaPolicyRow) == 0


# --- groups ----------------------------------------------------------------------------------------------------


def test_groups_are_created_with_members_from_the_agents_and_edited(world, client, session):
    login(client, world.coordinator)
    form = {"name": "2. linje", "round_robin": "y", "members": [world.agents[1].id, world.coordinator.id]}
    assert client.post("/support/groups/new", data=form).status_code == 302
    session.rollback()
    group = session.scalar(select(SupportGroup).where(SupportGroup.name == "2. linje"))
    assert group.round_robin
    members = session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id)).all()
    assert sorted(members) == sorted([world.agents[1].id, world.coordinator.id])
    listing = client.get("/support/groups").get_data(True)
    assert "2. linje" in listing and world.coordinator.full_name in listing
    edit = client.get(f"/support/groups/{group.id}/edit").get_data(True)
    checked = re.findall(r'<input checked [^>]*value="(\d+)"', edit)
    assert sorted(map(int, checked)) == sorted([world.agents[1].id, world.coordinator.id])
    assert client.post(f"/support/groups/{group.id}/edit", data={"name": "2. linje", "members": []}
                       ).status_code == 302
    session.rollback()
    assert not session.get(SupportGroup, group.id).round_robin
    assert session.scalar(select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group.id)) == 0


def test_a_group_with_a_taken_name_or_a_technician_is_refused_at_the_field(world, client, session):
    world.group(name="1. linje")
    groups_before, members_before = count(session, SupportGroup), count(session, GroupMember)
    login(client, world.coordinator)
    clash = client.post("/support/groups/new", data={"name": "1. linje"})
    assert clash.status_code == 400 and field_error(clash, "name") == "Another group is called 1. linje."
    technician = client.post("/support/groups/new", data={"name": "Felt", "members": [world.technician.id]})
    assert technician.status_code == 400 and "not a valid choice" in field_error(technician, "members")
    assert (count(session, SupportGroup), count(session, GroupMember)) == (groups_before, members_before)
    assert client.get("/support/groups/999999/edit").status_code == 404


# --- figures ---------------------------------------------------------------------------------------------------


def test_figures_per_model_for_a_month_from_known_data(world, client, session):
    # A tablet at a citizen from 20 January 2025 on: all 28 days of February 2025 are 0.92 device-months.
    january = dt.datetime(2025, 1, 20, 10, tzinfo=dt.UTC)
    tablet = world.device(now=january - dt.timedelta(days=5))
    citizen = world.citizen_near()
    home = world.home(citizen)
    world.scan("load", tablet.tag, world.van, now=january - dt.timedelta(hours=2))
    world.scan("handover", tablet.tag, home, actor=world.technician, now=january)
    world.ticket(now=dt.datetime(2025, 2, 10, 9, tzinfo=dt.UTC), citizen_id=citizen.id, device_id=tablet.id)
    world.ticket(now=dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC), citizen_id=citizen.id, device_id=tablet.id)  # March
    login(client, world.coordinator)
    page = client.get("/support/figures?month=2025-02").get_data(True)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                    page.split('id="figures"')[1])]
    assert cells == ["Tablet", "0.92", "1", "108.7", "0", "0"]  # 1 fault * 100 / 0.92 device-months
    csv = client.get("/support/figures.csv?month=2025-02")
    assert csv.mimetype == "text/csv" and "figures-2025-02.csv" in csv.headers["Content-Disposition"]
    assert csv.get_data(True).splitlines()[1] == "Tablet;0.92;1;108.7;0;0"
    assert 'value="2025-02"' in page and "/support/figures.csv?month=2025-02" in page


def test_figures_default_to_the_previous_month_and_refuse_a_bad_one(world, client):
    login(client, world.coordinator)
    first_of_this = local_date(utcnow()).replace(day=1)  # Copenhagen's month, as the page's (not UTC's: 23:30 UTC
    # on the last day of a month is already the 1st in Copenhagen)
    previous = (first_of_this - dt.timedelta(days=1)).strftime("%Y-%m")
    assert f'value="{previous}"' in client.get("/support/figures").get_data(True)
    bad = client.get("/support/figures?month=2025-13")
    assert bad.status_code == 400 and field_error(bad, "month") == "Write the month as YYYY-MM, e.g. 2026-01."
    assert client.get("/support/figures.csv?month=nonsense").status_code == 302
