"""`flask courses verify` and `flask inventory verify` (and their nightly jobs) report what disagrees with the
journey: a course state typed into the database, a device reserved for one home but held by another, a visit's kit
that is not reserved for its home."""

from __future__ import annotations

from sqlalchemy import text, update

from dispatch.models import Visit
from inventory.models import Device
from servicecenter.courses.models import Course
from servicecenter.db import unit_of_work, utcnow
from servicecenter.jobs import JOBS
from tests.dispatch.helpers import DispatchWorld


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_both_checks_agree_with_a_journey_and_find_a_typed_state(app, session, factory):
    world = DispatchWorld(session, factory)
    home, _members = world.set_up_home(world.citizen_near(1))
    for group in ("courses", "inventory"):
        result = _cli(app, group, "verify")
        assert result.exit_code == 0 and "agree" in result.output, result.output
    with unit_of_work(session):  # someone types a state into the database
        session.execute(update(Course).where(Course.id == home.course_id).values(status="referred"))
    result = _cli(app, "courses", "verify")
    assert result.exit_code == 1
    assert f"course {home.course_id}: state referred but the journey says active" in result.output
    assert "1 courses disagree" in result.output
    job = JOBS["courses_verify"].run(session, utcnow(), dict(app.config))
    assert job == "1 disagreements"


def test_inventory_verify_finds_a_reserved_device_held_by_someone_else(app, session, factory):
    """Before the door refused it, a device reserved in B's kit could be handed over at A's door: the check must
    see that as a disagreement (it passed before)."""
    world = DispatchWorld(session, factory)
    world.kit()
    visit = world.setup_request(world.citizen_near(2))
    other_home = world.home(world.citizen_near(3))
    from dispatch.service import allocation

    with unit_of_work(session):
        kit = allocation.allocate_kit(session, session.get(Visit, visit.id), depot_id=world.depot.id,
                                      actor=world.helpdesk, now=utcnow())
    tag = kit.members[0].tag
    assert _cli(app, "inventory", "verify").exit_code == 0
    with unit_of_work(session):  # what the old door did: B's reserved device moved into A's home
        session.execute(text("UPDATE devices SET holder_id = :home, status = 'at_citizen' WHERE tag = :tag"),
                        {"home": other_home.id, "tag": tag})
    result = _cli(app, "inventory", "verify")
    assert result.exit_code == 1 and tag in result.output
    assert "reserved for" in result.output and f"the kit of setup visit {visit.id}" in result.output
    with unit_of_work(session):  # and a kit member whose reservation was lost
        session.execute(update(Device).where(Device.tag == kit.members[1].tag).values(reserved_for_id=None))
    assert kit.members[1].tag in _cli(app, "inventory", "verify").output
