"""Word tables and name pools for the demo shop (a Chinese women's clothing shop).

Faker (zh_CN) is slow per call, so it fills pools once; the generator samples from them.
Regions are real province / city / district triples (Faker's zh_CN addresses mix cities
and provinces at random, which agents would spot at once).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

SHOP_NAMES = ("栖木原创女装旗舰店", "南山衣橱", "棉麻小院女装店", "初语生活馆", "森系衣橱旗舰店")
WAREHOUSES = (("杭州主仓", "HZ01"), ("广州仓", "GZ01"), ("成都仓", "CD01"))

# category, style-number prefix, price range in cents, bottoms (numeric sizes)?
CATEGORIES = (
    ("T恤", "TX", (3900, 12900), False), ("衬衫", "CS", (7900, 19900), False),
    ("连衣裙", "LY", (9900, 39900), False), ("卫衣", "WY", (8900, 25900), False),
    ("牛仔裤", "NZ", (8900, 25900), True), ("休闲裤", "XK", (6900, 19900), True),
    ("外套", "WT", (12900, 49900), False), ("羽绒服", "YR", (29900, 99900), False),
    ("针织衫", "ZZ", (7900, 25900), False), ("半身裙", "BQ", (5900, 19900), True),
    ("风衣", "FY", (19900, 59900), False), ("毛衣", "MY", (9900, 29900), False),
    ("马甲", "MJ", (6900, 15900), False), ("打底衫", "DD", (2900, 7900), False),
)
SEASONS = ("2026春季新款", "2026夏季新款", "2025秋冬新款", "2026秋季新款", "2026冬季新款", "经典款")
FITS = ("宽松", "修身", "oversize", "小个子", "显瘦", "百搭", "复古", "韩版", "法式", "慵懒风")
MATERIALS = ("纯棉", "冰丝", "真丝", "羊毛", "针织", "灯芯绒", "雪纺", "亚麻", "加绒", "莫代尔")
DETAILS = ("圆领", "V领", "连帽", "高腰", "短款", "中长款", "长袖", "短袖", "泡泡袖", "翻领")
COLOURS = (("黑色", "BK"), ("白色", "WH"), ("杏色", "AP"), ("卡其色", "KH"), ("雾霾蓝", "HB"),
           ("藏青色", "NV"), ("酒红色", "WR"), ("燕麦色", "OT"), ("浅灰色", "LG"), ("樱花粉", "PK"),
           ("牛油果绿", "AG"), ("奶白色", "CR"), ("焦糖色", "CM"))
LETTER_SIZES = ("XS", "S", "M", "L", "XL", "XXL", "3XL")
NUMERIC_SIZES = ("25", "26", "27", "28", "29", "30", "31", "32")

REGIONS = (
    ("浙江省", "杭州市", ("西湖区", "余杭区", "滨江区", "拱墅区", "萧山区", "上城区")),
    ("浙江省", "宁波市", ("鄞州区", "海曙区", "江北区")), ("浙江省", "温州市", ("鹿城区", "瓯海区", "龙湾区")),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "白云区", "番禺区")),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区", "龙华区")),
    ("广东省", "东莞市", ("南城街道", "东城街道", "长安镇")),
    ("上海市", "上海市", ("浦东新区", "徐汇区", "静安区", "闵行区", "杨浦区")),
    ("北京市", "北京市", ("朝阳区", "海淀区", "东城区", "丰台区", "昌平区")),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "江宁区", "建邺区")),
    ("江苏省", "苏州市", ("姑苏区", "吴中区", "相城区", "昆山市")),
    ("四川省", "成都市", ("武侯区", "锦江区", "青羊区", "成华区", "双流区")),
    ("湖北省", "武汉市", ("洪山区", "武昌区", "江汉区", "江岸区")),
    ("湖南省", "长沙市", ("岳麓区", "天心区", "雨花区", "开福区")),
    ("福建省", "厦门市", ("思明区", "湖里区", "集美区")), ("福建省", "福州市", ("鼓楼区", "仓山区", "台江区")),
    ("山东省", "济南市", ("历下区", "市中区", "槐荫区")), ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区")),
    ("河南省", "郑州市", ("金水区", "二七区", "中原区")), ("陕西省", "西安市", ("雁塔区", "碑林区", "未央区")),
    ("重庆市", "重庆市", ("渝中区", "江北区", "南岸区", "沙坪坝区")), ("天津市", "天津市", ("和平区", "南开区", "河西区")),
    ("辽宁省", "沈阳市", ("和平区", "沈河区", "浑南区")), ("安徽省", "合肥市", ("蜀山区", "包河区", "庐阳区")),
    ("江西省", "南昌市", ("东湖区", "红谷滩区", "青山湖区")), ("云南省", "昆明市", ("五华区", "盘龙区", "官渡区")),
    ("广西壮族自治区", "南宁市", ("青秀区", "西乡塘区", "兴宁区")), ("黑龙江省", "哈尔滨市", ("南岗区", "道里区", "香坊区")),
    ("河北省", "石家庄市", ("长安区", "桥西区", "裕华区")), ("贵州省", "贵阳市", ("云岩区", "南明区", "观山湖区")),
    ("新疆维吾尔自治区", "乌鲁木齐市", ("天山区", "沙依巴克区")),
)
ROADS = ("文三路", "学院路", "中山路", "人民路", "解放路", "建设路", "和平路", "长江路", "黄河路",
         "科技路", "滨江大道", "新华路", "东风路", "迎宾大道", "天府大道")
COMMUNITIES = ("阳光小区", "翠苑一区", "金色家园", "幸福里", "锦绣花园", "桂花园", "城市花园", "世纪新城",
               "万达广场", "科技园", "国际大厦", "名仕公寓", "滨江花园", "紫金苑")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "166", "173", "176", "177",
                   "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191",
                   "198", "199")
NICK_ADJ = ("快乐的", "爱吃鱼的", "安静的", "小小", "温柔的", "可爱的", "开心", "甜甜的", "迷糊的",
            "勇敢的", "爱睡觉的", "会飞的", "一只")
NICK_NOUN = ("小猫", "兔子", "猪猪", "向日葵", "柠檬", "星星", "奶茶", "小鹿", "橘子", "企鹅", "小熊",
             "蘑菇", "布丁", "西瓜")
HONORIFICS = ("先生", "女士", "小姐", "姐姐")
AGENT_NOS = ("1024", "1031", "1047", "2002", "2015")
REMARKS = (
    "顾客要求改发顺丰，运费已补", "换货：M码缺货，改发L码，已和买家确认", "地址已核对", "催发货，已加急",
    "赠品：袜子一双", "买家要求周末送货", "退款中，等待退货入库", "买家要求开发票，抬头见聊天记录",
    "同款两件合并发货", "颜色拍错，改为黑色", "老客户，送优惠券", "发货前电话联系买家",
    "快递破损补发", "买家反馈尺码偏小，建议换大一码", "预售款，11月20日前发货",
)
COD_REMARK = "货到付款已电话确认"
CARRIERS = (("中通", 28), ("圆通", 22), ("韵达", 18), ("极兔", 12), ("申通", 10), ("顺丰", 8), ("EMS", 2))


@dataclass(frozen=True)
class NamePools:
    surnames: tuple[str, ...]
    givens: tuple[str, ...]
    surname_py: dict[str, str]
    given_py: dict[str, str]
    english: tuple[str, ...]
    streets: tuple[str, ...]


@lru_cache(maxsize=4)
def name_pools(seed: int) -> NamePools:
    """Built once per seed: Faker samples keep the real surname frequencies (王, 李, 张...)."""
    from faker import Faker
    from pypinyin import lazy_pinyin

    zh = Faker("zh_CN")
    zh.seed_instance(seed)
    en = Faker("en_US")
    en.seed_instance(seed)
    surnames = tuple(zh.last_name() for _ in range(2000))
    givens = tuple(zh.first_name() for _ in range(2000))
    english = tuple(sorted({en.first_name().lower() for _ in range(400)}))
    streets = tuple(zh.street_name() for _ in range(200)) + ROADS * 10
    return NamePools(
        surnames=surnames, givens=givens,
        surname_py={s: "".join(lazy_pinyin(s)) for s in set(surnames)},
        given_py={g: "".join(lazy_pinyin(g)) for g in set(givens)},
        english=english, streets=streets,
    )
