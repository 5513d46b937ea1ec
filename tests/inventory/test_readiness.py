"""A kit's kept readiness (`kits.ready_at_id`) is derived with every move, pack, unpack and template change, agrees
with the rule (`ready_kit_rows`), and `inventory verify` names a kit where it does not: SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text, update
from sqlalchemy.orm import sessionmaker

from inventory import service
from inventory.models import Device, DeviceCategory, Kit
from inventory.service import readiness
from servicecenter.db import unit_of_work
from servicecenter.migrations import alembic_config, current_revision, head_revision
from tests.conftest import make_test_app
from tests.inventory.concurrency_worker import race
from tests.inventory.helpers import World, later


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def kept(session, kit) -> int | None:
    session.expire_all()
    return session.get(Kit, kit.id).ready_at_id


def test_a_kit_is_ready_while_all_its_members_stand_ready_on_one_depot(session, world):
    kit, members = world.kit()
    assert kept(session, kit) == world.depot.id
    world.scan("load", members[0].tag, world.van)  # one member leaves the shelf: the kit is not ready stock
    assert kept(session, kit) is None
    world.scan("unload", members[0].tag, world.depot)
    assert kept(session, kit) == world.depot.id
    world.scan("load", kit.tag, world.van)  # the whole kit
    assert kept(session, kit) is None
    assert service.verify_ledger(session) == []


def test_packing_and_unpacking_change_it(session, world):
    kit, members = world.kit()
    with unit_of_work(session):
        service.remove_from_kit(session, service.get_kit(session, kit.id), session.get(Device, members[2].id),
                                actor=world.warehouse, now=later(1))
    assert kept(session, kit) is None  # the scale is missing
    with unit_of_work(session):
        service.pack(session, service.get_kit(session, kit.id), members[2].tag, actor=world.warehouse, now=later(2))
    assert kept(session, kit) == world.depot.id
    assert service.verify_ledger(session) == []


def test_a_template_change_changes_which_kits_are_ready(session, world):
    kit, _members = world.kit()
    items = [(DeviceCategory.TABLET, 1), (DeviceCategory.PULSE_OXIMETER, 1), (DeviceCategory.SCALE, 1)]
    with unit_of_work(session):
        service.set_kit_template(session, actor=world.warehouse, now=later(1), programme_id=world.copd.id, name="KOL",
                                 items=[*items, (DeviceCategory.BLOOD_PRESSURE, 1)])
    assert kept(session, kit) is None
    with unit_of_work(session):
        service.set_minimum(session, actor=world.warehouse, now=later(2), depot_id=world.depot.id,
                            programme_id=world.copd.id, minimum=1)
        service.set_kit_template(session, actor=world.warehouse, now=later(2), programme_id=world.copd.id, name="KOL",
                                 items=items)
    assert kept(session, kit) == world.depot.id
    assert [line.ready_kits for line in service.stock_lines(session)] == [1]


def test_verify_names_a_kit_whose_kept_readiness_disagrees(session, world):
    kit, _members = world.kit()
    other, _ = world.kit()
    with unit_of_work(session):
        session.execute(update(Kit).where(Kit.id == kit.id).values(ready_at_id=None))
        session.execute(update(Kit).where(Kit.id == other.id).values(ready_at_id=world.depot2.id))
    problems = {d.tag: d.problem for d in service.verify_ledger(session)}
    assert set(problems) == {kit.tag, other.tag}
    assert f"its members say {world.depot.id}" in problems[kit.tag]
    assert readiness.disagreements(session) == sorted([(kit.tag, None, world.depot.id),
                                                       (other.tag, world.depot2.id, world.depot.id)])


def test_migration_0019_derives_the_readiness_of_existing_kits(database_url):
    app = make_test_app(database_url)
    engine = app.extensions["database"].engine
    session = sessionmaker(bind=engine, expire_on_commit=True)()
    from tests.factories import Factory

    world = World(session, Factory(session))
    ready, _ = world.kit()
    broken, members = world.kit()
    world.scan("load", members[1].tag, world.van)
    ids = {"ready": ready.id, "broken": broken.id, "depot": world.depot.id}
    session.close()
    engine.dispose()

    command.downgrade(alembic_config(database_url), "0018")
    command.upgrade(alembic_config(database_url), "head")

    app = make_test_app(database_url)
    engine = app.extensions["database"].engine
    session = sessionmaker(bind=engine, expire_on_commit=True)()
    assert current_revision(engine) == head_revision()
    assert dict(session.execute(text("SELECT id, ready_at_id FROM kits")).all()) == {ids["ready"]: ids["depot"],
                                                                                    ids["broken"]: None}
    assert readiness.disagreements(session) == []
    session.close()
    engine.dispose()


def after_the_race(session):
    session.rollback()  # end the test session's read transaction: see what the workers committed


RACES = 12


def test_two_members_unloaded_at_once_leave_their_kit_ready(database_url, session, factory):
    """Each transaction sees the other member still in the van; the second to derive must read the first's commit."""
    world = World(session, factory)
    kits = []
    for _ in range(RACES):
        kit, members = world.kit()
        world.scan("load", members[0].tag, world.van)
        world.scan("load", members[1].tag, world.van)
        kits.append((kit, members))
    outcomes = race(database_url, world.warehouse.id, [
        (("unload", m[0].tag, world.depot.id, 0), ("unload", m[1].tag, world.depot.id, 0)) for _k, m in kits])
    assert all(o[0][0] == o[1][0] == "ok" for o in outcomes), outcomes
    after_the_race(session)
    assert {kept(session, kit) for kit, _m in kits} == {world.depot.id}
    assert readiness.disagreements(session) == []


def test_a_kit_scan_and_a_member_scan_at_once_neither_deadlock_nor_disagree(database_url, session, factory):
    """The kit scan locks the kit, then its devices; the member's scan locks the device, then derives the kit as it
    commits: neither waits for the other while holding what it needs. (A guard: deriving at once under a lock on the
    kit's row could deadlock in one interleaving, which these rounds were not seen to hit.)"""
    world = World(session, factory)
    kits = [world.kit() for _ in range(RACES)]
    outcomes = race(database_url, world.warehouse.id, [
        (("load", kit.tag, world.van.id, 0), ("fault", m[1].tag, None, 0)) for kit, m in kits])
    assert not [o for o in outcomes if "error" in (o[0][0], o[1][0])], outcomes
    after_the_race(session)
    assert all(kept(session, kit) is None for kit, _m in kits)  # loaded or a member faulty: not ready stock
    assert readiness.disagreements(session) == []
