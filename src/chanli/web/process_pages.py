"""Process and routing pages: the kanban pipeline with gate feedback (drag a card or press its
button; what is missing is shown at once), the opportunity's playbook checklist and SPIN
form, the routing rules editor with a "simulate on last month's leads" preview, and the
approvals inbox. Chinese first; views call ``chanli.process`` and ``chanli.routing`` only.

Moves and decisions are HTMX posts answered with a fragment (the gate's missing items, or a
redirect header when the move succeeded); without JavaScript the same forms post and the
page reloads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chanli.api.deps import get_container, store_engine, uow_for
from chanli.core.auth import Forbidden
from chanli.core.db import utcnow
from chanli.core.issues import ValidationFailed
from chanli.org import queries as org_queries
from chanli.process import LOST, GateBlocked, NotFound, queries, service
from chanli.routing import PolicyStep, RoutingPolicy
from chanli.routing import queries as routing_queries
from chanli.routing import service as routing_service
from chanli.web.pages import int_or_none, login_redirect, optional_principal, render

__all__ = ["mount"]

STEP_ORDER = [s.value for s in PolicyStep]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _back(request: Request, location: str) -> Response:
    if _is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def mount(app: FastAPI) -> None:
    # --- kanban --------------------------------------------------------------------------------

    @app.get("/process", response_class=HTMLResponse, include_in_schema=False)
    def kanban(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            board = queries.pipeline(s, principal)
            pending = queries.pending_count(s, principal)
        return render(request, "process_kanban.html", principal, nav="process", sub="kanban", board=board,
                      pending=pending, can_override=principal.can("process.override"))

    def _move(request: Request, opportunity_id: int, to_stage: str, override_reason: str, lost_reason: str,
              back: str) -> Response:
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        missing: list[Any] = []
        error = None
        try:
            with uow_for(request, principal) as uow:
                service.move_opportunity(uow, principal, opportunity_id, to_stage, now=utcnow(),
                                         override_reason=override_reason.strip() or None,
                                         lost_reason=lost_reason.strip() or None)
                uow.commit()
            return _back(request, back)
        except GateBlocked as exc:
            missing = list(exc.gate.missing)
        except (ValidationFailed, Forbidden, NotFound, ValueError) as exc:
            error = str(exc)
        page = "process_gate.html" if _is_htmx(request) else "process_gate_page.html"
        return render(request, page, principal, nav="process", opportunity_id=opportunity_id, to_stage=to_stage,
                      missing=missing, error=error, back=back, can_override=principal.can("process.override"))

    @app.post("/process/opportunities/{opportunity_id:int}/move", include_in_schema=False)
    def move(request: Request, opportunity_id: int, to_stage: str = Form(...), override_reason: str = Form(""),
             lost_reason: str = Form(""), back: str = Form("/process")) -> Response:
        safe_back = back if back.startswith("/process") else "/process"
        return _move(request, opportunity_id, to_stage, override_reason, lost_reason, safe_back)

    # --- opportunity: checklist and SPIN --------------------------------------------------------

    @app.get("/process/opportunities/{opportunity_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def opportunity(request: Request, opportunity_id: int) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            view = queries.opportunity_view(s, principal, opportunity_id, now=utcnow())
            if view is None:
                return render(request, "404.html", principal, status=404)
        stage_index = view.playbook.index(view.stage_key) if view.stage_key != LOST else -1
        return render(request, "process_opportunity.html", principal, nav="process", view=view,
                      stage_index=stage_index, saved=request.query_params.get("saved"),
                      can_override=principal.can("process.override"), lost=LOST)

    @app.post("/process/opportunities/{opportunity_id:int}/spin", include_in_schema=False)
    async def spin(request: Request, opportunity_id: int) -> Response:
        form = await request.form()
        answers = {k[5:]: str(v) for k, v in form.items() if k.startswith("spin_")}
        back = f"/process/opportunities/{opportunity_id}?saved=spin"
        return await _run_sync(request, lambda principal, uow: service.save_spin_answers(
            uow, principal, opportunity_id, answers, now=utcnow()), back)

    @app.post("/process/opportunities/{opportunity_id:int}/tick", include_in_schema=False)
    def tick(request: Request, opportunity_id: int, stage_key: str = Form(...), item_kind: str = Form(...),
             item_key: str = Form(...), done: str = Form("1"), note: str = Form("")) -> Response:
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        try:
            with uow_for(request, principal) as uow:
                service.tick(uow, principal, opportunity_id, stage_key, item_kind, item_key, done=done == "1",
                             now=utcnow(), note=note.strip() or None)
                uow.commit()
        except (ValidationFailed, Forbidden, NotFound, KeyError) as exc:
            return render(request, "process_gate_page.html", principal, nav="process", opportunity_id=opportunity_id,
                          to_stage="", missing=[], error=str(exc), back="/process", can_override=False)
        return _back(request, f"/process/opportunities/{opportunity_id}?saved=checklist")

    async def _run_sync(request: Request, fn: Any, back: str) -> Response:
        from starlette.concurrency import run_in_threadpool

        def work() -> Response:
            container = get_container(request)
            with container.read() as s:
                principal = optional_principal(request, s)
                if principal is None:
                    return login_redirect(request)
            try:
                with uow_for(request, principal) as uow:
                    fn(principal, uow)
                    uow.commit()
            except (ValidationFailed, Forbidden, NotFound) as exc:
                return render(request, "process_gate_page.html", principal, nav="process", opportunity_id=0,
                              to_stage="", missing=[], error=str(exc), back="/process", can_override=False)
            return _back(request, back)

        return await run_in_threadpool(work)

    # --- approvals inbox ------------------------------------------------------------------------

    @app.get("/process/approvals", response_class=HTMLResponse, include_in_schema=False)
    def approvals(request: Request) -> Response:
        status = request.query_params.get("status") or "pending"
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            mine = queries.list_approvals(s, principal, status="pending", assigned_to_me=True)
            rows = queries.list_approvals(s, principal, status=None if status == "all" else status)
            trials = queries.list_trials(s, principal)
        return render(request, "process_approvals.html", principal, nav="process", sub="approvals", mine=mine,
                      rows=rows, filter_status=status, trials=trials, error=request.query_params.get("error"),
                      can_decide=principal.can("approvals.decide"), pending=len(mine))

    @app.post("/process/approvals/{request_id:int}/{decision}", include_in_schema=False)
    def decide(request: Request, request_id: int, decision: str, comment: str = Form("")) -> Response:
        if decision not in ("approve", "reject"):
            return Response(status_code=404)
        container = get_container(request)
        with container.read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        try:
            with uow_for(request, principal) as uow:
                if queries.get_approval(uow.session, principal, request_id) is None:
                    raise NotFound(f"approval {request_id} does not exist")
                service.decide(uow, principal, request_id, approve=decision == "approve", now=utcnow(),
                               comment=comment.strip() or None)
                uow.commit()
        except (ValidationFailed, Forbidden, NotFound) as exc:
            return _back(request, f"/process/approvals?error={quote(str(exc))}")
        return _back(request, "/process/approvals")

    # --- process analytics ----------------------------------------------------------------------

    @app.get("/process/analytics", response_class=HTMLResponse, include_in_schema=False)
    def analytics(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            with store_engine(request) as con:
                figures = queries.analytics(s, con, now=utcnow())
        return render(request, "process_analytics.html", principal, nav="process", sub="analytics", a=figures,
                      pending=0)

    # --- routing rules editor -------------------------------------------------------------------

    def _policy_from_form(form: Any, base: RoutingPolicy) -> RoutingPolicy:
        """The edited fields over ``base``: settings the form does not show (elite tiers, grade
        priority) keep their saved values instead of falling back to defaults."""
        steps = tuple(PolicyStep(x) for x in str(form.get("steps", "")).split(",") if x.strip())
        chooser = str(form.get("chooser") or "capacity")
        steps = (*(s for s in steps if s.value not in ("capacity", "round_robin")), PolicyStep(chooser))
        caps = {t: int(str(form.get(f"cap_{t}") or 0)) for t in ("new", "core", "elite")}
        return replace(base, steps=steps, high_score=int(str(form.get("high_score") or 80)),
                       low_score=int(str(form.get("low_score") or 20)), capacity_by_tier=caps,
                       sla_hours=int(str(form.get("sla_hours") or 24)))

    def _team_policy(policies: dict[int | None, RoutingPolicy], teams: list[Any], team_id: int | None
                     ) -> tuple[RoutingPolicy, str | None]:
        """The policy a team runs: its own, else its nearest ancestor's, else the company
        default (the same lookup routing does) — and the name of the team it is inherited from
        ("" for the company default, None when the team has its own)."""
        if team_id is None or team_id in policies:
            return policies[team_id], None
        by_id = {t.id: t for t in teams}
        path = [int(x) for x in (by_id[team_id].path if team_id in by_id else "").strip("/").split("/") if x]
        for ancestor in reversed(path[:-1]):
            if ancestor in policies:
                return replace(policies[ancestor], team_id=team_id), by_id[ancestor].name if ancestor in by_id else ""
        return replace(policies[None], team_id=team_id), ""

    def _routing_page(request: Request, s: Any, principal: Any, team_id: int | None, **extra: Any) -> Response:
        teams = org_queries.list_teams(s, principal)
        if team_id is not None and team_id not in {t.id for t in teams}:
            team_id = None
        policy, inherited = _team_policy(routing_queries.policies(s), teams, team_id)
        context: dict[str, Any] = {"saved": None, "error": None, "recent": [], **extra}
        return render(request, "process_routing.html", principal, nav="process", sub="routing", policy=policy,
                      steps=STEP_ORDER, teams=teams, team_id=team_id, inherited=inherited,
                      team_name=next((t.name for t in teams if t.id == team_id), None),
                      can_configure=principal.can("routing.configure"), pending=0, **context)

    @app.get("/process/routing", response_class=HTMLResponse, include_in_schema=False)
    def routing(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            recent = routing_queries.list_assignments(s, principal, limit=20)
            return _routing_page(request, s, principal, int_or_none(request.query_params.get("team")),
                                 recent=recent, saved=request.query_params.get("saved"))

    @app.post("/process/routing", include_in_schema=False)
    async def save_routing(request: Request) -> Response:
        form = await request.form()
        from starlette.concurrency import run_in_threadpool

        def work() -> Response:
            container = get_container(request)
            team_id = int_or_none(str(form.get("team_id") or ""))
            with container.read() as s:
                principal = optional_principal(request, s)
                if principal is None:
                    return login_redirect(request)
                base, _ = _team_policy(routing_queries.policies(s), org_queries.list_teams(s, principal), team_id)
            try:
                policy = _policy_from_form(form, base)
                with uow_for(request, principal) as uow:
                    routing_service.save_policy(uow, principal, policy)
                    uow.commit()
            except (ValueError, Forbidden, LookupError) as exc:
                with container.read() as s:
                    return _routing_page(request, s, principal, team_id, error=str(exc), status=422)
            query = f"team={team_id}&saved=1" if team_id is not None else "saved=1"
            return _back(request, f"/process/routing?{query}")

        return await run_in_threadpool(work)

    @app.post("/process/routing/simulate", response_class=HTMLResponse, include_in_schema=False)
    async def simulate(request: Request) -> Response:
        form = await request.form()
        from starlette.concurrency import run_in_threadpool

        def work() -> Response:
            container = get_container(request)
            with container.read() as s:
                principal = optional_principal(request, s)
                if principal is None:
                    return login_redirect(request)
                if not principal.can("routing.assign"):
                    return render(request, "process_simulation.html", principal, sim=None,
                                  error=f"role {principal.role.value} may not routing.assign", start=None, end=None)
                first = utcnow().astimezone(UTC).date().replace(day=1)
                start = (first - timedelta(days=1)).replace(day=1)
                try:
                    start = date.fromisoformat(str(form.get("start") or start))
                    end = date.fromisoformat(str(form.get("end") or first))
                    policies = dict(routing_queries.policies(s))
                    team_id = int_or_none(str(form.get("team_id") or ""))
                    base, _ = _team_policy(policies, org_queries.list_teams(s, principal), team_id)
                    policies[team_id] = _policy_from_form(form, base)
                    sim = routing_service.simulate(s, start=start, end=end, policies=policies, now=utcnow())
                except ValueError as exc:
                    return render(request, "process_simulation.html", principal, sim=None, error=str(exc),
                                  start=None, end=None)
            return render(request, "process_simulation.html", principal, sim=sim, error=None, start=start, end=end)

        return await run_in_threadpool(work)
