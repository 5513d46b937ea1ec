"""Inventory pages that show what is stored, over HTTP: wiring, permissions, redirects, and that a citizen's name
reaches only those who may see her (an audited read)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from stdnum import luhn

from inventory import service
from inventory.models import Device, DeviceCategory, DeviceModel, SimCard, SimState
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.db import LOCAL_ZONE, local_date, unit_of_work, utcnow
from tests.inventory.helpers import World, later


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def log_in(client, user):
    assert client.login(user.username).status_code == 302


def iccid(n: int) -> str:
    body = f"8945{n:014d}"
    return body + luhn.calc_check_digit(body)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role,view,manage", [
    (Role.WAREHOUSE, 200, 200), (Role.ADMIN, 200, 200), (Role.HELPDESK, 200, 403), (Role.TECHNICIAN, 200, 403),
    (Role.COORDINATOR, 200, 403), (Role.NURSE, 403, 403),
])
def test_who_may_see_and_change_the_new_pages(client, session, factory, world, role, view, manage):
    device = world.device()
    with unit_of_work(session):
        sim = service.register_sim(session, iccid=iccid(1), phone_number=None, operator=None, device=None,
                                   now=utcnow())
    log_in(client, factory.user(role))
    for url in ["/inventory/sims", f"/inventory/sims/{sim.id}", "/inventory/calibration", "/inventory/calibration.csv",
                "/inventory/kits", f"/inventory/devices/{device.tag}", "/inventory/where"]:
        assert client.get(url).status_code == view, url
    model_id = world.models[DeviceCategory.TABLET].id
    for url in ["/inventory/devices/new", f"/inventory/models/{model_id}"]:
        assert client.get(url).status_code == manage, url
    assert client.post(f"/inventory/sims/{sim.id}/state", data={"action": "suspend", "reason": "x"}).status_code in (
        {302} if manage == 200 else {403})
    assert client.post(f"/inventory/devices/{device.tag}/firmware", data={"firmware": "9.9"}).status_code in (
        {302} if manage == 200 else {403})


def test_the_device_page_shows_sign_offs_reasons_and_owner(client, session, world):
    device = world.device(firmware_version="2.3.0")
    world.scan("fault", device.tag, note="Skærmen er revnet", now=later(1))
    other = world.device()
    home = world.home()
    world.scan("handover", other.tag, home)
    world.scan("collect", other.tag, world.van, now=later(2))
    world.scan("unload", other.tag, world.depot, now=later(3))
    world.scan("clean_start", other.tag, now=later(4))
    world.scan("clean_finish", other.tag, now=later(5), method="Klor 1000 ppm")
    world.scan("test_pass", other.tag, world.depot, now=later(6), method="Funktionstest og fabriksnulstilling",
               factory_reset=True)
    log_in(client, world.warehouse)
    page = text(client.get(f"/inventory/devices/{device.tag}"))
    assert "Skærmen er revnet" in page and "Region Midtjylland" in page and world.warehouse.full_name in page
    signed = text(client.get(f"/inventory/devices/{other.tag}"))
    signoffs = signed[signed.index('id="signoffs"'):signed.index('id="timeline"')]
    assert "Klor 1000 ppm" in signoffs and "Funktionstest og fabriksnulstilling" in signoffs
    assert signoffs.count(world.warehouse.full_name) == 2 and 'data-factory-reset="yes"' in signoffs


def test_the_list_and_the_csv_name_the_owner(client, world):
    device = world.device()
    log_in(client, world.warehouse)
    listing = text(client.get("/inventory/devices"))
    assert device.tag in listing and "Region Midtjylland" in listing
    csv = text(client.get("/inventory/devices.csv")).splitlines()
    assert csv[0].endswith(";Ejer") and csv[1].startswith(device.tag) and csv[1].endswith(";Region Midtjylland")


def test_no_citizen_name_on_inventory_pages_for_the_warehouse(client, session, factory, world):
    citizen = factory.citizen(first_name="Gudrun", last_name="Sørensen")
    kit, members = world.kit()
    home = world.home(citizen)
    world.scan("load", kit.tag, world.van)
    world.scan("handover", kit.tag, home)
    log_in(client, world.warehouse)
    tag = members[0].tag
    session.rollback()
    before = session.scalar(select(func.max(AuditEvent.id)))
    at = (utcnow() + dt.timedelta(minutes=5)).astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
    for url in [f"/inventory/devices/{tag}", "/inventory/devices", "/inventory/devices.csv",
                f"/inventory/kits/{kit.tag}", "/inventory/kits", f"/inventory/where?tag={tag}&at={at}",
                f"/inventory/devices?q={members[0].serial}"]:
        page = text(client.get(url))
        assert "Gudrun" not in page and "Sørensen" not in page, url
        assert f"/citizens/{citizen.id}" not in page, url
    assert "en borgers hjem" in text(client.get(f"/inventory/where?tag={tag}&at={at}"))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.id > before, AuditEvent.citizen_id == citizen.id)) == 0


def test_where_names_the_citizen_for_those_who_may_see_her_and_audits_it(client, session, factory, world):
    citizen = factory.citizen(first_name="Gudrun", last_name="Sørensen")
    device = world.device()
    home = world.home(citizen)
    delivered = utcnow()
    world.scan("handover", device.tag, home, now=delivered)
    helpdesk = factory.user(Role.HELPDESK)
    log_in(client, helpdesk)
    at = (delivered + dt.timedelta(minutes=5)).astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
    page = text(client.get(f"/inventory/where?tag={device.tag}&at={at}"))
    answer = page[page.index('id="where-answer"'):]
    assert "Gudrun Sørensen" in answer and f'href="/citizens/{citizen.id}"' in answer and "stadig der" in answer
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.citizen_id == citizen.id, AuditEvent.actor_id == helpdesk.id,
        AuditEvent.action == "inventory.where")) == 1
    device_page = text(client.get(f"/inventory/devices/{device.tag}"))
    assert f'href="/citizens/{citizen.id}"' in device_page and "Gudrun" not in device_page


def test_where_says_since_when_and_until_when(client, world):
    device = world.device()
    loaded = utcnow() + dt.timedelta(hours=1)
    world.scan("load", device.tag, world.van, now=loaded)
    world.scan("unload", device.tag, world.depot, now=loaded + dt.timedelta(hours=2))
    log_in(client, world.warehouse)
    at = (loaded + dt.timedelta(minutes=30)).astimezone(LOCAL_ZONE)
    page = text(client.get(f"/inventory/where?tag={device.tag}&at={at.strftime('%Y-%m-%dT%H:%M')}"))
    answer = page[page.index('id="where-answer"'):]
    assert "Van 1" in answer and "stadig der" not in answer
    for moment in (loaded, loaded + dt.timedelta(hours=2)):  # from when until when
        assert moment.astimezone(LOCAL_ZONE).strftime("%H.%M") in answer
    assert "Depot A" in text(client.get(f"/inventory/where?tag={device.tag}"))  # no time given: now


def test_the_device_search_goes_to_a_tag_and_lists_a_serial(client, session, world):
    tablet = world.device()
    with unit_of_work(session):
        scale = service.register_device(session, service.DeviceData(
            model_id=world.models[DeviceCategory.SCALE].id, serial=tablet.serial,
            owner_organisation_id=world.region.id), depot=world.depot, actor=world.warehouse, now=utcnow())
    log_in(client, world.technician)
    assert client.get(f"/inventory/devices?q={tablet.tag.lower()}").headers["Location"] == \
        f"/inventory/devices/{tablet.tag}"
    listing = text(client.get(f"/inventory/devices?q={tablet.serial}"))
    assert tablet.tag in listing and scale.tag in listing
    typo = tablet.tag[:-1] + ("A" if tablet.tag[-1] != "A" else "B")
    assert "kontroltegn" in text(client.get(f"/inventory/devices?q={typo}"))


def test_register_by_hand_then_offer_the_label(client, session, world):
    log_in(client, world.warehouse)
    form = {"model": "M-tablet", "serial": "HAND-7", "owner_organisation_id": world.region.id,
            "depot_id": world.depot2.id, "firmware": "1.0", "purchased": "2026-02-01", "iccid": iccid(9),
            "phone": "20304050", "operator": "TDC"}
    response = client.post("/inventory/devices/new", data=form)
    assert response.status_code == 302
    session.rollback()
    device = session.scalar(select(Device).where(Device.serial == "HAND-7"))
    assert device.holder_id == world.depot2.id and session.scalar(select(SimCard).where(
        SimCard.device_id == device.id)).iccid == iccid(9)
    page = text(client.get(response.headers["Location"]))
    assert f"labels.pdf?tags={device.tag}" in page
    assert f'<option selected value="{world.depot2.id}">' in page  # the next device goes to the same depot
    label = client.get(f"/inventory/labels.pdf?tags={device.tag}&layout=tape")
    assert label.mimetype == "application/pdf"


def test_register_by_hand_shows_each_problem_at_its_field_and_saves_nothing(client, session, world):
    world.device(DeviceCategory.SCALE)  # S000001
    log_in(client, world.warehouse)
    form = {"model": "M-scale", "serial": "S000001", "owner_organisation_id": world.region.id,
            "depot_id": world.depot.id, "iccid": iccid(2)}
    response = client.post("/inventory/devices/new", data=form)
    page = text(response)
    assert response.status_code == 400
    assert 'id="serial-err"' in page and 'id="iccid-err"' in page
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Device)) == 1


def test_firmware_is_edited_on_the_device_page(client, session, world):
    device = world.device(firmware_version="2.3.0")
    log_in(client, world.warehouse)
    assert client.post(f"/inventory/devices/{device.tag}/firmware", data={"firmware": "2.4.1"}).status_code == 302
    page = text(client.get(f"/inventory/devices/{device.tag}"))
    assert "2.3.0 → 2.4.1" in page
    assert client.post(f"/inventory/devices/{device.tag}/firmware", data={"firmware": "9" * 41}).status_code == 400
    session.rollback()
    assert session.get(Device, device.id).firmware_version == "2.4.1"


def test_a_model_is_edited_from_the_models_page(client, session, world):
    model = world.models[DeviceCategory.SCALE]
    log_in(client, world.warehouse)
    assert f"/inventory/models/{model.id}" in text(client.get("/inventory/models"))
    form = {"category": "scale", "manufacturer": "A&D", "name": "UC-352", "model_number": "UC-352BLE",
            "cleaning_procedure": "Sprit", "service_interval_days": "365"}
    assert client.post(f"/inventory/models/{model.id}", data=form).status_code == 302
    session.rollback()
    assert session.get(DeviceModel, model.id).service_interval_days == 365
    taken = dict(form, model_number=world.models[DeviceCategory.TABLET].model_number)
    response = client.post(f"/inventory/models/{model.id}", data=taken)
    assert response.status_code == 400 and 'id="model_number-err"' in text(response)


def test_the_kit_list_and_the_kit_history(client, session, world):
    kit, members = world.kit()
    log_in(client, world.warehouse)
    client.post(f"/inventory/kits/{kit.tag}", data={"action": "remove", "code": members[0].tag})
    world.scan("load", members[1].tag, world.van)
    page = text(client.get(f"/inventory/kits/{kit.tag}"))
    history = page[page.index('id="kit-history"'):]
    assert all(d.tag in history for d in members) and history.count("stadig i kufferten") == 2
    split = text(client.get("/inventory/kits?state=split"))
    assert kit.tag in split and "Van 1" in split
    assert kit.tag not in text(client.get("/inventory/kits?state=complete"))
    assert client.get("/inventory/kits?state=bogus").status_code == 400


def test_a_sim_page_suspends_with_a_reason_and_refuses_at_a_citizen(client, session, world):
    tablet = world.device()
    with unit_of_work(session):
        sim = service.register_sim(session, iccid=iccid(5), phone_number="20304050", operator="TDC",
                                   device=session.merge(tablet), now=utcnow())
    log_in(client, world.warehouse)
    assert client.get(f"/inventory/sims?q={iccid(5)}").headers["Location"] == f"/inventory/sims/{sim.id}"
    assert iccid(5) in text(client.get("/inventory/sims?q=2030 4050"))
    page = text(client.get(f"/inventory/sims/{sim.id}"))
    assert f'href="/inventory/devices/{tablet.tag}"' in page and "data-confirm" in page
    assert client.post(f"/inventory/sims/{sim.id}/state", data={"action": "suspend", "reason": ""}).status_code == 400
    assert client.post(f"/inventory/sims/{sim.id}/state",
                       data={"action": "suspend", "reason": "På hylden i en måned"}).status_code == 302
    history = text(client.get(f"/inventory/sims/{sim.id}"))
    assert "På hylden i en måned" in history[history.index('id="sim-history"'):]
    world.scan("load", tablet.tag, world.van)
    refused = client.post(f"/inventory/sims/{sim.id}/state", data={"action": "reactivate", "reason": "Ud til borger"})
    assert refused.status_code == 400 and "på lager" in text(refused)
    session.rollback()
    assert session.get(SimCard, sim.id).state == SimState.SUSPENDED


def test_the_calibration_list_its_csv_and_recording_one(client, session, world):
    model = world.models[DeviceCategory.SCALE]
    with unit_of_work(session):
        session.get(DeviceModel, model.id).service_interval_days = 30
    device = world.device(DeviceCategory.SCALE, now=utcnow() - dt.timedelta(days=40))
    log_in(client, world.warehouse)
    assert device.tag in text(client.get("/inventory/calibration?days=-1"))
    csv = text(client.get("/inventory/calibration.csv")).splitlines()
    due = (local_date(utcnow() - dt.timedelta(days=40)) + dt.timedelta(days=30)).isoformat()
    assert csv[1].startswith(f"{due};{device.tag};")
    response = client.post(f"/inventory/devices/{device.tag}/calibration", data={"method": "Kalibreret, vægt 5 kg"})
    assert response.status_code == 302
    assert device.tag not in text(client.get("/inventory/calibration?days=-1"))
    signed = text(client.get(f"/inventory/devices/{device.tag}"))
    assert "Kalibreret, vægt 5 kg" in signed[signed.index('id="signoffs"'):]
    assert client.post(f"/inventory/devices/{device.tag}/calibration", data={"method": ""}).status_code == 400


def test_the_index_links_the_new_pages(client, world):
    log_in(client, world.warehouse)
    page = text(client.get("/inventory/"))
    for url in ["/inventory/sims", "/inventory/calibration", "/inventory/devices/new", "/inventory/kits",
                "/inventory/where"]:
        assert f'href="{url}"' in page, url
