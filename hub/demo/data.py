"""Demo data: a pharmacy chain in Shanghai. Raw ID numbers appear only here, to be hashed."""

from typing import NamedTuple

TENANT = ("tenant-demo", "康泰大药房 Kangtai Pharmacy")
# id, name, regional office address, (latitude, longitude)
REGIONS = (
    (
        "region-sh",
        "上海区 Shanghai",
        "上海市黄浦区西藏中路268号来福士广场办公楼18楼",
        (31.2336, 121.4737),
    ),
    ("region-hz", "杭州区 Hangzhou", "杭州市上城区解放东路29号迪凯银座22楼", (30.2473, 120.2105)),
)
DAILY = {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# Late on Friday and Saturday: open past midnight.
LATE_WEEKEND = {**{d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "sun")},
                "fri": [["08:00", "02:00"]], "sat": [["08:00", "02:00"]]}  # fmt: skip
WEEKDAYS_AND_SHORT_SUNDAY = {
    **{d: [["09:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    "sun": [["10:00", "12:30"], ["13:30", "18:00"]],
}


class DemoStore(NamedTuple):
    id: str
    region: str
    name: str
    city: str
    address: str
    at: tuple[float, float]  # WGS 84
    hours: dict[str, list[list[str]]]


# Gateways, customers and the edge demo use the first two ids: keep them.
STORES = (
    DemoStore("store-sh-xuhui", "region-sh", "徐汇天钥桥店 Xuhui Tianyaoqiao", "上海",
              "上海市徐汇区天钥桥路123号", (31.1915, 121.4370), DAILY),
    DemoStore("store-sh-jingan", "region-sh", "静安南京西路店 Jing'an West Nanjing Rd", "上海",
              "上海市静安区南京西路1266号", (31.2297, 121.4554), LATE_WEEKEND),
    DemoStore("store-hz-xihu", "region-hz", "西湖文三路店 Xihu Wensan Rd", "杭州",
              "杭州市西湖区文三路259号", (30.2770, 120.1310), DAILY),
    DemoStore("store-hz-binjiang", "region-hz", "滨江江南大道店 Binjiang Jiangnan Ave", "杭州",
              "杭州市滨江区江南大道588号", (30.2085, 120.2110), WEEKDAYS_AND_SHORT_SUNDAY),
)  # fmt: skip
GATEWAYS = (("gw-demo-1", "store-sh-xuhui"), ("gw-demo-2", "store-sh-jingan"))


class DemoStaff(NamedTuple):
    id: str
    code: str  # what the tills send as staff_id
    name: str
    role: str
    store: str | None
    region: str | None
    phone: str
    skills: tuple[str, ...] = ()


STAFF = (
    DemoStaff("stf-demo-admin", "A01", "周建华", "admin", None, None, "+8613801010001"),
    DemoStaff("stf-demo-rm-sh", "R10", "沈美华", "regional_manager", None, "region-sh",
              "+8613801010010"),
    DemoStaff("stf-demo-rm-hz", "R20", "钱立新", "regional_manager", None, "region-hz",
              "+8613801010020"),
    DemoStaff("stf-demo-sm-xuhui", "S01", "陆佳怡", "store_manager", "store-sh-xuhui", None,
              "+8613801010101", ("chronic-care", "pharmacist")),
    DemoStaff("stf-demo-sm-jingan", "S11", "蒋浩然", "store_manager", "store-sh-jingan", None,
              "+8613801010111", ("pharmacist",)),
    DemoStaff("stf-demo-sm-xihu", "S21", "许文静", "store_manager", "store-hz-xihu", None,
              "+8613801010121", ("pharmacist", "tcm")),
    DemoStaff("stf-demo-sm-binjiang", "S31", "韩雪", "store_manager", "store-hz-binjiang", None,
              "+8613801010131", ("pharmacist",)),
    DemoStaff("stf-demo-xuhui-1", "S07", "曹宇", "staff", "store-sh-xuhui", None,
              "+8613801010107", ("diabetes-care", "blood-pressure")),
    DemoStaff("stf-demo-jingan-1", "S12", "冯晓燕", "staff", "store-sh-jingan", None,
              "+8613801010112", ("mother-baby",)),
    DemoStaff("stf-demo-xihu-1", "S22", "魏东", "staff", "store-hz-xihu", None,
              "+8613801010122", ("tcm",)),
    DemoStaff("stf-demo-binjiang-1", "S32", "杜鹃", "staff", "store-hz-binjiang", None,
              "+8613801010132", ("diabetes-care",)),
    DemoStaff("stf-demo-fe-1", "F01", "彭志强", "field_engineer", None, None,
              "+8613801010901", ("gateways", "pos-integration")),
)  # fmt: skip

# sku, name, unit price in fen
PRODUCTS = (
    ("6901234567011", "阿莫西林胶囊 0.25g*24", 1850),
    ("6901234567028", "布洛芬缓释胶囊 0.3g*20", 2200),
    ("6901234567035", "维生素C片 100mg*100", 990),
    ("6901234567042", "苯磺酸氨氯地平片 5mg*28", 3560),
    ("6901234567059", "二甲双胍缓释片 0.5g*30", 2890),
    ("6901234567066", "复方甘草片 *100", 650),
    ("6901234567073", "连花清瘟胶囊 0.35g*36", 2980),
    ("6901234567080", "医用外科口罩 *10", 1500),
    ("6901234567097", "血糖试纸 *50", 8800),
    ("6901234567103", "氯雷他定片 10mg*6", 1980),
)


class DemoCustomer(NamedTuple):
    id: str
    name: str
    phone: str  # E.164
    store: int  # index into STORES
    card_uid: str | None = None
    member_no: str | None = None
    id_number: str | None = None  # hashed with the tenant key before it is stored
    tags: tuple[str, ...] = ()


CUSTOMERS = (
    DemoCustomer(
        "cus-demo-01",
        "王芳",
        "+8613812345678",
        0,
        "01010501B00AC30B",
        "M1001",
        "31010419880315432X",
        ("高血压", "会员"),
    ),
    DemoCustomer(
        "cus-demo-02", "李娜", "+8613911112222", 0, "04A1B2C3D4E5F6", None, None, ("糖尿病",)
    ),
    DemoCustomer("cus-demo-03", "张伟", "+8613700001111", 0, None, "M1002", "310105197612083014"),
    DemoCustomer("cus-demo-04", "刘洋", "+8615800002222", 0, "04B7C8D9E0F112"),
    DemoCustomer("cus-demo-05", "陈静", "+8618600003333", 0, None, "M1003", None, ("母婴",)),
    DemoCustomer("cus-demo-06", "杨磊", "+8613600004444", 0, "0102030405060708"),
    DemoCustomer("cus-demo-07", "赵敏", "+8615000005555", 0, None, None, "310106199001012343"),
    DemoCustomer("cus-demo-08", "黄晓明", "+8613300006666", 0, "04C1D2E3F4A5B6", "M1004"),
    DemoCustomer("cus-demo-09", "周杰", "+8617700007777", 0, None, "M1005", None, ("慢病",)),
    DemoCustomer(
        "cus-demo-10",
        "吴秀英",
        "+8613500008888",
        0,
        "01020304AABBCCDD",
        None,
        "310104195507154022",
        ("高血压", "老年"),
    ),
    DemoCustomer("cus-demo-11", "徐丽", "+8613812340001", 1, "04D1E2F3A4B5C6", "M1006"),
    DemoCustomer("cus-demo-12", "孙强", "+8613912340002", 1, None, "M1007", "310106198209093512"),
    DemoCustomer("cus-demo-13", "马超", "+8615012340003", 1, "0A0B0C0D"),
    DemoCustomer("cus-demo-14", "朱琳", "+8618612340004", 1, None, "M1008", None, ("会员",)),
    DemoCustomer("cus-demo-15", "胡军", "+8613612340005", 1, "04E1F2A3B4C5D6"),
    DemoCustomer(
        "cus-demo-16", "郭美玲", "+8615812340006", 1, None, None, "310101197805203320", ("糖尿病",)
    ),
    DemoCustomer("cus-demo-17", "欧阳娜娜", "+8617712340007", 1, "04F1A2B3C4D5E6", "M1009"),
    DemoCustomer("cus-demo-18", "林浩", "+8613312340008", 1, None, "M1010"),
    DemoCustomer(
        "cus-demo-19", "何雪", "+8613512340009", 1, "0102AABB11223344", None, None, ("母婴", "会员")
    ),
    DemoCustomer(
        "cus-demo-20",
        "高建国",
        "+8613812340010",
        1,
        None,
        "M1011",
        "310110194910013011",
        ("高血压", "老年", "慢病"),
    ),
)

# What clerks are told to offer: (id, text, customer tags it is for; () = everyone).
OFFERS = (
    ("off-demo-bp", "电子血压计会员价 8 折", ("高血压",)),
    ("off-demo-sugar", "血糖试纸买二送一", ("糖尿病",)),
    ("off-demo-points", "今日积分翻倍", ()),
)

# A family of Xuhui: 王芳 and her husband 刘洋, who made 5 of its 7 purchases (the
# decision-maker); two of his were for her and one of hers for him (家属代购). The demo's
# tap is 王芳's card: its prompt shows the household.
HOUSEHOLDS = (("hh-demo-wang", (("cus-demo-01", "self"), ("cus-demo-04", "spouse"))),)
FAMILY_PURCHASES = (  # (buyer, receipt, bought for): hub/demo/seed.py's receipt numbers
    ("cus-demo-04", "XUHUI-0401", "cus-demo-01"),
    ("cus-demo-04", "XUHUI-0402", "cus-demo-01"),
    ("cus-demo-01", "XUHUI-0101", "cus-demo-04"),
)
