"""The local cache: SQLite (WAL) + SQLAlchemy 2 + Alembic. No Qt here.

`db.open_cache` opens it, `apply` is the only writer of synced data, `state` tells where
each stream stands, `search` answers the order lookups. See docs/CLIENT-API.md.
"""
