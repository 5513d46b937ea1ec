"""Migration 0013 on a database made before the journey was derived: courses whose status was typed by hand get the
state their ledgers and visits say (each change in the course's history), kits reserved for a setup are reserved for
its home; afterwards `flask courses verify` and `flask inventory verify` agree. On both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import sessionmaker

from dispatch.service import allocation, visits
from inventory.models import Device
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, CourseEvent, CourseEventKind, CourseStatus, EndReason
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.migrations import alembic_config, current_revision, head_revision
from tests.conftest import make_test_app
from tests.dispatch.helpers import DispatchWorld
from tests.factories import Factory

TYPED_BY_HAND = {"set_up": "referred", "booked": "active", "ended": "ended", "kit": "referred", "paused": "paused"}
DERIVED = {"set_up": CourseStatus.ACTIVE, "booked": CourseStatus.SETUP_SCHEDULED, "ended": CourseStatus.ENDING,
           "kit": CourseStatus.ALLOCATED, "paused": CourseStatus.PAUSED}


def _journeys(session) -> dict[str, int]:
    """The situations, made through today's services."""
    world = DispatchWorld(session, Factory(session))
    today = local_date(utcnow())
    set_up, _members = world.set_up_home(world.citizen_near(1))
    ended, _members = world.set_up_home(world.citizen_near(2))
    with unit_of_work(session):
        courses.end_course(session, session.get(Course, ended.course_id), reason=EndReason.COMPLETED,
                           exclusion_reason=None, actor=world.helpdesk, now=utcnow())
    ids = {"set_up": set_up.course_id, "ended": ended.course_id}
    for name, n in (("booked", 3), ("kit", 4), ("paused", 5)):
        world.kit()
        visit = world.setup_request(world.citizen_near(n))
        with unit_of_work(session):
            allocation.allocate_kit(session, session.get(type(visit), visit.id), depot_id=world.depot.id,
                                    actor=world.helpdesk, now=utcnow())
            if name == "booked":
                visits.book(session, session.get(type(visit), visit.id), day=today, window=None,
                            actor=world.helpdesk, now=utcnow(), today=today)
        ids[name] = visit.course_id
    return ids


def _as_before_the_journey(engine, ids: dict[str, int]) -> None:
    """What the old code left: statuses typed by hand, and no journey columns (SQLite keeps them on a downgrade:
    they are emptied)."""
    courses_columns = {c["name"] for c in inspect(engine).get_columns("courses")}
    device_columns = {c["name"] for c in inspect(engine).get_columns("devices")}
    with engine.begin() as conn:
        for name, status in TYPED_BY_HAND.items():
            conn.execute(text("UPDATE courses SET status = :status WHERE id = :id"), {"status": status,
                                                                                      "id": ids[name]})
        if "activated_at" in courses_columns:
            conn.execute(text("UPDATE courses SET activated_at = NULL, paused_at = NULL, pause_reason = NULL"))
        if "reserved_for_id" in device_columns:
            conn.execute(text("UPDATE devices SET reserved_for_id = NULL"))


def test_0013_derives_the_states_of_an_existing_database(database_url):
    app = make_test_app(database_url)
    session = sessionmaker(bind=app.extensions["database"].engine, expire_on_commit=True)()
    ids = _journeys(session)
    session.close()
    app.extensions["database"].engine.dispose()

    command.downgrade(alembic_config(database_url), "0012")
    engine = create_engine(database_url)
    _as_before_the_journey(engine, ids)
    engine.dispose()
    command.upgrade(alembic_config(database_url), "head")

    app = make_test_app(database_url)  # the app's fact sources and claims are registered by create_app
    session = sessionmaker(bind=app.extensions["database"].engine, expire_on_commit=True)()
    assert current_revision(app.extensions["database"].engine) == head_revision()
    got = {name: session.get(Course, course_id).status for name, course_id in ids.items()}
    assert got == DERIVED
    assert session.get(Course, ids["set_up"]).activated_at is not None
    changed = set(session.scalars(select(CourseEvent.course_id).where(
        CourseEvent.kind == CourseEventKind.STATUS, CourseEvent.reason.like("%migration 0013%"))))
    assert changed == {ids["set_up"], ids["booked"], ids["ended"], ids["kit"]}  # paused stays paused
    reserved = session.scalars(select(Device.reserved_for_id).where(Device.reserved_for_id.is_not(None))).all()
    assert len(reserved) == 9  # the kits of the three open setups with a kit, each for its home

    from inventory.service import verify_ledger
    from servicecenter.courses.journey import verify_courses

    assert verify_ledger(session) == []
    assert [p.problem for p in verify_courses(session)] == []
    session.close()
    app.extensions["database"].engine.dispose()
