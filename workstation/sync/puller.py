"""Brings the local cache to the server's head: snapshot pages, then the change feed.

Each page is validated (by the client, `workstation.sync.wire`) and then applied together
with its cursor in ONE cache transaction (`workstation.models.apply`) on the cache's one
writer (`models.writer.CacheWriter`), so a crash, a kill or a dropped connection at any point
resumes from the last applied page: nothing is missed or applied twice.

Streams are pulled in priority order (`models.streams`). A stream asked for urgently
(`request`, e.g. chat after a live event) is caught up between two pages of a long catch-up
of a lower-priority stream, so small urgent streams never wait behind a big first load.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Literal

from workstation.models import cachefile as file_model
from workstation.models.apply import apply_changes, apply_snapshot_page, begin_reload, fold_search_index_step
from workstation.models.db import read_with
from workstation.models.state import StreamState, get_stream_state
from workstation.models.streams import STREAMS
from workstation.models.writer import CacheWriter

from . import cachefile
from .client import StoreClient
from .errors import CursorGone, PayloadError, RequestRejected, ServerFailure, ServerUnreachable
from .wire import STREAM_ORDER, ChangesPage

# Share of the first load each stream stands for (declared with the stream). Totals are only
# known once a stream's first snapshot page arrives, so fixed shares keep the overall fraction
# monotonic; within a stream the server's `total` drives it.
STREAM_WEIGHTS: dict[str, float] = {name: s.weight for name, s in STREAMS.items()}
MAX_FEED_PAGES_PER_RUN = 10_000  # a safety bound; a real backlog needs far fewer pages
MAX_FOLD_STEPS = 10_000  # a safety bound on folding the search index (1M orders: ~90 steps)
URGENT_EVERY_S = 0.5  # while a cache file downloads: how often urgent streams are caught up

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncProgress:
    stream: str
    phase: Literal["snapshot", "feed"]
    applied: int          # entities of this stream applied so far (snapshot phase: cumulative)
    total: int | None     # entities in this stream's snapshot, when known
    fraction: float | None  # overall first-load progress 0..1; None once every stream is live


@dataclass
class StreamSummary:
    snapshot_pages: int = 0
    feed_pages: int = 0
    items: int = 0          # rows applied (entities upserted or deleted)
    resets: int = 0         # times the stream was reloaded after 410 cursor_gone
    from_file: bool = False  # its first load came from the shop's cache file


@dataclass
class SyncSummary:
    streams: dict[str, StreamSummary] = field(default_factory=dict)
    cancelled: bool = False

    @property
    def pages(self) -> int:
        return sum(s.snapshot_pages + s.feed_pages for s in self.streams.values())

    @property
    def items(self) -> int:
        return sum(s.items for s in self.streams.values())


SNAPSHOT_BATCH = 5000  # orders applied in one transaction at most (the protocol's largest page)


class _Prefetch:
    """Fetches snapshot pages ahead on a thread, in order, into a bounded queue; a failure is
    handed over in its place (and ends the fetching)."""

    def __init__(self, fetch: Callable[[str | None], object], cursor: str | None, depth: int) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fetch, cursor), name="sync-prefetch",
                                        daemon=True)
        self._thread.start()

    def _run(self, fetch: Callable[[str | None], object], cursor: str | None) -> None:
        while not self._stop.is_set():
            try:
                item = fetch(cursor)
            except BaseException as exc:  # noqa: BLE001 - handed to the puller's thread
                item = exc
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if isinstance(item, BaseException) or item.done:  # type: ignore[attr-defined]
                return
            cursor = item.next_cursor  # type: ignore[attr-defined]

    def get(self, block: bool = True):
        item = self._queue.get(block=block)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop fetching; waits for a request in flight to end (bounded by its timeout)."""
        self._stop.set()
        self._thread.join()


class SyncCancelled(Exception):
    """Internal: the cancel event was set between two pages."""


class Puller:
    def __init__(self, client: StoreClient, writer: CacheWriter, *,
                 streams: tuple[str, ...] = STREAM_ORDER, page_size: int = 1000,
                 on_progress: Callable[[SyncProgress], None] | None = None,
                 cancel: threading.Event | None = None) -> None:
        unknown = set(streams) - set(STREAM_ORDER)
        if unknown:
            raise ValueError(f"unknown streams: {sorted(unknown)}")
        if not 1 <= page_size <= 5000:
            raise ValueError("page_size must be within 1..5000 (PROTOCOL.md)")
        self.client = client
        self.writer = writer
        self.engine = writer.engine  # reads (sync state) use their own connections
        self.streams = tuple(sorted(streams, key=lambda s: STREAMS[s].priority))
        self.page_size = page_size
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self.pages_applied = 0  # every page applied, ever: the sync loop reads it as "progress"
        self._live: set[str] = set()
        # Per stream, the shop sequence its cursor stands at, as the last change page applied
        # in this process said (`ChangesPage.seq`; absent from an older server).
        self._at: dict[str, int] = {}
        self._urgent: set[str] = set()
        self._urgent_lock = threading.Lock()
        # The shop's cache file is asked for once per puller, by the first load of the
        # streams it holds (again after offline or cancel); `use_cache_file` False: never.
        self._file_asked = False
        self._shown = 0.0  # the first-load fraction last reported
        self.use_cache_file = set(file_model.FILE_STREAMS) <= set(self.streams)
        self._summary = SyncSummary()
        # Called between two pages of a catch-up (the sync loop pushes the agent's new writes
        # there, so a remark never waits behind a long first load).
        self.between_pages: Callable[[], None] | None = None

    def request(self, streams: set[str] | frozenset[str]) -> None:
        """From any thread: catch these streams up as soon as possible, also in the middle of
        a long catch-up of streams of lower priority."""
        with self._urgent_lock:
            self._urgent |= set(streams) & set(self.streams)

    def run_once(self, only: Iterable[str] | None = None,
                 inline: Mapping[str, ChangesPage] | None = None) -> SyncSummary:
        """Every stream to the server's head (with `only`: those streams, plus any stream
        not past its first load: the server said nothing else changed). `inline`: change
        pages a long poll's answer carried (`Head.changes`), applied instead of fetching for
        the streams past their first load (a stream still loading pulls as usual). Raises
        SyncError subclasses (nothing is half applied when it does); returns a summary with
        `cancelled` set if asked to stop."""
        summary = self._summary = SyncSummary({s: StreamSummary() for s in self.streams})
        # Streams past their first load; read once per run, kept current as pages apply.
        self._live = {s for s in self.streams
                      if get_stream_state(self.engine, s).phase == "feed"}
        wanted = set(self.streams) if only is None else (set(only) | (set(self.streams) - self._live))
        with self._urgent_lock:
            self._urgent.clear()  # this run pulls what is wanted anyway
        try:
            for stream in self.streams:
                if stream not in wanted:
                    continue
                page = inline.get(stream) if inline else None
                if page is not None and stream in self._live:
                    self._apply_inline(stream, page, summary.streams[stream])
                else:
                    self._sync_stream(stream, summary.streams[stream])
        except SyncCancelled:
            summary.cancelled = True
        return summary

    # ---- one stream --------------------------------------------------------------------

    def _sync_stream(self, stream: str, summary: StreamSummary) -> None:
        if self.use_cache_file and not self._file_asked and stream in file_model.FILE_STREAMS:
            self._from_cache_file(stream)
        state = get_stream_state(self.engine, stream)
        try:
            self._catch_up(stream, state, summary)
        except CursorGone as gone:
            if gone.stream not in (stream, "?"):
                raise  # another stream's cursor (caught up urgently in between): not ours
            # The server cannot continue from our cursor (another epoch, expired tombstones):
            # load the stream afresh BESIDE its cached rows, which keep answering lookups until
            # the new snapshot has replaced them (the outbox stays). A second 410 in the same
            # run is not retried: that would be a loop, let it surface.
            self.writer.run(begin_reload, stream)
            self._live.discard(stream)
            self._at.pop(stream, None)
            summary.resets += 1
            self._catch_up(stream, get_stream_state(self.engine, stream), summary)

    def _catch_up(self, stream: str, state: StreamState, summary: StreamSummary) -> None:
        if state.loading:
            self._snapshot(stream, state, summary)
            state = get_stream_state(self.engine, stream)
        self._feed(stream, state, summary)

    def _snapshot(self, stream: str, state: StreamState, summary: StreamSummary) -> None:
        # Pipelined: pages are fetched and validated ahead on a helper thread (up to
        # SNAPSHOT_BATCH orders) while the writer applies (SQLite releases the GIL while it
        # writes), so a first load costs about max(fetch, apply) instead of their sum. The
        # first page is applied alone, at once (newest first: recent orders are searchable
        # within a page), and so is a page when a stream was asked for urgently; otherwise every page already fetched is applied together in ONE
        # transaction with the last one's cursor (fewer commits, longer runs of ascending ids:
        # fuller B-tree pages). Pages are still applied strictly in order, and a batch is
        # all-or-nothing with its cursor, so resumption is exactly as without prefetching.
        cursor = state.cursor  # None: start; otherwise resume after a crash or drop
        applied, total = state.applied, state.total
        self._check_cancel()
        ahead = _Prefetch(lambda c: self.client.snapshot(stream, c, self.page_size), cursor,
                          depth=max(2, SNAPSHOT_BATCH // self.page_size))
        first = True
        try:
            while True:
                pages, failure = [ahead.get()], None
                n = len(pages[0].items)
                # An urgent stream waiting (chat, stock) is caught up after this ONE page.
                while not first and not self._urgent and not pages[-1].done and n < SNAPSHOT_BATCH:
                    try:
                        page = ahead.get(block=False)
                    except queue.Empty:
                        break
                    except Exception as exc:  # noqa: BLE001 - raised after the pages before it
                        failure = exc
                        break
                    pages.append(page)
                    n += len(page.items)
                first = False
                last = pages[-1]
                page_total = next((p.total for p in reversed(pages) if p.total is not None), None)
                if page_total is not None:
                    total = page_total
                items = pages[0].items if len(pages) == 1 else [it for p in pages for it in p.items]
                changes = self.writer.run(apply_snapshot_page, stream, items,
                                          next_cursor=last.next_cursor, done=last.done,
                                          feed_cursor=last.feed_cursor, total=page_total)
                self.pages_applied += len(pages)
                applied += n
                summary.snapshot_pages += len(pages)
                summary.items += changes.rows
                self._report(stream, "snapshot", applied, total, done=last.done)
                if failure is not None:
                    raise failure
                if last.done:
                    if STREAMS[stream].searchable:
                        self._fold_search_index()
                    return
                self._check_cancel()
                self._serve_urgent(stream)
        finally:
            # Leaving early (cancel, error): pages fetched ahead are discarded; their cursors
            # were never committed, so nothing is lost.
            ahead.close()

    def _from_cache_file(self, current: str) -> None:
        """A new cache's first load of the file's streams: from the shop's cache file when
        the server offers one (PROTOCOL.md, "Cache files"), installed in one transaction.
        Whatever goes wrong with the file leaves the cache as it was: the streams then load
        page by page. Offline and cancel are raised as from any page (and the next run asks
        for the file again)."""
        streams = file_model.FILE_STREAMS
        cache_path = Path(self.engine.url.database)
        dest = cache_path.with_name(cache_path.name + ".download")
        self._file_asked = True
        try:
            if read_with(self.engine, lambda cur: file_model.not_installable(cur, streams)) is not None:
                return  # a load under way (or done), or rows already there: pages, as before
            self._install_cache_file(current, streams, dest)
        except (ServerUnreachable, SyncCancelled):
            self._file_asked = False
            self._check_cancel()  # cancelled: say so; otherwise offline, as for a page
            raise
        except (PayloadError, RequestRejected, ServerFailure, cachefile.NoRoom, file_model.CacheFileError) as exc:
            log.warning("the shop's cache file was not used (%s); loading page by page", exc)
        finally:
            dest.unlink(missing_ok=True)  # also one a crash left behind

    def _install_cache_file(self, current: str, streams: tuple[str, ...], dest: Path) -> None:
        last_urgent = [time.monotonic()]

        def stopped() -> bool:
            if self.cancel.is_set():
                return True
            if time.monotonic() - last_urgent[0] >= URGENT_EVERY_S:
                last_urgent[0] = time.monotonic()
                self._serve_urgent(current)  # the chat keeps up while the file comes
            return False

        started = time.monotonic()
        for attempt in range(2):
            info = cachefile.describe(self.client, streams)
            if info is None:
                return
            rows = sum(info.streams.values())
            try:
                cachefile.download(self.client, info, dest, stopped=stopped,
                                   progress=lambda done, total: self._report_file(streams, 0.9 * done / total, rows))
                break
            except RequestRejected as exc:
                if exc.status != 404 or attempt:
                    raise
                # A newer file replaced it since it was described: ask again, once.
        self._check_cancel()
        self.writer.run(file_model.install, dest, streams, feed_cursor=info.feed_cursor, rows=info.streams)
        self.pages_applied += 1
        for stream in streams:
            s = self._summary.streams.setdefault(stream, StreamSummary())
            s.items += info.streams[stream]
            s.from_file = True
        self._report_file(streams, 1.0, rows)  # the copy into the cache was the last tenth
        log.info("first load of %s from the shop's cache file: %s rows, %.1f MB, in %.1f s",
                 ", ".join(streams), rows, info.bytes / 1e6, time.monotonic() - started)

    def _report_file(self, streams: tuple[str, ...], within: float, rows: int) -> None:
        """Progress of a cache file: `within` (0..1) of all its streams together."""
        if within >= 1.0:
            self._live.update(streams)
        if self.on_progress is not None:
            self._emit(SyncProgress(streams[-1], "snapshot", int(rows * within), rows,
                                    self._overall_fraction(streams, within)))

    def _fold_search_index(self) -> None:
        """After a stream's (re)load: fold the search index's many small segments into one
        (~2 s at 1M orders, in steps of ~25 ms with other writes between them). Cancelling
        stops between steps; a fold left half done only costs searches a little speed."""
        for _ in range(MAX_FOLD_STEPS):
            self._check_cancel()
            if not self.writer.run(fold_search_index_step):
                return

    def _feed(self, stream: str, state: StreamState, summary: StreamSummary) -> None:
        cursor = state.cursor or state.feed_cursor
        if cursor is None:
            raise RuntimeError(f"stream {stream!r} is in the feed phase without a cursor")
        for _ in range(MAX_FEED_PAGES_PER_RUN):
            self._check_cancel()
            page = self.client.changes(stream, cursor, self.page_size)
            self._apply_feed_page(stream, page, summary)
            if not page.has_more:
                return
            cursor = page.next_cursor
            self._serve_urgent(stream)

    def _apply_inline(self, stream: str, page: ChangesPage, summary: StreamSummary) -> None:
        """A change page that came with the long poll's answer, applied as `_feed` applies
        one (with its cursor, in one transaction); should it say more is to come, the
        stream is pulled on from there."""
        self._check_cancel()
        at = self._at.get(stream)
        if page.seq is not None and at is not None and at > page.seq:
            # The answer was read before the cursor's last page (another server process):
            # applying it would move the cursor back and could bring back a row deleted
            # since. Pull from the cursor instead (at most a request; usually nothing new).
            self._sync_stream(stream, summary)
            return
        self._apply_feed_page(stream, page, summary)
        if page.has_more:
            self._sync_stream(stream, summary)

    def _apply_feed_page(self, stream: str, page: ChangesPage, summary: StreamSummary) -> None:
        """One change page with its cursor, in one transaction on the writer. Applied even
        when empty: the cache records "caught up at" with the last page."""
        changes = self.writer.run(apply_changes, stream, page.changes,
                                  next_cursor=page.next_cursor, has_more=page.has_more)
        if page.seq is not None:
            self._at[stream] = page.seq
        else:
            self._at.pop(stream, None)
        self.pages_applied += 1
        summary.feed_pages += 1
        summary.items += changes.rows
        if page.changes:
            self._report(stream, "feed", changes.rows, None, done=True)

    def _serve_urgent(self, current: str) -> None:
        """Between two pages of `current`: the `between_pages` hook, then catch up the
        streams asked for urgently that come before it in priority and are already live (a
        stream still in its first load is caught up in its turn)."""
        if self.between_pages is not None:
            self.between_pages()
        with self._urgent_lock:
            if not self._urgent:
                return
            rank = STREAMS[current].priority
            due = sorted((s for s in self._urgent
                          if STREAMS[s].priority < rank and s in self._live),
                         key=lambda s: STREAMS[s].priority)
            self._urgent -= set(due)
        for stream in due:
            summary = self._summary.streams.setdefault(stream, StreamSummary())
            self._sync_stream(stream, summary)  # also reloads that stream on its own 410

    # ---- helpers -----------------------------------------------------------------------

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise SyncCancelled()

    def _report(self, stream: str, phase: Literal["snapshot", "feed"], applied: int,
                total: int | None, *, done: bool) -> None:
        if done:
            self._live.add(stream)
        if self.on_progress is None:
            return
        if phase == "feed" and self._live.issuperset(self.streams):
            fraction = None  # first load finished: nothing to show a bar for
        elif done:
            fraction = self._overall_fraction((stream,), 1.0)
        else:
            fraction = self._overall_fraction((stream,), min(1.0, applied / total) if total else 0.0)
        self._emit(SyncProgress(stream, phase, applied, total, fraction))

    def _emit(self, progress: SyncProgress) -> None:
        """The bar never moves back (a cache file dropped halfway, its streams then paged:
        it waits until the pages pass the point it had reached)."""
        if progress.fraction is None:
            self._shown = 0.0
        elif progress.fraction < self._shown:
            progress = replace(progress, fraction=self._shown)
        else:
            self._shown = progress.fraction
        assert self.on_progress is not None
        self.on_progress(progress)

    def _overall_fraction(self, current: tuple[str, ...], within: float) -> float:
        """Weighted first-load progress over the streams this puller handles, `within`
        (0..1) of the `current` ones (one stream, or a cache file's) done."""
        done = sum(STREAM_WEIGHTS[s] for s in self.streams if s in self._live and s not in current)
        done += within * sum(STREAM_WEIGHTS[s] for s in current)
        return min(1.0, done / sum(STREAM_WEIGHTS[s] for s in self.streams))
