"""Insight vocabulary inside Chanli: the narrow facts the analytics read, the results they
return, churn warnings and their interventions, and the events insight announces. No I/O.

Why narrow fact types: the same calculation runs as a slow, obvious Python reference
(``rules``) and as a set-based Ibis expression (``batch``) over the store, DuckDB or Spark; the
fact dataclasses are exactly the columns both read, so a contract test can feed both the same
generated facts and compare answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "ACTIVE_WARNING_STATUSES",
    "CHURN_FEATURES",
    "FEATURE_LABELS",
    "FUNNEL_STAGES",
    "NO_VALUE",
    "AccountFact",
    "ActivityFact",
    "ChurnFeatures",
    "ChurnRiskRaised",
    "ChurnSnapshot",
    "CohortRow",
    "CompetitorEventDraft",
    "DemandClusterResult",
    "FacetKey",
    "FeedbackFact",
    "FunnelGroup",
    "FunnelStageFigure",
    "InterventionKind",
    "LeadFact",
    "LeakageRow",
    "MarketDraft",
    "OpportunityFact",
    "OrderFact",
    "OwnerForecast",
    "PaymentFact",
    "PenetrationPoint",
    "PersonFact",
    "RenewalFact",
    "RoiRow",
    "SaturationRow",
    "SpendDraft",
    "SpendFact",
    "StageChangeFact",
    "WarningOutcome",
    "WarningStatus",
    "WinRatePoint",
]

NO_VALUE = "(未填写)"  # the group of rows whose grouping column is blank (no region, no lost reason)

# The CRM's open stages in pipeline order, then won: the funnel's rungs (线索获取 → 需求挖掘 → 方案 →
# 商务谈判 → 签约). A deal "reached" a rung when it was ever there or anywhere later.
FUNNEL_STAGES: tuple[str, ...] = ("prospecting", "discovery", "proposal", "negotiation", "won")


# --- facts (exactly the columns the analytics read) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonFact:
    id: int
    team_id: int | None


@dataclass(frozen=True, slots=True)
class AccountFact:
    id: int
    owner_id: int | None
    industry: str | None
    region: str | None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class OrderFact:
    id: int
    account_id: int
    owner_id: int
    opportunity_id: int | None
    signed_on: date
    status: str  # active / cancelled / refunded
    net_amount: Decimal
    payment_due_on: date | None = None
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
    account_id: int | None
    person_id: int
    occurred_on: date


@dataclass(frozen=True, slots=True)
class FeedbackFact:
    id: int
    account_id: int
    received_on: date
    satisfaction: int | None
    is_complaint: bool


@dataclass(frozen=True, slots=True)
class RenewalFact:
    id: int
    account_id: int
    due_on: date
    status: str  # pending / renewed / churned
    amount: Decimal
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class LeadFact:
    id: int
    received_on: date
    source: str | None
    channel: str | None
    status: str
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class OpportunityFact:
    id: int
    owner_id: int | None
    account_id: int | None
    lead_id: int | None
    status: str  # open / won / lost
    stage: str
    amount: Decimal
    created_on: date
    closed_on: date | None
    lost_reason: str | None = None
    deleted: bool = False
    expected_close: date | None = None


@dataclass(frozen=True, slots=True)
class StageChangeFact:
    id: int
    opportunity_id: int
    to_stage: str
    changed_at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class SpendFact:
    id: int
    month: date  # first day of the month the money was spent in
    channel: str
    amount: Decimal


# --- funnel -----------------------------------------------------------------------------------

FacetKey = str  # "all", a person id, a team id, a region name or a month "2025-03", as text


@dataclass(frozen=True, slots=True)
class FunnelStageFigure:
    """One rung: deals that reached it, the share that went on to the next rung, and the
    average days a completed stay in it lasted (None when no stay has ended)."""

    stage: str
    reached: int
    conversion_to_next: Decimal | None  # reached(next) ÷ reached(this); None for won or when reached = 0
    avg_days: Decimal | None
    stays: int  # completed stays the average is taken over


@dataclass(frozen=True, slots=True)
class LeakageRow:
    """Deals lost for one reason: how many and how much pipeline went with them."""

    reason: str
    lost: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FunnelGroup:
    """The funnel of one group (everyone, a rep, a team, a region or a creation month) over the
    deals created in the period.

    ``velocity_per_day`` is the classic sales velocity: open deals × average won amount × win
    rate ÷ average cycle days, i.e. expected won revenue per day at the current pace.
    """

    key: FacetKey
    deals: int
    stages: tuple[FunnelStageFigure, ...]
    open: int
    won: int
    lost: int
    win_rate: Decimal | None  # won ÷ (won + lost)
    won_amount: Decimal
    avg_won_amount: Decimal | None
    avg_cycle_days: Decimal | None  # created → closed, won deals
    velocity_per_day: Decimal | None
    leakage: tuple[LeakageRow, ...]
    lost_at_stage: dict[str, int] = field(default_factory=dict)  # furthest open stage a lost deal reached


@dataclass(frozen=True, slots=True)
class CohortRow:
    """Leads received in one month and what became of them so far."""

    month: str  # 2025-03
    leads: int
    qualified: int  # status qualified or converted
    opportunities: int
    won: int
    won_amount: Decimal


# --- forecast ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerForecast:
    """Won revenue expected for one owner in a period, by both methods, plus what is already won."""

    owner_id: int
    won_to_date: Decimal
    pipeline_weighted: Decimal  # won to date + Σ open amount × stage probability (expected close in period)
    history_based: Decimal  # won to date + learned win rate × chance of closing in time + run-rate
    open_deals: int


# --- market, competitors, marketing -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaturationRow:
    region: str
    industry: str
    customers: int
    addressable: int | None
    penetration: Decimal | None  # customers ÷ addressable


@dataclass(frozen=True, slots=True)
class PenetrationPoint:
    region: str
    month: str
    customers: int  # cumulative customers by the end of the month
    penetration: Decimal | None


@dataclass(frozen=True, slots=True)
class WinRatePoint:
    month: str
    won: int
    lost: int
    lost_to_competitor: int
    win_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class RoiRow:
    """Marketing spend of a lead channel against the won revenue its leads brought in."""

    channel: str
    spend: Decimal
    leads: int
    won_deals: int
    won_revenue: Decimal
    roi: Decimal | None  # (revenue − spend) ÷ spend
    cost_per_lead: Decimal | None


@dataclass(frozen=True, slots=True)
class MarketDraft:
    """Addressable accounts (可触达客户数) of one region and industry, entered or imported."""

    region: str
    industry: str
    addressable_accounts: int
    source: str | None = None


@dataclass(frozen=True, slots=True)
class CompetitorEventDraft:
    competitor: str
    happened_on: date
    kind: str  # price_cut / launch / promotion / poaching / partnership / other
    description: str
    region: str | None = None


@dataclass(frozen=True, slots=True)
class SpendDraft:
    month: date
    channel: str
    amount: Decimal
    campaign: str | None = None
    currency: str = "CNY"


# --- churn ------------------------------------------------------------------------------------

CHURN_FEATURES: tuple[str, ...] = (
    "industry",
    "region",
    "days_to_renewal",
    "renewal_amount",
    "tenure_days",
    "orders_12m",
    "revenue_12m",
    "revenue_prev_12m",
    "revenue_trend",
    "activities_90d",
    "days_since_activity",
    "complaints_90d",
    "complaints_12m",
    "satisfaction_avg",
    "late_payments_12m",
    "overdue_orders",
    "renewals_renewed",
    "renewals_churned",
)


# How a model input reads in a reason, in Chinese and English (``complaints_12m`` → 近12个月投诉).
FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "industry": ("行业", "industry"),
    "region": ("大区", "region"),
    "days_to_renewal": ("距续约天数", "days to renewal"),
    "renewal_amount": ("续约金额", "renewal amount"),
    "tenure_days": ("合作天数", "days as a customer"),
    "orders_12m": ("近12个月订单数", "orders in 12 months"),
    "revenue_12m": ("近12个月成交额", "revenue in 12 months"),
    "revenue_prev_12m": ("上一年成交额", "revenue the 12 months before"),
    "revenue_trend": ("成交额同比", "revenue trend"),
    "activities_90d": ("近90天跟进次数", "activities in 90 days"),
    "days_since_activity": ("距上次跟进天数", "days since last activity"),
    "complaints_90d": ("近90天投诉", "complaints in 90 days"),
    "complaints_12m": ("近12个月投诉", "complaints in 12 months"),
    "satisfaction_avg": ("平均满意度", "average satisfaction"),
    "late_payments_12m": ("近12个月逾期回款", "late payments in 12 months"),
    "overdue_orders": ("逾期未回款订单", "overdue unpaid orders"),
    "renewals_renewed": ("历史续约次数", "renewals renewed"),
    "renewals_churned": ("历史流失次数", "renewals churned"),
    "source": ("线索来源", "lead source"),
    "channel": ("渠道", "channel"),
    "received_on.month": ("进线月份", "month received"),
    "received_on.weekday": ("进线星期", "weekday received"),
}


@dataclass(frozen=True, slots=True)
class ChurnSnapshot:
    """A day to look at accounts from, with its look-back bounds precomputed so set-based
    engines compare dates only (no date arithmetic in SQL)."""

    as_of: date
    horizon_end: date  # renewals due before this day are "in the window"
    d90: date
    d365: date
    d730: date


@dataclass(frozen=True, slots=True)
class ChurnFeatures:
    """What was known about one account on ``as_of`` (facts strictly before it), and — for
    training — whether its renewal due in the window churned."""

    account_id: int
    as_of: date
    renewal_due_on: date
    industry: str | None
    region: str | None
    days_to_renewal: int
    renewal_amount: Decimal
    tenure_days: int | None
    orders_12m: int
    revenue_12m: Decimal
    revenue_prev_12m: Decimal
    revenue_trend: Decimal | None  # (12m − previous 12m) ÷ previous 12m, 4 places
    activities_90d: int
    days_since_activity: int | None
    complaints_90d: int
    complaints_12m: int
    satisfaction_avg: Decimal | None  # 1 place
    late_payments_12m: int
    overdue_orders: int
    renewals_renewed: int
    renewals_churned: int
    churned: bool | None = None  # None when scoring (the outcome is not known yet)

    def model_row(self) -> dict[str, object]:
        """The row handed to the tabular model: features as plain numbers and texts."""
        row: dict[str, object] = {"account_id": str(self.account_id)}
        for name in CHURN_FEATURES:
            value = getattr(self, name)
            row[name] = float(value) if isinstance(value, Decimal) else value
        if self.churned is not None:
            row["churned"] = "1" if self.churned else "0"
        return row


class WarningStatus(StrEnum):
    OPEN = "open"  # raised, nobody acted yet
    IN_PROGRESS = "in_progress"  # the owner logged at least one intervention
    SAVED = "saved"  # the customer stayed (renewed)
    LOST = "lost"  # the customer left


ACTIVE_WARNING_STATUSES = (WarningStatus.OPEN.value, WarningStatus.IN_PROGRESS.value)


class WarningOutcome(StrEnum):
    SAVED = "saved"
    LOST = "lost"


class InterventionKind(StrEnum):
    CALL = "call"  # 电话关怀
    VISIT = "visit"  # 上门拜访
    EXECUTIVE = "executive"  # 高层拜访
    SERVICE_FIX = "service_fix"  # 问题整改
    TRAINING = "training"  # 使用培训
    OFFER = "offer"  # 续约优惠
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ChurnRiskRaised:
    """Event: an account crossed the churn-risk threshold; its owner is told (after commit)."""

    warning_id: int
    account_id: int
    account_name: str
    owner_id: int | None
    probability: float
    reasons: tuple[str, ...]
    renewal_due_on: date | None


@dataclass(frozen=True, slots=True)
class DemandClusterResult:
    """A group of similar customer needs: a name, its top terms and which documents are in it."""

    number: int
    name: str
    terms: tuple[str, ...]
    size: int
    members: tuple[int, ...]  # indexes into the documents clustered
