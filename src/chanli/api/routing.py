"""Routing endpoints: policies per team, rep settings and the leave calendar, assigning leads
(a batch, one lead, or a new lead from a web form), the SLA sweep and statistics, and the
simulator behind the rules editor."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from ibis.backends import BaseBackend
from pydantic import BaseModel, Field

from chanli.api.deps import CurrentPrincipal, ReadSession, get_store_engine, uow_for
from chanli.core.auth import require
from chanli.core.db import utcnow
from chanli.crm import model as crm_model
from chanli.routing import Assignment, RoutingPolicy, queries, service

router = APIRouter(tags=["routing"])


class AssignmentRead(BaseModel):
    lead_id: int
    person_id: int | None
    outcome: str
    queue: str
    explanation: str
    explanation_en: str


class AssignBody(BaseModel):
    lead_ids: list[int] | None = None
    limit: int | None = Field(default=None, ge=1, le=200_000)


class AssignRead(BaseModel):
    routed: int
    by_outcome: dict[str, int]
    skipped: int
    assignments: list[AssignmentRead]


class NewLeadBody(BaseModel):
    company_name: str = Field(min_length=1, max_length=200)
    contact_name: str | None = None
    phone: str | None = None
    source: str | None = None
    channel: str | None = None
    industry: str | None = None
    region: str | None = None
    province: str | None = None
    product: str | None = Field(default=None, max_length=80)
    score: Decimal | None = Field(default=None, ge=0, le=100)
    account_id: int | None = None
    external_id: str | None = None


class NewLeadRead(BaseModel):
    lead_id: int
    assignment: AssignmentRead | None


class RepBody(BaseModel):
    capacity: int | None = Field(default=None, ge=0)
    industries: list[str] = []
    products: list[str] = []


class LeaveBody(BaseModel):
    person_id: int
    first_day: date
    last_day: date
    reason: str | None = None


class SimulateBody(BaseModel):
    start: date | None = None
    end: date | None = None
    policy: dict[str, Any] | None = None  # a draft of the default policy to preview instead of the saved one


def _assignment(a: Assignment) -> AssignmentRead:
    return AssignmentRead(lead_id=a.lead_id, person_id=a.person_id, outcome=a.outcome.value, queue=a.queue,
                          explanation=a.explain("zh_CN"), explanation_en=a.explain("en"))


@router.get("/routing/policies")
def list_policies(session: ReadSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    require(principal, "routing.read")
    return [{**p.as_dict(), "version": p.version} for _, p in sorted(
        queries.policies(session).items(), key=lambda kv: (kv[0] is not None, kv[0] or 0))]


@router.put("/routing/policies")
def save_policy(body: dict[str, Any], request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    require(principal, "routing.configure")
    policy = RoutingPolicy.from_dict(body)
    with uow_for(request, principal) as uow:
        version = service.save_policy(uow, principal, policy)
        uow.commit()
    return {"version": version}


@router.put("/routing/reps/{person_id}")
def set_rep(person_id: int, body: RepBody, request: Request, principal: CurrentPrincipal) -> dict[str, bool]:
    with uow_for(request, principal) as uow:
        service.set_rep(uow, principal, person_id, capacity=body.capacity, industries=body.industries,
                        products=body.products)
        uow.commit()
    return {"saved": True}


@router.get("/routing/leaves")
def list_leaves(session: ReadSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    require(principal, "routing.read")
    return [dataclasses.asdict(lv) for lv in queries.list_leaves(session, principal)]


@router.post("/routing/leaves", status_code=201)
def add_leave(body: LeaveBody, request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    with uow_for(request, principal) as uow:
        leave_id = service.add_leave(uow, principal, body.person_id, body.first_day, body.last_day, body.reason)
        uow.commit()
    return {"id": leave_id}


@router.post("/routing/assign", response_model=AssignRead)
def assign(request: Request, principal: CurrentPrincipal, body: AssignBody | None = None) -> AssignRead:
    """Route unowned new leads (given ids, or all up to ``limit``)."""
    require(principal, "routing.assign")
    body = body or AssignBody()
    with uow_for(request, principal) as uow:
        summary = service.assign_leads(uow, now=utcnow(), lead_ids=body.lead_ids, limit=body.limit)
        uow.commit()
    return AssignRead(routed=len(summary.assignments), by_outcome=summary.by_outcome, skipped=summary.skipped_locked,
                      assignments=[_assignment(a) for a in summary.assignments[:500]])


@router.post("/routing/leads", response_model=NewLeadRead, status_code=201)
def new_lead(body: NewLeadBody, request: Request, principal: CurrentPrincipal) -> NewLeadRead:
    """The web-form path: record a lead and route it at once, answering with the explanation."""
    now = utcnow()
    draft = crm_model.LeadDraft(
        company_name=body.company_name, received_at=now, source=body.source, channel=body.channel,
        industry=body.industry, region=body.region, province=body.province, contact_name=body.contact_name,
        phone=body.phone, score=body.score, account_id=body.account_id, external_id=body.external_id,
    )
    with uow_for(request, principal) as uow:
        lead_id, assignment = service.route_new_lead(uow, principal, draft, now=now, product=body.product)
        uow.commit()
    return NewLeadRead(lead_id=lead_id, assignment=_assignment(assignment) if assignment else None)


@router.get("/routing/assignments")
def assignments(session: ReadSession, principal: CurrentPrincipal, lead_id: int | None = None,
                person_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    require(principal, "routing.read")
    rows = queries.list_assignments(session, principal, lead_id=lead_id, person_id=person_id,
                                    limit=min(max(limit, 1), 1000))
    return [dataclasses.asdict(r) for r in rows]


@router.post("/routing/sla/sweep")
def sweep(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Re-route leads past their first-contact deadline (the scheduler calls the service)."""
    require(principal, "routing.assign")
    with uow_for(request, principal) as uow:
        events = service.sweep_sla(uow, now=utcnow())
        uow.commit()
    return {"rerouted": [{"lead_id": e.lead_id, "previous_owner_id": e.previous_owner_id,
                          "new_owner_id": e.new_owner_id, "manager_id": e.manager_id} for e in events]}


@router.get("/routing/sla/stats")
def sla_stats(session: ReadSession, principal: CurrentPrincipal, days: int = 30,
              con: BaseBackend = Depends(get_store_engine)) -> list[dict[str, Any]]:
    require(principal, "routing.read")
    end = utcnow() + timedelta(seconds=1)
    return queries.sla_stats(session, con, principal, start=end - timedelta(days=max(days, 1)), end=end)


@router.post("/routing/simulate")
def simulate(session: ReadSession, principal: CurrentPrincipal, body: SimulateBody | None = None) -> dict[str, Any]:
    """Preview a policy on past leads (default: last month's) — nothing is written."""
    require(principal, "routing.assign")
    body = body or SimulateBody()
    now = utcnow()
    start, end = body.start, body.end
    if start is None or end is None:
        first = now.astimezone(UTC).date().replace(day=1)
        end = first
        start = (first - timedelta(days=1)).replace(day=1)
    policies = None
    if body.policy is not None:
        policies = dict(queries.policies(session))
        policies[None] = RoutingPolicy.from_dict(body.policy)
    sim = service.simulate(session, start=start, end=end, policies=policies, now=now)
    return {"start": start, "end": end, "leads": sim.leads, "by_outcome": sim.by_outcome,
            "by_person": [{"person_id": p, "name": n, "leads": c} for p, n, c in sim.by_person],
            "samples": [{"lead_id": lid, "person": who, "explanation": why} for lid, who, why in sim.samples]}

