"""sync_state: remember the last sync attempt and why it failed.

Revision ID: 0002_sync_state_last_error
Revises: 0001_initial
Create Date: 2026-11-23

The status bar can then say "sync failed at 14:05: server unreachable" after a restart
(and while offline), instead of only "synced 14:02". Both columns are nullable and added
with plain ALTER TABLE ADD COLUMN: no table rebuild, every existing row, cursor and outbox
entry stays as it was; a fresh NULL means "no failure recorded".
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_sync_state_last_error"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not inside batch_alter_table: ADD COLUMN of a nullable column needs no table copy.
    op.add_column("sync_state", sa.Column("last_error", sa.Text, nullable=True))
    op.add_column("sync_state", sa.Column("last_attempt_at", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("last_attempt_at")
        batch.drop_column("last_error")
