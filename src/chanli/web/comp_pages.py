"""Compensation pages (薪酬): my statement (every line explained, dispute a line, redeem points),
team statements (a manager's subtree), run review (totals, outliers, changes against last
period, maker-checker buttons), the plan editor (validation with every problem shown beside its
line), the disputes inbox, lightning awards and the what-if comparison chart.

Chinese first; a thin shell: views call ``chanli.compensation`` queries and services only, and
row scope comes from the queries, so a page never shows more than the API would. Forms post and
redirect (303); an error re-renders the page with the message.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chanli.api.deps import get_container, uow_for
from chanli.compensation import PlanInvalid, key_path_line, load_plan, queries, sample, service
from chanli.core.auth import Forbidden, Principal
from chanli.core.db import UnitOfWork
from chanli.core.issues import ValidationFailed
from chanli.org import queries as org_queries
from chanli.web.pages import int_or_none, login_redirect, optional_principal, page_action, render

__all__ = ["mount"]

ERRORS = (ValueError, Forbidden, ValidationFailed, LookupError)


def _see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _issue_lines(text: str, issues: Any) -> list[dict[str, Any]]:
    """Each plan problem with the line of the text it is about (for the inline markers)."""
    return [{"path": i.column or "", "message": i.message, "line": key_path_line(text, i.column)} for i in issues]


def mount(app: FastAPI) -> None:
    def page(request: Request, template: str, principal: Principal, status: int = 200, **ctx: Any) -> Response:
        return render(request, template, principal, status=status, nav="comp", **ctx)

    def who(request: Request) -> tuple[Principal | None, Any]:
        container = get_container(request)
        with container.read() as s:
            return optional_principal(request, s), container

    def not_found(request: Request, principal: Principal | None) -> Response:
        return render(request, "404.html", principal, status=404)

    @app.get("/comp", include_in_schema=False)
    def comp_home(request: Request) -> Response:
        principal, _ = who(request)
        if principal is None:
            return login_redirect(request)
        if principal.can("comp.review"):
            return _see_other("/comp/runs")
        if principal.visible_team_ids:
            return _see_other("/comp/team")
        return _see_other("/comp/me")

    # --- my statement ------------------------------------------------------------------------

    def statement_context(s: Any, principal: Principal, statement_id: int | None) -> dict[str, Any]:
        mine = (
            queries.list_statements(s, principal, person_id=principal.person_id)
            if principal.person_id is not None
            else []
        )
        chosen = statement_id or (mine[0].id if mine else None)
        detail = queries.get_statement(s, principal, chosen) if chosen else None
        return {"statements": mine, "detail": detail}

    @app.get("/comp/me", response_class=HTMLResponse, include_in_schema=False)
    def my_statement(request: Request) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        with container.read() as s:
            ctx = statement_context(s, principal, int_or_none(request.query_params.get("statement")))
            ctx["points"] = queries.my_points(s, principal)
            ctx["menu"] = queries.list_menu(s, principal)
        return page(request, "comp_me.html", principal, sub="me", error=request.query_params.get("error"), **ctx)

    @app.get("/comp/statements/{statement_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def statement_page(request: Request, statement_id: int) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        with container.read() as s:
            detail = queries.get_statement(s, principal, statement_id)
        if detail is None:
            return not_found(request, principal)
        return page(request, "comp_statement.html", principal, sub="team", detail=detail)

    @app.post("/comp/lines/{line_id:int}/dispute", include_in_schema=False)
    def dispute_line(request: Request, line_id: int, comment: str = Form(""), back: str = Form("/comp/me")) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.open_dispute(uow, principal, line_id, comment),
            done=lambda d: f"/comp/disputes/{d.id}",
            failed="/comp/me",
            errors=ERRORS,
        )

    @app.post("/comp/menu/{item_id:int}/redeem", include_in_schema=False)
    def redeem(request: Request, item_id: int, note: str = Form("")) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.request_redemption(uow, principal, item_id, note),
            done="/comp/me#points",
            failed="/comp/me",
            errors=ERRORS,
        )

    # --- team statements ---------------------------------------------------------------------

    @app.get("/comp/team", response_class=HTMLResponse, include_in_schema=False)
    def team_statements(request: Request) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        period = request.query_params.get("period") or None
        with container.read() as s:
            every = queries.list_statements(s, principal, limit=5000)
            periods = sorted({r.period for r in every}, reverse=True)
            period = period or (periods[0] if periods else None)
            rows = [r for r in every if r.period == period]
        total = sum((r.total for r in rows), Decimal("0.00"))
        return page(
            request, "comp_team.html", principal, sub="team", rows=rows, periods=periods, period=period, total=total
        )

    # --- runs --------------------------------------------------------------------------------

    @app.get("/comp/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        if not principal.can("comp.review"):
            return not_found(request, principal)
        with container.read() as s:
            runs = queries.list_runs(s, principal)
            plans = queries.list_plans(s, principal)
        return page(
            request,
            "comp_runs.html",
            principal,
            sub="runs",
            runs=runs,
            plans=[p for p in plans if p.published],
            error=request.query_params.get("error"),
            can_run=principal.can("comp.run"),
        )

    @app.post("/comp/runs", include_in_schema=False)
    def create_run(
        request: Request, plan: str = Form(...), period: str = Form(...), engine: str = Form("store")
    ) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.run_period(uow, principal, plan, period.strip(), engine=engine),
            done=lambda outcome: f"/comp/runs/{outcome.run_id}",
            failed="/comp/runs",
            errors=ERRORS,
        )

    @app.get("/comp/runs/{run_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: int) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        if not principal.can("comp.review"):
            return not_found(request, principal)
        with container.read() as s:
            review = queries.review_run(s, principal, run_id)
        if review is None:
            return not_found(request, principal)
        chart = {
            "people": [r.person_name for r in review.statements[:40]],
            "totals": [str(r.total) for r in review.statements[:40]],
            "previous": [
                str(r.previous_total) if r.previous_total is not None else None for r in review.statements[:40]
            ],
        }
        return page(
            request,
            "comp_run.html",
            principal,
            sub="runs",
            review=review,
            chart=chart,
            error=request.query_params.get("error"),
            can_run=principal.can("comp.run"),
            can_approve=principal.can("comp.approve"),
        )

    @app.post("/comp/runs/{run_id:int}/{action}", include_in_schema=False)
    def run_action(request: Request, run_id: int, action: str, reason: str = Form("")) -> Response:
        if action not in ("submit", "approve", "reject"):
            principal, _ = who(request)
            return login_redirect(request) if principal is None else not_found(request, principal)

        def work(uow: UnitOfWork, principal: Principal) -> None:
            if action == "submit":
                service.submit_run(uow, principal, run_id)
            elif action == "approve":
                service.approve_run(uow, principal, run_id)
            else:
                service.reject_run(uow, principal, run_id, reason)

        return page_action(request, work, done=f"/comp/runs/{run_id}", failed=f"/comp/runs/{run_id}", errors=ERRORS)

    # --- plan editor ---------------------------------------------------------------------------

    def plans_context(s: Any, principal: Principal, key: str | None, version: int | None) -> dict[str, Any]:
        plans = queries.list_plans(s, principal)
        key = key or (plans[0].key if plans else None)
        detail = queries.get_plan(s, principal, key) if key else None
        text = queries.version_text(s, principal, key, version) if key else None
        return {
            "plans": plans,
            "detail": detail,
            "key": key,
            "version": text[0] if text else None,
            "text": text[2] if text else sample.SAMPLE_PLAN,
            "can_edit": principal.can("comp.configure"),
        }

    @app.get("/comp/plans", response_class=HTMLResponse, include_in_schema=False)
    def plans_page(request: Request) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        if not principal.can("comp.review"):
            return not_found(request, principal)
        with container.read() as s:
            ctx = plans_context(
                s, principal, request.query_params.get("plan"), int_or_none(request.query_params.get("version"))
            )
        return page(
            request,
            "comp_plans.html",
            principal,
            sub="plans",
            issues=[],
            error=request.query_params.get("error"),
            **ctx,
        )

    @app.post("/comp/plans/check", response_class=HTMLResponse, include_in_schema=False)
    def check_plan_text(request: Request, text: str = Form("")) -> Response:
        """HTMX: every problem of the text in the editor, each beside its line."""
        principal, _ = who(request)
        if principal is None:
            return login_redirect(request)
        issues: list[dict[str, Any]] = []
        summary = None
        try:
            plan = load_plan(text)
            summary = {"plan": plan.plan.id, "components": len(plan.components)}
        except PlanInvalid as exc:
            issues = _issue_lines(text, exc.issues)
        return render(request, "comp_plan_check.html", principal, issues=issues, summary=summary, text=text)

    @app.post("/comp/plans/save", include_in_schema=False)
    def save_plan(request: Request, text: str = Form(...), note: str = Form(""), publish: str = Form("")) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        try:
            with uow_for(request, principal) as uow:
                row, _ = service.save_plan_version(uow, principal, text, note=note or None)
                key = load_plan(text).plan.id
                if publish:
                    service.publish_version(uow, principal, key, row.version)
                uow.commit()
        except PlanInvalid as exc:
            with container.read() as s:
                ctx = plans_context(s, principal, None, None)
            ctx["text"] = text
            return page(
                request,
                "comp_plans.html",
                principal,
                status=422,
                sub="plans",
                issues=_issue_lines(text, exc.issues),
                error=None,
                **ctx,
            )
        except ERRORS as exc:
            return _see_other(f"/comp/plans?error={_q(str(exc))}")
        return _see_other(f"/comp/plans?plan={_q(key)}&version={row.version}")

    @app.post("/comp/plans/{key}/publish/{version:int}", include_in_schema=False)
    def publish(request: Request, key: str, version: int) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.publish_version(uow, principal, key, version),
            done=f"/comp/plans?plan={_q(key)}&version={version}",
            failed=f"/comp/plans?plan={_q(key)}",
            errors=ERRORS,
        )

    # --- disputes ------------------------------------------------------------------------------

    @app.get("/comp/disputes", response_class=HTMLResponse, include_in_schema=False)
    def disputes_page(request: Request) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        status = request.query_params.get("status") or None
        with container.read() as s:
            rows = queries.list_disputes(s, principal, status=status)
        return page(request, "comp_disputes.html", principal, sub="disputes", rows=rows, status_filter=status)

    @app.get("/comp/disputes/{dispute_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def dispute_page(request: Request, dispute_id: int) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        with container.read() as s:
            detail = queries.get_dispute(s, principal, dispute_id)
        if detail is None:
            return not_found(request, principal)
        return page(
            request,
            "comp_dispute.html",
            principal,
            sub="disputes",
            d=detail,
            error=request.query_params.get("error"),
            can_resolve=principal.can("comp.resolve"),
        )

    @app.post("/comp/disputes/{dispute_id:int}/comment", include_in_schema=False)
    def dispute_comment(request: Request, dispute_id: int, body: str = Form("")) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.comment_dispute(uow, principal, dispute_id, body),
            done=f"/comp/disputes/{dispute_id}",
            failed=f"/comp/disputes/{dispute_id}",
            errors=ERRORS,
        )

    @app.post("/comp/disputes/{dispute_id:int}/resolve", include_in_schema=False)
    def dispute_resolve(
        request: Request, dispute_id: int, decision: str = Form(...), reason: str = Form(""), amount: str = Form("")
    ) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.resolve_dispute(
                uow, principal, dispute_id, accept=decision == "accept", reason=reason, amount=amount or None
            ),
            done=f"/comp/disputes/{dispute_id}",
            failed=f"/comp/disputes/{dispute_id}",
            errors=ERRORS,
        )

    # --- lightning awards ------------------------------------------------------------------------

    @app.get("/comp/awards", response_class=HTMLResponse, include_in_schema=False)
    def awards_page(request: Request) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        with container.read() as s:
            awards = queries.list_awards(s, principal)
            today = service.today(s)
            period = f"{today:%Y-%m}"
            budgets = queries.award_budgets(s, principal, period)
            people = org_queries.list_people(s, principal) if principal.can("comp.award") else []
        return page(
            request,
            "comp_awards.html",
            principal,
            sub="awards",
            awards=awards,
            budgets=budgets,
            period=period,
            people=[p for p in people if p.id != principal.person_id],
            error=request.query_params.get("error"),
            can_grant=principal.can("comp.award"),
            can_decide=principal.can("comp.award.approve"),
        )

    @app.post("/comp/awards", include_in_schema=False)
    def grant(
        request: Request,
        person_id: int = Form(...),
        amount: str = Form(...),
        reason: str = Form(""),
        pay_as: str = Form("cash"),
        granted_by: str = Form(""),
    ) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.grant_award(
                uow, principal, person_id, amount, reason, pay_as=pay_as, granted_by=int_or_none(granted_by)
            ),
            done="/comp/awards",
            failed="/comp/awards",
            errors=ERRORS,
        )

    @app.post("/comp/awards/{award_id:int}/{decision}", include_in_schema=False)
    def decide(request: Request, award_id: int, decision: str, reason: str = Form("")) -> Response:
        return page_action(
            request,
            lambda uow, principal: service.decide_award(
                uow, principal, award_id, approve=decision == "approve", reason=reason
            ),
            done="/comp/awards",
            failed="/comp/awards",
            errors=ERRORS,
        )

    # --- what-if -----------------------------------------------------------------------------------

    @app.get("/comp/what-if", response_class=HTMLResponse, include_in_schema=False)
    def what_if_page(request: Request) -> Response:
        principal, container = who(request)
        if principal is None:
            return login_redirect(request)
        if not principal.can("comp.review"):
            return not_found(request, principal)
        q = request.query_params
        key = q.get("plan") or None
        periods = [p.strip() for p in (q.get("periods") or "").split(",") if p.strip()]
        result = None
        error = None
        with container.read() as s:
            plans = queries.list_plans(s, principal)
            detail = queries.get_plan(s, principal, key or (plans[0].key if plans else "")) if plans else None
            if key and periods:
                try:
                    result = queries.what_if(
                        s,
                        principal,
                        key,
                        periods,
                        draft_version=int_or_none(q.get("draft")),
                        baseline_version=int_or_none(q.get("baseline")),
                    )
                except ERRORS as exc:
                    error = str(exc)
        data = json.loads(json.dumps(result.as_dict(), default=str)) if result else None
        return page(
            request,
            "comp_whatif.html",
            principal,
            sub="whatif",
            plans=plans,
            detail=detail,
            key=key or (plans[0].key if plans else None),
            periods=",".join(periods),
            draft=q.get("draft") or "",
            baseline=q.get("baseline") or "",
            result=result,
            data=data,
            error=error,
        )


def _q(text: str) -> str:
    return quote(text[:300], safe="")
