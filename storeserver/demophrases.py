"""The demo shop's quick phrases, auto-reply and buyer notes (docs/PROTOCOL.md "Answering fast").

`TEAM_PHRASES` is what a real shop's team library looks like: every category, the buyer's
own data through variables, lowercase pinyin-initial shortcuts (kd 快递, fh 发货, th 退换).
`seed_phrases(engine, shop_id, n)` bulk-creates n varied team phrases (benchmarks: the
picker over 2,000 phrases); every phrase here passes the server's own rules
(`answering.phrase_problem`), which a test checks.
"""
from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import Connection, Engine, insert

from . import answering
from .db import write_txn
from .demo_pools import CATEGORIES as PRODUCT_KINDS
from .models import BuyerNote, Phrase
from .ops import reserve_seq, utcnow

_phrases, _notes = Phrase.__table__, BuyerNote.__table__

AUTO_REPLY = "亲，您好！欢迎光临{shop_name}～\n客服马上为您服务，有什么问题直接留言，我们会第一时间回复您！"
CUTOFF_TIME = "16:00"

# (category, title, shortcut, text)
TEAM_PHRASES: tuple[tuple[str, str, str, str], ...] = (
    ("greeting", "欢迎语", "hy", "亲，您好！欢迎光临{shop_name}，我是客服{agent_name}，很高兴为您服务～"),
    ("greeting", "老客户问候", "lkh", "{buyer_nick}亲，欢迎回来！又见面啦，这次有什么可以帮您的吗？"),
    ("greeting", "在的", "zd", "在的亲，请问有什么可以帮您？"),
    ("greeting", "请稍等", "sd", "亲，请稍等，我马上帮您查询一下～"),
    ("greeting", "高峰期致歉", "gfq", "亲，现在咨询的顾客比较多，回复慢了还请见谅，您的问题我一定跟进到底～"),
    ("bargain", "已是活动价", "yj", "亲，这款现在已经是活动价了哦，价格是近期最优惠的，质量也有保障，您放心拍～"),
    ("bargain", "包邮说明", "by", "亲，全店满99元包邮（新疆、西藏等偏远地区除外），凑一凑单更划算哦～"),
    ("bargain", "优惠券", "yhq", "亲，店铺首页可以领取满199减20的优惠券，下单时会自动抵扣哦～"),
    ("bargain", "多件优惠", "djyh", "亲，拍两件及以上可以给您打9折，拍下先别付款，联系我改价就可以～"),
    ("bargain", "付款送赠品", "zp", "亲，现在付款就送运费险和小礼品一份，数量有限送完为止哦～"),
    ("bargain", "老客户优惠", "lkyh", "{buyer_nick}亲，感谢您一直支持{shop_name}，老客户这次给您备注一份小礼物～"),
    ("ship_faster", "发货时间", "fh", "亲，每天{cutoff_time}前付款的订单当天发货，之后付款的第二天发出哦～"),
    ("ship_faster", "已催仓库", "cfh", "亲，订单{order_no}我已经给仓库备注加急了，今天会优先为您安排发货～"),
    ("ship_faster", "打包中", "dbz", "亲，您的订单{order_no}正在打包中，发出后物流信息会自动更新，请您耐心等待～"),
    ("ship_faster", "预售发货", "ysfh", "亲，这款是预售款，付款后7天内发货，发出后会第一时间通知您哦～"),
    ("ship_faster", "库存紧张", "kcjz", "亲，这个颜色尺码仓库只剩{sku_stock}件了，{cutoff_time}前付款今天就能给您发出～"),
    ("ship_faster", "已发货", "yfh", "亲，订单{order_no}已经发货啦，{carrier}单号{tracking_no}，请注意查收～"),
    ("arrival", "几天到货", "dh", "亲，您的收货地址是{receiver_address}，{carrier}一般2-3天就能送到哦～"),
    ("arrival", "预计送达", "ysd", "亲，订单{order_no}已由{carrier}发出，预计明后天送达，请保持电话畅通～"),
    ("arrival", "指定快递", "zdkd", "亲，我们默认发中通和韵达，需要顺丰的话补一下运费差价就可以，我给您备注～"),
    ("arrival", "节假日到货", "jjr", "亲，节假日期间快递量大，到货可能会延迟1-2天，还请您多多包涵～"),
    ("logistics", "快递单号", "kd", "亲，您的快递是{carrier}，单号{tracking_no}，可以在“我的订单”里查看物流哦～"),
    ("logistics", "物流不动", "wlbd",
     "亲，{carrier}单号{tracking_no}这两天转运中心压件比较多，物流更新会慢一点，我这边帮您催一下～"),
    ("logistics", "已催快递", "ckd", "亲，已经帮您联系{carrier}催件了，有进展我第一时间告诉您～"),
    ("logistics", "显示签收没收到", "qs",
     "亲，单号{tracking_no}显示已签收，麻烦先看看门卫、快递柜或家人是否代收，没有的话我马上帮您联系{carrier}核实～"),
    ("logistics", "修改地址", "gdz", "亲，订单{order_no}还没发货，可以改地址的，麻烦把新地址、收件人和电话发给我～"),
    ("after_sales", "七天无理由", "th",
     "亲，支持7天无理由退换货，吊牌不要剪、不影响二次销售就可以，申请后我这边马上为您处理～"),
    ("after_sales", "退货地址", "thdz",
     "亲，退货请寄到：浙江省杭州市余杭区良睦路1号{shop_name}售后组，电话0571-88886666，寄出后把单号发我哦～"),
    ("after_sales", "换货流程", "hh", "亲，换货的话您先把商品寄回，我们收到后当天给您换新发出，来回运费我们承担～"),
    ("after_sales", "少发漏发", "sf", "亲，非常抱歉给您添麻烦了，麻烦拍一下收到的商品和快递面单，我核实后马上给您补发～"),
    ("after_sales", "质量问题", "zl", "亲，实在抱歉，麻烦拍几张问题部位的照片发我，质量问题我们包退包换，运费我们承担～"),
    ("after_sales", "退款进度", "tk", "亲，订单{order_no}的退款已经同意了，一般1-3个工作日原路退回，请留意账户～"),
    ("after_sales", "换尺码", "hcm", "亲，尺码不合适可以换的，您要换的这个尺码目前还有{sku_stock}件，我先帮您留一件～"),
    ("other", "尺码推荐", "cmtj", "亲，麻烦告诉我您的身高、体重和平时穿的尺码，我帮您推荐合适的码数～"),
    ("other", "库存查询", "kc", "亲，您要的颜色尺码仓库现在还有{sku_stock}件，{cutoff_time}前付款今天就能发哦～"),
    ("other", "订单状态", "ddzt", "亲，帮您查到了，订单{order_no}目前是{order_status}状态～"),
    ("other", "核对收件信息", "hd", "亲，跟您核对一下收货信息：{buyer_name}，{receiver_address}，没问题的话我们就安排发货啦～"),
    ("other", "货到付款", "hdfk", "亲，支持货到付款的，不过快递会多收一点服务费，签收时付给快递员就可以～"),
    ("other", "催付款", "cfk", "亲，您拍下的宝贝还没付款哦，{cutoff_time}前付款今天就能发货，库存不多了，喜欢的话尽快付款哦～"),
    ("other", "转接同事", "zj", "亲，这个问题我帮您转给专门负责的同事处理，请稍等一下哦～"),
    ("farewell", "结束语", "jsy", "不客气亲，感谢您对{shop_name}的支持，祝您购物愉快，有问题随时找我～"),
    ("farewell", "求好评", "hp", "亲，收到货满意的话麻烦给个五星好评哦，您的支持是我们最大的动力～"),
    ("farewell", "拜拜", "bb", "好的亲，那先这样，有需要随时联系{agent_name}，祝您生活愉快～"),
)

# The demo agent's own (only 1024 sees them).
PERSONAL_PHRASES: tuple[tuple[str, str, str, str], ...] = (
    ("greeting", "我的开场白", "wdkc", "亲，我是{agent_name}，今天由我为您服务，有问题尽管问我～"),
    ("after_sales", "已安排补发", "bf", "亲，已经给您安排补发了，新单号出来后我第一时间发给您～"),
    ("bargain", "最低价了", "zdj", "亲，这是我能申请到的最低价了，再送您一双袜子，您看可以吗？"),
)

# (agent_no, text): on the buyers of the demo queue, in turn.
NOTES: tuple[tuple[str, str], ...] = (
    ("2048", "老客户，上次少发一件，已补发"),
    ("1024", "对尺码很在意，推荐前先问身高体重"),
    ("1024", "只收顺丰，发货前记得改顺丰（差价已付）"),
    ("2048", "要开发票，抬头已写在订单备注里"),
)


def seed_demo_answering(conn: Connection, shop_id: int, *, agent_no: str, now: datetime) -> None:
    """The team library and `agent_no`'s personal phrases, inside the seed's transaction."""
    rows = [(None, p) for p in TEAM_PHRASES] + [(agent_no, p) for p in PERSONAL_PHRASES]
    first = reserve_seq(conn, shop_id, len(rows))
    conn.execute(insert(_phrases), [
        {"shop_id": shop_id, "seq": first + i, "version": 1, "owner_agent_no": owner, "category": c,
         "title": t, "shortcut": s, "text": x, "updated_by": agent_no, "updated_at": now}
        for i, (owner, (c, t, s, x)) in enumerate(rows)])


def seed_notes(conn: Connection, shop_id: int, buyer_ids: list[int], now: datetime) -> None:
    """A few notes colleagues left about these buyers (one each, in turn)."""
    for (agent_no, text), buyer_id in zip(NOTES, buyer_ids):
        conn.execute(insert(_notes).values(shop_id=shop_id, seq=reserve_seq(conn, shop_id), buyer_id=buyer_id,
                                           text=text, agent_no=agent_no, created_at=now, client_id=None))


_OPENERS = ("亲，", "", "亲爱的，", "{buyer_nick}亲，", "您好，")
_TAILS = ("", "有问题随时联系我哦～", "感谢您的耐心等待～", "祝您购物愉快！", "麻烦您了～")


def varied_phrases(n: int, seed: int = 1) -> list[tuple[str, str, str, str]]:
    """n realistic team phrases: the demo library's, then variants of each by product kind,
    way of addressing the buyer and ending, with numbered shortcuts as agents keep them (fh2,
    kd3 ...). The first 14 × 5 × 5 variants of a phrase are all different; `seed` rotates
    which kinds come first."""
    kinds = [k[0] for k in PRODUCT_KINDS]
    random.Random(f"phrases-{seed}").shuffle(kinds)
    out = []
    for i in range(n):
        category, title, shortcut, text = TEAM_PHRASES[i % len(TEAM_PHRASES)]
        variant = i // len(TEAM_PHRASES)
        if variant == 0:
            out.append((category, title, shortcut, text))
            continue
        kind = kinds[variant % len(kinds)]
        tail = _TAILS[variant // len(kinds) % len(_TAILS)]
        opener = _OPENERS[variant // (len(kinds) * len(_TAILS)) % len(_OPENERS)]
        body = text.replace("这款", f"这款{kind}").replace("这个颜色", f"{kind}这个颜色")
        if body.startswith("亲，"):  # another way to address the buyer
            body = opener + body.removeprefix("亲，")
        out.append((category, f"{title}·{kind}"[:answering.MAX_TITLE_CHARS],
                    f"{shortcut}{variant + 1}"[:answering.MAX_SHORTCUT_CHARS], body + tail))
    return out


def seed_phrases(engine: Engine, shop_id: int, n: int, *, seed: int = 1, agent_no: str = "1024") -> int:
    """Bulk-create n team phrases in the shop (one transaction, one seq block); returns n."""
    rows = varied_phrases(n, seed)
    now = utcnow()
    with write_txn(engine) as conn:
        first = reserve_seq(conn, shop_id, len(rows)) if rows else 0
        for start in range(0, len(rows), 1000):
            conn.execute(insert(_phrases), [
                {"shop_id": shop_id, "seq": first + start + i, "version": 1, "owner_agent_no": None,
                 "category": c, "title": t, "shortcut": s, "text": x, "updated_by": agent_no, "updated_at": now}
                for i, (c, t, s, x) in enumerate(rows[start:start + 1000])])
    return len(rows)
