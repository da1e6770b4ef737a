"""Compensation use cases: load → calculate → save, in one unit of work, with an audit entry.

Plans (save a version, publish it, assign it), runs (compute a draft, submit, approve with
maker-checker, reject), retro adjustments of locked periods, disputes, lightning awards and
their budgets, the incentive menu and points, payroll hand-off, what-if, and the crediting
inputs compensation owns. Services never commit: the caller's unit of work does, so a crashed
run leaves nothing behind.

Why runs are safe to repeat and to race:

- A run is unique by (plan, period, version). The run row is inserted and flushed *before* any
  work, so two concurrent runs of one key collide in the database: the second waits on the
  unique index and fails with ``RunConflict`` when the first commits — exactly one wins.
- A run's ``fingerprint`` covers the plan version, every input and every adjustment. Running a
  draft again with the same fingerprint changes nothing; with a new one the draft's statements
  are replaced (a draft was never paid). A submitted run is frozen; an approved one locks the
  period for good (``CompPeriodLock``, unique by plan and period).
- Changes to a locked period's inputs reach people as ``retro_adjustment`` lines of the next
  run, never as a rewrite (see ``rules.retro``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chanli.compensation import facts
from chanli.compensation.batch import BATCH_KINDS, batch_amounts, fact_tables, load_facts
from chanli.compensation.inputs import (
    CLAWBACK_KINDS,
    calendar,
    company_currency,
    load_inputs,
)
from chanli.compensation.model import (
    Adjustment,
    CreditBasis,
    PaidLine,
    PlanVersion,
    RunInputs,
    RunResult,
    StatementLine,
)
from chanli.compensation.plans import load_plan, parse_plan, plan_json, plan_yaml
from chanli.compensation.rules import calculate, canonical_json, plain
from chanli.compensation.rules.crediting import CreditBook
from chanli.compensation.rules.maths import money
from chanli.compensation.rules.retro import dispute_adjustment, retro_adjustments
from chanli.compensation.tables import (
    CompAwardBudget,
    CompCreditNote,
    CompCreditSplit,
    CompDispute,
    CompDisputeMessage,
    CompDraw,
    CompExchangeRate,
    CompLightningAward,
    CompMenuItem,
    CompPayProfile,
    CompPayrollExport,
    CompPeriodLock,
    CompPlan,
    CompPlanAssignment,
    CompPlanVersion,
    CompPointsEntry,
    CompProjectMember,
    CompRedemption,
    CompRun,
    CompStatement,
    CompStatementLine,
)
from chanli.core.audit import record, snapshot
from chanli.core.auth import Forbidden, Principal, require
from chanli.core.db import UnitOfWork, utcnow
from chanli.core.issues import Conflict, Issue, Severity, ValidationFailed
from chanli.core.periods import Period, business_date
from chanli.org import NotFound as OrgNotFound
from chanli.org import queries as org_queries

__all__ = [
    "ENGINES",
    "POINT_VALUE",
    "MakerCheckerRefused",
    "NotFound",
    "PeriodLocked",
    "RunApproved",
    "RunConflict",
    "RunOutcome",
    "approve_run",
    "assign_plan",
    "comment_dispute",
    "decide_award",
    "decide_redemption",
    "grant_award",
    "mark_paid",
    "open_dispute",
    "payroll_handoff",
    "plan_version",
    "publish_version",
    "reject_run",
    "request_redemption",
    "resolve_dispute",
    "run_period",
    "save_menu_item",
    "save_plan_version",
    "set_award_budget",
    "set_credit_note",
    "set_draw",
    "set_exchange_rate",
    "set_pay_profile",
    "set_project_members",
    "set_splits",
    "submit_run",
    "today",
]

ENGINES = ("store", "duckdb", "spark")
POINT_VALUE = Decimal(1)  # one point is worth ¥1 of award budget
ZERO = Decimal("0.00")
RETRO_LOOKBACK = 12  # locked periods recalculated by each run


class NotFound(OrgNotFound):
    """A plan, version, run, statement, line, dispute, award or item that does not exist (or is
    outside the caller's part of the org): 404."""


class PeriodLocked(Conflict):
    """The (plan, period) was approved and locked: nothing reruns it; changes flow into the next
    open period as adjustment lines."""


class RunConflict(Conflict):
    """Another run of the same (plan, period, version) is in progress, submitted, or won a race."""


class MakerCheckerRefused(Forbidden):
    """The person who ran or submitted a run may not approve it."""


@dataclass(frozen=True, slots=True)
class RunApproved:
    """Event, dispatched after commit: a run was approved and its period locked."""

    run_id: int
    plan_key: str
    period: str
    total: Decimal
    statements: int


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run_id: int
    plan_key: str
    period: str
    version: int
    status: str
    created: bool  # a new run row
    changed: bool  # statements were (re)written
    fingerprint: str
    result_hash: str
    total: Decimal
    statements: int
    errors: int
    warnings: int
    issues: tuple[Issue, ...]
    engine: str
    engine_check: str | None = None


def today(s: Session) -> date:
    profile = org_queries.company_profile(s)
    return business_date(utcnow(), profile.time_zone if profile else "Asia/Shanghai")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _d(value: Any, what: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{what}: a float is refused for money; pass a Decimal or text")
    try:
        out = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{what}: {value!r} is not a number") from None
    if not out.is_finite():
        raise ValueError(f"{what}: {value!r} is not a number")
    return out


def _money(value: Any, what: str) -> Decimal:
    out = _d(value, what)
    if out != out.quantize(Decimal("0.01")):
        raise ValueError(f"{what}: {value} has more than two decimal places (whole fen only)")
    return out.quantize(Decimal("0.01"))


# --- plans ----------------------------------------------------------------------------------------


def _plan_row(s: Session, key: str) -> CompPlan:
    row = s.scalars(select(CompPlan).where(CompPlan.key == key)).first()
    if row is None:
        raise NotFound(f"no compensation plan {key!r}")
    return row


def _checksum(plan: PlanVersion) -> str:
    """The plan's content, whatever version number it carries (an unchanged save is no edit)."""
    return _sha(canonical_json(replace(plan, version=1)))


def plan_of(row: CompPlanVersion) -> PlanVersion:
    """A stored version back as the engine's value (the store numbers versions)."""
    return replace(parse_plan(row.parsed), version=row.version)


def save_plan_version(
    uow: UnitOfWork, principal: Principal, text: str, *, fmt: str | None = None, note: str | None = None
) -> tuple[CompPlanVersion, bool]:
    """Validate plan text and store it as the plan's next (draft) version; every problem is
    raised at once with its key path (``PlanInvalid``). Saving text identical in content to the
    newest version creates nothing. Returns the version and whether it is new."""
    require(principal, "comp.configure")
    plan = load_plan(text, fmt=fmt)
    s = uow.session
    row = s.scalars(select(CompPlan).where(CompPlan.key == plan.plan.id)).first()
    if row is None:
        row = CompPlan(key=plan.plan.id, name=plan.plan.name or plan.plan.id, created_by_name=uow.actor.name)
        s.add(row)
        s.flush()
        record(s, uow.actor, "comp_plan.create", "comp_plan", row.key, after={"key": row.key, "name": row.name})
    elif plan.plan.name and plan.plan.name != row.name:
        row.name = plan.plan.name
    newest = s.scalars(
        select(CompPlanVersion).where(CompPlanVersion.plan_id == row.id).order_by(CompPlanVersion.version.desc())
    ).first()
    checksum = _checksum(plan)
    if newest is not None and newest.checksum == checksum:
        return newest, False
    number = (newest.version if newest else 0) + 1
    stored = replace(plan, version=number)
    kind = (fmt or ("json" if text.lstrip().startswith("{") else "yaml")).lower()
    version = CompPlanVersion(
        plan_id=row.id,
        version=number,
        status="draft",
        effective_from=stored.effective_from,
        effective_to=stored.effective_to,
        source_format=kind,
        source_text=text,
        parsed=json.loads(plan_json(stored)),
        checksum=checksum,
        note=note,
        created_by_id=uow.actor.user_id,
        created_by_name=uow.actor.name,
    )
    s.add(version)
    s.flush()
    record(
        s,
        uow.actor,
        "comp_plan.version",
        "comp_plan",
        row.key,
        before={"version": newest.version, "checksum": newest.checksum} if newest else None,
        after={"version": number, "checksum": checksum, "status": "draft"},
        reason=note,
    )
    return version, True


def _version_row(s: Session, plan: CompPlan, number: int) -> CompPlanVersion:
    row = s.scalars(
        select(CompPlanVersion).where(CompPlanVersion.plan_id == plan.id, CompPlanVersion.version == number)
    ).first()
    if row is None:
        raise NotFound(f"plan {plan.key} has no version {number}")
    return row


def publish_version(uow: UnitOfWork, principal: Principal, plan_key: str, number: int) -> CompPlanVersion:
    """Make a draft version the one runs use from its effective date on."""
    require(principal, "comp.configure")
    s = uow.session
    plan = _plan_row(s, plan_key)
    row = _version_row(s, plan, number)
    if row.status == "published":
        return row
    row.status = "published"
    row.published_by_name = uow.actor.name
    row.published_at = utcnow()
    record(
        s,
        uow.actor,
        "comp_plan.publish",
        "comp_plan",
        plan.key,
        before={"version": number, "status": "draft"},
        after={"version": number, "status": "published", "effective_from": row.effective_from},
    )
    return row


def plan_version(s: Session, plan: CompPlan, period: Period, number: int | None = None) -> CompPlanVersion:
    """The version a run of ``period`` uses: the one asked for, else the newest published
    version in effect at the period's start."""
    if number is not None:
        row = _version_row(s, plan, number)
        if row.status != "published":
            raise ValueError(f"plan {plan.key} v{number} is a draft: publish it before running it (what-if may use it)")
        return row
    rows = s.scalars(
        select(CompPlanVersion)
        .where(
            CompPlanVersion.plan_id == plan.id,
            CompPlanVersion.status == "published",
            CompPlanVersion.effective_from < period.end,
        )
        .order_by(CompPlanVersion.version.desc())
    )
    for row in rows:
        if row.effective_to is None or row.effective_to > period.start:
            return row
    raise ValueError(f"plan {plan.key} has no published version in effect in {period.label}")


def assign_plan(
    uow: UnitOfWork,
    principal: Principal,
    plan_key: str,
    kind: str,
    value: str,
    effective_from: date,
    effective_to: date | None = None,
) -> CompPlanAssignment:
    """Assign a plan to a person, tier, job role or team (with the teams below it)."""
    require(principal, "comp.configure")
    if kind not in ("person", "tier", "role", "team"):
        raise ValueError(f"assignment kind must be person, tier, role or team, not {kind!r}")
    if kind in ("person", "team") and not str(value).isdigit():
        raise ValueError(f"a {kind} assignment needs a {kind} id, not {value!r}")
    if effective_to is not None and effective_to <= effective_from:
        raise ValueError("effective_to must be after effective_from")
    s = uow.session
    plan = _plan_row(s, plan_key)
    row = CompPlanAssignment(
        plan_id=plan.id,
        kind=kind,
        value=str(value),
        effective_from=effective_from,
        effective_to=effective_to,
        created_by_name=uow.actor.name,
    )
    s.add(row)
    s.flush()
    record(s, uow.actor, "comp_plan.assign", "comp_plan", plan.key, after=snapshot(row))
    return row


# --- runs ----------------------------------------------------------------------------------------------


def run_fingerprint(engine_fingerprint: str, adjustments: Sequence[Adjustment]) -> str:
    """The run's fingerprint: the engine's (plan version + inputs) and every adjustment line."""
    document = {"engine": engine_fingerprint, "adjustments": plain(list(adjustments))}
    return _sha(json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def _paid_lines(s: Session, run_ids: Sequence[int], *, adjusting: str | None = None) -> list[PaidLine]:
    stmt = select(CompStatementLine).where(CompStatementLine.run_id.in_(list(run_ids)))
    if adjusting is None:
        stmt = stmt.where(CompStatementLine.adjusts_period.is_(None))
    else:
        stmt = stmt.where(CompStatementLine.adjusts_period == adjusting, CompStatementLine.kind == "retro_adjustment")
    return [
        PaidLine(
            ln.id,
            ln.person_id,
            ln.component_id,
            ln.kind,
            ln.label,
            Decimal(ln.amount),
            tuple((int(o), Decimal(a)) for o, a in ln.attribution or ()),
        )
        for ln in s.scalars(stmt.order_by(CompStatementLine.id))
    ]


def _retro(s: Session, plan: CompPlan, period: Period, lookback: int) -> list[Adjustment]:
    """Recalculate the plan's locked periods before ``period`` with today's facts and the
    version each used; pay the differences to what was paid for them so far."""
    cal = calendar(s)
    locked = list(
        s.scalars(
            select(CompRun)
            .where(CompRun.plan_id == plan.id, CompRun.status == "approved", CompRun.period_end <= period.start)
            .order_by(CompRun.period_start.desc())
            .limit(lookback)
        )
    )
    out: list[Adjustment] = []
    for run in sorted(locked, key=lambda r: r.period_start):
        version = s.get(CompPlanVersion, run.plan_version_id)
        assert version is not None
        past = cal.parse(run.period_label)
        the_plan, inputs = load_inputs(
            s, plan.id, plan_of(version), past, with_prior_payouts=False, lightning_paid_in=run.id
        )
        recalculated = calculate(the_plan, inputs)
        later = list(
            s.scalars(
                select(CompRun.id).where(
                    CompRun.plan_id == plan.id, CompRun.status == "approved", CompRun.period_start > run.period_start
                )
            )
        )
        paid = _paid_lines(s, [run.id]) + (_paid_lines(s, later, adjusting=run.period_label) if later else [])
        out += retro_adjustments(run.period_label, recalculated, paid, the_plan.currency)
    return out


def _disputes_to_pay(s: Session, plan: CompPlan, currency: str) -> tuple[list[Adjustment], list[int]]:
    rows = list(
        s.scalars(
            select(CompDispute)
            .where(
                CompDispute.plan_id == plan.id,
                CompDispute.status == "accepted",
                CompDispute.settled_run_id.is_(None),
            )
            .order_by(CompDispute.id)
        )
    )
    out: list[Adjustment] = []
    for d in rows:
        line = s.get(CompStatementLine, d.line_id)
        run = s.get(CompRun, d.run_id)
        assert line is not None
        assert run is not None
        original = PaidLine(line.id, line.person_id, line.component_id, line.kind, line.label, Decimal(line.amount))
        amount = Decimal(d.amount or 0)
        if amount == 0:
            continue
        out.append(
            dispute_adjustment(d.id, d.person_id, original, run.period_label, amount, d.resolution or "", currency)
        )
    return out, [d.id for d in rows]


def _clawback_refs(s: Session, plan_id: int, period_label: str) -> dict[tuple[int, int], list[int]]:
    """(order, person) → ids of the approved lines (other periods) that paid on that order."""
    stmt = (
        select(CompStatementLine.id, CompStatementLine.person_id, CompStatementLine.kind, CompStatementLine.attribution)
        .join(CompRun, CompRun.id == CompStatementLine.run_id)
        .where(CompRun.plan_id == plan_id, CompRun.status == "approved", CompRun.period_label != period_label)
        .order_by(CompStatementLine.id)
    )
    out: dict[tuple[int, int], list[int]] = {}
    for line_id, person_id, kind, attribution in s.execute(stmt):
        if kind in CLAWBACK_KINDS:
            continue
        for order_id, _ in attribution or ():
            out.setdefault((int(order_id), person_id), []).append(line_id)
    return out


def _engine_check(engine: str, plan: PlanVersion, inputs: RunInputs, result: RunResult) -> tuple[Issue | None, str]:
    """Compute the volume components set-based on ``engine`` from the same facts and compare
    them with the reference to the fen; a difference is an error that blocks submission."""
    if not any(c.kind in BATCH_KINDS for c in plan.components):
        return None, "no volume component"
    import ibis

    if engine == "duckdb":
        con = ibis.duckdb.connect()
    else:
        from chanli.core.engine import spark_session

        con = ibis.pyspark.connect(spark_session("chanli-comp"))
    try:
        load_facts(con, inputs, fact_tables(inputs))
        batch = {k: v for k, v in batch_amounts(con, plan, inputs.period).items() if v != 0}
    finally:
        if engine == "duckdb":
            con.disconnect()
    kinds = {c.id for c in plan.components if c.kind in BATCH_KINDS}
    reference: dict[tuple[int, str], Decimal] = {}
    for st in result.statements:
        for line in st.lines:
            if line.component_id in kinds:
                key = (st.person_id, line.component_id)
                reference[key] = reference.get(key, ZERO) + line.amount
    reference = {k: v for k, v in reference.items() if v != 0}
    if batch != reference:
        diff = sorted(set(batch.items()) ^ set(reference.items()))[:3]
        return Issue("comp.engine_mismatch", f"{engine} and the reference disagree on {diff}"), "mismatch"
    return None, f"{engine} agrees on {len(batch)} amounts"


def _write_statements(
    s: Session,
    run: CompRun,
    result: RunResult,
    adjustments: Sequence[Adjustment],
    inputs: RunInputs,
    refs: dict[tuple[int, int], list[int]],
) -> tuple[int, Decimal]:
    """Statements and lines of a run: the engine's lines in plan order, then the adjustments."""
    people = {p.id: p for p in inputs.people}
    lines: dict[int, list[tuple[StatementLine, tuple[int, ...], str | None]]] = {}
    for st in result.statements:
        for line in st.lines:
            line_refs: tuple[int, ...] = ()
            if line.kind in CLAWBACK_KINDS:
                line_refs = tuple(
                    sorted({i for order_id, _ in line.attribution for i in refs.get((order_id, line.person_id), [])})
                )
            lines.setdefault(st.person_id, []).append((line, line_refs, None))
    for adj in adjustments:
        lines.setdefault(adj.line.person_id, []).append((adj.line, adj.refs, adj.adjusts_period))
    statements = []  # everyone on a line is in inputs.people: runs read the whole org
    for pid in sorted(lines):
        person = people.get(pid)
        total = sum((ln.amount for ln, _, _ in lines[pid]), ZERO)
        statements.append(
            CompStatement(
                run_id=run.id,
                person_id=pid,
                person_name=person.name if person else f"#{pid}",
                team_id=person.team_id if person else None,
                tier=person.tier if person else "",
                period_label=run.period_label,
                total=total,
                line_count=len(lines[pid]),
                status="draft",
            )
        )
    s.add_all(statements)
    s.flush()
    rows = []
    for st in statements:
        for seq, (line, line_refs, adjusts) in enumerate(lines[st.person_id], start=1):
            rows.append(
                {
                    "statement_id": st.id,
                    "run_id": run.id,
                    "person_id": st.person_id,
                    "seq": seq,
                    "component_id": line.component_id,
                    "kind": line.kind,
                    "label": line.label,
                    "amount": line.amount,
                    "formula": line.formula,
                    "inputs": [[k, plain(v, normalize=False)] for k, v in line.inputs],
                    "sources": list(line.sources),
                    "attribution": [[o, format(a, "f")] for o, a in line.attribution],
                    "refs": list(line_refs),
                    "adjusts_period": adjusts,
                }
            )
    if rows:
        s.execute(CompStatementLine.__table__.insert(), rows)
    return len(statements), sum((st.total for st in statements), ZERO)


def _result_hash(result: RunResult, adjustments: Sequence[Adjustment]) -> str:
    """sha256 of the canonical JSON of what the run wrote: statements, adjustments, issues."""
    return _sha(canonical_json({"result": result, "adjustments": list(adjustments)}, normalize=False))


def run_period(
    uow: UnitOfWork,
    principal: Principal,
    plan_key: str,
    period_label: str,
    *,
    version: int | None = None,
    engine: str = "store",
    retro_lookback: int = RETRO_LOOKBACK,
) -> RunOutcome:
    """Compute a draft run of a plan over a period (see the module docstring for the rules).

    ``engine``: ``store`` computes with the reference engine over the facts read from the store;
    ``duckdb`` or ``spark`` also compute the volume components set-based on that engine from
    the same facts and refuse (as an error issue) any difference to the fen.
    """
    require(principal, "comp.run")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    s = uow.session
    plan = _plan_row(s, plan_key)
    period = calendar(s).parse(period_label)
    vrow = plan_version(s, plan, period, version)
    lock = s.scalars(
        select(CompPeriodLock).where(CompPeriodLock.plan_id == plan.id, CompPeriodLock.period_label == period.label)
    ).first()
    if lock is not None:
        raise PeriodLocked(
            f"{plan.key} {period.label} is locked (run #{lock.run_id} approved by {lock.locked_by_name}); changes to "
            f"its inputs are paid as adjustment lines in the next open period"
        )
    existing = s.scalars(
        select(CompRun)
        .where(CompRun.plan_id == plan.id, CompRun.period_label == period.label, CompRun.version == vrow.version)
        .with_for_update()
    ).first()
    if existing is not None and existing.status != "draft":
        raise RunConflict(
            f"run #{existing.id} of {plan.key} {period.label} v{vrow.version} is {existing.status}; "
            + ("finance must reject it before it can be run again" if existing.status == "submitted" else "")
        )
    created = existing is None
    if existing is None:
        run = CompRun(
            plan_id=plan.id,
            plan_version_id=vrow.id,
            version=vrow.version,
            period_label=period.label,
            period_start=period.start,
            period_end=period.end,
            status="draft",
            engine=engine,
            created_by_id=uow.actor.user_id,
            created_by_name=uow.actor.name,
        )
        s.add(run)
        key = f"{plan.key} {period.label} v{vrow.version}"  # read before a failed flush expires the objects
        try:
            s.flush()  # claim the key first: a concurrent run of the same key waits here, then fails
        except IntegrityError:
            raise RunConflict(
                f"another run of {key} was created at the same time; it won — look at it instead"
            ) from None
    else:
        run = existing
    the_plan, inputs = load_inputs(s, plan.id, plan_of(vrow), period)
    result = calculate(the_plan, inputs)
    retro = _retro(s, plan, period, retro_lookback)
    disputes, _ = _disputes_to_pay(s, plan, the_plan.currency)
    adjustments = retro + disputes
    fingerprint = run_fingerprint(result.fingerprint, adjustments)
    issues = list(result.issues)
    engine_check = None
    if engine in ("duckdb", "spark"):
        problem, engine_check = _engine_check(engine, the_plan, inputs, result)
        if problem is not None:
            issues.insert(0, problem)
    errors = sum(1 for i in issues if i.severity is Severity.ERROR)
    warnings = len(issues) - errors
    result_hash = _result_hash(result, adjustments)
    if not created and run.fingerprint == fingerprint and run.result_hash == result_hash:
        return _outcome(plan, run, created=False, changed=False, issues=issues, engine_check=engine_check)
    before = {"fingerprint": run.fingerprint, "total": run.total} if not created else None
    if not created:
        s.execute(delete(CompStatementLine).where(CompStatementLine.run_id == run.id))
        s.execute(delete(CompStatement).where(CompStatement.run_id == run.id))
    count, total = _write_statements(s, run, result, adjustments, inputs, _clawback_refs(s, plan.id, period.label))
    revenue = sum(
        (c.amount for c in CreditBook(inputs, the_plan.currency).credits(CreditBasis.BOOKING)), Decimal("0.00")
    )
    run.plan_version_id = vrow.id
    run.engine = engine
    run.fingerprint = fingerprint
    run.inputs_fingerprint = result.fingerprint
    run.result_hash = result_hash
    run.issues = [i.as_dict() for i in issues]
    run.error_count = errors
    run.warning_count = warnings
    run.statement_count = count
    run.total = total
    run.revenue = revenue
    run.computed_at = utcnow()
    run.rejected_reason = None
    s.flush()
    record(
        s,
        uow.actor,
        "comp_run.compute",
        "comp_run",
        run.id,
        before=before,
        after={
            "plan": plan.key,
            "period": period.label,
            "version": vrow.version,
            "fingerprint": fingerprint,
            "total": total,
            "statements": count,
            "errors": errors,
            "engine": engine,
        },
    )
    return _outcome(plan, run, created=created, changed=True, issues=issues, engine_check=engine_check)


def _outcome(
    plan: CompPlan, run: CompRun, *, created: bool, changed: bool, issues: Sequence[Issue], engine_check: str | None
) -> RunOutcome:
    errors = sum(1 for i in issues if i.severity is Severity.ERROR)
    return RunOutcome(
        run.id,
        plan.key,
        run.period_label,
        run.version,
        run.status,
        created,
        changed,
        run.fingerprint,
        run.result_hash,
        Decimal(run.total),
        run.statement_count,
        errors,
        len(issues) - errors,
        tuple(issues),
        run.engine,
        engine_check,
    )


def _run(s: Session, run_id: int, *, lock: bool = False) -> CompRun:
    stmt = select(CompRun).where(CompRun.id == run_id)
    if lock:
        stmt = stmt.with_for_update()
    run = s.scalars(stmt).first()
    if run is None:
        raise NotFound(f"no compensation run #{run_id}")
    return run


def submit_run(uow: UnitOfWork, principal: Principal, run_id: int) -> CompRun:
    """The maker (comp admin) hands a draft run to finance; a run with errors cannot go."""
    require(principal, "comp.run")
    s = uow.session
    run = _run(s, run_id, lock=True)
    if run.status != "draft":
        raise ValueError(f"run #{run.id} is {run.status}; only a draft can be submitted")
    if run.error_count:
        first = next((i["message"] for i in run.issues if i.get("severity") == "error"), "")
        raise ValidationFailed(
            [Issue("comp.run_has_errors", f"run #{run.id} has {run.error_count} error(s): fix the inputs and re-run")],
            summary=f"run #{run.id} has {run.error_count} error(s) and cannot be submitted: {first}",
        )
    run.status = "submitted"
    run.submitted_by_id = uow.actor.user_id
    run.submitted_by_name = uow.actor.name
    run.submitted_at = utcnow()
    record(
        s, uow.actor, "comp_run.submit", "comp_run", run.id, before={"status": "draft"}, after={"status": "submitted"}
    )
    return run


def approve_run(uow: UnitOfWork, principal: Principal, run_id: int) -> CompRun:
    """The checker (finance) approves a submitted run — never the person who ran or submitted
    it — and the (plan, period) locks: statements are approved, lightning awards and accepted
    disputes in it are settled, other runs of the period are superseded."""
    require(principal, "comp.approve")
    s = uow.session
    run = _run(s, run_id, lock=True)
    if run.status != "submitted":
        raise ValueError(f"run #{run.id} is {run.status}; only a submitted run can be approved")
    if not principal.user_id:
        raise MakerCheckerRefused("maker-checker: an approval needs a named person (log in, or --as USER on the CLI)")
    if principal.user_id in (run.submitted_by_id, run.created_by_id):
        who = run.submitted_by_name if principal.user_id == run.submitted_by_id else run.created_by_name
        raise MakerCheckerRefused(
            f"maker-checker: {who} prepared run #{run.id}, so a different person must approve it "
            "(you may not approve your own run)"
        )
    plan = s.get(CompPlan, run.plan_id)
    assert plan is not None
    locked = f"{plan.key} {run.period_label}"  # read before a failed flush expires the objects
    s.add(
        CompPeriodLock(plan_id=run.plan_id, period_label=run.period_label, run_id=run.id, locked_by_name=uow.actor.name)
    )
    try:
        s.flush()
    except IntegrityError:
        raise PeriodLocked(f"{locked} was approved and locked by another run") from None
    lines = list(s.scalars(select(CompStatementLine).where(CompStatementLine.run_id == run.id)))
    award_ids = sorted({int(src.split(":")[1]) for ln in lines for src in ln.sources if src.startswith("lightning:")})
    dispute_ids = sorted(
        {int(src.split(":")[1]) for ln in lines if ln.kind == "dispute_adjustment" for src in ln.sources}
    )
    for award in s.scalars(select(CompLightningAward).where(CompLightningAward.id.in_(award_ids)).with_for_update()):
        if award.paid_run_id is not None:
            raise RunConflict(f"lightning award #{award.id} was already paid by run #{award.paid_run_id}; re-run")
        award.paid_run_id = run.id
    for dispute in s.scalars(select(CompDispute).where(CompDispute.id.in_(dispute_ids)).with_for_update()):
        if dispute.settled_run_id is not None:
            raise RunConflict(f"dispute #{dispute.id} was already settled by run #{dispute.settled_run_id}; re-run")
        dispute.settled_run_id = run.id
    superseded = list(
        s.scalars(
            select(CompRun.id).where(
                CompRun.plan_id == run.plan_id,
                CompRun.period_label == run.period_label,
                CompRun.id != run.id,
                CompRun.status.in_(("draft", "submitted")),
            )
        )
    )
    if superseded:
        s.execute(update(CompRun).where(CompRun.id.in_(superseded)).values(status="superseded"))
    s.execute(update(CompStatement).where(CompStatement.run_id == run.id).values(status="approved"))
    run.status = "approved"
    run.approved_by_id = uow.actor.user_id
    run.approved_by_name = uow.actor.name
    run.approved_at = utcnow()
    record(
        s,
        uow.actor,
        "comp_run.approve",
        "comp_run",
        run.id,
        before={"status": "submitted"},
        after={
            "status": "approved",
            "locked": f"{plan.key} {run.period_label}",
            "total": run.total,
            "fingerprint": run.fingerprint,
            "superseded": superseded,
            "awards_paid": award_ids,
            "disputes_settled": dispute_ids,
        },
    )
    uow.queue(RunApproved(run.id, plan.key, run.period_label, Decimal(run.total), run.statement_count))
    return run


def reject_run(uow: UnitOfWork, principal: Principal, run_id: int, reason: str) -> CompRun:
    """Finance sends a submitted run back to draft with a reason (it may then be re-run)."""
    require(principal, "comp.approve")
    if not reason.strip():
        raise ValueError("say why the run is rejected")
    s = uow.session
    run = _run(s, run_id, lock=True)
    if run.status != "submitted":
        raise ValueError(f"run #{run.id} is {run.status}; only a submitted run can be rejected")
    run.status = "draft"
    run.rejected_reason = reason.strip()
    record(
        s,
        uow.actor,
        "comp_run.reject",
        "comp_run",
        run.id,
        before={"status": "submitted"},
        after={"status": "draft"},
        reason=reason.strip(),
    )
    return run


# --- disputes -----------------------------------------------------------------------------------------


def _visible_line(s: Session, principal: Principal, line_id: int) -> tuple[CompStatementLine, CompStatement]:
    line = s.get(CompStatementLine, line_id)
    statement = s.get(CompStatement, line.statement_id) if line is not None else None
    if line is None or statement is None or not _sees_statement(principal, statement):
        raise NotFound(f"no statement line #{line_id}")
    return line, statement


def _sees_statement(principal: Principal, statement: CompStatement) -> bool:
    if principal.sees_all:
        return True
    if principal.person_id is not None and statement.person_id == principal.person_id:
        return statement.status != "draft"
    visible = principal.visible_team_ids or frozenset()
    return statement.team_id in visible and statement.status != "draft"


def open_dispute(uow: UnitOfWork, principal: Principal, line_id: int, comment: str) -> CompDispute:
    """A rep disputes one line of their statement with a comment (one open dispute per line)."""
    require(principal, "comp.dispute")
    if not comment.strip():
        raise ValueError("say what is wrong with the line")
    s = uow.session
    line, statement = _visible_line(s, principal, line_id)
    if not principal.sees_all and principal.person_id != statement.person_id and not principal.can("comp.award"):
        raise Forbidden("only the person on the statement (or their manager) may dispute a line")
    open_ = s.scalars(select(CompDispute).where(CompDispute.line_id == line.id, CompDispute.status == "open")).first()
    if open_ is not None:
        raise ValueError(f"line #{line.id} already has open dispute #{open_.id}; add a comment to it instead")
    run = s.get(CompRun, statement.run_id)
    assert run is not None
    dispute = CompDispute(
        line_id=line.id,
        statement_id=statement.id,
        run_id=run.id,
        plan_id=run.plan_id,
        person_id=statement.person_id,
        team_id=statement.team_id,
        status="open",
        opened_by_id=uow.actor.user_id,
        opened_by_name=uow.actor.name,
    )
    s.add(dispute)
    s.flush()
    s.add(
        CompDisputeMessage(
            dispute_id=dispute.id, author_id=uow.actor.user_id, author_name=uow.actor.name, kind="comment", body=comment
        )
    )
    record(
        s,
        uow.actor,
        "comp_dispute.open",
        "comp_dispute",
        dispute.id,
        after={"line": line.id, "amount": line.amount, "component": line.component_id},
        reason=comment,
    )
    return dispute


def _dispute(s: Session, principal: Principal, dispute_id: int, *, lock: bool = False) -> CompDispute:
    stmt = select(CompDispute).where(CompDispute.id == dispute_id)
    if lock:
        stmt = stmt.with_for_update()
    d = s.scalars(stmt).first()
    if d is None:
        raise NotFound(f"no dispute #{dispute_id}")
    if not principal.sees_all:
        mine = principal.person_id is not None and d.person_id == principal.person_id
        if not mine and d.team_id not in (principal.visible_team_ids or frozenset()):
            raise NotFound(f"no dispute #{dispute_id}")
    return d


def comment_dispute(uow: UnitOfWork, principal: Principal, dispute_id: int, body: str) -> CompDisputeMessage:
    require(principal, "comp.dispute")
    if not body.strip():
        raise ValueError("a comment needs some text")
    s = uow.session
    d = _dispute(s, principal, dispute_id)
    msg = CompDisputeMessage(
        dispute_id=d.id, author_id=uow.actor.user_id, author_name=uow.actor.name, kind="comment", body=body
    )
    s.add(msg)
    s.flush()
    return msg


def resolve_dispute(
    uow: UnitOfWork,
    principal: Principal,
    dispute_id: int,
    *,
    accept: bool,
    reason: str,
    amount: Decimal | str | None = None,
) -> CompDispute:
    """Comp admin accepts (with the amount to pay or take back; the next run of the plan carries
    it as an adjustment line referring to the disputed line) or rejects with a reason."""
    require(principal, "comp.resolve")
    if not reason.strip():
        raise ValueError("a resolution needs a reason")
    s = uow.session
    d = _dispute(s, principal, dispute_id, lock=True)
    if d.status != "open":
        raise ValueError(f"dispute #{d.id} is already {d.status}")
    value: Decimal | None = None
    if accept:
        if amount is None:
            raise ValueError("accepting a dispute needs the amount to adjust (negative takes back)")
        value = _money(amount, "amount")
        if value == 0:
            raise ValueError("an accepted dispute adjusts by a non-zero amount; reject it if nothing changes")
    d.status = "accepted" if accept else "rejected"
    d.amount = value
    d.resolution = reason.strip()
    d.resolved_by_name = uow.actor.name
    d.resolved_at = utcnow()
    text = f"受理，调整 {money(value)}：{reason.strip()}" if value is not None else f"驳回：{reason.strip()}"
    s.add(
        CompDisputeMessage(
            dispute_id=d.id, author_id=uow.actor.user_id, author_name=uow.actor.name, kind=d.status, body=text
        )
    )
    record(
        s,
        uow.actor,
        "comp_dispute.resolve",
        "comp_dispute",
        d.id,
        before={"status": "open"},
        after={"status": d.status, "amount": value},
        reason=reason.strip(),
    )
    return d


# --- lightning awards and budgets ---------------------------------------------------------------------------


def _person(s: Session, person_id: int) -> Any:
    p = facts.people.c
    row = s.execute(select(p.id, p.name, p.team_id, p.tier).where(p.id == person_id)).first()
    if row is None:
        raise NotFound(f"no person #{person_id}")
    return row


def set_award_budget(
    uow: UnitOfWork, principal: Principal, manager_id: int, period_label: str, amount: Decimal | str
) -> CompAwardBudget:
    require(principal, "comp.configure")
    s = uow.session
    _person(s, manager_id)
    period = calendar(s).parse(period_label)
    value = _money(amount, "amount")
    if value < 0:
        raise ValueError("a budget must not be negative")
    row = s.scalars(
        select(CompAwardBudget).where(
            CompAwardBudget.manager_id == manager_id, CompAwardBudget.period_label == period.label
        )
    ).first()
    before = snapshot(row) if row else None
    if row is None:
        row = CompAwardBudget(manager_id=manager_id, period_label=period.label, amount=value)
        s.add(row)
    else:
        row.amount = value
    s.flush()
    record(s, uow.actor, "comp_award.budget", "person", manager_id, before=before, after=snapshot(row))
    return row


def _budget_left(s: Session, manager_id: int, period_label: str) -> tuple[Decimal | None, Decimal]:
    budget = s.scalar(
        select(CompAwardBudget.amount).where(
            CompAwardBudget.manager_id == manager_id, CompAwardBudget.period_label == period_label
        )
    )
    used = s.scalar(
        select(func.coalesce(func.sum(CompLightningAward.amount), 0)).where(
            CompLightningAward.granted_by == manager_id,
            CompLightningAward.period_label == period_label,
            CompLightningAward.status != "rejected",
        )
    )
    return (Decimal(budget) if budget is not None else None), Decimal(used or 0)


def grant_award(
    uow: UnitOfWork,
    principal: Principal,
    person_id: int,
    amount: Decimal | str,
    reason: str,
    *,
    pay_as: str = "cash",
    on: date | None = None,
    granted_by: int | None = None,
) -> CompLightningAward:
    """A manager grants a 闪电奖 with a reason, within their budget for the period; comp admin
    approves it; cash is paid by the next run, points are credited on approval. Back office may
    enter an award on a manager's behalf (``granted_by``); it still counts against that
    manager's budget."""
    require(principal, "comp.award")
    s = uow.session
    person = _person(s, person_id)
    if not principal.sees_all and person.team_id not in (principal.visible_team_ids or frozenset()):
        raise NotFound(f"no person #{person_id}")
    manager_id = principal.person_id if not principal.sees_all or granted_by is None else granted_by
    if manager_id is None:
        raise ValueError("say which manager grants the award (granted_by)")
    manager = _person(s, manager_id)
    if pay_as not in ("cash", "points"):
        raise ValueError("pay_as must be cash or points")
    if not reason.strip():
        raise ValueError("a lightning award needs the behaviour it rewards (reason)")
    value = _money(amount, "amount")
    if value <= 0:
        raise ValueError("a lightning award must be above zero")
    if pay_as == "points" and value != value.to_integral_value():
        raise ValueError("an award paid as points must be a whole number of yuan (1 point = ¥1)")
    if person_id == manager_id:
        raise ValueError("a manager cannot grant a lightning award to themselves")
    day = on or today(s)
    period = calendar(s).parse(f"{day:%Y-%m}")
    budget, used = _budget_left(s, manager_id, period.label)
    if budget is None:
        raise ValueError(f"{manager.name} has no lightning-award budget for {period.label}; ask comp admin to set one")
    if used + value > budget:
        raise ValueError(
            f"over budget: {manager.name} has granted {money(used)} of {money(budget)} in {period.label}; "
            f"{money(value)} more would exceed it by {money(used + value - budget)}"
        )
    award = CompLightningAward(
        person_id=person_id,
        team_id=person.team_id,
        granted_by=manager_id,
        granted_by_name=manager.name,
        period_label=period.label,
        amount=value,
        pay_as=pay_as,
        points=int(value / POINT_VALUE) if pay_as == "points" else 0,
        reason=reason.strip(),
        status="requested",
    )
    s.add(award)
    s.flush()
    record(s, uow.actor, "comp_award.grant", "comp_award", award.id, after=snapshot(award), reason=reason.strip())
    return award


def decide_award(
    uow: UnitOfWork, principal: Principal, award_id: int, *, approve: bool, reason: str = "", on: date | None = None
) -> CompLightningAward:
    require(principal, "comp.award.approve")
    s = uow.session
    award = s.scalars(select(CompLightningAward).where(CompLightningAward.id == award_id).with_for_update()).first()
    if award is None:
        raise NotFound(f"no lightning award #{award_id}")
    if award.status != "requested":
        raise ValueError(f"award #{award.id} is already {award.status}")
    if principal.person_id is not None and principal.person_id == award.granted_by:
        raise MakerCheckerRefused("you granted this award, so someone else must approve it")
    if not approve and not reason.strip():
        raise ValueError("say why the award is rejected")
    before = snapshot(award, ["status"])
    award.status = "approved" if approve else "rejected"
    award.decided_by_name = uow.actor.name
    award.decision_reason = reason.strip() or None
    if approve:
        award.approved_on = on or today(s)
        if award.pay_as == "points":
            s.add(
                CompPointsEntry(
                    person_id=award.person_id,
                    delta=award.points,
                    reason=f"闪电奖 #{award.id}：{award.reason}",
                    award_id=award.id,
                )
            )
    s.flush()
    record(
        s,
        uow.actor,
        "comp_award.decide",
        "comp_award",
        award.id,
        before=before,
        after=snapshot(award, ["status", "approved_on", "pay_as", "points"]),
        reason=reason.strip() or None,
    )
    return award


# --- incentive menu and points -------------------------------------------------------------------------------


def save_menu_item(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    name: str,
    points_cost: int,
    unit_cost: Decimal | str,
    *,
    stock: int | None = None,
    budget: Decimal | str | None = None,
    description: str = "",
    active: bool = True,
) -> CompMenuItem:
    require(principal, "comp.configure")
    if points_cost <= 0:
        raise ValueError("an item costs at least one point")
    if stock is not None and stock < 0:
        raise ValueError("stock must not be negative")
    s = uow.session
    item = s.scalars(select(CompMenuItem).where(CompMenuItem.code == code)).first()
    before = snapshot(item) if item else None
    if item is None:
        item = CompMenuItem(code=code, spent=ZERO)
        s.add(item)
    item.name = name
    item.description = description
    item.points_cost = points_cost
    item.unit_cost = _money(unit_cost, "unit_cost")
    item.stock = stock
    item.budget = _money(budget, "budget") if budget is not None else None
    item.active = active
    if item.budget is not None and (item.spent or ZERO) > item.budget:
        raise ValueError(f"budget {money(item.budget)} is below what was already spent ({money(item.spent)})")
    s.flush()
    record(s, uow.actor, "comp_menu.save", "comp_menu_item", item.id, before=before, after=snapshot(item))
    return item


def points_balance(s: Session, person_id: int) -> int:
    total = s.scalar(
        select(func.coalesce(func.sum(CompPointsEntry.delta), 0)).where(CompPointsEntry.person_id == person_id)
    )
    return int(total or 0)


def _pending_points(s: Session, person_id: int) -> int:
    return int(
        s.scalar(
            select(func.coalesce(func.sum(CompRedemption.points), 0)).where(
                CompRedemption.person_id == person_id, CompRedemption.status == "requested"
            )
        )
        or 0
    )


def request_redemption(uow: UnitOfWork, principal: Principal, item_id: int, note: str = "") -> CompRedemption:
    """A person asks to redeem points for a menu item; points already asked for are held."""
    require(principal, "comp.redeem")
    s = uow.session
    item = s.get(CompMenuItem, item_id)
    if item is None or not item.active:
        raise NotFound(f"no menu item #{item_id}")
    if principal.person_id is None:
        raise ValueError("only a person in the org has points to redeem")
    if item.stock is not None and item.stock <= 0:
        raise ValueError(f"{item.name} is out of stock")
    balance = points_balance(s, principal.person_id) - _pending_points(s, principal.person_id)
    if balance < item.points_cost:
        raise ValueError(f"{item.name} costs {item.points_cost} points; you have {balance} available")
    person = _person(s, principal.person_id)
    row = CompRedemption(
        item_id=item.id,
        person_id=principal.person_id,
        team_id=person.team_id,
        points=item.points_cost,
        unit_cost=item.unit_cost,
        status="requested",
        note=note,
    )
    s.add(row)
    s.flush()
    record(s, uow.actor, "comp_menu.request", "comp_redemption", row.id, after=snapshot(row))
    return row


def decide_redemption(
    uow: UnitOfWork, principal: Principal, redemption_id: int, *, approve: bool, reason: str = ""
) -> CompRedemption:
    """Approval takes one from stock, the unit cost from the budget and the points from the
    person's balance, in one transaction with the item row locked (no overselling)."""
    require(principal, "comp.award.approve")
    s = uow.session
    row = s.scalars(select(CompRedemption).where(CompRedemption.id == redemption_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"no redemption #{redemption_id}")
    if row.status != "requested":
        raise ValueError(f"redemption #{row.id} is already {row.status}")
    if not approve:
        if not reason.strip():
            raise ValueError("say why the redemption is rejected")
        row.status = "rejected"
    else:
        item = s.scalars(select(CompMenuItem).where(CompMenuItem.id == row.item_id).with_for_update()).first()
        assert item is not None
        if item.stock is not None and item.stock <= 0:
            raise ValueError(f"{item.name} is out of stock")
        if item.budget is not None and Decimal(item.spent) + Decimal(row.unit_cost) > Decimal(item.budget):
            raise ValueError(
                f"{item.name}: the budget {money(item.budget)} has {money(item.budget - item.spent)} left, "
                f"one costs {money(row.unit_cost)}"
            )
        if points_balance(s, row.person_id) < row.points:
            raise ValueError(f"the person has fewer than {row.points} points")
        if item.stock is not None:
            item.stock -= 1
        item.spent = Decimal(item.spent) + Decimal(row.unit_cost)
        s.add(
            CompPointsEntry(
                person_id=row.person_id, delta=-row.points, reason=f"兑换 {item.name}", redemption_id=row.id
            )
        )
        row.status = "approved"
    row.decided_by_name = uow.actor.name
    row.decision_reason = reason.strip() or None
    s.flush()
    record(
        s,
        uow.actor,
        "comp_menu.decide",
        "comp_redemption",
        row.id,
        before={"status": "requested"},
        after={"status": row.status},
        reason=reason.strip() or None,
    )
    return row


# --- payroll hand-off ------------------------------------------------------------------------------------------


def payroll_handoff(
    uow: UnitOfWork, principal: Principal, statement_ids: Sequence[int], *, file_format: str, columns: Sequence[str]
) -> CompPayrollExport:
    """Mark approved statements as sent to payroll in one export batch (the file itself is
    built by ``payroll.render`` from the same statements)."""
    require(principal, "comp.payroll")
    s = uow.session
    rows = list(s.scalars(select(CompStatement).where(CompStatement.id.in_(list(statement_ids))).with_for_update()))
    if not rows:
        raise ValueError("no approved statement to send to payroll")
    wrong = [r.id for r in rows if r.status != "approved"]
    if wrong:
        raise ValueError(f"statements {wrong[:5]} are not approved-and-unsent; only approved statements go to payroll")
    periods = sorted({r.period_label for r in rows})
    export = CompPayrollExport(
        created_by_name=uow.actor.name,
        file_format=file_format,
        columns=list(columns),
        period_label=periods[0] if len(periods) == 1 else None,
        statement_count=len(rows),
        total=sum((Decimal(r.total) for r in rows), ZERO),
        status="sent",
    )
    s.add(export)
    s.flush()
    for r in rows:
        r.status = "sent"
        r.payroll_export_id = export.id
    record(
        s,
        uow.actor,
        "comp_payroll.send",
        "comp_payroll_export",
        export.id,
        after={"statements": len(rows), "total": export.total, "periods": periods, "columns": list(columns)},
    )
    return export


def mark_paid(uow: UnitOfWork, principal: Principal, export_id: int) -> CompPayrollExport:
    require(principal, "comp.payroll")
    s = uow.session
    export = s.scalars(select(CompPayrollExport).where(CompPayrollExport.id == export_id).with_for_update()).first()
    if export is None:
        raise NotFound(f"no payroll export #{export_id}")
    if export.status == "paid":
        return export
    export.status = "paid"
    export.paid_at = utcnow()
    export.paid_by_name = uow.actor.name
    s.execute(update(CompStatement).where(CompStatement.payroll_export_id == export.id).values(status="paid"))
    record(
        s,
        uow.actor,
        "comp_payroll.paid",
        "comp_payroll_export",
        export.id,
        before={"status": "sent"},
        after={"status": "paid", "total": export.total},
    )
    return export


# --- crediting inputs compensation owns ------------------------------------------------------------------------


def set_exchange_rate(
    uow: UnitOfWork, principal: Principal, period_label: str, currency: str, rate: Decimal | str
) -> CompExchangeRate:
    require(principal, "comp.facts")
    s = uow.session
    period = calendar(s).parse(period_label)
    value = _d(rate, "rate")
    currency = currency.strip().upper()
    if len(currency) != 3 or value <= 0:
        raise ValueError("an exchange rate needs an ISO currency code and a rate above zero")
    if currency == company_currency(s):
        raise ValueError(f"{currency} is the company currency; it needs no rate")
    row = s.scalars(
        select(CompExchangeRate).where(
            CompExchangeRate.period_label == period.label, CompExchangeRate.currency == currency
        )
    ).first()
    before = snapshot(row) if row else None
    if row is None:
        row = CompExchangeRate(period_label=period.label, currency=currency, rate=value)
        s.add(row)
    else:
        row.rate = value
    s.flush()
    record(s, uow.actor, "comp_fx.set", "comp_exchange_rate", row.id, before=before, after=snapshot(row))
    return row


def _order_exists(s: Session, order_id: int) -> None:
    if s.scalar(select(facts.orders.c.id).where(facts.orders.c.id == order_id)) is None:
        raise NotFound(f"no order #{order_id}")


def set_splits(
    uow: UnitOfWork, principal: Principal, order_id: int, shares: Sequence[tuple[int, Decimal | str]]
) -> list[CompCreditSplit]:
    """Replace an order's credit splits (shares must sum to 100%; an empty list removes them)."""
    require(principal, "comp.facts")
    s = uow.session
    _order_exists(s, order_id)
    parsed = [(pid, _d(share, "share")) for pid, share in shares]
    if parsed and sum((x for _, x in parsed), Decimal(0)) != 1:
        raise ValueError("split shares must sum to exactly 100%")
    if any(x < 0 or x > 1 for _, x in parsed):
        raise ValueError("each share must be between 0% and 100%")
    for pid, _ in parsed:
        _person(s, pid)
    before = [
        [r.person_id, str(r.share)]
        for r in s.scalars(select(CompCreditSplit).where(CompCreditSplit.order_id == order_id))
    ]
    s.execute(delete(CompCreditSplit).where(CompCreditSplit.order_id == order_id))
    rows = [CompCreditSplit(order_id=order_id, seq=i, person_id=pid, share=x) for i, (pid, x) in enumerate(parsed)]
    s.add_all(rows)
    s.flush()
    record(
        s,
        uow.actor,
        "comp_split.set",
        "order",
        order_id,
        before={"splits": before},
        after={"splits": [[pid, str(x)] for pid, x in parsed]},
    )
    return rows


def set_credit_note(
    uow: UnitOfWork, principal: Principal, order_id: int, amount: Decimal | str, issued_on: date, reason: str
) -> CompCreditNote:
    require(principal, "comp.facts")
    s = uow.session
    _order_exists(s, order_id)
    value = _money(amount, "amount")
    if value <= 0:
        raise ValueError("a credit note reduces an order: its amount must be above zero")
    row = CompCreditNote(
        order_id=order_id, amount=value, issued_on=issued_on, reason=reason, created_by_name=uow.actor.name
    )
    s.add(row)
    s.flush()
    record(s, uow.actor, "comp_credit_note.add", "order", order_id, after=snapshot(row), reason=reason)
    return row


def set_project_members(
    uow: UnitOfWork, principal: Principal, order_id: int, members: Sequence[tuple[int, str]]
) -> list[CompProjectMember]:
    require(principal, "comp.facts")
    s = uow.session
    _order_exists(s, order_id)
    s.execute(delete(CompProjectMember).where(CompProjectMember.order_id == order_id))
    rows = [CompProjectMember(order_id=order_id, person_id=pid, role=role) for pid, role in members]
    s.add_all(rows)
    s.flush()
    record(s, uow.actor, "comp_members.set", "order", order_id, after={"members": [list(m) for m in members]})
    return rows


def set_pay_profile(
    uow: UnitOfWork, principal: Principal, person_id: int, monthly_base: Decimal | str, effective_from: date
) -> CompPayProfile:
    require(principal, "comp.configure")
    s = uow.session
    _person(s, person_id)
    value = _money(monthly_base, "monthly_base")
    if value < 0:
        raise ValueError("a base salary must not be negative")
    row = s.scalars(
        select(CompPayProfile).where(
            CompPayProfile.person_id == person_id, CompPayProfile.effective_from == effective_from
        )
    ).first()
    before = snapshot(row) if row else None
    if row is None:
        row = CompPayProfile(person_id=person_id, monthly_base=value, effective_from=effective_from)
        s.add(row)
    else:
        row.monthly_base = value
    s.flush()
    record(s, uow.actor, "comp_pay.set", "person", person_id, before=before, after=snapshot(row))
    return row


def set_draw(
    uow: UnitOfWork,
    principal: Principal,
    person_id: int,
    amount: Decimal | str,
    *,
    recoverable: bool,
    start: date,
    end: date | None = None,
    opening_balance: Decimal | str = "0",
) -> CompDraw:
    require(principal, "comp.configure")
    s = uow.session
    _person(s, person_id)
    row = CompDraw(
        person_id=person_id,
        amount=_money(amount, "amount"),
        recoverable=recoverable,
        start=start,
        end=end,
        opening_balance=_money(opening_balance, "opening_balance"),
    )
    s.add(row)
    s.flush()
    record(s, uow.actor, "comp_draw.add", "person", person_id, after=snapshot(row))
    return row


def plan_text(row: CompPlanVersion, fmt: str = "yaml") -> str:
    """A stored version as YAML or JSON text (the parsed form, normalised)."""
    plan = plan_of(row)
    return plan_yaml(plan) if fmt == "yaml" else plan_json(plan)
