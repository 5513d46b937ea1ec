"""Changing the catalogue: a device model's details, a device's firmware, and one device registered by hand through
the delivery import's checks."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from stdnum import luhn

from inventory import service
from inventory.models import Device, DeviceCategory, DeviceStatus, SimCard
from inventory.service import imports
from servicecenter.audit.models import AuditEvent
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from tests.inventory.helpers import World


def iccid(n: int) -> str:
    body = f"8945{n:014d}"
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def edit(world, model, **changes):
    fields = {"category": model.category, "manufacturer": model.manufacturer, "model_number": model.model_number,
              "name": model.name, "cleaning_procedure": model.cleaning_procedure,
              "service_interval_days": model.service_interval_days, **changes}
    with unit_of_work(world.s):
        return service.update_device_model(world.s, service.get_device_model(world.s, model.id),
                                           actor=world.warehouse, now=utcnow(), **fields)


def test_a_model_is_edited_and_the_audit_names_what_changed(session, world):
    scale = world.models[DeviceCategory.SCALE]
    edit(world, scale, name="Vægt UC-352", service_interval_days=365, cleaning_procedure="Sprit 70 %")
    model = service.get_device_model(session, scale.id)
    assert (model.name, model.service_interval_days, model.cleaning_procedure) == ("Vægt UC-352", 365, "Sprit 70 %")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "device_model.update"))
    assert event.detail["changed"] == {"name": ["Scale", "Vægt UC-352"], "service_interval_days": [None, 365],
                                       "cleaning_procedure": [None, "Sprit 70 %"]}


def test_a_models_number_stays_unique_and_its_category_stays_while_devices_exist(session, world):
    scale, tablet = world.models[DeviceCategory.SCALE], world.models[DeviceCategory.TABLET]
    with pytest.raises(DomainError) as taken:
        edit(world, scale, model_number=tablet.model_number)
    assert taken.value.field == "model_number"
    edit(world, scale, category=DeviceCategory.THERMOMETER)  # no device yet: allowed
    world.device(DeviceCategory.TABLET)
    with pytest.raises(DomainError) as fixed:
        edit(world, tablet, category=DeviceCategory.OTHER)
    assert fixed.value.field == "category"
    assert service.get_device_model(session, tablet.id).category == DeviceCategory.TABLET


def test_firmware_is_edited_with_its_history_in_the_audit(session, world):
    device = world.device(firmware_version="2.3.0")
    for version in ("2.4.1", "2.4.1", " "):
        with unit_of_work(session):
            service.set_firmware(session, session.merge(device), firmware=version, actor=world.warehouse,
                                 now=utcnow())
    assert session.get(Device, device.id).firmware_version is None
    history = service.firmware_history(session, device.id)
    assert [(e.detail["from"], e.detail["to"]) for e, _who in history] == [("2.4.1", None), ("2.3.0", "2.4.1")]
    with pytest.raises(DomainError) as too_long, unit_of_work(session):
        service.set_firmware(session, session.merge(device), firmware="9" * 41, actor=world.warehouse, now=utcnow())
    assert too_long.value.field == "firmware"


def entry(**values):
    return {"model": "M-tablet", "serial": "HAND1", "firmware": "", "purchased": "", "warranty_until": "",
            "iccid": "", "phone": "", "operator": "", **values}


def register(world, values):
    with unit_of_work(world.s):
        return imports.register_entry(world.s, values, depot=world.depot, owner_organisation_id=world.region.id,
                                      actor=world.warehouse, now=utcnow())


def test_one_device_by_hand_with_its_sim_card(session, world):
    device = register(world, entry(firmware="1.2", purchased="2026-01-15", iccid=iccid(3), phone="+45 20304050",
                                   operator="Telia"))
    saved = session.get(Device, device.id)
    assert (saved.serial, saved.status, saved.holder_id, saved.owner_organisation_id, saved.firmware_version) == (
        "HAND1", DeviceStatus.RECEIVED, world.depot.id, world.region.id, "1.2")
    sim = session.scalar(select(SimCard).where(SimCard.device_id == device.id))
    assert (sim.iccid, sim.phone_number, sim.operator) == (iccid(3), "+45 20304050", "Telia")


@pytest.mark.parametrize("values,column", [
    ({"model": "NOPE"}, "model"),
    ({"serial": ""}, "serial"),
    ({"serial": "S000001"}, "serial"),  # registered already (the world's first device)
    ({"iccid": "8945000000000000001"}, "iccid"),  # Luhn
    ({"model": "M-scale", "iccid": iccid(4)}, "iccid"),  # a SIM card in a scale
    ({"phone": "20304050"}, "iccid"),  # a phone number with no SIM card
    ({"iccid": iccid(5), "phone": "call me"}, "phone"),
    ({"firmware": "9" * 41}, "firmware"),
])
def test_by_hand_the_import_checks_name_the_field(session, world, values, column):
    world.device()  # S000001
    problems = imports.check_entry(session, entry(**values))
    assert [p["column"] for p in problems][:1] == [column]
    with pytest.raises(DomainError) as refused:
        register(world, entry(**values))
    assert refused.value.field == column
    assert session.scalar(select(Device.id).where(Device.serial == "HAND1")) is None


def test_a_phone_number_without_a_sim_card_is_a_file_error_too(session, world):
    with unit_of_work(session):
        _batch, parsed = imports.create_batch(session, filename="d.csv", data=b"model,serial,phone\nM-tablet,X,2030\n",
                                              depot=world.depot, owner_organisation_id=world.region.id,
                                              actor=world.warehouse, now=utcnow())
    messages = [e["message"] for e in parsed.rows[0].errors]
    assert any("phone number" in m and "ICCID" in m for m in messages) and any("8 to 15" in m for m in messages)
