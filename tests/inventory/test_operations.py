"""The status machine, scans, the cleaning gate, kits, verify: service tests on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select, text, update

from inventory import service
from inventory.models import Custody, Device, DeviceCategory, DeviceStatus, Movement, Signoff
from inventory.tags import make_tag, parse_tag
from inventory.transitions import DEVICE_STATUS
from servicecenter.db import unit_of_work
from servicecenter.errors import DomainError, InvalidTransition
from servicecenter.statuses import transition
from tests.inventory.helpers import World, later

S = DeviceStatus
ALLOWED = {
    (S.RECEIVED, S.READY), (S.RECEIVED, S.FAULTY), (S.RECEIVED, S.SCRAPPED),
    (S.READY, S.RESERVED), (S.READY, S.IN_VAN), (S.READY, S.AT_CITIZEN), (S.READY, S.FAULTY), (S.READY, S.LOST),
    (S.READY, S.SCRAPPED),
    (S.RESERVED, S.READY), (S.RESERVED, S.IN_VAN), (S.RESERVED, S.AT_CITIZEN), (S.RESERVED, S.FAULTY),
    (S.RESERVED, S.LOST),
    (S.IN_VAN, S.READY), (S.IN_VAN, S.AT_CITIZEN), (S.IN_VAN, S.FAULTY), (S.IN_VAN, S.LOST),
    (S.AT_CITIZEN, S.RETURNED), (S.AT_CITIZEN, S.LOST),
    (S.RETURNED, S.CLEANING), (S.RETURNED, S.FAULTY), (S.RETURNED, S.LOST), (S.RETURNED, S.SCRAPPED),
    (S.CLEANING, S.TESTING), (S.CLEANING, S.FAULTY),
    (S.TESTING, S.READY), (S.TESTING, S.FAULTY), (S.TESTING, S.CLEANING),
    (S.FAULTY, S.REPAIR), (S.FAULTY, S.SCRAPPED),
    (S.REPAIR, S.TESTING), (S.REPAIR, S.SCRAPPED),
    (S.LOST, S.RETURNED), (S.LOST, S.SCRAPPED),
}


@pytest.fixture
def world(session, factory):
    return World(session, factory)


@pytest.mark.parametrize("current,target", list(itertools.product(DeviceStatus, DeviceStatus)))
def test_the_transition_table_in_full(current, target):
    """Every one of the 144 pairs: allowed exactly when listed, refused with both states named otherwise."""
    class Subject:
        id = 1
        status = current

    class NullSession:
        def add(self, _obj): pass

        def flush(self): pass

    assert DEVICE_STATUS.can(current, target) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        transition(NullSession(), Subject, target, table=DEVICE_STATUS, actor=None, now=later(0))
        assert Subject.status == target
    else:
        with pytest.raises(InvalidTransition) as error:
            transition(NullSession(), Subject, target, table=DEVICE_STATUS, actor=None, now=later(0))
        assert DEVICE_STATUS.labels[current] in str(error.value)


def test_a_citizen_can_be_reached_only_from_ready():
    sources = {a for a, b in ALLOWED if b == S.AT_CITIZEN}
    assert sources == {S.READY, S.RESERVED, S.IN_VAN}  # reserved and in-van are ready devices set aside/loaded


def test_tags_carry_a_check_character_that_catches_typos():
    tag = make_tag("D", 4711)
    assert parse_tag(tag.lower()) == tag
    for i in range(1, len(tag)):
        for replacement in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            typo = tag[:i] + replacement + tag[i + 1:]
            if typo != tag:
                with pytest.raises(DomainError):
                    parse_tag(typo)
    swapped = tag[:2] + tag[3] + tag[2] + tag[4:]
    if swapped != tag:
        with pytest.raises(DomainError):
            parse_tag(swapped)


def test_a_full_round_trip_through_a_citizens_home_and_the_cleaning_gate(session, world):
    device = world.device()
    home = world.home()
    world.scan("load", device.tag, world.van, now=later(1))
    world.scan("handover", device.tag, home, now=later(2))
    world.scan("collect", device.tag, world.van, now=later(3))
    world.scan("unload", device.tag, world.depot, now=later(4))
    # Returned, not cleaned: it cannot be loaded for the next citizen.
    with pytest.raises(DomainError, match="returned, not cleaned"):
        world.scan("load", device.tag, world.van, now=later(5))
    world.scan("clean_start", device.tag, now=later(6))
    with pytest.raises(DomainError, match="method"):
        world.scan("clean_finish", device.tag, now=later(7))
    world.scan("clean_finish", device.tag, now=later(7), method="70 % alkohol")
    world.scan("test_pass", device.tag, world.depot, now=later(8), method="Funktionstest", factory_reset=True)
    session.expire_all()
    device = session.get(Device, device.id)
    assert device.status == S.READY and device.holder_id == world.depot.id
    kinds = [m.kind.value for m in session.scalars(select(Movement).where(Movement.device_id == device.id)
                                                    .order_by(Movement.occurred_at, Movement.id))]
    assert kinds == ["receive", "accept", "load", "handover", "collect", "unload", "clean_start", "clean_finish",
                     "test_pass"]
    signoffs = session.scalars(select(Signoff).where(Signoff.device_id == device.id).order_by(Signoff.id)).all()
    assert [(s.kind.value, s.actor_id is not None) for s in signoffs] == [("cleaning", True), ("function_test", True)]
    assert signoffs[1].factory_reset


def test_a_test_pass_without_a_cleaning_since_the_return_is_refused(session, world):
    device = world.device()
    home = world.home()
    world.scan("handover", device.tag, home, now=later(1))
    world.scan("collect", device.tag, world.van, now=later(2))
    with unit_of_work(session):  # force the state a careless shortcut would produce
        session.execute(update(Device).where(Device.id == device.id).values(status=S.TESTING))
    with pytest.raises(DomainError, match="no cleaning sign-off"):
        world.scan("test_pass", device.tag, world.depot, now=later(3), method="Funktionstest")


def test_scanning_the_same_tag_twice_moves_it_once(session, world):
    device = world.device()
    first = world.scan("load", device.tag, world.van)
    second = world.scan("load", device.tag, world.van)
    assert (first.moved, second.moved) == (1, 0)
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.device_id == device.id, Movement.kind == "load")) == 1


def test_a_device_in_another_van_is_refused_with_where_it_is(world):
    device = world.device()
    world.scan("load", device.tag, world.van)
    with pytest.raises(DomainError, match="Van 1"):
        world.scan("load", device.tag, world.van2)


def test_a_bad_check_character_is_refused_before_any_lookup(session, world):
    device = world.device()
    typo = device.tag[:-1] + ("A" if device.tag[-1] != "A" else "B")
    statements = []
    from sqlalchemy import event

    engine = session.get_bind()
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with pytest.raises(DomainError, match="check character"):
            service.scan(session, "load", typo, world.ctx(world.van))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert not any("devices" in s for s in statements)


def test_a_kit_scan_moves_every_member_or_none(session, world):
    kit, members = world.kit()
    result = world.scan("load", kit.tag, world.van)
    assert result.moved == 3
    session.expire_all()
    assert {session.get(Device, d.id).status for d in members} == {S.IN_VAN}
    # One member made faulty: the whole kit is refused and nothing moves.
    with unit_of_work(session):
        session.execute(update(Device).where(Device.id == members[0].id).values(status=S.FAULTY))
    home = world.home()
    with pytest.raises(DomainError):
        world.scan("handover", kit.tag, home)
    session.expire_all()
    assert [session.get(Device, d.id).status for d in members[1:]] == [S.IN_VAN, S.IN_VAN]


def test_packing_reports_missing_and_refuses_extra_items(session, world):
    with unit_of_work(session):
        kit = service.create_kit(session, template=world.template, actor=world.warehouse, now=later(0))
    tablet, second_tablet = world.device(), world.device()
    returned = world.device(DeviceCategory.SCALE)
    with unit_of_work(session):
        service.pack(session, kit, tablet.tag, actor=world.warehouse, now=later(0))
    assert service.packing_state(session, kit).missing == {"pulse_oximeter": 1, "scale": 1}
    with pytest.raises(DomainError, match="Extra item"), unit_of_work(session):
        service.pack(session, kit, second_tablet.tag, actor=world.warehouse, now=later(0))
    home = world.home()
    world.scan("handover", returned.tag, home)
    world.scan("collect", returned.tag, world.van)
    with pytest.raises(DomainError, match="not ready"), unit_of_work(session):
        service.pack(session, kit, returned.tag, actor=world.warehouse, now=later(0))


def test_swapping_a_member_keeps_both_histories(session, world):
    kit, members = world.kit()
    old_scale = members[2]
    new_scale = world.device(DeviceCategory.SCALE)
    with unit_of_work(session):
        service.swap_member(session, kit, old_scale.tag, new_scale.tag, actor=world.warehouse, now=later(1))
    session.expire_all()
    assert session.get(Device, old_scale.id).kit_id is None
    assert session.get(Device, new_scale.id).kit_id == kit.id
    from inventory.models import KitMembership

    history = session.scalars(select(KitMembership).where(KitMembership.kit_id == kit.id)
                              .order_by(KitMembership.id)).all()
    assert [(h.device_id, h.removed_at is not None) for h in history] == [
        (members[0].id, False), (members[1].id, False), (old_scale.id, True), (new_scale.id, False)]


def test_a_partial_return_is_flagged_with_what_is_missing(session, world):
    kit, members = world.kit()
    home = world.home()
    world.scan("handover", kit.tag, home)
    result = world.scan("collect", members[0].tag, world.van)
    assert result.warning and members[1].tag in result.warning_params["missing"]
    split = service.split_kits(session)
    assert [(k.id, {d.tag for d in devices}) for k, devices in split] == [(kit.id, {d.tag for d in members})]


def test_verify_finds_a_device_that_disagrees_with_its_ledger(session, world):
    device = world.device()
    other = world.device()
    assert service.verify_ledger(session) == []
    with unit_of_work(session):
        session.execute(update(Device).where(Device.id == device.id).values(holder_id=world.van.id))
        session.execute(update(Custody).where(Custody.device_id == other.id).values(ended_at=later(0)))
    problems = service.verify_ledger(session)
    assert {p.tag for p in problems} == {device.tag, other.tag}


def test_the_verify_command_exits_non_zero_on_disagreement(app, session, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["inventory", "verify"]).exit_code == 0
    device = world.device()
    with unit_of_work(session):
        session.execute(update(Device).where(Device.id == device.id).values(status=S.LOST))
    result = runner.invoke(args=["inventory", "verify"])
    assert result.exit_code == 1 and device.tag in result.output


def test_movements_cannot_be_changed(session, world):
    device = world.device()
    with pytest.raises(Exception, match="append-only"), unit_of_work(session):
        session.execute(text("UPDATE movements SET note = 'x' WHERE device_id = :id"), {"id": device.id})


def test_sim_cards_are_luhn_checked_and_keep_their_pairing_history(session, world):
    tablet, other_tablet = world.device(), world.device()
    with pytest.raises(DomainError, match="ICCID"), unit_of_work(session):
        service.register_sim(session, iccid="8945000000000000001", phone_number=None, operator=None, device=None,
                             now=later(0))
    from stdnum import luhn

    iccid = "894500000000000000" + luhn.calc_check_digit("894500000000000000")
    with unit_of_work(session):
        sim = service.register_sim(session, iccid=iccid, phone_number="20304050", operator="TDC", device=tablet,
                                   now=later(0))
    with unit_of_work(session):
        service.pair_sim(session, session.get(type(sim), sim.id), session.get(Device, other_tablet.id), now=later(1))
    from inventory.models import SimPairing

    pairings = session.scalars(select(SimPairing).where(SimPairing.sim_id == sim.id).order_by(SimPairing.id)).all()
    assert [(p.device_id, p.unpaired_at is not None) for p in pairings] == [(tablet.id, True), (other_tablet.id, False)]


def test_low_stock_counts_complete_ready_kits_per_depot(session, world):
    with unit_of_work(session):
        service.set_minimum(session, actor=world.warehouse, now=later(0), depot_id=world.depot.id,
                            programme_id=world.copd.id, minimum=2)
    world.kit()
    assert [(line.ready_kits, line.is_low) for line in service.low_stock(session)] == [(1, True)]
    world.kit()
    assert service.low_stock(session) == []


def test_an_incomplete_kit_is_not_ready_stock(session, world):
    with unit_of_work(session):
        service.set_minimum(session, actor=world.warehouse, now=later(0), depot_id=world.depot.id,
                            programme_id=world.copd.id, minimum=1)
    kit, members = world.kit()
    assert service.low_stock(session) == []
    with unit_of_work(session):
        service.remove_from_kit(session, service.get_kit(session, kit.id), session.get(Device, members[0].id),
                                actor=world.warehouse, now=later(1))
    assert [line.ready_kits for line in service.low_stock(session)] == [0]


def test_a_member_in_a_home_is_swapped_on_a_swap_visit_not_from_the_kit_page(session, world):
    kit, members = world.kit()
    home = world.home()
    world.scan("handover", kit.tag, home)
    spare = world.device(DeviceCategory.SCALE)
    world.scan("load", spare.tag, world.van)
    with pytest.raises(DomainError, match="swap visit"), unit_of_work(session):
        service.swap_member(session, service.get_kit(session, kit.id), members[2].tag, spare.tag,
                            actor=world.technician, now=later(2))
    session.expire_all()
    old, new = session.get(Device, members[2].id), session.get(Device, spare.id)
    assert (old.status, old.holder_id, old.kit_id) == (S.AT_CITIZEN, home.id, kit.id)
    assert (new.status, new.holder_id, new.kit_id) == (S.IN_VAN, world.van.id, None)


def test_a_kit_label_cannot_collect_a_kit_blindly(world):
    kit, _members = world.kit()
    world.scan("handover", kit.tag, world.home())
    with pytest.raises(DomainError, match="Scan each device"):
        world.scan("collect", kit.tag, world.van)


def test_cleaning_a_device_still_in_a_van_says_to_unload_first(world):
    device = world.device()
    home = world.home()
    world.scan("handover", device.tag, home)
    world.scan("collect", device.tag, world.van)
    with pytest.raises(DomainError, match="unload it at a depot first"):
        world.scan("clean_start", device.tag)


def test_one_open_custody_interval_per_device_is_enforced_by_the_database(session, world):
    device = world.device()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), unit_of_work(session):
        session.add(Custody(device_id=device.id, holder_id=world.van.id, started_at=later(1), movement_id=1))


def test_course_homes_carry_no_names(world):
    home = world.home()
    assert "Karen" not in home.name and "Jensen" not in home.name and str(home.course_id) in home.name
