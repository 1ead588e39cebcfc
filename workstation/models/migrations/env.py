"""Alembic environment for the workstation cache.

Migrations always run on a connection handed in by `workstation.models.db` (inside its
transaction, so a failed upgrade leaves the file as it was); there is no ini file and no
logging set-up here, so this works the same from source, installed, or frozen.
"""
from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise RuntimeError("run migrations through workstation.models.db.open_cache()")

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
