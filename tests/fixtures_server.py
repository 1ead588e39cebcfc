"""Fixtures for a real store backend (a pytest plugin registered by tests/conftest.py).

- `pg_url` (session): a fresh PostgreSQL database for this test session, dropped at the end.
  PostgreSQL must be reachable at 127.0.0.1:5432 (user postgres, trust auth): the backend's
  tests FAIL with a clear message without it; they never skip.
- `server_engine`: a fresh, migrated, empty store database per test, on SQLite and on
  PostgreSQL (parametrized). Cheap: a migrated template is copied per test (a file copy on
  SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL).
- `store_factory`: `make(kind="sqlite", orders=300, seed=1, token_ttl=None) -> StoreHandle`,
  the demo shop seeded and served over real HTTP on loopback; `store` = `store_factory()`.
  Each (kind, orders, seed) is seeded once per session into a template and copied per test.
- Passwords are hashed with argon2's cheapest parameters during tests (autouse).
"""
from __future__ import annotations

import itertools
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_counter = itertools.count(1)


def _pg_admin():
    import psycopg

    url = make_url(PG_ADMIN_URL)
    try:
        return psycopg.connect(host=url.host, port=url.port, user=url.username,
                               dbname=url.database, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the store backend tests and is not reachable at "
                    f"{url.host}:{url.port} (database {url.database!r}, user {url.username!r}): {exc}. "
                    f"Start it (scripts/bootstrap does) and run again.", pytrace=False)


def _drop_pg(name: str) -> None:
    with _pg_admin() as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _pg_db_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database that lives for the whole test session."""
    name = f"ws_test_{secrets.token_hex(4)}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_db_url(name)
    finally:
        _drop_pg(name)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """argon2's cheapest parameters in tests: every sign-in would otherwise cost ~150 ms.
    (Production keeps the default profile; a test checks that.)"""
    from argon2 import PasswordHasher, profiles

    from storeserver import auth

    previous = auth.set_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    auth.set_hasher(previous)


class _Templates:
    """Migrated template databases (and seeded demo shops), made once per session on first use."""

    def __init__(self, tmp_factory, pg_url_getter: Callable[[], str]):
        self._tmp_factory = tmp_factory
        self._pg_url_getter = pg_url_getter
        self.sqlite: Path | None = None
        self.pg: str | None = None
        self.seeded: dict[tuple, tuple[str, int]] = {}  # (kind, orders, seed) -> (template, shop id)

    def sqlite_template(self) -> Path:
        if self.sqlite is None:
            from storeserver.db import make_engine, upgrade

            path = self._tmp_factory.mktemp("store-template") / "template.sqlite3"
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)
            engine.dispose()  # the last close checkpoints the WAL into the main file
            self.sqlite = path
        return self.sqlite

    def pg_template(self) -> str:
        if self.pg is None:
            from storeserver.db import make_engine, upgrade

            name = make_url(self._pg_url_getter()).database + "_tpl"
            with _pg_admin() as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            engine = make_engine(_pg_db_url(name))
            upgrade(engine)
            engine.dispose()  # CREATE DATABASE ... TEMPLATE needs it unused
            self.pg = name
        return self.pg

    def seeded_template(self, kind: str, orders: int, seed: int) -> tuple[str, int]:
        """A database holding the seeded demo shop, to copy per test (seeding is the slow part)."""
        key = (kind, orders, seed)
        if key not in self.seeded:
            from storeserver.seed import seed_demo

            with ExitStack() as stack:
                if kind == "sqlite":
                    path = self._tmp_factory.mktemp("store-seeded") / f"seeded-{orders}-{seed}.sqlite3"
                    shutil.copyfile(self.sqlite_template(), path)
                    engine = _make_engine(f"sqlite:///{path}")
                    name = str(path)
                else:
                    name = f"{self.pg_template()[:-4]}_s{orders}_{seed}"
                    with _pg_admin() as admin:
                        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_template()}"')
                    engine = _make_engine(_pg_db_url(name))
                stack.callback(engine.dispose)  # checkpoint / free the template before copies
                self.seeded[key] = (name, seed_demo(engine, orders, seed=seed))
        return self.seeded[key]

    def drop(self) -> None:
        for (kind, _, _), (name, _) in self.seeded.items():
            if kind == "postgresql":
                _drop_pg(name)
        if self.pg:
            _drop_pg(self.pg)


def _make_engine(url: str) -> Engine:
    from storeserver.db import make_engine

    return make_engine(url)


@pytest.fixture(scope="session")
def _store_templates(tmp_path_factory, request) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory, lambda: request.getfixturevalue("pg_url"))
    yield templates
    templates.drop()


def _fresh_engine(kind: str, templates: _Templates, tmp_path: Path, stack: ExitStack,
                  template: str | None = None) -> Engine:
    """A new migrated store database of `kind` (a copy of `template`, else empty);
    cleaned up by `stack`."""
    if kind == "sqlite":
        path = tmp_path / f"store-{next(_counter)}.sqlite3"
        shutil.copyfile(template or templates.sqlite_template(), path)
        engine = _make_engine(f"sqlite:///{path}")
        stack.callback(engine.dispose)
        return engine
    if kind == "postgresql":
        source = template or templates.pg_template()
        name = f"{templates.pg_template()[:-4]}_{next(_counter)}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        stack.callback(_drop_pg, name)
        engine = _make_engine(_pg_db_url(name))
        stack.callback(engine.dispose)
        return engine
    raise ValueError(f"unknown database kind {kind!r} (sqlite or postgresql)")


@pytest.fixture(params=["sqlite", "postgresql"])
def server_engine(request, _store_templates, tmp_path) -> Iterator[Engine]:
    """A fresh migrated empty store database (runs each test on SQLite and on PostgreSQL)."""
    with ExitStack() as stack:
        yield _fresh_engine(request.param, _store_templates, tmp_path, stack)


@dataclass
class StoreHandle:
    url: str
    engine: Engine
    shop_id: int
    app: object
    kind: str = "sqlite"
    login: str = "demo"
    password: str = "demo"
    orders: int = 0
    extra: dict = field(default_factory=dict)


@pytest.fixture
def store_factory(_store_templates, tmp_path) -> Iterator[Callable[..., StoreHandle]]:
    """`make(kind="sqlite", orders=300, seed=1, token_ttl=None, cache_files=None)`: a seeded
    demo shop (offering the cache files of that directory) served
    over real HTTP on 127.0.0.1; everything is stopped and removed when the test ends."""
    from storeserver.api import create_app
    from storeserver.testing import serve_in_thread

    with ExitStack() as stack:
        def make(kind: str = "sqlite", orders: int = 300, seed: int = 1,
                 token_ttl: timedelta | None = None, cache_files: Path | None = None) -> StoreHandle:
            # Seeded once per (kind, orders, seed) in the session, then copied: each test
            # still gets its own database, which it may change at will.
            template, shop_id = _store_templates.seeded_template(kind, orders, seed)
            engine = _fresh_engine(kind, _store_templates, tmp_path, stack, template)
            app = create_app(engine, cache_files=cache_files, **({"token_ttl": token_ttl} if token_ttl else {}))
            url = stack.enter_context(serve_in_thread(app))
            return StoreHandle(url=url, engine=engine, shop_id=shop_id, app=app, kind=kind, orders=orders)

        yield make


@pytest.fixture
def store(store_factory) -> StoreHandle:
    """The demo shop (300 orders) on SQLite, served on loopback; sign in as demo / demo."""
    return store_factory()
