"""Alembic environment: runs on the engine handed over in `config.attributes["engine"]`
(see storeserver.db.upgrade), or on `sqlalchemy.url` when run from the alembic CLI."""
from __future__ import annotations

from alembic import context

from storeserver.db import make_engine
from storeserver.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
