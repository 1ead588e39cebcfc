"""The search index also holds every 4 adjacent digits of a field (issue 11).

Revision ID: 0012_search_digit_quads
Revises: 0011_orders_count_by_apply
Create Date: 2026-12-02

A fragment of an order or tracking number read out on the phone (`7906711`) was looked up
as the AND of its digit trigrams, and each of the 1,000 digit trigrams is in ~3% of all
orders: intersecting three lists of ~28k orders was most of such a search (fragment p95
5.0 ms at 1M orders). `models.fts` now also stores every 4 adjacent digits (10,000 kinds,
lists ~10x shorter) and looks a run of 4+ digits up by those. The index is contentless, so
it is rebuilt from `orders` (in id ranges, reporting `progress(done, total)` through the
Alembic config attribute "progress", as 0005 does); the upgrade is one transaction, so an
interrupted rebuild leaves the file at 0011 with its old index. Rows, cursors and the outbox
are untouched; a downgrade rebuilds the 0011 tokens.
"""
from __future__ import annotations

import logging

from alembic import op

revision = "0012_search_digit_quads"
down_revision = "0011_orders_count_by_apply"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def _rebuild(tokens_fn: str | None) -> None:
    from workstation.models import fts  # noqa: PLC0415 (the index's tokens are the app's)

    report = op.get_context().config.attributes.get("progress")

    def progress(done: int, total: int) -> None:
        log.info("rebuilding the search index: %d of %d orders", done, total)
        if report is not None:
            report(done, total)

    cur = op.get_bind().connection.driver_connection.cursor()
    try:
        if tokens_fn is None:
            fts.rebuild_index(cur, progress)
        else:
            fts.rebuild_index(cur, progress, tokens_fn=tokens_fn)
    finally:
        cur.close()


def upgrade() -> None:
    _rebuild(None)


def downgrade() -> None:
    from workstation.models import fts  # noqa: PLC0415

    _rebuild(fts.TOKENS_FN_0011)
