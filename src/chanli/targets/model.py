"""Target values: metrics, owners, targets, pacing, OKR. Plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from chanli.core.periods import Period

__all__ = [
    "METRICS",
    "DecompositionMethod",
    "KeyResult",
    "MetricDef",
    "MetricUnit",
    "Objective",
    "OkrLayer",
    "OwnerKind",
    "OwnerRef",
    "OwnerSpec",
    "PaceStatus",
    "Pacing",
    "PacingThresholds",
    "TargetStatus",
    "metric",
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


class TargetStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    ACTIVE = "active"
    CLOSED = "closed"


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
