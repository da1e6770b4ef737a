"""The pure mapping from a domain event to the notices it causes: who is told, of what kind,
with which params, and where they act. No I/O: what the event does not carry (names, titles,
the people of a comp run) arrives in a ``Context`` the handler looked up.

The table of who is told what is in ``docs.md``; links point at the page where the recipient acts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chanli.compensation import service as comp_service
from chanli.insight import ChurnRiskRaised
from chanli.integrations.model import Context, Notice, NoticeKind
from chanli.process import ApprovalDecided, ApprovalEscalated, ApprovalRequested
from chanli.routing import LeadsAssigned, LeadSlaBreached

__all__ = ["EVENT_TYPES", "LINKS", "notices_for"]

RunApproved = comp_service.RunApproved

LINKS = {
    NoticeKind.LEAD_SLA: "/leads?status=new",
    NoticeKind.LEADS_ASSIGNED: "/leads?status=new",
    NoticeKind.APPROVAL_REQUESTED: "/process/approvals",
    NoticeKind.APPROVAL_DECIDED: "/process/approvals?status=all",
    NoticeKind.APPROVAL_ESCALATED: "/process/approvals",
    NoticeKind.STATEMENT_READY: "/comp/me",
}


def _churn(ev: ChurnRiskRaised, ctx: Context) -> list[Notice]:
    if ev.owner_id is None:
        return []
    return [Notice(ev.owner_id, NoticeKind.CHURN_RISK, {
        "warning_id": ev.warning_id, "account_id": ev.account_id, "account": ev.account_name,
        "probability": float(ev.probability), "reasons": list(ev.reasons[:3]),
        "renewal_due_on": ev.renewal_due_on.isoformat() if ev.renewal_due_on else None,
    }, f"/insight/churn/{ev.warning_id}")]


def _sla(ev: LeadSlaBreached, ctx: Context) -> list[Notice]:
    out = []
    if ev.manager_id is not None:
        out.append(Notice(ev.manager_id, NoticeKind.LEAD_SLA, {
            "lead_id": ev.lead_id, "hours": ev.hours, "previous": ctx.name(ev.previous_owner_id),
            "new": ctx.name(ev.new_owner_id),
        }, LINKS[NoticeKind.LEAD_SLA]))
    if ev.new_owner_id is not None:  # the lead was routed to someone: they are told like any routed lead
        out.append(Notice(ev.new_owner_id, NoticeKind.LEADS_ASSIGNED, {"count": 1}, LINKS[NoticeKind.LEADS_ASSIGNED]))
    return out


def _assigned(ev: LeadsAssigned, ctx: Context) -> list[Notice]:
    return [Notice(person, NoticeKind.LEADS_ASSIGNED, {"count": count}, LINKS[NoticeKind.LEADS_ASSIGNED])
            for person, count in sorted(ev.by_person.items()) if count > 0]


def _requested(ev: ApprovalRequested, ctx: Context) -> list[Notice]:
    if ev.assignee_person_id is None:  # the back office queue: no one person to tell
        return []
    return [Notice(ev.assignee_person_id, NoticeKind.APPROVAL_REQUESTED, {
        "request_id": ev.request_id, "approval": ev.kind, "title": ev.title, "requested_by": ev.requested_by,
    }, LINKS[NoticeKind.APPROVAL_REQUESTED])]


def _decided(ev: ApprovalDecided, ctx: Context) -> list[Notice]:
    if ev.requester_person_id is None:
        return []
    return [Notice(ev.requester_person_id, NoticeKind.APPROVAL_DECIDED, {
        "request_id": ev.request_id, "approval": ev.kind, "title": ctx.approval_titles.get(ev.request_id, ""),
        "status": ev.status, "decided_by": ev.decided_by, "comment": ev.comment,
    }, LINKS[NoticeKind.APPROVAL_DECIDED])]


def _escalated(ev: ApprovalEscalated, ctx: Context) -> list[Notice]:
    if ev.to_person_id is None or ev.to_person_id == ev.from_person_id:
        return []
    return [Notice(ev.to_person_id, NoticeKind.APPROVAL_ESCALATED, {
        "request_id": ev.request_id, "approval": ev.kind, "title": ctx.approval_titles.get(ev.request_id, ""),
        "level": ev.level, "from": ctx.name(ev.from_person_id),
    }, LINKS[NoticeKind.APPROVAL_ESCALATED])]


def _run(ev: Any, ctx: Context) -> list[Notice]:
    return [Notice(person, NoticeKind.STATEMENT_READY, {"run_id": ev.run_id, "period": ev.period,
                                                        "plan": ev.plan_key}, LINKS[NoticeKind.STATEMENT_READY])
            for person in sorted(set(ctx.run_people))]


_MAPPERS: dict[type, Callable[[Any, Context], list[Notice]]] = {
    ChurnRiskRaised: _churn,
    LeadSlaBreached: _sla,
    LeadsAssigned: _assigned,
    ApprovalRequested: _requested,
    ApprovalDecided: _decided,
    ApprovalEscalated: _escalated,
    RunApproved: _run,
}
EVENT_TYPES: tuple[type, ...] = tuple(_MAPPERS)


def notices_for(event: object, ctx: Context | None = None) -> list[Notice]:
    """The notices ``event`` causes (none for an event nobody is told about)."""
    mapper = _MAPPERS.get(type(event))
    return mapper(event, ctx or Context()) if mapper else []
