"""Compensation endpoints (``/api/v1/comp…``): plans and versions, runs (compute, submit,
approve, reject), statements with every line explained, disputes, what-if, lightning awards and
budgets, the incentive menu and points, payroll hand-off, and the crediting inputs compensation
owns (exchange rates, splits, credit notes, project members, pay profiles, draws).

A thin shell over ``chanli.compensation``: parse, check the action, call a service or query,
answer. Row scope (a manager's subtree, a rep's own approved statements) is applied by the
queries; maker-checker and period locks by the services.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from chanli.api.deps import CurrentPrincipal, ReadSession, uow_for
from chanli.compensation import load_plan, payroll, queries, service
from chanli.core.auth import require
from chanli.core.issues import ValidationFailed

__all__ = ["router"]

router = APIRouter(tags=["compensation"])

XLSX = payroll.XLSX
Money = Field(max_digits=18, decimal_places=2)


# --- schemas -----------------------------------------------------------------------------------


class PlanText(BaseModel):
    text: str = Field(description="The plan as YAML or JSON (see compensation/docs.md)")
    format: Literal["yaml", "json"] | None = None
    note: str | None = None


class PlanIssue(BaseModel):
    code: str
    message: str
    column: str | None = Field(None, description="the key path, e.g. components[2].tiers[1].rate")


class PlanCheck(BaseModel):
    ok: bool
    issues: list[PlanIssue]


class VersionSaved(BaseModel):
    plan: str
    version: int
    status: str
    created: bool


class PlanRead(BaseModel):
    key: str
    name: str
    versions: int
    latest: int
    published: int | None


class VersionRead(BaseModel):
    version: int
    status: str
    effective_from: date
    effective_to: date | None
    source_format: str
    created_by_name: str
    created_at: datetime
    note: str | None
    checksum: str


class PlanDetailRead(BaseModel):
    plan: PlanRead
    versions: list[VersionRead]
    assignments: list[dict[str, Any]]


class VersionTextRead(BaseModel):
    plan: str
    version: int
    format: str
    text: str


class AssignmentCreate(BaseModel):
    kind: Literal["person", "tier", "role", "team"]
    value: str
    effective_from: date
    effective_to: date | None = None


class RunCreate(BaseModel):
    plan: str
    period: str = Field(description="e.g. 2026-10")
    version: int | None = None
    engine: Literal["store", "duckdb", "spark"] = "store"


class IssueRead(BaseModel):
    code: str
    severity: str
    message: str
    source: str | None = None


class RunOutcomeRead(BaseModel):
    run_id: int
    plan: str
    period: str
    version: int
    status: str
    created: bool
    changed: bool
    fingerprint: str
    result_hash: str
    total: Decimal
    statements: int
    errors: int
    warnings: int
    engine: str
    engine_check: str | None
    issues: list[IssueRead]


class RunRead(BaseModel):
    id: int
    plan_key: str
    plan_name: str
    period: str
    version: int
    status: str
    engine: str
    total: Decimal
    revenue: Decimal
    cost_of_sales: Decimal | None
    statements: int
    errors: int
    warnings: int
    fingerprint: str
    created_by_name: str
    submitted_by_name: str | None
    approved_by_name: str | None
    computed_at: datetime
    rejected_reason: str | None


class StatementRead(BaseModel):
    id: int
    run_id: int
    person_id: int
    person_name: str
    team_id: int | None
    tier: str
    period: str
    plan_key: str
    total: Decimal
    lines: int
    status: str
    previous_total: Decimal | None = None
    change: Decimal | None = None
    outlier: str | None = None


class ComponentRead(BaseModel):
    component_id: str
    label: str
    kind: str
    amount: Decimal
    lines: int


class RunReviewRead(BaseModel):
    run: RunRead
    components: list[ComponentRead]
    tiers: list[dict[str, Any]]
    statements: list[StatementRead]
    outliers: list[StatementRead]
    previous: RunRead | None
    issues: list[dict[str, Any]]


class LineRead(BaseModel):
    id: int
    seq: int
    component_id: str
    kind: str
    label: str
    amount: Decimal
    formula: str
    inputs: list[list[Any]]
    sources: list[str]
    attribution: list[list[Any]]
    refs: list[int]
    adjusts_period: str | None
    dispute_id: int | None
    dispute_status: str | None


class StatementDetailRead(BaseModel):
    statement: StatementRead
    lines: list[LineRead]
    lines_total: Decimal
    run_status: str
    plan_name: str
    version: int
    fingerprint: str


class Reason(BaseModel):
    reason: str


class DisputeCreate(BaseModel):
    line_id: int
    comment: str


class CommentCreate(BaseModel):
    body: str


class DisputeResolve(BaseModel):
    accept: bool
    reason: str
    amount: Decimal | None = Field(None, max_digits=18, decimal_places=2)


class DisputeRead(BaseModel):
    id: int
    line_id: int
    statement_id: int
    person_id: int
    person_name: str
    period: str
    component: str
    line_amount: Decimal
    status: str
    amount: Decimal | None
    opened_by_name: str
    opened_at: datetime
    resolution: str | None
    settled_run_id: int | None


class DisputeDetailRead(BaseModel):
    dispute: DisputeRead
    thread: list[dict[str, Any]]
    line_formula: str


class WhatIfCreate(BaseModel):
    plan: str
    periods: list[str] = Field(min_length=1, max_length=24)
    draft_version: int | None = None
    baseline_version: int | None = None


class AwardCreate(BaseModel):
    person_id: int
    amount: Decimal = Money
    reason: str
    pay_as: Literal["cash", "points"] = "cash"
    granted_by: int | None = Field(None, description="back office: the manager the award is entered for")


class Decision(BaseModel):
    approve: bool
    reason: str = ""


class BudgetSet(BaseModel):
    manager_id: int
    period: str
    amount: Decimal = Money


class MenuItemCreate(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9\-_]{1,39}$")
    name: str
    points_cost: int = Field(gt=0)
    unit_cost: Decimal = Money
    stock: int | None = Field(None, ge=0)
    budget: Decimal | None = Field(None, max_digits=18, decimal_places=2)
    description: str = ""
    active: bool = True


class RedemptionCreate(BaseModel):
    item_id: int
    note: str = ""


class PayrollCreate(BaseModel):
    period: str | None = None
    run_id: int | None = None
    statement_ids: list[int] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=lambda: list(payroll.DEFAULT_COLUMNS))
    format: Literal["xlsx", "csv"] = "xlsx"


class RateSet(BaseModel):
    period: str
    currency: str = Field(min_length=3, max_length=3)
    rate: Decimal = Field(gt=0, max_digits=12, decimal_places=6)


class SplitItem(BaseModel):
    person_id: int
    share: Decimal = Field(ge=0, le=1, max_digits=12, decimal_places=6)


class SplitsSet(BaseModel):
    splits: list[SplitItem]


class CreditNoteCreate(BaseModel):
    amount: Decimal = Money
    issued_on: date
    reason: str = ""


class MemberItem(BaseModel):
    person_id: int
    role: Literal["sales", "solution", "service"]


class MembersSet(BaseModel):
    members: list[MemberItem]


class PayProfileSet(BaseModel):
    person_id: int
    monthly_base: Decimal = Money
    effective_from: date


class DrawCreate(BaseModel):
    person_id: int
    amount: Decimal = Money
    recoverable: bool = True
    start: date
    end: date | None = None
    opening_balance: Decimal = Field(Decimal("0.00"), max_digits=18, decimal_places=2)


class Created(BaseModel):
    id: int
    status: str | None = None


def _issue(i: Any) -> IssueRead:
    return IssueRead(code=i.code, severity=i.severity.value, message=i.message, source=i.source)


def _run_read(r: queries.RunRow) -> RunRead:
    return RunRead(**{f: getattr(r, f) for f in RunRead.model_fields})


def _statement_read(r: queries.StatementRow) -> StatementRead:
    return StatementRead(**{f: getattr(r, f) for f in StatementRead.model_fields})


def _outcome(o: service.RunOutcome) -> RunOutcomeRead:
    return RunOutcomeRead(
        run_id=o.run_id,
        plan=o.plan_key,
        period=o.period,
        version=o.version,
        status=o.status,
        created=o.created,
        changed=o.changed,
        fingerprint=o.fingerprint,
        result_hash=o.result_hash,
        total=o.total,
        statements=o.statements,
        errors=o.errors,
        warnings=o.warnings,
        engine=o.engine,
        engine_check=o.engine_check,
        issues=[_issue(i) for i in o.issues],
    )


# --- plans ----------------------------------------------------------------------------------------


@router.get("/comp/plans", response_model=list[PlanRead])
def list_plans(session: ReadSession, principal: CurrentPrincipal) -> list[PlanRead]:
    require(principal, "comp.review")
    return [PlanRead.model_validate(p, from_attributes=True) for p in queries.list_plans(session, principal)]


@router.post("/comp/plans/validate", response_model=PlanCheck)
def validate_plan(body: PlanText, principal: CurrentPrincipal) -> PlanCheck:
    """Every problem of a plan text, each at its key path; nothing is saved."""
    require(principal, "comp.review")
    try:
        load_plan(body.text, fmt=body.format)
    except ValidationFailed as exc:
        return PlanCheck(
            ok=False, issues=[PlanIssue(code=i.code, message=i.message, column=i.column) for i in exc.issues]
        )
    return PlanCheck(ok=True, issues=[])


@router.post("/comp/plans", response_model=VersionSaved, status_code=201)
def save_plan(body: PlanText, request: Request, principal: CurrentPrincipal) -> VersionSaved:
    """Save plan text as the plan's next draft version (422 with every problem at its key path)."""
    require(principal, "comp.configure")
    with uow_for(request, principal) as uow:
        version, created = service.save_plan_version(uow, principal, body.text, fmt=body.format, note=body.note)
        key = load_plan(body.text, fmt=body.format).plan.id
        uow.commit()
    return VersionSaved(plan=key, version=version.version, status=version.status, created=created)


@router.get("/comp/plans/{key}", response_model=PlanDetailRead)
def get_plan(key: str, session: ReadSession, principal: CurrentPrincipal) -> PlanDetailRead:
    require(principal, "comp.review")
    detail = queries.get_plan(session, principal, key)
    if detail is None:
        raise service.NotFound(f"no compensation plan {key!r}")
    return PlanDetailRead(
        plan=PlanRead.model_validate(detail.plan, from_attributes=True),
        versions=[VersionRead.model_validate(v, from_attributes=True) for v in detail.versions],
        assignments=list(detail.assignments),
    )


@router.get("/comp/plans/{key}/versions/{version}", response_model=VersionTextRead)
def get_version(key: str, version: int, session: ReadSession, principal: CurrentPrincipal) -> VersionTextRead:
    require(principal, "comp.review")
    found = queries.version_text(session, principal, key, version)
    if found is None:
        raise service.NotFound(f"plan {key} has no version {version}")
    return VersionTextRead(plan=key, version=found[0], format=found[1], text=found[2])


@router.post("/comp/plans/{key}/versions/{version}/publish", response_model=VersionSaved)
def publish(key: str, version: int, request: Request, principal: CurrentPrincipal) -> VersionSaved:
    require(principal, "comp.configure")
    with uow_for(request, principal) as uow:
        row = service.publish_version(uow, principal, key, version)
        uow.commit()
    return VersionSaved(plan=key, version=row.version, status=row.status, created=False)


@router.post("/comp/plans/{key}/assignments", response_model=Created, status_code=201)
def assign(key: str, body: AssignmentCreate, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.configure")
    with uow_for(request, principal) as uow:
        row = service.assign_plan(uow, principal, key, body.kind, body.value, body.effective_from, body.effective_to)
        uow.commit()
    return Created(id=row.id)


# --- runs -----------------------------------------------------------------------------------------


@router.get("/comp/runs", response_model=list[RunRead])
def list_runs(
    session: ReadSession, principal: CurrentPrincipal, plan: str | None = None, period: str | None = None
) -> list[RunRead]:
    require(principal, "comp.review")
    return [_run_read(r) for r in queries.list_runs(session, principal, plan_key=plan, period=period)]


@router.post("/comp/runs", response_model=RunOutcomeRead, status_code=201)
def create_run(body: RunCreate, request: Request, principal: CurrentPrincipal) -> RunOutcomeRead:
    """Compute a draft run (idempotent: the same inputs change nothing; a locked period is refused)."""
    require(principal, "comp.run")
    with uow_for(request, principal) as uow:
        outcome = service.run_period(uow, principal, body.plan, body.period, version=body.version, engine=body.engine)
        uow.commit()
    return _outcome(outcome)


@router.get("/comp/runs/{run_id}", response_model=RunReviewRead)
def review_run(run_id: int, session: ReadSession, principal: CurrentPrincipal) -> RunReviewRead:
    """Totals by component and tier, statements against the previous period, outliers, issues."""
    require(principal, "comp.review")
    review = queries.review_run(session, principal, run_id)
    if review is None:
        raise service.NotFound(f"no compensation run #{run_id}")
    return RunReviewRead(
        run=_run_read(review.run),
        components=[ComponentRead.model_validate(c, from_attributes=True) for c in review.components],
        tiers=[{"tier": t, "total": total, "people": n} for t, total, n in review.tiers],
        statements=[_statement_read(r) for r in review.statements],
        outliers=[_statement_read(r) for r in review.outliers],
        previous=_run_read(review.previous) if review.previous else None,
        issues=list(review.issues),
    )


def _transition(run_id: int, request: Request, principal: Any, action: str, reason: str | None = None) -> RunRead:
    with uow_for(request, principal) as uow:
        if action == "submit":
            service.submit_run(uow, principal, run_id)
        elif action == "approve":
            service.approve_run(uow, principal, run_id)
        else:
            service.reject_run(uow, principal, run_id, reason or "")
        uow.commit()
    with request.app.state.container.read() as s:
        return _run_read(next(r for r in queries.list_runs(s, principal) if r.id == run_id))


@router.post("/comp/runs/{run_id}/submit", response_model=RunRead)
def submit(run_id: int, request: Request, principal: CurrentPrincipal) -> RunRead:
    """The maker hands the run to finance (refused while it has errors)."""
    require(principal, "comp.run")
    return _transition(run_id, request, principal, "submit")


@router.post("/comp/runs/{run_id}/approve", response_model=RunRead)
def approve(run_id: int, request: Request, principal: CurrentPrincipal) -> RunRead:
    """The checker approves and the period locks; the maker may not approve their own run (403)."""
    require(principal, "comp.approve")
    return _transition(run_id, request, principal, "approve")


@router.post("/comp/runs/{run_id}/reject", response_model=RunRead)
def reject(run_id: int, body: Reason, request: Request, principal: CurrentPrincipal) -> RunRead:
    require(principal, "comp.approve")
    return _transition(run_id, request, principal, "reject", body.reason)


@router.get("/comp/runs/{run_id}/export")
def export_run(run_id: int, session: ReadSession, principal: CurrentPrincipal) -> Response:
    """The run's statements as .xlsx: a summary sheet and every line with its formula."""
    require(principal, "comp.review")
    ids = [r.id for r in queries.run_statements(session, principal, run_id)]
    data = payroll.statements_workbook(session, principal, ids)
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="comp-run-{run_id}.xlsx"'}
    )


# --- statements -----------------------------------------------------------------------------------------


@router.get("/comp/statements", response_model=list[StatementRead])
def list_statements(
    session: ReadSession,
    principal: CurrentPrincipal,
    period: str | None = None,
    person_id: int | None = None,
    team_id: int | None = None,
    run_id: int | None = None,
) -> list[StatementRead]:
    """Statements the caller may see: their own (rep), their subtree's (manager), all (back office)."""
    require(principal, "comp.read")
    rows = queries.list_statements(
        session, principal, period=period, person_id=person_id, team_id=team_id, run_id=run_id
    )
    return [_statement_read(r) for r in rows]


def _detail(session: Any, principal: Any, statement_id: int) -> queries.StatementDetail:
    detail = queries.get_statement(session, principal, statement_id)
    if detail is None:
        raise service.NotFound(f"no statement #{statement_id}")
    return detail


@router.get("/comp/statements/{statement_id}", response_model=StatementDetailRead)
def get_statement(statement_id: int, session: ReadSession, principal: CurrentPrincipal) -> StatementDetailRead:
    """A statement with every line explained; the lines sum exactly to the total."""
    require(principal, "comp.read")
    d = _detail(session, principal, statement_id)
    return StatementDetailRead(
        statement=_statement_read(d.statement),
        lines=[
            LineRead(
                id=ln.id,
                seq=ln.seq,
                component_id=ln.component_id,
                kind=ln.kind,
                label=ln.label,
                amount=ln.amount,
                formula=ln.formula,
                inputs=[list(x) for x in ln.inputs],
                sources=list(ln.sources),
                attribution=[[o, a] for o, a in ln.attribution],
                refs=list(ln.refs),
                adjusts_period=ln.adjusts_period,
                dispute_id=ln.dispute_id,
                dispute_status=ln.dispute_status,
            )
            for ln in d.lines
        ],
        lines_total=d.lines_total,
        run_status=d.run_status,
        plan_name=d.plan_name,
        version=d.version,
        fingerprint=d.fingerprint,
    )


@router.get("/comp/statements/{statement_id}/export")
def export_statement(statement_id: int, session: ReadSession, principal: CurrentPrincipal) -> Response:
    require(principal, "comp.read")
    _detail(session, principal, statement_id)
    data = payroll.statements_workbook(session, principal, [statement_id])
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="statement-{statement_id}.xlsx"'}
    )


# --- disputes ---------------------------------------------------------------------------------------------


@router.get("/comp/disputes", response_model=list[DisputeRead])
def list_disputes(session: ReadSession, principal: CurrentPrincipal, status: str | None = None) -> list[DisputeRead]:
    require(principal, "comp.read")
    return [
        DisputeRead.model_validate(d, from_attributes=True)
        for d in queries.list_disputes(session, principal, status=status)
    ]


@router.post("/comp/disputes", response_model=Created, status_code=201)
def open_dispute(body: DisputeCreate, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.dispute")
    with uow_for(request, principal) as uow:
        d = service.open_dispute(uow, principal, body.line_id, body.comment)
        uow.commit()
    return Created(id=d.id, status=d.status)


@router.get("/comp/disputes/{dispute_id}", response_model=DisputeDetailRead)
def get_dispute(dispute_id: int, session: ReadSession, principal: CurrentPrincipal) -> DisputeDetailRead:
    require(principal, "comp.read")
    d = queries.get_dispute(session, principal, dispute_id)
    if d is None:
        raise service.NotFound(f"no dispute #{dispute_id}")
    return DisputeDetailRead(
        dispute=DisputeRead.model_validate(d.dispute, from_attributes=True),
        thread=list(d.thread),
        line_formula=d.line_formula,
    )


@router.post("/comp/disputes/{dispute_id}/comments", response_model=Created, status_code=201)
def comment(dispute_id: int, body: CommentCreate, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.dispute")
    with uow_for(request, principal) as uow:
        msg = service.comment_dispute(uow, principal, dispute_id, body.body)
        uow.commit()
    return Created(id=msg.id)


@router.post("/comp/disputes/{dispute_id}/resolve", response_model=Created)
def resolve(dispute_id: int, body: DisputeResolve, request: Request, principal: CurrentPrincipal) -> Created:
    """Accept (the next run of the plan pays ``amount`` as an adjustment line) or reject with a reason."""
    require(principal, "comp.resolve")
    with uow_for(request, principal) as uow:
        d = service.resolve_dispute(
            uow, principal, dispute_id, accept=body.accept, reason=body.reason, amount=body.amount
        )
        uow.commit()
    return Created(id=d.id, status=d.status)


# --- what-if -----------------------------------------------------------------------------------------------


@router.post("/comp/what-if")
def what_if(body: WhatIfCreate, session: ReadSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """A draft version against the published one over past periods; writes nothing."""
    require(principal, "comp.review")
    w = queries.what_if(
        session,
        principal,
        body.plan,
        body.periods,
        draft_version=body.draft_version,
        baseline_version=body.baseline_version,
    )
    return w.as_dict()


# --- lightning awards and budgets ----------------------------------------------------------------------------


@router.get("/comp/awards")
def list_awards(session: ReadSession, principal: CurrentPrincipal, status: str | None = None) -> list[dict[str, Any]]:
    require(principal, "comp.read")
    return [_dc(a) for a in queries.list_awards(session, principal, status=status)]


def _dc(value: Any) -> dict[str, Any]:
    return {f: getattr(value, f) for f in value.__dataclass_fields__}


@router.post("/comp/awards", response_model=Created, status_code=201)
def grant_award(body: AwardCreate, request: Request, principal: CurrentPrincipal) -> Created:
    """A manager grants a lightning award within their budget (back office may enter one for a manager)."""
    require(principal, "comp.award")
    with uow_for(request, principal) as uow:
        a = service.grant_award(
            uow, principal, body.person_id, body.amount, body.reason, pay_as=body.pay_as, granted_by=body.granted_by
        )
        uow.commit()
    return Created(id=a.id, status=a.status)


@router.post("/comp/awards/{award_id}/decide", response_model=Created)
def decide_award(award_id: int, body: Decision, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.award.approve")
    with uow_for(request, principal) as uow:
        a = service.decide_award(uow, principal, award_id, approve=body.approve, reason=body.reason)
        uow.commit()
    return Created(id=a.id, status=a.status)


@router.get("/comp/awards/budgets")
def budgets(session: ReadSession, principal: CurrentPrincipal, period: str) -> list[dict[str, Any]]:
    require(principal, "comp.read")
    return queries.award_budgets(session, principal, period)


@router.put("/comp/awards/budgets", response_model=Created)
def set_budget(body: BudgetSet, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.configure")
    with uow_for(request, principal) as uow:
        row = service.set_award_budget(uow, principal, body.manager_id, body.period, body.amount)
        uow.commit()
    return Created(id=row.id)


# --- incentive menu and points ---------------------------------------------------------------------------------


@router.get("/comp/menu")
def menu(session: ReadSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    require(principal, "comp.read")
    return [_dc(i) for i in queries.list_menu(session, principal)]


@router.post("/comp/menu", response_model=Created, status_code=201)
def save_menu_item(body: MenuItemCreate, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.configure")
    with uow_for(request, principal) as uow:
        item = service.save_menu_item(
            uow,
            principal,
            body.code,
            body.name,
            body.points_cost,
            body.unit_cost,
            stock=body.stock,
            budget=body.budget,
            description=body.description,
            active=body.active,
        )
        uow.commit()
    return Created(id=item.id)


@router.get("/comp/points")
def my_points(session: ReadSession, principal: CurrentPrincipal) -> dict[str, Any]:
    require(principal, "comp.read")
    return queries.my_points(session, principal)


@router.get("/comp/redemptions")
def redemptions(session: ReadSession, principal: CurrentPrincipal, status: str | None = None) -> list[dict[str, Any]]:
    require(principal, "comp.read")
    return queries.list_redemptions(session, principal, status=status)


@router.post("/comp/redemptions", response_model=Created, status_code=201)
def redeem(body: RedemptionCreate, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.redeem")
    with uow_for(request, principal) as uow:
        r = service.request_redemption(uow, principal, body.item_id, body.note)
        uow.commit()
    return Created(id=r.id, status=r.status)


@router.post("/comp/redemptions/{redemption_id}/decide", response_model=Created)
def decide_redemption(redemption_id: int, body: Decision, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.award.approve")
    with uow_for(request, principal) as uow:
        r = service.decide_redemption(uow, principal, redemption_id, approve=body.approve, reason=body.reason)
        uow.commit()
    return Created(id=r.id, status=r.status)


# --- payroll hand-off ---------------------------------------------------------------------------------------


@router.get("/comp/payroll/columns")
def payroll_columns(principal: CurrentPrincipal) -> dict[str, Any]:
    require(principal, "comp.payroll")
    return {"columns": payroll.PAYROLL_COLUMNS, "default": list(payroll.DEFAULT_COLUMNS), "component": "component:<id>"}


@router.get("/comp/payroll/exports")
def payroll_exports(session: ReadSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    require(principal, "comp.payroll")
    return queries.list_payroll_exports(session, principal)


@router.post("/comp/payroll/exports", status_code=201)
def payroll_export(body: PayrollCreate, request: Request, principal: CurrentPrincipal) -> Response:
    """Approved statements (of a run, a period, or by id) to a payroll file; they become 'sent'."""
    require(principal, "comp.payroll")
    columns = payroll.check_columns(body.columns)
    container = request.app.state.container
    with container.read() as s:
        ids = list(body.statement_ids) or [
            r.id
            for r in queries.list_statements(
                s, principal, period=body.period, run_id=body.run_id, status="approved", limit=100_000
            )
        ]
    with uow_for(request, principal) as uow:
        export = service.payroll_handoff(uow, principal, ids, file_format=body.format, columns=columns)
        rows = payroll.payroll_rows(uow.session, principal, ids)
        data = payroll.render_payroll(rows, columns, body.format)
        uow.commit()
    media = XLSX if body.format == "xlsx" else "text/csv; charset=utf-8"
    return Response(
        data,
        status_code=201,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="payroll-{export.id}.{body.format}"',
            "X-Export-Id": str(export.id),
        },
    )


@router.post("/comp/payroll/exports/{export_id}/paid", response_model=Created)
def payroll_paid(export_id: int, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.payroll")
    with uow_for(request, principal) as uow:
        e = service.mark_paid(uow, principal, export_id)
        uow.commit()
    return Created(id=e.id, status=e.status)


# --- crediting inputs -----------------------------------------------------------------------------------------


@router.put("/comp/exchange-rates", response_model=Created)
def set_rate(body: RateSet, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.facts")
    with uow_for(request, principal) as uow:
        row = service.set_exchange_rate(uow, principal, body.period, body.currency, body.rate)
        uow.commit()
    return Created(id=row.id)


@router.put("/comp/orders/{order_id}/splits", response_model=list[Created])
def set_splits(order_id: int, body: SplitsSet, request: Request, principal: CurrentPrincipal) -> list[Created]:
    require(principal, "comp.facts")
    with uow_for(request, principal) as uow:
        rows = service.set_splits(uow, principal, order_id, [(x.person_id, x.share) for x in body.splits])
        uow.commit()
    return [Created(id=r.id) for r in rows]


@router.post("/comp/orders/{order_id}/credit-notes", response_model=Created, status_code=201)
def credit_note(order_id: int, body: CreditNoteCreate, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.facts")
    with uow_for(request, principal) as uow:
        row = service.set_credit_note(uow, principal, order_id, body.amount, body.issued_on, body.reason)
        uow.commit()
    return Created(id=row.id)


@router.put("/comp/orders/{order_id}/members", response_model=list[Created])
def set_members(order_id: int, body: MembersSet, request: Request, principal: CurrentPrincipal) -> list[Created]:
    require(principal, "comp.facts")
    with uow_for(request, principal) as uow:
        rows = service.set_project_members(uow, principal, order_id, [(m.person_id, m.role) for m in body.members])
        uow.commit()
    return [Created(id=r.id) for r in rows]


@router.put("/comp/pay-profiles", response_model=Created)
def set_pay(body: PayProfileSet, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.configure")
    with uow_for(request, principal) as uow:
        row = service.set_pay_profile(uow, principal, body.person_id, body.monthly_base, body.effective_from)
        uow.commit()
    return Created(id=row.id)


@router.post("/comp/draws", response_model=Created, status_code=201)
def add_draw(body: DrawCreate, request: Request, principal: CurrentPrincipal) -> Created:
    require(principal, "comp.configure")
    with uow_for(request, principal) as uow:
        row = service.set_draw(
            uow,
            principal,
            body.person_id,
            body.amount,
            recoverable=body.recoverable,
            start=body.start,
            end=body.end,
            opening_balance=body.opening_balance,
        )
        uow.commit()
    return Created(id=row.id)
