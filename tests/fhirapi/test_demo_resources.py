"""Acceptance: every FHIR resource produced for the demo data validates (fhir.resources' R4B models plus the
profiles' rules, tests/fhirapi/profiles.py), and the DeviceUseStatements say what custody says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.service import tokens
from api.service.tokens import Scope
from inventory.models import Custody, Device
from servicecenter.auth.models import User
from servicecenter.citizens.models import Citizen
from servicecenter.db import unit_of_work, utcnow
from servicecenter.organisations.models import Organisation
from tests.conftest import make_test_app, with_demo
from tests.fhirapi.conftest import bearer
from tests.fhirapi.profiles import validate

DEMO_CITIZENS = 12


@pytest.fixture
def demo(database_url):
    app = with_demo(make_test_app(database_url), DEMO_CITIZENS)
    session = app.extensions["database"].factory()
    admin = session.scalar(select(User).where(User.username == "admin"))
    with unit_of_work(session):
        _row, token = tokens.issue(session, name="FUT", scopes=[Scope.READ_DEVICES, Scope.READ_CUSTODY],
                                   organisation_id=None, actor=admin, now=utcnow())
    yield app, session, bearer(token)
    session.close()
    app.extensions["database"].engine.dispose()


def _fhir(client, url: str, headers: dict) -> dict:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, (url, answer.status_code, answer.json)
    assert answer.mimetype == "application/fhir+json"
    validate(answer.json)
    return answer.json


def test_every_resource_for_the_demo_data_validates(demo):
    app, session, headers = demo
    client = app.test_client()
    devices = list(session.scalars(select(Device).order_by(Device.id)))
    uses = list(session.scalars(select(Custody).where(Custody.citizen_id.is_not(None)).order_by(Custody.id)))
    citizens = list(session.scalars(select(Citizen.id).order_by(Citizen.id)))
    # the demo data has what the shapes are about (so the test can fail): devices, held ones and picked-up ones
    assert devices and any(u.ended_at is None for u in uses) and any(u.ended_at is not None for u in uses)
    assert {d["status"] for d in (_fhir(client, f"/fhir/Device/{d.id}", headers) for d in devices)} >= {"active"}
    for use in uses:
        resource = _fhir(client, f"/fhir/DeviceUseStatement/{use.id}", headers)
        assert resource["status"] == ("active" if use.ended_at is None else "completed")
        assert resource["subject"]["reference"] == f"Patient/{use.citizen_id}"
        assert resource["device"]["reference"] == f"Device/{use.device_id}"
    for citizen_id in citizens:
        _fhir(client, f"/fhir/Patient/{citizen_id}", headers)
        everything = _fhir(client, f"/fhir/Patient/{citizen_id}/$everything", headers)
        mine = [u for u in uses if u.citizen_id == citizen_id]
        kinds = [e["resource"]["resourceType"] for e in everything["entry"]]
        assert kinds.count("Patient") == 1 and kinds.count("DeviceUseStatement") == len(mine)
        assert kinds.count("Device") == len({u.device_id for u in mine})
        searched = _fhir(client, f"/fhir/DeviceUseStatement?patient=Patient/{citizen_id}", headers)
        assert sorted(int(e["resource"]["id"]) for e in searched["entry"]) == sorted(u.id for u in mine)
    for organisation_id in session.scalars(select(Organisation.id)):  # owners, municipalities, the supplier
        _fhir(client, f"/fhir/Organization/{organisation_id}", headers)
    _fhir(client, "/fhir/metadata", {})


def test_every_device_is_found_by_its_serial_number(demo):
    app, session, headers = demo
    client = app.test_client()
    for device in session.scalars(select(Device).order_by(Device.id).limit(40)):
        bundle = _fhir(client, f"/fhir/Device?identifier=urn:fsc:device-serial|{device.serial}", headers)
        assert str(device.id) in {e["resource"]["id"] for e in bundle["entry"]}


def test_the_demo_devices_name_the_service_centre_as_supplier(demo):
    app, session, headers = demo
    device = session.scalars(select(Device).limit(1)).one()
    found = _fhir(app.test_client(), f"/fhir/Device/{device.id}", headers)
    supplier = found["extension"][0]["extension"][0]["valueReference"]
    assert "Servicecenter" in supplier["display"]
