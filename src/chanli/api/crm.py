"""CRM endpoints: accounts, leads, opportunities (with stage moves), orders, payments, and
the dashboard figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from chanli.api.deps import CurrentPrincipal, ReadSession, uow_for
from chanli.core.auth import Principal, require
from chanli.crm import NotFound, model, queries, service

router = APIRouter(tags=["crm"])


class AccountRead(BaseModel):
    id: int
    name: str
    industry: str | None
    region: str | None
    grade: str | None
    lifecycle_status: str
    owner_id: int | None
    owner_name: str | None
    external_id: str | None


class AccountCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    industry: str | None = None
    region: str | None = None
    province: str | None = None
    grade: model.Grade | None = None
    owner_id: int | None = None
    external_id: str | None = None


class LeadRead(BaseModel):
    id: int
    company_name: str
    source: str | None
    channel: str | None
    region: str | None
    status: str
    received_at: datetime
    first_contacted_at: datetime | None
    owner_id: int | None
    owner_name: str | None
    score: Decimal | None


class LeadCreate(BaseModel):
    company_name: str = Field(min_length=1, max_length=200)
    contact_name: str | None = None
    phone: str | None = None
    source: str | None = None
    channel: str | None = None
    industry: str | None = None
    region: str | None = None
    province: str | None = None
    owner_id: int | None = None
    external_id: str | None = None


class OpportunityRead(BaseModel):
    id: int
    name: str
    account_name: str | None
    owner_id: int | None
    owner_name: str | None
    product: str | None
    stage: str
    status: str
    amount: Decimal
    probability: Decimal
    created_on: date
    expected_close: date | None
    closed_on: date | None
    lost_reason: str | None
    external_id: str | None


class StageRead(BaseModel):
    from_stage: str | None
    to_stage: str
    changed_at: datetime
    note: str | None


class ActivityRead(BaseModel):
    id: int
    kind: str
    started_at: datetime
    duration_min: int
    person_name: str
    outcome: str | None


class OpportunityDetailRead(BaseModel):
    opportunity: OpportunityRead
    stage_history: list[StageRead]
    activities: list[ActivityRead]


class OpportunityCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    account_id: int | None = None
    owner_id: int | None = None
    product_id: int | None = None
    amount: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=2)
    expected_close: date | None = None
    external_id: str | None = None


class StageMove(BaseModel):
    to_stage: model.Stage
    lost_reason: str | None = None
    note: str | None = None


class OrderLineCreate(BaseModel):
    product_id: int | None = None
    quantity: Decimal = Field(gt=0)
    list_price: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    discount_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)


class OrderCreate(BaseModel):
    account_id: int
    owner_id: int
    signed_on: date
    lines: list[OrderLineCreate] = Field(min_length=1)
    opportunity_id: int | None = None
    is_renewal: bool = False
    payment_due_on: date | None = None
    external_id: str | None = None


class OrderRead(BaseModel):
    id: int
    net_amount: Decimal
    status: str
    signed_on: date


class OrderCancel(BaseModel):
    on: date
    reason: str = Field(min_length=2)


class PaymentCreate(BaseModel):
    order_id: int
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    received_on: date
    method: str | None = None
    external_id: str | None = None


class StageFigureRead(BaseModel):
    stage: str
    count: int
    amount: Decimal


class MonthFigureRead(BaseModel):
    month: str
    won: Decimal
    collected: Decimal


class RepFigureRead(BaseModel):
    person_id: int
    name: str
    won: Decimal
    orders: int


class DashboardRead(BaseModel):
    start: date
    end: date
    open_pipeline: Decimal
    won_total: Decimal
    collected_total: Decimal
    pipeline: list[StageFigureRead]
    monthly: list[MonthFigureRead]
    top_reps: list[RepFigureRead]


Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/accounts", response_model=list[AccountRead])
def list_accounts(
    session: ReadSession,
    principal: CurrentPrincipal,
    grade: model.Grade | None = None,
    search: str | None = None,
    owner_id: int | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[AccountRead]:
    require(principal, "crm.read")
    rows = queries.list_accounts(
        session,
        principal,
        grade=grade.value if grade else None,
        search=search,
        owner_id=owner_id,
        limit=limit,
        offset=offset,
    )
    return [AccountRead.model_validate(r, from_attributes=True) for r in rows]


def _own_or_scoped(session: ReadSession, principal: Principal, owner_id: int | None) -> int | None:
    """A rep creates records for themselves; a manager only for people they can see."""
    from chanli.org import queries as org_queries

    if owner_id is None:
        return principal.person_id
    if org_queries.get_person(session, principal, owner_id) is None:
        raise NotFound(f"person {owner_id} does not exist")
    return owner_id


@router.post("/accounts", response_model=AccountRead, status_code=201)
def create_account(
    body: AccountCreate, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> AccountRead:
    require(principal, "crm.write")
    owner = _own_or_scoped(session, principal, body.owner_id)
    data = body.model_dump()
    data["owner_id"] = owner
    data["grade"] = body.grade.value if body.grade else None
    data["lifecycle_status"] = model.LifecycleStatus.PROSPECT.value
    with uow_for(request, principal) as uow:
        done = service.upsert_accounts(uow, [model.AccountDraft(**data)])
        uow.commit()
    rows = queries.list_accounts(session, principal, ids=done.ids)
    return AccountRead.model_validate(rows[0], from_attributes=True)


@router.get("/leads", response_model=list[LeadRead])
def list_leads(
    session: ReadSession,
    principal: CurrentPrincipal,
    status: model.LeadStatus | None = None,
    source: str | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[LeadRead]:
    require(principal, "crm.read")
    rows = queries.list_leads(
        session, principal, status=status.value if status else None, source=source, limit=limit, offset=offset
    )
    return [LeadRead.model_validate(r, from_attributes=True) for r in rows]


@router.post("/leads", status_code=201, response_model=LeadRead)
def create_lead(body: LeadCreate, request: Request, session: ReadSession, principal: CurrentPrincipal) -> LeadRead:
    require(principal, "crm.write")
    data = body.model_dump()
    data["owner_id"] = (
        _own_or_scoped(session, principal, body.owner_id) if body.owner_id or principal.person_id else None
    )
    with uow_for(request, principal) as uow:
        done = service.upsert_leads(uow, [model.LeadDraft(received_at=datetime.now(UTC), **data)])
        uow.commit()
    rows = queries.list_leads(session, principal, ids=done.ids)
    return LeadRead.model_validate(rows[0], from_attributes=True)


@router.get("/opportunities", response_model=list[OpportunityRead])
def list_opportunities(
    session: ReadSession,
    principal: CurrentPrincipal,
    stage: str | None = None,
    status: model.OpportunityStatus | None = None,
    owner_id: int | None = None,
    search: str | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[OpportunityRead]:
    require(principal, "crm.read")
    rows = queries.list_opportunities(
        session,
        principal,
        stage=stage,
        status=status.value if status else None,
        owner_id=owner_id,
        search=search,
        limit=limit,
        offset=offset,
    )
    return [OpportunityRead.model_validate(r, from_attributes=True) for r in rows]


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityDetailRead)
def get_opportunity(opportunity_id: int, session: ReadSession, principal: CurrentPrincipal) -> OpportunityDetailRead:
    require(principal, "crm.read")
    detail = queries.get_opportunity(session, principal, opportunity_id)
    if detail is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    return OpportunityDetailRead.model_validate(detail, from_attributes=True)


@router.post("/opportunities", response_model=OpportunityRead, status_code=201)
def create_opportunity(
    body: OpportunityCreate, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> OpportunityRead:
    require(principal, "crm.write")
    data = body.model_dump()
    data["owner_id"] = _own_or_scoped(session, principal, body.owner_id)
    today = datetime.now(UTC).date()
    with uow_for(request, principal) as uow:
        done = service.upsert_opportunities(uow, [model.OpportunityDraft(created_on=today, **data)])
        uow.commit()
    rows = queries.list_opportunities(session, principal, ids=done.ids)
    return OpportunityRead.model_validate(rows[0], from_attributes=True)


@router.post("/opportunities/{opportunity_id}/stage", response_model=OpportunityRead)
def move_stage(
    opportunity_id: int, body: StageMove, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> OpportunityRead:
    require(principal, "crm.write")
    if queries.get_opportunity(session, principal, opportunity_id) is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    with uow_for(request, principal) as uow:
        service.move_stage(
            uow,
            opportunity_id,
            body.to_stage,
            at=datetime.now(UTC),
            by_person_id=principal.person_id,
            lost_reason=body.lost_reason,
            note=body.note,
        )
        uow.commit()
    detail = queries.get_opportunity(session, principal, opportunity_id)
    assert detail is not None
    return OpportunityRead.model_validate(detail.opportunity, from_attributes=True)


@router.post("/orders", response_model=OrderRead, status_code=201)
def create_order(body: OrderCreate, request: Request, session: ReadSession, principal: CurrentPrincipal) -> OrderRead:
    require(principal, "crm.write")
    owner = _own_or_scoped(session, principal, body.owner_id)
    assert owner is not None
    draft = model.OrderDraft(
        account_id=body.account_id,
        owner_id=owner,
        signed_on=body.signed_on,
        lines=tuple(model.OrderLineDraft(**ln.model_dump()) for ln in body.lines),
        opportunity_id=body.opportunity_id,
        is_renewal=body.is_renewal,
        payment_due_on=body.payment_due_on,
        external_id=body.external_id,
    )
    with uow_for(request, principal) as uow:
        service.ensure_visible(uow, principal, "account", body.account_id)
        done = service.upsert_orders(uow, [draft])
        uow.commit()
    return _order_read(session, principal, done.ids[0])


def _order_read(session: ReadSession, principal: Principal, order_id: int) -> OrderRead:
    row = queries.get_order(session, principal, order_id)
    if row is None:
        raise NotFound(f"order {order_id} does not exist")
    return OrderRead.model_validate(row, from_attributes=True)


@router.post("/orders/{order_id}/cancel", response_model=OrderRead)
def cancel_order(
    order_id: int, body: OrderCancel, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> OrderRead:
    require(principal, "crm.write")
    with uow_for(request, principal) as uow:
        service.ensure_visible(uow, principal, "order", order_id)
        service.cancel_order(uow, order_id, on=body.on, reason=body.reason)
        uow.commit()
    return _order_read(session, principal, order_id)


@router.post("/payments", status_code=201)
def create_payment(body: PaymentCreate, request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    require(principal, "crm.write")
    with uow_for(request, principal) as uow:
        service.ensure_visible(uow, principal, "order", body.order_id)
        done = service.upsert_payments(uow, [model.PaymentDraft(**body.model_dump())])
        uow.commit()
    return {"id": done.ids[0], "created": done.created, "updated": done.updated}


@router.get("/dashboard", response_model=DashboardRead, summary="Home figures within the caller's scope")
def dashboard(
    session: ReadSession, principal: CurrentPrincipal, start: date | None = None, end: date | None = None
) -> DashboardRead:
    require(principal, "dashboard.read")
    end = end or queries.latest_fact_month_end(session)
    start = start or date(end.year - 1, end.month, 1)
    if end <= start:
        raise ValueError("end must be after start")
    return DashboardRead.model_validate(queries.dashboard(session, principal, start, end), from_attributes=True)
