"""Two processes hand the same ready device to two different vans at the same moment: exactly one succeeds, the
other gets a clear refusal, and one movement row exists. 50 times, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from inventory.models import Device, DeviceStatus, Movement, MovementKind
from tests.inventory.concurrency_worker import race
from tests.inventory.helpers import World

ROUNDS = 50


def test_two_processes_race_for_one_device(database_url, session, factory):
    world = World(session, factory)
    devices = [world.device() for _ in range(ROUNDS)]
    outcomes = race(database_url, world.technician.id, [
        (("load", device.tag, world.van.id, 0), ("load", device.tag, world.van2.id, 0)) for device in devices])
    assert all(o[0][0] == "ok" and o[1][0] == "refused" for o in outcomes), [o for o in outcomes if o[0][0] != "ok"
                                                                              or o[1][0] != "refused"][:3]
    assert all("in van" in o[1][2] for o in outcomes), outcomes[0]
    session.rollback()
    session.expire_all()
    for device, outcome in zip(devices, outcomes, strict=True):
        loads = session.scalar(select(func.count()).select_from(Movement).where(
            Movement.device_id == device.id, Movement.kind == MovementKind.LOAD))
        assert loads == 1
        current = session.get(Device, device.id)
        assert current.status == DeviceStatus.IN_VAN and current.holder_id == outcome[0][2]
    winners = {o[0][2] for o in outcomes}
    assert winners  # who wins varies; the invariant is one winner per device
