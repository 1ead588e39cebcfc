"""Every query is scoped to the token's shop: another shop's data is never visible."""
from __future__ import annotations

from storeserver.demodata import generate
from storeserver.seed import seed_shop

from .conftest import ALL_STREAMS, Api


def test_second_shop_sees_none_of_the_first_shops_entities(live):
    other_id = seed_shop(live.engine, generate(40, seed=7), shop_name="隔壁小店", login="other",
                         password="pw-other", display_name="隔壁客服", agent_no="2001")
    mine, theirs = Api(live.url), Api(live.url)
    mine.login()
    assert theirs.login("other", "pw-other")["agent"]["shop_id"] == other_id != live.shop_id
    for stream in ALL_STREAMS:
        my_items, _, my_feed = mine.snapshot_all(stream, limit=500)
        their_items, _, their_feed = theirs.snapshot_all(stream, limit=500)
        my_ids, their_ids = {i["id"] for i in my_items}, {i["id"] for i in their_items}
        assert my_ids and their_ids, stream
        assert not my_ids & their_ids, stream
        # The change feed from the very start shows only the caller's own shop, too.
        their_changes, _ = theirs.drain(stream, _start_cursor(theirs, their_feed))
        assert {c["item"]["id"] for c in their_changes} == their_ids, stream
        # A cursor of another shop is not accepted.
        r = theirs.get(f"/sync/{stream}/changes", cursor=my_feed)
        assert r.status_code == 400 and r.json()["code"] == "bad_cursor"
    orders = {o["id"]: o for o in theirs.snapshot_all("orders")[0]}
    assert all(o["buyer_id"] in {b["id"] for b in theirs.snapshot_all("buyers")[0]} for o in orders.values())


def _start_cursor(api: Api, feed_cursor: str) -> str:
    """A feed cursor at seq 0 of the caller's shop (the same shape the server makes)."""
    from storeserver import cursors

    c = cursors.decode(feed_cursor, kind="f", shop_id=api.ok("/me")["shop_id"])
    return cursors.feed_cursor(c.shop_id, c.epoch, 0)
