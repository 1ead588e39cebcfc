"""The two cache-file endpoints (docs/PROTOCOL.md, "Cache files"): what a shop's prebuilt
file holds, and the file itself. The files are built and kept by `storeserver.cachefiles`;
`api.create_app` adds these routes with its own caller dependency and reader."""
# No `from __future__ import annotations`: FastAPI must see the Annotated aliases passed in.
from pathlib import Path as FsPath
from typing import Annotated, Any, Callable

from fastapi import FastAPI, Path, Query
from fastapi.responses import FileResponse

from . import cachefiles, cursors, streams
from .api import ApiError, json_response
from .api_shapes import AUTH_RESPONSES, NO_CACHE_FILE_RESPONSES, CacheFileOut

Schema = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_]+$",
                              description="the client's cache schema revision")]
Digest = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the file's sha256, as described")]


def _no_file(why: str) -> ApiError:
    return ApiError(404, "no_cache_file", why + "; load the streams through their snapshot pages")


def add_routes(app: FastAPI, Auth: Any, reader: Callable, cache_dir: FsPath | None) -> None:  # noqa: N803
    """`Auth`: the app's signed-in caller dependency; `cache_dir`: where the files are (None:
    none offered)."""

    @app.get("/api/v1/cache-file", response_model=CacheFileOut, tags=["sync"],
             responses=AUTH_RESPONSES | NO_CACHE_FILE_RESPONSES)
    def cache_file(who: Auth, schema: Schema | None = None):
        """The shop's prebuilt cache file of its big streams, for a first sync (PROTOCOL.md,
        "Cache files"): what it holds and where to download it."""
        with reader() as conn:
            st = streams.shop_state(conn, who.shop_id)
        d, why = cachefiles.offered(cache_dir, who.shop_id, st.epoch, st.purged_seq, schema)
        if d is None:
            raise _no_file(why)
        return json_response({**d.to_json(), "feed_cursor": cursors.feed_cursor(d.shop_id, d.epoch, d.seq),
                              "url": f"/api/v1/cache-file/{d.sha256}"})

    @app.get("/api/v1/cache-file/{sha256}", tags=["sync"], response_class=FileResponse,
             responses={200: {"content": {"application/gzip": {}}, "description": "the file, gzipped"}}
             | AUTH_RESPONSES | NO_CACHE_FILE_RESPONSES)
    def cache_file_content(who: Auth, sha256: Digest):
        d = cachefiles.current(cache_dir, who.shop_id) if cache_dir is not None else None
        if d is None or d.sha256 != sha256:
            raise _no_file("no such cache file (a newer one may have replaced it)")
        return FileResponse(cachefiles.content_path(cache_dir, d), media_type="application/gzip",
                            headers={"Cache-Control": "private, max-age=31536000, immutable"})
