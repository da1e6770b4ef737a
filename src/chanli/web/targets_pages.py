"""Targets and OKR pages: the target planner (tree × periods grid, method picker, inline edit,
SMART warnings), a rep's own targets (pacing gauges), the manager's team pacing board and
the OKR tree. Chinese first; views call ``chanli.targets`` queries and services only.

Inline edit is HTMX: a cell asks for its small form, the form posts the new value, and the
answer is the whole grid again — one edit rebalances the siblings and re-splits the
subtree, so more than one cell changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chanli.api.deps import get_container, store_engine, uow_for
from chanli.core.auth import Forbidden, Principal
from chanli.core.issues import ValidationFailed
from chanli.org import queries as org_queries
from chanli.targets import (
    METRICS,
    DecompositionMethod,
    ExpectationBasis,
    KeyResultDraft,
    KeyResultKind,
    NotFound,
    ObjectiveDraft,
    OkrLayer,
    PlanRequest,
    TargetStatus,
    parse_owner,
    queries,
    service,
)
from chanli.web.pages import int_or_none, login_redirect, optional_principal, render

__all__ = ["mount"]

PERIOD_METHODS = ("equal", "seasonal", "working_days")
OWNER_METHODS = ("capacity", "equal", "last_year", "potential")
GRAIN_CHOICES = ("quarter,month", "quarter,month,week", "month", "quarter")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _metric_label(code: str, locale: str) -> str:
    m = METRICS[code]
    return m.label_zh if locale == "zh_CN" else m.label_en


def _metrics(locale: str) -> list[dict[str, str]]:
    return [
        {"code": m.code, "label": m.label_zh if locale == "zh_CN" else m.label_en, "unit": m.unit.value}
        for m in METRICS.values()
    ]


def _locale(request: Request, principal: Principal) -> str:
    from chanli.web.pages import locale_of

    return locale_of(request, principal)


def mount(app: FastAPI) -> None:
    # --- the planner ---------------------------------------------------------------------------

    def planner_context(
        s: Any, principal: Principal, plan_id: int | None, error: str | None = None, grains: str = "year,quarter,month"
    ) -> dict[str, Any]:
        plans = queries.list_plans(s, principal)
        if plan_id is None and plans:
            plan_id = plans[0].id
        grid = queries.plan_grid(s, principal, plan_id, grains=grains.split(",")) if plan_id else None
        today = queries.today(s)
        teams = org_queries.list_teams(s, principal)
        owners = [{"key": "company", "name": queries.org_snapshot(s).company_name}] if principal.sees_all else []
        owners += [
            {"key": f"team:{t.id}", "name": "\u3000" * t.depth + t.name}
            for t in teams
            if principal.sees_all or t.id in (principal.visible_team_ids or ())
        ]
        warning_counts: dict[str, int] = {}
        for w in grid.warnings if grid else ():
            warning_counts[w["code"]] = warning_counts.get(w["code"], 0) + 1
        return {
            "plans": plans,
            "grid": grid,
            "plan_id": plan_id,
            "error": error,
            "owners": owners,
            "period_methods": PERIOD_METHODS,
            "owner_methods": OWNER_METHODS,
            "grain_choices": GRAIN_CHOICES,
            "default_period": str(today.year + 1),
            "grains": grains,
            "warning_counts": warning_counts,
            "can_plan": principal.can("targets.plan"),
            "can_approve": principal.can("targets.approve"),
            "unit": METRICS[grid.plan.metric_code].unit.value if grid else None,
        }

    def grid_grains(request: Request) -> str:
        value = request.query_params.get("show") or "year,quarter,month"
        allowed = {"year", "half", "quarter", "month", "week"}
        parts = [p for p in value.split(",") if p in allowed]
        return ",".join(parts) or "year,quarter,month"

    @app.get("/targets", response_class=HTMLResponse, include_in_schema=False)
    def planner(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            plan_id = int_or_none(request.query_params.get("plan"))
            ctx = planner_context(s, principal, plan_id, grains=grid_grains(request))
            if plan_id is not None and ctx["grid"] is None:
                return render(request, "404.html", principal, status=404)
            ctx["metrics"] = _metrics(_locale(request, principal))
        return render(request, "targets_planner.html", principal, nav="targets", sub="planner", **ctx)

    @app.post("/targets/plans", include_in_schema=False)
    def create_plan(
        request: Request,
        metric: str = Form(...),
        period: str = Form(...),
        value: str = Form(...),
        owner: str = Form("company"),
        period_method: str = Form("equal"),
        owner_method: str = Form("capacity"),
        grains: str = Form("quarter,month"),
        name: str = Form(""),
    ) -> Response:
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        error = None
        plan_id = None
        try:
            amount = Decimal(value.replace(",", "").strip())
            req = PlanRequest(
                metric,
                period.strip(),
                amount,
                parse_owner(owner),
                DecompositionMethod(period_method),
                DecompositionMethod(owner_method),
                tuple(grains.split(",")),
                name.strip(),
            )
            with uow_for(request, principal) as uow, store_engine(request) as con:
                preview = service.create_plan(uow, principal, req, con)
                uow.commit()
            plan_id = preview.plan_id
        except (InvalidOperation, ValueError, KeyError) as exc:
            error = str(exc) if not isinstance(exc, InvalidOperation) else f"not a number: {value!r}"
        except (Forbidden, NotFound, ValidationFailed) as exc:
            error = str(exc)
        if error is None:
            return RedirectResponse(f"/targets?plan={plan_id}", status_code=303)
        with container.read() as s:
            ctx = planner_context(s, principal, None, error=error)
            ctx["metrics"] = _metrics(_locale(request, principal))
        return render(request, "targets_planner.html", principal, status=400, nav="targets", sub="planner", **ctx)

    @app.get("/targets/cells/{target_id:int}/edit", response_class=HTMLResponse, include_in_schema=False)
    def edit_cell(request: Request, target_id: int, value: str = "", plan: int = 0) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        return render(
            request,
            "targets_cell_edit.html",
            principal,
            target_id=target_id,
            value=value,
            plan_id=plan,
            show=grid_grains(request),
        )

    @app.post("/targets/cells/{target_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def save_cell(
        request: Request,
        target_id: int,
        value: str = Form(...),
        reason: str = Form(""),
        plan: int = Form(...),
        show: str = Form("year,quarter,month"),
    ) -> Response:
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        error = None
        changed: list[int] = []
        try:
            amount = Decimal(value.replace(",", "").strip())
            with uow_for(request, principal) as uow, store_engine(request) as con:
                changed = service.update_cell(uow, principal, target_id, amount, reason=reason or None, con=con)
                uow.commit()
        except InvalidOperation:
            error = f"not a number: {value!r}"
        except (ValueError, Forbidden, NotFound) as exc:
            error = str(exc)
        with container.read() as s:
            ctx = planner_context(s, principal, plan, error=error, grains=show)
        return render(request, "targets_grid.html", principal, changed=set(changed), **ctx)

    @app.post("/targets/plans/{plan_id:int}/{action}", include_in_schema=False)
    def transition(request: Request, plan_id: int, action: str, reason: str = Form("")) -> Response:
        to = {
            "approve": TargetStatus.APPROVED,
            "activate": TargetStatus.ACTIVE,
            "close": TargetStatus.CLOSED,
            "reopen": TargetStatus.DRAFT,
        }.get(action)
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        if to is None:
            return render(request, "404.html", principal, status=404)
        error = None
        try:
            with uow_for(request, principal) as uow:
                service.transition_plan(uow, principal, plan_id, to, reason=reason or None)
                uow.commit()
        except (ValueError, Forbidden, NotFound, ValidationFailed) as exc:
            error = str(exc)
        if error is None:
            return RedirectResponse(f"/targets?plan={plan_id}", status_code=303)
        with container.read() as s:
            ctx = planner_context(s, principal, plan_id, error=error)
            ctx["metrics"] = _metrics(_locale(request, principal))
        return render(request, "targets_planner.html", principal, status=400, nav="targets", sub="planner", **ctx)

    # --- my targets ----------------------------------------------------------------------------

    @app.get("/targets/me", response_class=HTMLResponse, include_in_schema=False)
    def my_targets(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            as_of = _day(request.query_params.get("as_of")) or queries.today(s)
            owner_text = request.query_params.get("owner")
            basis = (
                ExpectationBasis.WORKING_DAYS
                if request.query_params.get("basis") == "working_days"
                else ExpectationBasis.CALENDAR
            )
            try:
                owner = parse_owner(owner_text) if owner_text else None
                with store_engine(request) as con:
                    mine = queries.my_targets(s, principal, con, as_of=as_of, owner=owner, basis=basis)
            except (LookupError, ValueError):
                return render(request, "404.html", principal, status=404)
            people = (
                org_queries.list_people(s, principal)
                if not principal.person_id or principal.sees_all or principal.visible_team_ids
                else []
            )
        locale = _locale(request, principal)
        data = {
            "locale": locale,
            "metrics": [
                {
                    "code": m.metric_code,
                    "label": _metric_label(m.metric_code, locale),
                    "unit": m.unit,
                    "periods": [
                        {
                            "period": r.period,
                            "target": str(r.target) if r.target is not None else None,
                            "actual": str(r.actual) if r.actual is not None else None,
                            "expected": str(r.expected_to_date) if r.expected_to_date is not None else None,
                            "status": r.status,
                        }
                        for r in (m.month, m.quarter, m.year)
                    ],
                    "trend": {
                        "months": [p.month.strftime("%m") for p in m.trend],
                        "target": [str(p.target) if p.target is not None else None for p in m.trend],
                        "actual": [str(p.actual) if p.actual is not None else None for p in m.trend],
                    },
                }
                for m in mine.metrics
            ],
        }
        return render(
            request,
            "targets_me.html",
            principal,
            nav="targets",
            sub="me",
            mine=mine,
            data=data,
            as_of=as_of,
            people=people,
            basis=basis.value,
        )

    # --- team board ----------------------------------------------------------------------------

    @app.get("/targets/board", response_class=HTMLResponse, include_in_schema=False)
    def board(request: Request) -> Response:
        params = request.query_params
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            as_of = _day(params.get("as_of")) or queries.today(s)
            period = params.get("period") or f"{as_of:%Y-%m}"
            metric = params.get("metric") if params.get("metric") in METRICS else "won_revenue"
            basis = (
                ExpectationBasis.WORKING_DAYS if params.get("basis") == "working_days" else ExpectationBasis.CALENDAR
            )
            error = None
            head, rows = None, []
            try:
                team = parse_owner(params["team"]) if params.get("team") else None
                with store_engine(request) as con:
                    head, rows = queries.team_board(
                        s, principal, con, period_label=period, metric_code=metric, team=team, as_of=as_of, basis=basis
                    )
            except LookupError:
                return render(request, "404.html", principal, status=404)
            except ValueError as exc:
                error = str(exc)
            teams = org_queries.list_teams(s, principal)
        locale = _locale(request, principal)
        data = {
            "locale": locale,
            "unit": METRICS[metric].unit.value,
            "team": {
                "target": str(head.target) if head and head.target is not None else None,
                "actual": str(head.actual) if head and head.actual is not None else None,
                "expected": str(head.expected_to_date) if head and head.expected_to_date is not None else None,
                "label": head.owner_name if head else "",
                "status": head.status if head else None,
            },
            "rows": [
                {
                    "name": r.name,
                    "attainment": str(r.progress.attainment or 0),
                    "elapsed": str(r.progress.elapsed),
                    "status": r.progress.status,
                }
                for r in rows
            ],
        }
        return render(
            request,
            "targets_board.html",
            principal,
            nav="targets",
            sub="board",
            head=head,
            rows=rows,
            period=period,
            metric=metric,
            metrics=_metrics(locale),
            teams=teams,
            as_of=as_of,
            team=params.get("team") or "",
            error=error,
            data=data,
            basis=basis.value,
            metric_label=_metric_label(metric, locale),
        )

    # --- OKR -----------------------------------------------------------------------------------

    def okr_context(s: Any, principal: Principal, request: Request, error: str | None = None) -> dict[str, Any]:
        period = request.query_params.get("period") or None
        with store_engine(request) as con:
            nodes = queries.okr_tree(s, principal, con, period_label=period, as_of=queries.today(s))
        return {
            "nodes": nodes,
            "period": period or "",
            "error": error,
            "layers": [x.value for x in OkrLayer],
            "default_period": str(queries.today(s).year),
            "metrics": _metrics(_locale(request, principal)),
        }

    @app.get("/okr", response_class=HTMLResponse, include_in_schema=False)
    def okr(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            try:
                ctx = okr_context(s, principal, request)
            except ValueError as exc:
                request.scope["query_string"] = b""
                ctx = okr_context(s, principal, request, error=str(exc))
        return render(request, "targets_okr.html", principal, nav="targets", sub="okr", **ctx)

    @app.post("/okr/objectives", include_in_schema=False)
    def create_objective(
        request: Request,
        layer: str = Form(...),
        title: str = Form(...),
        period: str = Form(...),
        parent_id: str = Form(""),
    ) -> Response:
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        try:
            with uow_for(request, principal) as uow:
                service.create_objective(
                    uow, principal, ObjectiveDraft(OkrLayer(layer), title, period, parent_id=int_or_none(parent_id))
                )
                uow.commit()
        except (ValueError, Forbidden, NotFound) as exc:
            with container.read() as s:
                ctx = okr_context(s, principal, request, error=str(exc))
            return render(request, "targets_okr.html", principal, status=400, nav="targets", sub="okr", **ctx)
        return RedirectResponse("/okr", status_code=303)

    @app.post("/okr/objectives/{objective_id:int}/key-results", include_in_schema=False)
    def add_key_result(
        request: Request,
        objective_id: int,
        title: str = Form(...),
        kind: str = Form("manual"),
        target_value: str = Form(""),
        metric_code: str = Form(""),
    ) -> Response:
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        try:
            goal = Decimal(target_value) if target_value.strip() else None
            draft = KeyResultDraft(title, KeyResultKind(kind), goal, metric_code=metric_code or None)
            with uow_for(request, principal) as uow:
                service.add_key_result(uow, principal, objective_id, draft)
                uow.commit()
        except (InvalidOperation, ValueError, Forbidden, NotFound) as exc:
            with container.read() as s:
                ctx = okr_context(s, principal, request, error=str(exc) or "invalid value")
            return render(request, "targets_okr.html", principal, status=400, nav="targets", sub="okr", **ctx)
        return RedirectResponse("/okr", status_code=303)

    @app.post("/okr/key-results/{key_result_id:int}/check-in", response_class=HTMLResponse, include_in_schema=False)
    def check_in(request: Request, key_result_id: int, value: str = Form(...), note: str = Form("")) -> Response:
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        error = None
        try:
            with uow_for(request, principal) as uow:
                service.check_in(uow, principal, key_result_id, Decimal(value.strip()), note=note or None)
                uow.commit()
        except InvalidOperation:
            error = f"not a number: {value!r}"
        except (ValueError, Forbidden, NotFound) as exc:
            error = str(exc)
        with container.read() as s:
            ctx = okr_context(s, principal, request, error=error)
        template = "targets_okr_tree.html" if request.headers.get("hx-request") == "true" else "targets_okr.html"
        return render(request, template, principal, nav="targets", sub="okr", **ctx)
