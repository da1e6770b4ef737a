"""Scoped reads of the process for the shells: the kanban pipeline, an opportunity's playbook
checklist and SPIN answers, approvals (inbox and history), trials, grades, analytics.

Who sees what follows the CRM: an opportunity, account or request is visible through the
owning (or requesting) person — a manager their subtree, a rep their own; the back office
everything. Rows outside scope are answered like missing ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from chanli.core.auth import Principal, scope
from chanli.crm import queries as crm_queries
from chanli.process import batch, facts, rules, service
from chanli.process.model import (
    LOST,
    SPIN_TEMPLATE,
    ActionStatus,
    ApprovalStatus,
    GateResult,
    Playbook,
    SpinQuestion,
    StageDef,
)
from chanli.process.tables import (
    AccountGrade,
    AccountGradeChange,
    ApprovalRequest,
    ApprovalStep,
    ChecklistTick,
    OpportunityProcess,
    SpinAnswer,
    StageMove,
    TrialProposal,
    TrialSpend,
)

__all__ = [
    "ApprovalRow",
    "Card",
    "GradeRow",
    "Kanban",
    "OpportunityProcessView",
    "TrialRow",
    "analytics",
    "get_approval",
    "get_trial",
    "grade_history",
    "list_approvals",
    "list_grades",
    "list_trials",
    "opportunity_view",
    "pipeline",
]


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    name: str
    account_name: str | None
    owner_name: str | None
    amount: Decimal
    stage_key: str
    crm_stage: str


@dataclass(frozen=True, slots=True)
class Kanban:
    playbook: Playbook
    columns: list[tuple[StageDef, list[Card]]]


def _person_team(s: Session, person_id: int | None) -> int | None:
    if person_id is None:
        return None
    return s.scalar(select(facts.people.c.team_id).where(facts.people.c.id == person_id))


def pipeline(s: Session, principal: Principal, *, team_id: int | None = None, limit: int = 500) -> Kanban:
    """Open deals the caller may see, in the columns of the playbook of ``team_id`` (default:
    the caller's own team, else the company default)."""
    playbook = service.playbook_for_team(s, team_id if team_id is not None else _person_team(s, principal.person_id))
    rows = crm_queries.list_opportunities(s, principal, status="open", limit=limit)
    ids = [r.id for r in rows]
    states = {st.opportunity_id: st.stage_key for st in s.scalars(
        select(OpportunityProcess).where(OpportunityProcess.opportunity_id.in_(ids)))} if ids else {}
    keys = {st.key for st in playbook.stages}
    columns: dict[str, list[Card]] = {st.key: [] for st in playbook.stages}
    for r in rows:
        key = states.get(r.id)
        if key not in keys:
            key = playbook.for_crm_stage(r.stage).key
        columns[key].append(Card(r.id, r.name, r.account_name, r.owner_name, r.amount, key, r.stage))
    return Kanban(playbook, [(st, columns[st.key]) for st in playbook.stages])


@dataclass(frozen=True, slots=True)
class DeliverableState:
    stage_key: str
    key: str
    name: str
    done: bool
    note: str | None


@dataclass(frozen=True, slots=True)
class SpinItem:
    question: SpinQuestion
    answer: str


@dataclass(frozen=True, slots=True)
class MoveRow:
    from_stage: str | None
    to_stage: str
    moved_at: datetime
    by_name: str
    override_reason: str | None
    missing: list[Any] | None


@dataclass(frozen=True, slots=True)
class OpportunityProcessView:
    opportunity: crm_queries.OpportunityRow
    playbook: Playbook
    stage_key: str
    entered_at: datetime | None
    actions: list[ActionStatus]
    deliverables: list[DeliverableState]
    spin: list[SpinItem]
    next_gate: GateResult | None
    moves: list[MoveRow]
    approvals: list[ApprovalRow] = field(default_factory=list)


def opportunity_view(
    s: Session, principal: Principal, opportunity_id: int, *, now: datetime
) -> OpportunityProcessView | None:
    """Everything the opportunity page shows about the process, or ``None`` if out of scope."""
    detail = crm_queries.get_opportunity(s, principal, opportunity_id)
    if detail is None:
        return None
    playbook = service.playbook_for_opportunity(s, opportunity_id)
    stage_key, entered_at = service.current_stage(s, playbook, opportunity_id)
    ticks = list(s.scalars(select(ChecklistTick).where(ChecklistTick.opportunity_id == opportunity_id)))
    actions: list[ActionStatus] = []
    deliverables: list[DeliverableState] = []
    next_gate = None
    if stage_key != LOST:
        entered = entered_at or datetime.combine(detail.opportunity.created_on, datetime.min.time(), tzinfo=now.tzinfo)
        acts = [(a.kind, a.started_at) for a in detail.activities]
        ticked = {t.item_key: t.done_at for t in ticks if t.item_kind == "action" and t.stage_key == stage_key}
        actions = rules.action_statuses(playbook, stage_key, entered, acts, ticked, now)
        by_key = {(t.stage_key, t.item_key): t for t in ticks if t.item_kind == "deliverable"}
        upto = playbook.index(stage_key)
        for st in playbook.stages[: upto + 1]:
            for d in st.deliverables:
                t = by_key.get((st.key, d.key))
                deliverables.append(DeliverableState(st.key, d.key, d.name, t is not None, t.note if t else None))
        if upto + 1 < len(playbook.stages) and detail.opportunity.status == "open":
            next_gate = service.preview_gate(s, opportunity_id, playbook.stages[upto + 1].key)
    answers = {a.question_key: a.answer for a in s.scalars(
        select(SpinAnswer).where(SpinAnswer.opportunity_id == opportunity_id))}
    moves = [
        MoveRow(m.from_stage, m.to_stage, m.moved_at, m.by_name, m.override_reason, m.missing)
        for m in s.scalars(select(StageMove).where(StageMove.opportunity_id == opportunity_id)
                           .order_by(StageMove.moved_at, StageMove.id))
    ]
    approvals = [_approval_row(r) for r in s.scalars(
        select(ApprovalRequest).where(ApprovalRequest.opportunity_id == opportunity_id).order_by(ApprovalRequest.id))]
    return OpportunityProcessView(
        detail.opportunity, playbook, stage_key, entered_at, actions, deliverables,
        [SpinItem(q, answers.get(q.key, "")) for q in SPIN_TEMPLATE], next_gate, moves, approvals,
    )


# --- approvals --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepRow:
    at: datetime
    action: str
    level: str
    actor_name: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    id: int
    kind: str
    title: str
    amount: Decimal
    status: str
    level: str
    assignee_person_id: int | None
    requester_name: str
    requester_person_id: int | None
    opportunity_id: int | None
    subject_type: str
    subject_id: int | None
    due_at: datetime
    created_at: datetime
    decided_at: datetime | None
    payload: dict[str, Any]
    steps: list[StepRow] = field(default_factory=list)


def _approval_row(r: ApprovalRequest, steps: list[StepRow] | None = None) -> ApprovalRow:
    return ApprovalRow(r.id, r.kind, r.title, r.amount, r.status, r.level, r.assignee_person_id, r.requester_name,
                       r.requester_person_id, r.opportunity_id, r.subject_type, r.subject_id, r.due_at, r.created_at,
                       r.decided_at, r.payload, steps or [])


def _approval_scope(stmt: Any, principal: Principal) -> Any:
    """Back office sees all; others the requests assigned to them, filed by them, or (managers)
    filed within their subtree."""
    if principal.sees_all:
        return stmt
    clauses = [ApprovalRequest.requester_user_id == principal.user_id]
    if principal.person_id is not None:
        clauses += [ApprovalRequest.assignee_person_id == principal.person_id,
                    ApprovalRequest.requester_person_id == principal.person_id]
    if principal.visible_team_ids:
        clauses.append(ApprovalRequest.team_id.in_(sorted(principal.visible_team_ids)))
    return stmt.where(or_(*clauses))


def list_approvals(
    s: Session, principal: Principal, *, status: str | None = None, assigned_to_me: bool = False, limit: int = 200
) -> list[ApprovalRow]:
    """The approvals inbox: newest first; ``assigned_to_me`` keeps only what the caller must decide
    (for the back office: also requests waiting at the ``admin`` level)."""
    stmt = _approval_scope(select(ApprovalRequest), principal)
    if status:
        stmt = stmt.where(ApprovalRequest.status == status)
    if assigned_to_me:
        mine = [ApprovalRequest.assignee_person_id == principal.person_id] if principal.person_id else []
        if principal.can("approvals.decide") and principal.sees_all:
            mine.append(ApprovalRequest.level == "admin")
        stmt = stmt.where(or_(*mine)) if mine else stmt.where(ApprovalRequest.id.is_(None))
    stmt = stmt.order_by(ApprovalRequest.created_at.desc(), ApprovalRequest.id.desc()).limit(limit)
    return [_approval_row(r) for r in s.scalars(stmt)]


def get_approval(s: Session, principal: Principal, request_id: int) -> ApprovalRow | None:
    r = s.scalars(_approval_scope(select(ApprovalRequest).where(ApprovalRequest.id == request_id), principal)).first()
    if r is None:
        return None
    steps = [StepRow(x.at, x.action, x.level, x.actor_name, x.comment) for x in s.scalars(
        select(ApprovalStep).where(ApprovalStep.request_id == request_id).order_by(ApprovalStep.at, ApprovalStep.id))]
    return _approval_row(r, steps)


def pending_count(s: Session, principal: Principal) -> int:
    return len(list_approvals(s, principal, status=ApprovalStatus.PENDING.value, assigned_to_me=True))


# --- trials -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrialRow:
    id: int
    title: str
    hypothesis: str
    budget: Decimal
    spent: Decimal
    status: str
    proposer_name: str
    outcome: str | None
    write_up: str | None
    spends: list[tuple[datetime, Decimal, str | None]] = field(default_factory=list)

    @property
    def left(self) -> Decimal:
        return self.budget - self.spent


def _trial_scope(stmt: Any, principal: Principal) -> Any:
    if principal.sees_all:
        return stmt
    clauses = [TrialProposal.owner_person_id == principal.person_id] if principal.person_id else []
    if principal.visible_team_ids:
        clauses.append(TrialProposal.team_id.in_(sorted(principal.visible_team_ids)))
    return stmt.where(or_(*clauses)) if clauses else stmt.where(TrialProposal.id.is_(None))


def _trial_row(t: TrialProposal, spends: list[Any] | None = None) -> TrialRow:
    return TrialRow(t.id, t.title, t.hypothesis, t.budget, t.spent, t.status, t.proposer_name, t.outcome, t.write_up,
                    spends or [])


def list_trials(s: Session, principal: Principal, *, status: str | None = None) -> list[TrialRow]:
    stmt = _trial_scope(select(TrialProposal), principal)
    if status:
        stmt = stmt.where(TrialProposal.status == status)
    return [_trial_row(t) for t in s.scalars(stmt.order_by(TrialProposal.id.desc()))]


def get_trial(s: Session, principal: Principal, trial_id: int) -> TrialRow | None:
    t = s.scalars(_trial_scope(select(TrialProposal).where(TrialProposal.id == trial_id), principal)).first()
    if t is None:
        return None
    spends = [(x.recorded_at, x.amount, x.note) for x in s.scalars(
        select(TrialSpend).where(TrialSpend.proposal_id == trial_id).order_by(TrialSpend.id))]
    return _trial_row(t, spends)


# --- grades -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeRow:
    account_id: int
    account_name: str
    owner_id: int | None
    grade: str
    score: Decimal
    components: dict[str, Any]
    computed_at: datetime
    visit_every_days: int | None


def _account_scope(stmt: Any, principal: Principal) -> Any:
    if principal.sees_all:
        return stmt
    owner = facts.people.alias("owner")
    stmt = stmt.outerjoin(owner, owner.c.id == facts.accounts.c.owner_id)
    return scope(stmt, principal, team_col=owner.c.team_id, person_col=facts.accounts.c.owner_id)


def list_grades(s: Session, principal: Principal, *, grade: str | None = None, limit: int = 500) -> list[GradeRow]:
    a = facts.accounts
    stmt = select(AccountGrade, a.c.name, a.c.owner_id).join(a, a.c.id == AccountGrade.account_id).where(
        a.c.deleted_at.is_(None))
    stmt = _account_scope(stmt, principal)
    if grade:
        stmt = stmt.where(AccountGrade.grade == grade)
    policy = service.grading_policy(s)
    stmt = stmt.order_by(AccountGrade.score.desc(), AccountGrade.account_id).limit(limit)
    return [GradeRow(g.account_id, name, owner, g.grade, g.score, g.components, g.computed_at,
                     policy.visit_every_days.get(g.grade)) for g, name, owner in s.execute(stmt)]


def grade_history(s: Session, principal: Principal, account_id: int) -> list[AccountGradeChange] | None:
    a = facts.accounts
    visible = s.scalar(_account_scope(select(a.c.id).where(a.c.id == account_id, a.c.deleted_at.is_(None)), principal))
    if visible is None:
        return None
    return list(s.scalars(select(AccountGradeChange).where(AccountGradeChange.account_id == account_id)
                          .order_by(AccountGradeChange.changed_at, AccountGradeChange.id)))


# --- analytics --------------------------------------------------------------------------------


def analytics(s: Session, con: BaseBackend, *, team_id: int | None = None, now: datetime) -> dict[str, Any]:
    """Time per stage against the norm and which standard actions go with winning, for the
    playbook of ``team_id`` (company default when None), computed set-based on ``con``."""
    playbook = service.playbook_for_team(s, team_id)
    return {
        "playbook": playbook.name,
        "stages": batch.stage_durations(con, playbook, now),
        "actions": batch.action_outcomes(con, playbook),
    }
