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
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, DROP, rename): with foreign keys on,
            # the DROP would run the children's ON DELETE CASCADE (dropping `shops` would
            # empty every shop's orders). Set on the raw connection, outside any transaction
            # (SQLite ignores this pragma inside one).
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
