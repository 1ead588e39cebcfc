"""Cache files: a shop's big streams prebuilt for its agents' first syncs (PROTOCOL.md, "Cache files").

A new agent's first sync of a million-order shop through pages makes the agent's PC do
~150 us of work per order (validation, search tokens, index building) that is the same for
every agent of the shop. Here it is done once: `build` reads every snapshot page of the
file's streams (the very bodies the snapshot endpoint sends), has the workstation's own code
apply them into a fresh cache file (`workstation.models.cachefile.build`) and stores it
gzipped, with a descriptor, in a directory of the server's (`serve --cache-files DIR`). The
client downloads it, checks it and copies it into its cache in a few seconds, then follows
the change feed from the cursor the file was built at.

A file is of one cache schema (the workstation version the server ships with); a client of
another schema gets 404 and pages. A file whose feed cursor the server can no longer serve
(older than the kept tombstones, another epoch) is not offered either.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
from sqlalchemy import Engine

from workstation.models import cachefile as client_file
from workstation.models.db import HEAD_REVISION
from workstation.sync import wire

from . import streams

log = logging.getLogger(__name__)

FORMAT = 1
PAGE = 5000
GZIP_LEVEL = 6  # 1M orders: ~2.1x smaller than the file; the client unpacks ~150 MB/s


@dataclass(frozen=True)
class Descriptor:
    """What the server says of a shop's current cache file (the JSON of GET /sync/cache-file)."""

    format: int
    schema: str       # the cache schema revision (workstation.models.db.HEAD_REVISION)
    shop_id: int
    epoch: int
    seq: int          # the shop sequence the file's streams were read at (their feed cursor)
    streams: dict[str, int]  # rows per stream
    sha256: str       # of the gzipped bytes served
    bytes: int        # gzipped, as served
    unpacked_bytes: int
    built_at: str
    build_s: float

    def to_json(self) -> dict:
        return asdict(self)


def _descriptor_path(directory: Path, shop_id: int) -> Path:
    return directory / f"shop-{shop_id}.json"


def content_path(directory: Path, d: Descriptor) -> Path:
    return directory / f"shop-{d.shop_id}-{d.sha256}.sqlite.gz"


def current(directory: Path, shop_id: int) -> Descriptor | None:
    """The shop's newest cache file, if one was built (and its content is there)."""
    try:
        doc = orjson.loads(_descriptor_path(directory, shop_id).read_bytes())
        d = Descriptor(**doc)
    except (OSError, ValueError, TypeError):
        return None
    return d if content_path(directory, d).exists() else None


def _pages(engine: Engine, shop_id: int, epoch: int, seq: int) -> Iterator[client_file.FilePage]:
    """Every snapshot page of the file's streams, as the snapshot endpoint answers them, read
    in short transactions (the endpoint's own), validated by the client's wire code."""
    for stream in client_file.FILE_STREAMS:
        with engine.connect() as conn:
            total = streams.snapshot_total(conn, stream, shop_id, seq)
        before: int | None = None
        while True:
            with engine.connect() as conn:
                body = streams.snapshot_body(conn, stream, shop_id, epoch, seq, before, PAGE, total)
            page = wire.parse_snapshot_page(stream, body)
            yield client_file.FilePage(stream, page.items, page.next_cursor, page.done, page.feed_cursor,
                                       page.total)
            if page.done:
                break
            before = min(it["id"] for it in page.items)
            total = None


def build(engine: Engine, shop_id: int, directory: Path,
          progress: Callable[[str, int, int | None], None] | None = None) -> Descriptor:
    """Build the shop's cache file now, replace its current one (kept until the new one is
    in place: a download in progress finishes), and return its descriptor."""
    t0 = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        state = streams.shop_state(conn, shop_id)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".build-") as tmp:
        plain = Path(tmp) / "cache.sqlite3"
        rows = client_file.build(plain, _pages(engine, shop_id, state.epoch, state.seq), progress)
        packed = Path(tmp) / "cache.sqlite.gz"
        digest = hashlib.sha256()
        with plain.open("rb") as src, packed.open("wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as out:
                shutil.copyfileobj(src, out, 1 << 20)
        with packed.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        d = Descriptor(FORMAT, HEAD_REVISION, shop_id, state.epoch, state.seq, rows, digest.hexdigest(),
                       packed.stat().st_size, plain.stat().st_size,
                       time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), round(time.perf_counter() - t0, 1))
        old = current(directory, shop_id)
        os.replace(packed, content_path(directory, d))
        desc = _descriptor_path(directory, shop_id)
        tmp_desc = Path(tmp) / "descriptor.json"
        tmp_desc.write_bytes(orjson.dumps(d.to_json()))
        os.replace(tmp_desc, desc)
    if old is not None and old.sha256 != d.sha256:
        _remove_later(content_path(directory, old))
    log.info("cache file of shop %s built in %.1f s: %s, %.1f MB", shop_id, d.build_s, rows, d.bytes / 1e6)
    return d


def _remove_later(path: Path) -> None:
    """An older file may still be downloading (POSIX keeps an open file readable; on Windows
    the removal fails and is left to the next `sweep`)."""
    try:
        path.unlink()
    except OSError:
        pass


def sweep(directory: Path) -> None:
    """Remove what an earlier builder left: half-built files (a builder killed midway) and
    the shops' replaced files. For the one builder of `directory`, before it starts."""
    if not directory.is_dir():
        return
    for tmp in directory.glob(".build-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for packed in directory.glob("shop-*-*.sqlite.gz"):
        try:
            shop_id = int(packed.name.split("-")[1])
        except ValueError:
            continue
        d = current(directory, shop_id)
        if d is None or content_path(directory, d) != packed:
            _remove_later(packed)


def offered(directory: Path | None, shop_id: int, epoch: int, purged_seq: int,
            schema: str | None) -> tuple[Descriptor | None, str]:
    """The descriptor a client of cache `schema` may download, or None and why not."""
    if directory is None:
        return None, "this server builds no cache files"
    d = current(directory, shop_id)
    if d is None:
        return None, "no cache file has been built for this shop yet"
    if schema is not None and schema != d.schema:
        return None, f"the cache file is of schema {d.schema}, not {schema}"
    if d.epoch != epoch or d.seq < purged_seq:
        return None, "the cache file is older than the changes this server keeps"
    return d, ""
