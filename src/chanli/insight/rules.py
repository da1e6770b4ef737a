"""Pure insight rules, and the slow, obvious references of every set-based calculation.

Two kinds of function live here, neither reads the database, the clock or settings:

- **rules** people act on: which scored accounts become churn warnings, the save rate, the
  forecast per owner (on top of ``ml.forecast``), the parsing of entered/imported market,
  competitor and spend rows (every problem an ``Issue`` with its row and column);
- **references** (``reference_*``): each analytics figure computed row by row over plain fact
  values, exactly as ``batch`` computes it set-based in Ibis. They are the executable
  specification: a contract test feeds both the same generated facts on SQLite, PostgreSQL
  and DuckDB and asserts equal answers. The final step of each — turning aggregated counts
  and sums into rounded figures — is shared (``*_from_aggregates``), so the only thing the
  two implementations can disagree on is the aggregation itself, which is what is tested.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from chanli.core.issues import Issues, Result
from chanli.core.money import ZERO, quantize
from chanli.core.periods import FiscalCalendar, Period
from chanli.insight.ml.errors import InsightInputError
from chanli.insight.ml.forecast import Opportunity, history_forecast, learn_history, pipeline_weighted_forecast
from chanli.insight.model import (
    FUNNEL_STAGES,
    NO_VALUE,
    AccountFact,
    ActivityFact,
    ChurnFeatures,
    ChurnSnapshot,
    CohortRow,
    CompetitorEventDraft,
    FeedbackFact,
    FunnelGroup,
    FunnelStageFigure,
    LeadFact,
    LeakageRow,
    MarketDraft,
    OpportunityFact,
    OrderFact,
    OwnerForecast,
    PaymentFact,
    PenetrationPoint,
    PersonFact,
    RenewalFact,
    RoiRow,
    SaturationRow,
    SpendDraft,
    SpendFact,
    StageChangeFact,
    WinRatePoint,
)

__all__ = [
    "COMPETITOR_WORDS",
    "EVENT_KINDS",
    "FUNNEL_FACETS",
    "QUALIFIED_STATUSES",
    "churn_features_from_aggregates",
    "churn_snapshot",
    "cohorts_from_aggregates",
    "funnel_from_aggregates",
    "month_key",
    "monthly_snapshots",
    "months_between",
    "owner_forecasts",
    "parse_competitor_events",
    "parse_markets",
    "parse_spend",
    "penetration_from_aggregates",
    "rate",
    "read_csv_bytes",
    "reference_churn_features",
    "reference_cohorts",
    "reference_funnel",
    "reference_penetration",
    "reference_roi",
    "reference_saturation",
    "reference_win_rates",
    "roi_from_aggregates",
    "saturation_from_aggregates",
    "save_rate",
    "warning_decisions",
    "win_rates_from_aggregates",
]

FUNNEL_FACETS = ("all", "rep", "team", "region", "month")
QUALIFIED_STATUSES = ("qualified", "converted")
# Lost reasons that mean "a competitor took it" (the demo's 选择竞品, and common spellings).
COMPETITOR_WORDS: tuple[str, ...] = ("竞品", "竞争对手", "友商")
EVENT_KINDS = ("price_cut", "launch", "promotion", "poaching", "partnership", "other")

_RATE = Decimal("0.0001")
_DAYS = Decimal("0.1")
_SECONDS_PER_DAY = Decimal(86400)


def rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part ÷ whole`` to four places (half up), or None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_RATE, ROUND_HALF_UP)


def _money(value: Any) -> Decimal:
    """A summed amount as exact cents: the store may hand back a float (SQLite REAL) or None."""
    if value is None:
        return quantize(ZERO)
    return quantize(value if isinstance(value, Decimal) else Decimal(str(value)))


def _count(value: Any) -> int:
    return int(value or 0)


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def months_between(start: date, end: date) -> list[str]:
    """Every month touching ``[start, end)`` as ``YYYY-MM``."""
    out = []
    y, m = start.year, start.month
    while date(y, m, 1) < end:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# === churn =====================================================================================


def churn_snapshot(as_of: date, horizon_days: int = 90) -> ChurnSnapshot:
    """Look-back bounds of ``as_of``: 90 days, 12 months and 24 months before it."""
    if horizon_days < 1:
        raise InsightInputError(f"the churn horizon must be at least one day, got {horizon_days}")
    return ChurnSnapshot(
        as_of=as_of,
        horizon_end=as_of + timedelta(days=horizon_days),
        d90=as_of - timedelta(days=90),
        d365=as_of - timedelta(days=365),
        d730=as_of - timedelta(days=730),
    )


def monthly_snapshots(first: date, last: date, horizon_days: int = 90) -> list[ChurnSnapshot]:
    """A snapshot on the first day of every month from ``first``'s month while before ``last``."""
    out = []
    y, m = first.year, first.month
    while date(y, m, 1) < last:
        out.append(churn_snapshot(date(y, m, 1), horizon_days))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def churn_features_from_aggregates(agg: Mapping[str, Any]) -> ChurnFeatures:
    """One account's features from its aggregated facts (shared by reference and batch).

    ``agg`` holds: account_id, as_of, due_on, renewal_amount, churned (0/1 or None), industry,
    region, first_order_on, orders_12m, revenue_12m, revenue_prev_12m, activities_90d,
    last_activity_on, complaints_90d, complaints_12m, satisfaction_sum, satisfaction_n,
    late_payments_12m, overdue_orders, renewals_renewed, renewals_churned.
    """
    as_of: date = agg["as_of"]
    due: date = agg["due_on"]
    first_order: date | None = agg.get("first_order_on")
    last_activity: date | None = agg.get("last_activity_on")
    revenue = _money(agg.get("revenue_12m"))
    previous = _money(agg.get("revenue_prev_12m"))
    n_sat = _count(agg.get("satisfaction_n"))
    sat_sum = Decimal(str(agg.get("satisfaction_sum") or 0))
    churned = agg.get("churned")
    return ChurnFeatures(
        account_id=int(agg["account_id"]),
        as_of=as_of,
        renewal_due_on=due,
        industry=agg.get("industry"),
        region=agg.get("region"),
        days_to_renewal=max(0, (due - as_of).days),
        renewal_amount=_money(agg.get("renewal_amount")),
        tenure_days=(as_of - first_order).days if first_order else None,
        orders_12m=_count(agg.get("orders_12m")),
        revenue_12m=revenue,
        revenue_prev_12m=previous,
        revenue_trend=((revenue - previous) / previous).quantize(_RATE, ROUND_HALF_UP) if previous > 0 else None,
        activities_90d=_count(agg.get("activities_90d")),
        days_since_activity=(as_of - last_activity).days if last_activity else None,
        complaints_90d=_count(agg.get("complaints_90d")),
        complaints_12m=_count(agg.get("complaints_12m")),
        satisfaction_avg=(sat_sum / n_sat).quantize(_DAYS, ROUND_HALF_UP) if n_sat else None,
        late_payments_12m=_count(agg.get("late_payments_12m")),
        overdue_orders=_count(agg.get("overdue_orders")),
        renewals_renewed=_count(agg.get("renewals_renewed")),
        renewals_churned=_count(agg.get("renewals_churned")),
        churned=None if churned is None else bool(churned),
    )


def reference_churn_features(
    snapshots: Sequence[ChurnSnapshot],
    accounts: Sequence[AccountFact],
    orders: Sequence[OrderFact],
    payments: Sequence[PaymentFact],
    activities: Sequence[ActivityFact],
    feedback: Sequence[FeedbackFact],
    renewals: Sequence[RenewalFact],
    *,
    training: bool,
) -> list[ChurnFeatures]:
    """Features of every account with a renewal in the window of each snapshot.

    Training: renewals due in ``[as_of, horizon_end)`` whose outcome is known (renewed or
    churned); the label is whether any of them churned. Scoring: renewals still pending and
    due before ``horizon_end`` (overdue ones included: they are the most urgent). Every
    feature uses facts strictly before ``as_of``. Sorted by (as_of, account_id).
    """
    live_accounts = {a.id: a for a in accounts if not a.deleted}
    live_orders = [o for o in orders if not o.deleted and o.status == "active"]
    order_by_id = {o.id: o for o in live_orders}
    live_payments = [p for p in payments if not p.deleted]
    live_renewals = [r for r in renewals if not r.deleted]
    out = []
    for snap in snapshots:
        d = snap.as_of
        window: dict[int, list[RenewalFact]] = defaultdict(list)
        for r in live_renewals:
            if r.account_id not in live_accounts:
                continue
            known = r.status in ("renewed", "churned") and d <= r.due_on < snap.horizon_end
            upcoming = r.status == "pending" and r.due_on < snap.horizon_end
            if known if training else upcoming:
                window[r.account_id].append(r)
        for account_id in sorted(window):
            due = window[account_id]
            acc = live_accounts[account_id]
            mine = [o for o in live_orders if o.account_id == account_id and o.signed_on < d]
            paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
            late = 0
            for p in live_payments:
                o = order_by_id.get(p.order_id)
                if o is None or o.account_id != account_id or p.received_on >= d:
                    continue
                paid[o.id] += p.amount
                if o.payment_due_on is not None and p.received_on > o.payment_due_on and p.received_on >= snap.d365:
                    late += 1
            acts = [a for a in activities if a.account_id == account_id and a.occurred_on < d]
            fb = [f for f in feedback if f.account_id == account_id and f.received_on < d]
            rated = [f.satisfaction for f in fb if f.satisfaction is not None]
            history = [r for r in live_renewals if r.account_id == account_id and r.due_on < d]
            agg = {
                "account_id": account_id,
                "as_of": d,
                "due_on": min(r.due_on for r in due),
                "renewal_amount": sum((r.amount for r in due), ZERO),
                "churned": (1 if any(r.status == "churned" for r in due) else 0) if training else None,
                "industry": acc.industry,
                "region": acc.region,
                "first_order_on": min((o.signed_on for o in mine), default=None),
                "orders_12m": sum(1 for o in mine if o.signed_on >= snap.d365),
                "revenue_12m": sum((o.net_amount for o in mine if o.signed_on >= snap.d365), ZERO),
                "revenue_prev_12m": sum((o.net_amount for o in mine if snap.d730 <= o.signed_on < snap.d365), ZERO),
                "activities_90d": sum(1 for a in acts if a.occurred_on >= snap.d90),
                "last_activity_on": max((a.occurred_on for a in acts), default=None),
                "complaints_90d": sum(1 for f in fb if f.is_complaint and f.received_on >= snap.d90),
                "complaints_12m": sum(1 for f in fb if f.is_complaint and f.received_on >= snap.d365),
                "satisfaction_sum": sum(rated),
                "satisfaction_n": len(rated),
                "late_payments_12m": late,
                "overdue_orders": sum(
                    1
                    for o in mine
                    if o.payment_due_on is not None and o.payment_due_on < d and paid[o.id] < o.net_amount
                ),
                "renewals_renewed": sum(1 for r in history if r.status == "renewed"),
                "renewals_churned": sum(1 for r in history if r.status == "churned"),
            }
            out.append(churn_features_from_aggregates(agg))
    return out


def warning_decisions(
    scored: Sequence[tuple[int, float]], threshold: float, active: Iterable[int]
) -> tuple[list[int], list[int]]:
    """(accounts to raise a new warning for, accounts whose active warning is refreshed).

    An account at or above ``threshold`` gets one warning; while it is open or in progress,
    a new scoring run refreshes its probability and reasons instead of raising a second one,
    so the owner is notified once per episode, not once per night.
    """
    if not 0 < threshold < 1:
        raise InsightInputError(f"the churn threshold must be between 0 and 1, got {threshold}")
    active_set = set(active)
    high = sorted({a for a, p in scored if p >= threshold})
    return [a for a in high if a not in active_set], [a for a, _ in scored if a in active_set]


def save_rate(outcomes: Iterable[str]) -> tuple[int, int, Decimal | None]:
    """(saved, lost, saved ÷ (saved + lost)) over closed warnings."""
    values = list(outcomes)
    saved, lost = values.count("saved"), values.count("lost")
    return saved, lost, rate(saved, saved + lost)


# === funnel ====================================================================================


def _stage_index(stage: str) -> int | None:
    try:
        return FUNNEL_STAGES.index(stage)
    except ValueError:
        return None


def funnel_from_aggregates(key: str, agg: Mapping[str, Any]) -> FunnelGroup:
    """One group's funnel from its aggregates (shared by reference and batch).

    ``agg``: deals, reached_<i> for each rung i, open, won, lost, won_amount, won_cycle_days,
    stay_seconds_<stage> / stays_<stage> for the open stages, leakage (reason → (count,
    amount)), lost_at (stage → count).
    """
    n = len(FUNNEL_STAGES)
    reached = [_count(agg.get(f"reached_{i}")) for i in range(n)]
    stages = []
    for i, stage in enumerate(FUNNEL_STAGES):
        stays = _count(agg.get(f"stays_{stage}"))
        seconds = Decimal(str(agg.get(f"stay_seconds_{stage}") or 0))
        stages.append(
            FunnelStageFigure(
                stage=stage,
                reached=reached[i],
                conversion_to_next=rate(reached[i + 1], reached[i]) if i + 1 < n else None,
                avg_days=(seconds / stays / _SECONDS_PER_DAY).quantize(_DAYS, ROUND_HALF_UP) if stays else None,
                stays=stays,
            )
        )
    won, lost, open_ = _count(agg.get("won")), _count(agg.get("lost")), _count(agg.get("open"))
    won_amount = _money(agg.get("won_amount"))
    avg_won = quantize(won_amount / won) if won else None
    cycle = (Decimal(str(agg.get("won_cycle_days") or 0)) / won).quantize(_DAYS, ROUND_HALF_UP) if won else None
    win_rate = rate(won, won + lost)
    velocity = None
    if avg_won is not None and win_rate is not None and cycle:
        velocity = quantize(Decimal(open_) * avg_won * win_rate / cycle)
    leakage = sorted(
        (LeakageRow(reason, _count(c), _money(a)) for reason, (c, a) in (agg.get("leakage") or {}).items()),
        key=lambda r: (-r.lost, r.reason),
    )
    lost_at = {s: _count((agg.get("lost_at") or {}).get(s)) for s in FUNNEL_STAGES[:-1]}
    return FunnelGroup(
        key=key,
        deals=_count(agg.get("deals")),
        stages=tuple(stages),
        open=open_,
        won=won,
        lost=lost,
        win_rate=win_rate,
        won_amount=won_amount,
        avg_won_amount=avg_won,
        avg_cycle_days=cycle,
        velocity_per_day=velocity,
        leakage=tuple(leakage),
        lost_at_stage={s: c for s, c in lost_at.items() if c},
    )


def _facet_key(
    facet: str, o: OpportunityFact, team_of: Mapping[int, int | None], region_of: Mapping[int, str | None]
) -> str:
    if facet == "all":
        return "all"
    if facet == "rep":
        return str(o.owner_id) if o.owner_id is not None else NO_VALUE
    if facet == "team":
        team = team_of.get(o.owner_id) if o.owner_id is not None else None
        return str(team) if team is not None else NO_VALUE
    if facet == "region":
        return (region_of.get(o.account_id) if o.account_id is not None else None) or NO_VALUE
    if facet == "month":
        return month_key(o.created_on)
    raise InsightInputError(f"unknown funnel facet {facet!r}; use one of {', '.join(FUNNEL_FACETS)}")


def reference_funnel(
    opportunities: Sequence[OpportunityFact],
    changes: Sequence[StageChangeFact],
    people: Sequence[PersonFact],
    accounts: Sequence[AccountFact],
    start: date,
    end: date,
    facet: str = "all",
    owners: frozenset[int] | None = None,
) -> list[FunnelGroup]:
    """The funnel of the deals created in ``[start, end)`` (not deleted; only ``owners``'
    when given), one group per facet value, sorted by key.

    A deal reached a rung when its stage history, its current stage or its status (won) puts
    it there or later; every deal reached the first rung. A stay in an open stage lasts from
    entering it to the next move (completed stays only). Win rate, leakage (lost reason →
    deals and amount) and velocity are over the same deals.
    """
    if facet not in FUNNEL_FACETS:
        raise InsightInputError(f"unknown funnel facet {facet!r}; use one of {', '.join(FUNNEL_FACETS)}")
    team_of = {p.id: p.team_id for p in people}
    region_of = {a.id: a.region for a in accounts}
    deals = [
        o
        for o in opportunities
        if not o.deleted and start <= o.created_on < end and (owners is None or o.owner_id in owners)
    ]
    by_deal: dict[int, list[StageChangeFact]] = defaultdict(list)
    for c in changes:
        by_deal[c.opportunity_id].append(c)
    groups: dict[str, dict[str, Any]] = {}
    for o in deals:
        key = _facet_key(facet, o, team_of, region_of)
        g = groups.setdefault(key, defaultdict(int, leakage={}, lost_at={}))
        history = sorted(by_deal.get(o.id, []), key=lambda c: (c.changed_at, c.id))
        indexes = [_stage_index(c.to_stage) for c in history] + [_stage_index(o.stage)]
        top = max([i for i in indexes if i is not None] + [0, 4 if o.status == "won" else 0])
        g["deals"] += 1
        for i in range(top + 1):
            g[f"reached_{i}"] += 1
        g[o.status] += 1
        if o.status == "won":
            g["won_amount"] += o.amount
            if o.closed_on is not None:
                g["won_cycle_days"] += (o.closed_on - o.created_on).days
        if o.status == "lost":
            reason = o.lost_reason or NO_VALUE
            count, amount = g["leakage"].get(reason, (0, ZERO))
            g["leakage"][reason] = (count + 1, amount + o.amount)
            stage = FUNNEL_STAGES[min(top, 3)]
            g["lost_at"][stage] = g["lost_at"].get(stage, 0) + 1
        for this, nxt in itertools.pairwise(history):
            if _stage_index(this.to_stage) is not None and this.to_stage != "won":
                g[f"stays_{this.to_stage}"] += 1
                g[f"stay_seconds_{this.to_stage}"] += int((nxt.changed_at - this.changed_at).total_seconds())
    return [funnel_from_aggregates(k, groups[k]) for k in sorted(groups)]


def cohorts_from_aggregates(start: date, end: date, found: Mapping[str, Mapping[str, Any]]) -> list[CohortRow]:
    """Every month of ``[start, end)``, zeros where no lead arrived."""
    return [
        CohortRow(
            month=m,
            leads=_count(found.get(m, {}).get("leads")),
            qualified=_count(found.get(m, {}).get("qualified")),
            opportunities=_count(found.get(m, {}).get("opportunities")),
            won=_count(found.get(m, {}).get("won")),
            won_amount=_money(found.get(m, {}).get("won_amount")),
        )
        for m in months_between(start, end)
    ]


def reference_cohorts(
    leads: Sequence[LeadFact],
    opportunities: Sequence[OpportunityFact],
    start: date,
    end: date,
    owners: frozenset[int] | None = None,
) -> list[CohortRow]:
    """Leads received in ``[start, end)`` by month: how many, qualified or converted, deals
    opened from them (not deleted), deals won and the won amount — so far."""
    chosen = {
        ld.id: month_key(ld.received_on)
        for ld in leads
        if start <= ld.received_on < end and (owners is None or ld.owner_id in owners)
    }
    found: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for ld in leads:
        if ld.id in chosen:
            found[chosen[ld.id]]["leads"] += 1
            found[chosen[ld.id]]["qualified"] += ld.status in QUALIFIED_STATUSES
    for o in opportunities:
        if o.deleted or o.lead_id not in chosen:
            continue
        m = chosen[o.lead_id]
        found[m]["opportunities"] += 1
        if o.status == "won":
            found[m]["won"] += 1
            found[m]["won_amount"] += o.amount
    return cohorts_from_aggregates(start, end, found)


# === forecast ==================================================================================

_STAGE_FOR_FORECAST = {"won": "Won", "lost": "Lost"}


def _as_forecast_deal(o: OpportunityFact) -> Opportunity:
    return Opportunity(
        id=str(o.id),
        owner=str(o.owner_id),
        stage=_STAGE_FOR_FORECAST.get(o.status, o.stage),
        engaged_on=o.created_on,
        closed_on=o.closed_on if o.status in ("won", "lost") else None,
        close_value=o.amount if o.status == "won" else None,
        list_value=o.amount,
    )


def owner_forecasts(
    opportunities: Sequence[OpportunityFact],
    period: Period,
    as_of: date,
    probabilities: Mapping[str, float],
    calendar: FiscalCalendar | None = None,
    stages_on: Mapping[int, str] | None = None,
) -> list[OwnerForecast]:
    """Won revenue per owner for ``period`` seen on ``as_of`` (facts strictly before it).

    Both methods start from what is already won in the period. *Pipeline-weighted* adds each
    open deal expected to close by the period's end (or with no date, or overdue) × its
    stage probability. *History-based* reuses ``ml.forecast``: win rates and time-to-close
    learned only from deals closed before ``as_of``, plus the owner's new-business run-rate
    scaled to the part of the period still ahead.

    ``stages_on`` gives the stage a deal was in on ``as_of`` when it has moved since (from the
    stage history): a forecast replayed on a past day sees the pipeline as it was then.
    """
    calendar = calendar or FiscalCalendar()
    live = [o for o in opportunities if not o.deleted and o.owner_id is not None]
    won_to_date: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for o in live:
        if o.status == "won" and o.closed_on is not None and period.start <= o.closed_on < as_of:
            won_to_date[o.owner_id] += o.amount  # type: ignore[index]
    deals = {str(o.id): o for o in live}
    converted = [_as_forecast_deal(o) for o in live]
    then = stages_on or {}
    pipeline = [
        dataclasses.replace(d, stage=then.get(int(d.id), d.stage)) if int(d.id) in then else d
        for d in converted
        if d.is_open_on(as_of)
    ]
    pipeline = [d for d in pipeline if d.stage in probabilities]
    due_now = [
        d for d in pipeline if deals[d.id].expected_close is None or deals[d.id].expected_close < period.end
    ]
    weighted = pipeline_weighted_forecast(due_now, {d.id: d.stage for d in due_now}, probabilities)
    try:
        rates = learn_history(converted, as_of, calendar.previous(period))
    except InsightInputError:
        history: dict[str, Decimal] = {}
    else:
        ahead = max(0, min(period.days, (period.end - as_of).days))
        share = Decimal(ahead) / Decimal(period.days)
        scaled = {owner: amount * share for owner, amount in rates.new_business.items()}
        history = history_forecast(pipeline, dataclasses.replace(rates, new_business=scaled), period)
    owners = {int(k) for k in weighted} | {int(k) for k in history} | set(won_to_date)
    owners |= {int(d.owner) for d in pipeline}
    return [
        OwnerForecast(
            owner_id=owner,
            won_to_date=quantize(won_to_date[owner]),
            pipeline_weighted=quantize(won_to_date[owner] + weighted.get(str(owner), ZERO)),
            history_based=quantize(won_to_date[owner] + history.get(str(owner), ZERO)),
            open_deals=sum(1 for d in pipeline if d.owner == str(owner)),
        )
        for owner in sorted(owners)
    ]


# === market saturation, competitors, marketing ROI =================================================


def saturation_from_aggregates(
    customers: Mapping[tuple[str, str], int], markets: Sequence[MarketDraft]
) -> list[SaturationRow]:
    """Customers against addressable accounts per (region, industry), both sides kept."""
    addressable = {(m.region, m.industry): m.addressable_accounts for m in markets}
    keys = sorted(set(customers) | set(addressable))
    return [
        SaturationRow(
            region=r,
            industry=i,
            customers=int(customers.get((r, i), 0)),
            addressable=addressable.get((r, i)),
            penetration=rate(int(customers.get((r, i), 0)), addressable.get((r, i)) or 0),
        )
        for r, i in keys
    ]


def _customer_firsts(
    accounts: Sequence[AccountFact], orders: Sequence[OrderFact], as_of: date, owners: frozenset[int] | None
) -> dict[int, date]:
    live = {a.id for a in accounts if not a.deleted and (owners is None or a.owner_id in owners)}
    first: dict[int, date] = {}
    for o in orders:
        if o.deleted or o.status != "active" or o.signed_on >= as_of or o.account_id not in live:
            continue
        first[o.account_id] = min(first.get(o.account_id, o.signed_on), o.signed_on)
    return first


def reference_saturation(
    accounts: Sequence[AccountFact],
    orders: Sequence[OrderFact],
    markets: Sequence[MarketDraft],
    as_of: date,
    owners: frozenset[int] | None = None,
) -> list[SaturationRow]:
    """Won customers (live accounts with an active order signed before ``as_of``) ÷ the
    addressable accounts entered for their region and industry."""
    by_id = {a.id: a for a in accounts}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for account_id in _customer_firsts(accounts, orders, as_of, owners):
        a = by_id[account_id]
        counts[(a.region or NO_VALUE, a.industry or NO_VALUE)] += 1
    return saturation_from_aggregates(counts, markets)


def penetration_from_aggregates(
    new_customers: Mapping[tuple[str, str], int], markets: Sequence[MarketDraft], months: Sequence[str]
) -> list[PenetrationPoint]:
    """Cumulative customers per region at each month's end, from new customers per (region,
    first-order month); penetration against the region's total addressable accounts."""
    total: dict[str, int] = defaultdict(int)
    for m in markets:
        total[m.region] += m.addressable_accounts
    regions = sorted({r for r, _ in new_customers} | set(total))
    out = []
    for region in regions:
        before = sum(n for (r, mk), n in new_customers.items() if r == region and (not months or mk < months[0]))
        running = before
        for month in months:
            running += new_customers.get((region, month), 0)
            out.append(PenetrationPoint(region, month, running, rate(running, total.get(region, 0))))
    return out


def reference_penetration(
    accounts: Sequence[AccountFact],
    orders: Sequence[OrderFact],
    markets: Sequence[MarketDraft],
    start: date,
    end: date,
    owners: frozenset[int] | None = None,
) -> list[PenetrationPoint]:
    by_id = {a.id: a for a in accounts}
    new: dict[tuple[str, str], int] = defaultdict(int)
    for account_id, first in _customer_firsts(accounts, orders, end, owners).items():
        new[(by_id[account_id].region or NO_VALUE, month_key(first))] += 1
    return penetration_from_aggregates(new, markets, months_between(start, end))


def win_rates_from_aggregates(start: date, end: date, found: Mapping[str, Mapping[str, Any]]) -> list[WinRatePoint]:
    out = []
    for m in months_between(start, end):
        g = found.get(m, {})
        won, lost = _count(g.get("won")), _count(g.get("lost"))
        out.append(WinRatePoint(m, won, lost, _count(g.get("lost_to_competitor")), rate(won, won + lost)))
    return out


def reference_win_rates(
    opportunities: Sequence[OpportunityFact],
    start: date,
    end: date,
    words: Sequence[str] = COMPETITOR_WORDS,
    owners: frozenset[int] | None = None,
) -> list[WinRatePoint]:
    """Deals closed per month in ``[start, end)``: won, lost, lost to a competitor (the lost
    reason names one of ``words``) and the win rate — the line competitor events sit on."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in opportunities:
        if o.deleted or o.status not in ("won", "lost") or o.closed_on is None or not start <= o.closed_on < end:
            continue
        if owners is not None and o.owner_id not in owners:
            continue
        g = found[month_key(o.closed_on)]
        g[o.status] += 1
        if o.status == "lost" and any(w in (o.lost_reason or "") for w in words):
            g["lost_to_competitor"] += 1
    return win_rates_from_aggregates(start, end, found)


def roi_from_aggregates(
    spend: Mapping[str, Any], leads: Mapping[str, Any], revenue: Mapping[str, tuple[Any, Any]]
) -> list[RoiRow]:
    """One row per channel that spent, brought leads or brought revenue; ``revenue`` maps a
    channel to (won deals, won revenue)."""
    rows = []
    for channel in sorted(set(spend) | set(leads) | set(revenue)):
        money_in = _money(revenue.get(channel, (0, None))[1])
        money_out = _money(spend.get(channel))
        n_leads = _count(leads.get(channel))
        rows.append(
            RoiRow(
                channel=channel,
                spend=money_out,
                leads=n_leads,
                won_deals=_count(revenue.get(channel, (0, None))[0]),
                won_revenue=money_in,
                roi=rate(money_in - money_out, money_out) if money_out > 0 else None,
                cost_per_lead=quantize(money_out / n_leads) if n_leads and money_out > 0 else None,
            )
        )
    return rows


def reference_roi(
    spend: Sequence[SpendFact],
    leads: Sequence[LeadFact],
    opportunities: Sequence[OpportunityFact],
    orders: Sequence[OrderFact],
    start: date,
    end: date,
) -> list[RoiRow]:
    """Per lead channel in ``[start, end)``: spend (by spend month), leads received, and the
    won revenue attributed to it — active orders signed in the period whose opportunity came
    from a lead of that channel."""
    spent: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for s in spend:
        if start <= s.month < end:
            spent[s.channel] += s.amount
    received: dict[str, int] = defaultdict(int)
    channel_of = {}
    for ld in leads:
        channel_of[ld.id] = ld.channel or NO_VALUE
        if start <= ld.received_on < end:
            received[ld.channel or NO_VALUE] += 1
    deal_channel = {
        o.id: channel_of[o.lead_id] for o in opportunities if not o.deleted and o.lead_id in channel_of
    }
    deals: dict[str, set[int]] = defaultdict(set)
    money: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for o in orders:
        if o.deleted or o.status != "active" or not start <= o.signed_on < end:
            continue
        channel = deal_channel.get(o.opportunity_id) if o.opportunity_id is not None else None
        if channel is None:
            continue
        deals[channel].add(o.opportunity_id)  # type: ignore[arg-type]
        money[channel] += o.net_amount
    return roi_from_aggregates(spent, received, {c: (len(deals[c]), money[c]) for c in money})


# === entered and imported rows ====================================================================

_MARKET_HEADERS = {
    "region": ("region", "大区", "区域"),
    "industry": ("industry", "行业"),
    "addressable_accounts": ("addressable_accounts", "addressable", "可触达客户数", "目标客户数", "潜在客户数"),
    "source": ("source", "来源", "数据来源"),
}
_EVENT_HEADERS = {
    "competitor": ("competitor", "竞争对手", "竞品"),
    "happened_on": ("happened_on", "date", "日期"),
    "kind": ("kind", "类型"),
    "description": ("description", "描述", "事件"),
    "region": ("region", "大区", "区域"),
}
_SPEND_HEADERS = {
    "month": ("month", "月份"),
    "channel": ("channel", "渠道"),
    "campaign": ("campaign", "活动", "营销活动"),
    "amount": ("amount", "金额", "花费", "投入"),
}
_KIND_WORDS = {
    "降价": "price_cut",
    "价格战": "price_cut",
    "新品": "launch",
    "发布": "launch",
    "促销": "promotion",
    "挖人": "poaching",
    "挖角": "poaching",
    "合作": "partnership",
    "其他": "other",
}


def _columns(row: Mapping[str, str], headers: Mapping[str, tuple[str, ...]]) -> dict[str, str | None]:
    lowered = {k.strip().lower(): v for k, v in row.items() if k is not None}
    out: dict[str, str | None] = {}
    for field, names in headers.items():
        value = next((lowered[n.lower()] for n in names if n.lower() in lowered), None)
        out[field] = value.strip() if isinstance(value, str) and value.strip() else None
    return out


def _missing_headers(
    rows: Sequence[Mapping[str, str]], headers: Mapping[str, tuple[str, ...]], required: Sequence[str], source: str
) -> Issues:
    issues = Issues()
    if not rows:
        issues.error("import.empty", "the file has no data rows", source=source)
        return issues
    present = {k.strip().lower() for k in rows[0] if k is not None}
    for field in required:
        if not any(n.lower() in present for n in headers[field]):
            issues.error(
                "import.column",
                f"column {field} is missing (accepted names: {', '.join(headers[field])})",
                column=field,
                source=source,
            )
    return issues


def read_csv_bytes(data: bytes) -> list[dict[str, str]]:
    """Rows of an uploaded CSV: UTF-8 (with or without BOM) or, as Excel in China saves it,
    GB18030; comma or tab separated."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InsightInputError("the file is neither UTF-8 nor GB18030 text")
    first = content.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return [dict(r) for r in csv.DictReader(io.StringIO(content), delimiter=delimiter)]


def parse_markets(rows: Sequence[Mapping[str, str]], source: str = "markets") -> Result[list[MarketDraft]]:
    """Addressable accounts per region and industry; every bad cell is an issue (row numbers
    count the header as row 1, like a spreadsheet)."""
    issues = _missing_headers(rows, _MARKET_HEADERS, ("region", "industry", "addressable_accounts"), source)
    if issues.has_errors():
        return Result(None, issues)
    drafts, seen = [], set()
    for number, raw in enumerate(rows, start=2):
        row = _columns(raw, _MARKET_HEADERS)
        if not row["region"]:
            issues.error("market.region", "region is required", row=number, column="region", source=source)
        if not row["industry"]:
            issues.error("market.industry", "industry is required", row=number, column="industry", source=source)
        count = _whole_number(row["addressable_accounts"], issues, number, "addressable_accounts", source)
        key = (row["region"], row["industry"])
        if key in seen and all(key):
            issues.error(
                "market.duplicate", f"{key[0]} / {key[1]} appears twice", row=number, column="industry", source=source
            )
        seen.add(key)
        if row["region"] and row["industry"] and count is not None:
            drafts.append(MarketDraft(row["region"], row["industry"], count, row["source"]))
    return Result(None if issues.has_errors() else drafts, issues)


def _whole_number(text: str | None, issues: Issues, row: int, column: str, source: str) -> int | None:
    try:
        value = int((text or "").replace(",", ""))
    except ValueError:
        issues.error("import.number", f"{column} must be a whole number", row=row, column=column, value=text,
                     source=source)
        return None
    if value < 0:
        issues.error("import.negative", f"{column} must not be negative", row=row, column=column, value=text,
                     source=source)
        return None
    return value


def _day(text: str | None, issues: Issues, row: int, column: str, source: str, *, month: bool = False) -> date | None:
    value = (text or "").strip().replace("/", "-")
    try:
        if month and len(value) <= 7:
            y, m = value.split("-")
            return date(int(y), int(m), 1)
        day = date.fromisoformat(value[:10])
        return date(day.year, day.month, 1) if month else day
    except ValueError:
        example = "2026-03" if month else "2026-03-15"
        issues.error("import.date", f"{column} must be a date like {example}", row=row, column=column, value=text,
                     source=source)
        return None


def parse_competitor_events(
    rows: Sequence[Mapping[str, str]], source: str = "competitor events"
) -> Result[list[CompetitorEventDraft]]:
    """Competitor moves: who, when, what kind (降价/新品/促销/挖人/合作 or the English codes)."""
    issues = _missing_headers(rows, _EVENT_HEADERS, ("competitor", "happened_on", "description"), source)
    if issues.has_errors():
        return Result(None, issues)
    drafts = []
    for number, raw in enumerate(rows, start=2):
        row = _columns(raw, _EVENT_HEADERS)
        if not row["competitor"]:
            issues.error("event.competitor", "competitor is required", row=number, column="competitor", source=source)
        if not row["description"]:
            issues.error("event.description", "description is required", row=number, column="description",
                         source=source)
        day = _day(row["happened_on"], issues, number, "happened_on", source)
        kind = row["kind"] or "other"
        kind = _KIND_WORDS.get(kind, kind)
        if kind not in EVENT_KINDS:
            issues.error("event.kind", f"kind must be one of {', '.join(EVENT_KINDS)}", row=number, column="kind",
                         value=row["kind"], source=source)
        if row["competitor"] and row["description"] and day is not None and kind in EVENT_KINDS:
            drafts.append(CompetitorEventDraft(row["competitor"], day, kind, row["description"], row["region"]))
    return Result(None if issues.has_errors() else drafts, issues)


def parse_spend(rows: Sequence[Mapping[str, str]], source: str = "marketing spend") -> Result[list[SpendDraft]]:
    """Marketing spend per month and lead channel (and optionally campaign), in yuan."""
    issues = _missing_headers(rows, _SPEND_HEADERS, ("month", "channel", "amount"), source)
    if issues.has_errors():
        return Result(None, issues)
    drafts = []
    for number, raw in enumerate(rows, start=2):
        row = _columns(raw, _SPEND_HEADERS)
        month = _day(row["month"], issues, number, "month", source, month=True)
        if not row["channel"]:
            issues.error("spend.channel", "channel is required", row=number, column="channel", source=source)
        amount = None
        try:
            amount = quantize(Decimal((row["amount"] or "").replace(",", "").replace("¥", "").replace("元", "")))
            if amount < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            issues.error("spend.amount", "amount must be a non-negative number of yuan", row=number,
                         column="amount", value=row["amount"], source=source)
            amount = None
        if month is not None and row["channel"] and amount is not None:
            drafts.append(SpendDraft(month, row["channel"], amount, row["campaign"]))
    return Result(None if issues.has_errors() else drafts, issues)
