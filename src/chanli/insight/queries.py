"""Scoped reads of insight for the shells: warnings and interventions, the save rate, models,
call analyses and per-rep coaching, and the analytics (funnel, cohorts, forecast,
saturation, competitor timeline, ROI, emotion and demand trends) restricted to what the
caller may see.

Visibility follows the people who own the facts: a manager sees their subtree's reps, a rep
their own records, back-office roles everything (``visible_owners``). Set-based figures come
from ``batch`` with that owner set; everything here is read-only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chanli.core.auth import Principal
from chanli.core.periods import FiscalCalendar, Period, business_date
from chanli.crm import model as crm_model
from chanli.insight import batch, facts, rules
from chanli.insight.ml.calls import TOPIC_RULES
from chanli.insight.model import (
    ACTIVE_WARNING_STATUSES,
    NO_VALUE,
    CohortRow,
    FunnelGroup,
    MarketDraft,
    OpportunityFact,
    OwnerForecast,
    PenetrationPoint,
    RoiRow,
    SaturationRow,
    WinRatePoint,
)
from chanli.insight.tables import (
    AddressableMarket,
    CallAnalysis,
    CallTopic,
    ChurnScore,
    ChurnWarning,
    CompetitorEvent,
    DemandCluster,
    DemandDoc,
    DemandRun,
    Intervention,
    LeadScoreRow,
    MarketingSpend,
    TrainedModel,
)
from chanli.org import NotFound as OrgNotFound
from chanli.org import queries as org_queries

__all__ = [
    "CallDetail",
    "CallRow",
    "CompetitorEventRow",
    "DemandView",
    "ForecastRow",
    "FunnelView",
    "InterventionRow",
    "ModelRow",
    "NotFound",
    "RepCoachingRow",
    "SaveRate",
    "WarningDetail",
    "WarningRow",
    "active_model",
    "calendar",
    "coaching",
    "cohorts",
    "competitor_events",
    "demand",
    "demand_docs",
    "emotion_trend",
    "forecast",
    "funnel",
    "get_call",
    "get_warning",
    "lead_score",
    "list_calls",
    "list_models",
    "list_warnings",
    "markets",
    "penetration",
    "person_names",
    "risk_distribution",
    "roi",
    "saturation",
    "save_rate",
    "spend",
    "today",
    "visible_owners",
    "win_rates",
]


class NotFound(OrgNotFound):
    """An insight record that does not exist or lies outside the caller's scope (HTTP 404).
    A subclass of ``org.NotFound`` so the one API error mapping covers it."""


# --- scope and calendar ---------------------------------------------------------------------------


def visible_owners(s: Session, principal: Principal) -> frozenset[int] | None:
    """The people whose records the caller may see: None for everyone (back office), the reps
    of the manager's subtree plus themselves, or just the rep."""
    if principal.sees_all:
        return None
    owners = {principal.person_id} if principal.person_id is not None else set()
    if principal.visible_team_ids:
        p = facts.people
        owners |= set(s.scalars(select(p.c.id).where(p.c.team_id.in_(sorted(principal.visible_team_ids)))))
    return frozenset(owners)


def today(s: Session, now: datetime | None = None) -> date:
    """The business date in the company's time zone."""
    profile = org_queries.company_profile(s)
    return business_date(now or datetime.now(UTC), profile.time_zone if profile else "Asia/Shanghai")


def calendar(s: Session) -> FiscalCalendar:
    profile = org_queries.company_profile(s)
    return FiscalCalendar(profile.fiscal_year_start_month if profile else 1)


def person_names(s: Session, ids: Sequence[int] | None = None) -> dict[int, str]:
    p = facts.people
    stmt = select(p.c.id, p.c.name)
    if ids is not None:
        stmt = stmt.where(p.c.id.in_(sorted(set(ids))))
    return dict(s.execute(stmt).all())  # type: ignore[arg-type]


def _team_names(s: Session) -> dict[int, str]:
    t = facts.teams
    return dict(s.execute(select(t.c.id, t.c.name)).all())  # type: ignore[arg-type]


def _owned(stmt: Any, column: Any, owners: frozenset[int] | None) -> Any:
    if owners is None:
        return stmt
    return stmt.where(column.in_(sorted(owners))) if owners else stmt.where(column.is_(None) & column.is_not(None))


# --- models -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelRow:
    id: int
    kind: str
    version: int
    trained_at: datetime
    trained_by: str
    rows: int
    metrics: dict[str, Any]
    options: dict[str, Any]
    folder: str | None
    active: bool


def list_models(s: Session, kind: str | None = None) -> list[ModelRow]:
    stmt = select(TrainedModel).order_by(TrainedModel.kind, TrainedModel.version.desc())
    if kind:
        stmt = stmt.where(TrainedModel.kind == kind)
    return [
        ModelRow(m.id, m.kind, m.version, m.trained_at, m.trained_by, m.rows, m.metrics, m.options, m.folder, m.active)
        for m in s.scalars(stmt)
    ]


def active_model(s: Session, kind: str) -> tuple[ModelRow, str] | None:
    """The active model of ``kind`` and its card (markdown), or None."""
    m = s.scalar(select(TrainedModel).where(TrainedModel.kind == kind, TrainedModel.active.is_(True))
                 .order_by(TrainedModel.version.desc()).limit(1))
    if m is None:
        return None
    row = ModelRow(m.id, m.kind, m.version, m.trained_at, m.trained_by, m.rows, m.metrics, m.options, m.folder,
                   m.active)
    return row, m.card


# --- churn warnings -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarningRow:
    id: int
    account_id: int
    account_name: str
    owner_id: int | None
    owner_name: str | None
    probability: Decimal
    reasons: list[dict[str, Any]]
    status: str
    raised_on: date
    last_scored_on: date
    renewal_due_on: date | None
    interventions: int
    outcome_on: date | None
    settled_by: str | None


@dataclass(frozen=True, slots=True)
class InterventionRow:
    id: int
    kind: str
    happened_on: date
    actor_name: str
    note: str | None


@dataclass(frozen=True, slots=True)
class WarningDetail:
    warning: WarningRow
    interventions: list[InterventionRow]
    outcome_note: str | None


def _warning_stmt(principal: Principal, s: Session) -> Any:
    a, p = facts.accounts, facts.people
    n = (
        select(func.count(Intervention.id))
        .where(Intervention.warning_id == ChurnWarning.id)
        .correlate(ChurnWarning)
        .scalar_subquery()
    )
    stmt = (
        select(ChurnWarning, a.c.name, p.c.name, n)
        .join(a, a.c.id == ChurnWarning.account_id)
        .outerjoin(p, p.c.id == ChurnWarning.owner_id)
    )
    return _owned(stmt, ChurnWarning.owner_id, visible_owners(s, principal))


def _warning_row(w: ChurnWarning, account: str, owner: str | None, n: int) -> WarningRow:
    return WarningRow(w.id, w.account_id, account, w.owner_id, owner, w.probability, w.reasons, w.status,
                      w.raised_on, w.last_scored_on, w.renewal_due_on, int(n or 0), w.outcome_on, w.settled_by)


def list_warnings(
    s: Session,
    principal: Principal,
    *,
    status: str | None = "active",
    owner_id: int | None = None,
    account_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[WarningRow]:
    """Warnings the caller may see, riskiest first. ``status``: ``active`` (open or in
    progress), one status, or None for all."""
    stmt = _warning_stmt(principal, s)
    if status == "active":
        stmt = stmt.where(ChurnWarning.status.in_(ACTIVE_WARNING_STATUSES))
    elif status:
        stmt = stmt.where(ChurnWarning.status == status)
    if owner_id is not None:
        stmt = stmt.where(ChurnWarning.owner_id == owner_id)
    if account_id is not None:
        stmt = stmt.where(ChurnWarning.account_id == account_id)
    stmt = stmt.order_by(ChurnWarning.probability.desc(), ChurnWarning.id).limit(limit).offset(offset)
    return [_warning_row(*r) for r in s.execute(stmt)]


def get_warning(s: Session, principal: Principal, warning_id: int) -> WarningDetail | None:
    row = s.execute(_warning_stmt(principal, s).where(ChurnWarning.id == warning_id)).first()
    if row is None:
        return None
    interventions = [
        InterventionRow(i.id, i.kind, i.happened_on, i.actor_name, i.note)
        for i in s.scalars(select(Intervention).where(Intervention.warning_id == warning_id)
                           .order_by(Intervention.happened_on, Intervention.id))
    ]
    return WarningDetail(_warning_row(*row), interventions, row[0].outcome_note)


@dataclass(frozen=True, slots=True)
class SaveRate:
    """Closed warnings: how many customers were kept, overall and with / without an intervention."""

    saved: int
    lost: int
    rate: Decimal | None
    saved_with_intervention: int
    lost_with_intervention: int
    rate_with_intervention: Decimal | None
    saved_without: int
    lost_without: int
    rate_without: Decimal | None
    active: int


def save_rate(s: Session, principal: Principal) -> SaveRate:
    owners = visible_owners(s, principal)
    touched = select(Intervention.warning_id).distinct()
    stmt = _owned(
        select(ChurnWarning.status, ChurnWarning.id.in_(touched), func.count(ChurnWarning.id))
        .group_by(ChurnWarning.status, ChurnWarning.id.in_(touched)),
        ChurnWarning.owner_id,
        owners,
    )
    counts: dict[tuple[str, bool], int] = defaultdict(int)
    for status, with_intervention, n in s.execute(stmt):
        counts[(status, bool(with_intervention))] += int(n)
    sw, lw = counts[("saved", True)], counts[("lost", True)]
    so, lo = counts[("saved", False)], counts[("lost", False)]
    active = sum(n for (st, _), n in counts.items() if st in ACTIVE_WARNING_STATUSES)
    return SaveRate(sw + so, lw + lo, rules.rate(sw + so, sw + so + lw + lo), sw, lw, rules.rate(sw, sw + lw),
                    so, lo, rules.rate(so, so + lo), active)


def risk_distribution(s: Session, principal: Principal) -> dict[str, Any]:
    """The latest scoring run of the active churn model: accounts per risk band."""
    model = active_model(s, "churn")
    if model is None:
        return {"as_of": None, "bands": []}
    latest = s.scalar(select(func.max(ChurnScore.as_of)).where(ChurnScore.model_id == model[0].id))
    if latest is None:
        return {"as_of": None, "bands": []}
    a = facts.accounts
    stmt = _owned(
        select(ChurnScore.probability).join(a, a.c.id == ChurnScore.account_id)
        .where(ChurnScore.model_id == model[0].id, ChurnScore.as_of == latest),
        a.c.owner_id,
        visible_owners(s, principal),
    )
    bands = [
        ("0–20%", 0, 0.2), ("20–40%", 0.2, 0.4), ("40–60%", 0.4, 0.6), ("60–80%", 0.6, 0.8), ("80–100%", 0.8, 1.01),
    ]
    values = [float(p) for p in s.scalars(stmt)]
    return {"as_of": latest, "bands": [{"band": b, "accounts": sum(1 for v in values if lo <= v < hi)}
                                       for b, lo, hi in bands]}


# --- leads ------------------------------------------------------------------------------------------------


def lead_score(s: Session, lead_id: int) -> dict[str, Any] | None:
    """The newest score of a lead with its reasons (for the lead page and the API)."""
    row = s.execute(
        select(LeadScoreRow, TrainedModel.version).join(TrainedModel, TrainedModel.id == LeadScoreRow.model_id)
        .where(LeadScoreRow.lead_id == lead_id).order_by(LeadScoreRow.scored_at.desc(), LeadScoreRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    r, version = row
    return {"lead_id": lead_id, "score": r.score, "probability": r.probability, "reasons": r.reasons,
            "model_version": version, "scored_at": r.scored_at}


# --- calls and coaching -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallRow:
    call_id: int
    occurred_on: date
    person_id: int
    person_name: str | None
    account_id: int | None
    account_name: str | None
    emotion: str
    customer_score: Decimal | None
    topics: list[str]
    suggestions: list[str]


@dataclass(frozen=True, slots=True)
class CallDetail:
    call: CallRow
    call_score: Decimal
    rep_talk_share: Decimal | None
    utterances: list[dict[str, Any]]
    trajectory: list[float]
    keywords: list[str]
    model_version: str


def _call_stmt(s: Session, principal: Principal) -> Any:
    a, p = facts.accounts, facts.people
    stmt = (
        select(CallAnalysis, p.c.name, a.c.name)
        .outerjoin(p, p.c.id == CallAnalysis.person_id)
        .outerjoin(a, a.c.id == CallAnalysis.account_id)
    )
    return _owned(stmt, CallAnalysis.person_id, visible_owners(s, principal))


def _topic_names(c: CallAnalysis) -> list[str]:
    names = {rule.suggestion: rule.name for rule in TOPIC_RULES}
    return [names.get(x, "") for x in c.suggestions]


def _call_row(c: CallAnalysis, person: str | None, account: str | None) -> CallRow:
    return CallRow(c.call_id, c.occurred_on, c.person_id, person, c.account_id, account, c.emotion,
                   c.customer_score, _topic_names(c), c.suggestions)


def list_calls(
    s: Session,
    principal: Principal,
    *,
    person_id: int | None = None,
    emotion: str | None = None,
    topic: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CallRow]:
    """Analysed calls the caller may see, newest first, filtered by rep, emotion or topic code."""
    stmt = _call_stmt(s, principal)
    if person_id is not None:
        stmt = stmt.where(CallAnalysis.person_id == person_id)
    if emotion:
        stmt = stmt.where(CallAnalysis.emotion == emotion)
    if start:
        stmt = stmt.where(CallAnalysis.occurred_on >= start)
    if end:
        stmt = stmt.where(CallAnalysis.occurred_on < end)
    if topic:
        stmt = stmt.where(CallAnalysis.call_id.in_(select(CallTopic.call_id).where(CallTopic.topic_code == topic)))
    stmt = stmt.order_by(CallAnalysis.occurred_on.desc(), CallAnalysis.call_id.desc()).limit(limit).offset(offset)
    return [_call_row(*r) for r in s.execute(stmt)]


def get_call(s: Session, principal: Principal, call_id: int) -> CallDetail | None:
    row = s.execute(_call_stmt(s, principal).where(CallAnalysis.call_id == call_id)).first()
    if row is None:
        return None
    c = row[0]
    return CallDetail(_call_row(*row), c.call_score, c.rep_talk_share, c.utterances, c.trajectory, c.keywords,
                      c.model_version)


@dataclass(frozen=True, slots=True)
class RepCoachingRow:
    """One rep's calls summed up for a coaching conversation."""

    person_id: int
    name: str
    calls: int
    mean_customer_score: Decimal | None
    negative_calls: int
    negative_share: Decimal | None
    mean_rep_talk_share: Decimal | None
    topics: list[tuple[str, str, int]]  # (code, name, calls), most frequent first
    suggestions: list[str]  # for the three most frequent topics


def coaching(s: Session, principal: Principal, con: BaseBackend, top_topics: int = 3) -> list[RepCoachingRow]:
    """Per rep (the caller may see): calls, mean customer emotion, negative calls, talk share,
    recurring topics and what to coach — from stored analyses, in two GROUP BYs."""
    owners = visible_owners(s, principal)
    figures = batch.rep_call_figures(con, owners)
    topics = batch.call_topic_counts(con, owners)
    names = person_names(s, list(figures))
    order = {rule.code: i for i, rule in enumerate(TOPIC_RULES)}
    rule = {r.code: r for r in TOPIC_RULES}
    rows = []
    for pid, f in figures.items():
        counts = topics.get(pid, {})
        ranked = sorted(counts, key=lambda code: (-counts[code], order.get(code, 99)))
        scored = int(f["scored"] or 0)
        talk_n = int(f["talk_n"] or 0)
        calls = int(f["calls"])
        rows.append(RepCoachingRow(
            person_id=pid,
            name=names.get(pid, str(pid)),
            calls=calls,
            mean_customer_score=(Decimal(str(f["score_sum"])) / scored).quantize(Decimal("0.001")) if scored else None,
            negative_calls=int(f["negative"] or 0),
            negative_share=rules.rate(int(f["negative"] or 0), calls),
            mean_rep_talk_share=(Decimal(str(f["talk_sum"])) / talk_n).quantize(Decimal("0.001")) if talk_n else None,
            topics=[(code, rule[code].name if code in rule else code, counts[code]) for code in ranked],
            suggestions=[rule[code].suggestion for code in ranked[:top_topics] if code in rule],
        ))
    rows.sort(key=lambda r: (r.mean_customer_score if r.mean_customer_score is not None else Decimal(9), r.name))
    return rows


def emotion_trend(s: Session, principal: Principal, con: BaseBackend, start: date, end: date) -> list[dict[str, Any]]:
    return batch.emotion_trend(con, start, end, visible_owners(s, principal))


# --- funnel, cohorts, forecast -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunnelView:
    facet: str
    start: date
    end: date
    groups: list[FunnelGroup]
    names: dict[str, str]  # group key → display name (rep or team name)


def funnel(
    s: Session, principal: Principal, con: BaseBackend, start: date, end: date, facet: str = "all"
) -> FunnelView:
    groups = batch.funnel(con, start, end, facet, visible_owners(s, principal))
    names: dict[str, str] = {}
    if facet == "rep":
        names = {str(k): v for k, v in person_names(s, [int(g.key) for g in groups if g.key.isdigit()]).items()}
    elif facet == "team":
        names = {str(k): v for k, v in _team_names(s).items()}
    names[NO_VALUE] = NO_VALUE
    return FunnelView(facet, start, end, groups, names)


def cohorts(s: Session, principal: Principal, con: BaseBackend, start: date, end: date) -> list[CohortRow]:
    return batch.cohorts(con, start, end, visible_owners(s, principal))


@dataclass(frozen=True, slots=True)
class ForecastRow:
    owner_id: int
    name: str
    forecast: OwnerForecast


def _opportunity_facts(s: Session, owners: frozenset[int] | None) -> list[OpportunityFact]:
    o = facts.opportunities
    stmt = _owned(
        select(o.c.id, o.c.owner_id, o.c.account_id, o.c.lead_id, o.c.status, o.c.stage, o.c.amount, o.c.created_on,
               o.c.closed_on, o.c.lost_reason, o.c.expected_close).where(o.c.deleted_at.is_(None)),
        o.c.owner_id,
        owners,
    )
    return [
        OpportunityFact(r.id, r.owner_id, r.account_id, r.lead_id, r.status, r.stage, Decimal(r.amount or 0),
                        r.created_on, r.closed_on, r.lost_reason, False, r.expected_close)
        for r in s.execute(stmt)
    ]


def _stages_on(s: Session, deals: Sequence[OpportunityFact], as_of: date) -> dict[int, str]:
    """The stage each deal closed since ``as_of`` was in on that day (its last move before it)."""
    moved = [o.id for o in deals if o.closed_on is not None and o.closed_on >= as_of]
    h = facts.stage_history
    cutoff = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    out: dict[int, tuple[datetime, int, str]] = {}
    for i in range(0, len(moved), 900):
        for r in s.execute(select(h.c.opportunity_id, h.c.changed_at, h.c.id, h.c.to_stage).where(
            h.c.opportunity_id.in_(moved[i : i + 900]), h.c.changed_at < cutoff
        )):
            key = (r.changed_at, r.id, r.to_stage)
            if r.opportunity_id not in out or key[:2] > out[r.opportunity_id][:2]:
                out[r.opportunity_id] = key
    return {deal: stage for deal, (_, _, stage) in out.items()}


def forecast(s: Session, principal: Principal, period: Period, as_of: date) -> list[ForecastRow]:
    """Per owner the caller may see: won to date, pipeline-weighted and history-based forecast
    of won revenue in ``period`` (``rules.owner_forecasts`` over ``ml.forecast``)."""
    probabilities = {st.value: float(crm_model.DEFAULT_PROBABILITY[st]) for st in crm_model.STAGES}
    deals = _opportunity_facts(s, visible_owners(s, principal))
    result = rules.owner_forecasts(deals, period, as_of, probabilities, calendar(s), _stages_on(s, deals, as_of))
    names = person_names(s, [r.owner_id for r in result])
    rows = [ForecastRow(r.owner_id, names.get(r.owner_id, str(r.owner_id)), r) for r in result]
    return sorted(rows, key=lambda r: (-r.forecast.history_based, r.name))


# --- market saturation, competitors, ROI --------------------------------------------------------------------


def markets(s: Session) -> list[MarketDraft]:
    stmt = select(AddressableMarket).order_by(AddressableMarket.region, AddressableMarket.industry)
    return [MarketDraft(m.region, m.industry, m.addressable_accounts, m.source) for m in s.scalars(stmt)]


def saturation(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> list[SaturationRow]:
    return batch.saturation(con, markets(s), as_of, visible_owners(s, principal))


def penetration(
    s: Session, principal: Principal, con: BaseBackend, start: date, end: date
) -> list[PenetrationPoint]:
    return batch.penetration(con, markets(s), start, end, visible_owners(s, principal))


@dataclass(frozen=True, slots=True)
class CompetitorEventRow:
    id: int
    competitor: str
    happened_on: date
    kind: str
    description: str
    region: str | None
    entered_by: str


def competitor_events(s: Session, start: date | None = None, end: date | None = None) -> list[CompetitorEventRow]:
    stmt = select(CompetitorEvent).order_by(CompetitorEvent.happened_on, CompetitorEvent.id)
    if start:
        stmt = stmt.where(CompetitorEvent.happened_on >= start)
    if end:
        stmt = stmt.where(CompetitorEvent.happened_on < end)
    return [CompetitorEventRow(e.id, e.competitor, e.happened_on, e.kind, e.description, e.region, e.entered_by)
            for e in s.scalars(stmt)]


def win_rates(s: Session, principal: Principal, con: BaseBackend, start: date, end: date) -> list[WinRatePoint]:
    return batch.win_rates(con, start, end, owners=visible_owners(s, principal))


def spend(s: Session, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    stmt = select(MarketingSpend).order_by(MarketingSpend.month, MarketingSpend.channel, MarketingSpend.campaign)
    if start:
        stmt = stmt.where(MarketingSpend.month >= start)
    if end:
        stmt = stmt.where(MarketingSpend.month < end)
    return [{"id": m.id, "month": m.month, "channel": m.channel, "campaign": m.campaign or None, "amount": m.amount,
             "currency": m.currency} for m in s.scalars(stmt)]


def roi(s: Session, principal: Principal, con: BaseBackend, start: date, end: date) -> list[RoiRow] | None:
    """Marketing ROI per lead channel. Spend is company-wide, so only callers who see every
    lead get it (None otherwise): a subtree's revenue against the whole spend would mislead."""
    if not principal.sees_all:
        return None
    return batch.roi(con, start, end)


# --- demand ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemandView:
    run_id: int | None
    ran_at: datetime | None
    documents: int
    clusters: list[dict[str, Any]]  # id, number, name, terms, size, trend {month: n}
    months: list[str]


def demand(s: Session, principal: Principal, con: BaseBackend, start: date, end: date) -> DemandView:
    """The newest clustering run: clusters with their size and documents per month (for the
    caller's people when they see a subtree)."""
    run = s.scalar(select(DemandRun).order_by(DemandRun.id.desc()).limit(1))
    months = rules.months_between(start, end)
    if run is None:
        return DemandView(None, None, 0, [], months)
    owners = visible_owners(s, principal)
    trend = _demand_trend(s, run.id, start, end, owners) if owners is not None else batch.demand_trend(
        con, run.id, start, end)
    clusters = []
    for c in s.scalars(select(DemandCluster).where(DemandCluster.run_id == run.id).order_by(DemandCluster.number)):
        per = trend.get(c.id, {})
        clusters.append({"id": c.id, "number": c.number, "name": c.name, "terms": c.terms, "size": c.size,
                         "trend": {m: per.get(m, 0) for m in months}, "in_period": sum(per.values())})
    return DemandView(run.id, run.ran_at, run.documents, clusters, months)


def _demand_trend(
    s: Session, run_id: int, start: date, end: date, owners: frozenset[int]
) -> dict[int, dict[str, int]]:
    stmt = _owned(
        select(DemandDoc.cluster_id, DemandDoc.occurred_on).where(
            DemandDoc.run_id == run_id, DemandDoc.occurred_on >= start, DemandDoc.occurred_on < end
        ),
        DemandDoc.person_id,
        owners,
    )
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cluster_id, day in s.execute(stmt):
        out[cluster_id][rules.month_key(day)] += 1
    return out


def demand_docs(s: Session, principal: Principal, cluster_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The needs behind a cluster, newest first (drill-down), within the caller's scope."""
    p = facts.people
    stmt = _owned(
        select(DemandDoc, p.c.name)
        .outerjoin(p, p.c.id == DemandDoc.person_id)
        .where(DemandDoc.cluster_id == cluster_id),
        DemandDoc.person_id,
        visible_owners(s, principal),
    ).order_by(DemandDoc.occurred_on.desc(), DemandDoc.id.desc()).limit(limit)
    return [{"source": d.source, "source_id": d.source_id, "person_id": d.person_id, "person_name": name,
             "occurred_on": d.occurred_on, "text": d.text} for d, name in s.execute(stmt)]
