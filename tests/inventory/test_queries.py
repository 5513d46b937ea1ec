"""Reading what is stored: sign-offs and reasons, where a device was and from when to when, finding a device by tag
or serial, the kit list and a kit's membership history."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from inventory import service
from inventory.models import Device, DeviceCategory, SignoffKind
from servicecenter.db import unit_of_work, utcnow
from tests.inventory.helpers import World, later


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def test_the_sign_offs_say_who_when_how_and_whether_it_was_reset(session, world):
    device = world.device()
    home = world.home()
    world.scan("handover", device.tag, home)
    world.scan("collect", device.tag, world.van, now=later(1))
    world.scan("unload", device.tag, world.depot, now=later(2))
    world.scan("clean_start", device.tag, now=later(3))
    world.scan("clean_finish", device.tag, now=later(4), method="Klor 1000 ppm")
    world.scan("test_pass", device.tag, world.depot, now=later(5), method="Funktionstest og fabriksnulstilling",
               factory_reset=True)
    signoffs = service.device_signoffs(session, device.id)
    assert [(s.kind, s.method, s.factory_reset, who) for s, who in signoffs] == [
        (SignoffKind.FUNCTION_TEST, "Funktionstest og fabriksnulstilling", True, world.warehouse.full_name),
        (SignoffKind.CLEANING, "Klor 1000 ppm", False, world.warehouse.full_name)]


def test_the_timeline_carries_the_reason_and_who_recorded_it(session, world):
    device = world.device()
    world.scan("fault", device.tag, note="Skærmen er revnet", actor=world.technician)
    world.scan("scrap", device.tag, note="Kan ikke repareres", now=later(1))
    rows = service.device_timeline(session, device.id)
    assert [(m.kind, m.note, who) for m, _src, _dst, who in rows[:2]] == [
        ("scrap", "Kan ikke repareres", world.warehouse.full_name), ("fault", "Skærmen er revnet",
                                                                     world.technician.full_name)]


def test_custody_at_gives_the_interval_open_or_closed(session, world):
    device = world.device()
    loaded, home_at = later(1), later(2)
    world.scan("load", device.tag, world.van, now=loaded)
    home = world.home()
    world.scan("handover", device.tag, home, now=home_at)
    in_van = service.custody_at(session, device.id, later(1))
    assert (in_van.holder.id, in_van.started_at, in_van.ended_at) == (world.van.id, loaded, home_at)
    at_home = service.custody_at(session, device.id, later(60))
    assert (at_home.holder.citizen_id, at_home.started_at, at_home.ended_at) == (home.citizen_id, home_at, None)
    assert service.custody_at(session, device.id, device.created_at - (later(1) - utcnow())) is None


def test_a_tag_finds_its_device_and_a_serial_every_models_device_with_it(session, world):
    tablet = world.device()
    with unit_of_work(session):
        scale = service.register_device(session, service.DeviceData(
            model_id=world.models[DeviceCategory.SCALE].id, serial=tablet.serial,
            owner_organisation_id=world.region.id), depot=world.depot, actor=world.warehouse, now=utcnow())
    assert service.find_devices(session, tablet.tag.lower()).id == tablet.id
    assert {d.id for d in service.find_devices(session, f" {tablet.serial} ")} == {tablet.id, scale.id}
    assert service.find_devices(session, "NO-SUCH-SERIAL") == []


def test_a_serial_lookup_walks_an_index(session, world):
    """Serials are unique per model only, and that index leads with the model: naming every model lets the lookup
    search it; since migration 0031 an index on the serial alone serves it too. Either way, never the whole table
    (300,000 devices)."""
    world.device()
    seen = []
    listener = lambda _conn, _cur, statement, params, *_a: seen.append((statement, params))  # noqa: E731
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        service.find_devices(session, "S000001")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    statement, params = next((st, p) for st, p in seen if "serial" in st and "FROM devices" in st)
    connection = session.connection()
    if engine.dialect.name == "sqlite":
        plan = str(connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all())
        assert "USING INDEX" in plan and "serial=?" in plan and "SCAN devices" not in plan
    else:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a test table is tiny; ask what it could use
        plan = " ".join(r[0] for r in connection.exec_driver_sql("EXPLAIN " + statement, params).all())
        assert ("ix_devices_serial" in plan or "uq_devices_model_serial" in plan) and "Seq Scan" not in plan
    session.rollback()


def test_the_device_list_loads_each_owner_without_a_query_per_row(session, world):
    for _ in range(3):
        world.device()
    session.expunge_all()
    rows, _more = service.list_devices(session)
    counted = []
    engine = session.get_bind()
    listener = lambda *_a: counted.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert {d.owner.name for d in rows} == {"Region Midtjylland"}
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert counted == []


def test_the_kit_list_filters_by_programme_place_and_state(session, world):
    whole, members = world.kit()
    loose = world.device()
    with unit_of_work(session):
        partial = service.create_kit(session, template=world.template, actor=world.warehouse, now=utcnow())
        service.pack(session, partial, loose.tag, actor=world.warehouse, now=utcnow())
    split, split_members = world.kit()
    world.scan("load", split_members[0].tag, world.van)

    def tags(**filters):
        rows, _more = service.list_kits(session, **filters)
        return {row.kit.tag: (row.is_complete, row.is_split) for row in rows}

    assert tags() == {whole.tag: (True, False), partial.tag: (False, False), split.tag: (True, True)}
    assert set(tags(state="complete")) == {whole.tag, split.tag}
    assert set(tags(state="incomplete")) == {partial.tag}
    assert set(tags(state="split")) == {split.tag}
    assert set(tags(place=world.van.id)) == {split.tag}
    assert tags(template_id=world.template.id + 999) == {}
    rows, _more = service.list_kits(session, state="incomplete")
    assert rows[0].missing == {"pulse_oximeter": 1, "scale": 1}
    home = world.home()
    world.scan("handover", whole.tag, home)
    assert set(tags(place=service.HOMES)) == {whole.tag}
    page, more = service.list_kits(session, per_page=2)
    assert len(page) == 2 and more


def test_the_kit_history_keeps_a_swapped_out_device(session, world):
    kit, members = world.kit()
    spare = world.device(DeviceCategory.SCALE)
    scale = next(d for d in members if d.model_id == world.models[DeviceCategory.SCALE].id)
    with unit_of_work(session):
        service.swap_member(session, service.get_kit(session, kit.id), scale.tag, spare.tag, actor=world.warehouse,
                            now=later(5))
    history = {tag: (m.added_at, m.removed_at) for m, tag, _model in service.kit_history(session, kit.id)}
    assert set(history) == {d.tag for d in members} | {spare.tag}
    assert history[scale.tag][1] is not None
    assert history[spare.tag][1] is None
    assert session.get(Device, scale.id).kit_id is None


def _statements(session, lister) -> int:
    """Statements for one page read in a fresh session, as a request would."""
    counted = []
    engine = session.get_bind()
    fresh = Session(bind=engine)
    listener = lambda *_a: counted.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        rows, _more = lister(fresh)
        for row in rows:  # what the pages read of each row
            getattr(row, "places", None)
            getattr(getattr(row, "device", None), "holder", None)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        fresh.close()
    return len(counted)


def test_a_page_of_kits_or_sims_costs_the_same_statements_for_more_rows(session, world):
    from stdnum import luhn

    def add(n):
        for _ in range(n):
            kit, members = world.kit()
            body = f"8945{len(members) * 1000 + kit.id:014d}"
            with unit_of_work(session):
                service.register_sim(session, iccid=body + luhn.calc_check_digit(body), phone_number=None,
                                     operator=None, device=session.merge(members[0]), now=utcnow())

    add(1)
    few = (_statements(session, service.list_kits), _statements(session, service.list_sims))
    add(3)
    assert (_statements(session, service.list_kits), _statements(session, service.list_sims)) == few
