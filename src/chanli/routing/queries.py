"""Scoped reads of routing for the shells: assignments with their explanations, the leave
calendar, rep settings, policies, and SLA statistics per rep.

Rows belong to a person (the rep a lead went to); a manager sees their subtree's, a rep
their own, the back office everything — through ``core.auth.scope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session

from chanli.core.auth import Principal, scope
from chanli.routing import batch, facts, service
from chanli.routing.model import RoutingPolicy
from chanli.routing.tables import LeadAssignment, Leave, RepSetting

__all__ = ["AssignmentRow", "LeaveRow", "list_assignments", "list_leaves", "policies", "rep_settings", "sla_stats"]


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    id: int
    lead_id: int
    company_name: str
    person_id: int | None
    person_name: str | None
    outcome: str
    queue: str
    kind: str
    explanation: str
    assigned_at: datetime
    sla_due_at: datetime | None
    breached_at: datetime | None
    current: bool


def _scoped(stmt: Any, principal: Principal, person_col: Any) -> Any:
    if principal.sees_all:
        return stmt
    who = facts.people.alias("who")
    stmt = stmt.outerjoin(who, who.c.id == person_col)
    return scope(stmt, principal, team_col=who.c.team_id, person_col=person_col)


def list_assignments(
    s: Session, principal: Principal, *, lead_id: int | None = None, person_id: int | None = None,
    current_only: bool = False, limit: int = 200,
) -> list[AssignmentRow]:
    ld, p = facts.leads, facts.people
    stmt = (select(LeadAssignment, ld.c.company_name, p.c.name)
            .join(ld, ld.c.id == LeadAssignment.lead_id)
            .outerjoin(p, p.c.id == LeadAssignment.person_id))
    stmt = _scoped(stmt, principal, LeadAssignment.person_id)
    if lead_id is not None:
        stmt = stmt.where(LeadAssignment.lead_id == lead_id)
    if person_id is not None:
        stmt = stmt.where(LeadAssignment.person_id == person_id)
    if current_only:
        stmt = stmt.where(LeadAssignment.current.is_(True))
    stmt = stmt.order_by(LeadAssignment.assigned_at.desc(), LeadAssignment.id.desc()).limit(limit)
    return [
        AssignmentRow(a.id, a.lead_id, company, a.person_id, name, a.outcome, a.queue, a.kind, a.explanation,
                      a.assigned_at, a.sla_due_at, a.breached_at, a.current)
        for a, company, name in s.execute(stmt)
    ]


@dataclass(frozen=True, slots=True)
class LeaveRow:
    id: int
    person_id: int
    person_name: str
    first_day: date
    last_day: date
    reason: str | None


def list_leaves(s: Session, principal: Principal, *, on_or_after: date | None = None) -> list[LeaveRow]:
    p = facts.people
    stmt = select(Leave, p.c.name).join(p, p.c.id == Leave.person_id)
    stmt = _scoped(stmt, principal, Leave.person_id)
    if on_or_after is not None:
        stmt = stmt.where(Leave.last_day >= on_or_after)
    return [LeaveRow(lv.id, lv.person_id, name, lv.first_day, lv.last_day, lv.reason)
            for lv, name in s.execute(stmt.order_by(Leave.first_day, Leave.id))]


def rep_settings(s: Session, principal: Principal) -> list[dict[str, Any]]:
    p = facts.people
    stmt = select(RepSetting, p.c.name).join(p, p.c.id == RepSetting.person_id)
    stmt = _scoped(stmt, principal, RepSetting.person_id)
    return [{"person_id": r.person_id, "name": name, "capacity": r.capacity, "industries": r.industries or "",
             "products": r.products or ""} for r, name in s.execute(stmt.order_by(RepSetting.person_id))]


def policies(s: Session) -> dict[int | None, RoutingPolicy]:
    return service.load_policies(s)


def sla_stats(
    s: Session, con: BaseBackend, principal: Principal, *, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """SLA statistics per rep the caller may see (set-based on ``con``)."""
    person_ids = None
    if not principal.sees_all:
        p = facts.people
        person_ids = list(s.scalars(scope(select(p.c.id), principal, team_col=p.c.team_id, person_col=p.c.id)))
    return batch.sla_stats(con, start, end, person_ids)
