"""SIM cards: found by ICCID or phone number, suspended and reactivated only while the tablet is in stock, with a
reason, and the state and pairing histories kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from stdnum import luhn

from inventory import service
from inventory.models import DeviceCategory, SimState
from servicecenter.audit.models import AuditEvent
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError, InvalidTransition
from tests.inventory.helpers import World, later


def iccid(n: int) -> str:
    body = f"8945{n:014d}"
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def sim_in(world, tablet=None, *, n=1, phone="+45 20 30 40 50"):
    with unit_of_work(world.s):
        return service.register_sim(world.s, iccid=iccid(n), phone_number=phone, operator="TDC", device=tablet,
                                    now=utcnow())


def change(world, action, sim, reason="Tablet on the shelf", *, now=None):
    with unit_of_work(world.s):
        return action(world.s, service.get_sim(world.s, sim.id), reason=reason, actor=world.warehouse,
                      now=now or utcnow())


def test_suspend_and_reactivate_in_stock_keep_the_history_with_reasons(session, world):
    tablet = world.device()
    sim = sim_in(world, tablet)
    change(world, service.suspend_sim, sim, "Not needed for a while")
    assert service.get_sim(session, sim.id).state == SimState.SUSPENDED
    change(world, service.reactivate_sim, sim, "Going out next week", now=later(1))
    history = service.sim_state_history(session, sim.id)
    assert [(e.detail["from"], e.detail["to"], e.detail["reason"]) for e, _who in history] == [
        ("suspended", "active", "Going out next week"), ("active", "suspended", "Not needed for a while")]
    assert {who for _e, who in history} == {world.warehouse.full_name}


@pytest.mark.parametrize("where", ["van", "home"])
def test_a_sim_in_a_tablet_on_its_way_or_at_a_citizen_is_not_changed(session, world, where):
    tablet = world.device()
    sim = sim_in(world, tablet)
    world.scan("load", tablet.tag, world.van)
    if where == "home":
        world.scan("handover", tablet.tag, world.home())
    with pytest.raises(DomainError, match="only while its tablet is in stock"):
        change(world, service.suspend_sim, sim)
    assert service.get_sim(session, sim.id).state == SimState.ACTIVE
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "sim")) == 0


def test_a_suspended_sim_is_not_reactivated_from_a_citizens_home_either(session, world):
    tablet = world.device()
    sim = sim_in(world, tablet)
    change(world, service.suspend_sim, sim)
    world.scan("load", tablet.tag, world.van)
    with pytest.raises(DomainError, match="only while its tablet is in stock"):
        change(world, service.reactivate_sim, sim)


def test_a_reserved_tablet_may_be_reactivated_but_not_suspended(session, world):
    tablet = world.device()
    sim = sim_in(world, tablet)
    change(world, service.suspend_sim, sim)
    world.scan("reserve", tablet.tag, reserve_for=world.home())  # set aside for a citizen's setup
    change(world, service.reactivate_sim, sim, "Reserved for a setup")
    assert service.get_sim(session, sim.id).state == SimState.ACTIVE
    with pytest.raises(DomainError, match="reserved for a visit"):
        change(world, service.suspend_sim, sim)


def test_a_reason_is_required_and_a_repeat_does_nothing_twice(session, world):
    sim = sim_in(world)  # a loose card, not in a tablet: in stock
    with pytest.raises(DomainError, match="reason") as refused:
        change(world, service.suspend_sim, sim, "  ")
    assert refused.value.field == "reason"
    change(world, service.suspend_sim, sim)
    change(world, service.suspend_sim, sim)
    assert len(service.sim_state_history(session, sim.id)) == 1


def test_a_terminated_sim_changes_no_more(session, world):
    from inventory.transitions import SIM_STATE
    from servicecenter.statuses import transition

    sim = sim_in(world)
    with unit_of_work(session):
        transition(session, service.get_sim(session, sim.id), SimState.TERMINATED, table=SIM_STATE,
                   actor=world.warehouse, now=utcnow(), reason="Cancelled")
    with pytest.raises(InvalidTransition):
        change(world, service.reactivate_sim, sim)


def test_the_list_finds_by_the_start_of_the_iccid_or_the_end_of_the_phone_number(session, world):
    first = sim_in(world, n=1, phone="+45 20 30 40 50")
    second = sim_in(world, n=2, phone="31-32-33-34")
    assert [s.id for s in service.list_sims(session, query="20304050")[0]] == [first.id]
    assert [s.id for s in service.list_sims(session, query="3132 3334")[0]] == [second.id]
    assert {s.id for s in service.list_sims(session, query=iccid(1)[:6])[0]} == {first.id, second.id}
    assert service.list_sims(session, query="no digits") == ([], False)
    assert service.find_sim(session, iccid(2)).id == second.id and service.find_sim(session, "8945") is None
    page, more = service.list_sims(session, per_page=1)
    assert [s.id for s in page] == [first.id] and more


def test_the_pairing_history_shows_each_tablet_the_card_was_in(session, world):
    first, second = world.device(DeviceCategory.TABLET), world.device(DeviceCategory.TABLET)
    sim = sim_in(world, first)
    with unit_of_work(session):
        service.pair_sim(session, service.get_sim(session, sim.id), session.merge(second), now=later(5))
    pairings = service.sim_pairings(session, sim.id)
    assert [(tag, p.unpaired_at is None) for p, tag, _model in pairings] == [(second.tag, True), (first.tag, False)]
