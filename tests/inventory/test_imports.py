"""Supplier delivery files: per-row errors, nothing imported while any row is wrong, all rows in one go."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from stdnum import luhn

from inventory.models import Device, DeviceStatus, SimCard
from inventory.service import imports
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from tests.inventory.helpers import World


def iccid(n: int) -> str:
    body = f"8945{n:014d}"
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def batch(session, world, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    with unit_of_work(session):
        return imports.create_batch(session, filename="levering.csv", data=data, depot=world.depot,
                                    owner_organisation_id=world.region.id, actor=world.warehouse, now=utcnow())


def errors_of(parsed) -> dict[int, list[str]]:
    return {row.number: [e["message"] % e["params"] for e in row.errors] for row in parsed.rows if row.errors}


def test_a_clean_file_imports_every_row_with_sims_paired(session, world):
    text = f"model;serial;iccid;phone\nM-tablet;T1;{iccid(1)};20304050\nM-tablet;T2;;\nM-scale;S1;;\n"
    created, parsed = batch(session, world, "\ufeff" + text)
    assert parsed.ok and len(parsed.rows) == 3
    with unit_of_work(session):
        devices = imports.run_import(session, imports.get_batch(session, created.id), actor=world.warehouse,
                                     now=utcnow())
    assert [d.serial for d in devices] == ["T1", "T2", "S1"]
    assert {d.status for d in devices} == {DeviceStatus.RECEIVED}
    sim = session.scalar(select(SimCard))
    assert sim.device_id == devices[0].id and sim.phone_number == "20304050"
    with pytest.raises(DomainError, match="already been imported"), unit_of_work(session):
        imports.run_import(session, imports.get_batch(session, created.id), actor=world.warehouse, now=utcnow())


def test_every_bad_row_is_reported_and_nothing_is_imported(session, world):
    world.device()  # serial S000001 exists
    text = "\n".join([
        "model,serial,iccid,purchased",
        "M-tablet,OK1,,2026-01-31",
        "NOPE,X1,,",                       # unknown model
        "M-tablet,OK1,,",                  # duplicate in the file
        "M-tablet,S000001,,",              # duplicate in the database
        "M-tablet,X3,8945000000000000001,",  # bad ICCID (Luhn)
        "M-scale,X4," + iccid(7) + ",",     # SIM in a scale
        "M-tablet,X5,,31-01-2026",         # bad date
        "M-tablet,,,",                     # missing serial
    ])
    created, parsed = batch(session, world, text)
    assert not parsed.ok
    found = errors_of(parsed)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9]
    assert "Unknown model" in found[3][0] and "twice" in found[4][0] and "already registered" in found[5][0]
    assert "ICCID" in found[6][0] and "tablet" in found[7][0] and "date" in found[8][0] and "serial" in found[9][0]
    before = session.scalar(select(func.count()).select_from(Device))
    with pytest.raises(DomainError, match="errors; nothing was imported"), unit_of_work(session):
        imports.run_import(session, imports.get_batch(session, created.id), actor=world.warehouse, now=utcnow())
    assert session.scalar(select(func.count()).select_from(Device)) == before


@pytest.mark.parametrize("content,message", [
    ("serial\nX\n", "column “model” is missing"),
    ("model,serial,colour\nM-tablet,X,red\n", "Unknown column “colour”"),
    ("", "empty"),
])
def test_a_bad_header_is_a_file_error(session, world, content, message):
    _created, parsed = batch(session, world, content)
    assert any(message in e["message"] % e["params"] for e in parsed.file_errors)


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do(session, world):
    with pytest.raises(DomainError, match="UTF-8"):
        batch(session, world, "model;serial\nM-tablet;Æble\n".encode("cp1252"))


def test_a_file_over_the_size_limit_is_refused(session, world):
    with pytest.raises(DomainError, match="larger than"):
        batch(session, world, b"model,serial\n" + b"M-tablet,X\n" * 200_000)


def test_over_long_values_and_short_lines_are_row_errors(session, world):
    text = "model,serial,firmware,phone\nM-tablet,L1," + "9" * 41 + ",\nM-tablet,L2\nM-tablet,L3,1.0,\n"
    _created, parsed = batch(session, world, text)
    found = errors_of(parsed)
    assert sorted(found) == [2, 3]
    assert "longer than 40" in found[2][0] and "2 values" in found[3][0]


def test_a_bare_carriage_return_inside_a_value_is_a_clear_line_error_and_nothing_is_saved(session, world):
    # given a file whose second data line has a bare CR in an unquoted value (an Excel cell with a line break)
    text = "model;serial\nM-tablet;T1\nM-tablet;T2\rX\nM-tablet;T3\n"
    created, parsed = batch(session, world, text)
    # then the file is refused with the line named, and nothing can be imported
    assert not parsed.ok and parsed.rows == []
    assert [e["message"] % e["params"] for e in parsed.file_errors][0].startswith("Line 3 cannot be read")
    with pytest.raises(DomainError, match="errors; nothing was imported"), unit_of_work(session):
        imports.run_import(session, imports.get_batch(session, created.id), actor=world.warehouse, now=utcnow())
    assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_a_carriage_return_or_control_character_inside_a_quoted_value_is_a_row_error(session, world):
    text = 'model;serial\nM-tablet;"T1\rB"\nM-tablet;T2\nM-tablet;"T\x013"\nM-tablet;"T\t4"\n'
    _created, parsed = batch(session, world, text)
    errors = errors_of(parsed)
    assert set(errors) == {2, 4, 5}
    assert all(any("control character" in m for m in messages) for messages in errors.values())


def test_a_nul_byte_refuses_the_file_before_anything_is_stored(session, world):
    from inventory.models import ImportBatch

    with pytest.raises(DomainError) as raised:
        batch(session, world, "model;serial\nM-tablet;T1\nM-tablet;T\x002\n")
    assert raised.value.message % raised.value.params == (
        "Line 3 contains a NUL character: this is not a CSV text file. In Excel, save it as “CSV UTF-8” and try "
        "again.")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_a_nul_byte_in_an_uploaded_file_is_a_400_page_not_500(client, session, world):
    client.login(world.warehouse.username)
    response = client.post("/inventory/import", data={
        "depot_id": world.depot.id, "owner_organisation_id": world.region.id,
        "file": (__import__("io").BytesIO(b"model;serial\nM-tablet;T\x001\n"), "levering.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
