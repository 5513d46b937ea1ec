"""Choosing the place on a scan page by scanning its label, the technician's own van preselected, and "who had
device D at time T" read from what people type (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from inventory import service
from inventory.models import Device, DeviceStatus, HolderKind
from inventory.tags import make_tag
from servicecenter.db import LOCAL_ZONE, unit_of_work, utcnow
from tests.inventory.helpers import World

HX = {"HX-Request": "true"}


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def log_in(client, user):
    assert client.login(user.username).status_code == 302


def _status(session, tag: str):
    session.rollback()
    device = session.scalar(select(Device).where(Device.tag == tag))
    return device.status, device.holder_id


def test_scanning_the_van_label_chooses_the_van_and_is_never_a_device_scan(client, session, world):
    device = world.device()
    log_in(client, world.warehouse)
    page = client.get("/inventory/scan/load").get_data(as_text=True)
    assert 'id="code"' in page and 'id="choose-place"' in page  # the scan field at once, no place yet

    refused = client.post("/inventory/scan/load", data={"code": device.tag}, headers=HX).get_data(as_text=True)
    assert 'data-scan-result="error"' in refused and _status(session, device.tag)[0] == DeviceStatus.READY

    chosen = client.post("/inventory/scan/load", data={"code": world.van.tag.lower()}, headers=HX)
    assert chosen.headers["HX-Replace-Url"].endswith(f"holder={world.van.id}")  # the address follows
    answer = chosen.get_data(as_text=True)  # the page's place and the form's place, replaced in the page
    assert 'data-replace="place-panel"' in answer and "Van 1" in answer[answer.index('id="chosen-place"'):]
    assert f'id="scan-holder" value="{world.van.id}"' in answer and 'data-scan-result="ok"' in answer
    page = client.get(chosen.headers["HX-Replace-Url"]).get_data(as_text=True)
    assert "Van 1" in page[page.index('id="chosen-place"'):]
    without_script = client.post("/inventory/scan/load", data={"code": world.van2.tag})
    assert without_script.status_code == 302 and without_script.headers["Location"].endswith(
        f"holder={world.van2.id}")

    answer = client.post("/inventory/scan/load", data={"code": device.tag, "holder": world.van.id}, headers=HX)
    assert 'data-scan-result="ok"' in answer.get_data(as_text=True)
    assert _status(session, device.tag) == (DeviceStatus.IN_VAN, world.van.id)


def test_a_label_of_the_wrong_kind_of_place_is_refused_and_a_shelf_stands_for_its_depot(client, session, world):
    with unit_of_work(session):
        shelf = service.create_holder(session, actor=world.warehouse, now=utcnow(), kind=HolderKind.BIN,
                                      name="Shelf A1", depot=world.depot2)
    log_in(client, world.warehouse)
    wrong = client.post("/inventory/scan/unload", data={"code": world.van.tag}, headers=HX)
    assert wrong.status_code == 200 and 'data-scan-result="error"' in wrong.get_data(as_text=True)
    depot = client.post("/inventory/scan/unload", data={"code": make_tag("P", world.depot.id)}, headers=HX)
    assert depot.headers["HX-Replace-Url"].endswith(f"holder={world.depot.id}")
    by_shelf = client.post("/inventory/scan/unload", data={"code": shelf.tag}, headers=HX)
    assert by_shelf.headers["HX-Replace-Url"].endswith(f"holder={world.depot2.id}")
    # a P label of a place that is no depot or repair vendor names nothing
    nothing = client.post("/inventory/scan/unload", data={"code": make_tag("P", world.van.id)}, headers=HX)
    assert 'data-scan-result="error"' in nothing.get_data(as_text=True)


def test_a_technician_finds_his_own_van_chosen(client, world):
    from dispatch.service import technicians

    with unit_of_work(world.s):
        technicians.save_technician(world.s, None, user_id=world.technician.id, depot_id=world.depot.id,
                                    van_id=world.van2.id, skills=[], shifts=[], actor=None, now=utcnow())
    log_in(client, world.technician)
    response = client.get("/inventory/scan/load")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"holder={world.van2.id}")
    assert client.get(f"/inventory/scan/load?holder={world.van.id}").status_code == 200  # another van: his choice
    assert client.get("/inventory/scan/clean_start").status_code == 200  # no place asked: nothing chosen


def test_who_had_it_reads_what_people_type_and_names_the_van_s_technician(client, world, factory):
    from dispatch.service import technicians

    loaded = utcnow() - dt.timedelta(hours=3)
    device = world.device(now=loaded - dt.timedelta(minutes=10))
    world.scan("load", device.tag, world.van, now=loaded)
    world.scan("unload", device.tag, world.depot, now=loaded + dt.timedelta(hours=2))
    with unit_of_work(world.s):
        technicians.save_technician(world.s, None, user_id=world.technician.id, depot_id=world.depot.id,
                                    van_id=world.van.id, skills=[], shifts=[], actor=None, now=utcnow())
    log_in(client, world.warehouse)
    at = (loaded + dt.timedelta(minutes=30)).astimezone(LOCAL_ZONE)
    for typed in (f"{at.day}/{at.month}/{at.year} {at:%H:%M}", f"{at.day}.{at.month}.{at.year} {at:%H.%M}",
                  f"{at:%Y-%m-%d %H:%M}", f"{at:%Y-%m-%dT%H:%M}"):
        page = client.get("/inventory/where", query_string={"tag": device.tag, "at": typed}).get_data(as_text=True)
        answer = page[page.index('id="where-answer"'):]
        assert "Van 1" in answer and world.technician.full_name in answer, typed
        assert all(m.astimezone(LOCAL_ZONE).strftime("%H.%M") in answer
                   for m in (loaded, loaded + dt.timedelta(hours=2))), typed
    unreadable = client.get("/inventory/where", query_string={"tag": device.tag, "at": "yesterday-ish"})
    page = unreadable.get_data(as_text=True)
    assert 'id="where-error"' in page and 'id="where-answer"' not in page and "yesterday-ish" in page
    assert "Depot A" in client.get("/inventory/where", query_string={"tag": device.tag}).get_data(as_text=True)


def test_the_where_form_can_be_included_on_any_page(app):
    with app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string('{% include "inventory/_where_form.html" %}')
    assert 'id="where-tag"' in html and 'id="where-at"' in html and 'action="/inventory/where"' in html
    assert "autofocus" not in html  # the including page decides where the cursor goes
