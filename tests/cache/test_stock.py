"""Real stock from the cache: finding styles the ways agents type them, the grid per
warehouse, the page figure when the cache has it, substitutes, and an order's lines at once."""
from __future__ import annotations

import pytest

from tests.stock_data import add_page_column, demo_shop, make_order_with_lines, small_shop, stock_id
from workstation.models import stock as S
from workstation.models.catalogue import Catalogue


@pytest.fixture
def shop(tmp_path):
    cache = small_shop(tmp_path / "cache.sqlite")
    yield cache
    cache.close()


@pytest.fixture
def catalogue(shop):
    c = Catalogue()
    c.load(shop.engine)
    return c


def _found(catalogue, query):
    return [(m.style_no, m.sku_ids) for m in catalogue.search(query)]


@pytest.mark.parametrize("query, expected", [
    ("A1023", [("A1023", ())]),  # style no.
    ("a10", [("A1023", ())]),  # its beginning, any case
    ("Ａ１０２３", [("A1023", ())]),  # full-width input from a Chinese input method
    ("A1023-W-L", [("A1023", (3,))]),  # outer id: the one SKU
    ("纯棉", [("A1023", ())]),  # Chinese name fragment
    ("cmyl", [("A1023", ())]),  # pinyin initials of 纯棉圆领T恤
    ("chunmian", [("A1023", ())]),  # whole pinyin
    ("连衣裙", [("B3001", ())]),
    ("樱花粉", [("B3001", (11, 12))]),  # a colour names its SKUs
    ("白色 L", [("A1023", (3,)), ("A2088", (10,))]),  # colour and size: every word must match
    ("bs m", [("A1023", (2,)), ("A2088", (9,))]),  # colour by its initials (白色 = bs) and size
    ("nothing-like-this", []),
])
def test_styles_are_found_the_ways_agents_type(catalogue, query, expected):
    assert _found(catalogue, query) == expected


def test_a_size_word_is_a_size_not_a_style_prefix(catalogue):
    # "M" is the size M of every style with one, never "style numbers starting with M".
    assert {m.style_no for m in catalogue.search("m")} == {"A1023", "A2088", "B3001", "A3100"}
    assert all(m.matched == "size" for m in catalogue.search("m"))


def test_exact_style_numbers_come_first(catalogue):
    assert catalogue.search("t恤")[0].style_no == "A1023"  # equal ranks: by style no.
    assert catalogue.search("A2088")[0].matched == "style_no"


def test_blank_and_overlong_queries(catalogue):
    assert catalogue.search("   ") == []
    assert catalogue.search("A1023" + " " * 5 + "x" * 500) == []  # bounded, and "xxx…" matches nothing


def test_refresh_takes_a_changed_and_a_new_product(shop, catalogue):
    from tests.stock_data import small_products
    from workstation.models.apply import apply_changes

    renamed = dict(small_products()[0], seq=900, name="新款纯棉圆领T恤")
    new = dict(small_products()[2], id=9, seq=901, style_no="C9000", name="羊毛开衫",
               skus=[{"id": 90, "outer_id": "C9000-K-M", "colour": "黑色", "size": "M", "page_price_cents": 100}])
    apply_changes(shop.engine, "products", [{"seq": 900, "op": "upsert", "item": renamed},
                                            {"seq": 901, "op": "upsert", "item": new}], next_cursor="f1")
    catalogue.refresh(shop.engine, {1, 9})
    assert _found(catalogue, "xkcm") == [("A1023", ())]  # 新款纯棉 by initials
    assert _found(catalogue, "羊毛") == [("C9000", ())]
    apply_changes(shop.engine, "products", [{"seq": 902, "op": "delete", "id": 9}], next_cursor="f2")
    catalogue.refresh(shop.engine, {9})
    assert _found(catalogue, "羊毛") == []


def test_the_grid_holds_real_reserved_and_available_per_warehouse(shop):
    grid = S.style_stock(shop.engine, 1)
    assert grid.colours == ("白色", "黑色") and grid.sizes == ("S", "M", "L")
    assert [w.name for w in grid.warehouses] == ["杭州主仓", "广州仓"]
    white_s = grid.sku_at("白色", "S")
    main = grid.cell(white_s.id, 1)
    assert (main.real, main.reserved, main.available) == (12, 3, 9)
    black_m = grid.cell(grid.sku_at("黑色", "M").id, 1)
    assert black_m.available == -1 and black_m.out_of_stock  # oversold: shown, not hidden
    assert grid.cell(3, 1).out_of_stock and grid.cell(3, 2).out_of_stock
    assert grid.total_available(1) == 9  # 9 in the main warehouse, 0 in Guangzhou
    assert grid.page_known and main.page == 9 and not main.page_mismatch  # the page agrees here
    assert grid.as_of is not None  # the stock stream's last sync
    assert grid.complete and stock_id(1, 1) in grid.stock_ids


def test_sizes_are_in_wearing_order():
    assert sorted(["XL", "M", "3XL", "S", "L", "XS", "XXL"], key=S.size_key) == \
        ["XS", "S", "M", "L", "XL", "XXL", "3XL"]
    assert sorted(["30", "26", "28"], key=S.size_key) == ["26", "28", "30"]


def test_the_page_figure_appears_when_the_cache_has_the_column(tmp_path):
    cache = small_shop(tmp_path / "paged.sqlite")
    try:
        add_page_column(cache.engine, {stock_id(1, 1): 9, stock_id(3, 1): 15, stock_id(6, 1): 2})
        grid = S.style_stock(cache.engine, 1)
        assert grid.page_known
        agreed, oversold, under = grid.cell(1, 1), grid.cell(3, 1), grid.cell(6, 1)
        assert agreed.page == 9 and not agreed.page_mismatch
        assert oversold.page == 15 and oversold.page_mismatch and oversold.page_oversells
        assert under.page == 2 and under.page_mismatch and not under.page_oversells
        check = S.check_skus(cache.engine, [(3, 1)])
        assert check.page_known and check.lines[0].cells[0].page == 15
    finally:
        cache.close()


def test_the_page_figure_is_in_every_cache(shop):
    """Migration 0004 gives every cache `stock.page_qty`: the grid always has the page row."""
    assert S.page_column(shop.engine) is True

def test_substitutes_same_style_then_similar_styles(shop):
    subs = S.find_substitutes(shop.engine, 3)  # 白色 L: none anywhere
    same = [(o.colour, o.size, o.available, o.best_warehouse) for o in subs.same_style]
    # same colour first, nearest size first; then the same size in another colour; never the
    # oversold 黑色 M (available -1)
    assert same == [("白色", "M", 2, "广州仓"), ("白色", "S", 9, "杭州主仓"), ("黑色", "L", 8, "杭州主仓"),
                    ("黑色", "S", 21, "杭州主仓")]
    # same category with stock, same colour and size first; A3100 has nothing in stock
    assert [(o.style_no, o.colour, o.size, o.available) for o in subs.similar][0] == ("A2088", "白色", "L", 13)
    assert "A3100" not in {o.style_no for o in subs.similar}
    assert S.find_substitutes(shop.engine, 999) == S.Substitutes(999, (), ())


def test_checking_several_lines_at_once(shop):
    check = S.check_skus(shop.engine, [(1, 2), (3, 1), (5, 1), (999, 1)])
    white_s, white_l, black_m, unknown = check.lines
    assert white_s.enough and white_s.best.warehouse_id == 1 and white_s.can_ship == 9
    assert not white_l.enough and white_l.short_by == 1
    assert not black_m.enough and black_m.short_by == 1
    assert not unknown.known and not unknown.enough and unknown.cells == ()
    assert not check.all_enough
    assert [w.code for w in check.warehouses] == ["HZ", "GZ"]
    assert check.sku_ids == {1, 3, 5, 999}


def test_a_paid_orders_own_reservation_is_given_back(shop):
    # 黑色 M: 3 real, 4 reserved; if one of those 4 is this paid order's line, 0 are left
    # for others but this order itself can still ship.
    held = S.check_skus(shop.engine, [(5, 1)], held=True).lines[0]
    assert held.can_ship == 0 and not held.enough
    held_two = S.check_skus(shop.engine, [(2, 5)], held=True).lines[0]  # 白色 M 5/5 + GZ 2
    assert held_two.enough


def test_checking_a_cached_order(shop):
    from workstation.models.apply import apply_snapshot_page

    order = make_order_with_lines(41, status="paid", lines=[(1, 2), (3, 1)])
    apply_snapshot_page(shop.engine, "orders", [order], next_cursor=None, done=True, feed_cursor="f", total=1)
    check = S.check_order(shop.engine, 41)
    assert check.order_id == 41 and [ln.sku_id for ln in check.lines] == [1, 3]
    assert all(ln.held for ln in check.lines)
    assert S.check_order(shop.engine, 4242) is None


@pytest.mark.parametrize("bad", [[("1", 1)], [(1, 0)], [(True, 1)], [{"sku_id": 1, "qty": -2}]])
def test_bad_lines_are_refused_with_a_reason(shop, bad):
    with pytest.raises(ValueError, match="sku_id"):
        S.check_skus(shop.engine, bad)


def test_the_demo_catalogue(tmp_path):
    cache, shop = demo_shop(tmp_path / "demo.sqlite")
    try:
        catalogue = Catalogue()
        catalogue.load(cache.engine)
        product = shop.products()[0]
        sku = product["skus"][-1]
        assert catalogue.search(sku["outer_id"])[0].sku_ids == (sku["id"],)
        assert catalogue.search(product["style_no"])[0].product_id == product["id"]
        grid = S.style_stock(cache.engine, product["id"])
        assert len(grid.skus) == len(product["skus"]) and grid.complete
        assert len(grid.colours) * len(grid.sizes) == len(grid.skus)
    finally:
        cache.close()
