"""Live events: "shop S has new changes", from the writing transaction to every waiting request.

One small interface, `Notifier`, with two sides:

- **publish** (sync, inside the write transaction): `ops.reserve_seq`, the one place a shop's
  seq moves, calls `publish(conn, shop_id)`; a write that adds a message to a buyer's
  conversation also names the buyer (`publish(conn, shop_id, buyer_id=...)`), so a buyer's
  relay wait wakes for its own conversation only, not for every change of the shop. What a
  transaction published is collected in `conn.info` (framed by `db.write_txn`) and sent as
  ONE notification per shop just before the commit (`flush`): "shop 5", or "shop 5, and
  buyers 12 and 34".
- **subscribe** (async, per server process): a long poll does
  `async with notifier.subscribe(shop_id) as sub:` (or `subscribe(shop_id, buyer_id=b)`)
  BEFORE it reads, then `await sub.wait(timeout)`; a wake-up means "read again once" (it
  may be spurious). A shop subscription wakes on every change of the shop; a buyer's only
  when a message of that buyer's conversations was written.

Implementations:

- `PgNotifier` (PostgreSQL): `SELECT pg_notify('storeserver_changes', '<shop>[ <buyers>]')`
  at the end of the transaction: delivered at commit and only if it commits. ONE listener connection per process (psycopg 3,
  `LISTEN`), started on the first subscription, fans out to that process's waiters; it
  reconnects with backoff when the connection drops (a database restart, a terminated
  backend) and wakes every waiter each time it is (re)listening, so a change made while it
  was away is not missed (the waiters re-read the head).
- `LocalNotifier` (SQLite, the embedded default): an in-process wake-up after the commit
  (`db.write_txn` calls `committed`), keyed by the database file, so every engine and every
  server of this process on that file wakes. Not across processes: `serve --workers N`
  refuses SQLite with N > 1.

What a process may trust without reading (`trusted_since`, for storeserver.longpoll's
remembered head): the fan-out records, per shop, when it last delivered a notification (before
waking anyone), and `mark_all` (each listener (re)connect or loss, each wake-everyone) makes
every earlier read stale; while a `PgNotifier` is not listening nothing is trusted.

Sign-outs travel the same way (`sign_out(conn, token_digest)` in the logout transaction; on
PostgreSQL a notification on `storeserver_signouts`): every process forgets that token in
its `auth.RecentChecks` (registered with `remember_tokens`), and forgets every token when its
listener (re)connects, since a sign-out may have passed while nobody listened.

Another broker (Redis pub/sub, NATS) is one more subclass: publish after the commit in
`committed`, listen like `PgNotifier._listen` and call `self.fanout.deliver(...)`.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "storeserver_changes"
SIGNOUT_CHANNEL = "storeserver_signouts"  # payload: the SHA-256 of a token signed out
LISTENER_APPLICATION_NAME = "storeserver-listener"  # as pg_stat_activity shows it
_TXN_KEY = "storeserver.notify.txn"  # conn.info: the shops published in the open write txn
_SIGNOUT_KEY = "storeserver.notify.signouts"  # conn.info: tokens signed out in the open write txn


# ---- fan-out inside one process ----------------------------------------------------------

class Waiter:
    """One waiting request: an asyncio event set from any thread."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self.woken_at = 0.0  # time.monotonic() of the last wake-up (a read after it sees the change)

    def set(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    def _wake(self) -> None:
        self.woken_at = time.monotonic()
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """True when woken (the event is then cleared for the next wait), False at the timeout."""
        try:
            await asyncio.wait_for(self._event.wait(), max(0.0, timeout))
        except TimeoutError:
            return False
        self._event.clear()
        return True


ALL_BUYERS = "*"
Buyers = frozenset[int] | str  # buyer ids, or ALL_BUYERS


class Fanout:
    """(shop id, buyer id or None) -> the waiters of this process (thread-safe; waiters may
    live on any loop). Key (shop, None) waits for any change of the shop; (shop, buyer) for
    a message of that buyer. It records when it last delivered for each shop (and when it
    last woke everyone) BEFORE waking anyone: `delivered_at`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[int, int | None], set[Waiter]] = {}
        self._delivered: dict[int, float] = {}  # shop -> time.monotonic() of its last delivery
        self._all_at = time.monotonic()          # the last wake_all / mark_all

    def add(self, key: tuple[int, int | None], waiter: Waiter) -> None:
        with self._lock:
            self._by_key.setdefault(key, set()).add(waiter)

    def remove(self, key: tuple[int, int | None], waiter: Waiter) -> None:
        with self._lock:
            waiters = self._by_key.get(key)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._by_key[key]

    def deliver(self, shop_id: int, buyers: Buyers = frozenset()) -> None:
        """Shop `shop_id` changed; messages of `buyers` among the changes."""
        with self._lock:
            self._delivered[shop_id] = time.monotonic()
            if buyers == ALL_BUYERS:
                keys = [k for k in self._by_key if k[0] == shop_id]
            else:
                keys = [(shop_id, None), *((shop_id, b) for b in buyers)]
            waiters = [w for k in keys for w in self._by_key.get(k, ())]
        for w in waiters:
            w.set()

    def mark_all(self) -> None:
        """Whatever was read before now may be stale, for every shop."""
        with self._lock:
            self._all_at = time.monotonic()
            self._delivered.clear()

    def delivered_at(self, shop_id: int) -> float:
        """time.monotonic() of the last delivery for the shop, or of the last mark_all."""
        with self._lock:
            return max(self._delivered.get(shop_id, 0.0), self._all_at)

    def wake_all(self) -> None:
        self.mark_all()
        with self._lock:
            waiters = [w for ws in self._by_key.values() for w in ws]
        for w in waiters:
            w.set()

    def count(self) -> int:
        with self._lock:
            return sum(len(ws) for ws in self._by_key.values())


# ---- the interface -------------------------------------------------------------------------

class Notifier:
    """Base: subscriptions over a `Fanout`; subclasses say how a change travels."""

    kind = "base"

    def __init__(self) -> None:
        self.fanout = Fanout()
        self._token_memories: "weakref.WeakSet[Any]" = weakref.WeakSet()

    # sign-outs: every process forgets the token at once (docs/PROTOCOL.md, "Auth")
    def remember_tokens(self, memory: Any) -> None:
        """`memory.forget(digest)` is called for each sign-out (None: forget them all)."""
        self._token_memories.add(memory)

    def forget_tokens(self, digest: str | None) -> None:
        for memory in list(self._token_memories):
            memory.forget(digest)

    def send_sign_out(self, conn: Connection, token_digest: str) -> None:
        """In the logout transaction: tell the other processes (none here)."""

    def hears_sign_outs(self) -> bool:
        """True while every other process's sign-out reaches this one at once (then a
        process may trust what it checked a moment ago)."""
        return True

    # what a process may trust without reading (storeserver.longpoll: the remembered head)
    # A head read older than this is not trusted: a listener that died without a sign (a
    # dropped NAT entry, a pooler that swallows LISTEN) or a write no notification reached
    # (SQLite: another process) then costs a poll one read, not a missed change.
    TRUST_S: float | None = 20.0

    def listening(self) -> bool:
        """True while every change of the database reaches this process's waiters."""
        return True

    def trusted_since(self, shop_id: int) -> float | None:
        """A head read of the shop that STARTED after this time (time.monotonic()) is
        still the head: since then nothing was delivered for the shop and the listener did
        not (re)connect, and whatever changes next is delivered, waking every waiter
        subscribed by then. None while the listener is away (then read)."""
        if not self.listening():
            return None
        since = self.fanout.delivered_at(shop_id)
        if self.TRUST_S is not None:
            since = max(since, time.monotonic() - self.TRUST_S)
        return since

    # publish side (sync, in the writer's thread)
    def send(self, conn: Connection, shop_id: int, buyers: Buyers) -> None:
        """Called at the end of the write transaction (before its commit), once per shop."""

    def committed(self, published: dict[int, Buyers]) -> None:
        """Called after that transaction committed, with what it published."""

    # listen side (async, in the server's event loop)
    async def ensure_listening(self) -> None:
        """Start whatever delivers other processes' changes (idempotent)."""

    @asynccontextmanager
    async def subscribe(self, shop_id: int, *, buyer_id: int | None = None) -> AsyncIterator[Waiter]:
        await self.ensure_listening()
        waiter, key = Waiter(), (shop_id, buyer_id)
        self.fanout.add(key, waiter)
        try:
            yield waiter
        finally:
            self.fanout.remove(key, waiter)

    async def aclose(self) -> None:
        """Stop listening (the server shuts down)."""


class LocalNotifier(Notifier):
    """In-process wake-up after commit (SQLite): one per database file in this process."""

    kind = "local"
    # Delivery follows each commit through db.write_txn in THIS process; a write by another
    # process on the file (a back-office command) is never delivered: the TRUST_S bound makes
    # a long poll starting after that read, and see such a write.

    def committed(self, published: dict[int, Buyers]) -> None:
        for shop_id, buyers in published.items():
            self.fanout.deliver(shop_id, buyers)


class PgNotifier(Notifier):
    """PostgreSQL LISTEN/NOTIFY with one listener connection per process."""

    kind = "postgresql"
    BACKOFF_S = (0.05, 0.2, 0.5, 1.0, 2.0)
    HEALTH_CHECK_S = 60.0  # an idle listener checks its connection this often (one SELECT 1)
    HEALTH_TIMEOUT_S = 10.0  # ... and reconnects when it does not answer within this

    def __init__(self, url: str) -> None:
        super().__init__()
        self.conninfo = _psycopg_conninfo(url)
        self._task: asyncio.Task | None = None
        self._task_loop: asyncio.AbstractEventLoop | None = None
        self._start_lock = threading.Lock()
        self._listening = threading.Event()
        self.backend_pid: int | None = None  # the listener's backend (tests terminate it)
        self.connects = 0                    # times LISTEN was (re)established

    def send(self, conn: Connection, shop_id: int, buyers: Buyers) -> None:
        conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                     {"channel": CHANNEL, "payload": encode_payload(shop_id, buyers)})

    def send_sign_out(self, conn: Connection, token_digest: str) -> None:
        conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                     {"channel": SIGNOUT_CHANNEL, "payload": token_digest})

    def hears_sign_outs(self) -> bool:
        return self._listening.is_set()

    def listening(self) -> bool:
        return self._listening.is_set()

    async def ensure_listening(self) -> None:
        loop = asyncio.get_running_loop()
        with self._start_lock:
            alive = (self._task is not None and not self._task.done() and self._task_loop is not None
                     and self._task_loop.is_running() and not self._task_loop.is_closed())
            if not alive:
                self._listening.clear()
                self._task = loop.create_task(self._listen(), name="storeserver-pg-listener")
                self._task_loop = loop

    async def wait_listening(self, timeout: float = 5.0) -> bool:
        """For tests and start-up: True once LISTEN is in place."""
        await self.ensure_listening()
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._listening.is_set():
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def _listen(self) -> None:
        import psycopg

        failures = 0
        while True:
            conn = None
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, connect_timeout=5,
                    application_name=LISTENER_APPLICATION_NAME)
                await conn.execute(f"LISTEN {CHANNEL}")
                await conn.execute(f"LISTEN {SIGNOUT_CHANNEL}")
                self.backend_pid = conn.info.backend_pid
                self.connects += 1
                # A head read before now may have missed a change made while nobody listened:
                # marked BEFORE "listening", so none of them is trusted again.
                self.fanout.mark_all()
                self._listening.set()
                failures = 0
                # Whatever was committed while nobody listened: every waiter re-reads its head,
                # every token is checked again.
                self.forget_tokens(None)
                self.fanout.wake_all()
                while True:
                    got_any = False
                    async for note in conn.notifies(timeout=self.HEALTH_CHECK_S):
                        got_any = True
                        if note.channel == SIGNOUT_CHANNEL:
                            self.forget_tokens(note.payload)
                        else:
                            self._deliver(note.payload)
                    if not got_any:  # a dead connection shows itself here (bounded: TCP may retry for minutes)
                        await asyncio.wait_for(conn.execute("SELECT 1"), self.HEALTH_TIMEOUT_S)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect after a pause
                self._listening.clear()
                self.fanout.mark_all()
                delay = self.BACKOFF_S[min(failures, len(self.BACKOFF_S) - 1)]
                failures += 1
                log.warning("live events: listener connection lost (%s); reconnecting in %.2f s",
                            type(exc).__name__, delay)
                await asyncio.sleep(delay)
            finally:
                self._listening.clear()
                if conn is not None:
                    try:
                        await conn.close()
                    except Exception:  # noqa: BLE001 - already broken
                        pass

    def _deliver(self, payload: str) -> None:
        try:
            shop_id, buyers = decode_payload(payload)
        except ValueError:
            log.warning("live events: a notification with payload %r: every waiter re-reads", payload[:32])
            self.fanout.wake_all()  # whatever it meant: nothing read before it is trusted
            return
        self.fanout.deliver(shop_id, buyers)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass


MAX_PAYLOAD = 7000  # PostgreSQL takes up to 8000 bytes; beyond this, "every buyer of the shop"


def encode_payload(shop_id: int, buyers: Buyers) -> str:
    """`5` (shop 5 changed), `5 12,34` (and messages of buyers 12 and 34), `5 *` (of any)."""
    if buyers == ALL_BUYERS:
        return f"{shop_id} *"
    if not buyers:
        return str(shop_id)
    text_ = f"{shop_id} {','.join(str(b) for b in sorted(buyers))}"
    return text_ if len(text_) <= MAX_PAYLOAD else f"{shop_id} *"


def decode_payload(payload: str) -> tuple[int, Buyers]:
    shop, _, rest = payload.partition(" ")
    if rest == ALL_BUYERS:
        return int(shop), ALL_BUYERS
    return int(shop), frozenset(int(b) for b in rest.split(",")) if rest else frozenset()


def _psycopg_conninfo(url: str) -> str:
    """A libpq connection string from a SQLAlchemy URL (postgresql+psycopg://...)."""
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


# ---- one notifier per database, found from a connection ------------------------------------

_by_engine: "weakref.WeakKeyDictionary[Engine, Notifier]" = weakref.WeakKeyDictionary()
_local_by_file: dict[str, LocalNotifier] = {}
_registry_lock = threading.Lock()


def for_engine(engine: Engine) -> Notifier:
    """The notifier of this engine's database (made on first use, by dialect)."""
    with _registry_lock:
        found = _by_engine.get(engine)
        if found is None:
            found = _by_engine[engine] = _default_for(engine)
        return found


def install(engine: Engine, notifier: Notifier) -> None:
    """Use `notifier` for writes through `engine` (e.g. another broker)."""
    with _registry_lock:
        _by_engine[engine] = notifier


def _default_for(engine: Engine) -> Notifier:
    if engine.dialect.name == "postgresql":
        return PgNotifier(engine.url.render_as_string(hide_password=False))
    database = engine.url.database or ""
    key = database if database and database != ":memory:" else f"memory:{id(engine)}"
    if not key.startswith("memory:"):
        from pathlib import Path

        key = str(Path(database).resolve())
    return _local_by_file.setdefault(key, LocalNotifier())


# ---- the transaction hooks (db.write_txn, ops.reserve_seq) -------------------------------

def begin(conn: Connection) -> None:
    conn.info[_TXN_KEY] = {}


def publish(conn: Connection, shop_id: int, *, buyer_id: int | None = None) -> None:
    """The shop changed in this transaction (and, with `buyer_id`, a message of that buyer's
    conversation was written). Inside `db.write_txn` it is collected and sent once per shop
    at the end; outside it, sent at once (PostgreSQL only: in-process wake-ups need the
    commit hook of `write_txn`)."""
    published: dict[int, set[int]] | None = conn.info.get(_TXN_KEY)
    if published is None:
        for_engine(conn.engine).send(conn, shop_id, frozenset(() if buyer_id is None else (buyer_id,)))
        return
    buyers = published.setdefault(shop_id, set())
    if buyer_id is not None:
        buyers.add(buyer_id)


def flush(conn: Connection) -> None:
    """At the end of the write transaction, before its commit: one notification per shop."""
    published: dict[int, set[int]] = conn.info.get(_TXN_KEY) or {}
    if published:
        notifier = for_engine(conn.engine)
        for shop_id, buyers in published.items():
            notifier.send(conn, shop_id, frozenset(buyers))


def finish(conn: Connection, committed: bool) -> None:
    published: dict[int, set[int]] = conn.info.pop(_TXN_KEY, None) or {}
    signed_out: list[str] = conn.info.pop(_SIGNOUT_KEY, None) or []
    if committed and published:
        for_engine(conn.engine).committed({s: frozenset(b) for s, b in published.items()})
    if committed:
        for digest in signed_out:  # this process's other apps on the database (other
            for_engine(conn.engine).forget_tokens(digest)  # processes: the listener)


def sign_out(conn: Connection, token_digest: str) -> None:
    """The session of `token_digest` ends in this write transaction (`db.write_txn`): every
    process forgets the token once it commits."""
    for_engine(conn.engine).send_sign_out(conn, token_digest)
    conn.info.setdefault(_SIGNOUT_KEY, []).append(token_digest)


def stats(notifier: Notifier) -> dict[str, Any]:
    return {"kind": notifier.kind, "waiters": notifier.fanout.count()}
