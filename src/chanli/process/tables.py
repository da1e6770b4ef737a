"""Process tables: playbooks, each opportunity's playbook stage and move log, checklist ticks,
SPIN answers, configuration, account grades and their history, approval requests and steps,
pending orders waiting for approval, and the innovation trial fund.

Keyed by opportunity/account id rather than new columns on CRM tables, so the CRM keeps one
vocabulary and the process can be configured per team without touching the facts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, MoneyAmount, TimestampMixin, UTCDateTime, utcnow

__all__ = [
    "AccountGrade",
    "AccountGradeChange",
    "ApprovalRequest",
    "ApprovalStep",
    "ChecklistTick",
    "OpportunityProcess",
    "PendingOrder",
    "PlaybookRow",
    "ProcessConfig",
    "SpinAnswer",
    "StageMove",
    "TrialProposal",
    "TrialSpend",
]


class PlaybookRow(Base, TimestampMixin):
    """A stage playbook (阶段标准动作) for a team or product line; ``team_id`` None = default."""

    __tablename__ = "process_playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)


class OpportunityProcess(Base, TimestampMixin):
    """Where an opportunity stands in its playbook. ``version`` guards concurrent moves."""

    __tablename__ = "process_opportunity_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), unique=True)
    playbook_id: Mapped[int | None] = mapped_column(ForeignKey("process_playbooks.id"))
    stage_key: Mapped[str] = mapped_column(String(40))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class StageMove(Base):
    """Every playbook stage move, with what the gate found missing when a manager overrode it."""

    __tablename__ = "process_stage_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(40))
    to_stage: Mapped[str] = mapped_column(String(40))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    by_user_id: Mapped[int | None] = mapped_column()
    by_name: Mapped[str] = mapped_column(String(120))
    override_reason: Mapped[str | None] = mapped_column(Text)
    missing: Mapped[list[Any] | None] = mapped_column(JSON)


class ChecklistTick(Base):
    """A standard action or deliverable ticked on an opportunity's checklist."""

    __tablename__ = "process_checklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), index=True)
    stage_key: Mapped[str] = mapped_column(String(40))
    item_kind: Mapped[str] = mapped_column(String(20))
    item_key: Mapped[str] = mapped_column(String(40))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("opportunity_id", "stage_key", "item_kind", "item_key", name="uq_process_checklist_item"),
        CheckConstraint("item_kind IN ('action','deliverable')", name="item_kind"),
    )


class SpinAnswer(Base):
    """An answer to a SPIN discovery question, per opportunity."""

    __tablename__ = "process_spin_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    answer: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_name: Mapped[str] = mapped_column(String(120))

    __table_args__ = (UniqueConstraint("opportunity_id", "question_key", name="uq_process_spin_question"),)


class ProcessConfig(Base, TimestampMixin):
    """Named configuration documents (grading policy, authority matrix), versioned."""

    __tablename__ = "process_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)


class AccountGrade(Base):
    """The current grade (客户分级) of an account and the score behind it."""

    __tablename__ = "account_grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    grade: Mapped[str] = mapped_column(String(4))
    score: Mapped[Decimal] = mapped_column(MoneyAmount)
    components: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    policy_version: Mapped[int] = mapped_column(default=1)


class AccountGradeChange(Base):
    """Grade history: one row per change, so "when did this customer become A" has an answer."""

    __tablename__ = "account_grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    from_grade: Mapped[str | None] = mapped_column(String(4))
    to_grade: Mapped[str] = mapped_column(String(4))
    score: Mapped[Decimal] = mapped_column(MoneyAmount)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    policy_version: Mapped[int] = mapped_column(default=1)


class ApprovalRequest(Base, TimestampMixin):
    """An approval (审批): what is asked, who must decide (``level`` → ``assignee``), by when."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column()
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    level: Mapped[str] = mapped_column(String(20))
    assignee_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    requester_user_id: Mapped[int | None] = mapped_column()
    requester_name: Mapped[str] = mapped_column(String(120))
    requester_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','rejected','cancelled')", name="status"),
    )


class ApprovalStep(Base):
    """The full history of a request: submitted, escalated, approved, rejected, with comments."""

    __tablename__ = "approval_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(Text)


class PendingOrder(Base, TimestampMixin):
    """An order waiting for its approvals; created through the CRM once all are approved."""

    __tablename__ = "process_pending_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    net_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    concession: Mapped[Decimal] = mapped_column(MoneyAmount)


class TrialProposal(Base, TimestampMixin):
    """A proposal for the innovation trial fund (创新试错基金): budget, approval, spend, outcome."""

    __tablename__ = "trial_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    hypothesis: Mapped[str] = mapped_column(Text)
    budget: Mapped[Decimal] = mapped_column(MoneyAmount)
    spent: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    owner_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    proposer_name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))
    write_up: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("spent <= budget", name="within_budget"),)


class TrialSpend(Base):
    __tablename__ = "trial_spends"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("trial_proposals.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    spent_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_name: Mapped[str] = mapped_column(String(120))


Index("ix_approval_requests_subject", ApprovalRequest.subject_type, ApprovalRequest.subject_id)
