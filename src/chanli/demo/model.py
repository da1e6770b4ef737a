"""What the demo generator plans: frozen values, no I/O.

The plan names every row it wants by a stable key (its ``external_id``, ``DEMO-…``) and refers
to other rows by key, because database ids exist only once the plan is applied. Planning is
pure and seeded, so the same ``DemoSpec`` always gives an equal ``DemoPlan`` — the property
that makes the demo reproducible and testable without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from chanli.core.auth import Role
from chanli.org import CompanyProfile, JobRole, TeamKind, Tier

__all__ = [
    "DEFAULT_SEED",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DemoLogin",
    "DemoPlan",
    "DemoSpec",
    "DemoSummary",
    "PlannedAccount",
    "PlannedActivity",
    "PlannedCall",
    "PlannedContact",
    "PlannedFeedback",
    "PlannedLead",
    "PlannedLine",
    "PlannedMentorship",
    "PlannedMove",
    "PlannedOpportunity",
    "PlannedOrder",
    "PlannedPayment",
    "PlannedPerson",
    "PlannedProduct",
    "PlannedRenewal",
    "PlannedTeam",
    "PlannedTerritory",
    "add_months",
]

DEFAULT_SEED = 88
DEMO_PASSWORD = "chanli-demo"


def add_months(day: date, n: int) -> date:
    """The first day of the month ``n`` months after ``day``'s month (``n`` may be negative)."""
    index = day.year * 12 + (day.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """What to generate.

    ``today`` is the first day *without* history: facts fall in [start, today), where
    ``start`` is the first day of the month ``months`` months before today's month. The
    generator never reads the clock; the CLI passes the first day of the current month so
    the demo ends with the last full month.
    """

    today: date
    seed: int = DEFAULT_SEED
    months: int = 12

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 36:
            raise ValueError(f"months must be 1–36, got {self.months}")

    @property
    def start(self) -> date:
        return add_months(self.today, -self.months)

    @property
    def month_starts(self) -> tuple[date, ...]:
        """First days of the months of history, oldest first (the current month included
        when ``today`` is not a first of month)."""
        out = []
        day = self.start
        while day < self.today:
            out.append(day)
            day = add_months(day, 1)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo login: who it is, and what that role sees in the app (printed by ``chanli demo``)."""

    username: str
    role: Role
    display_name: str
    person_key: str | None
    sees: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", Role.ADMIN, "系统管理员", None, "everything, users and settings"),
    DemoLogin("ops", Role.SALES_OPS, "销售运营", None, "all teams; imports, targets and org changes"),
    DemoLogin("comp", Role.COMP_ADMIN, "薪酬专员", None, "all teams; compensation plans and runs"),
    DemoLogin("finance", Role.FINANCE, "财务", None, "all teams; orders, payments and payouts"),
    DemoLogin("mgr_east", Role.MANAGER, "", "DEMO-DIR-EAST", "华东大区 director: 上海一组, 上海二组, 杭州组"),
    DemoLogin("mgr_north", Role.MANAGER, "", "DEMO-DIR-NORTH", "华北大区 director: 北京组, 天津组"),
    DemoLogin("mgr_south", Role.MANAGER, "", "DEMO-DIR-SOUTH", "华南大区 director: 广州组, 深圳组"),
    DemoLogin("rep_sh", Role.REP, "", "DEMO-REP-SH1-03", "a core rep in 上海一组: own accounts and deals"),
    DemoLogin("rep_bj", Role.REP, "", "DEMO-REP-BJ-03", "a core rep in 北京组: own accounts and deals"),
)


# --- org -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedTeam:
    key: str
    name: str
    kind: TeamKind
    parent_key: str | None
    region_code: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedPerson:
    key: str
    name: str
    team_key: str
    job_role: JobRole
    tier: Tier
    hire_date: date
    manager_key: str | None
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class PlannedTerritory:
    code: str
    name: str
    team_key: str
    provinces: tuple[str, ...]
    industries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedMentorship:
    mentor_key: str
    apprentice_key: str
    start: date
    end: date
    override_rate: Decimal


# --- crm -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedProduct:
    key: str
    name: str
    series: str
    list_price: Decimal


@dataclass(frozen=True, slots=True)
class PlannedAccount:
    key: str
    name: str
    city: str
    industry: str
    region: str
    province: str
    grade: str
    lifecycle_status: str
    owner_key: str
    employees: int
    annual_revenue: Decimal
    year_established: int


@dataclass(frozen=True, slots=True)
class PlannedContact:
    key: str
    account_key: str
    name: str
    title: str
    phone: str
    is_decision_maker: bool


@dataclass(frozen=True, slots=True)
class PlannedLead:
    key: str
    company_name: str
    received_at: datetime
    source: str
    channel: str
    industry: str
    region: str
    province: str
    contact_name: str
    phone: str
    status: str
    owner_key: str
    first_contacted_at: datetime | None
    account_key: str | None


@dataclass(frozen=True, slots=True)
class PlannedMove:
    """One stage move after creation; the last move of a closed deal is ``won`` or ``lost``."""

    stage: str
    at: datetime
    lost_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedOpportunity:
    key: str
    name: str
    account_key: str
    owner_key: str
    lead_key: str | None
    product_key: str
    created_on: date
    amount: Decimal
    expected_close: date
    moves: tuple[PlannedMove, ...]

    @property
    def outcome(self) -> str:
        """``won``, ``lost`` or ``open``."""
        last = self.moves[-1].stage if self.moves else "prospecting"
        return last if last in ("won", "lost") else "open"

    @property
    def closed_on(self) -> date | None:
        return self.moves[-1].at.date() if self.outcome != "open" else None


@dataclass(frozen=True, slots=True)
class PlannedLine:
    product_key: str
    quantity: Decimal
    list_price: Decimal
    discount_rate: Decimal
    net_amount: Decimal
    renewable: bool = False


@dataclass(frozen=True, slots=True)
class PlannedPayment:
    key: str
    amount: Decimal
    received_on: date
    method: str


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    key: str
    account_key: str
    owner_key: str
    opportunity_key: str | None
    signed_on: date
    lines: tuple[PlannedLine, ...]
    is_renewal: bool
    payment_due_on: date
    payments: tuple[PlannedPayment, ...] = ()
    cancelled_on: date | None = None
    cancel_reason: str | None = None

    @property
    def net_amount(self) -> Decimal:
        """The sum of the already-rounded lines, as ``crm`` stores it."""
        return sum((ln.net_amount for ln in self.lines), Decimal(0))

    @property
    def renewable_amount(self) -> Decimal:
        return sum((ln.net_amount for ln in self.lines if ln.renewable), Decimal(0))


@dataclass(frozen=True, slots=True)
class PlannedRenewal:
    account_key: str
    due_on: date
    status: str  # renewed / churned / pending
    amount: Decimal
    original_order_key: str
    renewal_order_key: str | None


@dataclass(frozen=True, slots=True)
class PlannedActivity:
    key: str
    kind: str
    person_key: str
    started_at: datetime
    duration_min: int
    account_key: str | None
    opportunity_key: str | None
    lead_key: str | None
    outcome: str


@dataclass(frozen=True, slots=True)
class PlannedCall:
    key: str
    person_key: str
    started_at: datetime
    duration_s: int
    direction: str
    transcript: str
    account_key: str | None
    opportunity_key: str | None
    tone: str


@dataclass(frozen=True, slots=True)
class PlannedFeedback:
    account_key: str
    received_on: date
    satisfaction: int
    is_complaint: bool
    category: str | None
    text: str
    person_key: str | None


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """Everything the demo will create, in the order it will be created."""

    spec: DemoSpec
    company: CompanyProfile
    teams: tuple[PlannedTeam, ...]
    people: tuple[PlannedPerson, ...]
    territories: tuple[PlannedTerritory, ...]
    mentorships: tuple[PlannedMentorship, ...]
    logins: tuple[DemoLogin, ...]
    products: tuple[PlannedProduct, ...]
    accounts: tuple[PlannedAccount, ...]
    contacts: tuple[PlannedContact, ...]
    leads: tuple[PlannedLead, ...]
    opportunities: tuple[PlannedOpportunity, ...]
    orders: tuple[PlannedOrder, ...]
    renewals: tuple[PlannedRenewal, ...]
    activities: tuple[PlannedActivity, ...]
    calls: tuple[PlannedCall, ...]
    feedback: tuple[PlannedFeedback, ...]

    def counts(self) -> dict[str, int]:
        """Rows per table once applied (stage changes: one on creation plus one per move)."""
        return {
            "teams": len(self.teams),
            "people": len(self.people),
            "territories": len(self.territories),
            "mentorships": len(self.mentorships),
            "users": len(self.logins),
            "products": len(self.products),
            "accounts": len(self.accounts),
            "contacts": len(self.contacts),
            "leads": len(self.leads),
            "opportunities": len(self.opportunities),
            "stage_changes": sum(1 + len(o.moves) for o in self.opportunities),
            "activities": len(self.activities),
            "orders": len(self.orders),
            "order_lines": sum(len(o.lines) for o in self.orders),
            "payments": sum(len(o.payments) for o in self.orders),
            "cancelled_orders": sum(1 for o in self.orders if o.cancelled_on is not None),
            "renewals": len(self.renewals),
            "feedback": len(self.feedback),
            "call_records": len(self.calls),
        }


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What was built: row counts and the headline money figures of the history window."""

    spec: DemoSpec
    counts: dict[str, int]
    won_revenue: Decimal  # active orders signed in [start, today)
    collected: Decimal  # payments received in [start, today)
    logins: tuple[DemoLogin, ...] = field(default=DEMO_LOGINS)
