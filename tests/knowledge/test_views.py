"""The knowledge pages: who may open them (deny by default), the comparison and a model's page on the hand-made
fleet, the survival chart as an SVG image without scripts, the CSVs, writing and revising a note through the form
(errors at the field, the history shown), and the notes shown on the device model's and the programme's pages."""

from __future__ import annotations

import csv
import io

import pytest
from lxml import etree
from sqlalchemy import func, select

from knowledge.models import ExperienceNote, NoteRevision
from knowledge.service import notes
from knowledge.service.notes import Subject
from servicecenter.auth.models import Role
from servicecenter.db import unit_of_work, utcnow
from tests.knowledge.dataset import build

PERIOD = "from=2026-01&to=2026-02"


@pytest.fixture
def fleet(session):
    return build(session)


def _login(client, factory, role):
    client.post("/logout")  # whoever was signed in
    user = factory.user(role)
    client.login(user.username)
    return user


def _csv(answer) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


@pytest.mark.parametrize(("role", "equipment", "notes_page"), [
    (Role.COORDINATOR, 200, 200), (Role.WAREHOUSE, 200, 200), (Role.ADMIN, 200, 403), (Role.HELPDESK, 403, 200),
    (Role.TECHNICIAN, 403, 200), (Role.NURSE, 403, 403)])
def test_who_may_open_what(client, factory, role, equipment, notes_page):
    _login(client, factory, role)
    assert client.get("/knowledge/equipment").status_code == equipment
    assert client.get("/knowledge/notes").status_code == notes_page
    assert client.get("/knowledge/notes/new").status_code == (200 if notes_page == 200 else 403)


def test_the_comparison_shows_the_kinds_side_by_side_and_flags_beta(client, factory, fleet):
    _login(client, factory, Role.COORDINATOR)
    page = client.get(f"/knowledge/equipment?{PERIOD}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "213,6" in html and "92,2–420,9" in html  # Beta's rate and its interval
    assert "Skiller sig ud" in html and "Lægemiddelstyrelsen" in html
    assert "4.000 kr." in html  # Alfa's two lost devices at 2.000 kr.
    assert 'src="/knowledge/equipment/survival/tablet.svg"' in html
    scales_only = client.get(f"/knowledge/equipment?{PERIOD}&kind=scale").get_data(as_text=True)
    assert "Sigma" in scales_only and "Beta" not in scales_only
    assert client.get("/knowledge/equipment?from=januar").status_code == 400


def test_a_models_page_shows_its_figures_its_curve_and_its_notes(client, factory, fleet, session):
    user = _login(client, factory, Role.COORDINATOR)
    with unit_of_work(session):
        notes.create_note(session, subject=Subject("model", fleet.beta.id), title="Beta-batteriet",
                          body="Skift batteriet efter et år.", actor=user, now=utcnow())
    html = client.get(f"/knowledge/equipment/models/{fleet.beta.id}?{PERIOD}").get_data(as_text=True)
    assert "Denne model skiller sig ud" in html and "Beta-batteriet" in html and "Alfa" in html
    assert client.get("/knowledge/equipment/models/2000000000").status_code == 404


def test_the_survival_chart_is_an_svg_image_without_scripts(client, factory, fleet):
    _login(client, factory, Role.WAREHOUSE)
    answer = client.get("/knowledge/equipment/survival/tablet.svg")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    root = etree.fromstring(answer.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")
    assert b"Beta" in answer.data and b"Alfa" in answer.data
    assert client.get("/knowledge/equipment/survival/toaster.svg").status_code == 404


def test_a_kind_no_device_has_served_gets_a_chart_that_says_so(client, factory, fleet):
    """Found on the demo data: the blood-pressure monitors had never been at a citizen, and the chart was a 500."""
    _login(client, factory, Role.WAREHOUSE)
    answer = client.get("/knowledge/equipment/survival/blood_pressure.svg")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    root = etree.fromstring(answer.data)
    said = root.findall(".//{http://www.w3.org/2000/svg}text[@class='no_data']")
    assert len(said) == 1 and said[0].text.strip()  # pygal's no-data text, in the page's language


def test_both_tables_download_as_csv(client, factory, fleet):
    _login(client, factory, Role.COORDINATOR)
    figures = _csv(client.get(f"/knowledge/equipment.csv?{PERIOD}"))
    by_model = {row[2]: row for row in figures[1:]}
    assert set(by_model) == {"Alfa", "Beta", "Sigma"}
    assert by_model["Beta"][3:7] == ["3", "3,75", "8", "213,59"] and by_model["Beta"][10] == "ja"
    assert by_model["Alfa"][-2:] == ["2000", "4000"]
    lives = _csv(client.get(f"/knowledge/equipment.csv?{PERIOD}&table=survival"))
    assert {row[0]: row[1:3] for row in lives[1:]}["KN Beta"] == ["3", "3"]


def test_a_note_is_written_through_the_form_with_errors_at_the_field(client, factory, fleet, session):
    _login(client, factory, Role.TECHNICIAN)
    form = client.get(f"/knowledge/notes/new?about=model:{fleet.beta.id}").get_data(as_text=True)
    assert f'<option selected value="model:{fleet.beta.id}">' in form
    refused = client.post("/knowledge/notes/new", data={"subject": f"model:{fleet.beta.id}", "title": "Beta",
                                                        "body": "Fru 010190-1234 ringede"})
    assert refused.status_code == 400 and "uden CPR-numre" in refused.get_data(as_text=True)
    assert "010190-1234" in refused.get_data(as_text=True)  # her text is kept in the field to be mended
    done = client.post("/knowledge/notes/new", data={"subject": f"model:{fleet.beta.id}", "title": "Beta <b>",
                                                     "body": "Skærmen <script>x</script> knækker"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Beta &lt;b&gt;" in page and "&lt;script&gt;" in page and "<script>x" not in page
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ExperienceNote)) == 1


def test_a_revision_shows_in_the_history_and_a_stale_one_is_refused(client, factory, fleet, session):
    user = _login(client, factory, Role.WAREHOUSE)
    with unit_of_work(session):
        note = notes.create_note(session, subject=Subject("programme", fleet.programme.id), title="Kit",
                                 body="Første tekst", actor=user, now=utcnow())
    sent = client.post(f"/knowledge/notes/{note.id}/revise", data={"title": "Kit", "body": "Anden tekst",
                                                                     "version": "1"})
    assert sent.status_code == 302
    page = client.get(f"/knowledge/notes/{note.id}").get_data(as_text=True)
    assert "Anden tekst" in page and "Første tekst" in page and "Revision 2" in page
    stale = client.post(f"/knowledge/notes/{note.id}/revise", data={"title": "Kit", "body": "Tredje",
                                                                      "version": "1"})
    assert stale.status_code == 409
    session.rollback()
    assert session.scalar(select(func.count()).select_from(NoteRevision)) == 2


def test_notes_are_searched_and_listed_by_subject(client, factory, fleet, session):
    user = _login(client, factory, Role.HELPDESK)
    with unit_of_work(session):
        for title in ("Vægten nulstilles", "Tabletten genstartes"):
            notes.create_note(session, subject=Subject("municipality", fleet.municipality.id), title=title,
                              body="Tekst", actor=user, now=utcnow())
    found = client.get("/knowledge/notes?q=VÆGTEN").get_data(as_text=True)
    assert "Vægten nulstilles" in found and "Tabletten" not in found
    about = client.get(f"/knowledge/notes?about=municipality:{fleet.municipality.id}").get_data(as_text=True)
    assert "Knowledge municipality" in about and "Tabletten genstartes" in about


def test_the_notes_show_on_the_device_model_and_the_programme_pages(client, factory, fleet, session):
    coordinator = factory.user(Role.COORDINATOR)
    with unit_of_work(session):
        notes.create_note(session, subject=Subject("model", fleet.beta.id), title="Om Beta", body="B",
                          actor=coordinator, now=utcnow())
        notes.create_note(session, subject=Subject("programme", fleet.programme.id), title="Om KOL", body="K",
                          actor=coordinator, now=utcnow())
    client.login(coordinator.username)
    programme = client.get(f"/courses/programmes/{fleet.programme.id}").get_data(as_text=True)
    assert "Om KOL" in programme and "Om Beta" not in programme
    _login(client, factory, Role.WAREHOUSE)
    model = client.get(f"/inventory/models/{fleet.beta.id}").get_data(as_text=True)
    assert "Om Beta" in model and "Om KOL" not in model and f"/knowledge/equipment/models/{fleet.beta.id}" in model
    _login(client, factory, Role.ADMIN)  # admins edit models but read no notes: no panel
    assert "Om Beta" not in client.get(f"/inventory/models/{fleet.beta.id}").get_data(as_text=True)


def test_the_unit_price_is_edited_where_the_model_is_edited(client, factory, fleet, session):
    _login(client, factory, Role.WAREHOUSE)
    data = {"category": "tablet", "manufacturer": "KN", "model_number": "KN-B", "name": "Beta",
            "cleaning_procedure": "", "service_interval_days": ""}
    wrong = client.post(f"/inventory/models/{fleet.beta.id}", data={**data, "unit_price": "tusind"})
    assert wrong.status_code == 400 and "is-invalid" in wrong.get_data(as_text=True)
    assert client.post(f"/inventory/models/{fleet.beta.id}", data={**data, "unit_price": "1.249,50"}).status_code == 302
    session.rollback()
    assert str(session.get(type(fleet.beta), fleet.beta.id).unit_price) == "1249.50"
    assert "1.249,50 kr." in client.get("/inventory/models").get_data(as_text=True)
