"""Insight endpoints (``/api/v1/insight…``): churn warnings and interventions, model training
and scoring, lead scores, call analyses and per-rep coaching, funnel, cohorts, forecast,
demand clusters, market saturation, competitor timeline, marketing ROI, the market facts
behind them (entered or imported as CSV), and the war room in one call.

A thin shell over ``chanli.insight`` (and, for the war room's pacing, ``chanli.targets``):
parse, check the action, call a service or query, answer. Row scope is applied by the
queries. Amounts travel as exact decimal strings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse
from ibis.backends import BaseBackend
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from chanli.api.deps import ContainerDep, CurrentPrincipal, ReadSession, StoreEngine, uow_for
from chanli.core.auth import Principal, require
from chanli.core.periods import Grain, Period
from chanli.crm import queries as crm_queries
from chanli.insight import (
    CompetitorEventDraft,
    InterventionKind,
    MarketDraft,
    NotFound,
    SpendDraft,
    WarningOutcome,
    queries,
    rules,
    service,
)

__all__ = ["period_span", "plain", "quarter_of", "router", "warroom_snapshot"]

router = APIRouter(tags=["insight"])


Engine = StoreEngine
PeriodQuery = Annotated[str | None, Query(description="2026, 2026-Q4, 2026-10; default: the last 12 months")]


def plain(value: Any) -> Any:
    """JSON-ready values: Decimals as exact strings, dates as ISO text, dataclasses as dicts."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def _today(s: Session, as_of: date | None) -> date:
    return as_of or queries.today(s)


def period_span(s: Session, label: str | None, as_of: date | None = None) -> tuple[date, date]:
    """A period label's half-open span, or the 12 months up to the end of this month."""
    if label:
        p = queries.calendar(s).parse(label)
        return p.start, p.end
    day = _today(s, as_of)
    end = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return date(end.year - 1, end.month, 1), end


def quarter_of(s: Session, label: str | None, as_of: date) -> Period:
    return queries.calendar(s).parse(label) if label else queries.calendar(s).containing(as_of, Grain.QUARTER)


# --- schemas -----------------------------------------------------------------------------------


class TrainBody(BaseModel):
    as_of: date | None = Field(default=None, description="Learn from facts before this day (default: today)")
    horizon_days: int = Field(default=service.DEFAULT_HORIZON_DAYS, ge=7, le=365)


class ScoreBody(BaseModel):
    as_of: date | None = None
    threshold: float = Field(default=service.DEFAULT_THRESHOLD, gt=0, lt=1)


class LeadScoreBody(BaseModel):
    rescore: bool = False


class InterventionBody(BaseModel):
    kind: InterventionKind
    happened_on: date | None = None
    note: str | None = Field(default=None, max_length=2000)


class CloseBody(BaseModel):
    outcome: WarningOutcome
    on: date | None = None
    note: str | None = Field(default=None, max_length=2000)


class AnalyseBody(BaseModel):
    reanalyse: bool = False


class ClusterBody(BaseModel):
    k: int | None = Field(default=None, ge=2, le=30)


class MarketBody(BaseModel):
    region: str = Field(min_length=1, max_length=80)
    industry: str = Field(min_length=1, max_length=80)
    addressable_accounts: int = Field(ge=0)
    source: str | None = Field(default=None, max_length=200)


class EventBody(BaseModel):
    competitor: str = Field(min_length=1, max_length=120)
    happened_on: date
    kind: str = Field(default="other", pattern="^(price_cut|launch|promotion|poaching|partnership|other)$")
    description: str = Field(min_length=1, max_length=2000)
    region: str | None = Field(default=None, max_length=80)


class SpendBody(BaseModel):
    month: date
    channel: str = Field(min_length=1, max_length=60)
    campaign: str | None = Field(default=None, max_length=120)
    amount: Decimal = Field(ge=0, max_digits=16, decimal_places=2)


# --- models ------------------------------------------------------------------------------------


@router.get("/insight/models")
def list_models(session: ReadSession, principal: CurrentPrincipal, kind: str | None = None) -> list[dict[str, Any]]:
    """Trained models, newest first per kind: metrics, options, where the card lives."""
    require(principal, "insight.read")
    return plain(queries.list_models(session, kind))  # type: ignore[no-any-return]


@router.get("/insight/models/{kind}/card", response_class=PlainTextResponse)
def model_card(kind: str, session: ReadSession, principal: CurrentPrincipal) -> str:
    """The active model's card (MODEL_CARD.md) as markdown."""
    require(principal, "insight.read")
    found = queries.active_model(session, kind)
    if found is None:
        raise NotFound(f"no active {kind} model")
    return found[1]


# --- churn ---------------------------------------------------------------------------------------


@router.post("/insight/churn/train", status_code=201)
def train_churn(request: Request, principal: CurrentPrincipal, container: ContainerDep, con: Engine,
                body: TrainBody | None = None) -> dict[str, Any]:
    """Train the churn model on this company's account history and make it active."""
    require(principal, "insight.train")
    body = body or TrainBody()
    with uow_for(request, principal) as uow:
        summary = service.train_churn(uow, con, as_of=_today(uow.session, body.as_of), horizon_days=body.horizon_days,
                                      model_dir=Path(container.settings.model_dir))
        uow.commit()
    return plain({k: v for k, v in dataclasses.asdict(summary).items() if k != "card"})  # type: ignore[no-any-return]


@router.post("/insight/churn/score")
def score_churn(request: Request, principal: CurrentPrincipal, con: Engine,
                body: ScoreBody | None = None) -> dict[str, Any]:
    """Score accounts with a renewal coming up; raise, refresh and settle warnings."""
    require(principal, "insight.train")
    body = body or ScoreBody()
    with uow_for(request, principal) as uow:
        result = service.score_churn(uow, con, as_of=_today(uow.session, body.as_of), threshold=body.threshold)
        uow.commit()
    return plain(result)  # type: ignore[no-any-return]


@router.get("/insight/churn/warnings")
def list_warnings(
    session: ReadSession,
    principal: CurrentPrincipal,
    status: Annotated[str | None, Query(description="active, open, in_progress, saved, lost, all")] = "active",
    owner_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    require(principal, "insight.read")
    rows = queries.list_warnings(session, principal, status=None if status == "all" else status, owner_id=owner_id,
                                 limit=limit)
    return plain(rows)  # type: ignore[no-any-return]


@router.get("/insight/churn/warnings/{warning_id}")
def get_warning(warning_id: int, session: ReadSession, principal: CurrentPrincipal) -> dict[str, Any]:
    require(principal, "insight.read")
    detail = queries.get_warning(session, principal, warning_id)
    if detail is None:
        raise NotFound(f"churn warning {warning_id} does not exist")
    return plain(detail)  # type: ignore[no-any-return]


@router.post("/insight/churn/warnings/{warning_id}/interventions", status_code=201)
def add_intervention(warning_id: int, body: InterventionBody, request: Request,
                     principal: CurrentPrincipal) -> dict[str, int]:
    """Log what was done to keep the customer; an open warning becomes in progress."""
    with uow_for(request, principal) as uow:
        new_id = service.log_intervention(uow, principal, warning_id, kind=body.kind,
                                          happened_on=_today(uow.session, body.happened_on), note=body.note)
        uow.commit()
    return {"id": new_id}


@router.post("/insight/churn/warnings/{warning_id}/close")
def close_warning(warning_id: int, body: CloseBody, request: Request, principal: CurrentPrincipal) -> dict[str, str]:
    with uow_for(request, principal) as uow:
        service.close_warning(uow, principal, warning_id, outcome=body.outcome, on=_today(uow.session, body.on),
                              note=body.note)
        uow.commit()
    return {"status": body.outcome.value}


@router.get("/insight/churn/save-rate")
def save_rate(session: ReadSession, principal: CurrentPrincipal) -> dict[str, Any]:
    require(principal, "insight.read")
    return plain(queries.save_rate(session, principal))  # type: ignore[no-any-return]


# --- leads ---------------------------------------------------------------------------------------


@router.post("/insight/leads/train", status_code=201)
def train_leads(request: Request, principal: CurrentPrincipal, container: ContainerDep,
                body: TrainBody | None = None) -> dict[str, Any]:
    require(principal, "insight.train")
    body = body or TrainBody()
    with uow_for(request, principal) as uow:
        summary = service.train_leads(uow, as_of=_today(uow.session, body.as_of),
                                      model_dir=Path(container.settings.model_dir))
        uow.commit()
    return plain({k: v for k, v in dataclasses.asdict(summary).items() if k != "card"})  # type: ignore[no-any-return]


@router.post("/insight/leads/score")
def score_leads(request: Request, principal: CurrentPrincipal, body: LeadScoreBody | None = None) -> dict[str, int]:
    """Write ``leads.score`` (0–100) for leads without one (or all with ``rescore``)."""
    require(principal, "insight.train")
    with uow_for(request, principal) as uow:
        n = service.score_leads(uow, rescore=(body or LeadScoreBody()).rescore)
        uow.commit()
    return {"scored": n}


@router.get("/insight/leads/{lead_id}/score")
def lead_score(lead_id: int, session: ReadSession, principal: CurrentPrincipal) -> dict[str, Any]:
    require(principal, "insight.read")
    visible = crm_queries.is_visible(session, principal, "lead", lead_id)
    found = queries.lead_score(session, lead_id) if visible else None
    if found is None:
        raise NotFound(f"no score for lead {lead_id}")
    return plain(found)  # type: ignore[no-any-return]


# --- calls -----------------------------------------------------------------------------------------


@router.post("/insight/calls/analyse")
def analyse_calls(request: Request, principal: CurrentPrincipal, body: AnalyseBody | None = None) -> dict[str, Any]:
    """Score every call transcript not analysed yet with the shipped sentiment model."""
    require(principal, "insight.train")
    with uow_for(request, principal) as uow:
        done = service.analyse_calls(uow, reanalyse=(body or AnalyseBody()).reanalyse)
        uow.commit()
    return plain(done)  # type: ignore[no-any-return]


@router.get("/insight/calls")
def list_calls(
    session: ReadSession, principal: CurrentPrincipal, person_id: int | None = None, emotion: str | None = None,
    topic: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    require(principal, "insight.read")
    return plain(queries.list_calls(session, principal, person_id=person_id, emotion=emotion, topic=topic,
                                    limit=limit))  # type: ignore[no-any-return]


@router.get("/insight/calls/{call_id}")
def get_call(call_id: int, session: ReadSession, principal: CurrentPrincipal) -> dict[str, Any]:
    require(principal, "insight.read")
    detail = queries.get_call(session, principal, call_id)
    if detail is None:
        raise NotFound(f"no analysis of call {call_id}")
    return plain(detail)  # type: ignore[no-any-return]


@router.get("/insight/coaching")
def coaching(session: ReadSession, principal: CurrentPrincipal, con: Engine) -> list[dict[str, Any]]:
    """Per rep: calls, customer emotion, negative calls, talk share, topics and suggestions."""
    require(principal, "insight.read")
    return plain(queries.coaching(session, principal, con))  # type: ignore[no-any-return]


# --- funnel, cohorts, forecast ---------------------------------------------------------------------


@router.get("/insight/funnel")
def funnel(
    session: ReadSession, principal: CurrentPrincipal, con: Engine, period: PeriodQuery = None,
    by: Annotated[str, Query(pattern="^(all|rep|team|region|month)$")] = "all",
) -> dict[str, Any]:
    """Stage-to-stage conversion, stage durations, velocity, win rate and leakage of the deals
    created in the period, overall or by rep, team, region or creation month."""
    require(principal, "insight.read")
    start, end = period_span(session, period)
    return plain(queries.funnel(session, principal, con, start, end, by))  # type: ignore[no-any-return]


@router.get("/insight/cohorts")
def cohorts(session: ReadSession, principal: CurrentPrincipal, con: Engine,
            period: PeriodQuery = None) -> list[dict[str, Any]]:
    """Leads by month received: qualified, deals opened, won, won amount."""
    require(principal, "insight.read")
    start, end = period_span(session, period)
    return plain(queries.cohorts(session, principal, con, start, end))  # type: ignore[no-any-return]


@router.get("/insight/forecast")
def forecast(session: ReadSession, principal: CurrentPrincipal,
             period: Annotated[str | None, Query(description="default: this quarter")] = None,
             as_of: date | None = None) -> dict[str, Any]:
    """Won revenue per owner for the period: won to date, pipeline-weighted and history-based."""
    require(principal, "insight.read")
    day = _today(session, as_of)
    p = quarter_of(session, period, day)
    rows = queries.forecast(session, principal, p, day)
    return plain({"period": p.label, "as_of": day, "owners": rows})  # type: ignore[no-any-return]


# --- demand -------------------------------------------------------------------------------------------


@router.post("/insight/demand/cluster")
def cluster_demand(request: Request, principal: CurrentPrincipal, body: ClusterBody | None = None) -> dict[str, Any]:
    require(principal, "insight.train")
    with uow_for(request, principal) as uow:
        run = service.cluster_demand(uow, k=(body or ClusterBody()).k)
        uow.commit()
    return plain(run)  # type: ignore[no-any-return]


@router.get("/insight/demand")
def demand(
    session: ReadSession, principal: CurrentPrincipal, con: Engine, period: PeriodQuery = None
) -> dict[str, Any]:
    require(principal, "insight.read")
    start, end = period_span(session, period)
    return plain(queries.demand(session, principal, con, start, end))  # type: ignore[no-any-return]


@router.get("/insight/demand/clusters/{cluster_id}/docs")
def demand_docs(cluster_id: int, session: ReadSession, principal: CurrentPrincipal,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    require(principal, "insight.read")
    return plain(queries.demand_docs(session, principal, cluster_id, limit))  # type: ignore[no-any-return]


# --- market saturation, competitors, ROI ------------------------------------------------------------------


def _csv(upload: UploadFile) -> list[dict[str, str]]:
    return rules.read_csv_bytes(upload.file.read())


@router.get("/insight/markets")
def list_markets(session: ReadSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    require(principal, "insight.read")
    return plain(queries.markets(session))  # type: ignore[no-any-return]


@router.put("/insight/markets")
def save_markets(body: list[MarketBody], request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    """Enter addressable accounts per region and industry (upsert)."""
    with uow_for(request, principal) as uow:
        changed = service.save_markets(uow, principal, [MarketDraft(**b.model_dump()) for b in body])
        uow.commit()
    return {"changed": changed}


@router.post("/insight/markets/import")
def import_markets(request: Request, principal: CurrentPrincipal,
                   file: Annotated[UploadFile, File(description="CSV: 大区/region, 行业/industry, 可触达客户数")]
                   ) -> dict[str, int]:
    require(principal, "insight.configure")
    with uow_for(request, principal) as uow:
        changed = service.import_markets(uow, principal, _csv(file), file.filename or "upload.csv")
        uow.commit()
    return {"changed": changed}


@router.get("/insight/saturation")
def saturation(session: ReadSession, principal: CurrentPrincipal, con: Engine, as_of: date | None = None,
               period: PeriodQuery = None) -> dict[str, Any]:
    """Won customers ÷ addressable accounts per region and industry, and penetration by month."""
    require(principal, "insight.read")
    day = _today(session, as_of)
    start, end = period_span(session, period, day)
    return plain({"as_of": day, "rows": queries.saturation(session, principal, con, day + timedelta(days=1)),
                  "trend": queries.penetration(session, principal, con, start, end)})  # type: ignore[no-any-return]


@router.get("/insight/competitors")
def competitors(session: ReadSession, principal: CurrentPrincipal, con: Engine,
                period: PeriodQuery = None) -> dict[str, Any]:
    """Competitor events on the monthly win-rate line (and deals lost to a competitor)."""
    require(principal, "insight.read")
    start, end = period_span(session, period)
    return plain({"events": queries.competitor_events(session, start, end),
                  "win_rates": queries.win_rates(session, principal, con, start, end)})  # type: ignore[no-any-return]


@router.post("/insight/competitors/events", status_code=201)
def add_event(body: EventBody, request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    with uow_for(request, principal) as uow:
        [new_id] = service.add_competitor_events(uow, principal, [CompetitorEventDraft(**body.model_dump())])
        uow.commit()
    return {"id": new_id}


@router.post("/insight/competitors/import")
def import_events(request: Request, principal: CurrentPrincipal,
                  file: Annotated[UploadFile, File(description="CSV: 竞争对手, 日期, 类型, 描述, 大区")]
                  ) -> dict[str, int]:
    require(principal, "insight.configure")
    with uow_for(request, principal) as uow:
        ids = service.import_competitor_events(uow, principal, _csv(file), file.filename or "upload.csv")
        uow.commit()
    return {"added": len(ids)}


@router.get("/insight/spend")
def list_spend(session: ReadSession, principal: CurrentPrincipal, period: PeriodQuery = None) -> list[dict[str, Any]]:
    require(principal, "insight.configure")
    start, end = period_span(session, period)
    return plain(queries.spend(session, start, end))  # type: ignore[no-any-return]


@router.put("/insight/spend")
def save_spend(body: list[SpendBody], request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    """Enter marketing spend per month, lead channel and campaign (upsert)."""
    with uow_for(request, principal) as uow:
        changed = service.save_spend(uow, principal, [SpendDraft(**b.model_dump()) for b in body])
        uow.commit()
    return {"changed": changed}


@router.post("/insight/spend/import")
def import_spend(request: Request, principal: CurrentPrincipal,
                 file: Annotated[UploadFile, File(description="CSV: 月份, 渠道, 活动, 金额 (or English names)")]
                 ) -> dict[str, int]:
    require(principal, "insight.configure")
    with uow_for(request, principal) as uow:
        changed = service.import_spend(uow, principal, _csv(file), file.filename or "upload.csv")
        uow.commit()
    return {"changed": changed}


@router.get("/insight/roi")
def roi(session: ReadSession, principal: CurrentPrincipal, con: Engine, period: PeriodQuery = None) -> dict[str, Any]:
    """Spend per lead channel against the won revenue its leads brought (company-wide view:
    ``available`` is false for callers who see only part of the company)."""
    require(principal, "insight.read")
    start, end = period_span(session, period)
    rows = queries.roi(session, principal, con, start, end)
    return plain({"start": start, "end": end, "available": rows is not None,  # type: ignore[no-any-return]
                  "rows": rows or []})


# --- the war room in one call ---------------------------------------------------------------------------------


def warroom_snapshot(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    """Every panel of the war room (销售作战室) as plain values: pacing (from ``targets``),
    funnel, forecast, churn warnings, call emotion, demand clusters, saturation, competitor
    timeline and ROI — over the 12 months to this month's end and this quarter."""
    from chanli.targets import queries as target_queries

    end = date(as_of.year + 1, 1, 1) if as_of.month == 12 else date(as_of.year, as_of.month + 1, 1)
    start = date(end.year - 1, end.month, 1)
    recent = date(end.year, end.month, 1)
    for _ in range(5):
        recent = date(recent.year - 1, 12, 1) if recent.month == 1 else date(recent.year, recent.month - 1, 1)
    quarter = quarter_of(s, None, as_of)
    try:
        head, board = target_queries.team_board(s, principal, con, period_label=quarter.label,
                                                metric_code="won_revenue", as_of=as_of)
    except LookupError:
        head, board = None, []
    return {
        "as_of": as_of,
        "start": start,
        "end": end,
        "quarter": quarter.label,
        "pacing": {"team": head, "rows": [{"owner": r.owner, "name": r.name, "kind": r.kind, "progress": r.progress}
                                          for r in board]},
        "funnel": queries.funnel(s, principal, con, start, end, "all"),
        "forecast": queries.forecast(s, principal, quarter, as_of),
        "churn": {
            "warnings": queries.list_warnings(s, principal, limit=10),
            "save_rate": queries.save_rate(s, principal),
            "risk": queries.risk_distribution(s, principal),
        },
        "calls": {"trend": queries.emotion_trend(s, principal, con, recent, end),
                  "reps": queries.coaching(s, principal, con)[:5]},
        "demand": queries.demand(s, principal, con, recent, end),
        "saturation": queries.saturation(s, principal, con, as_of + timedelta(days=1)),
        "competitors": {"events": queries.competitor_events(s, start, end),
                        "win_rates": queries.win_rates(s, principal, con, start, end)},
        "roi": queries.roi(s, principal, con, start, end),
    }


@router.get("/insight/warroom")
def warroom(
    session: ReadSession, principal: CurrentPrincipal, con: Engine, as_of: date | None = None
) -> dict[str, Any]:
    """The leaders' live dashboard in one JSON object (the page polls its panels)."""
    require(principal, "insight.warroom")
    return plain(warroom_snapshot(session, principal, con, _today(session, as_of)))  # type: ignore[no-any-return]
