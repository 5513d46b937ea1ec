"""The course journey in real Chromium: a GP nurse refers a citizen; the helpdesk records a training of the
citizen and of a relative with the checklist; the follow-ups fall due; the GP offers the lead to the municipality,
a municipal nurse accepts; the timeline shows all of it, newest first."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from servicecenter.courses.models import Course, CourseStatus
from servicecenter.organisations.models import Organisation
from servicecenter.training.models import TrainingRecord
from tests.browser.conftest import ARTIFACTS, log_in, log_out, screenshot

pytestmark = pytest.mark.browser

GP_NURSE = ("praksis", "Servicecenter-demo-7")
MUNICIPAL_NURSE = ("sygeplejerske", "Servicecenter-demo-6")
HELPDESK = ("helpdesk", "Servicecenter-demo-3")


def test_referral_training_handover_and_timeline(page, live_app):
    db = live_app.extensions["database"].factory()

    # 1. The GP nurse registers her patient and refers her to the COPD programme.
    log_in(page, *GP_NURSE)
    page.goto("/citizens/new")
    for field, value in {"#cpr": "240539-4321", "#first_name": "Inge", "#last_name": "Bøgh",
                         "#address": "Skovvej 3", "#postal_code": "8000", "#city": "Aarhus C"}.items():
        page.fill(field, value)
    page.select_option("#municipality_id", label="Aarhus Kommune")
    page.select_option("#responsible_organisation_id", label="Lægerne Søndergade, Aarhus")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/citizens/\d+$"))
    citizen_url = page.url
    page.locator("details:has(form[action$='/contacts']) > summary").click()
    page.fill("#name", "Ole Bøgh")  # her husband, who will help with the equipment
    page.select_option("#kind", "relative")
    page.fill("#relation", "ægtefælle")
    page.locator("form[action$='/contacts'] button[type=submit]").click()
    page.locator("text=Ole Bøgh").first.wait_for()
    page.select_option("select[name=programme_id]", label="KOL (kronisk obstruktiv lungesygdom)")
    page.locator("form[action$='/courses'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/courses/\d+$"))
    course_url = page.url
    assert page.locator("#course-status").inner_text() == "henvist"
    assert "Lægerne Søndergade" in page.locator("#course-lead").inner_text()
    course = db.scalar(select(Course).order_by(Course.id.desc()))
    assert course.status == CourseStatus.REFERRED
    log_out(page)

    # 2. The helpdesk trains the citizen (all items passed) and her husband (charging not yet) on the phone.
    log_in(page, *HELPDESK)
    page.goto(course_url)
    for trainee, failing in (("citizen", None), ("Ole Bøgh", 1)):
        page.locator(f"a[href$='/training/course/{course.id}/new']").click()
        page.wait_for_url("**/new")
        if trainee == "citizen":
            page.select_option("#trainee", "citizen")
        else:
            page.select_option("#trainee", label="Ole Bøgh (ægtefælle)")
        page.select_option("#method", "phone")
        boxes = page.locator("#checklist input[type=checkbox]")
        for n in range(boxes.count()):
            if n != failing:
                boxes.nth(n).check()
        if failing is not None:
            page.fill(f"input[name=item-{failing}-note]", "Øver opladning til næste gang")
        page.select_option("#result", "passed" if failing is None else "partly")
        screenshot(page, f"training-{'citizen' if failing is None else 'relative'}")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(course_url)
    assert page.locator("#trainings .follow-up-due").count() == 2
    db.rollback()
    records = list(db.scalars(select(TrainingRecord).where(TrainingRecord.course_id == course.id)))
    assert sorted(r.trainee_name or "" for r in records) == ["", "Ole Bøgh"]
    assert all(r.follow_up_due_on is not None for r in records)
    log_out(page)

    # 3. The GP offers the lead to the municipality; nothing moves until it accepts.
    log_in(page, *GP_NURSE)
    page.goto(course_url)
    page.select_option("#to_organisation_id", label="Aarhus Kommune")
    page.locator("form[action$='/handover'] button[type=submit]").click()
    page.locator("#open-handover").wait_for()
    assert "Lægerne Søndergade" in page.locator("#course-lead").inner_text()
    log_out(page)

    # 4. A municipal nurse finds it among her pending handovers and accepts.
    log_in(page, *MUNICIPAL_NURSE)
    page.goto("/courses/handovers")
    incoming = page.locator("#incoming li", has_text="Inge Bøgh")
    incoming.locator("button[value=accept]").click()
    page.wait_for_url(course_url)
    assert page.locator("#course-lead").inner_text() == "Aarhus Kommune"
    screenshot(page, "course-after-handover")
    db.rollback()
    aarhus = db.scalar(select(Organisation).where(Organisation.name == "Aarhus Kommune"))
    assert db.get(Course, course.id).lead_organisation_id == aarhus.id

    # 5. The timeline tells the story, newest first.
    page.goto(citizen_url + "/timeline")
    entries = page.locator("#timeline .timeline-entry")
    categories = [entries.nth(i).get_attribute("data-category") for i in range(entries.count())]
    assert categories == ["handover", "handover", "training", "training", "course"]
    texts = [entries.nth(i).inner_text() for i in range(entries.count())]
    assert "Aarhus Kommune" in texts[0] and "Aarhus Kommune" in texts[1]
    assert "Ole Bøgh" in texts[2] and "Øver opladning" in texts[2]
    assert "Lægerne Søndergade" in texts[4]
    screenshot(page, "timeline")
    page.locator("#c-training").check()
    page.locator("#timeline-filter button[type=submit]").click()
    page.wait_for_url("**c=training**")
    assert page.locator("#timeline .timeline-entry").count() == 2
    pdf = page.request.get(page.url.replace("/timeline?", "/timeline.pdf?"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    first = pdfium.PdfDocument(pdf.body())[0]
    assert "Ole Bøgh" in first.get_textpage().get_text_range()
    ARTIFACTS.mkdir(exist_ok=True)
    first.render(scale=1.5).to_pil().save(ARTIFACTS / "timeline-pdf.png")
    db.close()
