"""Target values: metrics, owners, targets, pacing, OKR. Plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from chanli.core.periods import Period

__all__ = [
    "COMPANY",
    "METRICS",
    "SEASON_EMPHASIS",
    "AccountFact",
    "ActivityFact",
    "AdjustmentKind",
    "AdjustmentState",
    "DecompositionMethod",
    "ExpectationBasis",
    "FactSet",
    "FeedbackFact",
    "KeyResult",
    "KeyResultDraft",
    "KeyResultKind",
    "LeadFact",
    "MetricDef",
    "MetricUnit",
    "Objective",
    "ObjectiveDraft",
    "OkrLayer",
    "OpportunityFact",
    "OrderFact",
    "OwnerKind",
    "OwnerRef",
    "OwnerSpec",
    "PaceStatus",
    "Pacing",
    "PacingThresholds",
    "PaymentFact",
    "PlanRequest",
    "PlanShape",
    "RenewalFact",
    "TargetSource",
    "TargetStatus",
    "metric",
    "parse_owner",
]


class MetricUnit(StrEnum):
    MONEY = "money"
    COUNT = "count"
    RATIO = "ratio"  # 0–1
    DAYS = "days"
    SCORE = "score"  # 0–100

    @property
    def quantum(self) -> Decimal:
        """The smallest step a target of this unit is split into: the fen for money, one for
        counts (you cannot win 2.7 customers), finer for rates and averages."""
        return {
            MetricUnit.MONEY: Decimal("0.01"),
            MetricUnit.COUNT: Decimal(1),
            MetricUnit.RATIO: Decimal("0.0001"),
            MetricUnit.DAYS: Decimal("0.1"),
            MetricUnit.SCORE: Decimal("0.1"),
        }[self]


@dataclass(frozen=True, slots=True)
class MetricDef:
    """A KPI defined once and used by targets, leaderboards and dashboards.

    ``additive`` metrics (revenue, counts) are split among children and periods; the others
    (rates, averages, scores) apply as the same value to every child and period.
    """

    code: str
    label_en: str
    label_zh: str
    unit: MetricUnit
    additive: bool
    higher_is_better: bool = True
    description: str = ""


METRICS: dict[str, MetricDef] = {
    m.code: m
    for m in (
        MetricDef(
            "won_revenue",
            "Won revenue",
            "成交金额",
            MetricUnit.MONEY,
            True,
            description="Net amount of active orders signed in the period, credited to their owner.",
        ),
        MetricDef(
            "collected_revenue",
            "Collected revenue",
            "回款金额",
            MetricUnit.MONEY,
            True,
            description="Payments received in the period on the owner's orders.",
        ),
        MetricDef(
            "new_customers",
            "New customers",
            "新客户数",
            MetricUnit.COUNT,
            True,
            description="Accounts whose first active order was signed in the period.",
        ),
        MetricDef("orders", "Orders", "订单数", MetricUnit.COUNT, True),
        MetricDef("visits", "Visits", "拜访次数", MetricUnit.COUNT, True),
        MetricDef(
            "activities",
            "Activities",
            "活动次数",
            MetricUnit.COUNT,
            True,
            description="Visits, calls, meetings, emails and demos.",
        ),
        MetricDef(
            "lead_conversion_rate",
            "Lead→opportunity conversion",
            "线索转化率",
            MetricUnit.RATIO,
            False,
            description="Leads received in the period that became qualified or converted ÷ leads received.",
        ),
        MetricDef(
            "win_rate",
            "Opportunity win rate",
            "商机赢单率",
            MetricUnit.RATIO,
            False,
            description="Opportunities won ÷ opportunities closed (won or lost) in the period.",
        ),
        MetricDef("average_order_value", "Average order value", "客单价", MetricUnit.MONEY, False),
        MetricDef(
            "renewal_rate",
            "Renewal rate",
            "续约率",
            MetricUnit.RATIO,
            False,
            description="Renewals due in the period that renewed ÷ renewals due and decided.",
        ),
        MetricDef("satisfaction", "Satisfaction", "客户满意度", MetricUnit.SCORE, False),
        MetricDef(
            "complaint_rate",
            "Complaint rate",
            "投诉率",
            MetricUnit.RATIO,
            False,
            higher_is_better=False,
            description="Feedback marked as complaint ÷ all feedback in the period.",
        ),
        MetricDef(
            "sales_cycle_days",
            "Sales cycle",
            "销售周期(天)",
            MetricUnit.DAYS,
            False,
            higher_is_better=False,
            description="Average days from opportunity creation to won, for deals won in the period.",
        ),
        MetricDef(
            "customer_success_index",
            "Customer success index",
            "客户成功指数",
            MetricUnit.SCORE,
            False,
            description="Weighted renewal rate, satisfaction and complaint rate on a 0–100 scale.",
        ),
    )
}


def metric(code: str) -> MetricDef:
    try:
        return METRICS[code]
    except KeyError:
        raise ValueError(f"unknown metric {code!r}; known: {', '.join(sorted(METRICS))}") from None


class OwnerKind(StrEnum):
    COMPANY = "company"
    TEAM = "team"
    PERSON = "person"


@dataclass(frozen=True, slots=True)
class OwnerRef:
    kind: OwnerKind
    id: int | None  # None for the company

    def __str__(self) -> str:
        return "company" if self.kind is OwnerKind.COMPANY else f"{self.kind.value}:{self.id}"


COMPANY = OwnerRef(OwnerKind.COMPANY, None)


def parse_owner(text: str) -> OwnerRef:
    """``company``, ``team:3`` or ``person:7`` → an ``OwnerRef`` (the form used in URLs, the CLI
    and the Excel grid)."""
    raw = (text or "").strip().lower()
    if raw in ("company", "公司"):
        return COMPANY
    kind, sep, ident = raw.partition(":")
    if sep and kind in (OwnerKind.TEAM.value, OwnerKind.PERSON.value) and ident.isdigit():
        return OwnerRef(OwnerKind(kind), int(ident))
    raise ValueError(f"unknown owner {text!r}: use company, team:ID or person:ID")


class TargetStatus(StrEnum):
    """draft → approved → active → closed. Only a draft is edited cell by cell; an approved or
    active plan changes through adjustment requests, each one versioned."""

    DRAFT = "draft"
    APPROVED = "approved"
    ACTIVE = "active"
    CLOSED = "closed"

    @property
    def next_states(self) -> tuple[TargetStatus, ...]:
        return {
            TargetStatus.DRAFT: (TargetStatus.APPROVED,),
            TargetStatus.APPROVED: (TargetStatus.ACTIVE, TargetStatus.DRAFT),
            TargetStatus.ACTIVE: (TargetStatus.CLOSED,),
            TargetStatus.CLOSED: (),
        }[self]


class TargetSource(StrEnum):
    TOP_DOWN = "top_down"  # written by the decomposition
    BOTTOM_UP = "bottom_up"  # entered by the owner or their manager as a commitment


class AdjustmentKind(StrEnum):
    REDISTRIBUTE = "redistribute"  # move a shortfall or surplus into the remaining periods
    REWEIGHT = "reweight"  # elastic metric weights for a team and month


class AdjustmentState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ExpectationBasis(StrEnum):
    """How much of a period counts as gone by a day: calendar days, or working days from the
    holiday calendar (a month with 国庆 expects less by the 10th)."""

    CALENDAR = "calendar"
    WORKING_DAYS = "working_days"


class KeyResultKind(StrEnum):
    METRIC = "metric"  # current value read from the metric engine (optionally bound to a target)
    MANUAL = "manual"  # current value from check-ins


class DecompositionMethod(StrEnum):
    # down periods
    EQUAL = "equal"
    SEASONAL = "seasonal"
    WORKING_DAYS = "working_days"
    # down the org tree
    CAPACITY = "capacity"
    LAST_YEAR = "last_year"
    POTENTIAL = "potential"


@dataclass(frozen=True, slots=True)
class OwnerSpec:
    """What the org-tree split needs to know about one child owner."""

    owner: OwnerRef
    name: str = ""
    tier: str | None = None  # new / core / elite for people; None for teams
    hire_date: date | None = None
    headcount: int = 1  # for a team: its active reps, so capacity scales with size
    last_year: Decimal = Decimal(0)
    potential: Decimal = Decimal(0)


class PaceStatus(StrEnum):
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    AT_RISK = "at_risk"


@dataclass(frozen=True, slots=True)
class PacingThresholds:
    """Bands on actual ÷ expected-to-date (for lower-is-better metrics the ratio is inverted)."""

    ahead: Decimal = Decimal("1.05")
    on_track: Decimal = Decimal("0.95")
    behind: Decimal = Decimal("0.80")


@dataclass(frozen=True, slots=True)
class Pacing:
    target: Decimal
    actual: Decimal
    elapsed: Decimal  # share of the period gone, 0–1
    expected_to_date: Decimal
    attainment: Decimal | None  # actual ÷ target
    pace_ratio: Decimal | None  # actual ÷ expected-to-date
    projected_run_rate: Decimal | None  # actual ÷ elapsed
    projected_with_pipeline: Decimal | None  # actual + weighted open pipeline
    status: PaceStatus
    reason: str


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What a planner asks for: split ``value`` of ``metric_code`` for ``period_label`` owned by
    ``owner`` down the calendar to ``grains`` and down the org tree, by the chosen methods."""

    metric_code: str
    period_label: str
    value: Decimal
    owner: OwnerRef = COMPANY
    period_method: DecompositionMethod = DecompositionMethod.EQUAL
    owner_method: DecompositionMethod = DecompositionMethod.EQUAL
    grains: tuple[str, ...] = ("quarter", "month")
    name: str = ""
    history_years: int = 3


@dataclass(frozen=True, slots=True, eq=False)
class PlanShape:
    """The two trees a plan spans, flattened so that every parent comes before its children.

    ``periods[0]`` is the plan period; ``period_parent[i]`` is the index of period ``i``'s
    parent. ``owners[0]`` is the root owner; ``owner_parent`` maps each owner to its parent
    in the org tree (``None`` for the root).
    """

    periods: tuple[Period, ...]
    period_parent: tuple[int | None, ...]
    owners: tuple[OwnerRef, ...]
    owner_parent: dict[OwnerRef, OwnerRef | None]
    _period_kids: dict[int, list[int]] = field(init=False, repr=False)
    _owner_kids: dict[OwnerRef, list[OwnerRef]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.periods) != len(self.period_parent) or not self.periods or not self.owners:
            raise ValueError("a plan needs its periods (one parent index each) and at least one owner")
        period_kids: dict[int, list[int]] = {}
        for j, parent in enumerate(self.period_parent):
            if parent is not None:
                if parent >= j:
                    raise ValueError("periods must come after their parent")
                period_kids.setdefault(parent, []).append(j)
        owner_kids: dict[OwnerRef, list[OwnerRef]] = {}
        seen: set[OwnerRef] = set()
        for o in self.owners:
            parent = self.owner_parent.get(o)
            if parent is not None:
                if parent not in seen:
                    raise ValueError(f"owner {o} must come after its parent {parent}")
                owner_kids.setdefault(parent, []).append(o)
            seen.add(o)
        object.__setattr__(self, "_period_kids", period_kids)
        object.__setattr__(self, "_owner_kids", owner_kids)

    @property
    def root(self) -> OwnerRef:
        return self.owners[0]

    def period_children(self, i: int) -> list[int]:
        return self._period_kids.get(i, [])

    def is_leaf_period(self, i: int) -> bool:
        return i not in self._period_kids

    @property
    def leaves(self) -> list[int]:
        return [i for i in range(len(self.periods)) if self.is_leaf_period(i)]

    def leaves_under(self, i: int) -> list[int]:
        """Leaf periods inside period ``i`` (itself, when it is a leaf)."""
        out: list[int] = []
        stack = [i]
        while stack:
            j = stack.pop()
            kids = self.period_children(j)
            if kids:
                stack.extend(reversed(kids))
            else:
                out.append(j)
        return sorted(out)

    def owner_children(self, owner: OwnerRef) -> list[OwnerRef]:
        return self._owner_kids.get(owner, [])

    def ancestors(self, owner: OwnerRef) -> list[OwnerRef]:
        out = []
        parent = self.owner_parent.get(owner)
        while parent is not None:
            out.append(parent)
            parent = self.owner_parent.get(parent)
        return out

    def descendants(self, owner: OwnerRef) -> list[OwnerRef]:
        """Every owner below ``owner``, in pre-order."""
        out: list[OwnerRef] = []
        for child in self.owner_children(owner):
            out.append(child)
            out.extend(self.descendants(child))
        return out

    def index_of(self, period: Period) -> int:
        for i, p in enumerate(self.periods):
            if p.start == period.start and p.end == period.end:
                return i
        raise KeyError(f"{period.label} is not a period of this plan")


@dataclass(frozen=True, slots=True)
class ObjectiveDraft:
    """An objective to create. Without ``owner`` it belongs to the caller (or the company)."""

    layer: OkrLayer
    title: str
    period_label: str
    owner: OwnerRef | None = None
    parent_id: int | None = None
    weight: Decimal = Decimal(1)
    description: str | None = None


@dataclass(frozen=True, slots=True)
class KeyResultDraft:
    """A key result: bound to a metric (and optionally one target cell) or manual."""

    title: str
    kind: KeyResultKind
    target_value: Decimal | None = None
    start_value: Decimal = Decimal(0)
    metric_code: str | None = None
    target_id: int | None = None
    weight: Decimal = Decimal(1)


SEASON_EMPHASIS: dict[str, dict[str, Decimal]] = {
    # promo season: win new logos; off-season: deepen existing customers
    "promo": {"new_customers": Decimal("1.5"), "won_revenue": Decimal("1.2")},
    "off_season": {
        "renewal_rate": Decimal("1.5"),
        "average_order_value": Decimal("1.3"),
        "collected_revenue": Decimal("1.2"),
    },
}


# --- facts, for the pure reference of the metric engine ---------------------------------
# The slow, obvious Python definition each Ibis expression in ``batch`` must agree with.


@dataclass(frozen=True, slots=True)
class AccountFact:
    id: int
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class OrderFact:
    id: int
    account_id: int
    owner_id: int
    signed_on: date
    net_amount: Decimal
    status: str = "active"
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class PaymentFact:
    id: int
    order_id: int
    amount: Decimal
    received_on: date
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class ActivityFact:
    id: int
    person_id: int
    kind: str
    occurred_on: date


@dataclass(frozen=True, slots=True)
class LeadFact:
    id: int
    owner_id: int | None
    received_on: date
    status: str


@dataclass(frozen=True, slots=True)
class OpportunityFact:
    id: int
    owner_id: int | None
    status: str
    created_on: date
    closed_on: date | None
    amount: Decimal = Decimal(0)
    probability: Decimal = Decimal(0)
    expected_close: date | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class RenewalFact:
    id: int
    account_id: int
    due_on: date
    status: str
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class FeedbackFact:
    id: int
    account_id: int
    received_on: date
    satisfaction: int | None
    is_complaint: bool = False


@dataclass(frozen=True, slots=True)
class FactSet:
    accounts: tuple[AccountFact, ...] = ()
    orders: tuple[OrderFact, ...] = ()
    payments: tuple[PaymentFact, ...] = ()
    activities: tuple[ActivityFact, ...] = ()
    leads: tuple[LeadFact, ...] = ()
    opportunities: tuple[OpportunityFact, ...] = ()
    renewals: tuple[RenewalFact, ...] = ()
    feedback: tuple[FeedbackFact, ...] = ()


class OkrLayer(StrEnum):
    STRATEGIC = "strategic"  # 战略级
    CAMPAIGN = "campaign"  # 战役级
    TACTICAL = "tactical"  # 战术级

    @property
    def rank(self) -> int:
        return {OkrLayer.STRATEGIC: 0, OkrLayer.CAMPAIGN: 1, OkrLayer.TACTICAL: 2}[self]


@dataclass(frozen=True, slots=True)
class KeyResult:
    """A measurable key result: from ``start`` to ``target``, now at ``current``."""

    id: int
    objective_id: int
    title: str
    start: Decimal
    target: Decimal
    current: Decimal
    weight: Decimal = Decimal(1)
    metric_code: str | None = None


@dataclass(frozen=True, slots=True)
class Objective:
    id: int
    layer: OkrLayer
    title: str
    parent_id: int | None = None
    weight: Decimal = Decimal(1)  # weight within its parent
    period: Period | None = None
    owner: OwnerRef | None = None
    key_results: tuple[KeyResult, ...] = field(default_factory=tuple)
