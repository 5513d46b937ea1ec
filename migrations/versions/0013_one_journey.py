"""One journey: the course's state is derived from events (activation, pause, end, devices in the home); a device
remembers the home it is reserved for; a swap visit reserves its replacement; the citizen's answer to a visit link.
Existing courses get the state their ledgers and visits say, and reserved kits the home of their setup visit.

Revision ID: 0013
Revises: 0012
"""

# ruff: noqa: S608 - the SQL below is built from constants of this file, never from input
import datetime as dt

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPEN_VISIT = "('requested', 'requeued', 'scheduled', 'in_progress')"


def _course_columns() -> list[sa.Column]:
    """New columns each time: a Column belongs to one table, and a test goes down and up in one process."""
    return [
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.Enum("hospitalised", "away", "citizen_request", "other", name="pausereason",
                                          native_enum=False, length=20), nullable=True),
        sa.Column("pause_note", sa.String(length=500), nullable=True),
        sa.Column("call_again_on", sa.Date(), nullable=True),
    ]


def _visit_columns() -> list[sa.Column]:
    return [
        sa.Column("citizen_request", sa.Enum("moved", "no_time_fits", name="citizenrequest", native_enum=False,
                                             length=20), nullable=True),
        sa.Column("citizen_request_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    for table, columns in (("courses", _course_columns()), ("visits", _visit_columns())):
        present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
        for column in columns:
            if column.name not in present:  # kept by a downgrade on SQLite
                op.add_column(table, column)
    _add_reference("devices", "reserved_for_id", "holders")
    op.create_index("ix_devices_reserved_for_id", "devices", ["reserved_for_id"])
    _add_reference("visits", "replacement_device_id", "devices")
    now = dt.datetime.now(dt.UTC)
    _reserve_kits_for_their_homes()
    _derive_course_states(now)


def downgrade() -> None:
    op.drop_index("ix_devices_reserved_for_id", "devices")
    _drop_reference("visits", "replacement_device_id", "devices")
    _drop_reference("devices", "reserved_for_id", "holders")
    bind = op.get_bind()
    # The derived states the old code does not know: ending was "ended" there.
    bind.execute(sa.text("UPDATE courses SET status = 'ended' WHERE status = 'ending'"))
    if bind.dialect.name == "sqlite":
        return  # dropping a column rebuilds the table, which the rows referencing it refuse: the nullable ones stay
    for column in _visit_columns():
        op.drop_column("visits", column.name)
    for column in _course_columns():
        op.drop_column("courses", column.name)


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable foreign key column. On SQLite a plain ADD COLUMN with its REFERENCES clause: a batch rebuild would
    DROP the table, which the rows referencing it refuse with foreign keys on (see 0011)."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        if column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}:
            return  # kept by a downgrade on SQLite
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])


def _drop_reference(table: str, column: str, target: str) -> None:
    """SQLite keeps the unused nullable column (dropping it would rebuild the table, see above)."""
    if op.get_bind().dialect.name == "sqlite":
        return
    op.drop_constraint(f"fk_{table}_{column}_{target}", table, type_="foreignkey")
    op.drop_column(table, column)


def _reserve_kits_for_their_homes() -> None:
    """A kit reserved for an open setup visit is reserved for that course's home (made here when missing)."""
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO holders (kind, name, course_id, citizen_id, is_active) "
        "SELECT 'course', 'Borgerhjem ' || c.id || ' (' || p.code || ')', c.id, c.citizen_id, :yes "
        "FROM courses c JOIN programmes p ON p.id = c.programme_id "
        f"WHERE c.id IN (SELECT course_id FROM visits WHERE kind = 'setup' AND status IN {OPEN_VISIT} "
        "AND kit_id IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM holders h WHERE h.course_id = c.id)"), {"yes": True})
    bind.execute(sa.text(
        "UPDATE devices SET reserved_for_id = (SELECT h.id FROM visits v JOIN holders h ON h.course_id = v.course_id "
        f"WHERE v.kind = 'setup' AND v.status IN {OPEN_VISIT} AND v.kit_id = devices.kit_id "
        "ORDER BY v.id LIMIT 1) "
        "WHERE status IN ('reserved', 'in_van') AND kit_id IN (SELECT kit_id FROM visits WHERE kind = 'setup' "
        f"AND status IN {OPEN_VISIT} AND kit_id IS NOT NULL)"))


def _derive_course_states(now: dt.datetime) -> None:
    """Each course's state from its ledger and visits, as servicecenter.courses.journey.derive computes it. A course
    whose home has held devices was set up (activated when the first one arrived, or its setup visit was done); a
    course paused by hand stays paused (its reason: other); an ended one is "ending" while devices are still home."""
    bind = op.get_bind()
    home_custody = ("FROM custody cu JOIN holders h ON h.id = cu.holder_id WHERE h.course_id = courses.id")
    bind.execute(sa.text(
        "UPDATE courses SET activated_at = COALESCE("
        "(SELECT MIN(finished_at) FROM visits v WHERE v.course_id = courses.id AND v.kind = 'setup' "
        "AND v.status = 'done'), "
        f"(SELECT MIN(cu.started_at) {home_custody}))"))
    bind.execute(sa.text("UPDATE courses SET paused_at = :now, pause_reason = 'other' WHERE status = 'paused' "
                         "AND end_reason IS NULL").bindparams(sa.bindparam("now", type_=UTCDateTime())),
                 {"now": now})
    in_home = f"EXISTS (SELECT 1 {home_custody} AND cu.ended_at IS NULL)"
    setup = "EXISTS (SELECT 1 FROM visits v WHERE v.course_id = courses.id AND v.kind = 'setup' AND "
    derived = (
        "CASE WHEN end_reason IS NOT NULL THEN (CASE WHEN " + in_home + " THEN 'ending' ELSE 'ended' END) "
        "WHEN paused_at IS NOT NULL THEN 'paused' "
        "WHEN activated_at IS NOT NULL THEN 'active' "
        "WHEN " + setup + "v.status IN ('scheduled', 'in_progress')) THEN 'setup_scheduled' "
        "WHEN " + setup + f"v.status IN {OPEN_VISIT} AND v.kit_id IS NOT NULL) THEN 'allocated' "
        "ELSE 'referred' END")
    changed = bind.execute(sa.text(f"SELECT id, citizen_id, status, {derived} FROM courses")).all()
    events = [{"course_id": course_id, "citizen_id": citizen_id, "from_status": old, "to_status": new, "at": now}
              for course_id, citizen_id, old, new in changed if old != new]
    for event in events:
        bind.execute(sa.text("UPDATE courses SET status = :to_status WHERE id = :course_id"), event)
    if events:
        bind.execute(sa.text(
            "INSERT INTO course_events (course_id, citizen_id, kind, at, from_status, to_status, reason) "
            "VALUES (:course_id, :citizen_id, 'status', :at, :from_status, :to_status, "
            "'derived from the ledger and the visits (migration 0013)')").bindparams(
            sa.bindparam("at", type_=UTCDateTime())), events)
