"""What each importable entity's columns are: field names, types, Chinese and English header
synonyms, choice vocabularies and references. Data only, no I/O.

Why one table per entity rather than generic guessing: a header like 客户 means the
account's *name* in an accounts file but a *reference* to an account in an orders file, so
synonyms are resolved per entity. The first Chinese synonym of a field is the header an
export writes (``--field-names`` writes the field name itself); both import back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from chanli.exchange.values import normalise_token

__all__ = [
    "CHOICES",
    "ENTITIES",
    "ENTITY_ALIASES",
    "EntitySpec",
    "FieldSpec",
    "Kind",
    "choice_help",
    "choice_label",
    "entity_spec",
]


class Kind(Enum):
    TEXT = "text"
    INT = "int"
    MONEY = "money"  # Decimal, 2 places, NUMERIC(18,2)
    DECIMAL = "decimal"  # Decimal with ``places``
    RATE = "rate"  # Decimal in [0, 1]; accepts 35%
    DATE = "date"
    DATETIME = "datetime"  # stored in UTC; read in the company time zone when naive
    BOOL = "bool"
    CHOICE = "choice"  # a code from CHOICES[choices]
    REF = "ref"  # a reference to another row, by external id (or unique name)


MONEY_LIMIT = Decimal(10) ** 16  # NUMERIC(18,2)
_FIELD_INDEX: dict[str, dict[str, FieldSpec]] = {}  # entity name → field name → spec (parsing hot path)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One importable column."""

    name: str
    kind: Kind
    label: str  # Chinese header written by exports
    synonyms: tuple[str, ...] = ()
    required: bool = False
    max_length: int | None = None
    places: int | None = None
    max_abs: Decimal | None = None
    choices: str | None = None
    ref: str | None = None  # target entity name (plural, as in ENTITIES)
    line: bool = False  # orders: belongs to the order line, not the order
    column_name: str | None = None  # the stored column when it is not ``name`` (refs: ``name_id``)

    @property
    def column(self) -> str:
        """The draft/column name this field fills (``owner`` → ``owner_id``)."""
        if self.column_name:
            return self.column_name
        return f"{self.name}_id" if self.kind is Kind.REF else self.name


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """An importable entity: its fields in export order and how rows are matched."""

    name: str  # plural, as typed on the command line
    label: str
    fields: tuple[FieldSpec, ...]
    store_name: str  # the name the capability queries use ("person", "account" …)
    natural_key: str | None = None  # field matched when a row has no external id
    self_refs: tuple[str, ...] = field(default=())  # fields that reference this same entity

    def field(self, name: str) -> FieldSpec:
        index = _FIELD_INDEX.get(self.name)
        if index is None:
            index = _FIELD_INDEX[self.name] = {f.name: f for f in self.fields}
        try:
            return index[name]
        except KeyError:
            raise KeyError(f"{self.name} has no field {name!r}") from None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def synonyms(self) -> dict[str, str]:
        """Normalised header → field name (the field name and its label always match)."""
        out: dict[str, str] = {}
        for f in self.fields:
            for text in (f.name, f.name.replace("_", " "), f.label, *f.synonyms):
                out.setdefault(normalise_token(text), f.name)
        return out


def _f(name: str, kind: Kind, label: str, *synonyms: str, **kw: object) -> FieldSpec:
    return FieldSpec(name, kind, label, tuple(synonyms), **kw)  # type: ignore[arg-type]


def _ext(*extra: str) -> FieldSpec:
    return _f("external_id", Kind.TEXT, "外部编号", *extra, "编号", "外部ID", "ID", "external id", "ext id",
              "编码", max_length=80)


def _money(name: str, label: str, *synonyms: str, required: bool = False) -> FieldSpec:
    return _f(name, Kind.MONEY, label, *synonyms, required=required, places=2, max_abs=MONEY_LIMIT)


_OWNER = ("负责人", "销售", "销售代表", "归属销售", "所属销售", "客户经理", "跟进人", "owner", "sales rep", "rep",
          "salesperson", "sales agent", "agent")
_INDUSTRY = ("所属行业", "industry", "sector")
_REGION = ("大区", "地区", "所在地", "region", "location")
_PROVINCE = ("省", "province", "state")


# --- vocabularies: normalised synonym → stored code; the first Chinese word is the export label

_VOCAB: dict[str, dict[str, tuple[str, ...]]] = {
    "tier": {
        "new": ("新人", "新手", "新", "new", "junior"),
        "core": ("骨干", "core", "regular"),
        "elite": ("精英", "elite", "senior", "top"),
    },
    "job_role": {
        "rep": ("销售", "销售代表", "业务员", "rep", "sales", "sales rep", "agent"),
        "manager": ("经理", "销售经理", "主管", "组长", "manager"),
        "director": ("总监", "销售总监", "director"),
        "solution": ("解决方案", "售前", "solution", "presales"),
        "service": ("服务交付", "服务", "交付", "service"),
        "ops": ("销售运营", "运营", "ops", "sales ops"),
    },
    "team_kind": {
        "company": ("公司", "总部", "company"),
        "region": ("大区", "区域", "region", "office", "regional office"),
        "product_line": ("产品线", "product line"),
        "team": ("团队", "组", "team"),
        "squad": ("小组", "squad"),
    },
    "grade": {"A": ("A", "A类", "A级"), "B": ("B", "B类", "B级"), "C": ("C", "C类", "C级")},
    "lifecycle": {
        "prospect": ("潜在", "潜在客户", "prospect"),
        "active": ("合作中", "活跃", "成交客户", "active"),
        "at_risk": ("流失风险", "风险", "at risk"),
        "churned": ("已流失", "流失", "churned"),
    },
    "lead_status": {
        "new": ("新线索", "新", "待跟进", "new"),
        "contacted": ("已联系", "跟进中", "contacted"),
        "qualified": ("已确认", "合格", "qualified"),
        "disqualified": ("无效", "不合格", "disqualified"),
        "converted": ("已转化", "转化", "converted"),
    },
    "stage": {
        "prospecting": ("线索获取", "初步接触", "prospecting"),
        "discovery": ("需求挖掘", "需求确认", "discovery", "engaging"),
        "proposal": ("方案", "方案报价", "proposal"),
        "negotiation": ("商务谈判", "谈判", "negotiation"),
        "won": ("赢单", "签约", "成交", "won"),
        "lost": ("输单", "丢单", "失败", "lost"),
    },
    "opportunity_status": {
        "open": ("进行中", "跟进中", "open"),
        "won": ("赢单", "成交", "won"),
        "lost": ("输单", "丢单", "lost"),
    },
    "order_status": {
        "active": ("有效", "生效", "执行中", "active"),
        "cancelled": ("已取消", "取消", "作废", "cancelled", "canceled"),
        "refunded": ("已退款", "退款", "refunded"),
    },
    "activity_kind": {
        "visit": ("拜访", "上门", "visit"),
        "call": ("电话", "通话", "call"),
        "meeting": ("会议", "meeting"),
        "email": ("邮件", "email"),
        "demo": ("演示", "demo"),
    },
    "currency": {code: (code,) for code in ("CNY", "USD", "EUR", "HKD", "JPY", "GBP")}
    | {"CNY": ("CNY", "人民币", "RMB", "元")},
}


def _choices(vocab: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, words in vocab.items():
        for w in (code, *words):
            out.setdefault(normalise_token(w), code)
    return out


CHOICES: dict[str, dict[str, str]] = {name: _choices(vocab) for name, vocab in _VOCAB.items()}


def choice_help(choices: str) -> str:
    """The accepted values of a vocabulary for messages: ``new (新人), core (骨干) …``."""
    return ", ".join(code if words[0] == code else f"{code} ({words[0]})" for code, words in _VOCAB[choices].items())


def choice_label(choices: str, code: str) -> str:
    """The Chinese label an export writes for a code (the code itself when none)."""
    return _VOCAB[choices].get(code, (code,))[0]


PEOPLE = EntitySpec(
    "people", "人员", store_name="person", natural_key="name", self_refs=("manager",),
    fields=(
        _ext("工号", "员工编号", "person id", "employee id"),
        _f("name", Kind.TEXT, "姓名", "名字", "员工姓名", "销售姓名", "name", "full name", "sales agent",
           required=True, max_length=120),
        _f("email", Kind.TEXT, "邮箱", "电子邮箱", "邮件", "email", "e-mail", "mail", max_length=200),
        _f("phone", Kind.TEXT, "电话", "手机", "手机号", "联系电话", "phone", "mobile", "tel", max_length=40),
        _f("team", Kind.REF, "团队", "部门", "小组", "所属团队", "所属部门", "team", "department", "dept",
           ref="teams"),
        _f("job_role", Kind.CHOICE, "岗位", "职位", "角色", "职务", "job role", "role", "position",
           choices="job_role"),
        _f("tier", Kind.CHOICE, "职级", "级别", "tier", "level", choices="tier"),
        _f("hire_date", Kind.DATE, "入职日期", "入职时间", "入职", "hire date", "hired", "hired on", "start date"),
        _f("leave_date", Kind.DATE, "离职日期", "离职时间", "leave date", "left on", "end date"),
        _f("manager", Kind.REF, "直属上级", "上级", "经理", "主管", "汇报对象", "manager", "reports to",
           "supervisor", ref="people"),
        _f("active", Kind.BOOL, "在职", "是否在职", "有效", "active", "enabled"),
    ),
)

TEAMS = EntitySpec(
    "teams", "团队", store_name="team", natural_key="name", self_refs=("parent",),
    fields=(
        _ext("团队编号", "部门编号", "team id"),
        _f("name", Kind.TEXT, "团队名称", "团队", "部门名称", "部门", "名称", "name", "team name", "team",
           required=True, max_length=120),
        _f("kind", Kind.CHOICE, "类型", "团队类型", "kind", "type", choices="team_kind"),
        _f("parent", Kind.REF, "上级团队", "上级部门", "上级", "父级", "parent", "parent team", ref="teams"),
        _f("region_code", Kind.TEXT, "区域代码", "大区代码", "区域编码", "region code", max_length=40),
    ),
)

ACCOUNTS = EntitySpec(
    "accounts", "客户", store_name="account", natural_key="name", self_refs=("parent",),
    fields=(
        _ext("客户编号", "客户ID", "account id"),
        _f("name", Kind.TEXT, "客户名称", "客户", "公司名称", "公司", "企业名称", "名称", "name", "account",
           "account name", "company", required=True, max_length=200),
        _f("industry", Kind.TEXT, "行业", *_INDUSTRY, max_length=80),
        _f("region", Kind.TEXT, "区域", *_REGION, "office location", max_length=80),
        _f("province", Kind.TEXT, "省份", *_PROVINCE, max_length=40),
        _f("grade", Kind.CHOICE, "客户分级", "分级", "客户等级", "等级", "grade", "class", choices="grade"),
        _f("lifecycle_status", Kind.CHOICE, "客户状态", "状态", "生命周期", "lifecycle", "status",
           choices="lifecycle"),
        _f("owner", Kind.REF, "负责人", *_OWNER, ref="people"),
        _f("employees", Kind.INT, "员工数", "员工人数", "人数", "规模", "employees", "headcount"),
        _money("annual_revenue", "年营收", "年收入", "营收", "营业收入", "annual revenue", "revenue"),
        _f("year_established", Kind.INT, "成立年份", "成立年", "founded", "year established"),
        _f("parent", Kind.REF, "母公司", "上级客户", "所属集团", "集团", "parent", "parent account",
           "subsidiary of", ref="accounts", column_name="parent_account_id"),
    ),
)

PRODUCTS = EntitySpec(
    "products", "产品", store_name="product", natural_key="name",
    fields=(
        _ext("产品编号", "产品代码", "SKU", "product id"),
        _f("name", Kind.TEXT, "产品名称", "产品", "名称", "name", "product", required=True, max_length=120),
        _f("series", Kind.TEXT, "系列", "产品系列", "series", max_length=80),
        _money("list_price", "标准价", "单价", "价格", "目录价", "售价", "list price", "price", "sales price"),
    ),
)

LEADS = EntitySpec(
    "leads", "线索", store_name="lead",
    fields=(
        _ext("线索编号", "lead id"),
        _f("company_name", Kind.TEXT, "公司名称", "公司", "企业名称", "客户名称", "名称", "company",
           "company name", "name", required=True, max_length=200),
        _f("contact_name", Kind.TEXT, "联系人", "联系人姓名", "contact", "contact name", max_length=120),
        _f("phone", Kind.TEXT, "电话", "手机", "联系电话", "phone", "mobile", max_length=40),
        _f("source", Kind.TEXT, "来源", "线索来源", "source", "lead source", max_length=60),
        _f("channel", Kind.TEXT, "渠道", "channel", max_length=60),
        _f("industry", Kind.TEXT, "行业", *_INDUSTRY, max_length=80),
        _f("region", Kind.TEXT, "区域", *_REGION, max_length=80),
        _f("province", Kind.TEXT, "省份", *_PROVINCE, max_length=40),
        _f("received_at", Kind.DATETIME, "获取时间", "接收时间", "创建时间", "日期", "received at", "received",
           "created at", "date", required=True),
        _f("first_contacted_at", Kind.DATETIME, "首次联系时间", "首次跟进时间", "first contacted at",
           "first contact"),
        _f("status", Kind.CHOICE, "状态", "线索状态", "status", choices="lead_status"),
        _f("owner", Kind.REF, "负责人", *_OWNER, ref="people"),
        _f("score", Kind.DECIMAL, "评分", "分数", "线索评分", "score", places=2, max_abs=Decimal(1000)),
        _f("account", Kind.REF, "关联客户", "客户", "客户编号", "account", ref="accounts"),
    ),
)

OPPORTUNITIES = EntitySpec(
    "opportunities", "商机", store_name="opportunity",
    fields=(
        _ext("商机编号", "opportunity id", "deal id"),
        _f("name", Kind.TEXT, "商机名称", "名称", "项目名称", "name", "opportunity", "opportunity name",
           "deal name", required=True, max_length=200),
        _f("account", Kind.REF, "客户", "客户名称", "客户编号", "account", "account name", "company",
           ref="accounts"),
        _f("owner", Kind.REF, "负责人", *_OWNER, ref="people"),
        _f("product", Kind.REF, "产品", "产品名称", "product", ref="products"),
        _f("lead", Kind.REF, "线索", "线索编号", "lead", ref="leads"),
        _f("stage", Kind.CHOICE, "阶段", "销售阶段", "商机阶段", "stage", "deal stage", choices="stage"),
        _f("status", Kind.CHOICE, "状态", "status", choices="opportunity_status"),
        _money("amount", "金额", "预计金额", "商机金额", "amount", "value", "deal value", "close value"),
        _f("currency", Kind.CHOICE, "币种", "货币", "currency", choices="currency"),
        _f("probability", Kind.RATE, "赢率", "成交概率", "概率", "probability", "win probability"),
        _f("created_on", Kind.DATE, "创建日期", "创建时间", "日期", "created on", "created", "created date",
           required=True),
        _f("engaged_on", Kind.DATE, "接洽日期", "跟进日期", "engaged on", "engage date"),
        _f("expected_close", Kind.DATE, "预计成交日期", "预计签约日期", "预计关闭日期", "expected close",
           "expected close date"),
        _f("closed_on", Kind.DATE, "成交日期", "关闭日期", "结束日期", "closed on", "close date"),
        _f("lost_reason", Kind.TEXT, "丢单原因", "输单原因", "lost reason", max_length=200),
        _f("notes", Kind.TEXT, "备注", "说明", "notes", "note", "remarks"),
    ),
)

ORDERS = EntitySpec(
    "orders", "订单", store_name="order",
    fields=(
        _ext("订单编号", "合同编号", "订单号", "合同号", "order id", "order no", "contract id"),
        _f("account", Kind.REF, "客户", "客户名称", "客户编号", "account", "customer", required=True,
           ref="accounts"),
        _f("owner", Kind.REF, "负责人", *_OWNER, "签约人", required=True, ref="people"),
        _f("signed_on", Kind.DATE, "签约日期", "签订日期", "下单日期", "合同日期", "signed on", "signed date",
           "order date", required=True),
        _f("status", Kind.CHOICE, "状态", "订单状态", "status", choices="order_status"),
        _f("cancelled_on", Kind.DATE, "取消日期", "作废日期", "cancelled on", "cancel date"),
        _f("opportunity", Kind.REF, "商机", "商机编号", "opportunity", ref="opportunities"),
        _f("currency", Kind.CHOICE, "币种", "货币", "currency", choices="currency"),
        _f("is_renewal", Kind.BOOL, "是否续约", "续约", "renewal", "is renewal"),
        _f("payment_due_on", Kind.DATE, "应收日期", "回款期限", "付款截止日期", "payment due", "due date"),
        _f("product", Kind.REF, "产品", "产品名称", "product", ref="products", line=True),
        _f("quantity", Kind.DECIMAL, "数量", "quantity", "qty", places=3, max_abs=Decimal(10) ** 11, line=True),
        _f("list_price", Kind.MONEY, "单价", "标准价", "价格", "list price", "unit price", "price", places=2,
           max_abs=MONEY_LIMIT, line=True),
        _f("discount_rate", Kind.RATE, "折扣率", "折扣", "discount", "discount rate", line=True),
        _f("amount", Kind.MONEY, "金额", "合同金额", "订单金额", "成交金额", "amount", "net amount", "total",
           places=2, max_abs=MONEY_LIMIT, line=True),
    ),
)

PAYMENTS = EntitySpec(
    "payments", "回款", store_name="payment",
    fields=(
        _ext("回款编号", "回款单号", "收款编号", "payment id"),
        _f("order", Kind.REF, "订单", "订单编号", "合同编号", "合同", "order", "order id", "contract",
           required=True, ref="orders"),
        _money("amount", "金额", "回款金额", "收款金额", "amount", required=True),
        _f("received_on", Kind.DATE, "回款日期", "收款日期", "到账日期", "日期", "received on", "received date",
           "date", required=True),
        _f("method", Kind.TEXT, "回款方式", "付款方式", "支付方式", "方式", "method", "payment method",
           max_length=40),
    ),
)

ACTIVITIES = EntitySpec(
    "activities", "活动", store_name="activity",
    fields=(
        _ext("活动编号", "activity id"),
        _f("kind", Kind.CHOICE, "类型", "活动类型", "方式", "kind", "type", required=True, choices="activity_kind"),
        _f("person", Kind.REF, "销售", "负责人", "人员", "执行人", "person", "owner", "sales rep", required=True,
           ref="people"),
        _f("started_at", Kind.DATETIME, "时间", "开始时间", "活动时间", "日期", "started at", "start", "date",
           "time", required=True),
        _f("duration_min", Kind.INT, "时长", "分钟", "duration", "duration min", "minutes"),
        _f("account", Kind.REF, "客户", "客户名称", "客户编号", "account", ref="accounts"),
        _f("opportunity", Kind.REF, "商机", "商机编号", "opportunity", ref="opportunities"),
        _f("lead", Kind.REF, "线索", "线索编号", "lead", ref="leads"),
        _f("outcome", Kind.TEXT, "结果", "成果", "outcome", "result", max_length=200),
        _f("notes", Kind.TEXT, "备注", "内容", "记录", "notes"),
    ),
)

ENTITIES: dict[str, EntitySpec] = {
    e.name: e for e in (TEAMS, PEOPLE, PRODUCTS, ACCOUNTS, LEADS, OPPORTUNITIES, ORDERS, PAYMENTS, ACTIVITIES)
}

ENTITY_ALIASES: dict[str, str] = {
    "person": "people", "人员": "people", "员工": "people", "销售": "people",
    "team": "teams", "团队": "teams", "部门": "teams",
    "product": "products", "产品": "products",
    "account": "accounts", "客户": "accounts",
    "lead": "leads", "线索": "leads",
    "opportunity": "opportunities", "商机": "opportunities",
    "order": "orders", "订单": "orders", "合同": "orders",
    "payment": "payments", "回款": "payments",
    "activity": "activities", "活动": "activities",
}


def entity_spec(name: str) -> EntitySpec:
    """The entity named ``name`` (plural, singular or Chinese), or ``KeyError`` listing them."""
    key = ENTITY_ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return ENTITIES[key]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; use one of {', '.join(ENTITIES)}") from None
