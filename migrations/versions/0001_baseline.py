"""The schema of the last release before migrations: every table as it shipped then.

Revision ID: 0001
Revises: 
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On an empty database this makes every table. A database made by a release before migrations already
    # has some of them: those are kept as they are, the missing ones are made, and the columns those releases
    # added in place at run time are added here once.
    if _missing('advisor'):
        op.create_table('advisor',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('password_hash', sa.String(length=300), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('presence', sa.String(length=20), nullable=False),
        sa.Column('last_heartbeat', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name')
        )
    if _missing('area'):
        op.create_table('area',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('council', sa.String(length=200), nullable=False),
        sa.Column('advisor_team', sa.String(length=200), nullable=False),
        sa.Column('front_door_name', sa.String(length=200), nullable=True),
        sa.Column('phone', sa.String(length=64), nullable=True),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.Column('web', sa.String(length=500), nullable=True),
        sa.Column('opening_hours', sa.JSON(), nullable=False),
        sa.Column('school_holidays', sa.JSON(), nullable=False),
        sa.Column('safeguarding', sa.JSON(), nullable=False),
        sa.Column('localities', sa.JSON(), nullable=False),
        sa.Column('sources', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
    if _missing('callback_request'):
        op.create_table('callback_request',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('conversation_id', sa.String(length=200), nullable=False),
        sa.Column('handoff_id', sa.Integer(), nullable=True),
        sa.Column('area_id', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('step', sa.String(length=20), nullable=False),
        sa.Column('contact_kind', sa.String(length=10), nullable=True),
        sa.Column('contact', sa.String(length=200), nullable=True),
        sa.Column('good_time', sa.String(length=200), nullable=True),
        sa.Column('consent', sa.Boolean(), nullable=False),
        sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=40), nullable=True),
        sa.Column('outcome', sa.String(length=40), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('done_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('callback_request', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_callback_request_conversation_id'), ['conversation_id'], unique=False)
    if _missing('conversation'):
        op.create_table('conversation',
        sa.Column('id', sa.String(length=200), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.Column('mode', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
    if _missing('directory_version'):
        op.create_table('directory_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('derived_format', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
    if _missing('handoff_request'):
        op.create_table('handoff_request',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('conversation_id', sa.String(length=200), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=True),
        sa.Column('area_id', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('advisor_id', sa.Integer(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=40), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('handoff_request', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_handoff_request_conversation_id'), ['conversation_id'], unique=False)
    if _missing('need'):
        op.create_table('need',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('synonyms', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
    if _missing('organisation'):
        op.create_table('organisation',
        sa.Column('id', sa.String(length=128), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.Column('website', sa.String(length=500), nullable=True),
        sa.Column('phone', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id')
        )
    if _missing('advisor_session'):
        op.create_table('advisor_session',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('advisor_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['advisor_id'], ['advisor.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash')
        )
        with op.batch_alter_table('advisor_session', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_advisor_session_advisor_id'), ['advisor_id'], unique=False)
    if _missing('location'):
        op.create_table('location',
        sa.Column('id', sa.String(length=128), nullable=False),
        sa.Column('area_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=True),
        sa.Column('address_1', sa.String(length=300), nullable=True),
        sa.Column('city', sa.String(length=120), nullable=True),
        sa.Column('postal_code', sa.String(length=16), nullable=True),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('illustrative', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('location', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_location_area_id'), ['area_id'], unique=False)
    if _missing('message'):
        op.create_table('message',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('conversation_id', sa.String(length=200), nullable=False),
        sa.Column('author', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('buttons', sa.JSON(), nullable=False),
        sa.Column('extra', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('message', schema=None) as batch_op:
            batch_op.create_index('ix_message_conversation_created', ['conversation_id', 'created_at'], unique=False)
            batch_op.create_index('ix_message_status', ['status'], unique=False)
    if _missing('service'):
        op.create_table('service',
        sa.Column('id', sa.String(length=128), nullable=False),
        sa.Column('area_id', sa.String(length=64), nullable=False),
        sa.Column('organisation_id', sa.String(length=128), nullable=True),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('url', sa.String(length=500), nullable=True),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('minimum_age', sa.Integer(), nullable=True),
        sa.Column('maximum_age', sa.Integer(), nullable=True),
        sa.Column('audience', sa.JSON(), nullable=False),
        sa.Column('access', sa.JSON(), nullable=False),
        sa.Column('is_free', sa.Boolean(), nullable=False),
        sa.Column('area_wide', sa.Boolean(), nullable=False),
        sa.Column('localities', sa.JSON(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('service', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_service_area_id'), ['area_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_service_organisation_id'), ['organisation_id'], unique=False)
    if _missing('contact'):
        op.create_table('contact',
        sa.Column('id', sa.String(length=200), nullable=False),
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('phone', sa.String(length=64), nullable=True),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('contact', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_contact_service_id'), ['service_id'], unique=False)
    if _missing('cost_option'):
        op.create_table('cost_option',
        sa.Column('id', sa.String(length=200), nullable=False),
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('option', sa.String(length=200), nullable=True),
        sa.Column('amount', sa.Float(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('amount_description', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('cost_option', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_cost_option_service_id'), ['service_id'], unique=False)
    if _missing('schedule'):
        op.create_table('schedule',
        sa.Column('id', sa.String(length=300), nullable=False),
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('location_id', sa.String(length=128), nullable=True),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('opens_at', sa.Time(), nullable=False),
        sa.Column('closes_at', sa.Time(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('term_time_only', sa.Boolean(), nullable=False),
        sa.Column('illustrative', sa.Boolean(), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('schedule', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_schedule_location_id'), ['location_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_schedule_service_id'), ['service_id'], unique=False)
    if _missing('search_point'):
        op.create_table('search_point',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('location_id', sa.String(length=128), nullable=True),
        sa.Column('need_id', sa.String(length=64), nullable=False),
        sa.Column('need_rank', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.String(length=64), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('minimum_age', sa.Integer(), nullable=True),
        sa.Column('maximum_age', sa.Integer(), nullable=True),
        sa.Column('is_free', sa.Boolean(), nullable=False),
        sa.Column('area_wide', sa.Boolean(), nullable=False),
        sa.Column('days_mask', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('search_point', schema=None) as batch_op:
            batch_op.create_index('ix_search_point_area_wide', ['area_id', 'area_wide', 'need_id'], unique=False)
            batch_op.create_index('ix_search_point_lat', ['latitude'], unique=False)
            batch_op.create_index('ix_search_point_need_lat', ['need_id', 'latitude'], unique=False)
            batch_op.create_index(batch_op.f('ix_search_point_service_id'), ['service_id'], unique=False)
    if _missing('service_at_location'):
        op.create_table('service_at_location',
        sa.Column('id', sa.String(length=300), nullable=False),
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('location_id', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('service_at_location', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_service_at_location_location_id'), ['location_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_service_at_location_service_id'), ['service_id'], unique=False)
    if _missing('service_need'):
        op.create_table('service_need',
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('need_id', sa.String(length=64), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['need_id'], ['need.id'], ),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('service_id', 'need_id')
        )
    if _missing('service_term'):
        op.create_table('service_term',
        sa.Column('term', sa.String(length=65), nullable=False),
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('term', 'service_id')
        )
        with op.batch_alter_table('service_term', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_service_term_service_id'), ['service_id'], unique=False)
    if _missing('service_vector'):
        op.create_table('service_vector',
        sa.Column('service_id', sa.String(length=128), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('service_id')
        )
    _add_missing_columns()


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


#: Columns that releases before migrations added to existing tables when they started.
LATE_COLUMNS = {
    "area": [sa.Column("safeguarding", sa.JSON(), nullable=False, server_default="{}")],
    "handoff_request": [sa.Column("advisor_id", sa.Integer()), sa.Column("claimed_at", sa.DateTime(timezone=True)),
                        sa.Column("closed_at", sa.DateTime(timezone=True)), sa.Column("outcome", sa.String(40)),
                        sa.Column("note", sa.Text())],
}


def _add_missing_columns() -> None:
    inspector = sa.inspect(op.get_bind())
    for table, columns in LATE_COLUMNS.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        for column in columns:
            if column.name not in present:
                with op.batch_alter_table(table) as batch:
                    batch.add_column(column)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table('service_vector')
    with op.batch_alter_table('service_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_term_service_id'))

    op.drop_table('service_term')
    op.drop_table('service_need')
    with op.batch_alter_table('service_at_location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_at_location_service_id'))
        batch_op.drop_index(batch_op.f('ix_service_at_location_location_id'))

    op.drop_table('service_at_location')
    with op.batch_alter_table('search_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_point_service_id'))
        batch_op.drop_index('ix_search_point_need_lat')
        batch_op.drop_index('ix_search_point_lat')
        batch_op.drop_index('ix_search_point_area_wide')

    op.drop_table('search_point')
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_service_id'))
        batch_op.drop_index(batch_op.f('ix_schedule_location_id'))

    op.drop_table('schedule')
    with op.batch_alter_table('cost_option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_option_service_id'))

    op.drop_table('cost_option')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_service_id'))

    op.drop_table('contact')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_service_area_id'))

    op.drop_table('service')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_status')
        batch_op.drop_index('ix_message_conversation_created')

    op.drop_table('message')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_location_area_id'))

    op.drop_table('location')
    with op.batch_alter_table('advisor_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisor_session_advisor_id'))

    op.drop_table('advisor_session')
    op.drop_table('organisation')
    op.drop_table('need')
    with op.batch_alter_table('handoff_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_request_conversation_id'))

    op.drop_table('handoff_request')
    op.drop_table('directory_version')
    op.drop_table('conversation')
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_request_conversation_id'))

    op.drop_table('callback_request')
    op.drop_table('area')
    op.drop_table('advisor')
    # ### end Alembic commands ###
