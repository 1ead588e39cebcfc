"""A new agent's first sync from the shop's prebuilt cache file (docs/PROTOCOL.md, "Cache
files"): on a real server, into a real cache file; the same rows as a paged sync, changes made
after the file was built still arrive, and a damaged, foreign, cut or cancelled file changes
nothing and leaves the streams to load page by page."""
from __future__ import annotations

import sqlite3
import threading

import orjson
import pytest
import requests

from sqlalchemy import select

from storeserver import cachefiles, ops
from storeserver.models import Order
from tests.sync.conftest import signed_in
from tests.sync.helpers import assert_cache_equals_server
from tests.sync.test_puller import _some_ids
from workstation.models import cachefile
from workstation.models.db import HEAD_REVISION, open_cache
from workstation.models.search import count_orders, search_orders
from workstation.models.state import get_stream_state
from workstation.sync.puller import Puller


def _order_ids(store) -> list[int]:
    with store.engine.connect() as conn:
        return [i for (i,) in conn.exec_driver_sql(
            f"SELECT id FROM orders WHERE shop_id = {store.shop_id} ORDER BY id")]


def _order_no(store, order_id: int) -> str:
    with store.engine.connect() as conn:
        return conn.execute(select(Order.order_no).where(Order.id == order_id)).scalar_one()


def _leftovers(cache) -> list[str]:
    return sorted(p.name for p in cache.path.parent.iterdir() if p.name.endswith(".download"))


@pytest.fixture
def files(tmp_path):
    return tmp_path / "cache-files"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_first_sync_from_the_cache_file_is_the_server_and_follows_the_changes_made_since(
        store_factory, files, cache, kind):
    store = store_factory(kind=kind, cache_files=files)
    built = cachefiles.build(store.engine, store.shop_id, files)
    assert built.streams["orders"] == store.orders and built.schema == HEAD_REVISION
    # The shop goes on after the file was built: a remark, a deleted order.
    ids = _order_ids(store)
    ops.set_remark(store.engine, store.shop_id, ids[5], "已改地址 after the file", 1, "1024")
    ops.delete_order(store.engine, store.shop_id, ids[7])
    summary = Puller(signed_in(store.url), cache.writer).run_once()
    assert {s for s, v in summary.streams.items() if v.from_file} == set(cachefile.FILE_STREAMS)
    assert summary.streams["orders"].snapshot_pages == 0  # not one order page was fetched
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    assert all(get_stream_state(cache.engine, s).phase == "feed" for s in cachefile.FILE_STREAMS)
    # Searchable and counted as after a paged sync.
    assert count_orders(cache.engine) == store.orders - 1
    assert search_orders(cache.engine, _order_no(store, ids[9]))[0].id == ids[9]
    assert _leftovers(cache) == []
    # The search index was copied whole: it takes the next changes like any other.
    _, _, buyer, sku, _ = _some_ids(store.engine, store.shop_id)
    new_id = ops.create_order(store.engine, store.shop_id, buyer, [(sku, 1)])
    gone_no = _order_no(store, ids[9])
    ops.delete_order(store.engine, store.shop_id, ids[9])
    Puller(signed_in(store.url), cache.writer).run_once()
    assert [r.id for r in search_orders(cache.engine, _order_no(store, new_id))] == [new_id]
    assert search_orders(cache.engine, gone_no) == []
    assert count_orders(cache.engine) == store.orders - 1
    with sqlite3.connect(cache.path) as db:
        db.execute("INSERT INTO orders_fts (orders_fts, rank) VALUES ('integrity-check', 0)")
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_a_damaged_file_changes_nothing_and_the_streams_load_page_by_page(store_factory, files, cache):
    store = store_factory(cache_files=files)
    built = cachefiles.build(store.engine, store.shop_id, files)
    path = cachefiles.content_path(files, built)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit flipped on the server's disk
    path.write_bytes(bytes(data))
    summary = Puller(signed_in(store.url), cache.writer).run_once()
    assert not any(v.from_file for v in summary.streams.values())
    assert summary.streams["orders"].snapshot_pages >= 1
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    assert _leftovers(cache) == []


def test_a_file_of_another_cache_schema_is_not_offered(store_factory, files, cache):
    store = store_factory(cache_files=files)
    cachefiles.build(store.engine, store.shop_id, files)
    desc = files / f"shop-{store.shop_id}.json"
    doc = orjson.loads(desc.read_bytes())
    desc.write_bytes(orjson.dumps({**doc, "schema": "0012_from_a_newer_server"}))
    client = signed_in(store.url)
    assert client.cache_file(HEAD_REVISION) is None
    r = requests.get(store.url + "/api/v1/cache-file", params={"schema": HEAD_REVISION},
                     headers={"Authorization": f"Bearer {client.token}"}, timeout=10)
    assert r.status_code == 404 and r.json()["code"] == "no_cache_file"
    summary = Puller(client, cache.writer).run_once()
    assert not any(v.from_file for v in summary.streams.values())
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_a_first_sync_cancelled_during_the_file_leaves_the_cache_as_it_was_and_the_next_uses_it(
        store_factory, files, cache):
    store = store_factory(orders=2000, cache_files=files)
    cachefiles.build(store.engine, store.shop_id, files)
    cancel = threading.Event()
    fractions: list[float] = []

    def on_progress(p):
        fractions.append(p.fraction)
        if p.stream == "orders" and 0 < p.applied < p.total:
            cancel.set()  # in the middle of the download

    summary = Puller(signed_in(store.url), cache.writer, on_progress=on_progress, cancel=cancel).run_once()
    assert summary.cancelled
    with sqlite3.connect(cache.path) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM buyers").fetchone()[0] == 0
    assert _leftovers(cache) == []
    assert fractions == sorted(fractions)  # the bar only moves forward
    summary = Puller(signed_in(store.url), cache.writer).run_once()
    assert summary.streams["orders"].from_file
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_a_cache_that_holds_the_streams_already_is_never_overwritten_by_a_file(store_factory, files, cache, tmp_path):
    store = store_factory(cache_files=files)
    Puller(signed_in(store.url), cache.writer).run_once()  # no file yet: paged
    built = cachefiles.build(store.engine, store.shop_id, files)
    ids = _order_ids(store)
    ops.set_remark(store.engine, store.shop_id, ids[3], "新备注", 0, "1024")
    summary = Puller(signed_in(store.url), cache.writer).run_once()
    assert not any(v.from_file for v in summary.streams.values())  # the feed, not the file
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    # Asked to install anyway, it refuses and changes nothing.
    plain = tmp_path / "file.sqlite3"
    import gzip
    plain.write_bytes(gzip.decompress(cachefiles.content_path(files, built).read_bytes()))
    with pytest.raises(cachefile.CacheFileError, match="already"):
        cache.writer.run(cachefile.install, plain)
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_what_is_not_a_cache_file_is_refused_before_anything_is_copied(tmp_path, cache):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    with pytest.raises(cachefile.CacheFileError):
        cache.writer.run(cachefile.install, junk)
    other = open_cache(tmp_path / "empty.sqlite3")  # a real cache, but nothing loaded
    other.close()
    with pytest.raises(cachefile.CacheFileError, match="does not hold all of"):
        cachefile.check(tmp_path / "empty.sqlite3")
    with sqlite3.connect(cache.path) as db:
        assert db.execute("SELECT count(*) FROM sync_state").fetchone()[0] == 0


def test_a_shops_file_is_served_to_its_own_agents_only(store_factory, files):
    store = store_factory(cache_files=files)
    built = cachefiles.build(store.engine, store.shop_id, files)
    other_shop = ops.create_shop(store.engine, "隔壁小店")
    ops.create_agent(store.engine, other_shop, "other", "other-pw", "隔壁客服", "2001")
    other = signed_in(store.url, "other", "other-pw")
    assert other.cache_file(HEAD_REVISION) is None  # nothing built for that shop
    r = requests.get(store.url + f"/api/v1/cache-file/{built.sha256}",
                     headers={"Authorization": f"Bearer {other.token}"}, timeout=10)
    assert r.status_code == 404  # knowing the digest is not enough
    r = requests.get(store.url + f"/api/v1/cache-file/{built.sha256}", timeout=10)
    assert r.status_code == 401
    mine = signed_in(store.url)
    info = mine.cache_file(HEAD_REVISION)
    assert info is not None and info.sha256 == built.sha256 and info.bytes == built.bytes


@pytest.mark.parametrize("lie", [{"unpacked_bytes": 4096}, {"bytes": 10**9}])
def test_a_file_that_is_not_what_its_description_says_is_dropped(store_factory, files, cache, lie):
    """Unpacking stops at the size described (a file cannot fill the disk or the memory),
    and a file shorter than described is not used."""
    store = store_factory(cache_files=files)
    cachefiles.build(store.engine, store.shop_id, files)
    desc = files / f"shop-{store.shop_id}.json"
    desc.write_bytes(orjson.dumps({**orjson.loads(desc.read_bytes()), **lie}))
    summary = Puller(signed_in(store.url), cache.writer).run_once()
    assert not any(v.from_file for v in summary.streams.values())
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    assert _leftovers(cache) == []


def test_a_file_replaced_by_a_newer_one_while_described_is_asked_for_again(store_factory, files, cache):
    store = store_factory(cache_files=files)
    cachefiles.build(store.engine, store.shop_id, files)
    client = signed_in(store.url)
    described = []
    real = client.cache_file

    def cache_file(schema):
        info = real(schema)
        described.append(info.sha256)
        if len(described) == 1:  # the server rebuilds between the description and the download
            ops.set_remark(store.engine, store.shop_id, _order_ids(store)[0], "重建之前", 0, "1024")
            cachefiles.build(store.engine, store.shop_id, files)
        return info

    client.cache_file = cache_file
    summary = Puller(client, cache.writer).run_once()
    assert summary.streams["orders"].from_file
    assert len(described) == 2 and described[0] != described[1]
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_a_cache_with_rows_left_of_a_reset_does_not_download_the_file(store_factory, files, cache):
    """A stream reset forgets its rows but not the small tables they shared (places, sold
    items): the file could not be copied, so it is not even fetched."""
    from workstation.models.apply import reset_stream

    store = store_factory(cache_files=files)
    Puller(signed_in(store.url), cache.writer).run_once()
    for stream in cachefile.FILE_STREAMS:
        cache.writer.run(reset_stream, stream)
    cachefiles.build(store.engine, store.shop_id, files)
    client = signed_in(store.url)
    client.download = lambda *a, **kw: pytest.fail("the file was downloaded")
    summary = Puller(client, cache.writer).run_once()
    assert not any(v.from_file for v in summary.streams.values())
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
