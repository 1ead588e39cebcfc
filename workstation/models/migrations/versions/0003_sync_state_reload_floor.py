"""sync_state: reload a stream beside its cached rows.

Revision ID: 0003_sync_state_reload_floor
Revises: 0002_sync_state_last_error
Create Date: 2026-12-01

After `410 cursor_gone` a stream is loaded afresh while its old rows keep answering lookups
(phase "reload"). Snapshot pages walk ids downwards, so one number says how far the new
snapshot has come: `reload_floor`, the lowest id confirmed so far; cached rows between two
pages' floors that the server no longer sent are removed with the page. A nullable column
added with plain ALTER TABLE ADD COLUMN: no table copy, every row, cursor and outbox entry
stays as it was.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sync_state_reload_floor"
down_revision = "0002_sync_state_last_error"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync_state", sa.Column("reload_floor", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("reload_floor")
