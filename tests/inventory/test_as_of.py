""""Where was X at T" and "what did Y hold at T", against a simple replay model, over random sequences of
moves, handovers, returns, cleaning and kit swaps (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import service
from inventory.models import DeviceCategory
from inventory.service.ledger import cleaning_holder
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from tests.inventory.helpers import World

OPS = st.lists(
    st.tuples(
        st.sampled_from(["load", "handover", "collect", "unload", "clean_start", "clean_finish", "test_pass",
                         "swap"]),
        st.integers(0, 4),  # which item: devices 0-3, 4 = the kit
        st.integers(0, 1),  # which van / home
        st.integers(1, 180),  # minutes after the previous step
    ),
    min_size=1, max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=OPS)
def test_as_of_queries_match_a_replay_of_the_moves(session, factory, steps):
    world = getattr(session, "_world", None) or World(session, factory)
    session._world = world
    start = utcnow() + dt.timedelta(days=len(steps))  # after anything an earlier example wrote
    kit, members = world.kit(now=start)
    spare = world.device(DeviceCategory.SCALE, now=start)
    devices = [*members, spare]
    homes = [world.home(), world.home()]
    vans = [world.van, world.van2]
    with unit_of_work(session):
        cleaning = cleaning_holder(session, world.depot)
    kit_members = [d.id for d in members]
    holder = {d.id: world.depot.id for d in devices}
    history = [(start, dict(holder))]
    now = start
    for mode, item, which, minutes in steps:
        now += dt.timedelta(minutes=minutes)
        affected = kit_members if item == 4 else [devices[item].id]
        try:
            with unit_of_work(session):
                if mode == "swap":
                    out = next(d for d in devices if d.id == kit_members[2])
                    new = spare if out.id != spare.id else members[2]
                    service.swap_member(session, service.get_kit(session, kit.id), out.tag, new.tag,
                                        actor=world.warehouse, now=now)
                else:
                    target = {"load": vans[which], "collect": vans[which], "handover": homes[which],
                              "unload": world.depot, "test_pass": world.depot}.get(mode)
                    tag = kit.tag if item == 4 else devices[item].tag
                    service.scan(session, mode, tag, world.ctx(target, now=now, method="Metode"))
        except DomainError:
            continue
        if mode == "swap":
            if holder[out.id] in (homes[0].id, homes[1].id):  # swapped in the home: the new one came from the van
                holder[new.id], holder[out.id] = holder[out.id], holder[new.id]
            kit_members[2] = new.id
        else:
            moved_to = {"load": vans[which].id, "collect": vans[which].id, "handover": homes[which].id,
                        "unload": world.depot.id, "clean_start": cleaning.id, "test_pass": world.depot.id}
            for device_id in affected:
                holder[device_id] = moved_to.get(mode, holder[device_id])
        history.append((now, dict(holder)))

    citizen_of = {homes[0].id: homes[0].citizen_id, homes[1].id: homes[1].citizen_id}
    for (at, expected), probe in zip(history, [h[0] for h in history[1:]] + [now + dt.timedelta(hours=1)],
                                     strict=True):
        for when in (at, at + (probe - at) / 2):
            for device in devices:
                found = service.holder_at(session, device.id, when)
                assert found is not None and found.id == expected[device.id], (when, device.tag)
            for home in homes:
                held = {d.id for d in service.held_by_citizen_at(session, citizen_of[home.id], when)}
                assert held == {d for d, h in expected.items() if h == home.id}
    before = start - dt.timedelta(seconds=1)
    assert all(service.holder_at(session, d.id, before) is None for d in devices)
