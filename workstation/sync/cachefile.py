"""A first sync from the shop's prebuilt cache file (PROTOCOL.md, "Cache files").

The server offers one file of the shop's big streams (`models.cachefile.FILE_STREAMS`) for
this cache's schema; it is downloaded next to the cache, unpacked on the way, checked
against the size and sha256 the server described, and then installed in one cache
transaction (`models.cachefile.install`). Anything wrong with it (none offered, another
schema, a damaged or cut download, no room on the disk) leaves the cache as it was and the
streams are loaded page by page as before; only "offline" and "cancelled" are raised.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

from workstation.models.db import HEAD_REVISION

from .client import StoreClient
from .errors import PayloadError
from .wire import CacheFileInfo

log = logging.getLogger(__name__)

FORMAT = 1  # of the files this client reads (PROTOCOL.md)
SPARE_BYTES = 200 * 1024 * 1024  # left free on the disk besides the file and its copy
_MAX_OUT = 16 * 1024 * 1024  # unpacked at most per step (a gzip bomb cannot fill memory)


class NoRoom(Exception):
    """The file cannot be kept next to the cache: too little room, or the disk refused it."""


def describe(client: StoreClient, streams: tuple[str, ...]) -> CacheFileInfo | None:
    """The server's cache file of `streams` for this cache schema, or None (page instead)."""
    info = client.cache_file(HEAD_REVISION)
    if info is None:
        return None
    if info.format != FORMAT or info.schema_ != HEAD_REVISION or set(info.streams) != set(streams):
        log.warning("the server's cache file (format %s, schema %s, %s) is not for this cache",
                    info.format, info.schema_, sorted(info.streams))
        return None
    return info


def download(client: StoreClient, info: CacheFileInfo, dest: Path, *,
             progress: Callable[[int, int], None] | None = None,
             stopped: Callable[[], bool] = lambda: False) -> None:
    """Fetch the file `info` describes into `dest` (replaced), unpacked. Raises PayloadError
    when what arrived is not exactly what was described (nothing is left at `dest` then),
    NoRoom, or the client's ServerUnreachable (a cut download, `stopped`)."""
    free = shutil.disk_usage(dest.parent).free
    if free < 2 * info.unpacked_bytes + SPARE_BYTES:
        raise NoRoom(f"{free / 1e6:.0f} MB free, the cache file needs "
                     f"{(2 * info.unpacked_bytes + SPARE_BYTES) / 1e6:.0f} MB")
    digest = hashlib.sha256()
    unpack = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip
    received = [0, 0]  # packed, unpacked

    try:
        out_file = dest.open("wb")
    except OSError as exc:
        raise NoRoom(f"the cache file could not be written: {exc}") from None
    try:
        with out_file as out:
            def write(block: bytes) -> None:
                digest.update(block)
                received[0] += len(block)
                if received[0] > info.bytes:
                    raise PayloadError("the cache file is longer than described")
                data = unpack.decompress(block, _MAX_OUT)
                while True:
                    received[1] += len(data)
                    if received[1] > info.unpacked_bytes:
                        raise PayloadError("the cache file unpacks larger than described")
                    try:
                        out.write(data)
                    except OSError as exc:  # a full or failing disk: not the network's doing
                        raise NoRoom(f"the cache file could not be written: {exc}") from None
                    if not unpack.unconsumed_tail:
                        break
                    data = unpack.decompress(unpack.unconsumed_tail, _MAX_OUT)
                if progress is not None:
                    progress(received[0], info.bytes)

            client.download(info.url, write, stopped=stopped)
        if received[0] != info.bytes or digest.hexdigest() != info.sha256:
            raise PayloadError(f"the cache file arrived damaged ({received[0]} of {info.bytes} bytes, "
                               f"sha256 {'matches' if digest.hexdigest() == info.sha256 else 'differs'})")
        if not unpack.eof or received[1] != info.unpacked_bytes:
            raise PayloadError("the cache file does not unpack to the size described")
    except zlib.error as exc:
        dest.unlink(missing_ok=True)
        raise PayloadError(f"the cache file is not a gzip file: {exc}") from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
