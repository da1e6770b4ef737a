"""Targets use cases: decompose a plan, edit it, take bottom-up commitments, approve and
activate it, review it monthly, keep the holiday calendar and the metric/CSI weights, and
run OKRs. Each one is load → pure rules → save inside the caller's unit of work, with an
audit entry (and, for targets, a version row) per change; nothing here commits.

Why the metric engine is passed in: history for seasonal splits, last year's shares,
territory potential, run-rates for the SMART check and actuals for the monthly review are
set-based reads (``batch``) on an Ibis backend the shell opened on the same store. The
services work without one (``con=None``): the data-driven parts then fall back and say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from chanli.core.audit import record, snapshot
from chanli.core.auth import Forbidden, Principal, require
from chanli.core.db import UnitOfWork, utcnow
from chanli.core.issues import Issue, Issues, Severity, ValidationFailed
from chanli.core.periods import Grain, Period
from chanli.org import NotFound as OrgNotFound
from chanli.targets import batch, queries, rules
from chanli.targets.holidays import cn_holidays
from chanli.targets.model import (
    COMPANY,
    METRICS,
    SEASON_EMPHASIS,
    AdjustmentKind,
    AdjustmentState,
    DecompositionMethod,
    KeyResultDraft,
    KeyResultKind,
    MetricDef,
    ObjectiveDraft,
    OkrLayer,
    OwnerKind,
    OwnerRef,
    OwnerSpec,
    PlanRequest,
    PlanShape,
    TargetSource,
    TargetStatus,
    metric,
    parse_owner,
)
from chanli.targets.queries import OrgSnapshot, org_snapshot, owner_in_scope, shape_of, target_value
from chanli.targets.tables import (
    AdjustmentRequest,
    CsiWeight,
    Holiday,
    KeyResult,
    KeyResultCheckIn,
    MetricWeight,
    MetricWeightBound,
    Objective,
    Target,
    TargetChange,
    TargetPlan,
)

__all__ = [
    "NotFound",
    "PlanPreview",
    "add_key_result",
    "build_plan",
    "check_in",
    "create_objective",
    "create_plan",
    "decide_adjustment",
    "delete_holiday",
    "enter_bottom_up",
    "link_objective",
    "propose_reweight",
    "review_plan",
    "seed_holidays",
    "set_csi_weights",
    "set_holiday",
    "set_metric_weights",
    "set_weight_bounds",
    "transition_plan",
    "update_cell",
    "update_objective",
]

PERIOD_METHODS = (DecompositionMethod.EQUAL, DecompositionMethod.SEASONAL, DecompositionMethod.WORKING_DAYS)
OWNER_METHODS = (
    DecompositionMethod.EQUAL,
    DecompositionMethod.CAPACITY,
    DecompositionMethod.LAST_YEAR,
    DecompositionMethod.POTENTIAL,
)


class NotFound(OrgNotFound):
    """A plan, target, adjustment or objective that does not exist or is outside the caller's
    scope (HTTP 404). A subclass of ``org.NotFound`` so the one API error mapping covers it."""


def _ensure_scope(principal: Principal, org: OrgSnapshot, owner: OwnerRef, action: str) -> None:
    if not owner_in_scope(principal, org, owner):
        raise Forbidden(f"may not {action} for {owner} ({org.name(owner)}): it is outside your part of the org")


def _owner_columns(owner: OwnerRef) -> dict[str, Any]:
    return {
        "owner_key": str(owner),
        "owner_kind": owner.kind.value,
        "team_id": owner.id if owner.kind is OwnerKind.TEAM else None,
        "person_id": owner.id if owner.kind is OwnerKind.PERSON else None,
    }


def _value_columns(m: MetricDef, value: Decimal) -> dict[str, Decimal | None]:
    if m.unit.value == "money":
        return {"value_money": value, "value_number": None}
    return {"value_money": None, "value_number": value}


def _dec(value: Decimal) -> str:
    return format(value, "f")


# --- building a plan -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanPreview:
    """A decomposition before (or after) it is saved: the grid, the notes on fallbacks and
    the SMART warnings of every cell."""

    request: PlanRequest
    metric: MetricDef
    shape: PlanShape
    grid: rules.Grid
    names: dict[OwnerRef, str]
    notes: tuple[Issue, ...]
    smart: dict[tuple[OwnerRef, int], list[Issue]] = field(default_factory=dict)
    plan_id: int | None = None

    @property
    def period(self) -> Period:
        return self.shape.periods[0]


def _history(
    con: BaseBackend | None, m: MetricDef, owner: OwnerRef, period: Period, years: int, org: OrgSnapshot
) -> dict[date, Decimal]:
    if con is None or not m.additive or m.code not in batch.METRIC_EXPRESSIONS:
        return {}
    start = date(period.start.year - years, period.start.month, 1)
    closure = batch.closure_table(org.closure_pairs([owner]))
    return {
        c.period: c.num for c in batch.metric_cells(con, m.code, start, period.start, closure) if c.owner == str(owner)
    }


def _same_period_last_year(period: Period) -> Period:
    def back(d: date) -> date:
        try:
            return d.replace(year=d.year - 1)
        except ValueError:  # 29 February
            return d.replace(year=d.year - 1, day=28)

    return Period(back(period.start), back(period.end), period.grain, f"{period.label}-1y")


def _owner_specs(
    s: Session,
    con: BaseBackend | None,
    m: MetricDef,
    shape: PlanShape,
    org: OrgSnapshot,
    period: Period,
    method: DecompositionMethod,
) -> dict[OwnerRef, OwnerSpec]:
    last_year: dict[str, Decimal] = {}
    potential: dict[str, Decimal] = {}
    if con is not None and method is DecompositionMethod.LAST_YEAR and m.code in batch.METRIC_EXPRESSIONS:
        ly = _same_period_last_year(period)
        got = queries.actuals(s, con, m.code, ly.start, ly.end, list(shape.owners), org)
        last_year = {k: (a.value or Decimal(0)) for k, a in got.items()}
    if con is not None and method is DecompositionMethod.POTENTIAL:
        potential = batch.account_potential(con, batch.closure_table(org.closure_pairs(shape.owners)))
    specs = {}
    for o in shape.owners:
        person = org.people.get(o.id or 0) if o.kind is OwnerKind.PERSON else None
        headcount = 1 if person else max(len(org.reps_under(o)), 0)
        specs[o] = OwnerSpec(
            o,
            org.name(o),
            person.tier if person else None,
            person.hire_date if person else None,
            headcount,
            last_year.get(str(o), Decimal(0)),
            potential.get(str(o), Decimal(0)),
        )
    return specs


def _capacity(o: OwnerRef, shape: PlanShape, specs: Mapping[OwnerRef, OwnerSpec], as_of: date) -> Decimal:
    """A person's capacity, or a team's: the sum of its reps' (so a team of new hires weighs
    less than a team of the same size of elites)."""
    if o.kind is OwnerKind.PERSON:
        return rules.capacity_weight(specs[o], as_of)
    return sum(
        (rules.capacity_weight(specs[d], as_of) for d in shape.descendants(o) if d.kind is OwnerKind.PERSON), Decimal(0)
    )


def build_plan(s: Session, principal: Principal, request: PlanRequest, con: BaseBackend | None = None) -> PlanPreview:
    """Decompose ``request`` into a grid without saving it (the CLI's preview, the planner's
    "try these methods")."""
    require(principal, "targets.plan")
    org = org_snapshot(s)
    m = metric(request.metric_code)
    owner = org.normalize(request.owner)
    if not org.exists(owner):
        raise NotFound(f"owner {owner} does not exist")
    _ensure_scope(principal, org, owner, "targets.plan")
    if request.value < 0:
        raise ValueError("a target cannot be negative")
    if request.period_method not in PERIOD_METHODS:
        raise ValueError(
            f"{request.period_method.value} is not a way to split over periods "
            f"(use {', '.join(x.value for x in PERIOD_METHODS)})"
        )
    if request.owner_method not in OWNER_METHODS:
        raise ValueError(
            f"{request.owner_method.value} is not a way to split among owners "
            f"(use {', '.join(x.value for x in OWNER_METHODS)})"
        )
    cal = queries.calendar(s)
    period = cal.parse(request.period_label)
    grains = [Grain(g) for g in request.grains]
    periods, parents = rules.period_tree(cal, period, grains)
    owners, owner_parent = org.subtree(owner)
    shape = PlanShape(periods, parents, tuple(owners), owner_parent)
    notes: list[Issue] = []

    history = (
        _history(con, m, owner, period, request.history_years, org)
        if request.period_method is DecompositionMethod.SEASONAL
        else {}
    )
    work = (
        queries.is_working_day_for(s, period.start, period.end)
        if request.period_method is DecompositionMethod.WORKING_DAYS
        else None
    )
    period_w: dict[int, list[Decimal]] = {}
    for i in range(len(periods)):
        kids = shape.period_children(i)
        if kids:
            w, n = rules.period_weights(
                [periods[k] for k in kids], request.period_method, history=history, is_working_day=work
            )
            period_w[i] = w
            notes.extend(x for x in n if x.code not in {y.code for y in notes})

    specs = _owner_specs(s, con, m, shape, org, period, request.owner_method)
    owner_w: dict[OwnerRef, list[Decimal]] = {}
    for o in shape.owners:
        kids = shape.owner_children(o)
        if not kids:
            continue
        if request.owner_method is DecompositionMethod.CAPACITY:
            owner_w[o] = [_capacity(k, shape, specs, period.start) for k in kids]
        else:
            w, n = rules.owner_weights([specs[k] for k in kids], request.owner_method, as_of=period.start)
            owner_w[o] = w
            notes.extend(Issue(x.code, f"{org.name(o)}: {x.message}", x.severity) for x in n)
    grid = rules.build_grid(m, request.value, shape, period_w, owner_w)
    names = {o: org.name(o) for o in shape.owners}
    smart = _smart(s, con, m, shape, grid, org, linked_root=False)
    return PlanPreview(request, m, shape, grid, names, tuple(notes), smart)


def _smart(
    s: Session,
    con: BaseBackend | None,
    m: MetricDef,
    shape: PlanShape,
    grid: Mapping[tuple[OwnerRef, int], Decimal],
    org: OrgSnapshot,
    *,
    linked_root: bool,
    band: tuple[Decimal, Decimal] = (Decimal("0.8"), Decimal("1.5")),
) -> dict[tuple[OwnerRef, int], list[Issue]]:
    """SMART-check every cell: run-rate from the owner's trailing twelve months (one engine
    query for all owners), peers = reps of the same tier, or sibling teams, in the same period."""
    period = shape.periods[0]
    trailing_start = date(period.start.year - 1, period.start.month, 1)
    trailing_days = (period.start - trailing_start).days
    trailing: dict[str, queries.Actual] = {}
    data_known = con is not None and m.code in batch.METRIC_EXPRESSIONS
    if data_known and con is not None:
        trailing = queries.actuals(s, con, m.code, trailing_start, period.start, list(shape.owners), org)
    groups: dict[tuple[str, str | None], list[OwnerRef]] = {}
    for o in shape.owners:
        if o.kind is OwnerKind.PERSON:
            key = ("tier", org.people[o.id or 0].tier)
        else:
            parent = shape.owner_parent.get(o)
            key = ("siblings", str(parent) if parent else None)
        groups.setdefault(key, []).append(o)
    peers_of = {o: g for g in groups.values() for o in g}
    out: dict[tuple[OwnerRef, int], list[Issue]] = {}
    for i, p in enumerate(shape.periods):
        medians: dict[int, Decimal | None] = {}
        for o in shape.owners:
            value = grid[(o, i)]
            act = trailing.get(str(o))
            has_data = (not data_known) or (act is not None and act.den > 0)
            rate = (
                rules.run_rate(m, act.num, act.den, trailing_days, p.days)
                if (act is not None and act.den > 0)
                else None
            )
            peers = peers_of[o]
            if len(peers) >= 3:
                gid = id(peers)
                if gid not in medians:
                    medians[gid] = rules.median([grid[(x, i)] for x in peers])
                peer = medians[gid]
            else:
                peer = None
            linked = shape.owner_parent.get(o) is not None or shape.period_parent[i] is not None or linked_root
            issues = rules.smart_check(
                metric_code=m.code,
                metric=m,
                owner=o,
                period=p,
                value=value,
                has_data=has_data,
                run_rate=rate,
                peer_median=peer,
                linked=linked,
                band=band,
            )
            if issues:
                out[(o, i)] = list(issues)
    return out


def _issue_dicts(issues: Sequence[Issue]) -> list[dict[str, Any]]:
    return [{"code": i.code, "severity": i.severity.value, "message": i.message} for i in issues]


def create_plan(
    uow: UnitOfWork, principal: Principal, request: PlanRequest, con: BaseBackend | None = None
) -> PlanPreview:
    """Decompose and save a draft plan with every cell, its SMART warnings and a version row."""
    s = uow.session
    preview = build_plan(s, principal, request, con)
    m, shape = preview.metric, preview.shape
    period = preview.period
    root = shape.root
    plan = TargetPlan(
        name=request.name or f"{m.label_zh} {period.label}",
        metric_code=m.code,
        period_label=period.label,
        period_start=period.start,
        period_end=period.end,
        grains=",".join(request.grains),
        period_method=request.period_method.value,
        owner_method=request.owner_method.value,
        status=TargetStatus.DRAFT.value,
        version=1,
        notes=_issue_dicts(preview.notes),
        created_by_id=uow.actor.user_id,
        created_by_name=uow.actor.name,
        **_owner_columns(root),
        **_value_columns(m, preview.grid[(root, 0)]),
    )
    s.add(plan)
    s.flush()
    rows = _insert_cells(s, plan, preview)
    s.add(
        TargetChange(
            plan_id=plan.id,
            version=1,
            action="plan.create",
            after=_plan_summary(plan, len(rows)),
            reason=None,
            actor_id=uow.actor.user_id,
            actor_name=uow.actor.name,
        )
    )
    record(s, uow.actor, "target_plan.create", "target_plan", plan.id, after=_plan_summary(plan, len(rows)))
    return PlanPreview(preview.request, m, shape, preview.grid, preview.names, preview.notes, preview.smart, plan.id)


def _plan_summary(plan: TargetPlan, cells: int | None = None) -> dict[str, Any]:
    out = snapshot(
        plan,
        [
            "name",
            "metric_code",
            "period_label",
            "owner_key",
            "value_money",
            "value_number",
            "period_method",
            "owner_method",
            "grains",
            "status",
            "version",
        ],
    )
    if cells is not None:
        out["cells"] = cells
    return out


def _insert_cells(s: Session, plan: TargetPlan, preview: PlanPreview) -> dict[tuple[OwnerRef, int], Target]:
    """Write the cells parents first (one flush per level) so every cell can name its parent."""
    shape, m = preview.shape, preview.metric
    rows: dict[tuple[OwnerRef, int], Target] = {}

    def cell(o: OwnerRef, i: int, parent: Target | None) -> Target:
        p = shape.periods[i]
        return Target(
            plan_id=plan.id,
            metric_code=m.code,
            period_label=p.label,
            period_start=p.start,
            period_end=p.end,
            grain=p.grain.value,
            parent_id=parent.id if parent else None,
            source=TargetSource.TOP_DOWN.value,
            status=plan.status,
            version=1,
            smart=_issue_dicts(preview.smart.get((o, i), [])) or None,
            **_owner_columns(o),
            **_value_columns(m, preview.grid[(o, i)]),
        )

    root = shape.root
    pdepth: list[int] = []
    for parent in shape.period_parent:
        pdepth.append(0 if parent is None else pdepth[parent] + 1)
    for d in range(max(pdepth) + 1):
        wave = []
        for i in range(len(shape.periods)):
            if pdepth[i] == d:
                parent_idx = shape.period_parent[i]
                rows[(root, i)] = cell(root, i, rows[(root, parent_idx)] if parent_idx is not None else None)
                wave.append(rows[(root, i)])
        s.add_all(wave)
        s.flush()
    odepth: dict[OwnerRef, int] = {root: 0}
    for o in shape.owners[1:]:
        parent_owner = shape.owner_parent[o]
        assert parent_owner is not None
        odepth[o] = odepth[parent_owner] + 1
    for d in range(1, max(odepth.values(), default=0) + 1):
        wave = []
        for o in shape.owners:
            if odepth[o] != d:
                continue
            parent_owner = shape.owner_parent[o]
            assert parent_owner is not None
            for i in range(len(shape.periods)):
                rows[(o, i)] = cell(o, i, rows[(parent_owner, i)])
                wave.append(rows[(o, i)])
        s.add_all(wave)
        s.flush()
    return rows


# --- editing, versions -----------------------------------------------------------------------


def _load_plan(s: Session, plan_id: int) -> TargetPlan:
    plan = s.get(TargetPlan, plan_id)
    if plan is None:
        raise NotFound(f"target plan {plan_id} does not exist")
    return plan


def _load_grid(s: Session, plan: TargetPlan) -> tuple[PlanShape, dict[tuple[OwnerRef, int], Target], rules.Grid]:
    shape, by_cell = shape_of(queries.load_cells(s, plan.id))
    return shape, by_cell, {k: target_value(v) for k, v in by_cell.items()}


def _write_changes(
    uow: UnitOfWork,
    plan: TargetPlan,
    by_cell: Mapping[tuple[OwnerRef, int], Target],
    old: rules.Grid,
    new: rules.Grid,
    *,
    action: str,
    reason: str | None,
) -> list[int]:
    """Persist the cells that changed: new value, version + 1, one version row each, one
    audit entry for the whole operation; the plan's version moves once."""
    s = uow.session
    m = metric(plan.metric_code)
    changed = [k for k in new if new[k] != old[k]]
    if not changed:
        return []
    plan.version += 1
    lines = []
    for k in changed:
        t = by_cell[k]
        before = {"value": _dec(old[k]), "version": t.version}
        for col, v in _value_columns(m, new[k]).items():
            setattr(t, col, v)
        t.version += 1
        after = {"value": _dec(new[k]), "version": t.version}
        s.add(
            TargetChange(
                plan_id=plan.id,
                target_id=t.id,
                version=t.version,
                action=action,
                before=before,
                after=after,
                reason=reason,
                actor_id=uow.actor.user_id,
                actor_name=uow.actor.name,
            )
        )
        lines.append(
            {
                "target_id": t.id,
                "owner": t.owner_key,
                "period": t.period_label,
                "before": before["value"],
                "after": after["value"],
            }
        )
    root_key = (next(iter(by_cell))[0], 0)
    if root_key in changed:
        for col, v in _value_columns(m, new[root_key]).items():
            setattr(plan, col, v)
    record(
        s,
        uow.actor,
        action,
        "target_plan",
        plan.id,
        before={"version": plan.version - 1},
        after={"version": plan.version, "changes": lines},
        reason=reason,
    )
    return [by_cell[k].id for k in changed]


def _refresh_smart(
    s: Session,
    con: BaseBackend | None,
    plan: TargetPlan,
    shape: PlanShape,
    by_cell: Mapping[tuple[OwnerRef, int], Target],
    grid: rules.Grid,
    org: OrgSnapshot,
) -> None:
    linked_root = by_cell[(shape.root, 0)].objective_id is not None
    smart = _smart(s, con, metric(plan.metric_code), shape, grid, org, linked_root=linked_root)
    for k, t in by_cell.items():
        new = _issue_dicts(smart.get(k, [])) or None
        if (t.smart or None) != new:
            t.smart = new


def update_cell(
    uow: UnitOfWork,
    principal: Principal,
    target_id: int,
    value: Decimal,
    *,
    reason: str | None = None,
    con: BaseBackend | None = None,
) -> list[int]:
    """Edit one cell of a draft plan (the planner's inline edit). What contains it stays
    fixed and both margins stay exact (``rules.edit_cell``); returns the ids that changed."""
    require(principal, "targets.plan")
    s = uow.session
    t = s.get(Target, target_id)
    if t is None or t.source != TargetSource.TOP_DOWN.value:
        raise NotFound(f"target {target_id} does not exist")
    org = org_snapshot(s)
    owner = parse_owner(t.owner_key)
    if not owner_in_scope(principal, org, owner):
        raise NotFound(f"target {target_id} does not exist")
    plan = _load_plan(s, t.plan_id)
    if plan.status != TargetStatus.DRAFT.value:
        raise ValueError(f"plan {plan.id} is {plan.status}: change it through a monthly review, not cell by cell")
    shape, by_cell, grid = _load_grid(s, plan)
    index = shape.index_of(Period(t.period_start, t.period_end, Grain(t.grain), t.period_label))
    parent = shape.owner_parent.get(owner)
    if parent is not None:
        _ensure_scope(principal, org, parent, "rebalance the targets under")
    new = rules.edit_cell(metric(plan.metric_code), shape, grid, owner, index, value)
    ids = _write_changes(uow, plan, by_cell, grid, new, action="target.edit", reason=reason)
    if ids:
        _refresh_smart(s, con, plan, shape, by_cell, new, org)
    return ids


def transition_plan(
    uow: UnitOfWork, principal: Principal, plan_id: int, to: TargetStatus, *, reason: str | None = None
) -> TargetPlan:
    """Move a plan along draft → approved → active → closed (or send an approved plan back
    to draft). Approval refuses a plan whose grid breaks an invariant; activation closes any
    other active plan for the same metric, period and owner (it is superseded)."""
    require(principal, "targets.approve")
    s = uow.session
    plan = _load_plan(s, plan_id)
    current = TargetStatus(plan.status)
    if to not in current.next_states:
        allowed = ", ".join(x.value for x in current.next_states) or "nothing (it is closed)"
        raise ValueError(f"plan {plan_id} is {current.value}: it can move to {allowed}, not {to.value}")
    if to is TargetStatus.APPROVED:
        shape, _, grid = _load_grid(s, plan)
        issues = rules.grid_issues(metric(plan.metric_code), shape, grid)
        if issues.has_errors():
            raise ValidationFailed(issues.errors, f"plan {plan_id} cannot be approved: {issues.errors[0].message}")
    superseded = []
    if to is TargetStatus.ACTIVE:
        others = s.scalars(
            select(TargetPlan).where(
                TargetPlan.id != plan.id,
                TargetPlan.status == TargetStatus.ACTIVE.value,
                TargetPlan.metric_code == plan.metric_code,
                TargetPlan.owner_key == plan.owner_key,
                TargetPlan.period_start == plan.period_start,
                TargetPlan.period_end == plan.period_end,
            )
        )
        for other in others:
            _set_status(uow, other, TargetStatus.CLOSED, f"superseded by plan {plan.id}")
            superseded.append(other.id)
    _set_status(uow, plan, to, reason)
    if to is TargetStatus.APPROVED:
        plan.approved_by_name = uow.actor.name
    return plan


def _set_status(uow: UnitOfWork, plan: TargetPlan, to: TargetStatus, reason: str | None) -> None:
    s = uow.session
    before = _plan_summary(plan)
    now = utcnow()
    plan.status = to.value
    plan.version += 1
    if to is TargetStatus.APPROVED:
        plan.approved_at = now
    elif to is TargetStatus.ACTIVE:
        plan.activated_at = now
    elif to is TargetStatus.CLOSED:
        plan.closed_at = now
    s.execute(update(Target).where(Target.plan_id == plan.id).values(status=to.value))
    s.add(
        TargetChange(
            plan_id=plan.id,
            version=plan.version,
            action=f"plan.{to.value}",
            before={"status": before["status"]},
            after={"status": to.value},
            reason=reason,
            actor_id=uow.actor.user_id,
            actor_name=uow.actor.name,
        )
    )
    record(
        s,
        uow.actor,
        f"target_plan.{to.value}",
        "target_plan",
        plan.id,
        before=before,
        after=_plan_summary(plan),
        reason=reason,
    )


# --- bottom-up -------------------------------------------------------------------------------


def enter_bottom_up(
    uow: UnitOfWork,
    principal: Principal,
    plan_id: int,
    entries: Sequence[tuple[OwnerRef, str, Decimal]],
    *,
    reason: str | None = None,
) -> int:
    """Record owners' own commitments (owner, period label, value) beside the top-down plan,
    so ``queries.plan_gaps`` can show the gap at every level. Returns the cells written."""
    require(principal, "targets.plan")
    s = uow.session
    plan = _load_plan(s, plan_id)
    if plan.status == TargetStatus.CLOSED.value:
        raise ValueError(f"plan {plan_id} is closed")
    m = metric(plan.metric_code)
    org = org_snapshot(s)
    shape, by_cell, _ = _load_grid(s, plan)
    labels = {p.label: i for i, p in enumerate(shape.periods)}
    issues = Issues()
    for row, (owner, label, value) in enumerate(entries, start=1):
        owner = org.normalize(owner)
        if owner not in shape.owner_parent:
            issues.error("bottom_up.owner", f"{owner} is not an owner in plan {plan_id}", row=row, value=str(owner))
        elif not owner_in_scope(principal, org, owner):
            issues.error("bottom_up.scope", f"{owner} is outside your part of the org", row=row, value=str(owner))
        if label not in labels:
            issues.error("bottom_up.period", f"{label} is not a period of plan {plan_id}", row=row, value=label)
        if value < 0:
            issues.error("bottom_up.negative", "a target cannot be negative", row=row, value=str(value))
        elif m.additive and value != value.quantize(m.unit.quantum):
            issues.error(
                "bottom_up.quantum", f"{m.label_en} is set in steps of {m.unit.quantum}", row=row, value=str(value)
            )
    if issues.has_errors():
        raise ValidationFailed(issues)
    existing = {
        (t.owner_key, t.period_start, t.period_end): t for t in queries.load_cells(s, plan_id, TargetSource.BOTTOM_UP)
    }
    written = 0
    lines = []
    for owner, label, value in entries:
        owner = org.normalize(owner)
        i = labels[label]
        p = shape.periods[i]
        t = existing.get((str(owner), p.start, p.end))
        before = None
        if t is None:
            t = Target(
                plan_id=plan.id,
                metric_code=m.code,
                period_label=p.label,
                period_start=p.start,
                period_end=p.end,
                grain=p.grain.value,
                parent_id=by_cell[(owner, i)].id,
                source=TargetSource.BOTTOM_UP.value,
                status=plan.status,
                version=1,
                **_owner_columns(owner),
                **_value_columns(m, value),
            )
            s.add(t)
            s.flush()
            existing[(str(owner), p.start, p.end)] = t
        else:
            before = {"value": _dec(target_value(t)), "version": t.version}
            if target_value(t) == value:
                continue
            for col, v in _value_columns(m, value).items():
                setattr(t, col, v)
            t.version += 1
        after = {"value": _dec(value), "version": t.version}
        s.add(
            TargetChange(
                plan_id=plan.id,
                target_id=t.id,
                version=t.version,
                action="target.bottom_up",
                before=before,
                after=after,
                reason=reason,
                actor_id=uow.actor.user_id,
                actor_name=uow.actor.name,
            )
        )
        lines.append(
            {"owner": str(owner), "period": label, "before": before and before["value"], "after": after["value"]}
        )
        written += 1
    if written:
        record(s, uow.actor, "target.bottom_up", "target_plan", plan.id, after={"entries": lines}, reason=reason)
    return written


# --- monthly review --------------------------------------------------------------------------


def _leaf_actuals(
    s: Session,
    con: BaseBackend,
    m: MetricDef,
    shape: PlanShape,
    owner: OwnerRef,
    leaves: Sequence[int],
    org: OrgSnapshot,
) -> dict[int, Decimal]:
    out = {}
    for leaf in leaves:
        p = shape.periods[leaf]
        got = queries.actuals(s, con, m.code, p.start, p.end, [owner], org).get(str(owner))
        out[leaf] = got.value if got is not None and got.value is not None else Decimal(0)
    return out


def review_plan(
    uow: UnitOfWork,
    principal: Principal,
    plan_id: int,
    con: BaseBackend,
    *,
    as_of: date,
    owner: OwnerRef | None = None,
    reason: str | None = None,
) -> AdjustmentRequest:
    """The monthly review: propose moving the shortfall (or surplus) of the closed periods
    into the remaining ones for ``owner`` (default: the plan's owner), keeping their total.
    Nothing changes until a manager accepts it (``decide_adjustment``)."""
    require(principal, "targets.plan")
    s = uow.session
    plan = _load_plan(s, plan_id)
    if plan.status not in (TargetStatus.APPROVED.value, TargetStatus.ACTIVE.value):
        raise ValueError(f"plan {plan_id} is {plan.status}: only approved or active plans are reviewed")
    m = metric(plan.metric_code)
    org = org_snapshot(s)
    shape, by_cell, grid = _load_grid(s, plan)
    owner = org.normalize(owner) if owner is not None else shape.root
    if owner not in shape.owner_parent:
        raise NotFound(f"{owner} is not an owner in plan {plan_id}")
    _ensure_scope(principal, org, owner, "targets.plan")
    leaves = shape.leaves
    cutoff = as_of + timedelta(days=1)
    closed = sum(1 for leaf in leaves if shape.periods[leaf].end <= cutoff)
    if closed == 0:
        raise ValueError(f"no period of plan {plan_id} has closed by {as_of}: nothing to review yet")
    if closed == len(leaves):
        raise ValueError(f"every period of plan {plan_id} has closed by {as_of}: nothing left to adjust")
    acts = _leaf_actuals(s, con, m, shape, owner, leaves[:closed], org)
    proposed = rules.redistribute_leaves(m, shape, grid, owner, acts, closed)
    cells = [
        {
            "period": shape.periods[leaf].label,
            "target_id": by_cell[(owner, leaf)].id,
            "closed": n < closed,
            "actual": _dec(acts[leaf]) if leaf in acts else None,
            "current": _dec(grid[(owner, leaf)]),
            "proposed": _dec(proposed[leaf]),
        }
        for n, leaf in enumerate(leaves)
    ]
    gap = sum((grid[(owner, leaf)] - acts[leaf] for leaf in leaves[:closed]), Decimal(0))
    doc = {"metric": m.code, "owner": str(owner), "closed": closed, "gap": _dec(gap), "cells": cells}
    req = AdjustmentRequest(
        kind=AdjustmentKind.REDISTRIBUTE.value,
        plan_id=plan.id,
        as_of=as_of,
        proposed=doc,
        reason=reason
        or (
            f"shortfall of {_dec(gap)} over {closed} closed period(s)"
            if gap > 0
            else f"surplus of {_dec(-gap)} over {closed} closed period(s)"
        ),
        state=AdjustmentState.PROPOSED.value,
        requested_by_id=uow.actor.user_id,
        requested_by_name=uow.actor.name,
        **_adjustment_owner(owner),
    )
    s.add(req)
    s.flush()
    record(s, uow.actor, "target_adjustment.propose", "target_adjustment", req.id, after=doc, reason=req.reason)
    return req


def _adjustment_owner(owner: OwnerRef) -> dict[str, Any]:
    cols = _owner_columns(owner)
    return {"owner_key": cols["owner_key"], "team_id": cols["team_id"], "person_id": cols["person_id"]}


def propose_reweight(
    uow: UnitOfWork,
    principal: Principal,
    *,
    owner: OwnerRef,
    month: date,
    emphasis: Mapping[str, Decimal] | None = None,
    season: str | None = None,
    as_of: date | None = None,
    reason: str | None = None,
) -> AdjustmentRequest:
    """Propose the metric weights of ``owner`` (company or team) for ``month``: the set in
    force, multiplied by the season's emphasis (promo: new customers; off-season: depth
    with existing customers) or an explicit one, renormalised and clipped to HQ's bounds."""
    require(principal, "targets.plan")
    s = uow.session
    org = org_snapshot(s)
    owner = org.normalize(owner)
    if owner.kind is OwnerKind.PERSON or not org.exists(owner):
        raise NotFound(f"{owner} is not a team")
    _ensure_scope(principal, org, owner, "targets.plan")
    if season is not None and season not in SEASON_EMPHASIS:
        raise ValueError(f"unknown season {season!r}; use {', '.join(SEASON_EMPHASIS)}")
    factors = dict(SEASON_EMPHASIS[season]) if season else {}
    factors.update(emphasis or {})
    month = date(month.year, month.month, 1)
    current, source = queries.metric_weights(s, owner, month)
    for code in factors:
        if code not in METRICS:
            raise ValueError(f"unknown metric {code!r}")
        current.setdefault(code, Decimal(0))
    proposed, issues = rules.reweight(current, factors, queries.weight_bounds(s))
    doc = {
        "owner": str(owner),
        "month": month.isoformat(),
        "source": source,
        "season": season,
        "emphasis": {k: _dec(v) for k, v in factors.items()},
        "current": {k: _dec(v) for k, v in current.items()},
        "proposed": {k: _dec(v) for k, v in proposed.items()},
        "warnings": [i.message for i in issues],
    }
    req = AdjustmentRequest(
        kind=AdjustmentKind.REWEIGHT.value,
        plan_id=None,
        as_of=as_of or month,
        month=month,
        proposed=doc,
        reason=reason or (f"{season} weights" if season else "re-weight"),
        state=AdjustmentState.PROPOSED.value,
        requested_by_id=uow.actor.user_id,
        requested_by_name=uow.actor.name,
        **_adjustment_owner(owner),
    )
    s.add(req)
    s.flush()
    record(s, uow.actor, "target_adjustment.propose", "target_adjustment", req.id, after=doc, reason=req.reason)
    return req


def decide_adjustment(
    uow: UnitOfWork,
    principal: Principal,
    adjustment_id: int,
    *,
    accept: bool,
    edits: Mapping[str, Decimal] | None = None,
    note: str | None = None,
    con: BaseBackend | None = None,
) -> AdjustmentRequest:
    """Accept (as proposed, or with ``edits``: period label → value, or metric → weight) or
    reject a proposal. Accepting a redistribution rewrites the cells with new versions; an
    edit must keep the total of the remaining periods, and the plan must not have changed
    since the proposal (review again if it has)."""
    require(principal, "targets.plan")
    s = uow.session
    req = s.get(AdjustmentRequest, adjustment_id)
    org = org_snapshot(s)
    if req is None or not owner_in_scope(principal, org, parse_owner(req.owner_key)):
        raise NotFound(f"adjustment {adjustment_id} does not exist")
    if req.state != AdjustmentState.PROPOSED.value:
        raise ValueError(f"adjustment {adjustment_id} was already {req.state}")
    before = snapshot(req, ["state", "final"])
    if accept:
        if req.kind == AdjustmentKind.REDISTRIBUTE.value:
            req.final = _accept_redistribution(uow, req, edits or {}, note, con, org)
        else:
            req.final = _accept_reweight(uow, req, edits or {})
    req.state = (AdjustmentState.ACCEPTED if accept else AdjustmentState.REJECTED).value
    req.decided_by_id = uow.actor.user_id
    req.decided_by_name = uow.actor.name
    req.decided_at = utcnow()
    req.decision_note = note
    record(
        s,
        uow.actor,
        f"target_adjustment.{req.state}",
        "target_adjustment",
        req.id,
        before=before,
        after=snapshot(req, ["state", "final"]),
        reason=note,
    )
    return req


def _accept_redistribution(
    uow: UnitOfWork,
    req: AdjustmentRequest,
    edits: Mapping[str, Decimal],
    note: str | None,
    con: BaseBackend | None,
    org: OrgSnapshot,
) -> dict[str, Any]:
    s = uow.session
    assert req.plan_id is not None
    plan = _load_plan(s, req.plan_id)
    if plan.status not in (TargetStatus.APPROVED.value, TargetStatus.ACTIVE.value):
        raise ValueError(f"plan {plan.id} is {plan.status}: it no longer takes adjustments")
    m = metric(plan.metric_code)
    shape, by_cell, grid = _load_grid(s, plan)
    owner = parse_owner(req.owner_key)
    label_to_leaf = {shape.periods[leaf].label: leaf for leaf in shape.leaves}
    cells = req.proposed["cells"]
    issues = Issues()
    for c in cells:
        if grid[(owner, label_to_leaf[c["period"]])] != Decimal(c["current"]):
            raise ValueError(f"plan {plan.id} changed since adjustment {req.id} was proposed: review it again")
    open_labels = [c["period"] for c in cells if not c["closed"]]
    for label, value in edits.items():
        if label not in open_labels:
            issues.error("adjustment.period", f"{label} is not an open period of this review", column=label)
        elif value < 0:
            issues.error("adjustment.negative", "a target cannot be negative", column=label, value=str(value))
        elif value != value.quantize(m.unit.quantum):
            issues.error(
                "adjustment.quantum",
                f"{m.label_en} is set in steps of {m.unit.quantum}",
                column=label,
                value=str(value),
            )
    if issues.has_errors():
        raise ValidationFailed(issues)
    final = {c["period"]: Decimal(c["proposed"]) for c in cells if not c["closed"]}
    final.update(edits)
    proposed_total = sum((Decimal(c["proposed"]) for c in cells if not c["closed"]), Decimal(0))
    final_total = sum(final.values(), Decimal(0))
    if final_total != proposed_total:
        raise ValidationFailed(
            [
                Issue(
                    "adjustment.total",
                    f"the remaining periods must still add up to {_dec(proposed_total)}; "
                    f"the edits make {_dec(final_total)}",
                )
            ]
        )
    new = rules.apply_leaf_values(m, shape, grid, owner, {label_to_leaf[k]: v for k, v in final.items()})
    closed = {label_to_leaf[c["period"]] for c in cells if c["closed"]}
    new = rules.hold_closed_periods(shape, grid, new, closed)
    reason = f"monthly review #{req.id}" + (f": {note}" if note else "")
    _write_changes(uow, plan, by_cell, grid, new, action="adjustment.accept", reason=reason)
    _refresh_smart(s, con, plan, shape, by_cell, new, org)
    return {"cells": {k: _dec(v) for k, v in final.items()}, "edited": sorted(edits)}


def _accept_reweight(uow: UnitOfWork, req: AdjustmentRequest, edits: Mapping[str, Decimal]) -> dict[str, Any]:
    weights = {k: Decimal(v) for k, v in req.proposed["proposed"].items()}
    weights.update(edits)
    owner = parse_owner(req.owner_key)
    assert req.month is not None
    _save_weights(uow, owner, req.month, weights, reason=f"re-weight #{req.id}")
    return {"weights": {k: _dec(v) for k, v in weights.items()}, "edited": sorted(edits)}


# --- metric weights, bounds, CSI weights, holidays -------------------------------------------


def _weight_issues(s: Session, weights: Mapping[str, Decimal]) -> Issues:
    issues = Issues()
    bounds = queries.weight_bounds(s)
    for code, w in weights.items():
        if code not in METRICS:
            issues.error("weights.metric", f"unknown metric {code!r}", column=code)
        lo, hi = bounds.get(code, (Decimal(0), Decimal(1)))
        if not lo <= w <= hi:
            issues.error(
                "weights.bounds",
                f"{code} weight {_dec(w)} is outside HQ's bounds {lo.normalize()}–{hi.normalize()}",
                column=code,
                value=_dec(w),
            )
    total = sum(weights.values(), Decimal(0))
    if total != 1:
        issues.error("weights.total", f"weights must add up to exactly 1, not {_dec(total)}")
    return issues


def _save_weights(
    uow: UnitOfWork, owner: OwnerRef, month: date, weights: Mapping[str, Decimal], *, reason: str | None
) -> None:
    s = uow.session
    issues = _weight_issues(s, weights)
    if issues.has_errors():
        raise ValidationFailed(issues)
    month = date(month.year, month.month, 1)
    old = {
        w.metric_code: _dec(w.weight.normalize())
        for w in s.scalars(
            select(MetricWeight).where(MetricWeight.owner_key == str(owner), MetricWeight.month == month)
        )
    }
    s.execute(delete(MetricWeight).where(MetricWeight.owner_key == str(owner), MetricWeight.month == month))
    for code, w in weights.items():
        s.add(
            MetricWeight(
                owner_key=str(owner),
                team_id=owner.id if owner.kind is OwnerKind.TEAM else None,
                month=month,
                metric_code=code,
                weight=w,
            )
        )
    record(
        s,
        uow.actor,
        "metric_weights.set",
        "metric_weights",
        f"{owner}@{month:%Y-%m}",
        before=old or None,
        after={k: _dec(v) for k, v in weights.items()},
        reason=reason,
    )


def set_metric_weights(
    uow: UnitOfWork,
    principal: Principal,
    owner: OwnerRef,
    month: date,
    weights: Mapping[str, Decimal],
    *,
    reason: str | None = None,
) -> None:
    """Set a team's (or the company's) weight set for a month, within HQ's bounds."""
    require(principal, "targets.plan")
    org = org_snapshot(uow.session)
    owner = org.normalize(owner)
    if owner.kind is OwnerKind.PERSON or not org.exists(owner):
        raise NotFound(f"{owner} is not a team")
    _ensure_scope(principal, org, owner, "targets.plan")
    _save_weights(uow, owner, month, weights, reason=reason)


def set_weight_bounds(uow: UnitOfWork, principal: Principal, bounds: Mapping[str, tuple[Decimal, Decimal]]) -> None:
    """HQ sets how far each metric's weight may move in any team's monthly weight set."""
    require(principal, "targets.configure")
    s = uow.session
    issues = Issues()
    for code, (lo, hi) in bounds.items():
        if code not in METRICS:
            issues.error("bounds.metric", f"unknown metric {code!r}", column=code)
        if not Decimal(0) <= lo <= hi <= Decimal(1):
            issues.error("bounds.range", f"{code}: need 0 ≤ lower ≤ upper ≤ 1", column=code)
    if issues.has_errors():
        raise ValidationFailed(issues)
    for code, (lo, hi) in bounds.items():
        row = s.scalars(select(MetricWeightBound).where(MetricWeightBound.metric_code == code)).first()
        before = snapshot(row, ["lower", "upper"]) if row else None
        if row is None:
            row = MetricWeightBound(metric_code=code, lower=lo, upper=hi)
            s.add(row)
        row.lower, row.upper = lo, hi
        s.flush()
        record(
            s,
            uow.actor,
            "metric_weight_bound.set",
            "metric_weight_bound",
            code,
            before=before,
            after={"lower": _dec(lo), "upper": _dec(hi)},
        )


def set_csi_weights(uow: UnitOfWork, principal: Principal, weights: Mapping[str, Decimal]) -> None:
    """Configure the customer success index: the weight of each component."""
    require(principal, "targets.configure")
    s = uow.session
    issues = Issues()
    for k, w in weights.items():
        if k not in queries.CSI_COMPONENTS:
            issues.error("csi.component", f"unknown component {k!r}; use {', '.join(queries.CSI_COMPONENTS)}", column=k)
        if w < 0:
            issues.error("csi.negative", "weights cannot be negative", column=k, value=_dec(w))
    if sum(weights.values(), Decimal(0)) <= 0:
        issues.error("csi.total", "at least one component needs a positive weight")
    if issues.has_errors():
        raise ValidationFailed(issues)
    before = {w.component: _dec(w.weight.normalize()) for w in s.scalars(select(CsiWeight))}
    s.execute(delete(CsiWeight))
    for k, w in weights.items():
        s.add(CsiWeight(component=k, weight=w))
    record(
        s,
        uow.actor,
        "csi_weights.set",
        "csi_weights",
        None,
        before=before or None,
        after={k: _dec(v) for k, v in weights.items()},
    )


def seed_holidays(uow: UnitOfWork, years: Sequence[int] = (2026, 2027)) -> tuple[int, int]:
    """Copy the built-in mainland China calendar for ``years`` into the holiday table
    (created, updated). Days an administrator changed since are overwritten only when the
    built-in row differs; days they added are left alone."""
    s = uow.session
    created = updated = 0
    for h in cn_holidays(tuple(years)):
        row = s.scalars(select(Holiday).where(Holiday.day == h.day)).first()
        if row is None:
            s.add(Holiday(day=h.day, is_workday=h.is_workday, name=h.name, official=h.official))
            created += 1
        elif (row.is_workday, row.name, row.official) != (h.is_workday, h.name, h.official):
            row.is_workday, row.name, row.official = h.is_workday, h.name, h.official
            updated += 1
    if created or updated:
        record(
            s,
            uow.actor,
            "holidays.seed",
            "holidays",
            None,
            after={"years": list(years), "created": created, "updated": updated},
        )
    return created, updated


def set_holiday(
    uow: UnitOfWork, principal: Principal, day: date, *, is_workday: bool, name: str, official: bool = True
) -> Holiday:
    """Add or correct one day of the calendar (e.g. the announced 2027 调休 days)."""
    require(principal, "targets.configure")
    s = uow.session
    if not name.strip():
        raise ValueError("a holiday needs a name")
    row = s.scalars(select(Holiday).where(Holiday.day == day)).first()
    before = snapshot(row) if row else None
    if row is None:
        row = Holiday(day=day, is_workday=is_workday, name=name.strip(), official=official)
        s.add(row)
    row.is_workday, row.name, row.official = is_workday, name.strip(), official
    s.flush()
    record(s, uow.actor, "holiday.set", "holiday", day.isoformat(), before=before, after=snapshot(row))
    return row


def delete_holiday(uow: UnitOfWork, principal: Principal, day: date) -> None:
    require(principal, "targets.configure")
    s = uow.session
    row = s.scalars(select(Holiday).where(Holiday.day == day)).first()
    if row is None:
        raise NotFound(f"no holiday on {day}")
    before = snapshot(row)
    s.delete(row)
    record(s, uow.actor, "holiday.delete", "holiday", day.isoformat(), before=before)


# --- OKR -------------------------------------------------------------------------------------


def _objective(s: Session, principal: Principal, org: OrgSnapshot, objective_id: int) -> Objective:
    obj = s.get(Objective, objective_id)
    if obj is None or not owner_in_scope(principal, org, org.normalize(parse_owner(obj.owner_key))):
        raise NotFound(f"objective {objective_id} does not exist")
    return obj


def create_objective(uow: UnitOfWork, principal: Principal, draft: ObjectiveDraft) -> Objective:
    """A new objective in its layer. A child is never a higher layer than its parent
    (战略级 → 战役级 → 战术级), and a rep's objectives are their own."""
    require(principal, "okr.write")
    s = uow.session
    org = org_snapshot(s)
    owner = draft.owner or (OwnerRef(OwnerKind.PERSON, principal.person_id) if principal.person_id else COMPANY)
    owner = org.normalize(owner)
    if not org.exists(owner):
        raise NotFound(f"owner {owner} does not exist")
    _ensure_scope(principal, org, owner, "okr.write")
    if not draft.title.strip():
        raise ValueError("an objective needs a title")
    if draft.weight <= 0:
        raise ValueError("an objective's weight must be positive")
    period = queries.calendar(s).parse(draft.period_label)
    if draft.parent_id is not None:
        parent = s.get(Objective, draft.parent_id)
        if parent is None:
            raise NotFound(f"objective {draft.parent_id} does not exist")
        if OkrLayer(parent.layer).rank > draft.layer.rank:
            raise ValueError(f"a {draft.layer.value} objective cannot sit under a {parent.layer} one")
    obj = Objective(
        layer=draft.layer.value,
        title=draft.title.strip(),
        description=draft.description,
        parent_id=draft.parent_id,
        period_label=period.label,
        period_start=period.start,
        period_end=period.end,
        weight=draft.weight,
        status="active",
        **_owner_columns(owner),
    )
    s.add(obj)
    s.flush()
    record(s, uow.actor, "objective.create", "objective", obj.id, after=snapshot(obj))
    return obj


def update_objective(
    uow: UnitOfWork,
    principal: Principal,
    objective_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    weight: Decimal | None = None,
    status: str | None = None,
    parent_id: int | None = None,
) -> Objective:
    require(principal, "okr.write")
    s = uow.session
    org = org_snapshot(s)
    obj = _objective(s, principal, org, objective_id)
    before = snapshot(obj)
    if title is not None:
        if not title.strip():
            raise ValueError("an objective needs a title")
        obj.title = title.strip()
    if description is not None:
        obj.description = description
    if weight is not None:
        if weight <= 0:
            raise ValueError("an objective's weight must be positive")
        obj.weight = weight
    if status is not None:
        if status not in ("active", "done", "dropped"):
            raise ValueError("status is active, done or dropped")
        obj.status = status
    if parent_id is not None:
        parent = s.get(Objective, parent_id)
        if parent is None:
            raise NotFound(f"objective {parent_id} does not exist")
        seen, cursor = {obj.id}, parent
        while cursor is not None:
            if cursor.id in seen:
                raise ValueError("an objective cannot sit under itself")
            seen.add(cursor.id)
            cursor = s.get(Objective, cursor.parent_id) if cursor.parent_id else None
        if OkrLayer(parent.layer).rank > OkrLayer(obj.layer).rank:
            raise ValueError(f"a {obj.layer} objective cannot sit under a {parent.layer} one")
        obj.parent_id = parent_id
    s.flush()
    after = snapshot(obj)
    if after != before:
        record(s, uow.actor, "objective.update", "objective", obj.id, before=before, after=after)
    return obj


def add_key_result(uow: UnitOfWork, principal: Principal, objective_id: int, draft: KeyResultDraft) -> KeyResult:
    """A key result on an objective: bound to a metric (and optionally to one target cell,
    whose value becomes the goal) or manual, updated by check-ins."""
    require(principal, "okr.write")
    s = uow.session
    org = org_snapshot(s)
    obj = _objective(s, principal, org, objective_id)
    metric_code, goal = draft.metric_code, draft.target_value
    if draft.kind is KeyResultKind.METRIC:
        if draft.target_id is not None:
            t = s.get(Target, draft.target_id)
            if t is None or not owner_in_scope(principal, org, parse_owner(t.owner_key)):
                raise NotFound(f"target {draft.target_id} does not exist")
            metric_code = metric_code or t.metric_code
            if metric_code != t.metric_code:
                raise ValueError(f"target {t.id} is for {t.metric_code}, not {metric_code}")
            goal = goal if goal is not None else target_value(t)
        if metric_code is None:
            raise ValueError("a metric key result needs a metric (or a target)")
        metric(metric_code)
    elif draft.target_id is not None:
        raise ValueError("a manual key result is not bound to a target")
    if goal is None:
        raise ValueError("a key result needs a target value")
    if draft.weight <= 0:
        raise ValueError("a key result's weight must be positive")
    kr = KeyResult(
        objective_id=obj.id,
        title=draft.title.strip(),
        kind=draft.kind.value,
        metric_code=metric_code,
        target_id=draft.target_id,
        start_value=draft.start_value,
        target_value=goal,
        current_value=draft.start_value,
        weight=draft.weight,
    )
    if not kr.title:
        raise ValueError("a key result needs a title")
    s.add(kr)
    s.flush()
    record(s, uow.actor, "key_result.create", "key_result", kr.id, after=snapshot(kr))
    return kr


def check_in(
    uow: UnitOfWork, principal: Principal, key_result_id: int, value: Decimal, *, note: str | None = None
) -> KeyResultCheckIn:
    """Record progress on a manual key result."""
    require(principal, "okr.write")
    s = uow.session
    org = org_snapshot(s)
    kr = s.get(KeyResult, key_result_id)
    if kr is None:
        raise NotFound(f"key result {key_result_id} does not exist")
    _objective(s, principal, org, kr.objective_id)
    if kr.kind != KeyResultKind.MANUAL.value:
        raise ValueError("this key result reads its value from the metric engine; it takes no check-ins")
    before = {"current_value": _dec(kr.current_value)}
    kr.current_value = value
    row = KeyResultCheckIn(
        key_result_id=kr.id, value=value, note=note, actor_id=uow.actor.user_id, actor_name=uow.actor.name
    )
    s.add(row)
    s.flush()
    record(
        s,
        uow.actor,
        "key_result.check_in",
        "key_result",
        kr.id,
        before=before,
        after={"current_value": _dec(value)},
        reason=note,
    )
    return row


def link_objective(uow: UnitOfWork, principal: Principal, target_id: int, objective_id: int | None) -> Target:
    """Link a target cell to the objective it serves (SMART "relevant"), or unlink it."""
    require(principal, "targets.plan")
    s = uow.session
    org = org_snapshot(s)
    t = s.get(Target, target_id)
    if t is None or not owner_in_scope(principal, org, parse_owner(t.owner_key)):
        raise NotFound(f"target {target_id} does not exist")
    if objective_id is not None:
        _objective(s, principal, org, objective_id)
    before = {"objective_id": t.objective_id}
    t.objective_id = objective_id
    smart = [w for w in (t.smart or []) if w["code"] != "smart.relevant"]
    if objective_id is None and t.parent_id is None:
        smart.append(
            {
                "code": "smart.relevant",
                "severity": Severity.WARNING.value,
                "message": "not linked to a parent target or objective; link it so it rolls up",
            }
        )
    t.smart = smart or None
    record(s, uow.actor, "target.link_objective", "target", t.id, before=before, after={"objective_id": objective_id})
    return t
