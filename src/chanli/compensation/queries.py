"""Scoped reads of compensation for the shells: plans and versions, runs and their review,
statements with every line explained, disputes and their threads, lightning awards, the
incentive menu and points, payroll exports, and the what-if comparison.

Who sees what, in SQL through ``core.auth.scope``: back-office roles (``comp.review``) see every
run and statement, drafts included; a manager sees the approved statements of people in their
subtree and their own; a rep only their own approved statements. A row outside the caller's
scope is answered exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from statistics import median
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from chanli.compensation import facts
from chanli.compensation.inputs import calendar, load_inputs
from chanli.compensation.model import CreditBasis, PlanVersion
from chanli.compensation.rules import calculate
from chanli.compensation.rules.crediting import CreditBook
from chanli.compensation.service import plan_of, points_balance
from chanli.compensation.tables import (
    CompAwardBudget,
    CompDispute,
    CompDisputeMessage,
    CompLightningAward,
    CompMenuItem,
    CompPayrollExport,
    CompPlan,
    CompPlanAssignment,
    CompPlanVersion,
    CompPointsEntry,
    CompRedemption,
    CompRun,
    CompStatement,
    CompStatementLine,
)
from chanli.core.auth import Principal, require, scope
from chanli.core.periods import Period

__all__ = [
    "AwardRow",
    "ComponentTotal",
    "DisputeDetail",
    "DisputeRow",
    "LineRow",
    "MenuItemRow",
    "PeriodCompare",
    "PlanDetail",
    "PlanRow",
    "RunReview",
    "RunRow",
    "StatementDetail",
    "StatementRow",
    "VersionRow",
    "WhatIf",
    "award_budgets",
    "get_dispute",
    "get_plan",
    "get_statement",
    "list_awards",
    "list_disputes",
    "list_menu",
    "list_payroll_exports",
    "list_plans",
    "list_redemptions",
    "list_runs",
    "list_statements",
    "my_points",
    "review_run",
    "run_statements",
    "version_text",
    "what_if",
]

ZERO = Decimal("0.00")


# --- plans ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    status: str
    effective_from: date
    effective_to: date | None
    source_format: str
    created_by_name: str
    created_at: datetime
    note: str | None
    checksum: str


@dataclass(frozen=True, slots=True)
class PlanRow:
    key: str
    name: str
    versions: int
    latest: int
    published: int | None


@dataclass(frozen=True, slots=True)
class PlanDetail:
    plan: PlanRow
    versions: tuple[VersionRow, ...]
    assignments: tuple[dict[str, Any], ...]


def _plan_rows(s: Session, where: Any = None) -> list[PlanRow]:
    stmt = (
        select(
            CompPlan.key,
            CompPlan.name,
            func.count(CompPlanVersion.id),
            func.max(CompPlanVersion.version),
        )
        .outerjoin(CompPlanVersion, CompPlanVersion.plan_id == CompPlan.id)
        .group_by(CompPlan.id, CompPlan.key, CompPlan.name)
        .order_by(CompPlan.key)
    )
    if where is not None:
        stmt = stmt.where(where)
    published = dict(
        s.execute(
            select(CompPlan.key, func.max(CompPlanVersion.version))
            .join(CompPlanVersion, CompPlanVersion.plan_id == CompPlan.id)
            .where(CompPlanVersion.status == "published")
            .group_by(CompPlan.key)
        ).all()
    )
    return [PlanRow(k, n, int(c or 0), int(v or 0), published.get(k)) for k, n, c, v in s.execute(stmt)]


def list_plans(s: Session, principal: Principal) -> list[PlanRow]:
    require(principal, "comp.review")
    return _plan_rows(s)


def get_plan(s: Session, principal: Principal, key: str) -> PlanDetail | None:
    require(principal, "comp.review")
    rows = _plan_rows(s, CompPlan.key == key)
    if not rows:
        return None
    plan = s.scalars(select(CompPlan).where(CompPlan.key == key)).one()
    versions = tuple(
        VersionRow(
            v.version,
            v.status,
            v.effective_from,
            v.effective_to,
            v.source_format,
            v.created_by_name,
            v.created_at,
            v.note,
            v.checksum,
        )
        for v in s.scalars(
            select(CompPlanVersion).where(CompPlanVersion.plan_id == plan.id).order_by(CompPlanVersion.version.desc())
        )
    )
    assignments = tuple(
        {
            "id": a.id,
            "kind": a.kind,
            "value": a.value,
            "effective_from": a.effective_from,
            "effective_to": a.effective_to,
        }
        for a in s.scalars(
            select(CompPlanAssignment).where(CompPlanAssignment.plan_id == plan.id).order_by(CompPlanAssignment.id)
        )
    )
    return PlanDetail(rows[0], versions, assignments)


def version_text(s: Session, principal: Principal, key: str, version: int | None = None) -> tuple[int, str, str] | None:
    """(version, format, the text as the admin wrote it) of a version (default: the newest)."""
    require(principal, "comp.review")
    stmt = (
        select(CompPlanVersion)
        .join(CompPlan, CompPlan.id == CompPlanVersion.plan_id)
        .where(CompPlan.key == key)
        .order_by(CompPlanVersion.version.desc())
    )
    if version is not None:
        stmt = stmt.where(CompPlanVersion.version == version)
    row = s.scalars(stmt).first()
    return (row.version, row.source_format, row.source_text) if row else None


# --- runs --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    plan_key: str
    plan_name: str
    period: str
    version: int
    status: str
    engine: str
    total: Decimal
    revenue: Decimal
    statements: int
    errors: int
    warnings: int
    fingerprint: str
    created_by_name: str
    submitted_by_name: str | None
    approved_by_name: str | None
    computed_at: datetime
    rejected_reason: str | None

    @property
    def cost_of_sales(self) -> Decimal | None:
        return (self.total / self.revenue).quantize(Decimal("0.0001")) if self.revenue else None


def _run_row(r: CompRun, plan: CompPlan) -> RunRow:
    return RunRow(
        r.id,
        plan.key,
        plan.name,
        r.period_label,
        r.version,
        r.status,
        r.engine,
        Decimal(r.total),
        Decimal(r.revenue),
        r.statement_count,
        r.error_count,
        r.warning_count,
        r.fingerprint,
        r.created_by_name,
        r.submitted_by_name,
        r.approved_by_name,
        r.computed_at,
        r.rejected_reason,
    )


def list_runs(
    s: Session, principal: Principal, *, plan_key: str | None = None, period: str | None = None, limit: int = 200
) -> list[RunRow]:
    require(principal, "comp.review")
    stmt = select(CompRun, CompPlan).join(CompPlan, CompPlan.id == CompRun.plan_id)
    if plan_key:
        stmt = stmt.where(CompPlan.key == plan_key)
    if period:
        stmt = stmt.where(CompRun.period_label == period)
    stmt = stmt.order_by(CompRun.period_start.desc(), CompRun.id.desc()).limit(limit)
    return [_run_row(r, p) for r, p in s.execute(stmt)]


@dataclass(frozen=True, slots=True)
class ComponentTotal:
    component_id: str
    label: str
    kind: str
    amount: Decimal
    lines: int


@dataclass(frozen=True, slots=True)
class StatementRow:
    id: int
    run_id: int
    person_id: int
    person_name: str
    team_id: int | None
    tier: str
    period: str
    plan_key: str
    total: Decimal
    lines: int
    status: str
    previous_total: Decimal | None = None
    outlier: str | None = None

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_total is None else self.total - self.previous_total


@dataclass(frozen=True, slots=True)
class RunReview:
    run: RunRow
    components: tuple[ComponentTotal, ...]
    statements: tuple[StatementRow, ...]
    tiers: tuple[tuple[str, Decimal, int], ...]
    previous: RunRow | None
    issues: tuple[dict[str, Any], ...]
    outliers: tuple[StatementRow, ...] = field(default=())


def _statement_rows(s: Session, stmt: Select[Any]) -> list[StatementRow]:
    return [
        StatementRow(
            st.id,
            st.run_id,
            st.person_id,
            st.person_name,
            st.team_id,
            st.tier,
            st.period_label,
            key,
            Decimal(st.total),
            st.line_count,
            st.status,
        )
        for st, key in s.execute(stmt)
    ]


def _previous_run(s: Session, run: CompRun) -> CompRun | None:
    """The run of the period before: approved first, else the newest of that period."""
    return s.scalars(
        select(CompRun)
        .where(CompRun.plan_id == run.plan_id, CompRun.period_end <= run.period_start, CompRun.status != "superseded")
        .order_by(CompRun.period_start.desc(), (CompRun.status == "approved").desc(), CompRun.id.desc())
    ).first()


def _outlier(total: Decimal, low: Decimal, high: Decimal) -> str | None:
    if total < low:
        return "low"
    if total > high:
        return "high"
    return None


def review_run(s: Session, principal: Principal, run_id: int) -> RunReview | None:
    """Totals by component and tier, each statement against the previous period's, and the
    outliers: totals outside the quartiles ± 1.5 × IQR, or a change of more than 50%."""
    require(principal, "comp.review")
    run = s.get(CompRun, run_id)
    if run is None:
        return None
    plan = s.get(CompPlan, run.plan_id)
    assert plan is not None
    components = tuple(
        ComponentTotal(cid, label, kind, Decimal(amount or 0), int(n))
        for cid, label, kind, amount, n in s.execute(
            select(
                CompStatementLine.component_id,
                func.min(CompStatementLine.label),
                CompStatementLine.kind,
                func.sum(CompStatementLine.amount),
                func.count(CompStatementLine.id),
            )
            .where(CompStatementLine.run_id == run.id)
            .group_by(CompStatementLine.component_id, CompStatementLine.kind)
            .order_by(func.min(CompStatementLine.id))
        )
    )
    rows = _statement_rows(
        s,
        select(CompStatement, CompPlan.key)
        .join(CompRun, CompRun.id == CompStatement.run_id)
        .join(CompPlan, CompPlan.id == CompRun.plan_id)
        .where(CompStatement.run_id == run.id)
        .order_by(CompStatement.total.desc(), CompStatement.person_id),
    )
    prev = _previous_run(s, run)
    before: dict[int, Decimal] = {}
    if prev is not None:
        before = {
            pid: Decimal(total)
            for pid, total in s.execute(
                select(CompStatement.person_id, CompStatement.total).where(CompStatement.run_id == prev.id)
            )
        }
    totals = sorted(r.total for r in rows)
    low = high = None
    if len(totals) >= 4:
        q1, q3 = median(totals[: len(totals) // 2]), median(totals[(len(totals) + 1) // 2 :])
        spread = q3 - q1
        low, high = q1 - spread * Decimal("1.5"), q3 + spread * Decimal("1.5")
    shown = []
    for r in rows:
        previous = before.get(r.person_id)
        flag = _outlier(r.total, low, high) if low is not None and high is not None else None
        if flag is None and previous and abs(r.total - previous) > abs(previous) / 2:
            flag = "jump"
        shown.append(replace(r, previous_total=previous, outlier=flag))
    tiers: dict[str, tuple[Decimal, int]] = {}
    for r in shown:
        t, n = tiers.get(r.tier, (ZERO, 0))
        tiers[r.tier] = (t + r.total, n + 1)
    return RunReview(
        _run_row(run, plan),
        components,
        tuple(shown),
        tuple((k, v[0], v[1]) for k, v in sorted(tiers.items())),
        _run_row(prev, plan) if prev is not None else None,
        tuple(run.issues or ()),
        tuple(r for r in shown if r.outlier),
    )


# --- statements -------------------------------------------------------------------------------------


def _scoped_statements(principal: Principal) -> Select[Any]:
    stmt = (
        select(CompStatement, CompPlan.key)
        .join(CompRun, CompRun.id == CompStatement.run_id)
        .join(CompPlan, CompPlan.id == CompRun.plan_id)
        .where(CompRun.status != "superseded")
    )
    if not principal.can("comp.review"):
        stmt = stmt.where(CompStatement.status != "draft")  # people see approved statements only
    return scope(stmt, principal, team_col=CompStatement.team_id, person_col=CompStatement.person_id)


def list_statements(
    s: Session,
    principal: Principal,
    *,
    period: str | None = None,
    person_id: int | None = None,
    team_id: int | None = None,
    run_id: int | None = None,
    status: str | None = None,
    limit: int = 500,
) -> list[StatementRow]:
    """Statements the caller may see, newest period first."""
    require(principal, "comp.read")
    stmt = _scoped_statements(principal)
    if period:
        stmt = stmt.where(CompStatement.period_label == period)
    if person_id is not None:
        stmt = stmt.where(CompStatement.person_id == person_id)
    if run_id is not None:
        stmt = stmt.where(CompStatement.run_id == run_id)
    if status:
        stmt = stmt.where(CompStatement.status == status)
    if team_id is not None:
        path = s.scalar(select(facts.teams.c.path).where(facts.teams.c.id == team_id))
        if path is None:
            return []
        sub = select(facts.teams.c.id).where(facts.teams.c.path.startswith(path))
        stmt = stmt.where(CompStatement.team_id.in_(sub))
    stmt = stmt.order_by(CompRun.period_start.desc(), CompStatement.person_name, CompStatement.id).limit(limit)
    return _statement_rows(s, stmt)


def run_statements(s: Session, principal: Principal, run_id: int) -> list[StatementRow]:
    return list_statements(s, principal, run_id=run_id, limit=100_000)


@dataclass(frozen=True, slots=True)
class LineRow:
    id: int
    seq: int
    component_id: str
    kind: str
    label: str
    amount: Decimal
    formula: str
    inputs: tuple[tuple[str, Any], ...]
    sources: tuple[str, ...]
    attribution: tuple[tuple[int, Decimal], ...]
    refs: tuple[int, ...]
    adjusts_period: str | None
    dispute_id: int | None
    dispute_status: str | None


@dataclass(frozen=True, slots=True)
class StatementDetail:
    statement: StatementRow
    lines: tuple[LineRow, ...]
    run_status: str
    plan_name: str
    version: int
    fingerprint: str

    @property
    def lines_total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), ZERO)


def get_statement(s: Session, principal: Principal, statement_id: int) -> StatementDetail | None:
    """A statement with every line explained, or ``None`` when missing or out of scope."""
    require(principal, "comp.read")
    rows = _statement_rows(s, _scoped_statements(principal).where(CompStatement.id == statement_id))
    if not rows:
        return None
    row = rows[0]
    run = s.get(CompRun, row.run_id)
    plan = s.get(CompPlan, run.plan_id) if run else None
    assert run is not None
    assert plan is not None
    disputes: dict[int, tuple[int, str]] = {}
    for d in s.scalars(select(CompDispute).where(CompDispute.statement_id == statement_id).order_by(CompDispute.id)):
        disputes[d.line_id] = (d.id, d.status)
    lines = tuple(
        LineRow(
            ln.id,
            ln.seq,
            ln.component_id,
            ln.kind,
            ln.label,
            Decimal(ln.amount),
            ln.formula,
            tuple((k, v) for k, v in ln.inputs or ()),
            tuple(ln.sources or ()),
            tuple((int(o), Decimal(a)) for o, a in ln.attribution or ()),
            tuple(ln.refs or ()),
            ln.adjusts_period,
            disputes.get(ln.id, (None, None))[0],
            disputes.get(ln.id, (None, None))[1],
        )
        for ln in s.scalars(
            select(CompStatementLine)
            .where(CompStatementLine.statement_id == statement_id)
            .order_by(CompStatementLine.seq)
        )
    )
    return StatementDetail(row, lines, run.status, plan.name, run.version, run.fingerprint)


# --- disputes ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisputeRow:
    id: int
    line_id: int
    statement_id: int
    person_id: int
    person_name: str
    period: str
    component: str
    line_amount: Decimal
    status: str
    amount: Decimal | None
    opened_by_name: str
    opened_at: datetime
    resolution: str | None
    settled_run_id: int | None


@dataclass(frozen=True, slots=True)
class DisputeDetail:
    dispute: DisputeRow
    thread: tuple[dict[str, Any], ...]
    line_formula: str


def _dispute_stmt(principal: Principal) -> Select[Any]:
    stmt = (
        select(CompDispute, CompStatement.person_name, CompStatement.period_label, CompStatementLine)
        .join(CompStatement, CompStatement.id == CompDispute.statement_id)
        .join(CompStatementLine, CompStatementLine.id == CompDispute.line_id)
    )
    return scope(stmt, principal, team_col=CompDispute.team_id, person_col=CompDispute.person_id)


def _dispute_row(d: CompDispute, name: str, period: str, line: CompStatementLine) -> DisputeRow:
    return DisputeRow(
        d.id,
        d.line_id,
        d.statement_id,
        d.person_id,
        name,
        period,
        line.label,
        Decimal(line.amount),
        d.status,
        Decimal(d.amount) if d.amount is not None else None,
        d.opened_by_name,
        d.created_at,
        d.resolution,
        d.settled_run_id,
    )


def list_disputes(s: Session, principal: Principal, *, status: str | None = None) -> list[DisputeRow]:
    require(principal, "comp.read")
    stmt = _dispute_stmt(principal)
    if status:
        stmt = stmt.where(CompDispute.status == status)
    stmt = stmt.order_by((CompDispute.status == "open").desc(), CompDispute.id.desc())
    return [_dispute_row(*r) for r in s.execute(stmt)]


def get_dispute(s: Session, principal: Principal, dispute_id: int) -> DisputeDetail | None:
    require(principal, "comp.read")
    row = s.execute(_dispute_stmt(principal).where(CompDispute.id == dispute_id)).first()
    if row is None:
        return None
    thread = tuple(
        {"at": m.at, "author": m.author_name, "kind": m.kind, "body": m.body}
        for m in s.scalars(
            select(CompDisputeMessage)
            .where(CompDisputeMessage.dispute_id == dispute_id)
            .order_by(CompDisputeMessage.id)
        )
    )
    return DisputeDetail(_dispute_row(*row), thread, row[3].formula)


# --- awards, menu, points -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwardRow:
    id: int
    person_id: int
    person_name: str
    granted_by_name: str
    period: str
    amount: Decimal
    pay_as: str
    points: int
    reason: str
    status: str
    approved_on: date | None
    paid_run_id: int | None


def list_awards(s: Session, principal: Principal, *, status: str | None = None) -> list[AwardRow]:
    require(principal, "comp.read")
    p = facts.people.c
    stmt = select(CompLightningAward, p.name).join(facts.people, p.id == CompLightningAward.person_id)
    stmt = scope(stmt, principal, team_col=CompLightningAward.team_id, person_col=CompLightningAward.person_id)
    if status:
        stmt = stmt.where(CompLightningAward.status == status)
    stmt = stmt.order_by(CompLightningAward.id.desc())
    return [
        AwardRow(
            a.id,
            a.person_id,
            name,
            a.granted_by_name,
            a.period_label,
            Decimal(a.amount),
            a.pay_as,
            a.points,
            a.reason,
            a.status,
            a.approved_on,
            a.paid_run_id,
        )
        for a, name in s.execute(stmt)
    ]


def award_budgets(s: Session, principal: Principal, period: str) -> list[dict[str, Any]]:
    """Each manager's budget for a period and what they granted (not rejected)."""
    require(principal, "comp.read")
    p = facts.people.c
    used = dict(
        s.execute(
            select(CompLightningAward.granted_by, func.sum(CompLightningAward.amount))
            .where(CompLightningAward.period_label == period, CompLightningAward.status != "rejected")
            .group_by(CompLightningAward.granted_by)
        ).all()
    )
    stmt = (
        select(CompAwardBudget, p.name, p.team_id)
        .join(facts.people, p.id == CompAwardBudget.manager_id)
        .where(CompAwardBudget.period_label == period)
        .order_by(p.name)
    )
    out = []
    for b, name, team_id in s.execute(stmt):
        if not principal.sees_all and b.manager_id != principal.person_id:
            continue
        spent = Decimal(used.get(b.manager_id) or 0)
        out.append(
            {
                "manager_id": b.manager_id,
                "name": name,
                "budget": Decimal(b.amount),
                "granted": spent,
                "left": Decimal(b.amount) - spent,
                "team_id": team_id,
            }
        )
    return out


@dataclass(frozen=True, slots=True)
class MenuItemRow:
    id: int
    code: str
    name: str
    description: str
    points_cost: int
    unit_cost: Decimal
    stock: int | None
    budget: Decimal | None
    spent: Decimal
    active: bool


def list_menu(s: Session, principal: Principal, *, active_only: bool = True) -> list[MenuItemRow]:
    require(principal, "comp.read")
    stmt = select(CompMenuItem).order_by(CompMenuItem.points_cost, CompMenuItem.code)
    if active_only:
        stmt = stmt.where(CompMenuItem.active.is_(True))
    return [
        MenuItemRow(
            i.id,
            i.code,
            i.name,
            i.description,
            i.points_cost,
            Decimal(i.unit_cost),
            i.stock,
            Decimal(i.budget) if i.budget is not None else None,
            Decimal(i.spent),
            i.active,
        )
        for i in s.scalars(stmt)
    ]


def my_points(s: Session, principal: Principal) -> dict[str, Any]:
    """The caller's points balance, ledger and redemptions."""
    require(principal, "comp.read")
    if principal.person_id is None:
        return {"balance": 0, "ledger": [], "redemptions": []}
    pid = principal.person_id
    ledger = [
        {"at": e.at, "delta": e.delta, "reason": e.reason}
        for e in s.scalars(select(CompPointsEntry).where(CompPointsEntry.person_id == pid).order_by(CompPointsEntry.id))
    ]
    redemptions = [
        {"id": r.id, "item": name, "points": r.points, "status": r.status, "reason": r.decision_reason}
        for r, name in s.execute(
            select(CompRedemption, CompMenuItem.name)
            .join(CompMenuItem, CompMenuItem.id == CompRedemption.item_id)
            .where(CompRedemption.person_id == pid)
            .order_by(CompRedemption.id.desc())
        )
    ]
    return {"balance": points_balance(s, pid), "ledger": ledger, "redemptions": redemptions}


def list_redemptions(s: Session, principal: Principal, *, status: str | None = None) -> list[dict[str, Any]]:
    require(principal, "comp.read")
    p = facts.people.c
    stmt = (
        select(CompRedemption, CompMenuItem.name, p.name)
        .join(CompMenuItem, CompMenuItem.id == CompRedemption.item_id)
        .join(facts.people, p.id == CompRedemption.person_id)
    )
    stmt = scope(stmt, principal, team_col=CompRedemption.team_id, person_col=CompRedemption.person_id)
    if status:
        stmt = stmt.where(CompRedemption.status == status)
    return [
        {
            "id": r.id,
            "item": item,
            "person": person,
            "person_id": r.person_id,
            "points": r.points,
            "unit_cost": Decimal(r.unit_cost),
            "status": r.status,
            "note": r.note,
        }
        for r, item, person in s.execute(stmt.order_by(CompRedemption.id.desc()))
    ]


def list_payroll_exports(s: Session, principal: Principal) -> list[dict[str, Any]]:
    require(principal, "comp.payroll")
    return [
        {
            "id": e.id,
            "created_at": e.created_at,
            "by": e.created_by_name,
            "format": e.file_format,
            "period": e.period_label,
            "statements": e.statement_count,
            "total": Decimal(e.total),
            "status": e.status,
            "paid_at": e.paid_at,
        }
        for e in s.scalars(select(CompPayrollExport).order_by(CompPayrollExport.id.desc()))
    ]


# --- what-if ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodCompare:
    period: str
    revenue: Decimal
    baseline: Decimal
    draft: Decimal
    paid: Decimal | None  # what the approved run paid, when there is one

    @property
    def delta(self) -> Decimal:
        return self.draft - self.baseline

    def cost_of_sales(self, amount: Decimal) -> Decimal | None:
        return (amount / self.revenue).quantize(Decimal("0.0001")) if self.revenue else None


@dataclass(frozen=True, slots=True)
class WhatIf:
    plan_key: str
    baseline_version: int
    draft_version: int
    periods: tuple[PeriodCompare, ...]
    tiers: tuple[tuple[str, Decimal, Decimal], ...]
    people: tuple[tuple[int, str, str, Decimal, Decimal], ...]  # id, name, tier, baseline, draft
    errors: tuple[str, ...]

    @property
    def baseline_total(self) -> Decimal:
        return sum((p.baseline for p in self.periods), ZERO)

    @property
    def draft_total(self) -> Decimal:
        return sum((p.draft for p in self.periods), ZERO)

    @property
    def revenue(self) -> Decimal:
        return sum((p.revenue for p in self.periods), ZERO)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (the API, the CLI and the what-if chart)."""
        return {
            "plan": self.plan_key,
            "baseline_version": self.baseline_version,
            "draft_version": self.draft_version,
            "baseline_total": self.baseline_total,
            "draft_total": self.draft_total,
            "revenue": self.revenue,
            "periods": [
                {
                    "period": p.period,
                    "revenue": p.revenue,
                    "baseline": p.baseline,
                    "draft": p.draft,
                    "delta": p.delta,
                    "paid": p.paid,
                    "baseline_cost_of_sales": p.cost_of_sales(p.baseline),
                    "draft_cost_of_sales": p.cost_of_sales(p.draft),
                }
                for p in self.periods
            ],
            "tiers": [{"tier": t, "baseline": b, "draft": d} for t, b, d in self.tiers],
            "people": [
                {"person_id": pid, "name": name, "tier": tier, "baseline": b, "draft": d}
                for pid, name, tier, b, d in self.people
            ],
            "errors": list(self.errors),
        }


def _version(s: Session, plan: CompPlan, number: int | None, *, published: bool) -> CompPlanVersion:
    stmt = select(CompPlanVersion).where(CompPlanVersion.plan_id == plan.id)
    if number is not None:
        stmt = stmt.where(CompPlanVersion.version == number)
    elif published:
        stmt = stmt.where(CompPlanVersion.status == "published")
    row = s.scalars(stmt.order_by(CompPlanVersion.version.desc())).first()
    if row is None:
        from chanli.compensation.service import NotFound

        raise NotFound(f"plan {plan.key} has no {'published ' if published else ''}version {number or ''}".strip())
    return row


def what_if(
    s: Session,
    principal: Principal,
    plan_key: str,
    periods: Sequence[str],
    *,
    draft_version: int | None = None,
    baseline_version: int | None = None,
) -> WhatIf:
    """Apply a (draft) plan version to past periods beside the baseline (the newest published
    version, or the one named) — totals, per tier, per person and cost of sales — reading the
    facts as they are today and writing nothing."""
    require(principal, "comp.review")
    from chanli.compensation.service import NotFound

    plan = s.scalars(select(CompPlan).where(CompPlan.key == plan_key)).first()
    if plan is None:
        raise NotFound(f"no compensation plan {plan_key!r}")
    draft_row = _version(s, plan, draft_version, published=False)
    base_row = _version(s, plan, baseline_version, published=True)
    cal = calendar(s)
    draft_plan, base_plan = plan_of(draft_row), plan_of(base_row)
    compare: list[PeriodCompare] = []
    tiers: dict[str, list[Decimal]] = {}
    people: dict[int, list[Any]] = {}
    errors: list[str] = []
    for label in periods:
        period = cal.parse(label)
        totals = []
        for which, version in (("baseline", base_plan), ("draft", draft_plan)):
            widened, inputs = load_inputs(s, plan.id, _in_effect(version, period), period)
            result = calculate(widened, inputs)
            errors += [f"{period.label} {which}: {i.message}" for i in result.issues if i.is_error][:3]
            names = {p.id: (p.name, p.tier) for p in inputs.people}
            for st in result.statements:
                name, tier = names.get(st.person_id, (f"#{st.person_id}", ""))
                row = people.setdefault(st.person_id, [st.person_id, name, tier, ZERO, ZERO])
                slot = 3 if which == "baseline" else 4
                row[slot] += st.total
                t = tiers.setdefault(tier, [ZERO, ZERO])
                t[0 if which == "baseline" else 1] += st.total
            totals.append(sum((st.total for st in result.statements), ZERO))
            if which == "baseline":
                revenue = sum(
                    (c.amount for c in CreditBook(inputs, widened.currency).credits(CreditBasis.BOOKING)), ZERO
                )
        paid = s.scalar(
            select(CompRun.total).where(
                CompRun.plan_id == plan.id, CompRun.period_label == period.label, CompRun.status == "approved"
            )
        )
        compare.append(
            PeriodCompare(period.label, revenue, totals[0], totals[1], Decimal(paid) if paid is not None else None)
        )
    return WhatIf(
        plan.key,
        base_row.version,
        draft_row.version,
        tuple(compare),
        tuple((k, v[0], v[1]) for k, v in sorted(tiers.items())),
        tuple(tuple(v) for _, v in sorted(people.items())),  # type: ignore[misc]
        tuple(dict.fromkeys(errors)),
    )


def _in_effect(plan: PlanVersion, period: Period) -> PlanVersion:
    """A what-if applies a version to periods before its effective date: shift its dates so the
    engine treats it as in effect (the comparison is about the rules, not the calendar)."""
    return replace(plan, effective_from=min(plan.effective_from, period.start), effective_to=None)
