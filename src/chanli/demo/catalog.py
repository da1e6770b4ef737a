"""The demo company's fixed reference data: regions, teams and the cities they cover, products,
lead sources, lost reasons, and the behavioural knobs (win rates, capacity, discounts,
seasonality) that make the generated history show the patterns analytics should find.

Why a module of constants: the generator's randomness decides *which* facts occur; this
module decides what the company *is*. Keeping the knobs here, named, lets a test or a
reader see at a glance why elite reps win more often or why February is quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chanli.org import TeamKind, Tier

__all__ = [
    "CITIES",
    "COMPANY_NAME",
    "COMPETITORS",
    "COMPLAINT_CATEGORIES",
    "CONTACT_TITLES",
    "INDUSTRIES",
    "KEY_ACCOUNT_INDUSTRIES",
    "LEAD_SOURCES",
    "LOST_REASONS",
    "PRODUCTS",
    "REGIONS",
    "SEASONALITY",
    "TEAMS",
    "TIER_PROFILES",
    "City",
    "LeadSource",
    "ProductSpec",
    "RegionSpec",
    "TeamSpec",
    "TierProfile",
]

COMPANY_NAME = "产力科技"


@dataclass(frozen=True, slots=True)
class RegionSpec:
    """A sales region (大区): ``short`` is what accounts and leads carry in their ``region``."""

    key: str
    name: str
    short: str
    code: str


@dataclass(frozen=True, slots=True)
class City:
    name: str
    province: str
    region_key: str


@dataclass(frozen=True, slots=True)
class TeamSpec:
    """A team under a region, or a product line (大客户部) directly under the company.

    ``cities`` is the team's territory for lead routing; a product line covers
    ``industries`` nationwide instead.
    """

    key: str
    name: str
    region_key: str | None
    kind: TeamKind
    cities: tuple[str, ...]
    industries: tuple[str, ...] = ()
    rep_tiers: tuple[Tier, ...] = (
        Tier.ELITE, Tier.ELITE, Tier.CORE, Tier.CORE, Tier.CORE, Tier.NEW, Tier.NEW, Tier.NEW,
    )


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec("east", "华东大区", "华东", "EAST"),
    RegionSpec("north", "华北大区", "华北", "NORTH"),
    RegionSpec("south", "华南大区", "华南", "SOUTH"),
)

CITIES: dict[str, City] = {
    c.name: c
    for c in (
        City("上海", "上海", "east"),
        City("苏州", "江苏", "east"),
        City("南京", "江苏", "east"),
        City("无锡", "江苏", "east"),
        City("杭州", "浙江", "east"),
        City("宁波", "浙江", "east"),
        City("合肥", "安徽", "east"),
        City("北京", "北京", "north"),
        City("石家庄", "河北", "north"),
        City("天津", "天津", "north"),
        City("济南", "山东", "north"),
        City("青岛", "山东", "north"),
        City("广州", "广东", "south"),
        City("佛山", "广东", "south"),
        City("东莞", "广东", "south"),
        City("南宁", "广西", "south"),
        City("海口", "海南", "south"),
        City("深圳", "广东", "south"),
        City("珠海", "广东", "south"),
        City("厦门", "福建", "south"),
        City("福州", "福建", "south"),
    )
}

KEY_ACCOUNT_INDUSTRIES: tuple[str, ...] = ("金融", "能源", "政府")

TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("sh1", "上海一组", "east", TeamKind.TEAM, ("上海",)),
    TeamSpec("sh2", "上海二组", "east", TeamKind.TEAM, ("上海", "苏州", "南京", "无锡")),
    TeamSpec("hz", "杭州组", "east", TeamKind.TEAM, ("杭州", "宁波", "合肥")),
    TeamSpec("bj", "北京组", "north", TeamKind.TEAM, ("北京", "石家庄")),
    TeamSpec("tj", "天津组", "north", TeamKind.TEAM, ("天津", "济南", "青岛")),
    TeamSpec("gz", "广州组", "south", TeamKind.TEAM, ("广州", "佛山", "东莞", "南宁", "海口")),
    TeamSpec("sz", "深圳组", "south", TeamKind.TEAM, ("深圳", "珠海", "厦门", "福州")),
    TeamSpec("ka", "大客户部", None, TeamKind.PRODUCT_LINE, tuple(CITIES), KEY_ACCOUNT_INDUSTRIES,
             rep_tiers=(Tier.ELITE, Tier.ELITE, Tier.CORE, Tier.CORE, Tier.NEW)),
)

# industry → relative share of leads
INDUSTRIES: dict[str, int] = {
    "制造业": 22, "零售": 12, "互联网": 12, "医疗": 9, "教育": 8, "物流": 9, "房地产": 6,
    "金融": 9, "能源": 6, "政府": 7,
}


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """A product and how it is usually sold: quantity range and the most discount it takes.

    ``renewable`` products are yearly subscriptions, so their orders come due for renewal.
    """

    key: str
    name: str
    series: str
    list_price: Decimal
    unit: str
    min_qty: int
    max_qty: int
    max_discount_pct: int
    renewable: bool


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("crm-pro", "产力CRM 专业版", "SaaS", Decimal("1980.00"), "账号/年", 5, 120, 25, True),
    ProductSpec("crm-ent", "产力CRM 企业版", "SaaS", Decimal("3680.00"), "账号/年", 20, 400, 30, True),
    ProductSpec("ai-agent", "智能外呼 AI坐席", "SaaS", Decimal("12800.00"), "坐席/年", 2, 30, 20, True),
    ProductSpec("data-hub", "数据中台 私有化部署", "软件许可", Decimal("380000.00"), "套", 1, 1, 20, False),
    ProductSpec("badge", "智能工牌", "硬件", Decimal("1299.00"), "台", 10, 200, 10, False),
    ProductSpec("panel", "会议平板", "硬件", Decimal("26800.00"), "台", 1, 12, 10, False),
    ProductSpec("impl", "实施服务", "服务", Decimal("2500.00"), "人天", 5, 80, 15, False),
    ProductSpec("training", "培训服务", "服务", Decimal("18000.00"), "场", 1, 6, 15, False),
    ProductSpec("support", "年度运维", "服务", Decimal("60000.00"), "年", 1, 1, 10, True),
)


@dataclass(frozen=True, slots=True)
class LeadSource:
    """Where leads come from. ``win_shift`` moves the win probability of deals from this
    source (referrals close better than cold calls), a pattern lead scoring should learn."""

    name: str
    weight: int
    channels: tuple[str, ...]
    win_shift: float


LEAD_SOURCES: tuple[LeadSource, ...] = (
    LeadSource("官网", 28, ("官网表单", "百度推广", "微信公众号"), -0.02),
    LeadSource("展会", 16, ("行业展会", "城市沙龙"), 0.0),
    LeadSource("转介绍", 13, ("客户推荐", "员工推荐"), 0.12),
    LeadSource("电销", 28, ("外呼名单", "400热线"), -0.07),
    LeadSource("渠道", 15, ("代理商", "ISV伙伴"), 0.03),
)

LOST_REASONS: dict[str, int] = {"价格过高": 33, "选择竞品": 28, "预算取消": 16, "需求变化": 14, "决策延期": 9}

COMPETITORS: tuple[str, ...] = ("云帆CRM", "鼎盛软件", "速达云", "海纳科技")

COMPLAINT_CATEGORIES: tuple[str, ...] = ("交付延期", "服务响应慢", "产品缺陷", "功能不符", "价格争议")

CONTACT_TITLES: tuple[tuple[str, bool], ...] = (
    ("总经理", True), ("IT总监", True), ("采购经理", False), ("财务总监", False), ("运营总监", False),
    ("销售副总裁", True), ("信息部主任", False),
)


@dataclass(frozen=True, slots=True)
class TierProfile:
    """How a tier sells. These knobs create the tier patterns analytics should find:
    elite reps win clearly more often, answer leads faster and give smaller discounts."""

    win_rate: float
    capacity: float  # relative share of the deals that come up in a month
    discount_pct: tuple[int, int]  # usual discount range, in whole percent
    response_hours: float  # median hours to first contact a new lead
    activities: tuple[int, int]  # touches on a deal that is won


TIER_PROFILES: dict[Tier, TierProfile] = {
    Tier.ELITE: TierProfile(0.47, 1.3, (3, 12), 2.0, (5, 10)),
    Tier.CORE: TierProfile(0.32, 1.0, (6, 16), 5.0, (4, 8)),
    Tier.NEW: TierProfile(0.17, 0.75, (10, 24), 11.0, (3, 7)),
}

# Relative deal flow per calendar month: year-end budget flush (Q4, strongest in December),
# a March peak after the holiday when budgets open, a June half-year close, and the
# Spring Festival dip in February.
SEASONALITY: dict[int, float] = {
    1: 1.0, 2: 0.45, 3: 1.4, 4: 0.95, 5: 0.95, 6: 1.15, 7: 0.85, 8: 0.85, 9: 1.1, 10: 1.0, 11: 1.3, 12: 1.8,
}
