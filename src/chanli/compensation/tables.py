"""Compensation tables: plans and their versions, assignments, runs and the statements they
wrote, period locks, disputes, lightning awards and budgets, the incentive menu and points,
payroll hand-off, and the crediting inputs that belong to compensation (splits, credit notes,
project members, exchange rates, pay profiles, draws).

Why these shapes:

- A plan version stores the text the admin wrote (YAML or JSON) *and* the parsed plain data
  (``dump_plan``), so a run can always be re-explained with exactly the version it used, and
  an edit never rewrites a version: it inserts the next one.
- A run is unique by (plan, period, version); a period lock is unique by (plan, period). The
  first makes two concurrent runs of the same key collide in the database (exactly one wins);
  the second makes two approved runs of the same period impossible, whatever their versions.
- Statement lines keep the formula in words, the inputs, the sources, the attribution to
  orders (what a later clawback reverses) and ``refs`` (the ids of the original lines a
  clawback, retro adjustment or dispute adjustment refers to).
- Money is ``NUMERIC(18,2)`` through ``MoneyAmount``; rates ``NUMERIC(12,6)``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, MoneyAmount, Rate, TimestampMixin, UTCDateTime, utcnow

__all__ = [
    "CompAwardBudget",
    "CompCreditNote",
    "CompCreditSplit",
    "CompDispute",
    "CompDisputeMessage",
    "CompDraw",
    "CompExchangeRate",
    "CompLightningAward",
    "CompMenuItem",
    "CompPayProfile",
    "CompPayrollExport",
    "CompPeriodLock",
    "CompPlan",
    "CompPlanAssignment",
    "CompPlanVersion",
    "CompPointsEntry",
    "CompProjectMember",
    "CompRedemption",
    "CompRun",
    "CompStatement",
    "CompStatementLine",
]

ZERO = Decimal("0.00")


# --- plans -------------------------------------------------------------------------------------


class CompPlan(Base, TimestampMixin):
    """A plan (薪酬方案) by its stable key (the ``plan:`` of the YAML)."""

    __tablename__ = "comp_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by_name: Mapped[str] = mapped_column(String(120))


class CompPlanVersion(Base, TimestampMixin):
    """One version of a plan: draft (editable in what-if, never run) or published (runs use the
    newest published version in effect at the period's start)."""

    __tablename__ = "comp_plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "version"),
        CheckConstraint("status IN ('draft','published')", name="status"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("comp_plans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    source_format: Mapped[str] = mapped_column(String(10))
    source_text: Mapped[str] = mapped_column(Text)
    parsed: Mapped[dict[str, Any]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column()
    created_by_name: Mapped[str] = mapped_column(String(120))
    published_by_name: Mapped[str | None] = mapped_column(String(120))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CompPlanAssignment(Base, TimestampMixin):
    """Who a plan covers beyond its own ``eligibility``: a person, a tier, a job role or a team
    (with the teams below it), over ``[effective_from, effective_to)``."""

    __tablename__ = "comp_plan_assignments"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind", "value", "effective_from"),
        CheckConstraint("kind IN ('person','tier','role','team')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("comp_plans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(60))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    created_by_name: Mapped[str] = mapped_column(String(120))


# --- runs, statements, locks ---------------------------------------------------------------------


class CompRun(Base, TimestampMixin):
    """A run of one plan version over one period: draft → submitted → approved (the period
    locks), or back to draft when finance rejects it; superseded when another run of the same
    period is approved."""

    __tablename__ = "comp_runs"
    __table_args__ = (
        UniqueConstraint("plan_id", "period_label", "version"),
        CheckConstraint("status IN ('draft','submitted','approved','superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("comp_plans.id"), index=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("comp_plan_versions.id"))
    version: Mapped[int] = mapped_column(Integer)
    period_label: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    engine: Mapped[str] = mapped_column(String(10), default="store")
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    inputs_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    result_hash: Mapped[str] = mapped_column(String(64), default="")
    issues: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error_count: Mapped[int] = mapped_column(default=0)
    warning_count: Mapped[int] = mapped_column(default=0)
    statement_count: Mapped[int] = mapped_column(default=0)
    total: Mapped[Decimal] = mapped_column(MoneyAmount, default=ZERO)
    revenue: Mapped[Decimal] = mapped_column(MoneyAmount, default=ZERO)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column()
    created_by_name: Mapped[str] = mapped_column(String(120))
    submitted_by_id: Mapped[int | None] = mapped_column()
    submitted_by_name: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column()
    approved_by_name: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_reason: Mapped[str | None] = mapped_column(Text)


class CompPeriodLock(Base):
    """Written when a run is approved: the (plan, period) is closed to new runs for good."""

    __tablename__ = "comp_period_locks"
    __table_args__ = (UniqueConstraint("plan_id", "period_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("comp_plans.id"))
    period_label: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int] = mapped_column(ForeignKey("comp_runs.id"))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by_name: Mapped[str] = mapped_column(String(120))


class CompPayrollExport(Base):
    """One hand-off of approved statements to payroll (the file's columns are recorded)."""

    __tablename__ = "comp_payroll_exports"
    __table_args__ = (CheckConstraint("status IN ('sent','paid')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_name: Mapped[str] = mapped_column(String(120))
    file_format: Mapped[str] = mapped_column(String(10))
    columns: Mapped[list[Any]] = mapped_column(JSON)
    period_label: Mapped[str | None] = mapped_column(String(20))
    statement_count: Mapped[int] = mapped_column(default=0)
    total: Mapped[Decimal] = mapped_column(MoneyAmount, default=ZERO)
    status: Mapped[str] = mapped_column(String(10), default="sent")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_name: Mapped[str | None] = mapped_column(String(120))


class CompStatement(Base, TimestampMixin):
    """A person's 薪酬明细单 in one run. ``team_id`` (the person's team at run time) and
    ``person_id`` are what row scope filters on."""

    __tablename__ = "comp_statements"
    __table_args__ = (
        UniqueConstraint("run_id", "person_id"),
        CheckConstraint("status IN ('draft','approved','sent','paid')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("comp_runs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    tier: Mapped[str] = mapped_column(String(10))
    period_label: Mapped[str] = mapped_column(String(20))
    total: Mapped[Decimal] = mapped_column(MoneyAmount)
    line_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    payroll_export_id: Mapped[int | None] = mapped_column(ForeignKey("comp_payroll_exports.id"), index=True)


class CompStatementLine(Base):
    """One explained line. ``attribution`` is ``[[order_id, "amount"], …]`` summing to
    ``amount``; ``refs`` the ids of earlier lines this one adjusts or claws back."""

    __tablename__ = "comp_statement_lines"
    __table_args__ = (UniqueConstraint("statement_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("comp_statements.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("comp_runs.id"), index=True)
    person_id: Mapped[int] = mapped_column(index=True)
    seq: Mapped[int] = mapped_column(Integer)
    component_id: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    formula: Mapped[str] = mapped_column(Text)
    inputs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    attribution: Mapped[list[Any]] = mapped_column(JSON, default=list)
    refs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    adjusts_period: Mapped[str | None] = mapped_column(String(20))


# --- disputes ------------------------------------------------------------------------------------


class CompDispute(Base, TimestampMixin):
    """A rep's dispute of one line: open → accepted (with the amount to adjust, paid by the
    next run of the plan) or rejected (with a reason)."""

    __tablename__ = "comp_disputes"
    __table_args__ = (CheckConstraint("status IN ('open','accepted','rejected')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("comp_statement_lines.id"), index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("comp_statements.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("comp_runs.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("comp_plans.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_by_id: Mapped[int | None] = mapped_column()
    opened_by_name: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_name: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_run_id: Mapped[int | None] = mapped_column(ForeignKey("comp_runs.id"))


class CompDisputeMessage(Base):
    """The dispute's thread: every comment and decision, append-only."""

    __tablename__ = "comp_dispute_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("comp_disputes.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column()
    author_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # comment / accepted / rejected
    body: Mapped[str] = mapped_column(Text)


# --- lightning awards, budgets, incentive menu -----------------------------------------------------


class CompAwardBudget(Base, TimestampMixin):
    """A manager's lightning-award budget for one period."""

    __tablename__ = "comp_award_budgets"
    __table_args__ = (UniqueConstraint("manager_id", "period_label"), CheckConstraint("amount >= 0", name="amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    period_label: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)


class CompLightningAward(Base, TimestampMixin):
    """A 闪电奖: granted by a manager with a reason, approved by comp admin, then paid in cash by
    the next run (``paid_run_id`` once that run is approved) or credited as points."""

    __tablename__ = "comp_lightning_awards"
    __table_args__ = (
        CheckConstraint("status IN ('requested','approved','rejected')", name="status"),
        CheckConstraint("pay_as IN ('cash','points')", name="pay_as"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    granted_by: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    granted_by_name: Mapped[str] = mapped_column(String(120))
    period_label: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    pay_as: Mapped[str] = mapped_column(String(10), default="cash")
    points: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    decided_by_name: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    approved_on: Mapped[date | None] = mapped_column(Date)
    paid_run_id: Mapped[int | None] = mapped_column(ForeignKey("comp_runs.id"))


class CompMenuItem(Base, TimestampMixin):
    """An incentive-menu item (激励自选包): its price in points, what one costs the company, the
    stock left (none = unlimited) and the budget (none = unlimited) with what was spent."""

    __tablename__ = "comp_menu_items"
    __table_args__ = (
        CheckConstraint("points_cost > 0", name="points_cost"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock"),
        CheckConstraint("budget IS NULL OR spent <= budget", name="budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    points_cost: Mapped[int] = mapped_column()
    unit_cost: Mapped[Decimal] = mapped_column(MoneyAmount)
    stock: Mapped[int | None] = mapped_column()
    budget: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    spent: Mapped[Decimal] = mapped_column(MoneyAmount, default=ZERO)
    active: Mapped[bool] = mapped_column(default=True)


class CompRedemption(Base, TimestampMixin):
    """A person's request to redeem points for a menu item; approval takes stock, budget and
    points in one transaction."""

    __tablename__ = "comp_redemptions"
    __table_args__ = (CheckConstraint("status IN ('requested','approved','rejected')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("comp_menu_items.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    points: Mapped[int] = mapped_column()
    unit_cost: Mapped[Decimal] = mapped_column(MoneyAmount)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_name: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class CompPointsEntry(Base):
    """The points ledger, append-only: a balance is the sum of a person's entries."""

    __tablename__ = "comp_points_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delta: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(200))
    award_id: Mapped[int | None] = mapped_column(ForeignKey("comp_lightning_awards.id"))
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("comp_redemptions.id"))


# --- crediting inputs owned by compensation -----------------------------------------------------------


class CompCreditSplit(Base, TimestampMixin):
    """A share of an order's credit (拆分); an order's shares sum to 100%."""

    __tablename__ = "comp_credit_splits"
    __table_args__ = (UniqueConstraint("order_id", "seq"), CheckConstraint("share >= 0 AND share <= 1", name="share"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    seq: Mapped[int] = mapped_column()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    share: Mapped[Decimal] = mapped_column(Rate)


class CompCreditNote(Base, TimestampMixin):
    """A credit note (红冲) reducing an order's net amount, in the order's currency."""

    __tablename__ = "comp_credit_notes"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_name: Mapped[str] = mapped_column(String(120))


class CompProjectMember(Base, TimestampMixin):
    """A member of an order's iron-triangle project team (sales / solution / service)."""

    __tablename__ = "comp_project_members"
    __table_args__ = (UniqueConstraint("order_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(20))


class CompExchangeRate(Base, TimestampMixin):
    """One unit of ``currency`` in company currency for a period (the period's rate table)."""

    __tablename__ = "comp_exchange_rates"
    __table_args__ = (UniqueConstraint("period_label", "currency"), CheckConstraint("rate > 0", name="rate"))

    id: Mapped[int] = mapped_column(primary_key=True)
    period_label: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Rate)


class CompPayProfile(Base, TimestampMixin):
    """A person's monthly base salary from ``effective_from`` on (the newest one applies)."""

    __tablename__ = "comp_pay_profiles"
    __table_args__ = (
        UniqueConstraint("person_id", "effective_from"),
        CheckConstraint("monthly_base >= 0", name="monthly_base"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    monthly_base: Mapped[Decimal] = mapped_column(MoneyAmount)
    effective_from: Mapped[date] = mapped_column(Date)


class CompDraw(Base, TimestampMixin):
    """A draw agreement (预支): ``amount`` per full period over ``[start, end)``; the balance
    carried into a run is the last approved draw line's ``balance_after`` (else ``opening``)."""

    __tablename__ = "comp_draws"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    recoverable: Mapped[bool] = mapped_column(default=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    opening_balance: Mapped[Decimal] = mapped_column(MoneyAmount, default=ZERO)
