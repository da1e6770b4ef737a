"""Insight pages: the war room (销售作战室) whose panels refresh themselves without a reload
(HTMX polling every N seconds, ``?refresh=N``), churn warnings with interventions, call
coaching, the funnel with lead cohorts, the market (saturation, competitors, ROI, and the
forms and CSV uploads that feed them), and the needs behind a demand cluster.

Chinese first; views call ``chanli.insight`` queries and services (and, for pacing,
``chanli.targets``) only. Every panel links to the records behind it (opportunities of a
stage or an owner, a warning, a rep's calls, a cluster's needs).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from chanli.api.deps import get_container, store_engine, uow_for
from chanli.api.insight import period_span, plain, quarter_of
from chanli.core.auth import Forbidden, Principal
from chanli.core.issues import ValidationFailed
from chanli.insight import (
    FUNNEL_STAGES,
    TOPIC_RULES,
    CompetitorEventDraft,
    InsightInputError,
    InterventionKind,
    MarketDraft,
    NotFound,
    WarningOutcome,
    queries,
    rules,
    service,
)
from chanli.web.pages import int_or_none, login_redirect, optional_principal, page_action, render

__all__ = ["PANELS", "mount"]

PANELS = ("pacing", "funnel", "forecast", "churn", "calls", "demand", "saturation", "competitors", "roi")
DEFAULT_REFRESH = 30  # seconds between panel refreshes
TIME_ZONE = ZoneInfo("Asia/Shanghai")


def _refresh(request: Request) -> int:
    value = int_or_none(request.query_params.get("refresh"))
    return DEFAULT_REFRESH if value is None else max(2, min(600, value))


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _months(end: date, n: int) -> tuple[date, date]:
    """The ``n`` months up to the end of ``end``'s month, half-open."""
    stop = date(end.year + 1, 1, 1) if end.month == 12 else date(end.year, end.month + 1, 1)
    index = stop.year * 12 + stop.month - 1 - n
    return date(index // 12, index % 12 + 1, 1), stop


def _now_text() -> str:
    return datetime.now(UTC).astimezone(TIME_ZONE).strftime("%H:%M:%S")


# --- war room panels --------------------------------------------------------------------------------


def _pacing(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    from chanli.targets import queries as target_queries

    quarter = quarter_of(s, None, as_of)
    try:
        head, rows = target_queries.team_board(s, principal, con, period_label=quarter.label,
                                               metric_code="won_revenue", as_of=as_of)
    except LookupError:
        head, rows = None, []
    return {"quarter": quarter.label, "team": head, "rows": rows[:8]}


def _funnel(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    start, end = _months(as_of, 12)
    view = queries.funnel(s, principal, con, start, end, "all")
    return {"group": view.groups[0] if view.groups else None, "start": start, "end": end}


def _forecast(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    quarter = quarter_of(s, None, as_of)
    rows = queries.forecast(s, principal, quarter, as_of)
    totals = {k: sum((getattr(r.forecast, k) for r in rows), Decimal(0))
              for k in ("won_to_date", "pipeline_weighted", "history_based")}
    return {"quarter": quarter.label, "rows": rows[:8], "totals": totals, "owners": len(rows)}


def _churn(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    return {"warnings": queries.list_warnings(s, principal, limit=6), "rate": queries.save_rate(s, principal),
            "risk": queries.risk_distribution(s, principal)}


def _calls(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    start, end = _months(as_of, 6)
    return {"trend": queries.emotion_trend(s, principal, con, start, end),
            "reps": queries.coaching(s, principal, con)[:5]}


def _demand(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    start, end = _months(as_of, 6)
    return {"view": queries.demand(s, principal, con, start, end)}


def _saturation(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    rows = queries.saturation(s, principal, con, as_of + timedelta(days=1))
    by_region: dict[str, list[int]] = {}
    for r in rows:
        agg = by_region.setdefault(r.region, [0, 0])
        agg[0] += r.customers
        agg[1] += r.addressable or 0
    regions = [{"region": k, "customers": c, "addressable": a, "penetration": rules.rate(c, a)}
               for k, (c, a) in sorted(by_region.items())]
    return {"rows": [r for r in rows if r.addressable], "regions": regions}


def _competitors(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    start, end = _months(as_of, 12)
    return {"events": queries.competitor_events(s, start, end), "win_rates": queries.win_rates(s, principal, con,
                                                                                               start, end)}


def _roi(s: Session, principal: Principal, con: BaseBackend, as_of: date) -> dict[str, Any]:
    start, end = _months(as_of, 12)
    return {"rows": queries.roi(s, principal, con, start, end), "start": start, "end": end}


PANEL_DATA = {
    "pacing": _pacing, "funnel": _funnel, "forecast": _forecast, "churn": _churn, "calls": _calls,
    "demand": _demand, "saturation": _saturation, "competitors": _competitors, "roi": _roi,
}


def _panel(s: Session, principal: Principal, con: BaseBackend, name: str, as_of: date) -> dict[str, Any]:
    data = PANEL_DATA[name](s, principal, con, as_of)
    return {"name": name, "data": data, "chart": plain(data), "updated": _now_text()}


# --- routes -----------------------------------------------------------------------------------------


def mount(app: FastAPI) -> None:
    @app.get("/insight", include_in_schema=False)
    def insight_home(request: Request) -> Response:
        return RedirectResponse("/insight/warroom", status_code=303)

    @app.get("/insight/warroom", response_class=HTMLResponse, include_in_schema=False)
    def warroom(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            if not principal.can("insight.warroom"):
                return RedirectResponse("/insight/churn", status_code=303)
            as_of = _day(request.query_params.get("as_of")) or queries.today(s)
            with store_engine(request) as con:
                panels = [_panel(s, principal, con, name, as_of) for name in PANELS]
        return render(request, "insight_warroom.html", principal, nav="insight", sub="warroom", panels=panels,
                      refresh=_refresh(request), as_of=as_of, as_of_param=request.query_params.get("as_of"))

    @app.get("/insight/warroom/panels/{name}", response_class=HTMLResponse, include_in_schema=False)
    def warroom_panel(request: Request, name: str) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            if name not in PANEL_DATA or not principal.can("insight.warroom"):
                return render(request, "404.html", principal, status=404)
            as_of = _day(request.query_params.get("as_of")) or queries.today(s)
            with store_engine(request) as con:
                panel = _panel(s, principal, con, name, as_of)
        return render(request, "insight_panel.html", principal, panel=panel, refresh=_refresh(request),
                      as_of_param=request.query_params.get("as_of"))

    # --- churn warnings ------------------------------------------------------------------------------

    @app.get("/insight/churn", response_class=HTMLResponse, include_in_schema=False)
    def churn(request: Request) -> Response:
        status = request.query_params.get("status") or "active"
        if status not in ("active", "open", "in_progress", "saved", "lost", "all"):
            status = "active"
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            rows = queries.list_warnings(s, principal, status=None if status == "all" else status, limit=300)
            rate = queries.save_rate(s, principal)
            risk = queries.risk_distribution(s, principal)
            model = queries.active_model(s, "churn")
        return render(request, "insight_churn.html", principal, nav="insight", sub="churn", rows=rows, rate=rate,
                      risk=risk, shown=status, model=model[0] if model else None)

    @app.get("/insight/churn/{warning_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def warning(request: Request, warning_id: int) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            detail = queries.get_warning(s, principal, warning_id)
            if detail is None:
                return render(request, "404.html", principal, status=404)
            today = queries.today(s)
        return render(request, "insight_warning.html", principal, nav="insight", sub="churn", d=detail, today=today,
                      kinds=[k.value for k in InterventionKind], error=request.query_params.get("error"),
                      can_act=principal.can("insight.intervene"))

    def _act(request: Request, warning_id: int, work: Any) -> Response:
        back = f"/insight/churn/{warning_id}"
        return page_action(request, work, done=back, failed=back, missing=(NotFound,),
                           errors=(Forbidden, ValidationFailed, ValueError))

    @app.post("/insight/churn/{warning_id:int}/interventions", include_in_schema=False)
    def add_intervention(request: Request, warning_id: int, kind: str = Form(...), happened_on: str = Form(""),
                         note: str = Form("")) -> Response:
        def work(uow: Any, principal: Principal) -> None:
            day = _day(happened_on) or queries.today(uow.session)
            service.log_intervention(uow, principal, warning_id, kind=InterventionKind(kind), happened_on=day,
                                     note=note)

        return _act(request, warning_id, work)

    @app.post("/insight/churn/{warning_id:int}/close", include_in_schema=False)
    def close(request: Request, warning_id: int, outcome: str = Form(...), note: str = Form("")) -> Response:
        def work(uow: Any, principal: Principal) -> None:
            service.close_warning(uow, principal, warning_id, outcome=WarningOutcome(outcome),
                                  on=queries.today(uow.session), note=note)

        return _act(request, warning_id, work)

    # --- calls ----------------------------------------------------------------------------------------

    @app.get("/insight/calls", response_class=HTMLResponse, include_in_schema=False)
    def calls(request: Request) -> Response:
        params = request.query_params
        person_id = int_or_none(params.get("person_id"))
        emotion = params.get("emotion") if params.get("emotion") in ("积极", "中性", "消极") else None
        topic = params.get("topic") or None
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            with store_engine(request) as con:
                reps = queries.coaching(s, principal, con)
            rows = queries.list_calls(s, principal, person_id=person_id, emotion=emotion, topic=topic, limit=100)
        return render(request, "insight_calls.html", principal, nav="insight", sub="calls", reps=reps, rows=rows,
                      filters={"person_id": person_id, "emotion": emotion, "topic": topic},
                      topics=[(r.code, r.name) for r in TOPIC_RULES])

    @app.get("/insight/calls/{call_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def call(request: Request, call_id: int) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            detail = queries.get_call(s, principal, call_id)
            if detail is None:
                return render(request, "404.html", principal, status=404)
        return render(request, "insight_call.html", principal, nav="insight", sub="calls", d=detail,
                      chart=plain({"trajectory": detail.trajectory, "utterances": detail.utterances}))

    # --- funnel ---------------------------------------------------------------------------------------

    @app.get("/insight/funnel", response_class=HTMLResponse, include_in_schema=False)
    def funnel(request: Request) -> Response:
        params = request.query_params
        facet = params.get("by") if params.get("by") in rules.FUNNEL_FACETS else "all"
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            error = None
            try:
                start, end = period_span(s, params.get("period") or None)
            except ValueError as exc:
                error = str(exc)
                start, end = period_span(s, None)
            with store_engine(request) as con:
                view = queries.funnel(s, principal, con, start, end, facet)
                cohort_rows = queries.cohorts(s, principal, con, start, end)
        return render(request, "insight_funnel.html", principal, nav="insight", sub="funnel", view=view,
                      cohorts=cohort_rows, facet=facet, period=params.get("period") or "", error=error,
                      stages=FUNNEL_STAGES, chart=plain({"groups": view.groups[:12], "names": view.names}),
                      last_day=end - timedelta(days=1))

    # --- market ---------------------------------------------------------------------------------------

    def _market_page(request: Request, principal: Principal, *, error: str | None = None,
                     notice: str | None = None, status: int = 200) -> Response:
        with get_container(request).read() as s:
            as_of = queries.today(s)
            start, end = _months(as_of, 12)
            with store_engine(request) as con:
                sat = queries.saturation(s, principal, con, as_of + timedelta(days=1))
                trend = queries.penetration(s, principal, con, start, end)
                events = queries.competitor_events(s)
                wins = queries.win_rates(s, principal, con, start, end)
                roi = queries.roi(s, principal, con, start, end)
            spend = queries.spend(s, start, end) if principal.can("insight.configure") else []
        return render(request, "insight_market.html", principal, nav="insight", sub="market", sat=sat, events=events,
                      wins=wins, roi=roi, spend=spend, error=error, notice=notice, start=start, end=end,
                      can_configure=principal.can("insight.configure"), status=status,
                      chart=plain({"trend": trend, "wins": wins, "events": events}))

    @app.get("/insight/market", response_class=HTMLResponse, include_in_schema=False)
    def market(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        return _market_page(request, principal)

    def _configure(request: Request, work: Any, done: str) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        try:
            with uow_for(request, principal) as uow:
                work(uow, principal)
                uow.commit()
        except ValidationFailed as exc:
            return _market_page(request, principal, error="; ".join(str(i) for i in exc.issues.errors[:8]), status=400)
        except (Forbidden, InsightInputError, ValueError) as exc:
            return _market_page(request, principal, error=str(exc), status=400)
        return _market_page(request, principal, notice=done)

    @app.post("/insight/market/markets", response_class=HTMLResponse, include_in_schema=False)
    def add_market(request: Request, region: str = Form(...), industry: str = Form(...),
                   addressable_accounts: str = Form(...)) -> Response:
        def work(uow: Any, principal: Principal) -> None:
            count = int(addressable_accounts.replace(",", "").strip())
            if count < 0:
                raise ValueError("addressable accounts must not be negative")
            service.save_markets(uow, principal, [MarketDraft(region.strip(), industry.strip(), count)])

        return _configure(request, work, "saved")

    @app.post("/insight/market/events", response_class=HTMLResponse, include_in_schema=False)
    def add_event(request: Request, competitor: str = Form(...), happened_on: str = Form(...),
                  kind: str = Form("other"), description: str = Form(...), region: str = Form("")) -> Response:
        def work(uow: Any, principal: Principal) -> None:
            day = _day(happened_on)
            if day is None or kind not in rules.EVENT_KINDS:
                raise ValueError(f"invalid date {happened_on!r} or kind {kind!r}")
            service.add_competitor_events(uow, principal, [CompetitorEventDraft(
                competitor.strip(), day, kind, description.strip(), region.strip() or None)])

        return _configure(request, work, "saved")

    @app.post("/insight/market/spend", response_class=HTMLResponse, include_in_schema=False)
    def add_spend(request: Request, month: str = Form(...), channel: str = Form(...), amount: str = Form(...),
                  campaign: str = Form("")) -> Response:
        def work(uow: Any, principal: Principal) -> None:
            parsed = rules.parse_spend([{"month": month, "channel": channel, "amount": amount,
                                         "campaign": campaign}], "form")
            if not parsed.ok or parsed.value is None:
                raise ValidationFailed(parsed.issues)
            service.save_spend(uow, principal, parsed.value)

        return _configure(request, work, "saved")

    @app.post("/insight/market/import", response_class=HTMLResponse, include_in_schema=False)
    def import_file(request: Request, what: str = Form(...), file: UploadFile = File(...)) -> Response:
        importers = {"markets": service.import_markets, "events": service.import_competitor_events,
                     "spend": service.import_spend}

        def work(uow: Any, principal: Principal) -> None:
            if what not in importers:
                raise ValueError(f"unknown import {what!r}")
            importers[what](uow, principal, rules.read_csv_bytes(file.file.read()), file.filename or "upload.csv")

        return _configure(request, work, "imported")

    # --- demand ---------------------------------------------------------------------------------------

    @app.get("/insight/demand/{cluster_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def demand_cluster(request: Request, cluster_id: int) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            as_of = queries.today(s)
            start, end = _months(as_of, 12)
            with store_engine(request) as con:
                view = queries.demand(s, principal, con, start, end)
            cluster = next((c for c in view.clusters if c["id"] == cluster_id), None)
            if cluster is None:
                return render(request, "404.html", principal, status=404)
            docs = queries.demand_docs(s, principal, cluster_id, limit=100)
        return render(request, "insight_demand.html", principal, nav="insight", sub="warroom", cluster=cluster,
                      docs=docs, months=view.months, chart=plain({"cluster": cluster, "months": view.months}))
