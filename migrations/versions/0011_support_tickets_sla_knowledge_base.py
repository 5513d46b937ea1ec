"""Support: tickets with their append-only event log, groups, SLA settings, canned responses, the knowledge base;
a swap visit names its faulty device.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.ledger_guard import (
    create_append_only_guard,
    create_truncate_guard,
    drop_append_only_guard,
    drop_truncate_guard,
)

LEDGERS = ("ticket_events", "kb_votes")

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('business_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_hours'))
    )
    op.create_table('canned_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_responses')),
    sa.UniqueConstraint('title', name=op.f('uq_canned_responses_title'))
    )
    op.create_table('sla_policies',
    sa.Column('priority', sa.Enum('P1', 'P2', 'P3', 'P4', name='priority', native_enum=False), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('business_hours', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('priority', name=op.f('pk_sla_policies'))
    )
    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_model_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('device_fault', 'connectivity', 'how_to', 'logistics', 'user_admin', 'missing_measurements', name='category', native_enum=False, length=30), nullable=True),
    sa.Column('title_da', sa.String(length=200), nullable=False),
    sa.Column('body_da', sa.Text(), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_model_id'], ['device_models.id'], name=op.f('fk_kb_articles_device_model_id_device_models')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_kb_articles_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles'))
    )
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_articles_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_articles_device_model_id'), ['device_model_id'], unique=False)

    op.create_table('support_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('round_robin', sa.Boolean(), nullable=False),
    sa.Column('last_assigned_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['last_assigned_id'], ['users.id'], name=op.f('fk_support_groups_last_assigned_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_support_groups_name'))
    )
    op.create_table('support_group_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['support_groups.id'], name=op.f('fk_support_group_members_group_id_support_groups')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_support_group_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_group_members')),
    sa.UniqueConstraint('group_id', 'user_id', name='uq_group_member')
    )
    with op.batch_alter_table('support_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('requester_kind', sa.Enum('citizen', 'relative', 'nurse', 'staff', name='requesterkind', native_enum=False, length=20), nullable=False),
    sa.Column('requester_name', sa.String(length=120), nullable=True),
    sa.Column('requester_phone', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.Enum('phone', 'email', 'portal', 'walk_in', name='channel', native_enum=False, length=20), nullable=False),
    sa.Column('category', sa.Enum('device_fault', 'connectivity', 'how_to', 'logistics', 'user_admin', 'missing_measurements', name='category', native_enum=False, length=30), nullable=False),
    sa.Column('priority', sa.Enum('P1', 'P2', 'P3', 'P4', name='priority', native_enum=False), nullable=False),
    sa.Column('status', sa.Enum('new', 'open', 'waiting_customer', 'waiting_third_party', 'resolved', 'closed', name='ticketstatus', native_enum=False, length=30), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('first_response_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sla_warn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tickets_assignee_id_users')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_tickets_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_tickets_device_id_devices')),
    sa.ForeignKeyConstraint(['group_id'], ['support_groups.id'], name=op.f('fk_tickets_group_id_support_groups')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['tickets.id'], name=op.f('fk_tickets_merged_into_id_tickets')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_tickets_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_active_due', ['is_active', 'sla_due_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_assignee_queue', ['assignee_id', 'is_active', 'sla_due_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_device_id'), ['device_id'], unique=False)
        batch_op.create_index('ix_tickets_group_queue', ['group_id', 'is_active', 'sla_due_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_visit_id'), ['visit_id'], unique=False)

    op.create_table('kb_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_votes_article_id_kb_articles')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_kb_votes_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kb_votes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_votes')),
    sa.UniqueConstraint('article_id', 'user_id', name='uq_kb_vote')
    )
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('created', 'reply', 'note', 'status', 'assigned', 'priority', 'device', 'merged_into', 'merged_from', 'linked', 'swap_requested', 'swap_done', 'escalated', name='eventkind', native_enum=False, length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_events_actor_id_users')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_ticket_events_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index('ix_ticket_events_citizen_at', 'ticket_events', ['citizen_id', 'at', 'id'], unique=False)
    op.create_index('ix_ticket_events_ticket', 'ticket_events', ['ticket_id', 'at', 'id'], unique=False)

    op.create_table('ticket_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['tickets.id'], name=op.f('fk_ticket_links_other_id_tickets')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_links_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_links')),
    sa.UniqueConstraint('ticket_id', 'other_id', name='uq_ticket_link')
    )
    with op.batch_alter_table('ticket_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_links_other_id'), ['other_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_links_ticket_id'), ['ticket_id'], unique=False)

    _add_swap_device()

    for table in LEDGERS:
        create_append_only_guard(op, table)
        create_truncate_guard(op, table)


def downgrade() -> None:
    for table in LEDGERS:
        drop_truncate_guard(op, table)
        drop_append_only_guard(op, table)
    _drop_swap_device()

    with op.batch_alter_table('ticket_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_links_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_links_other_id'))

    op.drop_table('ticket_links')
    op.drop_index('ix_ticket_events_ticket', 'ticket_events')
    op.drop_index('ix_ticket_events_citizen_at', 'ticket_events')

    op.drop_table('ticket_events')
    op.drop_table('kb_votes')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_visit_id'))
        batch_op.drop_index('ix_tickets_group_queue')
        batch_op.drop_index(batch_op.f('ix_tickets_device_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_citizen_id'))
        batch_op.drop_index('ix_tickets_assignee_queue')
        batch_op.drop_index('ix_tickets_active_due')

    op.drop_table('tickets')
    with op.batch_alter_table('support_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_group_members_user_id'))

    op.drop_table('support_group_members')
    op.drop_table('support_groups')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_articles_device_model_id'))
        batch_op.drop_index(batch_op.f('ix_kb_articles_category'))

    op.drop_table('kb_articles')
    op.drop_table('sla_policies')
    op.drop_table('canned_responses')
    op.drop_table('business_hours')


def _add_swap_device() -> None:
    """visits.swap_device_id. On SQLite a plain ADD COLUMN with its REFERENCES clause: a batch rebuild of `visits`
    would DROP the table, which its referencing rows (visit events, tickets) refuse with foreign keys on."""
    if op.get_bind().dialect.name == "sqlite":
        if "swap_device_id" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("visits")}:
            return  # kept by a downgrade on SQLite
        op.execute("ALTER TABLE visits ADD COLUMN swap_device_id INTEGER "
                   "CONSTRAINT fk_visits_swap_device_id_devices REFERENCES devices (id)")
    else:
        op.add_column('visits', sa.Column('swap_device_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_visits_swap_device_id_devices', 'visits', 'devices', ['swap_device_id'], ['id'])


def _drop_swap_device() -> None:
    """SQLite cannot drop a column that references another table without rebuilding `visits` (see above): there the
    unused, nullable column stays."""
    if op.get_bind().dialect.name == "sqlite":
        return
    op.drop_constraint('fk_visits_swap_device_id_devices', 'visits', type_='foreignkey')
    op.drop_column('visits', 'swap_device_id')
