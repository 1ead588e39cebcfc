"""The long-poll machinery of /sync/wait (and the relay's wait): docs/PROTOCOL.md "Live events".

One `LongPoll` per app, over its engine and notifier (storeserver.notify):

- `await_change(...)`: subscribe, read, then wait for the notifier and re-read until the
  read says "changed" or the timeout. Subscribes BEFORE it reads (or trusts a remembered
  head), so a commit after that still wakes it.
- **Shared reads** (`flights`): waiters with the same key (shop, `after`, `changes`) share a
  read, in flight or finished, that STARTED after their wake-up (or, for the first read,
  after they subscribed) or after the notifier's last word on the shop: a buyer's message
  costs one read per process for all of a shop's woken agents (also those re-waiting a
  moment late from an older `after`), and the answer is encoded once for them.
- **The remembered head**: the newest head read per shop and when that read started. The
  notifier records when it last delivered a notification for each shop and when its
  listener last (re)connected (`Notifier.trusted_since`); a head read that started after
  both, while the listener is connected, is still the head (a change committed since has a
  notification still to come, and every waiter subscribed before it is woken by it). A new
  long poll whose `after` equals that head waits without reading; any other `after` reads.
- **Inlined changes** (`changes=n`): the shared read of a moved head also brings, for each
  moved stream without a per-caller `visible` rule, the change page the changes endpoint
  would give from the feed cursor at `after`, when it has at most n changes.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from . import cursors, notify, streams

MAX_FLIGHTS = 256  # shared reads kept (finished ones still answer while valid)


@dataclass(frozen=True)
class _Known:
    started: float  # time.monotonic() before the read's statement
    seq: int
    epoch: int


@dataclass(frozen=True)
class WaitAnswer:
    head: dict     # {"seq", "epoch", "streams"?, "changes"?}
    body: bytes    # `head` as wire JSON, encoded once for every waiter sharing it


class LongPoll:
    def __init__(self, engine: Engine, notifier: notify.Notifier, dumps: Callable[[Any], bytes]) -> None:
        self.engine, self.notifier, self.dumps = engine, notifier, dumps
        pg = engine.dialect.name == "postgresql"
        self._read_opts = {"isolation_level": "REPEATABLE READ"} if pg else {}
        # One statement needs no transaction around it (on PostgreSQL: no BEGIN/ROLLBACK).
        self._single_opts = {"isolation_level": "AUTOCOMMIT"} if pg else {}
        self._flights: dict[tuple, tuple[float, asyncio.Future]] = {}
        self._known: dict[int, _Known] = {}
        self._known_lock = threading.Lock()
        self.head_reads = 0  # head reads made (tests, stats)

    # ---- head reads ----------------------------------------------------------------------

    def _remember(self, shop_id: int, started: float, st: streams.ShopState) -> None:
        with self._known_lock:
            old = self._known.get(shop_id)
            if old is None or started > old.started:
                self._known[shop_id] = _Known(started, st.seq, st.epoch)

    def known_head(self, shop_id: int) -> dict | None:
        """The shop's head without reading, when a head read made after the notifier's last
        word on the shop says it (see the module doc); else None."""
        since = self.notifier.trusted_since(shop_id)
        if since is None:
            return None
        with self._known_lock:
            known = self._known.get(shop_id)
        if known is None or known.started <= since:
            return None
        return {"seq": known.seq, "epoch": known.epoch}

    def head(self, shop_id: int) -> dict:
        started = time.monotonic()
        with self.engine.connect().execution_options(**self._single_opts) as conn:
            st = streams.shop_state(conn, shop_id)
        self.head_reads += 1
        self._remember(shop_id, started, st)
        return {"seq": st.seq, "epoch": st.epoch}

    def wait_read(self, shop_id: int, after: int, inline: int) -> WaitAnswer:
        """The head and, once it passed `after`, the streams changed since (what moved, so
        the client pulls only those) and, with `inline` > 0, their change pages of at most
        `inline` changes. Without pages, two statements need no common view: every change
        numbered up to the head read is committed, and one that moves on past it after that
        read is named by the next long poll. Pages are read in one view with the head, as
        the changes endpoint reads them."""
        started = time.monotonic()
        opts = self._read_opts if inline else self._single_opts
        with self.engine.connect().execution_options(**opts) as conn:
            st = streams.shop_state(conn, shop_id)
            h: dict[str, Any] = {"seq": st.seq, "epoch": st.epoch}
            if st.seq > after:
                h["streams"] = streams.streams_changed_after(conn, shop_id, after, st.seq)
                if inline:
                    h["changes"] = self._pages(conn, shop_id, after, st, h["streams"], inline)
            elif st.seq == after:
                h["streams"] = []
            if inline and "changes" not in h:
                h["changes"] = {}
        self.head_reads += 1
        self._remember(shop_id, started, st)
        return WaitAnswer(h, self.dumps(h))

    @staticmethod
    def _pages(conn, shop_id: int, after: int, st: streams.ShopState, moved: list[str], limit: int) -> dict:
        """What GET /sync/{stream}/changes?cursor=<feed cursor at after>&limit=<limit> answers
        at this head, for each moved stream that fits in one page (tools' view: no caller
        scope, so streams with a `visible` rule are left out)."""
        if after < st.purged_seq:
            return {}  # the changes endpoint answers 410 there: the client finds out by pulling
        pages: dict[str, dict] = {}
        next_cursor = cursors.feed_cursor(shop_id, st.epoch, st.seq)
        for name in moved:
            if streams.STREAMS[name].visible is not None:
                continue
            page, has_more = streams.changes(conn, name, shop_id, after, st.seq, limit)
            if not has_more:
                pages[name] = {"stream": name, "changes": page, "next_cursor": next_cursor, "has_more": False,
                               "seq": st.seq}
        return pages

    # ---- waiting -------------------------------------------------------------------------

    def _valid(self, started: float, since: float, shop_id: int) -> bool:
        """A read that started at `started` answers for a waiter subscribed or woken at
        `since`: it started after that, or after the notifier's last word on the shop (then
        any change it missed has a notification still to come, which wakes the waiter)."""
        if started > since:  # strictly: a coarse clock (Windows: 15.6 ms) may give both one tick
            return True
        trusted = self.notifier.trusted_since(shop_id)
        return trusted is not None and started > trusted

    async def _shared_read(self, key: tuple, read, since: float, shop_id: int):
        """`read()` shared with the waiters of the same `key` (50 agents of a shop woken by
        one buyer message: one read per process): a read in flight, or the last one made,
        joins when `_valid` for this waiter."""
        found = self._flights.get(key)
        if found is not None and self._valid(found[0], since, shop_id):
            return await asyncio.shield(found[1])
        started = time.monotonic()
        task = asyncio.ensure_future(run_in_threadpool(read))
        self._flights[key] = (started, task)
        if len(self._flights) > MAX_FLIGHTS:  # the oldest keys go (dicts keep insertion order)
            for old in list(self._flights)[:len(self._flights) - MAX_FLIGHTS]:
                if self._flights[old][1].done():
                    del self._flights[old]
        try:
            return await asyncio.shield(task)
        except BaseException:
            if self._flights.get(key, (0.0, None))[1] is task:
                del self._flights[key]  # a failed read is not handed to anyone else
            raise

    async def await_change(self, shop_id: int, timeout: float, changed, read, *,
                           buyer_id: int | None = None, shared: tuple | None = None,
                           known: Callable[[], Any] | None = None):
        """`read()` (in the threadpool) until `changed(result)` or the timeout. Subscribes
        BEFORE the first read, so a commit between the read and the wait still wakes it;
        each wake-up re-reads once (it may be spurious: the notifier wakes everyone after a
        reconnect). Idle waiting reads nothing. With `buyer_id` it wakes only for messages of
        that buyer's conversations. Waiters passing the same `shared` key share their reads.
        `known()`, called once subscribed, may give the first result without a read."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.notifier.subscribe(shop_id, buyer_id=buyer_id) as waiter:
            subscribed = time.monotonic()
            result = known() if known is not None else None
            if result is None:
                result = (await run_in_threadpool(read) if shared is None
                          else await self._shared_read(shared, read, subscribed, shop_id))
            while not changed(result):
                left = deadline - loop.time()
                if left <= 0 or not await waiter.wait(left):
                    break
                if shared is None:
                    result = await run_in_threadpool(read)
                else:
                    result = await self._shared_read(shared, read, waiter.woken_at, shop_id)
        return result

    async def wait(self, shop_id: int, after: int, timeout: float, inline: int) -> WaitAnswer:
        """GET /sync/wait's answer (before any per-caller scoping)."""
        def known() -> WaitAnswer | None:
            h = self.known_head(shop_id)
            if h is None or h["seq"] != after:
                return None
            h["streams"] = []
            if inline:
                h["changes"] = {}
            return WaitAnswer(h, self.dumps(h))

        first_epoch: list[int] = []

        def changed(a: WaitAnswer) -> bool:
            """The head passed `after`, or the shop's history was reset (bump_epoch) while
            waiting: the client learns at once that its cursors are gone."""
            if not first_epoch:
                first_epoch.append(a.head["epoch"])
            return a.head["seq"] != after or a.head["epoch"] != first_epoch[0]

        return await self.await_change(
            shop_id, timeout, changed,
            lambda: self.wait_read(shop_id, after, inline),
            shared=("wait", shop_id, after, inline), known=known)
