"""CRM vocabulary: the facts credit and attainment are computed from. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from chanli.core.money import Rounding, quantize

__all__ = [
    "DEFAULT_PROBABILITY",
    "STAGES",
    "AccountDraft",
    "ActivityDraft",
    "ActivityKind",
    "CallRecordDraft",
    "ContactDraft",
    "FeedbackDraft",
    "Grade",
    "LeadDraft",
    "LeadStatus",
    "LifecycleStatus",
    "OpportunityDraft",
    "OpportunityStatus",
    "OrderDraft",
    "OrderLineDraft",
    "OrderStatus",
    "PaymentDraft",
    "ProductDraft",
    "RenewalDraft",
    "Stage",
    "line_net_amount",
]


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class LifecycleStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    AT_RISK = "at_risk"
    CHURNED = "churned"


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


class Stage(StrEnum):
    """Default pipeline (线索获取 → 需求挖掘 → 方案 → 商务谈判 → 签约). Configurable per team later."""

    PROSPECTING = "prospecting"
    DISCOVERY = "discovery"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


STAGES: tuple[Stage, ...] = (Stage.PROSPECTING, Stage.DISCOVERY, Stage.PROPOSAL, Stage.NEGOTIATION)
DEFAULT_PROBABILITY = {
    Stage.PROSPECTING: Decimal("0.10"),
    Stage.DISCOVERY: Decimal("0.25"),
    Stage.PROPOSAL: Decimal("0.50"),
    Stage.NEGOTIATION: Decimal("0.75"),
    Stage.WON: Decimal("1"),
    Stage.LOST: Decimal("0"),
}


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class OrderStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class ActivityKind(StrEnum):
    VISIT = "visit"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    DEMO = "demo"


def line_net_amount(quantity: Decimal, list_price: Decimal, discount_rate: Decimal, currency: str = "CNY") -> Decimal:
    """Net amount of an order line, rounded half-up to the fen — the one named rounding point
    for order amounts; the order total is the sum of its rounded lines."""
    if not Decimal(0) <= discount_rate <= Decimal(1):
        raise ValueError(f"discount rate {discount_rate} must be between 0 and 1")
    if quantity < 0 or list_price < 0:
        raise ValueError("quantity and list price must not be negative")
    return quantize(quantity * list_price * (Decimal(1) - discount_rate), currency, Rounding.HALF_UP)


# --- drafts: what services accept to create or update (upsert by ``external_id``) ----------
# Field names equal column names so one generic upsert serves every entity.


@dataclass(frozen=True, slots=True)
class ProductDraft:
    name: str
    series: str | None = None
    list_price: Decimal = Decimal(0)
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountDraft:
    name: str
    industry: str | None = None
    region: str | None = None
    province: str | None = None
    grade: str | None = None
    lifecycle_status: str = LifecycleStatus.PROSPECT.value
    owner_id: int | None = None
    employees: int | None = None
    annual_revenue: Decimal | None = None
    year_established: int | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactDraft:
    account_id: int
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    is_decision_maker: bool = False
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class LeadDraft:
    company_name: str
    received_at: datetime
    source: str | None = None
    channel: str | None = None
    industry: str | None = None
    region: str | None = None
    province: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    status: str = LeadStatus.NEW.value
    owner_id: int | None = None
    first_contacted_at: datetime | None = None
    score: Decimal | None = None
    account_id: int | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class OpportunityDraft:
    name: str
    created_on: date
    owner_id: int | None = None
    account_id: int | None = None
    product_id: int | None = None
    lead_id: int | None = None
    stage: str = Stage.PROSPECTING.value
    status: str = OpportunityStatus.OPEN.value
    amount: Decimal = Decimal(0)
    currency: str = "CNY"
    probability: Decimal = Decimal("0.1")
    expected_close: date | None = None
    engaged_on: date | None = None
    closed_on: date | None = None
    lost_reason: str | None = None
    notes: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityDraft:
    kind: str
    person_id: int
    started_at: datetime
    duration_min: int = 0
    account_id: int | None = None
    opportunity_id: int | None = None
    lead_id: int | None = None
    outcome: str | None = None
    notes: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLineDraft:
    quantity: Decimal
    list_price: Decimal
    discount_rate: Decimal = Decimal(0)
    product_id: int | None = None


@dataclass(frozen=True, slots=True)
class OrderDraft:
    account_id: int
    owner_id: int
    signed_on: date
    lines: tuple[OrderLineDraft, ...]
    status: str = OrderStatus.ACTIVE.value
    cancelled_on: date | None = None
    opportunity_id: int | None = None
    currency: str = "CNY"
    is_renewal: bool = False
    payment_due_on: date | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentDraft:
    order_id: int
    amount: Decimal
    received_on: date
    method: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class RenewalDraft:
    account_id: int
    due_on: date
    status: str = "pending"
    amount: Decimal = Decimal(0)
    original_order_id: int | None = None
    renewal_order_id: int | None = None


@dataclass(frozen=True, slots=True)
class FeedbackDraft:
    account_id: int
    received_on: date
    satisfaction: int | None = None
    is_complaint: bool = False
    category: str | None = None
    text: str | None = None
    person_id: int | None = None


@dataclass(frozen=True, slots=True)
class CallRecordDraft:
    person_id: int
    started_at: datetime
    duration_s: int = 0
    direction: str = "outbound"
    transcript: str | None = None
    account_id: int | None = None
    opportunity_id: int | None = None
    external_id: str | None = None
