"""Process endpoints: the kanban pipeline and gated stage moves, an opportunity's playbook
checklist and SPIN answers, playbooks, grading, process analytics, approvals with delegated
discount authority (and the order path that goes through it), the innovation trial fund.

A gate that is not passed answers 422 with every missing item in ``issues``; an order that
needs approval answers 202 with the approval ids; decisions outside one's authority 403.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from ibis.backends import BaseBackend
from pydantic import BaseModel, Field

from chanli.api.deps import CurrentPrincipal, ReadSession, get_store_engine, uow_for
from chanli.core.auth import require
from chanli.core.db import utcnow
from chanli.crm import model as crm_model
from chanli.process import (
    SPIN_TEMPLATE,
    AuthorityMatrix,
    GradingPolicy,
    NotFound,
    Playbook,
    TrialDraft,
    queries,
    service,
)

router = APIRouter(tags=["process"])


EngineDep = Depends(get_store_engine)


# --- schemas ----------------------------------------------------------------------------------


class MissingRead(BaseModel):
    kind: str
    key: str
    label: str
    stage: str
    message: str


class CardRead(BaseModel):
    id: int
    name: str
    account_name: str | None
    owner_name: str | None
    amount: Decimal
    stage_key: str
    crm_stage: str


class ColumnRead(BaseModel):
    key: str
    name: str
    name_en: str
    norm_days: int | None
    cards: list[CardRead]


class PipelineRead(BaseModel):
    playbook: str
    columns: list[ColumnRead]


class MoveBody(BaseModel):
    to_stage: str = Field(min_length=1, max_length=40)
    override_reason: str | None = None
    lost_reason: str | None = None


class MoveRead(BaseModel):
    opportunity_id: int
    from_stage: str
    to_stage: str
    crm_stage: str
    overridden: bool
    missing: list[MissingRead]


class GateRead(BaseModel):
    from_stage: str
    to_stage: str
    ok: bool
    missing: list[MissingRead]


class SpinBody(BaseModel):
    answers: dict[str, str]


class TickBody(BaseModel):
    stage_key: str
    item_kind: Literal["action", "deliverable"]
    item_key: str
    done: bool = True
    note: str | None = None


class ActionRead(BaseModel):
    stage_key: str
    key: str
    name: str
    state: str
    done_at: datetime | None
    due_at: datetime | None


class DeliverableRead(BaseModel):
    stage_key: str
    key: str
    name: str
    done: bool
    note: str | None


class SpinRead(BaseModel):
    key: str
    kind: str
    question: str
    answer: str


class OpportunityProcessRead(BaseModel):
    opportunity_id: int
    playbook: str
    stage_key: str
    entered_at: datetime | None
    actions: list[ActionRead]
    deliverables: list[DeliverableRead]
    spin: list[SpinRead]
    next_gate: GateRead | None


class OrderLineBody(BaseModel):
    product_id: int | None = None
    quantity: Decimal = Field(gt=0)
    list_price: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    discount_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)


class OrderBody(BaseModel):
    account_id: int
    owner_id: int
    signed_on: date
    lines: list[OrderLineBody] = Field(min_length=1)
    opportunity_id: int | None = None
    is_renewal: bool = False
    payment_due_on: date | None = None
    external_id: str | None = None

    def draft(self) -> crm_model.OrderDraft:
        return crm_model.OrderDraft(
            account_id=self.account_id, owner_id=self.owner_id, signed_on=self.signed_on,
            lines=tuple(crm_model.OrderLineDraft(ln.quantity, ln.list_price, ln.discount_rate, ln.product_id)
                        for ln in self.lines),
            opportunity_id=self.opportunity_id, is_renewal=self.is_renewal, payment_due_on=self.payment_due_on,
            external_id=self.external_id,
        )


class AuthorityRead(BaseModel):
    level: str | None
    refused: bool
    concession: Decimal
    net_amount: Decimal
    max_rate: Decimal
    needs_compliance_review: bool
    reasons: list[str]


class OrderOutcomeRead(BaseModel):
    created: bool
    order_id: int | None
    pending_order_id: int | None
    approval_ids: list[int]
    authority: AuthorityRead


class StepRead(BaseModel):
    at: datetime
    action: str
    level: str
    actor_name: str
    comment: str | None


class ApprovalRead(BaseModel):
    id: int
    kind: str
    title: str
    amount: Decimal
    status: str
    level: str
    assignee_person_id: int | None
    requester_name: str
    opportunity_id: int | None
    due_at: datetime
    created_at: datetime
    decided_at: datetime | None
    steps: list[StepRead] = []


class DecisionBody(BaseModel):
    comment: str | None = None


class TrialBody(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    hypothesis: str = Field(min_length=1)
    budget: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    starts_on: date | None = None
    ends_on: date | None = None


class TrialRead(BaseModel):
    id: int
    title: str
    hypothesis: str
    budget: Decimal
    spent: Decimal
    status: str
    proposer_name: str
    outcome: str | None
    write_up: str | None


class SpendBody(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    spent_on: date
    note: str | None = None


class CloseBody(BaseModel):
    outcome: Literal["succeeded", "failed", "inconclusive"]
    write_up: str


class GradeRead(BaseModel):
    account_id: int
    account_name: str
    owner_id: int | None
    grade: str
    score: Decimal
    components: dict[str, Any]
    computed_at: datetime
    visit_every_days: int | None


class RegradeRead(BaseModel):
    graded: int
    changed: int
    by_grade: dict[str, int]
    policy_version: int


# --- converters -------------------------------------------------------------------------------


def _missing(items: Any) -> list[MissingRead]:
    return [MissingRead(kind=m.kind, key=m.key, label=m.label, stage=m.stage, message=m.message) for m in items]


def _approval(r: queries.ApprovalRow) -> ApprovalRead:
    return ApprovalRead(
        id=r.id, kind=r.kind, title=r.title, amount=r.amount, status=r.status, level=r.level,
        assignee_person_id=r.assignee_person_id, requester_name=r.requester_name, opportunity_id=r.opportunity_id,
        due_at=r.due_at, created_at=r.created_at, decided_at=r.decided_at,
        steps=[StepRead(at=x.at, action=x.action, level=x.level, actor_name=x.actor_name, comment=x.comment)
               for x in r.steps],
    )


def _trial(t: queries.TrialRow) -> TrialRead:
    return TrialRead(id=t.id, title=t.title, hypothesis=t.hypothesis, budget=t.budget, spent=t.spent, status=t.status,
                     proposer_name=t.proposer_name, outcome=t.outcome, write_up=t.write_up)


# --- pipeline and gates -----------------------------------------------------------------------


@router.get("/process/pipeline", response_model=PipelineRead)
def pipeline(session: ReadSession, principal: CurrentPrincipal, team_id: int | None = None) -> PipelineRead:
    require(principal, "process.read")
    board = queries.pipeline(session, principal, team_id=team_id)
    return PipelineRead(playbook=board.playbook.name, columns=[
        ColumnRead(key=st.key, name=st.name, name_en=st.name_en, norm_days=st.norm_days,
                   cards=[CardRead(**dataclasses.asdict(c)) for c in cards])
        for st, cards in board.columns
    ])


@router.get("/process/opportunities/{opportunity_id}", response_model=OpportunityProcessRead)
def opportunity_process(
    opportunity_id: int, session: ReadSession, principal: CurrentPrincipal
) -> OpportunityProcessRead:
    require(principal, "process.read")
    view = queries.opportunity_view(session, principal, opportunity_id, now=utcnow())
    if view is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    gate = view.next_gate
    return OpportunityProcessRead(
        opportunity_id=opportunity_id, playbook=view.playbook.name, stage_key=view.stage_key,
        entered_at=view.entered_at,
        actions=[ActionRead(stage_key=a.stage_key, key=a.action.key, name=a.action.name, state=a.state,
                            done_at=a.done_at, due_at=a.due_at) for a in view.actions],
        deliverables=[DeliverableRead(stage_key=d.stage_key, key=d.key, name=d.name, done=d.done, note=d.note)
                      for d in view.deliverables],
        spin=[SpinRead(key=x.question.key, kind=x.question.kind.value, question=x.question.text, answer=x.answer)
              for x in view.spin],
        next_gate=None if gate is None else GateRead(from_stage=gate.from_stage, to_stage=gate.to_stage, ok=gate.ok,
                                                     missing=_missing(gate.missing)),
    )


@router.get("/process/opportunities/{opportunity_id}/gate", response_model=GateRead)
def gate(opportunity_id: int, to_stage: str, session: ReadSession, principal: CurrentPrincipal) -> GateRead:
    require(principal, "process.read")
    if queries.opportunity_view(session, principal, opportunity_id, now=utcnow()) is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    try:
        result = service.preview_gate(session, opportunity_id, to_stage)
    except KeyError as exc:
        raise ValueError(str(exc).strip("'\"")) from None
    return GateRead(from_stage=result.from_stage, to_stage=result.to_stage, ok=result.ok,
                    missing=_missing(result.missing))


@router.post("/process/opportunities/{opportunity_id}/move", response_model=MoveRead)
def move(opportunity_id: int, body: MoveBody, request: Request, principal: CurrentPrincipal) -> MoveRead:
    with uow_for(request, principal) as uow:
        out = service.move_opportunity(uow, principal, opportunity_id, body.to_stage, now=utcnow(),
                                       override_reason=body.override_reason, lost_reason=body.lost_reason)
        uow.commit()
    return MoveRead(opportunity_id=out.opportunity_id, from_stage=out.from_stage, to_stage=out.to_stage,
                    crm_stage=out.crm_stage, overridden=out.overridden, missing=_missing(out.missing))


@router.put("/process/opportunities/{opportunity_id}/spin")
def spin(opportunity_id: int, body: SpinBody, request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    with uow_for(request, principal) as uow:
        changed = service.save_spin_answers(uow, principal, opportunity_id, body.answers, now=utcnow())
        uow.commit()
    return {"changed": changed}


@router.post("/process/opportunities/{opportunity_id}/checklist")
def checklist(opportunity_id: int, body: TickBody, request: Request, principal: CurrentPrincipal) -> dict[str, bool]:
    with uow_for(request, principal) as uow:
        changed = service.tick(uow, principal, opportunity_id, body.stage_key, body.item_kind, body.item_key,
                               done=body.done, now=utcnow(), note=body.note)
        uow.commit()
    return {"changed": changed}


@router.get("/process/spin-template")
def spin_template(principal: CurrentPrincipal) -> list[dict[str, str]]:
    require(principal, "process.read")
    return [{"key": q.key, "kind": q.kind.value, "question": q.text, "question_en": q.text_en} for q in SPIN_TEMPLATE]


# --- configuration ----------------------------------------------------------------------------


@router.get("/process/playbooks/effective")
def effective_playbook(session: ReadSession, principal: CurrentPrincipal, team_id: int | None = None) -> dict[str, Any]:
    require(principal, "process.read")
    pb = service.playbook_for_team(session, team_id)
    return {"id": pb.id, "version": pb.version, **pb.as_dict()}


@router.put("/process/playbooks")
def save_playbook(body: dict[str, Any], request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    require(principal, "process.configure")
    try:
        playbook = Playbook.from_dict(body)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"invalid playbook: missing {exc}") from None
    with uow_for(request, principal) as uow:
        playbook_id = service.save_playbook(uow, principal, playbook)
        uow.commit()
    return {"id": playbook_id}


@router.get("/process/authority")
def get_authority(session: ReadSession, principal: CurrentPrincipal) -> dict[str, Any]:
    require(principal, "process.read")
    return service.authority_matrix(session).as_dict()


@router.put("/process/authority")
def put_authority(body: dict[str, Any], request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    require(principal, "process.configure")
    with uow_for(request, principal) as uow:
        version = service.save_authority_matrix(uow, principal, AuthorityMatrix.from_dict(body))
        uow.commit()
    return {"version": version}


@router.put("/process/grading/policy")
def put_grading(body: dict[str, Any], request: Request, principal: CurrentPrincipal) -> dict[str, int]:
    require(principal, "process.configure")
    with uow_for(request, principal) as uow:
        version = service.save_grading_policy(uow, principal, GradingPolicy.from_dict(body))
        uow.commit()
    return {"version": version}


# --- grading and analytics --------------------------------------------------------------------


@router.post("/process/grading/run", response_model=RegradeRead)
def regrade(request: Request, principal: CurrentPrincipal, con: BaseBackend = EngineDep) -> RegradeRead:
    require(principal, "process.configure")
    with uow_for(request, principal) as uow:
        summary = service.regrade_all(uow, con, now=utcnow())
        uow.commit()
    return RegradeRead(graded=summary.graded, changed=summary.changed, by_grade=summary.by_grade,
                       policy_version=summary.policy_version)


@router.get("/process/grades", response_model=list[GradeRead])
def grades(session: ReadSession, principal: CurrentPrincipal, grade: str | None = None) -> list[GradeRead]:
    require(principal, "process.read")
    return [GradeRead(**dataclasses.asdict(g)) for g in queries.list_grades(session, principal, grade=grade)]


@router.get("/process/analytics")
def analytics(session: ReadSession, principal: CurrentPrincipal, team_id: int | None = None,
              con: BaseBackend = EngineDep) -> dict[str, Any]:
    require(principal, "process.read")
    return queries.analytics(session, con, team_id=team_id, now=utcnow())


# --- approvals and orders ---------------------------------------------------------------------


@router.post("/process/discount-check", response_model=AuthorityRead)
def discount_check(body: OrderBody, session: ReadSession, principal: CurrentPrincipal) -> AuthorityRead:
    require(principal, "approvals.request")
    d = service.check_discount_authority(session, body.draft())
    return AuthorityRead(level=d.level, refused=d.refused, concession=d.concession, net_amount=d.net_amount,
                         max_rate=d.max_rate, needs_compliance_review=d.needs_compliance_review,
                         reasons=list(d.reasons))


@router.post("/process/orders", response_model=OrderOutcomeRead, status_code=201)
def create_order(
    body: OrderBody, request: Request, response: Response, principal: CurrentPrincipal
) -> OrderOutcomeRead:
    """Create an order through the discount authority matrix: 201 when created at once, 202 when
    it waits for approvals (created automatically once they are all approved)."""
    with uow_for(request, principal) as uow:
        out = service.create_order(uow, principal, body.draft(), now=utcnow())
        uow.commit()
    if not out.created:
        response.status_code = 202
    d = out.decision
    return OrderOutcomeRead(
        created=out.created, order_id=out.order_id, pending_order_id=out.pending_order_id,
        approval_ids=list(out.approval_ids),
        authority=AuthorityRead(level=d.level, refused=d.refused, concession=d.concession, net_amount=d.net_amount,
                                max_rate=d.max_rate, needs_compliance_review=d.needs_compliance_review,
                                reasons=list(d.reasons)),
    )


@router.get("/process/approvals", response_model=list[ApprovalRead])
def list_approvals(session: ReadSession, principal: CurrentPrincipal, status: str | None = None,
                   mine: bool = False) -> list[ApprovalRead]:
    require(principal, "process.read")
    return [_approval(r) for r in queries.list_approvals(session, principal, status=status, assigned_to_me=mine)]


@router.get("/process/approvals/{request_id}", response_model=ApprovalRead)
def get_approval(request_id: int, session: ReadSession, principal: CurrentPrincipal) -> ApprovalRead:
    require(principal, "process.read")
    row = queries.get_approval(session, principal, request_id)
    if row is None:
        raise NotFound(f"approval {request_id} does not exist")
    return _approval(row)


def _decide(request_id: int, approve: bool, body: DecisionBody | None, request: Request,
            principal: Any) -> ApprovalRead:
    require(principal, "approvals.decide")
    with uow_for(request, principal) as uow:
        if queries.get_approval(uow.session, principal, request_id) is None:
            raise NotFound(f"approval {request_id} does not exist")
        service.decide(uow, principal, request_id, approve=approve, now=utcnow(),
                       comment=body.comment if body else None)
        uow.commit()
        row = queries.get_approval(uow.session, principal, request_id)
    assert row is not None
    return _approval(row)


@router.post("/process/approvals/{request_id}/approve", response_model=ApprovalRead)
def approve(request_id: int, request: Request, principal: CurrentPrincipal,
            body: DecisionBody | None = None) -> ApprovalRead:
    return _decide(request_id, True, body, request, principal)


@router.post("/process/approvals/{request_id}/reject", response_model=ApprovalRead)
def reject(request_id: int, request: Request, principal: CurrentPrincipal,
           body: DecisionBody | None = None) -> ApprovalRead:
    return _decide(request_id, False, body, request, principal)


@router.post("/process/approvals/escalate")
def escalate(request: Request, principal: CurrentPrincipal) -> dict[str, list[int]]:
    """Escalate overdue requests (the scheduler calls the service; this is the manual trigger)."""
    require(principal, "process.configure")
    with uow_for(request, principal) as uow:
        moved = service.escalate_overdue(uow, now=utcnow())
        uow.commit()
    return {"escalated": moved}


# --- innovation trial fund --------------------------------------------------------------------


@router.get("/process/trials", response_model=list[TrialRead])
def list_trials(session: ReadSession, principal: CurrentPrincipal) -> list[TrialRead]:
    require(principal, "process.read")
    return [_trial(t) for t in queries.list_trials(session, principal)]


@router.post("/process/trials", response_model=TrialRead, status_code=201)
def propose_trial(body: TrialBody, request: Request, principal: CurrentPrincipal) -> TrialRead:
    with uow_for(request, principal) as uow:
        trial = service.propose_trial(uow, principal, TrialDraft(body.title, body.hypothesis, body.budget,
                                                                  body.starts_on, body.ends_on), now=utcnow())
        uow.commit()
        row = queries.get_trial(uow.session, principal, trial.id)
    assert row is not None
    return _trial(row)


@router.post("/process/trials/{trial_id}/spend", response_model=TrialRead)
def spend(trial_id: int, body: SpendBody, request: Request, principal: CurrentPrincipal) -> TrialRead:
    with uow_for(request, principal) as uow:
        service.record_trial_spend(uow, principal, trial_id, body.amount, spent_on=body.spent_on, note=body.note)
        uow.commit()
        row = queries.get_trial(uow.session, principal, trial_id)
    assert row is not None
    return _trial(row)


@router.post("/process/trials/{trial_id}/close", response_model=TrialRead)
def close(trial_id: int, body: CloseBody, request: Request, principal: CurrentPrincipal) -> TrialRead:
    with uow_for(request, principal) as uow:
        service.close_trial(uow, principal, trial_id, outcome=body.outcome, write_up=body.write_up, now=utcnow())
        uow.commit()
        row = queries.get_trial(uow.session, principal, trial_id)
    assert row is not None
    return _trial(row)
