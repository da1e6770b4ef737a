"""Compensation values: plans and their components, the facts a run reads, and the statements it
writes. Plain frozen dataclasses and enums, no I/O.

Why component parameters live here as dataclasses: a plan is declarative data (YAML or JSON) that
``plans`` validates straight into these classes, and the calculation rules (``rules``) read them.
Each parameter class knows its own semantic problems (``problems()``: unordered tiers, negative
rates…) as ``(key path, message)`` pairs, so a new component kind brings its validation with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from chanli.core.issues import Issue
from chanli.core.money import CNY
from chanli.core.periods import Period

__all__ = [
    "ADJUSTMENT_KINDS",
    "ATTAINMENT_PLACES",
    "DELIVERY_WEIGHT_MIN",
    "MENTOR_RATE_MAX",
    "MENTOR_RATE_MIN",
    "RATE_PLACES",
    "Adjustment",
    "BaseSalaryParams",
    "BonusParams",
    "CapParams",
    "ClawbackParams",
    "ClvFact",
    "ClvPoolParams",
    "CollectionBand",
    "CollectionRate",
    "Component",
    "ComponentParams",
    "CreditBasis",
    "CreditFact",
    "CreditNote",
    "CreditScope",
    "Crediting",
    "CurvePoint",
    "DeliveryScore",
    "Draw",
    "DrawParams",
    "DualAssessmentParams",
    "Eligibility",
    "ExchangeRate",
    "FloorParams",
    "LightningAward",
    "LightningParams",
    "ManagerOverrideParams",
    "MentorOverrideParams",
    "Mentorship",
    "OrderFact",
    "OrderStatus",
    "PaidLine",
    "PaymentFact",
    "Person",
    "Plan",
    "PlanVersion",
    "PriorPayout",
    "Problem",
    "ProductRate",
    "ProductRatesParams",
    "ProjectMember",
    "Quota",
    "RankingMetric",
    "RevenueRateParams",
    "RoleWeight",
    "RunInputs",
    "RunResult",
    "SpecialAwardParams",
    "Split",
    "Statement",
    "StatementLine",
    "TeamPoolParams",
    "TieRule",
    "Tier",
    "TierAmount",
    "TieredCommissionParams",
]

ZERO = Decimal(0)
ONE = Decimal(1)

MENTOR_RATE_MIN = Decimal("0.05")
MENTOR_RATE_MAX = Decimal("0.10")
DELIVERY_WEIGHT_MIN = Decimal("0.30")
# Rates carry at most 6 decimal places (0.0001 %) and attainment band edges at most 4 (0.01 %):
# enough for any real plan, and what keeps the set-based engine exact in 64-bit integers.
RATE_PLACES = 6
ATTAINMENT_PLACES = 4

Problem = tuple[str, str]  # (key path relative to the component, message)


# --- small helpers for validation messages ------------------------------------------------


def _pct(value: Decimal) -> str:
    text = format((value * 100).normalize(), "f")
    return f"{text}%"


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _non_negative(value: Decimal | None, path: str) -> list[Problem]:
    if value is not None and value < 0:
        return [(path, "must not be negative")]
    return []


def _rate(value: Decimal | None, path: str) -> list[Problem]:
    out = _non_negative(value, path)
    if value is not None and _places(value.normalize()) > RATE_PLACES:
        out.append((path, f"at most {RATE_PLACES} decimal places (0.0001%)"))
    return out


def _bands(items: Sequence[Any], path: str, *, places: int | None = None) -> list[Problem]:
    """Bands ``[lower, upper)`` must be ordered, touch end to end (no overlap, no gap), and only
    the last may be open-ended: an overlap pays a slice twice, a gap silently pays nothing."""
    out: list[Problem] = []
    for i, band in enumerate(items):
        here = f"{path}[{i}]"
        out += _non_negative(band.lower, f"{here}.lower")
        if band.upper is not None and band.upper <= band.lower:
            out.append((f"{here}.upper", f"must be above lower ({_pct(band.upper)} ≤ {_pct(band.lower)})"))
        if band.upper is None and i != len(items) - 1:
            out.append((f"{here}.upper", "only the last band may be open-ended"))
        if places is not None:
            for name in ("lower", "upper"):
                v = getattr(band, name)
                if v is not None and _places(v.normalize()) > places:
                    out.append((f"{here}.{name}", f"at most {places} decimal places"))
        if i > 0:
            prev = items[i - 1]
            if band.lower < prev.lower:
                out.append((f"{here}.lower", "bands must be in ascending order"))
            elif prev.upper is not None and band.lower < prev.upper:
                out.append(
                    (
                        f"{here}.lower",
                        (
                            f"overlaps the previous band (starts at {_pct(band.lower)}, "
                            f"before it ends at {_pct(prev.upper)})"
                        ),
                    )
                )
            elif prev.upper is not None and band.lower > prev.upper:
                out.append((f"{here}.lower", f"leaves a gap after the previous band ({_pct(prev.upper)})"))
    return out


def _amounts(amount: Decimal | None, by_tier: Sequence[TierAmount], path: str) -> list[Problem]:
    out = _non_negative(amount, path)
    seen: set[str] = set()
    for i, t in enumerate(by_tier):
        out += _non_negative(t.amount, f"{path}_by_tier[{i}].amount")
        if t.tier in seen:
            out.append((f"{path}_by_tier[{i}].tier", f"tier {t.tier!r} listed twice"))
        seen.add(t.tier)
    return out


def tier_amount(amount: Decimal | None, by_tier: Sequence[TierAmount], tier: str) -> Decimal | None:
    """The amount for a person's tier: the tier's own entry wins, else the plain amount."""
    for t in by_tier:
        if t.tier == tier:
            return t.amount
    return amount


class ComponentParams(Protocol):
    """What every component kind's parameter class offers: its own semantic checks."""

    def problems(self) -> list[Problem]: ...


# --- crediting -------------------------------------------------------------------------


class CreditBasis(StrEnum):
    """When an order earns credit: when it is signed (booking) or as its cash arrives
    (collection). Chosen per component, so a plan can pay commission on cash and measure the
    bonus on bookings."""

    BOOKING = "booking"
    COLLECTION = "collection"


class CreditScope(StrEnum):
    """Whose credit counts for a person: their own, or their own plus everyone below them in
    the manager tree (team roll-up to managers)."""

    OWN = "own"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class Crediting:
    basis: CreditBasis = CreditBasis.BOOKING
    scope: CreditScope = CreditScope.OWN


# --- component parameters ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierAmount:
    tier: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BaseSalaryParams:
    """Monthly base salary, from the person's record unless the plan sets one by tier."""

    monthly_by_tier: tuple[TierAmount, ...] = ()

    def problems(self) -> list[Problem]:
        return _amounts(None, self.monthly_by_tier, "monthly")


@dataclass(frozen=True, slots=True)
class CurvePoint:
    attainment: Decimal
    payout: Decimal


@dataclass(frozen=True, slots=True)
class CollectionBand:
    """Collection rate (回款率) in ``[lower, upper)`` multiplies the bonus by ``factor``."""

    lower: Decimal
    factor: Decimal
    upper: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BonusParams:
    """Target bonus × payout curve of attainment, gated or multiplied by the collection rate.

    The curve is piecewise linear through ``curve`` points; below the first point nothing is
    paid (the floor), above the last it stays flat, and ``cap`` bounds the payout factor.
    """

    quota: str | None = None
    target_bonus: Decimal | None = None
    target_bonus_by_tier: tuple[TierAmount, ...] = ()
    curve: tuple[CurvePoint, ...] = ()
    cap: Decimal | None = None
    crediting: Crediting = Crediting()
    collection_gate: Decimal | None = None
    collection_bands: tuple[CollectionBand, ...] = ()

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.quota:
            out.append(("quota", "a performance bonus needs a quota (the target metric attainment is measured on)"))
        if self.target_bonus is None and not self.target_bonus_by_tier:
            out.append(("target_bonus", "a performance bonus needs a target bonus (or target_bonus_by_tier)"))
        out += _amounts(self.target_bonus, self.target_bonus_by_tier, "target_bonus")
        if not self.curve:
            out.append(("curve", "needs at least one point (attainment → payout)"))
        for i, p in enumerate(self.curve):
            out += _non_negative(p.attainment, f"curve[{i}].attainment")
            out += _non_negative(p.payout, f"curve[{i}].payout")
            if i > 0 and p.attainment <= self.curve[i - 1].attainment:
                out.append((f"curve[{i}].attainment", "curve points must have strictly increasing attainment"))
        out += _non_negative(self.cap, "cap")
        out += _non_negative(self.collection_gate, "collection_gate")
        out += _bands(self.collection_bands, "collection_bands")
        for i, b in enumerate(self.collection_bands):
            out += _non_negative(b.factor, f"collection_bands[{i}].factor")
        return out


@dataclass(frozen=True, slots=True)
class Tier:
    """An accelerator tier (阶梯提成): the slice of credited revenue whose attainment lies in
    ``[lower, upper)`` earns ``rate``. ``lower``/``upper`` are attainment (1 = 100% of quota)."""

    lower: Decimal
    rate: Decimal
    upper: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TieredCommissionParams:
    """Marginal tiers on the period total: each band's rate applies only to its slice."""

    quota: str | None = None
    tiers: tuple[Tier, ...] = ()
    crediting: Crediting = Crediting()

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.quota:
            out.append(("quota", "tiered commission needs a quota (tiers are bands of attainment)"))
        if not self.tiers:
            out.append(("tiers", "needs at least one tier"))
        out += _bands(self.tiers, "tiers", places=ATTAINMENT_PLACES)
        for i, t in enumerate(self.tiers):
            out += _rate(t.rate, f"tiers[{i}].rate")
        return out


@dataclass(frozen=True, slots=True)
class RevenueRateParams:
    """A plain rate on credited revenue, optionally only for some products."""

    rate: Decimal
    crediting: Crediting = Crediting()
    products: tuple[str, ...] = ()

    def problems(self) -> list[Problem]:
        return _rate(self.rate, "rate")


@dataclass(frozen=True, slots=True)
class ProductRate:
    product: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class ProductRatesParams:
    """A rate per product on credited revenue; ``default_rate`` for products not listed."""

    rates: tuple[ProductRate, ...] = ()
    default_rate: Decimal | None = None
    crediting: Crediting = Crediting()

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.rates and self.default_rate is None:
            out.append(("rates", "needs at least one product rate or a default_rate"))
        seen: set[str] = set()
        for i, r in enumerate(self.rates):
            out += _rate(r.rate, f"rates[{i}].rate")
            if r.product in seen:
                out.append((f"rates[{i}].product", f"product {r.product!r} listed twice"))
            seen.add(r.product)
        out += _rate(self.default_rate, "default_rate")
        return out


class RankingMetric(StrEnum):
    FASTEST_DEAL = "fastest_deal"  # shortest lead → signed cycle, in days (lower wins)
    HIGHEST_ORDER_VALUE = "highest_order_value"  # largest single order, company currency
    MOST_NEW_CUSTOMERS = "most_new_customers"  # distinct new customers signed


class TieRule(StrEnum):
    """What tied people get (documented in docs.md, tested one by one).

    - ``share``: the tied people share the prizes of the places they occupy, equally.
    - ``full``: each tied person gets the prize of the best place they tie for.
    - ``earliest``: whoever reached the value first wins the tie (then the lower person id).
    """

    SHARE = "share"
    FULL = "full"
    EARLIEST = "earliest"


@dataclass(frozen=True, slots=True)
class SpecialAwardParams:
    metric: RankingMetric
    prizes: tuple[Decimal, ...] = ()  # prizes[0] for first place, …: top-N = len(prizes)
    ties: TieRule = TieRule.SHARE

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.prizes:
            out.append(("prizes", "needs at least one prize"))
        for i, p in enumerate(self.prizes):
            out += _non_negative(p, f"prizes[{i}]")
        return out


@dataclass(frozen=True, slots=True)
class LightningParams:
    budget_per_manager: Decimal | None = None

    def problems(self) -> list[Problem]:
        return _non_negative(self.budget_per_manager, "budget_per_manager")


@dataclass(frozen=True, slots=True)
class ClvPoolParams:
    rate: Decimal

    def problems(self) -> list[Problem]:
        return _rate(self.rate, "rate")


@dataclass(frozen=True, slots=True)
class MentorOverrideParams:
    """The mentor earns a share of the apprentice's commission from the ``of`` components.
    ``rate`` overrides every agreement's own rate when set (and must then be 5–10%)."""

    of: tuple[str, ...] = ()
    rate: Decimal | None = None

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.of:
            out.append(("of", "name the commission components the override is a share of"))
        if self.rate is not None and not MENTOR_RATE_MIN <= self.rate <= MENTOR_RATE_MAX:
            out.append(("rate", f"mentor override rate {_pct(self.rate)} is outside 5–10%"))
        return out


@dataclass(frozen=True, slots=True)
class RoleWeight:
    role: str
    weight: Decimal


@dataclass(frozen=True, slots=True)
class TeamPoolParams:
    """Iron triangle (铁三角): ``rate`` × project value, split by role weight among members."""

    rate: Decimal
    role_weights: tuple[RoleWeight, ...] = (
        RoleWeight("sales", Decimal("0.5")),
        RoleWeight("solution", Decimal("0.3")),
        RoleWeight("service", Decimal("0.2")),
    )

    def problems(self) -> list[Problem]:
        out = _rate(self.rate, "rate")
        seen: set[str] = set()
        for i, w in enumerate(self.role_weights):
            out += _non_negative(w.weight, f"role_weights[{i}].weight")
            if w.role in seen:
                out.append((f"role_weights[{i}].role", f"role {w.role!r} listed twice"))
            seen.add(w.role)
        total = sum((w.weight for w in self.role_weights), ZERO)
        if self.role_weights and total != ONE:
            out.append(("role_weights", f"role weights must sum to 100% (they sum to {_pct(total)})"))
        return out


@dataclass(frozen=True, slots=True)
class DualAssessmentParams:
    """Performance + delivery (业绩 + 交付 双考核): multiplier on the ``applies_to`` lines.

    composite = (1 − delivery_weight) × sales score + delivery_weight × delivery score, on
    0–100; multiplier = composite ÷ 100, clamped to ``[min_multiplier, max_multiplier]``.
    """

    applies_to: tuple[str, ...] = ()
    quota: str | None = None
    crediting: Crediting = Crediting()
    delivery_weight: Decimal = Decimal("0.3")
    sales_score_cap: Decimal = Decimal(120)
    satisfaction_weight: Decimal = Decimal("0.5")
    complaint_weight: Decimal = Decimal("0.3")
    cycle_weight: Decimal = Decimal("0.2")
    complaint_ceiling: Decimal = Decimal("0.10")
    cycle_target_days: Decimal = Decimal(30)
    cycle_max_days: Decimal = Decimal(90)
    min_multiplier: Decimal = Decimal("0.5")
    max_multiplier: Decimal = Decimal("1.2")

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.applies_to:
            out.append(("applies_to", "name the components the multiplier applies to"))
        if not self.quota:
            out.append(("quota", "the sales score needs a quota (attainment is measured on it)"))
        if self.delivery_weight < DELIVERY_WEIGHT_MIN:
            out.append(("delivery_weight", f"must be at least 30% (got {_pct(self.delivery_weight)})"))
        if self.delivery_weight > ONE:
            out.append(("delivery_weight", "must be at most 100%"))
        for name in ("satisfaction_weight", "complaint_weight", "cycle_weight", "sales_score_cap"):
            out += _non_negative(getattr(self, name), name)
        total = self.satisfaction_weight + self.complaint_weight + self.cycle_weight
        if total != ONE:
            out.append(("satisfaction_weight", f"delivery sub-weights must sum to 100% (they sum to {_pct(total)})"))
        if self.complaint_ceiling <= 0:
            out.append(("complaint_ceiling", "must be above zero"))
        if self.cycle_max_days <= self.cycle_target_days:
            out.append(("cycle_max_days", "must be above cycle_target_days"))
        out += _non_negative(self.min_multiplier, "min_multiplier")
        if self.max_multiplier < self.min_multiplier:
            out.append(("max_multiplier", "must not be below min_multiplier"))
        return out


@dataclass(frozen=True, slots=True)
class CapParams:
    """Caps the sum of the ``applies_to`` lines with a visible negative adjustment line."""

    applies_to: tuple[str, ...] = ()
    amount: Decimal | None = None
    amount_by_tier: tuple[TierAmount, ...] = ()

    def problems(self) -> list[Problem]:
        out = _amounts(self.amount, self.amount_by_tier, "amount")
        if not self.applies_to:
            out.append(("applies_to", "name the components the cap applies to"))
        if self.amount is None and not self.amount_by_tier:
            out.append(("amount", "needs an amount (or amount_by_tier)"))
        return out


@dataclass(frozen=True, slots=True)
class FloorParams:
    """Tops the sum of the ``applies_to`` lines up to a guaranteed amount (保底)."""

    applies_to: tuple[str, ...] = ()
    amount: Decimal | None = None
    amount_by_tier: tuple[TierAmount, ...] = ()

    def problems(self) -> list[Problem]:
        out = _amounts(self.amount, self.amount_by_tier, "amount")
        if not self.applies_to:
            out.append(("applies_to", "name the components the floor applies to"))
        if self.amount is None and not self.amount_by_tier:
            out.append(("amount", "needs an amount (or amount_by_tier)"))
        return out


@dataclass(frozen=True, slots=True)
class DrawParams:
    """Draws against the ``applies_to`` earnings; the agreements themselves are run inputs.
    ``recovery_share`` is the most of the earnings above the draw withheld to recover it."""

    applies_to: tuple[str, ...] = ()
    recovery_share: Decimal = ONE

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.applies_to:
            out.append(("applies_to", "name the components the draw is measured against"))
        if not ZERO <= self.recovery_share <= ONE:
            out.append(("recovery_share", "must be between 0% and 100%"))
        return out


@dataclass(frozen=True, slots=True)
class ManagerOverrideParams:
    """A manager earns ``rate`` × the credit of the people below them (not their own)."""

    rate: Decimal
    basis: CreditBasis = CreditBasis.BOOKING
    depth: str = "subtree"  # "direct" reports only, or the whole "subtree"

    def problems(self) -> list[Problem]:
        out = _rate(self.rate, "rate")
        if self.depth not in ("direct", "subtree"):
            out.append(("depth", "must be 'direct' or 'subtree'"))
        return out


@dataclass(frozen=True, slots=True)
class ClawbackParams:
    """Reverses what was paid on orders cancelled, refunded, credited (credit notes) or, with
    ``uncollected_days``, not collected within that many days of signing."""

    uncollected_days: int | None = None
    share: Decimal = ONE

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if self.uncollected_days is not None and self.uncollected_days < 0:
            out.append(("uncollected_days", "must not be negative"))
        if not ZERO <= self.share <= ONE:
            out.append(("share", "must be between 0% and 100%"))
        return out


# --- plans -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Component:
    """One item of a plan: ``kind`` names a registered calculation, ``params`` its settings."""

    id: str
    kind: str
    params: Any
    label: str = ""


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who a plan version covers: anyone matching any listed tier, team or person (nothing
    listed = everyone in the run)."""

    tiers: tuple[str, ...] = ()
    teams: tuple[int, ...] = ()
    people: tuple[int, ...] = ()

    def covers(self, person: Person) -> bool:
        if not (self.tiers or self.teams or self.people):
            return True
        return person.tier in self.tiers or person.team_id in self.teams or person.id in self.people


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """A plan as of one version, effective over ``[effective_from, effective_to)``. Editing a
    plan makes a new version; runs record the version they used."""

    plan: Plan
    version: int
    effective_from: date
    components: tuple[Component, ...]
    effective_to: date | None = None
    currency: str = CNY
    eligibility: Eligibility = Eligibility()

    def component(self, component_id: str) -> Component:
        for c in self.components:
            if c.id == component_id:
                return c
        raise KeyError(component_id)


# --- facts a run reads -------------------------------------------------------------------


class OrderStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Person:
    """A person as the run sees them. ``leave_date`` is the last day employed (离职日期), so the
    employment span is ``[hire_date, leave_date + 1 day)``."""

    id: int
    name: str = ""
    tier: str = "core"
    team_id: int | None = None
    manager_id: int | None = None
    hire_date: date | None = None
    leave_date: date | None = None
    base_salary: Decimal = ZERO  # monthly

    def employed_days(self, period: Period) -> int:
        return self.employed_between(period.start, period.end)

    def employed_between(self, start: date, end: date) -> int:
        """Days employed in ``[start, end)``."""
        lo = max(start, self.hire_date) if self.hire_date else start
        hi = min(end, self.leave_date + timedelta(days=1)) if self.leave_date else end
        return max((hi - lo).days, 0)


@dataclass(frozen=True, slots=True)
class Split:
    """A share of an order's credit (0–1). An order's splits must sum to 100%."""

    person_id: int
    share: Decimal


@dataclass(frozen=True, slots=True)
class ProjectMember:
    person_id: int
    role: str  # sales / solution / service


@dataclass(frozen=True, slots=True)
class OrderFact:
    """An order (订单) as a credit fact. ``net_amount`` is in ``currency``; ``status_on`` is the day
    it was cancelled or refunded. With no ``splits`` the owner gets all the credit."""

    id: int
    owner_id: int
    signed_on: date
    net_amount: Decimal
    currency: str = CNY
    status: OrderStatus = OrderStatus.ACTIVE
    status_on: date | None = None
    product: str | None = None
    account_id: int | None = None
    lead_on: date | None = None  # when the lead came in, for the fastest-deal award
    new_customer: bool = False  # first order of a new account
    splits: tuple[Split, ...] = ()
    members: tuple[ProjectMember, ...] = ()  # iron-triangle project team

    def reversed_by(self, end: date) -> bool:
        """Cancelled or refunded before ``end`` (a period's exclusive end)."""
        return self.status is not OrderStatus.ACTIVE and (self.status_on is None or self.status_on < end)


@dataclass(frozen=True, slots=True)
class PaymentFact:
    id: int
    order_id: int
    amount: Decimal  # in the order's currency
    received_on: date


@dataclass(frozen=True, slots=True)
class CreditNote:
    """A credit note (红冲) reducing an order's net amount, in the order's currency."""

    id: int
    order_id: int
    amount: Decimal
    issued_on: date


@dataclass(frozen=True, slots=True)
class Quota:
    """A person's quota for the run's period on a metric (from an approved target)."""

    person_id: int
    metric: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CollectionRate:
    person_id: int
    rate: Decimal  # collected ÷ due, 0–1


@dataclass(frozen=True, slots=True)
class Mentorship:
    """A 师徒协议 over ``[start, end)`` with the override rate of the agreement."""

    mentor_id: int
    apprentice_id: int
    start: date
    end: date | None
    rate: Decimal


@dataclass(frozen=True, slots=True)
class ClvFact:
    """Per owner: renewal/repurchase revenue of the period and the lifetime value retained from
    their customers (both in company currency)."""

    person_id: int
    renewal_revenue: Decimal
    retained_value: Decimal


@dataclass(frozen=True, slots=True)
class LightningAward:
    """A 闪电奖 granted by a manager; paid by the first run after approval. The caller passes
    only awards not yet paid."""

    id: int
    person_id: int
    granted_by: int
    amount: Decimal
    reason: str = ""
    approved: bool = True
    approved_on: date | None = None


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """One unit of ``currency`` in company currency, for the run's period."""

    currency: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class DeliveryScore:
    person_id: int
    satisfaction: Decimal  # 0–100
    complaint_rate: Decimal  # 0–1
    collection_cycle_days: Decimal


@dataclass(frozen=True, slots=True)
class Draw:
    """A draw agreement over ``[start, end)``: ``amount`` per full period; ``outstanding`` is the
    recoverable balance carried into this run."""

    person_id: int
    amount: Decimal
    recoverable: bool
    start: date
    end: date | None = None
    outstanding: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PriorPayout:
    """What earlier runs paid a person attributed to one order (``paid``), and how much of it
    was already clawed back. Clawbacks are computed against these, so re-runs never claw twice."""

    order_id: int
    person_id: int
    paid: Decimal
    clawed_back: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class RunInputs:
    """Everything one run reads, as plain values. The same inputs give the same statements."""

    period: Period
    people: tuple[Person, ...] = ()
    quotas: tuple[Quota, ...] = ()
    orders: tuple[OrderFact, ...] = ()
    payments: tuple[PaymentFact, ...] = ()
    credit_notes: tuple[CreditNote, ...] = ()
    collection_rates: tuple[CollectionRate, ...] = ()
    mentorships: tuple[Mentorship, ...] = ()
    clv: tuple[ClvFact, ...] = ()
    lightning_awards: tuple[LightningAward, ...] = ()
    exchange_rates: tuple[ExchangeRate, ...] = ()
    delivery_scores: tuple[DeliveryScore, ...] = ()
    draws: tuple[Draw, ...] = ()
    prior_payouts: tuple[PriorPayout, ...] = ()


# --- what a run writes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditFact:
    """A share of an order credited to a person (业绩归属), in company currency, exact to the fen."""

    person_id: int
    order_id: int
    source: str  # "order:17" (booking) or "payment:5" (collection)
    amount: Decimal
    basis: CreditBasis
    on: date
    product: str | None
    owner_id: int


Value = Decimal | int | str


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One explained line of a statement.

    ``formula`` says in words (Chinese first) how the amount came about; ``inputs`` hold the
    figures it used; ``sources`` the facts it rests on; ``attribution`` splits ``amount`` over
    orders (summing exactly to it) so a later clawback knows what was paid on each order.
    """

    person_id: int
    component_id: str
    kind: str
    label: str
    amount: Decimal
    formula: str
    inputs: tuple[tuple[str, Value], ...] = ()
    sources: tuple[str, ...] = ()
    attribution: tuple[tuple[int, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    """A person's 薪酬明细单 for a period. ``total`` is the sum of the already-rounded lines."""

    person_id: int
    period: str
    plan_id: str
    plan_version: int
    lines: tuple[StatementLine, ...]
    total: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum((line.amount for line in self.lines), Decimal("0.00")))

    def by_component(self, component_id: str) -> tuple[StatementLine, ...]:
        return tuple(line for line in self.lines if line.component_id == component_id)

    def amount_of(self, component_id: str) -> Decimal:
        return sum((line.amount for line in self.by_component(component_id)), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class RunResult:
    statements: tuple[Statement, ...]
    issues: tuple[Issue, ...]
    fingerprint: str

    def statement(self, person_id: int) -> Statement | None:
        for s in self.statements:
            if s.person_id == person_id:
                return s
        return None

    def statements_by_person(self) -> dict[int, Statement]:
        return {s.person_id: s for s in self.statements}


# --- what the service adds after the engine ------------------------------------------------

ADJUSTMENT_KINDS = ("retro_adjustment", "dispute_adjustment")


@dataclass(frozen=True, slots=True)
class PaidLine:
    """A line already paid by an approved run (or a retro adjustment of one), as the retro
    recalculation compares against it."""

    line_id: int
    person_id: int
    component_id: str
    kind: str
    label: str
    amount: Decimal
    attribution: tuple[tuple[int, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A line the run adds after the engine: a retro adjustment of a locked period
    (``adjusts_period``) or an accepted dispute. ``refs`` are the ids of the original lines it
    refers to; a locked period itself is never rewritten."""

    line: StatementLine
    refs: tuple[int, ...] = ()
    adjusts_period: str | None = None
