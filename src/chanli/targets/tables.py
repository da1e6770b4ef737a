"""Targets tables: plans and their cells, the change history, monthly adjustment requests,
the holiday calendar, elastic metric weights, OKR objectives and key results, and the
customer-success-index weights.

Why a target value is two columns: money targets are money (``NUMERIC(18,2)``, exact to the
fen) and everything else — counts, rates, days, scores — is a plain number with four
decimals. Exactly one of ``value_money`` / ``value_number`` is set, by the metric's unit.

Owners are stored three ways on purpose: ``owner_key`` (``company``, ``team:3``,
``person:7``) is what grids, imports and uniqueness use; ``team_id`` / ``person_id`` are real
foreign keys, so an owner cannot vanish under a target and row scope is an indexed filter.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, MoneyAmount, Rate, TimestampMixin, UTCDateTime, utcnow

__all__ = [
    "AdjustmentRequest",
    "CsiWeight",
    "Holiday",
    "KeyResult",
    "KeyResultCheckIn",
    "MetricWeight",
    "MetricWeightBound",
    "Objective",
    "Target",
    "TargetChange",
    "TargetPlan",
]

_STATUSES = "'draft','approved','active','closed'"
_OWNER_KINDS = "'company','team','person'"
_ONE_VALUE = "(value_money IS NULL AND value_number IS NOT NULL) OR (value_money IS NOT NULL AND value_number IS NULL)"


class TargetPlan(Base, TimestampMixin):
    """A decomposition: one metric, one period, one root owner and the methods chosen.

    ``version`` grows with every change to the plan or any of its cells; the change rows in
    ``target_changes`` say who, when, why, and what it was before.
    """

    __tablename__ = "target_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric_code: Mapped[str] = mapped_column(String(40), index=True)
    period_label: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    grains: Mapped[str] = mapped_column(String(40))  # "quarter,month" — the levels below the period
    owner_key: Mapped[str] = mapped_column(String(40))
    owner_kind: Mapped[str] = mapped_column(String(10))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    value_money: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    period_method: Mapped[str] = mapped_column(String(20))
    owner_method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    version: Mapped[int] = mapped_column(default=1)
    notes: Mapped[list[Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column()
    created_by_name: Mapped[str] = mapped_column(String(120))
    approved_by_name: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint(f"owner_kind IN ({_OWNER_KINDS})", name="owner_kind"),
        CheckConstraint(_ONE_VALUE, name="one_value"),
        Index("ix_target_plans_metric_period", "metric_code", "period_start", "period_end"),
    )


class Target(Base, TimestampMixin):
    """One cell: metric × period × owner × value, inside a plan.

    ``parent_id`` links a cell to the one it was split from (the org parent in the same
    period; for the plan owner, the enclosing period), so every target rolls up somewhere.
    """

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("target_plans.id"), index=True)
    metric_code: Mapped[str] = mapped_column(String(40))
    period_label: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    grain: Mapped[str] = mapped_column(String(10))
    owner_key: Mapped[str] = mapped_column(String(40))
    owner_kind: Mapped[str] = mapped_column(String(10))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    value_money: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"), index=True)
    objective_id: Mapped[int | None] = mapped_column(ForeignKey("objectives.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="top_down")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    smart: Mapped[list[Any] | None] = mapped_column(JSON)  # SMART warnings, as Issue dicts

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint(f"owner_kind IN ({_OWNER_KINDS})", name="owner_kind"),
        CheckConstraint("source IN ('top_down','bottom_up')", name="source"),
        CheckConstraint(_ONE_VALUE, name="one_value"),
        UniqueConstraint("plan_id", "source", "owner_key", "period_start", "period_end", name="uq_targets_cell"),
        Index("ix_targets_metric_period", "metric_code", "period_start", "period_end"),
    )


class TargetChange(Base):
    """The version history of plans and their cells (append-only, like the audit log, and
    also written to it): who, when, why, the value before and after."""

    __tablename__ = "target_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("target_plans.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"), index=True)
    version: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdjustmentRequest(Base, TimestampMixin):
    """A monthly-review proposal a manager accepts (as is or edited) or rejects.

    ``proposed`` and ``final`` are documents — the cells or weights before and after, as
    exact decimal strings — because the record of value is the target rows themselves,
    which change (with versions) only when the request is accepted.
    """

    __tablename__ = "target_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("target_plans.id"), index=True)
    owner_key: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    month: Mapped[date | None] = mapped_column(Date)
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON)
    final: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="proposed", index=True)
    requested_by_id: Mapped[int | None] = mapped_column()
    requested_by_name: Mapped[str] = mapped_column(String(120))
    decided_by_id: Mapped[int | None] = mapped_column()
    decided_by_name: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("kind IN ('redistribute','reweight')", name="kind"),
        CheckConstraint("state IN ('proposed','accepted','rejected')", name="state"),
    )


class Holiday(Base):
    """A day that breaks the Monday–Friday rule: a public holiday (``is_workday`` false) or a
    make-up working weekend day (调休上班, ``is_workday`` true)."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(60))
    official: Mapped[bool] = mapped_column(default=True)


class MetricWeightBound(Base, TimestampMixin):
    """HQ's bounds on one metric's weight in any team's monthly weight set."""

    __tablename__ = "metric_weight_bounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_code: Mapped[str] = mapped_column(String(40), unique=True)
    lower: Mapped[Decimal] = mapped_column(Rate)
    upper: Mapped[Decimal] = mapped_column(Rate)

    __table_args__ = (CheckConstraint("lower >= 0 AND lower <= upper AND upper <= 1", name="range"),)


class MetricWeight(Base, TimestampMixin):
    """One metric's weight in an owner's (company or team) weight set for one month."""

    __tablename__ = "metric_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_key: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    month: Mapped[date] = mapped_column(Date)
    metric_code: Mapped[str] = mapped_column(String(40))
    weight: Mapped[Decimal] = mapped_column(Rate)

    __table_args__ = (
        UniqueConstraint("owner_key", "month", "metric_code", name="uq_metric_weights_cell"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="weight"),
    )


class Objective(Base, TimestampMixin):
    """An OKR objective: strategic (战略级), campaign (战役级) or tactical (战术级)."""

    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    layer: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("objectives.id"), index=True)
    owner_key: Mapped[str] = mapped_column(String(40))
    owner_kind: Mapped[str] = mapped_column(String(10))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    period_label: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    weight: Mapped[Decimal] = mapped_column(Rate, default=Decimal(1))
    status: Mapped[str] = mapped_column(String(10), default="active")

    __table_args__ = (
        CheckConstraint("layer IN ('strategic','campaign','tactical')", name="layer"),
        CheckConstraint(f"owner_kind IN ({_OWNER_KINDS})", name="owner_kind"),
        CheckConstraint("status IN ('active','done','dropped')", name="status"),
    )


class KeyResult(Base, TimestampMixin):
    """A measurable key result: from ``start_value`` to ``target_value``. A ``metric`` key
    result reads its current value from the metric engine; a ``manual`` one from check-ins."""

    __tablename__ = "key_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    metric_code: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    start_value: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
    target_value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    current_value: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
    weight: Mapped[Decimal] = mapped_column(Rate, default=Decimal(1))

    __table_args__ = (CheckConstraint("kind IN ('metric','manual')", name="kind"),)


class KeyResultCheckIn(Base):
    """A progress update on a manual key result (append-only)."""

    __tablename__ = "key_result_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id"), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(120))


class CsiWeight(Base, TimestampMixin):
    """One component's weight in the customer success index (客户成功指数)."""

    __tablename__ = "csi_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[str] = mapped_column(String(40), unique=True)
    weight: Mapped[Decimal] = mapped_column(Rate)

    __table_args__ = (CheckConstraint("weight >= 0", name="weight"),)
