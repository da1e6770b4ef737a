"""Targets and OKR endpoints (``/api/v1/targets…``, ``/api/v1/okr…``): plans and their grids,
inline edits, bottom-up commitments, approval, monthly review, progress and pacing, the
Excel round trip, the holiday calendar, metric and CSI weights, objectives and key results.

A thin shell over ``chanli.targets``: parse, check the action, call a service or query, and
answer. Row scope (a manager's subtree, a rep's own cells) is applied by the queries.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from chanli.api.deps import CurrentPrincipal, ReadSession, StoreEngine, uow_for
from chanli.core.auth import Principal, require
from chanli.targets import (
    METRICS,
    DecompositionMethod,
    ExpectationBasis,
    KeyResultDraft,
    KeyResultKind,
    NotFound,
    ObjectiveDraft,
    OkrLayer,
    OwnerRef,
    PlanPreview,
    PlanRequest,
    TargetStatus,
    parse_owner,
    queries,
    service,
    workbook,
)

__all__ = ["router"]

router = APIRouter(tags=["targets"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


Engine = StoreEngine


def _owner(text: str | None) -> OwnerRef | None:
    return parse_owner(text) if text else None


def _today(session: Any, as_of: date | None) -> date:
    return as_of or queries.today(session)


# --- schemas -------------------------------------------------------------------------------


class MetricRead(BaseModel):
    code: str
    label_en: str
    label_zh: str
    unit: str
    additive: bool
    higher_is_better: bool
    description: str


class PlanCreate(BaseModel):
    metric: str = Field(description="Metric code, e.g. won_revenue")
    period: str = Field(description="Period label: 2027, 2027-H1, 2027-Q3")
    value: Decimal = Field(ge=0, max_digits=20, decimal_places=4)
    owner: str = Field(default="company", description="company, team:ID or person:ID")
    period_method: DecompositionMethod = DecompositionMethod.EQUAL
    owner_method: DecompositionMethod = DecompositionMethod.EQUAL
    grains: list[str] = Field(default_factory=lambda: ["quarter", "month"])
    name: str = ""

    def request(self) -> PlanRequest:
        return PlanRequest(
            self.metric,
            self.period,
            self.value,
            parse_owner(self.owner),
            self.period_method,
            self.owner_method,
            tuple(self.grains),
            self.name,
        )


class PlanRead(BaseModel):
    id: int
    name: str
    metric_code: str
    metric_label: str
    period_label: str
    owner: str
    owner_name: str
    value: Decimal
    period_method: str
    owner_method: str
    grains: str
    status: str
    version: int
    created_by_name: str
    approved_by_name: str | None


class CellRead(BaseModel):
    target_id: int
    value: Decimal
    version: int
    warnings: list[str]
    editable: bool


class ColumnRead(BaseModel):
    index: int
    label: str
    grain: str
    start: date
    end: date
    is_leaf: bool


class RowRead(BaseModel):
    owner: str
    name: str
    kind: str
    depth: int
    parent: str | None
    cells: list[CellRead | None]
    bottom_up: Decimal | None


class IssueRead(BaseModel):
    code: str
    severity: str
    message: str
    owner: str | None = None
    owner_name: str | None = None
    period: str | None = None
    target_id: int | None = None


class PlanGridRead(BaseModel):
    plan: PlanRead
    columns: list[ColumnRead]
    rows: list[RowRead]
    warnings: list[IssueRead]
    notes: list[IssueRead]


class PreviewRowRead(BaseModel):
    owner: str
    name: str
    parent: str | None
    values: dict[str, Decimal]


class PreviewRead(BaseModel):
    plan_id: int | None
    metric: str
    period: str
    periods: list[str]
    rows: list[PreviewRowRead]
    notes: list[IssueRead]
    warnings: int


class CellUpdate(BaseModel):
    value: Decimal = Field(ge=0, max_digits=20, decimal_places=4)
    reason: str | None = None


class ChangedRead(BaseModel):
    changed: list[int]


class LinkObjective(BaseModel):
    objective_id: int | None


class BottomUpEntry(BaseModel):
    owner: str
    period: str
    value: Decimal = Field(ge=0, max_digits=20, decimal_places=4)


class BottomUpCreate(BaseModel):
    entries: list[BottomUpEntry] = Field(min_length=1)
    reason: str | None = None


class GapRead(BaseModel):
    owner: str
    name: str
    depth: int
    top_down: Decimal
    bottom_up: Decimal | None
    gap: Decimal | None


class TransitionBody(BaseModel):
    reason: str | None = None


class ChangeRead(BaseModel):
    id: int
    target_id: int | None
    owner: str | None
    period: str | None
    version: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    actor_name: str
    at: datetime


class ReviewCreate(BaseModel):
    as_of: date | None = None
    owner: str | None = None
    reason: str | None = None


class AdjustmentRead(BaseModel):
    id: int
    kind: str
    plan_id: int | None
    owner: str
    owner_name: str
    as_of: date
    month: date | None
    proposed: dict[str, Any]
    final: dict[str, Any] | None
    reason: str | None
    state: str
    requested_by_name: str
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str | None


class Decision(BaseModel):
    accept: bool
    edits: dict[str, Decimal] = Field(default_factory=dict, description="period label → value, or metric → weight")
    note: str | None = None


class ReweightCreate(BaseModel):
    owner: str = "company"
    month: date
    season: str | None = Field(default=None, description="promo or off_season")
    emphasis: dict[str, Decimal] = Field(default_factory=dict)
    reason: str | None = None


class WeightsSet(BaseModel):
    owner: str = "company"
    month: date
    weights: dict[str, Decimal]
    reason: str | None = None


class WeightsRead(BaseModel):
    owner: str
    month: date
    weights: dict[str, Decimal]
    source: str
    bounds: dict[str, tuple[Decimal, Decimal]]


class BoundsSet(BaseModel):
    bounds: dict[str, tuple[Decimal, Decimal]]


class CsiWeightsSet(BaseModel):
    weights: dict[str, Decimal]


class HolidayRead(BaseModel):
    day: date
    is_workday: bool
    name: str
    official: bool


class HolidaySet(BaseModel):
    is_workday: bool = False
    name: str = Field(min_length=1, max_length=60)
    official: bool = True


class SeedRead(BaseModel):
    created: int
    updated: int


class ProgressRead(BaseModel):
    owner: str
    owner_name: str
    owner_kind: str
    metric_code: str
    metric_label: str
    unit: str
    period: str
    start: date
    end: date
    target: Decimal | None
    actual: Decimal | None
    elapsed: Decimal
    expected_to_date: Decimal | None
    attainment: Decimal | None
    pace_ratio: Decimal | None
    projected_run_rate: Decimal | None
    projected_with_pipeline: Decimal | None
    status: str | None
    reason: str
    plan_id: int | None
    target_id: int | None


class BoardRowRead(BaseModel):
    owner: str
    name: str
    kind: str
    tier: str | None
    progress: ProgressRead


class BoardRead(BaseModel):
    team: ProgressRead | None
    rows: list[BoardRowRead]


class TrendRead(BaseModel):
    month: date
    target: Decimal | None
    actual: Decimal | None


class MyMetricRead(BaseModel):
    metric_code: str
    metric_label: str
    unit: str
    month: ProgressRead
    quarter: ProgressRead
    year: ProgressRead
    trend: list[TrendRead]


class MyTargetsRead(BaseModel):
    owner: str
    name: str
    as_of: date
    metrics: list[MyMetricRead]


class KeyResultRead(BaseModel):
    id: int
    title: str
    kind: str
    metric_code: str | None
    target_id: int | None
    start: Decimal
    target: Decimal
    current: Decimal
    weight: Decimal
    progress: Decimal


class ObjectiveRead(BaseModel):
    id: int
    layer: str
    title: str
    description: str | None
    parent_id: int | None
    owner: str
    owner_name: str
    period: str
    weight: Decimal
    status: str
    progress: Decimal
    depth: int
    key_results: list[KeyResultRead]


class ObjectiveCreate(BaseModel):
    layer: OkrLayer
    title: str = Field(min_length=1, max_length=200)
    period: str
    owner: str | None = None
    parent_id: int | None = None
    weight: Decimal = Field(default=Decimal(1), gt=0, max_digits=12, decimal_places=6)
    description: str | None = None


class ObjectiveUpdate(BaseModel):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = None
    weight: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=6)
    status: str | None = None
    parent_id: int | None = None


class KeyResultCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    kind: KeyResultKind
    target_value: Decimal | None = Field(default=None, max_digits=20, decimal_places=4)
    start_value: Decimal = Field(default=Decimal(0), max_digits=20, decimal_places=4)
    metric_code: str | None = None
    target_id: int | None = None
    weight: Decimal = Field(default=Decimal(1), gt=0, max_digits=12, decimal_places=6)


class CheckInCreate(BaseModel):
    value: Decimal = Field(max_digits=20, decimal_places=4)
    note: str | None = None


class CreatedRead(BaseModel):
    id: int


class ImportRead(BaseModel):
    applied: bool
    changed: int
    total_before: Decimal | None
    total_after: Decimal | None
    issues: list[dict[str, Any]]


# --- metrics and plans -----------------------------------------------------------------------


@router.get("/targets/metrics", response_model=list[MetricRead])
def list_metrics(principal: CurrentPrincipal) -> list[MetricRead]:
    require(principal, "targets.read")
    return [
        MetricRead(
            code=m.code,
            label_en=m.label_en,
            label_zh=m.label_zh,
            unit=m.unit.value,
            additive=m.additive,
            higher_is_better=m.higher_is_better,
            description=m.description,
        )
        for m in METRICS.values()
    ]


@router.get("/targets/plans", response_model=list[PlanRead])
def list_plans(
    session: ReadSession, principal: CurrentPrincipal, metric: str | None = None, status: TargetStatus | None = None
) -> list[PlanRead]:
    require(principal, "targets.read")
    rows = queries.list_plans(session, principal, metric_code=metric, status=status.value if status else None)
    return [PlanRead.model_validate(r, from_attributes=True) for r in rows]


def _preview_read(p: PlanPreview) -> PreviewRead:
    shape = p.shape
    return PreviewRead(
        plan_id=p.plan_id,
        metric=p.metric.code,
        period=p.period.label,
        periods=[x.label for x in shape.periods],
        rows=[
            PreviewRowRead(
                owner=str(o),
                name=p.names[o],
                parent=str(shape.owner_parent[o]) if shape.owner_parent[o] else None,
                values={shape.periods[i].label: p.grid[(o, i)] for i in range(len(shape.periods))},
            )
            for o in shape.owners
        ],
        notes=[IssueRead(code=n.code, severity=n.severity.value, message=n.message) for n in p.notes],
        warnings=sum(len(v) for v in p.smart.values()),
    )


@router.post("/targets/plans/preview", response_model=PreviewRead)
def preview_plan(body: PlanCreate, session: ReadSession, principal: CurrentPrincipal, con: Engine) -> PreviewRead:
    """Decompose without saving: try methods before committing to a plan."""
    require(principal, "targets.plan")
    return _preview_read(service.build_plan(session, principal, body.request(), con))


@router.post("/targets/plans", response_model=PreviewRead, status_code=201)
def create_plan(body: PlanCreate, request: Request, principal: CurrentPrincipal, con: Engine) -> PreviewRead:
    """Decompose and save a draft plan with every cell and its SMART warnings."""
    require(principal, "targets.plan")
    with uow_for(request, principal) as uow:
        preview = service.create_plan(uow, principal, body.request(), con)
        uow.commit()
    return _preview_read(preview)


def _grid(session: Any, principal: Principal, plan_id: int) -> PlanGridRead:
    grid = queries.plan_grid(session, principal, plan_id)
    if grid is None:
        raise NotFound(f"target plan {plan_id} does not exist")
    return PlanGridRead(
        plan=PlanRead.model_validate(grid.plan, from_attributes=True),
        columns=[ColumnRead.model_validate(c, from_attributes=True) for c in grid.columns],
        rows=[
            RowRead(
                owner=r.owner,
                name=r.name,
                kind=r.kind,
                depth=r.depth,
                parent=r.parent,
                bottom_up=r.bottom_up,
                cells=[
                    CellRead(
                        target_id=c.target_id,
                        value=c.value,
                        version=c.version,
                        warnings=list(c.warnings),
                        editable=c.editable,
                    )
                    if c
                    else None
                    for c in r.cells
                ],
            )
            for r in grid.rows
        ],
        warnings=[IssueRead(**w) for w in grid.warnings],
        notes=[IssueRead(**n) for n in grid.notes],
    )


@router.get("/targets/plans/{plan_id}", response_model=PlanGridRead)
def get_plan(plan_id: int, session: ReadSession, principal: CurrentPrincipal) -> PlanGridRead:
    """The plan's grid: owners (tree order) × periods, with SMART warnings per cell."""
    require(principal, "targets.read")
    return _grid(session, principal, plan_id)


@router.get("/targets/plans/{plan_id}/history", response_model=list[ChangeRead])
def plan_history(plan_id: int, session: ReadSession, principal: CurrentPrincipal) -> list[ChangeRead]:
    require(principal, "targets.read")
    if queries.get_plan(session, principal, plan_id) is None:
        raise NotFound(f"target plan {plan_id} does not exist")
    changes = queries.plan_history(session, principal, plan_id)
    return [ChangeRead.model_validate(c, from_attributes=True) for c in changes]


@router.get("/targets/plans/{plan_id}/gaps", response_model=list[GapRead])
def plan_gaps(
    plan_id: int, session: ReadSession, principal: CurrentPrincipal, period: str | None = None
) -> list[GapRead]:
    """Top-down against bottom-up, rolled up the tree, with the gap at every level."""
    require(principal, "targets.read")
    if queries.get_plan(session, principal, plan_id) is None:
        raise NotFound(f"target plan {plan_id} does not exist")
    return [
        GapRead.model_validate(g, from_attributes=True) for g in queries.plan_gaps(session, principal, plan_id, period)
    ]


@router.patch("/targets/cells/{target_id}", response_model=ChangedRead)
def update_cell(
    target_id: int, body: CellUpdate, request: Request, principal: CurrentPrincipal, con: Engine
) -> ChangedRead:
    """Edit one cell of a draft plan; its siblings rebalance so the parent stays fixed."""
    require(principal, "targets.plan")
    with uow_for(request, principal) as uow:
        changed = service.update_cell(uow, principal, target_id, body.value, reason=body.reason, con=con)
        uow.commit()
    return ChangedRead(changed=changed)


@router.put("/targets/cells/{target_id}/objective", response_model=ChangedRead)
def link_objective(target_id: int, body: LinkObjective, request: Request, principal: CurrentPrincipal) -> ChangedRead:
    require(principal, "targets.plan")
    with uow_for(request, principal) as uow:
        service.link_objective(uow, principal, target_id, body.objective_id)
        uow.commit()
    return ChangedRead(changed=[target_id])


@router.post("/targets/plans/{plan_id}/bottom-up", response_model=ChangedRead)
def bottom_up(plan_id: int, body: BottomUpCreate, request: Request, principal: CurrentPrincipal) -> ChangedRead:
    """Record owners' own commitments beside the top-down plan."""
    require(principal, "targets.plan")
    entries = [(parse_owner(e.owner), e.period, e.value) for e in body.entries]
    with uow_for(request, principal) as uow:
        n = service.enter_bottom_up(uow, principal, plan_id, entries, reason=body.reason)
        uow.commit()
    return ChangedRead(changed=list(range(n)))


def _transition(
    plan_id: int, to: TargetStatus, body: TransitionBody | None, request: Request, session: Any, principal: Principal
) -> PlanRead:
    require(principal, "targets.approve")
    with uow_for(request, principal) as uow:
        service.transition_plan(uow, principal, plan_id, to, reason=body.reason if body else None)
        uow.commit()
    row = queries.get_plan(session, principal, plan_id)
    assert row is not None
    return PlanRead.model_validate(row, from_attributes=True)


@router.post("/targets/plans/{plan_id}/approve", response_model=PlanRead)
def approve(
    plan_id: int,
    request: Request,
    session: ReadSession,
    principal: CurrentPrincipal,
    body: TransitionBody | None = None,
) -> PlanRead:
    return _transition(plan_id, TargetStatus.APPROVED, body, request, session, principal)


@router.post("/targets/plans/{plan_id}/activate", response_model=PlanRead)
def activate(
    plan_id: int,
    request: Request,
    session: ReadSession,
    principal: CurrentPrincipal,
    body: TransitionBody | None = None,
) -> PlanRead:
    return _transition(plan_id, TargetStatus.ACTIVE, body, request, session, principal)


@router.post("/targets/plans/{plan_id}/close", response_model=PlanRead)
def close(
    plan_id: int,
    request: Request,
    session: ReadSession,
    principal: CurrentPrincipal,
    body: TransitionBody | None = None,
) -> PlanRead:
    return _transition(plan_id, TargetStatus.CLOSED, body, request, session, principal)


@router.post("/targets/plans/{plan_id}/reopen", response_model=PlanRead)
def reopen(
    plan_id: int,
    request: Request,
    session: ReadSession,
    principal: CurrentPrincipal,
    body: TransitionBody | None = None,
) -> PlanRead:
    return _transition(plan_id, TargetStatus.DRAFT, body, request, session, principal)


@router.get("/targets/plans/{plan_id}/export")
def export_plan(plan_id: int, session: ReadSession, principal: CurrentPrincipal) -> Response:
    """The planning grid as .xlsx: reps' months as values, totals as formulas."""
    data = workbook.export_plan(session, principal, plan_id)
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="target-plan-{plan_id}.xlsx"'}
    )


@router.post("/targets/plans/{plan_id}/import", response_model=ImportRead)
def import_plan(
    plan_id: int,
    request: Request,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="the edited .xlsx")],
    dry_run: bool = False,
) -> Response:
    """Read an edited grid back: every bad cell is reported (422), nothing applied on error."""
    require(principal, "targets.plan")
    data = file.file.read()
    with uow_for(request, principal) as uow:
        result = workbook.import_plan(
            uow, principal, plan_id, data, source=file.filename or "upload.xlsx", dry_run=dry_run
        )
        if result.applied:
            uow.commit()
    out = ImportRead(
        applied=result.applied,
        changed=result.changed,
        total_before=result.total_before,
        total_after=result.total_after,
        issues=[i.as_dict() for i in result.issues],
    )
    status = 422 if any(i.is_error for i in result.issues) else 200
    return Response(out.model_dump_json(), status_code=status, media_type="application/json")


# --- monthly review and weights --------------------------------------------------------------


@router.post("/targets/plans/{plan_id}/review", response_model=AdjustmentRead, status_code=201)
def review(
    plan_id: int, body: ReviewCreate, request: Request, session: ReadSession, principal: CurrentPrincipal, con: Engine
) -> AdjustmentRead:
    """Propose moving the closed periods' shortfall into the remaining ones."""
    require(principal, "targets.plan")
    with uow_for(request, principal) as uow:
        req = service.review_plan(
            uow,
            principal,
            plan_id,
            con,
            as_of=_today(uow.session, body.as_of),
            owner=_owner(body.owner),
            reason=body.reason,
        )
        uow.commit()
        rid = req.id
    return _adjustment(session, principal, rid)


def _adjustment(session: Any, principal: Principal, adjustment_id: int) -> AdjustmentRead:
    row = queries.get_adjustment(session, principal, adjustment_id)
    if row is None:
        raise NotFound(f"adjustment {adjustment_id} does not exist")
    return AdjustmentRead.model_validate(row, from_attributes=True)


@router.get("/targets/adjustments", response_model=list[AdjustmentRead])
def list_adjustments(
    session: ReadSession, principal: CurrentPrincipal, state: str | None = None, plan_id: int | None = None
) -> list[AdjustmentRead]:
    require(principal, "targets.read")
    return [
        AdjustmentRead.model_validate(a, from_attributes=True)
        for a in queries.list_adjustments(session, principal, state=state, plan_id=plan_id)
    ]


@router.post("/targets/adjustments/{adjustment_id}/decide", response_model=AdjustmentRead)
def decide(
    adjustment_id: int, body: Decision, request: Request, session: ReadSession, principal: CurrentPrincipal, con: Engine
) -> AdjustmentRead:
    """Accept (as proposed, or edited) or reject a proposal."""
    require(principal, "targets.plan")
    with uow_for(request, principal) as uow:
        service.decide_adjustment(
            uow, principal, adjustment_id, accept=body.accept, edits=body.edits, note=body.note, con=con
        )
        uow.commit()
    return _adjustment(session, principal, adjustment_id)


@router.post("/targets/weights/review", response_model=AdjustmentRead, status_code=201)
def propose_reweight(
    body: ReweightCreate, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> AdjustmentRead:
    """Propose a team's metric weights for a month (promo / off-season emphasis, HQ bounds)."""
    require(principal, "targets.plan")
    with uow_for(request, principal) as uow:
        req = service.propose_reweight(
            uow,
            principal,
            owner=parse_owner(body.owner),
            month=body.month,
            emphasis=body.emphasis,
            season=body.season,
            reason=body.reason,
        )
        uow.commit()
        rid = req.id
    return _adjustment(session, principal, rid)


@router.get("/targets/weights", response_model=WeightsRead)
def get_weights(session: ReadSession, principal: CurrentPrincipal, month: date, owner: str = "company") -> WeightsRead:
    require(principal, "targets.read")
    ref = parse_owner(owner)
    org = queries.org_snapshot(session)
    if not org.exists(org.normalize(ref)) or not queries.owner_in_scope(principal, org, org.normalize(ref)):
        raise NotFound(f"{owner} does not exist")
    weights, source = queries.metric_weights(session, org.normalize(ref), month)
    return WeightsRead(
        owner=str(ref), month=month, weights=weights, source=source, bounds=queries.weight_bounds(session)
    )


@router.put("/targets/weights", response_model=WeightsRead)
def set_weights(body: WeightsSet, request: Request, session: ReadSession, principal: CurrentPrincipal) -> WeightsRead:
    require(principal, "targets.plan")
    with uow_for(request, principal) as uow:
        service.set_metric_weights(
            uow, principal, parse_owner(body.owner), body.month, body.weights, reason=body.reason
        )
        uow.commit()
    return get_weights(session, principal, body.month, body.owner)


@router.put("/targets/weight-bounds", response_model=dict[str, tuple[Decimal, Decimal]])
def set_bounds(
    body: BoundsSet, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> dict[str, tuple[Decimal, Decimal]]:
    require(principal, "targets.configure")
    with uow_for(request, principal) as uow:
        service.set_weight_bounds(uow, principal, body.bounds)
        uow.commit()
    return queries.weight_bounds(session)


@router.get("/targets/csi-weights", response_model=dict[str, Decimal])
def get_csi_weights(session: ReadSession, principal: CurrentPrincipal) -> dict[str, Decimal]:
    require(principal, "targets.read")
    return queries.csi_weights(session)


@router.put("/targets/csi-weights", response_model=dict[str, Decimal])
def set_csi_weights(
    body: CsiWeightsSet, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> dict[str, Decimal]:
    require(principal, "targets.configure")
    with uow_for(request, principal) as uow:
        service.set_csi_weights(uow, principal, body.weights)
        uow.commit()
    return queries.csi_weights(session)


# --- holiday calendar -------------------------------------------------------------------------


@router.get("/targets/holidays", response_model=list[HolidayRead])
def list_holidays(session: ReadSession, principal: CurrentPrincipal, year: int | None = None) -> list[HolidayRead]:
    require(principal, "targets.read")
    return [HolidayRead.model_validate(h, from_attributes=True) for h in queries.holidays(session, year)]


@router.post("/targets/holidays/seed", response_model=SeedRead)
def seed_holidays(request: Request, principal: CurrentPrincipal) -> SeedRead:
    """Load the built-in mainland China calendar (2026 announced; 2027 statutory days)."""
    require(principal, "targets.configure")
    with uow_for(request, principal) as uow:
        created, updated = service.seed_holidays(uow)
        uow.commit()
    return SeedRead(created=created, updated=updated)


@router.put("/targets/holidays/{day}", response_model=HolidayRead)
def set_holiday(day: date, body: HolidaySet, request: Request, principal: CurrentPrincipal) -> HolidayRead:
    require(principal, "targets.configure")
    with uow_for(request, principal) as uow:
        row = service.set_holiday(
            uow, principal, day, is_workday=body.is_workday, name=body.name, official=body.official
        )
        out = HolidayRead(day=row.day, is_workday=row.is_workday, name=row.name, official=row.official)
        uow.commit()
    return out


@router.delete("/targets/holidays/{day}", status_code=204)
def delete_holiday(day: date, request: Request, principal: CurrentPrincipal) -> Response:
    require(principal, "targets.configure")
    with uow_for(request, principal) as uow:
        service.delete_holiday(uow, principal, day)
        uow.commit()
    return Response(status_code=204)


# --- progress ---------------------------------------------------------------------------------


def _lookup(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except NotFound:
        raise
    except LookupError as exc:
        raise NotFound(str(exc)) from None


@router.get("/targets/progress", response_model=list[ProgressRead])
def progress(
    session: ReadSession,
    principal: CurrentPrincipal,
    con: Engine,
    period: Annotated[str, Query(description="2026-10, 2026-Q4, 2026, 2026-W42")],
    owner: Annotated[str | None, Query(description="company, team:ID or person:ID")] = None,
    metric: str | None = None,
    as_of: date | None = None,
    basis: ExpectationBasis = ExpectationBasis.CALENDAR,
    all_owners: Annotated[bool, Query(alias="all")] = False,
) -> list[ProgressRead]:
    """Actual (metric engine), target, expected-to-date, run-rate and pipeline-weighted
    projections and a pacing status, for one owner or every owner you may see."""
    require(principal, "targets.read")
    owners = [o] if (o := _owner(owner)) else None
    rows = _lookup(
        queries.progress,
        session,
        principal,
        con,
        period_label=period,
        owners=owners,
        metric_codes=[metric] if metric else None,
        as_of=_today(session, as_of),
        basis=basis,
        only_with_targets=owners is None and not all_owners,
    )
    return [ProgressRead.model_validate(r, from_attributes=True) for r in rows]


@router.get("/targets/board", response_model=BoardRead)
def board(
    session: ReadSession,
    principal: CurrentPrincipal,
    con: Engine,
    period: str,
    metric: str = "won_revenue",
    team: str | None = None,
    as_of: date | None = None,
    basis: ExpectationBasis = ExpectationBasis.CALENDAR,
) -> BoardRead:
    """The manager's pacing board: the team and each direct sub-team and rep, worst first."""
    require(principal, "targets.read")
    head, rows = _lookup(
        queries.team_board,
        session,
        principal,
        con,
        period_label=period,
        metric_code=metric,
        team=_owner(team),
        as_of=_today(session, as_of),
        basis=basis,
    )
    return BoardRead(
        team=ProgressRead.model_validate(head, from_attributes=True) if head else None,
        rows=[
            BoardRowRead(
                owner=r.owner,
                name=r.name,
                kind=r.kind,
                tier=r.tier,
                progress=ProgressRead.model_validate(r.progress, from_attributes=True),
            )
            for r in rows
        ],
    )


@router.get("/targets/me", response_model=MyTargetsRead)
def my_targets(
    session: ReadSession,
    principal: CurrentPrincipal,
    con: Engine,
    as_of: date | None = None,
    owner: str | None = None,
    basis: ExpectationBasis = ExpectationBasis.CALENDAR,
) -> MyTargetsRead:
    """Your own pacing this month, quarter and year, with the monthly trend."""
    require(principal, "targets.read")
    mine = _lookup(
        queries.my_targets, session, principal, con, as_of=_today(session, as_of), owner=_owner(owner), basis=basis
    )
    return MyTargetsRead.model_validate(mine, from_attributes=True)


# --- OKR --------------------------------------------------------------------------------------


@router.get("/okr", response_model=list[ObjectiveRead])
def okr_tree(
    session: ReadSession, principal: CurrentPrincipal, con: Engine, period: str | None = None, as_of: date | None = None
) -> list[ObjectiveRead]:
    """Objectives you may see, in tree order, with weighted progress rolled up."""
    require(principal, "targets.read")
    nodes = queries.okr_tree(session, principal, con, period_label=period, as_of=_today(session, as_of))
    return [ObjectiveRead.model_validate(n, from_attributes=True) for n in nodes]


@router.post("/okr/objectives", response_model=CreatedRead, status_code=201)
def create_objective(body: ObjectiveCreate, request: Request, principal: CurrentPrincipal) -> CreatedRead:
    require(principal, "okr.write")
    draft = ObjectiveDraft(
        body.layer, body.title, body.period, _owner(body.owner), body.parent_id, body.weight, body.description
    )
    with uow_for(request, principal) as uow:
        obj = service.create_objective(uow, principal, draft)
        uow.commit()
        return CreatedRead(id=obj.id)


@router.patch("/okr/objectives/{objective_id}", response_model=CreatedRead)
def update_objective(
    objective_id: int, body: ObjectiveUpdate, request: Request, principal: CurrentPrincipal
) -> CreatedRead:
    require(principal, "okr.write")
    with uow_for(request, principal) as uow:
        service.update_objective(uow, principal, objective_id, **body.model_dump(exclude_unset=True))
        uow.commit()
    return CreatedRead(id=objective_id)


@router.post("/okr/objectives/{objective_id}/key-results", response_model=CreatedRead, status_code=201)
def add_key_result(
    objective_id: int, body: KeyResultCreate, request: Request, principal: CurrentPrincipal
) -> CreatedRead:
    require(principal, "okr.write")
    draft = KeyResultDraft(
        body.title, body.kind, body.target_value, body.start_value, body.metric_code, body.target_id, body.weight
    )
    with uow_for(request, principal) as uow:
        kr = service.add_key_result(uow, principal, objective_id, draft)
        uow.commit()
        return CreatedRead(id=kr.id)


@router.post("/okr/key-results/{key_result_id}/check-ins", response_model=CreatedRead, status_code=201)
def check_in(key_result_id: int, body: CheckInCreate, request: Request, principal: CurrentPrincipal) -> CreatedRead:
    require(principal, "okr.write")
    with uow_for(request, principal) as uow:
        row = service.check_in(uow, principal, key_result_id, body.value, note=body.note)
        uow.commit()
        return CreatedRead(id=row.id)
