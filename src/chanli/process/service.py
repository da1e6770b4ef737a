"""Process use cases: configure playbooks, move opportunities through their gates (or override
with a reason), fill in SPIN and the checklist, regrade accounts, and run approvals with
delegated authority — discounts on orders, compliance reviews of big deals, and the
innovation trial fund.

Each function loads facts, asks the pure ``rules``, saves the outcome in the caller's unit
of work with an audit entry, and queues notifications on the after-commit outbox. None
commits: the shell decides where the transaction ends. None reads the clock: ``now`` is
passed in, so a replay gives the same answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from chanli.core.audit import record, snapshot
from chanli.core.auth import Forbidden, Principal, Role, require
from chanli.core.db import UnitOfWork
from chanli.core.issues import Issue, ValidationFailed
from chanli.core.periods import business_date
from chanli.crm import NotFound as CrmNotFound
from chanli.crm import model as crm_model
from chanli.crm import service as crm_service
from chanli.process import batch, facts, rules
from chanli.process.model import (
    DEFAULT_AUTHORITY,
    DEFAULT_GRADING,
    DEFAULT_PLAYBOOK,
    LOST,
    SPIN_TEMPLATE,
    ApprovalDecided,
    ApprovalEscalated,
    ApprovalKind,
    ApprovalRequested,
    ApprovalStatus,
    AuthorityDecision,
    AuthorityMatrix,
    DiscountLine,
    GateFacts,
    GateResult,
    GradeChanged,
    GradingPolicy,
    Missing,
    Playbook,
    TrialDraft,
    TrialStatus,
)
from chanli.process.tables import (
    AccountGrade,
    AccountGradeChange,
    ApprovalRequest,
    ApprovalStep,
    ChecklistTick,
    OpportunityProcess,
    PendingOrder,
    PlaybookRow,
    ProcessConfig,
    SpinAnswer,
    StageMove,
    TrialProposal,
    TrialSpend,
)

__all__ = [
    "GateBlocked",
    "MoveOutcome",
    "NotFound",
    "OrderOutcome",
    "RegradeSummary",
    "authority_matrix",
    "check_discount_authority",
    "close_trial",
    "create_order",
    "current_stage",
    "decide",
    "escalate_overdue",
    "gate_facts",
    "grading_policy",
    "move_opportunity",
    "playbook_for_opportunity",
    "playbook_for_team",
    "preview_gate",
    "propose_trial",
    "record_trial_spend",
    "regrade_all",
    "request_approval",
    "save_authority_matrix",
    "save_grading_policy",
    "save_playbook",
    "save_spin_answers",
    "tick",
]


class NotFound(CrmNotFound):
    """A process object (playbook, approval, trial) does not exist or is out of scope (404)."""


class GateBlocked(ValidationFailed):
    """The stage gate is not passed; ``missing`` lists what is still needed (HTTP 422)."""

    def __init__(self, gate: GateResult) -> None:
        self.gate = gate
        issues = [Issue(f"gate.{m.kind}", m.message, column=m.key, source=m.stage) for m in gate.missing]
        super().__init__(issues, f"cannot move to {gate.to_stage}: {len(gate.missing)} item(s) missing — "
                         + "; ".join(m.message for m in gate.missing[:5]))


# --- configuration ----------------------------------------------------------------------------

AUTHORITY_KEY, GRADING_KEY = "authority_matrix", "grading_policy"


def _config(s: Session, key: str) -> ProcessConfig | None:
    return s.scalars(select(ProcessConfig).where(ProcessConfig.key == key)).first()


def authority_matrix(s: Session) -> AuthorityMatrix:
    row = _config(s, AUTHORITY_KEY)
    return AuthorityMatrix.from_dict(row.value) if row else DEFAULT_AUTHORITY


def grading_policy(s: Session) -> GradingPolicy:
    row = _config(s, GRADING_KEY)
    return GradingPolicy.from_dict(row.value, row.version) if row else DEFAULT_GRADING


def _save_config(uow: UnitOfWork, key: str, value: dict[str, Any]) -> int:
    s = uow.session
    row = _config(s, key)
    before = row.value if row else None
    if row is None:
        row = ProcessConfig(key=key, value=value, version=1)
        s.add(row)
    else:
        row.value = value
        row.version += 1
    s.flush()
    record(s, uow.actor, f"process.{key}", "process_config", key, before=before, after=value)
    return row.version


def save_authority_matrix(uow: UnitOfWork, principal: Principal, matrix: AuthorityMatrix) -> int:
    """Replace the discount authority matrix (audited: it decides who may give money away)."""
    require(principal, "process.configure")
    levels = [lv.level for lv in matrix.levels]
    if not levels or len(set(levels)) != len(levels):
        raise ValidationFailed([Issue("authority.levels", "the matrix needs distinct levels, lowest first")])
    return _save_config(uow, AUTHORITY_KEY, matrix.as_dict())


def save_grading_policy(uow: UnitOfWork, principal: Principal, policy: GradingPolicy) -> int:
    require(principal, "process.configure")
    if sum(policy.weights.values(), Decimal(0)) != Decimal(1):
        raise ValidationFailed([Issue("grading.weights", "grading weights must add up to 1")])
    return _save_config(uow, GRADING_KEY, policy.as_dict())


def save_playbook(uow: UnitOfWork, principal: Principal, playbook: Playbook) -> int:
    """Create or replace the playbook of a team (or the company default when ``team_id`` is None)."""
    require(principal, "process.configure")
    s = uow.session
    crm_stages = {st.value for st in crm_model.Stage} - {LOST}
    issues = [
        Issue("playbook.crm_stage", f"stage {st.key}: unknown CRM stage {st.crm_stage!r}", column=st.key)
        for st in playbook.stages if st.crm_stage not in crm_stages
    ]
    issues += [
        Issue("playbook.field", f"stage {st.key}: unknown required field {f!r}", column=st.key)
        for st in playbook.stages for f in st.required_fields if f not in rules.FIELD_LABELS
    ]
    if issues:
        raise ValidationFailed(issues)
    row = s.scalars(select(PlaybookRow).where(
        PlaybookRow.team_id.is_(None) if playbook.team_id is None else PlaybookRow.team_id == playbook.team_id
    )).first()
    before = row.definition if row else None
    if row is None:
        row = PlaybookRow(name=playbook.name, team_id=playbook.team_id, definition=playbook.as_dict(), version=1)
        s.add(row)
    else:
        row.name, row.definition, row.version = playbook.name, playbook.as_dict(), row.version + 1
    s.flush()
    record(s, uow.actor, "playbook.save", "playbook", row.id, before=before, after=row.definition)
    return row.id


def _team_chain(s: Session, team_id: int | None) -> list[int]:
    """Team ids from ``team_id`` up to the root (deepest first)."""
    if team_id is None:
        return []
    path = s.scalar(select(facts.teams.c.path).where(facts.teams.c.id == team_id))
    if not path:
        return [team_id]
    return [int(x) for x in reversed(path.strip("/").split("/")) if x]


def playbook_for_team(s: Session, team_id: int | None) -> Playbook:
    """The playbook of the nearest team up the tree that has one, else the company default,
    else the built-in 标准销售流程."""
    rows = {r.team_id: r for r in s.scalars(select(PlaybookRow))}
    for tid in [*_team_chain(s, team_id), None]:
        row = rows.get(tid)
        if row is not None:
            return Playbook.from_dict(row.definition, id=row.id, version=row.version)
    return DEFAULT_PLAYBOOK


def _opportunity(s: Session, opportunity_id: int) -> Any:
    o = facts.opportunities
    row = s.execute(select(o).where(o.c.id == opportunity_id, o.c.deleted_at.is_(None))).first()
    if row is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    return row


def _owner_team(s: Session, owner_id: int | None) -> int | None:
    if owner_id is None:
        return None
    return s.scalar(select(facts.people.c.team_id).where(facts.people.c.id == owner_id))


def playbook_for_opportunity(s: Session, opportunity_id: int) -> Playbook:
    opp = _opportunity(s, opportunity_id)
    return playbook_for_team(s, _owner_team(s, opp.owner_id))


def current_stage(s: Session, playbook: Playbook, opportunity_id: int) -> tuple[str, datetime | None]:
    """The opportunity's playbook stage and when it entered it. Deals that never moved through
    a gate are placed by their CRM stage; a closed deal sits in the final stage (won) or ``lost``."""
    state = s.scalars(select(OpportunityProcess).where(OpportunityProcess.opportunity_id == opportunity_id)).first()
    opp = _opportunity(s, opportunity_id)
    if opp.status == "lost":
        return LOST, state.entered_at if state else None
    if state is not None and state.stage_key in {st.key for st in playbook.stages}:
        return state.stage_key, state.entered_at
    if opp.status == "won":
        return playbook.final.key, None
    return playbook.for_crm_stage(opp.stage).key, None


def gate_facts(s: Session, opportunity_id: int) -> GateFacts:
    opp = _opportunity(s, opportunity_id)
    ticks = list(s.scalars(select(ChecklistTick).where(ChecklistTick.opportunity_id == opportunity_id)))
    spin = {a.kind for a in s.scalars(select(SpinAnswer).where(SpinAnswer.opportunity_id == opportunity_id))
            if a.answer.strip()}
    approved = set(s.scalars(select(ApprovalRequest.kind).where(
        ApprovalRequest.opportunity_id == opportunity_id, ApprovalRequest.status == ApprovalStatus.APPROVED.value)))
    return GateFacts(
        fields={name: getattr(opp, name) for name in rules.FIELD_LABELS},
        done_actions=frozenset((t.stage_key, t.item_key) for t in ticks if t.item_kind == "action"),
        deliverables=frozenset((t.stage_key, t.item_key) for t in ticks if t.item_kind == "deliverable"),
        spin_kinds_answered=frozenset(spin),
        approved=frozenset(approved),
        amount=Decimal(opp.amount or 0),
    )


def preview_gate(s: Session, opportunity_id: int, to_stage: str) -> GateResult:
    """What the gate would say about a move, without moving (the kanban shows it on hover)."""
    playbook = playbook_for_opportunity(s, opportunity_id)
    stage, _ = current_stage(s, playbook, opportunity_id)
    if to_stage != LOST:
        playbook.index(to_stage)
    if stage == LOST:
        return GateResult(stage, to_stage)
    return rules.check_gate(playbook, stage, to_stage, gate_facts(s, opportunity_id),
                            compliance_threshold=authority_matrix(s).compliance_threshold)


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    opportunity_id: int
    from_stage: str
    to_stage: str
    crm_stage: str
    overridden: bool
    missing: tuple[Missing, ...]


def _visible(uow: UnitOfWork, principal: Principal, opportunity_id: int) -> None:
    try:
        crm_service.ensure_visible(uow, principal, "opportunity", opportunity_id)
    except CrmNotFound:
        raise NotFound(f"opportunity {opportunity_id} does not exist") from None


def move_opportunity(
    uow: UnitOfWork,
    principal: Principal,
    opportunity_id: int,
    to_stage: str,
    *,
    now: datetime,
    override_reason: str | None = None,
    lost_reason: str | None = None,
) -> MoveOutcome:
    """Move a deal to a playbook stage through the gate.

    A forward move with anything missing is refused with the list (``GateBlocked``), unless a
    manager overrides it with a reason: the move is then made and the audit entry carries the
    reason and what was missing. When the stage maps onto another CRM stage the CRM's own
    ``move_stage`` records it too, so dashboards and forecasts see the same deal.
    """
    require(principal, "process.work")
    _visible(uow, principal, opportunity_id)
    s = uow.session
    opp = _opportunity(s, opportunity_id)
    if opp.status != "open":
        raise ValidationFailed([Issue("opportunity.closed", f"opportunity {opportunity_id} is already {opp.status}")])
    playbook = playbook_for_team(s, _owner_team(s, opp.owner_id))
    if to_stage != LOST:
        try:
            playbook.index(to_stage)
        except KeyError:
            raise ValidationFailed([Issue("stage.unknown", f"playbook {playbook.name} has no stage {to_stage!r}",
                                          column="to_stage")]) from None
    from_stage, _ = current_stage(s, playbook, opportunity_id)
    if from_stage == to_stage:
        raise ValidationFailed([Issue("stage.same", f"opportunity {opportunity_id} is already in {to_stage}")])
    gate = rules.check_gate(playbook, from_stage, to_stage, gate_facts(s, opportunity_id),
                            compliance_threshold=authority_matrix(s).compliance_threshold)
    overridden = False
    if not gate.ok:
        if override_reason is None:
            raise GateBlocked(gate)
        if not principal.can("process.override"):
            raise Forbidden(f"role {principal.role.value} may not process.override (only managers may skip a gate)")
        if len(override_reason.strip()) < 2:
            raise ValidationFailed([Issue("override.reason", "an override needs a reason", column="override_reason")])
        overridden = True
    crm_stage = LOST if to_stage == LOST else playbook.stage(to_stage).crm_stage
    if crm_stage != opp.stage:
        crm_service.move_stage(
            uow, opportunity_id, crm_model.Stage(crm_stage), at=now, by_person_id=principal.person_id,
            lost_reason=lost_reason, note=override_reason or f"{from_stage} → {to_stage}",
        )
    state = s.scalars(select(OpportunityProcess).where(OpportunityProcess.opportunity_id == opportunity_id)).first()
    if state is None:
        state = OpportunityProcess(opportunity_id=opportunity_id, playbook_id=playbook.id, stage_key=to_stage,
                                   entered_at=now)
        s.add(state)
    else:
        state.stage_key, state.entered_at, state.playbook_id = to_stage, now, playbook.id
    missing = [dataclasses.asdict(m) for m in gate.missing] if overridden else None
    s.add(StageMove(opportunity_id=opportunity_id, from_stage=from_stage, to_stage=to_stage, moved_at=now,
                    by_user_id=principal.user_id, by_name=principal.display_name,
                    override_reason=override_reason if overridden else None, missing=missing))
    s.flush()
    record(s, uow.actor, "opportunity.gate_override" if overridden else "opportunity.process_stage", "opportunity",
           opportunity_id, before={"stage": from_stage}, after={"stage": to_stage, "missing": missing},
           reason=override_reason if overridden else None)
    return MoveOutcome(opportunity_id, from_stage, to_stage, crm_stage, overridden, gate.missing)


def save_spin_answers(
    uow: UnitOfWork, principal: Principal, opportunity_id: int, answers: Mapping[str, str], *, now: datetime
) -> int:
    """Store SPIN answers (question key → text) on the opportunity; an empty text clears one."""
    require(principal, "process.work")
    _visible(uow, principal, opportunity_id)
    by_key = {q.key: q for q in SPIN_TEMPLATE}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise ValidationFailed([Issue("spin.question", f"unknown SPIN question {k!r}", column=k) for k in unknown])
    s = uow.session
    existing = {a.question_key: a for a in s.scalars(select(SpinAnswer).where(
        SpinAnswer.opportunity_id == opportunity_id))}
    changed = 0
    for key, text in answers.items():
        text = text.strip()
        row = existing.get(key)
        if row is None and text:
            s.add(SpinAnswer(opportunity_id=opportunity_id, question_key=key, kind=by_key[key].kind.value,
                             answer=text, updated_at=now, by_name=principal.display_name))
            changed += 1
        elif row is not None and row.answer != text:
            if text:
                row.answer, row.updated_at, row.by_name = text, now, principal.display_name
            else:
                s.delete(row)
            changed += 1
    s.flush()
    if changed:
        record(s, uow.actor, "opportunity.spin", "opportunity", opportunity_id, after={"answers": changed})
    return changed


def tick(
    uow: UnitOfWork,
    principal: Principal,
    opportunity_id: int,
    stage_key: str,
    item_kind: str,
    item_key: str,
    *,
    done: bool,
    now: datetime,
    note: str | None = None,
) -> bool:
    """Tick (or untick) a standard action or deliverable of a stage on the checklist."""
    require(principal, "process.work")
    _visible(uow, principal, opportunity_id)
    s = uow.session
    stage = playbook_for_opportunity(s, opportunity_id).stage(stage_key)
    items = {a.key for a in stage.actions} if item_kind == "action" else {d.key for d in stage.deliverables}
    if item_kind not in ("action", "deliverable") or item_key not in items:
        raise ValidationFailed([Issue("checklist.item", f"stage {stage_key} has no {item_kind} {item_key!r}")])
    row = s.scalars(select(ChecklistTick).where(
        ChecklistTick.opportunity_id == opportunity_id, ChecklistTick.stage_key == stage_key,
        ChecklistTick.item_kind == item_kind, ChecklistTick.item_key == item_key)).first()
    if done and row is None:
        s.add(ChecklistTick(opportunity_id=opportunity_id, stage_key=stage_key, item_kind=item_kind,
                            item_key=item_key, done_at=now, by_name=principal.display_name, note=note))
    elif not done and row is not None:
        s.delete(row)
    else:
        return False
    s.flush()
    record(s, uow.actor, "opportunity.checklist", "opportunity", opportunity_id,
           after={"stage": stage_key, "item": f"{item_kind}:{item_key}", "done": done, "note": note})
    return True


# --- customer grading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegradeSummary:
    graded: int
    changed: int
    by_grade: dict[str, int]
    policy_version: int


def regrade_all(
    uow: UnitOfWork, con: BaseBackend, *, now: datetime, time_zone: str = "Asia/Shanghai"
) -> RegradeSummary:
    """Recompute every account's grade (the nightly job; safe to re-run: an unchanged grade
    writes nothing). Facts come from the set-based engine over the store (``con``); each
    change is kept in the history, audited, mirrored to the CRM's account grade and
    announced (``GradeChanged``) after commit."""
    s = uow.session
    policy = grading_policy(s)
    results = [rules.grade_account(f, policy) for f in batch.account_facts(con, business_date(now, time_zone))]
    current = {g.account_id: g for g in s.scalars(select(AccountGrade))}
    owners = dict(s.execute(select(facts.accounts.c.id, facts.accounts.c.owner_id)).all())
    crm_updates: list[dict[str, Any]] = []
    changed = 0
    by_grade: dict[str, int] = {}
    for r in results:
        by_grade[r.grade] = by_grade.get(r.grade, 0) + 1
        row = current.get(r.account_id)
        components = {k: str(v) for k, v in r.components.items()}
        if row is None:
            row = AccountGrade(account_id=r.account_id, grade=r.grade, score=r.score, components=components,
                               computed_at=now, policy_version=policy.version)
            s.add(row)
            previous = None
        else:
            previous = row.grade
            if previous == r.grade and row.score == r.score:
                continue
            row.grade, row.score, row.components = r.grade, r.score, components
            row.computed_at, row.policy_version = now, policy.version
        if previous == r.grade:
            continue
        changed += 1
        s.add(AccountGradeChange(account_id=r.account_id, from_grade=previous, to_grade=r.grade, score=r.score,
                                 changed_at=now, policy_version=policy.version))
        record(s, uow.actor, "account.grade", "account", r.account_id, before={"grade": previous},
               after={"grade": r.grade, "score": r.score, "components": components})
        if r.grade in {g.value for g in crm_model.Grade}:
            crm_updates.append({"aid": r.account_id, "g": r.grade})
        uow.queue(GradeChanged(r.account_id, previous, r.grade, owners.get(r.account_id)))
    if crm_updates:
        a = facts.accounts
        s.execute(update(a).where(a.c.id == bindparam("aid")).values(grade=bindparam("g")),
                  crm_updates, execution_options={"synchronize_session": False})
    s.flush()
    return RegradeSummary(len(results), changed, dict(sorted(by_grade.items())), policy.version)


# --- approvals --------------------------------------------------------------------------------


def _people_info(s: Session, ids: Sequence[int]) -> dict[int, Any]:
    p = facts.people
    return {r.id: r for r in s.execute(select(p).where(p.c.id.in_(list(ids))))} if ids else {}


def _resolve_assignee(s: Session, level: str, requester_person_id: int | None) -> tuple[int | None, str]:
    """The person who decides at ``level``, found up the requester's org tree.

    manager: the nearest team manager above the requester; director: the nearest director,
    else the top team's manager; delivery: the nearest solution/service colleague, else the
    director; admin: nobody in particular (back office decides).
    """
    if level in ("admin", "rep"):
        return None, "admin"
    team_id = _owner_team(s, requester_person_id)
    chain = _team_chain(s, team_id)
    t = facts.teams
    managers = dict(s.execute(select(t.c.id, t.c.manager_id).where(t.c.id.in_(chain))).all()) if chain else {}
    info = _people_info(s, [m for m in managers.values() if m is not None])
    candidates = [managers[tid] for tid in chain if managers.get(tid) is not None]
    candidates = [c for c in dict.fromkeys(candidates) if c != requester_person_id and info[c].active]
    if level == "delivery":
        p = facts.people
        for tid in chain:
            found = s.scalar(select(p.c.id).where(p.c.team_id == tid, p.c.active.is_(True),
                                                  p.c.job_role.in_(("solution", "service"))).order_by(p.c.id))
            if found is not None and found != requester_person_id:
                return found, "delivery"
        level = "director"
    if level == "manager":
        for c in candidates:
            if info[c].job_role in ("manager", "director"):
                return c, "manager"
        level = "director"
    for c in candidates:
        if info[c].job_role == "director":
            return c, "director"
    return (candidates[-1], "director") if candidates else (None, "admin")


def request_approval(
    uow: UnitOfWork,
    principal: Principal,
    *,
    kind: ApprovalKind,
    title: str,
    level: str,
    now: datetime,
    amount: Decimal = Decimal(0),
    subject_type: str = "none",
    subject_id: int | None = None,
    opportunity_id: int | None = None,
    requester_person_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> ApprovalRequest:
    """File a request routed by rule to the person who decides at ``level``; they are notified
    after commit, and it escalates if undecided within the matrix's timeout."""
    require(principal, "approvals.request")
    s = uow.session
    requester = requester_person_id if requester_person_id is not None else principal.person_id
    assignee, level = _resolve_assignee(s, level, requester)
    timeout = authority_matrix(s).timeout_hours
    req = ApprovalRequest(
        kind=kind.value, subject_type=subject_type, subject_id=subject_id, opportunity_id=opportunity_id,
        title=title, amount=amount, payload=payload or {}, status=ApprovalStatus.PENDING.value, level=level,
        assignee_person_id=assignee, requester_user_id=principal.user_id, requester_name=principal.display_name,
        requester_person_id=requester, team_id=_owner_team(s, requester), due_at=now + timedelta(hours=timeout),
    )
    s.add(req)
    s.flush()
    s.add(ApprovalStep(request_id=req.id, at=now, action="submit", level=level, actor_user_id=principal.user_id,
                       actor_name=principal.display_name, comment=None))
    record(s, uow.actor, "approval.request", "approval", req.id, after=snapshot(req, [
        "kind", "title", "amount", "level", "assignee_person_id", "subject_type", "subject_id"]))
    uow.queue(ApprovalRequested(req.id, req.kind, title, assignee, principal.display_name))
    return req


def _load_request(s: Session, request_id: int) -> ApprovalRequest:
    req = s.get(ApprovalRequest, request_id, with_for_update=True)
    if req is None:
        raise NotFound(f"approval {request_id} does not exist")
    return req


def decide(
    uow: UnitOfWork, principal: Principal, request_id: int, *, approve: bool, now: datetime,
    comment: str | None = None,
) -> ApprovalRequest:
    """Approve or reject a pending request, with a comment (required to reject).

    Only the assignee may decide (or the back office: admin, sales ops), never the requester.
    Approving the last open request of a pending order creates the order; approving a trial
    fund proposal opens it for spending.
    """
    require(principal, "approvals.decide")
    s = uow.session
    req = _load_request(s, request_id)
    if req.status != ApprovalStatus.PENDING.value:
        raise ValidationFailed([Issue("approval.decided", f"approval {request_id} is already {req.status}")])
    back_office = principal.role in (Role.ADMIN, Role.SALES_OPS)
    if principal.user_id == req.requester_user_id or (
        principal.person_id is not None and principal.person_id == req.requester_person_id
    ):
        raise Forbidden(f"approval {request_id}: a request cannot be decided by the person who filed it")
    if not back_office and (principal.person_id is None or principal.person_id != req.assignee_person_id):
        raise Forbidden(f"approval {request_id} is assigned to someone else; only they or the back office may decide")
    if not approve and not (comment or "").strip():
        raise ValidationFailed([Issue("approval.comment", "a rejection needs a comment", column="comment")])
    before = snapshot(req, ["status", "decided_at"])
    req.status = (ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED).value
    req.decided_at = now
    s.add(ApprovalStep(request_id=req.id, at=now, action="approve" if approve else "reject", level=req.level,
                       actor_user_id=principal.user_id, actor_name=principal.display_name, comment=comment))
    s.flush()
    record(s, uow.actor, f"approval.{'approve' if approve else 'reject'}", "approval", req.id, before=before,
           after=snapshot(req, ["status", "decided_at"]), reason=comment)
    uow.queue(ApprovalDecided(req.id, req.kind, req.status, principal.display_name, comment, req.requester_person_id))
    if req.subject_type == "pending_order":
        _settle_pending_order(uow, req.subject_id)
    elif req.subject_type == "trial" and req.subject_id is not None:
        trial = s.get(TrialProposal, req.subject_id)
        if trial is not None and trial.status == TrialStatus.PROPOSED.value:
            trial.status = (TrialStatus.APPROVED if approve else TrialStatus.REJECTED).value
    s.flush()
    return req


def escalate_overdue(uow: UnitOfWork, *, now: datetime) -> list[int]:
    """Move every pending request past its due time one level up (manager → director → back
    office), with a new due time, and notify the new assignee. Idempotent for a given ``now``."""
    s = uow.session
    timeout = authority_matrix(s).timeout_hours
    overdue = list(s.scalars(select(ApprovalRequest).where(
        ApprovalRequest.status == ApprovalStatus.PENDING.value, ApprovalRequest.due_at < now,
    ).order_by(ApprovalRequest.id).with_for_update(skip_locked=True)))
    moved = []
    for req in overdue:
        nxt = rules.escalation_level(req.level)
        if nxt is None:
            req.due_at = now + timedelta(hours=timeout)  # already at the top: remind again later
            continue
        previous = req.assignee_person_id
        assignee, level = _resolve_assignee(s, nxt, req.requester_person_id)
        if assignee == previous and level != "admin":
            assignee, level = None, "admin"
        before = snapshot(req, ["level", "assignee_person_id", "due_at"])
        req.level, req.assignee_person_id, req.due_at = level, assignee, now + timedelta(hours=timeout)
        s.add(ApprovalStep(request_id=req.id, at=now, action="escalate", level=level, actor_user_id=None,
                           actor_name="system", comment=f"no decision within {timeout} h"))
        record(s, uow.actor, "approval.escalate", "approval", req.id, before=before,
               after=snapshot(req, ["level", "assignee_person_id", "due_at"]))
        uow.queue(ApprovalEscalated(req.id, req.kind, previous, assignee, level))
        moved.append(req.id)
    s.flush()
    return moved


# --- discount authority and orders ------------------------------------------------------------


def _discount_lines(s: Session, draft: crm_model.OrderDraft) -> list[DiscountLine]:
    ids = sorted({ln.product_id for ln in draft.lines if ln.product_id is not None})
    p = facts.products
    products = {r.id: r for r in s.execute(select(p).where(p.c.id.in_(ids)))} if ids else {}
    missing = [pid for pid in ids if pid not in products]
    if missing:
        raise ValidationFailed([Issue("order.product", f"product {pid} does not exist") for pid in missing])
    return [
        DiscountLine(ln.quantity, ln.list_price, ln.discount_rate, ln.product_id,
                     products[ln.product_id].series if ln.product_id else None,
                     products[ln.product_id].name if ln.product_id else None)
        for ln in draft.lines
    ]


def check_discount_authority(s: Session, draft: crm_model.OrderDraft) -> AuthorityDecision:
    """Who must approve this order's discounts (the order path calls this on create and change)."""
    return rules.decide_authority(authority_matrix(s), _discount_lines(s, draft))


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    decision: AuthorityDecision
    order_id: int | None = None
    pending_order_id: int | None = None
    approval_ids: tuple[int, ...] = ()

    @property
    def created(self) -> bool:
        return self.order_id is not None


def _draft_json(draft: crm_model.OrderDraft) -> dict[str, Any]:
    """The order draft as JSON (Decimals as strings, dates ISO) to wait in a pending order."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return plain(dataclasses.asdict(draft))  # type: ignore[no-any-return]


def _draft_from_json(d: dict[str, Any]) -> crm_model.OrderDraft:
    lines = tuple(crm_model.OrderLineDraft(Decimal(x["quantity"]), Decimal(x["list_price"]),
                                           Decimal(x["discount_rate"]), x.get("product_id")) for x in d["lines"])
    day = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
    return crm_model.OrderDraft(
        account_id=d["account_id"], owner_id=d["owner_id"], signed_on=date.fromisoformat(d["signed_on"]),
        lines=lines, status=d.get("status", "active"), cancelled_on=day(d.get("cancelled_on")),
        opportunity_id=d.get("opportunity_id"), currency=d.get("currency", "CNY"),
        is_renewal=bool(d.get("is_renewal")), payment_due_on=day(d.get("payment_due_on")),
        external_id=d.get("external_id"),
    )


def create_order(uow: UnitOfWork, principal: Principal, draft: crm_model.OrderDraft, *, now: datetime) -> OrderOutcome:
    """Create (or change) an order through the discount authority matrix and compliance review.

    Within the rep's own authority and below the compliance threshold, the order is created at
    once. Otherwise it waits as a pending order with one approval per need (discount at the
    level the matrix names; delivery/technical review when the amount is at or above the
    threshold, unless the opportunity already passed one) and is created when all are
    approved. A discount no level may grant is refused with the reasons.
    """
    require(principal, "approvals.request")
    require(principal, "crm.write")
    s = uow.session
    _order_in_scope(uow, principal, draft)
    decision = check_discount_authority(s, draft)
    if decision.refused:
        raise ValidationFailed([Issue("discount.authority", r) for r in decision.reasons])
    needs: list[tuple[ApprovalKind, str]] = []
    if decision.level != "rep":
        needs.append((ApprovalKind.DISCOUNT, decision.level or "director"))
    if decision.needs_compliance_review:
        reviewed = draft.opportunity_id is not None and s.scalar(select(ApprovalRequest.id).where(
            ApprovalRequest.opportunity_id == draft.opportunity_id,
            ApprovalRequest.kind == ApprovalKind.COMPLIANCE_REVIEW.value,
            ApprovalRequest.status == ApprovalStatus.APPROVED.value).limit(1)) is not None
        if not reviewed:
            needs.append((ApprovalKind.COMPLIANCE_REVIEW, "delivery"))
    if not needs:
        order_id = crm_service.upsert_orders(uow, [draft]).ids[0]
        return OrderOutcome(decision, order_id=order_id)
    pending = PendingOrder(draft=_draft_json(draft), status="pending", net_amount=decision.net_amount,
                           concession=decision.concession)
    s.add(pending)
    s.flush()
    ids = []
    for kind, level in needs:
        title = (f"折扣审批：让利 ¥{decision.concession:,}（最高折扣 {decision.max_rate * 100:.1f}%）"
                 if kind is ApprovalKind.DISCOUNT else f"交付/技术可行性评审：订单金额 ¥{decision.net_amount:,}")
        req = request_approval(
            uow, principal, kind=kind, title=title, level=level, now=now,
            amount=decision.concession if kind is ApprovalKind.DISCOUNT else decision.net_amount,
            subject_type="pending_order", subject_id=pending.id, opportunity_id=draft.opportunity_id,
            requester_person_id=principal.person_id if principal.person_id is not None else draft.owner_id,
            payload={"reasons": list(decision.reasons)},
        )
        ids.append(req.id)
    record(s, uow.actor, "order.pending", "pending_order", pending.id, after={
        "net_amount": decision.net_amount, "concession": decision.concession, "approvals": ids})
    return OrderOutcome(decision, pending_order_id=pending.id, approval_ids=tuple(ids))


def _order_in_scope(uow: UnitOfWork, principal: Principal, draft: crm_model.OrderDraft) -> None:
    """A rep books orders for themselves on accounts they see; a manager for their subtree."""
    try:
        crm_service.ensure_visible(uow, principal, "account", draft.account_id)
    except CrmNotFound:
        raise NotFound(f"account {draft.account_id} does not exist") from None
    if principal.sees_all or draft.owner_id == principal.person_id:
        return
    team = _owner_team(uow.session, draft.owner_id)
    if team is None or team not in (principal.visible_team_ids or ()):
        raise NotFound(f"person {draft.owner_id} does not exist")


def _settle_pending_order(uow: UnitOfWork, pending_id: int | None) -> None:
    s = uow.session
    pending = s.get(PendingOrder, pending_id) if pending_id is not None else None
    if pending is None or pending.status != "pending":
        return
    statuses = list(s.scalars(select(ApprovalRequest.status).where(
        ApprovalRequest.subject_type == "pending_order", ApprovalRequest.subject_id == pending.id)))
    if ApprovalStatus.REJECTED.value in statuses:
        pending.status = "rejected"
    elif all(st == ApprovalStatus.APPROVED.value for st in statuses):
        pending.order_id = crm_service.upsert_orders(uow, [_draft_from_json(pending.draft)]).ids[0]
        pending.status = "created"
    s.flush()


# --- innovation trial fund --------------------------------------------------------------------


def propose_trial(uow: UnitOfWork, principal: Principal, draft: TrialDraft, *, now: datetime) -> TrialProposal:
    """Propose an exploratory tactic with a budget; it is routed for approval by its size."""
    require(principal, "approvals.request")
    issues = []
    if not draft.title.strip():
        issues.append(Issue("trial.title", "a proposal needs a title", column="title"))
    if draft.budget <= 0:
        issues.append(Issue("trial.budget", "the budget must be positive", column="budget"))
    if draft.starts_on and draft.ends_on and draft.ends_on <= draft.starts_on:
        issues.append(Issue("trial.dates", "the trial must end after it starts", column="ends_on"))
    if issues:
        raise ValidationFailed(issues)
    s = uow.session
    trial = TrialProposal(title=draft.title.strip(), hypothesis=draft.hypothesis, budget=draft.budget,
                          spent=Decimal(0), status=TrialStatus.PROPOSED.value, owner_person_id=principal.person_id,
                          team_id=_owner_team(s, principal.person_id), proposer_name=principal.display_name,
                          starts_on=draft.starts_on, ends_on=draft.ends_on)
    s.add(trial)
    s.flush()
    level = rules.approval_level(ApprovalKind.TRIAL_FUND, authority_matrix(s), draft.budget)
    request_approval(uow, principal, kind=ApprovalKind.TRIAL_FUND, title=f"创新试错基金：{trial.title}",
                     level=level, now=now, amount=draft.budget, subject_type="trial", subject_id=trial.id)
    record(s, uow.actor, "trial.propose", "trial", trial.id, after=snapshot(trial, ["title", "budget", "status"]))
    return trial


def _trial(s: Session, principal: Principal, trial_id: int) -> TrialProposal:
    trial = s.get(TrialProposal, trial_id, with_for_update=True)
    visible = trial is not None and (
        principal.sees_all or trial.owner_person_id == principal.person_id
        or (trial.team_id is not None and trial.team_id in (principal.visible_team_ids or ()))
    )
    if trial is None or not visible:
        raise NotFound(f"trial {trial_id} does not exist")
    return trial


def record_trial_spend(
    uow: UnitOfWork, principal: Principal, trial_id: int, amount: Decimal, *, spent_on: date, note: str | None = None
) -> TrialProposal:
    """Record money spent on an approved trial; spending past the budget is refused."""
    require(principal, "approvals.request")
    s = uow.session
    trial = _trial(s, principal, trial_id)
    if trial.status != TrialStatus.APPROVED.value:
        raise ValidationFailed([Issue("trial.status", f"trial {trial_id} is {trial.status}; only an approved trial "
                                                      "may spend")])
    if amount <= 0:
        raise ValidationFailed([Issue("trial.amount", "a spend must be positive", column="amount")])
    left = trial.budget - trial.spent
    if amount > left:
        raise ValidationFailed([Issue("trial.budget", f"spending ¥{amount:,} would exceed the budget: "
                                                      f"¥{left:,} of ¥{trial.budget:,} left", column="amount")])
    before = snapshot(trial, ["spent"])
    trial.spent = trial.spent + amount
    s.add(TrialSpend(proposal_id=trial.id, amount=amount, spent_on=spent_on, note=note, by_name=principal.display_name))
    s.flush()
    record(s, uow.actor, "trial.spend", "trial", trial.id, before=before, after=snapshot(trial, ["spent"]), reason=note)
    return trial


TRIAL_OUTCOMES = ("succeeded", "failed", "inconclusive")


def close_trial(
    uow: UnitOfWork, principal: Principal, trial_id: int, *, outcome: str, write_up: str, now: datetime
) -> TrialProposal:
    """Close a trial with its outcome and a write-up of what was learned (failures count too)."""
    require(principal, "approvals.request")
    s = uow.session
    trial = _trial(s, principal, trial_id)
    issues = []
    if trial.status != TrialStatus.APPROVED.value:
        issues.append(Issue("trial.status", f"trial {trial_id} is {trial.status}; only an approved trial can close"))
    if outcome not in TRIAL_OUTCOMES:
        issues.append(Issue("trial.outcome", f"outcome must be one of {', '.join(TRIAL_OUTCOMES)}", column="outcome"))
    if len(write_up.strip()) < 10:
        issues.append(Issue("trial.write_up", "the write-up must say what was learned (10+ characters)",
                            column="write_up"))
    if issues:
        raise ValidationFailed(issues)
    before = snapshot(trial, ["status", "outcome"])
    trial.status, trial.outcome, trial.write_up, trial.closed_at = TrialStatus.CLOSED.value, outcome, write_up, now
    s.flush()
    record(s, uow.actor, "trial.close", "trial", trial.id, before=before, after=snapshot(trial, ["status", "outcome"]))
    return trial
