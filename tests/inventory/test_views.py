"""Inventory pages over HTTP: permissions, scanning with htmx, the paste list, import, labels, recall audit."""

from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from inventory.models import Device, DeviceStatus, Movement
from inventory.tags import make_tag
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.db import LOCAL_ZONE, utcnow
from tests.inventory.helpers import World


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def log_in(client, user):
    assert client.login(user.username).status_code == 302


@pytest.mark.parametrize("role,scan,manage,view", [
    (Role.WAREHOUSE, 200, 200, 200), (Role.TECHNICIAN, 200, 403, 200), (Role.HELPDESK, 403, 403, 200),
    (Role.NURSE, 403, 403, 403), (Role.ADMIN, 403, 200, 200),
])
def test_who_may_do_what(client, factory, role, scan, manage, view):
    log_in(client, factory.user(role))
    assert client.get("/inventory/scan/load").status_code == scan
    assert client.get("/inventory/import").status_code == manage
    assert client.get("/inventory/").status_code == view


def test_a_scan_answers_green_then_red_and_moves_once(client, session, world):
    log_in(client, world.warehouse)
    device = world.device()
    url = f"/inventory/scan/load?holder={world.van.id}"
    green = client.post(url, data={"code": device.tag.lower()}, headers={"HX-Request": "true"})
    assert green.status_code == 200 and b'data-scan-result="ok"' in green.data and b"<html" not in green.data
    again = client.post(url, data={"code": device.tag}, headers={"HX-Request": "true"})
    assert b'data-scan-result="ok"' in again.data
    typo = device.tag[:-1] + ("A" if device.tag[-1] != "A" else "B")
    red = client.post(url, data={"code": typo}, headers={"HX-Request": "true"})
    assert b'data-scan-result="error"' in red.data
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.device_id == device.id, Movement.kind == "load")) == 1


def test_a_pasted_list_answers_line_by_line(client, session, world):
    log_in(client, world.warehouse)
    good = [world.device(ready=False) for _ in range(3)]
    codes = "\n".join([good[0].tag, "NOT-A-TAG", good[1].tag, "", good[2].tag])
    page = client.post("/inventory/scan/accept", data={"codes": codes}).get_data(as_text=True)
    assert page.count('data-scan-result="ok"') == 3 and page.count('data-scan-result="error"') == 1
    session.rollback()
    assert {session.get(Device, d.id).status for d in good} == {DeviceStatus.READY}


def test_the_handover_page_works_from_a_course_that_is_set_up_and_needs_a_reason(client, session, world):
    home, _members = world.set_up_home()
    device = world.device()
    log_in(client, world.technician)
    page = client.get(f"/inventory/scan/handover?course={home.course_id}")
    assert page.status_code == 200 and b'id="code"' in page.data and b'id="note"' in page.data
    answer = client.post(f"/inventory/scan/handover?course={home.course_id}", data={"code": device.tag})
    session.rollback()
    assert session.get(Device, device.id).holder_id != home.id and "årsag" in answer.get_data(as_text=True)
    client.post(f"/inventory/scan/handover?course={home.course_id}",
                data={"code": device.tag, "note": "The daughter took a spare oximeter along"})
    session.rollback()
    assert session.get(Device, device.id).holder_id == home.id


def test_a_handover_outside_a_visit_is_refused_before_the_setup(client, session, world):
    device = world.device()
    home = world.home()
    world.on_route(home)
    log_in(client, world.technician)
    answer = client.post(f"/inventory/scan/handover?course={home.course_id}",
                         data={"code": device.tag, "note": "walk-in"}).get_data(as_text=True)
    session.rollback()
    assert session.get(Device, device.id).holder_id != home.id
    assert "setup visit" in answer or "opsætningsbesøget" in answer


def test_import_preview_import_and_labels_over_http(client, session, world):
    log_in(client, world.warehouse)
    bad = "model,serial\nM-tablet,A1\nNOPE,A2\n"
    form = {"depot_id": world.depot.id, "owner_organisation_id": world.region.id}
    response = client.post("/inventory/import", data={**form, "file": (__import__("io").BytesIO(bad.encode()),
                                                                        "d.csv")}, content_type="multipart/form-data")
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "NOPE" in preview and 'class="row-error"' in preview and 'id="confirm-import"' not in preview
    good = "model,serial\nM-tablet,A1\nM-scale,A2\n"
    response = client.post("/inventory/import", data={**form, "file": (__import__("io").BytesIO(good.encode()),
                                                                         "d.csv")}, content_type="multipart/form-data")
    url = response.headers["Location"]
    assert 'id="confirm-import"' in client.get(url).get_data(as_text=True)
    assert client.post(url).status_code == 302
    session.rollback()
    devices = session.scalars(select(Device).where(Device.serial.in_(["A1", "A2"])).order_by(Device.tag)).all()
    assert len(devices) == 2
    batch_id = url.rsplit("/", 1)[1]
    pdf = client.get(f"/inventory/labels.pdf?batch={batch_id}&layout=tape")
    assert pdf.mimetype == "application/pdf"
    found = [r.text for page in pdfium.PdfDocument(pdf.data)
             for r in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())]
    assert found == [d.tag for d in devices]


def test_the_citizen_page_shows_the_equipment_in_the_home(client, session, world):
    device = world.device()
    home = world.home()
    world.scan("handover", device.tag, home)
    world.on_route(home)
    log_in(client, world.technician)
    page = client.get(f"/citizens/{home.citizen_id}").get_data(as_text=True)
    assert device.tag in page and "scan/handover?course=" not in page  # not set up yet: no handover outside a visit
    set_up, members = world.set_up_home()
    page = client.get(f"/citizens/{set_up.citizen_id}").get_data(as_text=True)
    assert members[0].tag in page and f"scan/handover?course={set_up.course_id}" in page


def test_a_recall_lists_citizens_and_audits_each(client, session, factory, world):
    device = world.device(firmware_version="1.0")
    home = world.home()
    world.scan("handover", device.tag, home)
    log_in(client, factory.user(Role.HELPDESK))
    assert device.tag not in client.get(f"/inventory/recall?model={device.model_id}").get_data(as_text=True)
    page = client.post("/inventory/recall", data={"model": device.model_id, "firmware": "1.0"}).get_data(as_text=True)
    assert device.tag in page
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "inventory.recall", AuditEvent.citizen_id == home.citizen_id)) == 1
    assert device.tag not in client.post("/inventory/recall", data={"model": device.model_id, "firmware": "2.0"}
                                         ).get_data(as_text=True)


def test_device_page_and_where_was_it(client, world):
    device = world.device()
    world.scan("load", device.tag, world.van)
    log_in(client, world.warehouse)
    page = client.get(f"/inventory/devices/{device.tag}").get_data(as_text=True)
    assert "Van 1" in page and device.serial in page
    assert client.get("/inventory/devices/D0000000").status_code == 404
    # Copenhagen wall time, as the form sends it; an hour on, so the repeated hour in October still reads after the scan
    later = (utcnow() + dt.timedelta(minutes=61)).astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
    answer = client.get(f"/inventory/where?tag={device.tag}&at={later}").get_data(as_text=True)
    assert "Van 1" in answer


def test_kit_pages(client, session, world):
    log_in(client, world.warehouse)
    response = client.post("/inventory/kits", data={"template_id": world.template.id})
    kit_url = response.headers["Location"]
    tablet = world.device()
    client.post(kit_url, data={"action": "pack", "code": tablet.tag})
    page = client.get(kit_url).get_data(as_text=True)
    assert tablet.tag in page
    label = client.get(kit_url + "/label.pdf")
    assert label.mimetype == "application/pdf"


def test_the_device_list_exports_formula_safe_csv(client, session, world):
    world.device(firmware_version="=HYPERLINK(\"http://x\")")
    log_in(client, world.warehouse)
    response = client.get("/inventory/devices.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_place_labels_decode_to_their_tag(client, world):
    log_in(client, world.warehouse)

    def decoded(holder_id: int) -> list[str]:
        pdf = client.get(f"/inventory/places/{holder_id}/label.pdf")
        return [r.text for page in pdfium.PdfDocument(pdf.data)
                for r in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())]

    assert decoded(world.van.id) == [world.van.tag]
    assert decoded(world.depot.id) == [make_tag("P", world.depot.id)]  # a depot: P and its id
    home = world.home()
    assert client.get(f"/inventory/places/{home.id}/label.pdf").status_code == 404  # a home carries no label


def test_what_a_citizen_held_on_a_past_day(client, session, world):
    import datetime as dt
    from zoneinfo import ZoneInfo

    device = world.device()
    home = world.home()
    world.scan("handover", device.tag, home)
    world.scan("collect", device.tag, world.van, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    world.on_route(home)
    log_in(client, world.technician)
    local_today = dt.datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    today = local_today.isoformat()
    assert device.tag in client.get(f"/citizens/{home.citizen_id}?held_on={today}").get_data(as_text=True)
    yesterday = (local_today - dt.timedelta(days=1)).isoformat()
    assert device.tag not in client.get(f"/citizens/{home.citizen_id}?held_on={yesterday}").get_data(as_text=True)


def test_opening_a_kit_by_scanning_its_tag(client, world):
    kit, _members = world.kit()
    log_in(client, world.warehouse)
    assert client.get(f"/inventory/kits?tag={kit.tag.lower()}").headers["Location"] == f"/inventory/kits/{kit.tag}"
    typo = kit.tag[:-1] + ("A" if kit.tag[-1] != "A" else "B")
    page = client.get(f"/inventory/kits?tag={typo}")
    assert page.status_code == 200 and "alert-danger" in page.get_data(as_text=True)


def test_faulty_to_repair_and_back_with_the_reason_kept(client, session, world):
    from inventory import service as inventory_service
    from inventory.models import HolderKind
    from servicecenter.db import unit_of_work, utcnow

    with unit_of_work(session):
        vendor = inventory_service.create_holder(session, actor=world.warehouse, now=utcnow(),
                                                 kind=HolderKind.REPAIR, name="Reparatør")
    device = world.device()
    log_in(client, world.warehouse)
    client.post("/inventory/scan/fault", data={"code": device.tag, "note": "Skærmen er revnet"})
    client.post(f"/inventory/scan/repair_out?holder={vendor.id}", data={"code": device.tag})
    client.post(f"/inventory/scan/repair_back?holder={world.depot.id}", data={"code": device.tag})
    session.rollback()
    assert session.get(Device, device.id).status == DeviceStatus.TESTING
    fault = session.scalar(select(Movement).where(Movement.device_id == device.id, Movement.kind == "fault"))
    assert fault.note == "Skærmen er revnet"


def test_the_warehouse_cannot_reach_a_citizen_through_a_handover_page(client, factory, world):
    home = world.home()
    world.on_route(home)
    log_in(client, world.warehouse)
    assert client.get(f"/inventory/scan/handover?course={home.course_id}").status_code in (403, 404)
    technician = client.application.test_client()
    log_in(technician, world.technician)
    page = technician.get(f"/inventory/scan/handover?course={home.course_id}").get_data(as_text=True)
    assert "Karen" in page  # the technician may see whom he is handing over to


def test_a_stock_count_counts_a_kit_label_as_its_members(client, world):
    kit, members = world.kit()
    loose = world.device()
    log_in(client, world.warehouse)
    page = client.post(f"/inventory/count?holder={world.depot.id}", data={"codes": kit.tag}).get_data(as_text=True)
    assert "3 fundet" in page or "3 found" in page
    assert loose.tag in page  # the loose device is missing from the count
    assert client.get(f"/inventory/count?holder={world.van.id + 999}").status_code == 400
