"""Advisors serve an area: the closed chats they may read back are their area's.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advisor") as table:  # batch: SQLite alters a table by copying it
        table.add_column(sa.Column("area_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("advisor") as table:
        table.drop_column("area_id")
