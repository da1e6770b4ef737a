"""Scoped reads of targets for the shells: plans and their grids, history, adjustment
requests, progress and pacing, team boards, the rep's own targets, and the OKR tree.

Who sees what: a manager sees the cells of owners in their subtree (and plans that have any
such cell), a rep their own cells, back-office roles everything — one rule, applied in SQL
through ``core.auth.scope``. Actuals come from the set-based metric engine (``batch``) on an
Ibis backend the shell opens on the same store, so every figure on a page is one GROUP BY
per metric, rolled up the org tree by the closure, never a Python loop over facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ibis.backends import BaseBackend
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from chanli.core.auth import Principal, Role, scope
from chanli.core.periods import FiscalCalendar, Grain, Period, business_date
from chanli.org import queries as org_queries
from chanli.targets import batch, rules
from chanli.targets.model import (
    COMPANY,
    METRICS,
    ExpectationBasis,
    MetricDef,
    OkrLayer,
    OwnerKind,
    OwnerRef,
    PaceStatus,
    TargetSource,
    TargetStatus,
    metric,
    parse_owner,
)
from chanli.targets.tables import (
    AdjustmentRequest,
    CsiWeight,
    Holiday,
    KeyResult,
    MetricWeight,
    MetricWeightBound,
    Objective,
    Target,
    TargetChange,
    TargetPlan,
)

__all__ = [
    "CSI_COMPONENTS",
    "DEFAULT_METRIC_WEIGHTS",
    "SYSTEM_PRINCIPAL",
    "AdjustmentRow",
    "BoardRow",
    "ChangeRow",
    "GapRow",
    "GridColumn",
    "GridRow",
    "HolidayRow",
    "MyTargets",
    "ObjectiveNode",
    "OrgSnapshot",
    "PlanGrid",
    "PlanRow",
    "ProgressRow",
    "calendar",
    "csi_weights",
    "get_plan",
    "holidays",
    "list_adjustments",
    "list_plans",
    "metric_weights",
    "my_targets",
    "okr_tree",
    "org_snapshot",
    "owner_in_scope",
    "plan_gaps",
    "plan_grid",
    "plan_history",
    "progress",
    "team_board",
    "today",
    "weight_bounds",
    "working_day_overrides",
]

SYSTEM_PRINCIPAL = Principal(user_id=0, username="system", display_name="system", role=Role.ADMIN)
CSI_COMPONENTS = ("renewal_rate", "satisfaction", "complaint_rate")
DEFAULT_METRIC_WEIGHTS: Mapping[str, Decimal] = {
    "won_revenue": Decimal("0.4"),
    "new_customers": Decimal("0.3"),
    "collected_revenue": Decimal("0.2"),
    "visits": Decimal("0.1"),
}
_STATUS_RANK = {
    TargetStatus.ACTIVE.value: 0,
    TargetStatus.APPROVED.value: 1,
    TargetStatus.CLOSED.value: 2,
    TargetStatus.DRAFT.value: 3,
}


# --- the org as the targets see it -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgSnapshot:
    """Teams and people at one moment, with the owner tree targets are planned on.

    A top-level team of kind ``company`` *is* the company owner (its people roll up to
    ``company``, not to a separate team), so a plan does not show the company twice.
    """

    company_name: str
    teams: dict[int, org_queries.TeamRow]
    people: dict[int, org_queries.PersonRow]
    company_team_id: int | None = None
    _team_kids: dict[int | None, list[int]] = field(default_factory=dict)
    _team_people: dict[int | None, list[int]] = field(default_factory=dict)

    def normalize(self, owner: OwnerRef) -> OwnerRef:
        if owner.kind is OwnerKind.TEAM and owner.id is not None and owner.id == self.company_team_id:
            return COMPANY
        return owner

    def exists(self, owner: OwnerRef) -> bool:
        if owner.kind is OwnerKind.COMPANY:
            return True
        if owner.kind is OwnerKind.TEAM:
            return owner.id in self.teams
        return owner.id in self.people

    def team_owner(self, team_id: int | None) -> OwnerRef:
        if team_id is None or team_id == self.company_team_id:
            return COMPANY
        return OwnerRef(OwnerKind.TEAM, team_id)

    def parent_of(self, owner: OwnerRef) -> OwnerRef | None:
        if owner.kind is OwnerKind.COMPANY:
            return None
        if owner.kind is OwnerKind.PERSON:
            person = self.people[owner.id or 0]
            return self.team_owner(person.team_id)
        team = self.teams[owner.id or 0]
        return self.team_owner(team.parent_id)

    def name(self, owner: OwnerRef) -> str:
        if owner.kind is OwnerKind.COMPANY:
            return self.company_name
        if owner.kind is OwnerKind.TEAM:
            t = self.teams.get(owner.id or 0)
            return t.name if t else str(owner)
        p = self.people.get(owner.id or 0)
        return p.name if p else str(owner)

    def owners_above(self, person_id: int) -> list[OwnerRef]:
        """The person, every team above them, and the company."""
        person = self.people[person_id]
        out = [OwnerRef(OwnerKind.PERSON, person_id)]
        team = self.teams.get(person.team_id or 0)
        if team is not None:
            for tid in (int(x) for x in team.path.strip("/").split("/") if x):
                if tid != self.company_team_id:
                    out.append(OwnerRef(OwnerKind.TEAM, tid))
        out.append(COMPANY)
        return out

    def closure_pairs(self, owners: Iterable[OwnerRef] | None = None) -> list[tuple[int, str]]:
        """(person, owner) pairs for the metric engine, restricted to ``owners`` if given."""
        wanted = {str(o) for o in owners} if owners is not None else None
        out = []
        for pid in self.people:
            for o in self.owners_above(pid):
                key = str(o)
                if wanted is None or key in wanted:
                    out.append((pid, key))
        return out

    def _is_seller(self, person: org_queries.PersonRow) -> bool:
        return person.active and person.job_role == "rep"

    def _has_sellers(self, team_id: int) -> bool:
        if any(self._is_seller(self.people[p]) for p in self._team_people.get(team_id, [])):
            return True
        return any(self._has_sellers(k) for k in self._team_kids.get(team_id, []))

    def children(self, owner: OwnerRef) -> list[OwnerRef]:
        """The owners a target of ``owner`` is split among: sub-teams that have active reps
        somewhere below them, then the active reps directly in the team."""
        if owner.kind is OwnerKind.PERSON:
            return []
        if owner.kind is OwnerKind.COMPANY:
            team_ids = list(self._team_kids.get(None, []))
            if self.company_team_id is not None:
                team_ids = [t for t in team_ids if t != self.company_team_id]
                team_ids += self._team_kids.get(self.company_team_id, [])
            person_ids = list(self._team_people.get(None, []))
            if self.company_team_id is not None:
                person_ids += self._team_people.get(self.company_team_id, [])
        else:
            team_ids = self._team_kids.get(owner.id, [])
            person_ids = self._team_people.get(owner.id, [])
        teams = [OwnerRef(OwnerKind.TEAM, t) for t in team_ids if self._has_sellers(t)]
        people = [OwnerRef(OwnerKind.PERSON, p) for p in person_ids if self._is_seller(self.people[p])]
        return teams + people

    def subtree(self, root: OwnerRef) -> tuple[list[OwnerRef], dict[OwnerRef, OwnerRef | None]]:
        """The planning tree under ``root`` in pre-order, with each owner's parent."""
        owners: list[OwnerRef] = []
        parents: dict[OwnerRef, OwnerRef | None] = {root: None}

        def walk(o: OwnerRef) -> None:
            owners.append(o)
            for c in self.children(o):
                parents[c] = o
                walk(c)

        walk(root)
        return owners, parents

    def reps_under(self, owner: OwnerRef) -> list[int]:
        owners, _ = self.subtree(owner)
        return [o.id for o in owners if o.kind is OwnerKind.PERSON and o.id is not None]


def org_snapshot(s: Session) -> OrgSnapshot:
    teams = {t.id: t for t in org_queries.list_teams(s, SYSTEM_PRINCIPAL)}
    people = {p.id: p for p in org_queries.list_people(s, SYSTEM_PRINCIPAL, active=None, limit=10**9)}
    profile = org_queries.company_profile(s)
    top = [t for t in teams.values() if t.parent_id is None]
    company_team = next((t.id for t in top if t.kind == "company"), None) if len(top) == 1 else None
    kids: dict[int | None, list[int]] = {}
    for t in sorted(teams.values(), key=lambda t: (t.path, t.id)):
        kids.setdefault(t.parent_id, []).append(t.id)
    members: dict[int | None, list[int]] = {}
    for p in sorted(people.values(), key=lambda p: p.id):
        members.setdefault(p.team_id, []).append(p.id)
    name = profile.name if profile else (teams[company_team].name if company_team else "公司")
    return OrgSnapshot(name, teams, people, company_team, kids, members)


def owner_in_scope(principal: Principal, org: OrgSnapshot, owner: OwnerRef) -> bool:
    """May ``principal`` see (and, with the permission, plan for) ``owner``?"""
    if principal.sees_all:
        return True
    visible = principal.visible_team_ids or frozenset()
    if owner.kind is OwnerKind.COMPANY:
        return org.company_team_id is not None and org.company_team_id in visible
    if owner.kind is OwnerKind.TEAM:
        return owner.id in visible
    if owner.id == principal.person_id:
        return True
    person = org.people.get(owner.id or 0)
    return person is not None and person.team_id in visible


def _owner_clause_stmt(stmt: Select[Any], principal: Principal, team_col: Any, person_col: Any) -> Select[Any]:
    """Scope rows that belong to an owner (team_id / person_id columns) the standard way."""
    if principal.sees_all:
        return stmt
    person = aliased(org_queries.person_table())
    stmt = stmt.outerjoin(person, person.id == person_col)
    return scope(stmt, principal, team_col=func.coalesce(team_col, person.team_id), person_col=person_col)


# --- calendar helpers --------------------------------------------------------------------


def calendar(s: Session) -> FiscalCalendar:
    profile = org_queries.company_profile(s)
    return FiscalCalendar(profile.fiscal_year_start_month if profile else 1)


def today(s: Session, now: datetime | None = None) -> date:
    """Today in the company's time zone (the shells' default ``as_of``)."""
    profile = org_queries.company_profile(s)
    moment = now or datetime.now(UTC)
    return business_date(moment, profile.time_zone if profile else "Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class HolidayRow:
    day: date
    is_workday: bool
    name: str
    official: bool


def holidays(s: Session, year: int | None = None) -> list[HolidayRow]:
    stmt = select(Holiday).order_by(Holiday.day)
    if year is not None:
        stmt = stmt.where(Holiday.day >= date(year, 1, 1), Holiday.day < date(year + 1, 1, 1))
    return [HolidayRow(h.day, h.is_workday, h.name, h.official) for h in s.scalars(stmt)]


def working_day_overrides(s: Session, start: date, end: date) -> dict[date, bool]:
    stmt = select(Holiday.day, Holiday.is_workday).where(Holiday.day >= start, Holiday.day < end)
    return {d: bool(w) for d, w in s.execute(stmt)}


def is_working_day_for(s: Session, start: date, end: date) -> Callable[[date], bool]:
    return rules.working_day_calendar(working_day_overrides(s, start, end))


# --- plans and grids ---------------------------------------------------------------------


def target_value(row: Target | TargetPlan) -> Decimal:
    value = row.value_money if row.value_money is not None else row.value_number
    assert value is not None
    return _clean(value, metric(row.metric_code))


def _clean(value: Decimal, m: MetricDef) -> Decimal:
    """Values come back at the column's scale (``20.0000``); show them at the metric's."""
    if m.unit.value == "count":
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    if m.unit.value == "money":
        return value.quantize(Decimal("0.01"))
    return value.normalize() if value != value.to_integral_value() else value.quantize(Decimal(1))


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: int
    name: str
    metric_code: str
    metric_label: str
    period_label: str
    owner: str
    owner_name: str
    value: Decimal
    period_method: str
    owner_method: str
    grains: str
    status: str
    version: int
    created_by_name: str
    approved_by_name: str | None
    warnings: int


def _plan_row(p: TargetPlan, org: OrgSnapshot, warnings: int = 0) -> PlanRow:
    m = metric(p.metric_code)
    owner = parse_owner(p.owner_key)
    return PlanRow(
        p.id,
        p.name,
        p.metric_code,
        m.label_zh,
        p.period_label,
        p.owner_key,
        org.name(owner),
        target_value(p),
        p.period_method,
        p.owner_method,
        p.grains,
        p.status,
        p.version,
        p.created_by_name,
        p.approved_by_name,
        warnings,
    )


def _visible_plan_ids(s: Session, principal: Principal) -> Select[Any] | None:
    if principal.sees_all:
        return None
    stmt = select(Target.plan_id).distinct()
    return _owner_clause_stmt(stmt, principal, Target.team_id, Target.person_id)


def list_plans(
    s: Session, principal: Principal, *, metric_code: str | None = None, status: str | None = None
) -> list[PlanRow]:
    """Plans the caller has at least one visible cell in, newest first."""
    stmt = select(TargetPlan).order_by(TargetPlan.period_start.desc(), TargetPlan.id.desc())
    visible = _visible_plan_ids(s, principal)
    if visible is not None:
        stmt = stmt.where(TargetPlan.id.in_(visible.scalar_subquery()))
    if metric_code:
        stmt = stmt.where(TargetPlan.metric_code == metric_code)
    if status:
        stmt = stmt.where(TargetPlan.status == status)
    org = org_snapshot(s)
    return [_plan_row(p, org) for p in s.scalars(stmt)]


def get_plan(s: Session, principal: Principal, plan_id: int) -> PlanRow | None:
    plan = s.get(TargetPlan, plan_id)
    if plan is None:
        return None
    visible = _visible_plan_ids(s, principal)
    if visible is not None and plan_id not in set(s.scalars(visible)):
        return None
    return _plan_row(plan, org_snapshot(s))


@dataclass(frozen=True, slots=True)
class GridColumn:
    index: int
    label: str
    grain: str
    start: date
    end: date
    is_leaf: bool


@dataclass(frozen=True, slots=True)
class GridCell:
    target_id: int
    value: Decimal
    version: int
    warnings: tuple[str, ...]
    editable: bool


@dataclass(frozen=True, slots=True)
class GridRow:
    owner: str
    name: str
    kind: str
    depth: int
    parent: str | None
    cells: tuple[GridCell | None, ...]
    bottom_up: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlanGrid:
    plan: PlanRow
    columns: tuple[GridColumn, ...]
    rows: tuple[GridRow, ...]
    warnings: tuple[dict[str, Any], ...]
    notes: tuple[dict[str, Any], ...]


def load_cells(s: Session, plan_id: int, source: TargetSource = TargetSource.TOP_DOWN) -> list[Target]:
    return list(
        s.scalars(select(Target).where(Target.plan_id == plan_id, Target.source == source.value).order_by(Target.id))
    )


def shape_of(cells: Sequence[Target]) -> tuple[Any, dict[tuple[OwnerRef, int], Target]]:
    """Rebuild a plan's ``PlanShape`` from its stored cells (parent links name both trees)."""
    from chanli.targets.model import PlanShape

    by_id = {c.id: c for c in cells}
    root_key = next(c.owner_key for c in cells if c.parent_id is None)
    root_cells = sorted(
        (c for c in cells if c.owner_key == root_key),
        key=lambda c: (_GRAIN_ORDER[c.grain], c.period_start, c.period_end),
    )
    periods = []
    index: dict[tuple[date, date], int] = {}
    for c in root_cells:
        index[(c.period_start, c.period_end)] = len(periods)
        periods.append(c)
    period_parent: list[int | None] = []
    for c in periods:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        period_parent.append(index[(parent.period_start, parent.period_end)] if parent else None)
    root = parse_owner(root_key)
    owner_parent: dict[OwnerRef, OwnerRef | None] = {root: None}
    kids: dict[OwnerRef, list[OwnerRef]] = {}
    for c in cells:  # by id: siblings come in the order the plan was written
        if c.owner_key == root_key or c.parent_id is None:
            continue
        o = parse_owner(c.owner_key)
        if o not in owner_parent:
            parent = parse_owner(by_id[c.parent_id].owner_key)
            owner_parent[o] = parent
            kids.setdefault(parent, []).append(o)
    owners: list[OwnerRef] = []
    stack = [root]
    while stack:  # pre-order, as the planner shows it
        o = stack.pop()
        owners.append(o)
        stack.extend(reversed(kids.get(o, [])))
    shape = PlanShape(
        tuple(Period(c.period_start, c.period_end, Grain(c.grain), c.period_label) for c in periods),
        tuple(period_parent),
        tuple(owners),
        owner_parent,
    )
    grid_rows = {(parse_owner(c.owner_key), index[(c.period_start, c.period_end)]): c for c in cells}
    return shape, grid_rows


_GRAIN_ORDER = {"year": 0, "half": 1, "quarter": 2, "month": 3, "week": 4, "day": 5}


def _column_order(shape: Any) -> list[int]:
    """Columns as a planner reads them: the plan period, then each coarser period followed by
    the finer periods inside it (2027 · Q1 · 01 · 02 · 03 · Q2 …)."""
    out: list[int] = []

    def walk(i: int) -> None:
        out.append(i)
        for k in shape.period_children(i):
            walk(k)

    walk(0)
    return out


def plan_grid(
    s: Session, principal: Principal, plan_id: int, *, grains: Sequence[str] | None = None
) -> PlanGrid | None:
    """The planner's grid: visible owners (tree order) × periods, with SMART warnings and
    each owner's bottom-up commitment for the plan period."""
    plan_row = get_plan(s, principal, plan_id)
    if plan_row is None:
        return None
    plan = s.get(TargetPlan, plan_id)
    assert plan is not None
    org = org_snapshot(s)
    cells = load_cells(s, plan_id)
    shape, by_cell = shape_of(cells)
    order = [i for i in _column_order(shape) if grains is None or shape.periods[i].grain.value in grains]
    columns = tuple(
        GridColumn(
            i,
            shape.periods[i].label,
            shape.periods[i].grain.value,
            shape.periods[i].start,
            shape.periods[i].end,
            shape.is_leaf_period(i),
        )
        for i in order
    )
    visible = _visible_owner_keys(s, principal, plan_id)
    draft = plan.status == TargetStatus.DRAFT.value
    root = shape.root
    bottom = {
        (c.owner_key, c.period_start, c.period_end): target_value(c)
        for c in load_cells(s, plan_id, TargetSource.BOTTOM_UP)
    }
    rows = []
    depth: dict[OwnerRef, int] = {}
    warnings: list[dict[str, Any]] = []
    for o in shape.owners:
        parent = shape.owner_parent.get(o)
        depth[o] = 0 if parent is None else depth[parent] + 1
        if visible is not None and str(o) not in visible:
            continue
        row_cells = []
        for col in columns:
            t = by_cell[(o, col.index)]
            ws = tuple(w["message"] for w in (t.smart or []))
            for w in t.smart or []:
                warnings.append(
                    {**w, "owner": str(o), "owner_name": org.name(o), "period": col.label, "target_id": t.id}
                )
            editable = draft and (col.is_leaf or o == root)
            row_cells.append(GridCell(t.id, target_value(t), t.version, ws, editable))
        rows.append(
            GridRow(
                str(o),
                org.name(o),
                o.kind.value,
                depth[o],
                str(parent) if parent else None,
                tuple(row_cells),
                bottom.get((str(o), plan.period_start, plan.period_end)),
            )
        )
    return PlanGrid(plan_row, columns, tuple(rows), tuple(warnings), tuple(plan.notes or ()))


def _visible_owner_keys(s: Session, principal: Principal, plan_id: int) -> set[str] | None:
    if principal.sees_all:
        return None
    stmt = select(Target.owner_key).distinct().where(Target.plan_id == plan_id)
    return set(s.scalars(_owner_clause_stmt(stmt, principal, Target.team_id, Target.person_id)))


@dataclass(frozen=True, slots=True)
class GapRow:
    owner: str
    name: str
    depth: int
    top_down: Decimal
    bottom_up: Decimal | None
    gap: Decimal | None


def plan_gaps(s: Session, principal: Principal, plan_id: int, period_label: str | None = None) -> list[GapRow]:
    """Top-down targets against bottom-up commitments rolled up the tree, with the gap
    (positive: the owners below commit to more than they were asked)."""
    plan = s.get(TargetPlan, plan_id)
    if plan is None or get_plan(s, principal, plan_id) is None:
        return []
    cells = load_cells(s, plan_id)
    shape, by_cell = shape_of(cells)
    index = 0
    if period_label:
        index = next((i for i, p in enumerate(shape.periods) if p.label == period_label), -1)
        if index < 0:
            raise ValueError(f"{period_label} is not a period of plan {plan_id}")
    period = shape.periods[index]
    explicit = {
        parse_owner(c.owner_key): target_value(c)
        for c in load_cells(s, plan_id, TargetSource.BOTTOM_UP)
        if c.period_start == period.start and c.period_end == period.end
    }
    rolled = rules.roll_up_tree(shape, explicit)
    top = {o: target_value(by_cell[(o, index)]) for o in shape.owners}
    gaps = rules.rollup_gaps({o: top[o] for o in rolled}, rolled)
    org = org_snapshot(s)
    visible = _visible_owner_keys(s, principal, plan_id)
    depth: dict[OwnerRef, int] = {}
    out = []
    for o in shape.owners:
        parent = shape.owner_parent.get(o)
        depth[o] = 0 if parent is None else depth[parent] + 1
        if visible is not None and str(o) not in visible:
            continue
        out.append(GapRow(str(o), org.name(o), depth[o], top[o], rolled.get(o), gaps.get(o)))
    return out


@dataclass(frozen=True, slots=True)
class ChangeRow:
    id: int
    target_id: int | None
    owner: str | None
    period: str | None
    version: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    actor_name: str
    at: datetime


def plan_history(s: Session, principal: Principal, plan_id: int, *, limit: int = 500) -> list[ChangeRow]:
    """The plan's version history, newest first (only cells the caller may see)."""
    if get_plan(s, principal, plan_id) is None:
        return []
    visible = _visible_owner_keys(s, principal, plan_id)
    stmt = (
        select(TargetChange, Target.owner_key, Target.period_label)
        .outerjoin(Target, Target.id == TargetChange.target_id)
        .where(TargetChange.plan_id == plan_id)
        .order_by(TargetChange.id.desc())
        .limit(limit)
    )
    out = []
    for ch, owner, period in s.execute(stmt):
        if visible is not None and owner is not None and owner not in visible:
            continue
        out.append(
            ChangeRow(
                ch.id,
                ch.target_id,
                owner,
                period,
                ch.version,
                ch.action,
                ch.before,
                ch.after,
                ch.reason,
                ch.actor_name,
                ch.at,
            )
        )
    return out


# --- adjustment requests, weights ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    id: int
    kind: str
    plan_id: int | None
    owner: str
    owner_name: str
    as_of: date
    month: date | None
    proposed: dict[str, Any]
    final: dict[str, Any] | None
    reason: str | None
    state: str
    requested_by_name: str
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str | None


def list_adjustments(
    s: Session, principal: Principal, *, state: str | None = None, plan_id: int | None = None
) -> list[AdjustmentRow]:
    stmt = select(AdjustmentRequest).order_by(AdjustmentRequest.id.desc())
    if state:
        stmt = stmt.where(AdjustmentRequest.state == state)
    if plan_id is not None:
        stmt = stmt.where(AdjustmentRequest.plan_id == plan_id)
    stmt = _owner_clause_stmt(stmt, principal, AdjustmentRequest.team_id, AdjustmentRequest.person_id)
    org = org_snapshot(s)
    out = []
    for a in s.scalars(stmt):
        owner = parse_owner(a.owner_key)
        if not principal.sees_all and owner.kind is OwnerKind.COMPANY and not owner_in_scope(principal, org, owner):
            continue
        out.append(
            AdjustmentRow(
                a.id,
                a.kind,
                a.plan_id,
                a.owner_key,
                org.name(owner),
                a.as_of,
                a.month,
                a.proposed,
                a.final,
                a.reason,
                a.state,
                a.requested_by_name,
                a.decided_by_name,
                a.decided_at,
                a.decision_note,
            )
        )
    return out


def get_adjustment(s: Session, principal: Principal, adjustment_id: int) -> AdjustmentRow | None:
    return next((a for a in list_adjustments(s, principal) if a.id == adjustment_id), None)


def weight_bounds(s: Session) -> dict[str, tuple[Decimal, Decimal]]:
    return {b.metric_code: (b.lower.normalize(), b.upper.normalize()) for b in s.scalars(select(MetricWeightBound))}


def metric_weights(s: Session, owner: OwnerRef, month: date) -> tuple[dict[str, Decimal], str]:
    """The weight set in force for ``owner`` in ``month``: its own newest set at or before
    that month, else the company's, else the built-in default. Says which one it used."""
    for candidate in [owner, COMPANY] if owner != COMPANY else [COMPANY]:
        latest = s.scalar(
            select(func.max(MetricWeight.month)).where(
                MetricWeight.owner_key == str(candidate), MetricWeight.month <= month
            )
        )
        if latest is not None:
            rows = s.scalars(
                select(MetricWeight).where(MetricWeight.owner_key == str(candidate), MetricWeight.month == latest)
            )
            return {r.metric_code: r.weight.normalize() for r in rows}, f"{candidate}@{latest:%Y-%m}"
    return dict(DEFAULT_METRIC_WEIGHTS), "default"


def csi_weights(s: Session) -> dict[str, Decimal]:
    stored = {w.component: w.weight.normalize() for w in s.scalars(select(CsiWeight))}
    return stored or dict(rules.DEFAULT_CSI_WEIGHTS)


# --- actuals from the metric engine ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actual:
    value: Decimal | None
    num: Decimal
    den: Decimal


def actuals(
    s: Session,
    con: BaseBackend,
    metric_code: str,
    start: date,
    end: date,
    owners: Sequence[OwnerRef],
    org: OrgSnapshot,
) -> dict[str, Actual]:
    """Each owner's value of a metric over [start, end), one engine query (three for the
    customer success index, which is computed from its components with the stored weights)."""
    m = metric(metric_code)
    if not owners:
        return {}
    closure = batch.closure_table(org.closure_pairs(owners))
    if metric_code == "customer_success_index":
        parts = {c: actuals(s, con, c, start, end, owners, org) for c in CSI_COMPONENTS}
        weights = csi_weights(s)
        out = {}
        for o in owners:
            key = str(o)
            values = {c: parts[c][key].value if key in parts[c] else None for c in CSI_COMPONENTS}
            index = rules.customer_success_index(values, weights)
            out[key] = Actual(index, index or Decimal(0), Decimal(1) if index is not None else Decimal(0))
        return out
    totals: dict[str, list[Decimal]] = {}
    for cell in batch.metric_cells(con, metric_code, start, end, closure):
        t = totals.setdefault(cell.owner, [Decimal(0), Decimal(0)])
        t[0] += cell.num
        t[1] += cell.den
    out = {}
    for o in owners:
        num, den = totals.get(str(o), [Decimal(0), Decimal(0)])
        num = _quantize_sum(num, m)
        out[str(o)] = Actual(rules.metric_value(m, num, den), num, den)
    return out


def _quantize_sum(num: Decimal, m: MetricDef) -> Decimal:
    """SQLite sums NUMERIC as REAL: snap money back to the fen and counts to whole numbers."""
    if m.unit.value == "money":
        return num.quantize(Decimal("0.01"))
    if m.unit.value == "count":
        return num.quantize(Decimal(1))
    return num


def monthly_actuals(
    con: BaseBackend, metric_code: str, start: date, end: date, owners: Sequence[OwnerRef], org: OrgSnapshot
) -> dict[str, dict[date, Actual]]:
    m = metric(metric_code)
    out: dict[str, dict[date, Actual]] = {}
    if not owners or metric_code == "customer_success_index":
        return out
    closure = batch.closure_table(org.closure_pairs(owners))
    for cell in batch.metric_cells(con, metric_code, start, end, closure):
        num = _quantize_sum(cell.num, m)
        out.setdefault(cell.owner, {})[cell.period] = Actual(rules.metric_value(m, num, cell.den), num, cell.den)
    return out


# --- progress and pacing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgressRow:
    owner: str
    owner_name: str
    owner_kind: str
    metric_code: str
    metric_label: str
    unit: str
    period: str
    start: date
    end: date
    target: Decimal | None
    actual: Decimal | None
    elapsed: Decimal
    expected_to_date: Decimal | None
    attainment: Decimal | None
    pace_ratio: Decimal | None
    projected_run_rate: Decimal | None
    projected_with_pipeline: Decimal | None
    status: str | None
    reason: str
    plan_id: int | None
    target_id: int | None


def _target_for(
    s: Session, metric_code: str, period: Period, owners: Sequence[OwnerRef]
) -> dict[str, tuple[Decimal, int, int | None]]:
    """The target of each owner for ``period``: the exact cell of the most official plan
    (active, approved, closed, then draft), or — for additive metrics — the sum of the cells
    of one grain that tile the period exactly. Value, plan id and cell id (None when summed)."""
    keys = [str(o) for o in owners]
    if not keys:
        return {}
    m = metric(metric_code)
    stmt = (
        select(Target, TargetPlan.status)
        .join(TargetPlan, TargetPlan.id == Target.plan_id)
        .where(
            Target.metric_code == metric_code,
            Target.source == TargetSource.TOP_DOWN.value,
            Target.period_start >= period.start,
            Target.period_end <= period.end,
        )
    )
    by_owner: dict[str, dict[int, list[tuple[Target, str]]]] = {}
    for chunk in (keys[i : i + 900] for i in range(0, len(keys), 900)):
        for t, status in s.execute(stmt.where(Target.owner_key.in_(chunk))):
            by_owner.setdefault(t.owner_key, {}).setdefault(t.plan_id, []).append((t, status))
    out: dict[str, tuple[Decimal, int, int | None]] = {}
    for key, plans in by_owner.items():
        ranked = sorted(plans.items(), key=lambda kv: (_STATUS_RANK[kv[1][0][1]], -kv[0]))
        for plan_id, rows in ranked:
            exact = [t for t, _ in rows if t.period_start == period.start and t.period_end == period.end]
            if exact:
                out[key] = (target_value(exact[0]), plan_id, exact[0].id)
                break
            if not m.additive:
                continue
            for grain in ("month", "week", "quarter", "half", "day"):
                part = [t for t, _ in rows if t.grain == grain]
                if part and sum((t.period_end - t.period_start).days for t in part) == period.days:
                    out[key] = (sum((target_value(t) for t in part), Decimal(0)), plan_id, None)
                    break
            if key in out:
                break
    return out


def _visible_owners(principal: Principal, org: OrgSnapshot) -> list[OwnerRef]:
    """Every owner the caller may look at: the whole tree, their subtree, or themselves."""
    owners, _ = org.subtree(COMPANY)
    seen = set(owners)
    every = owners + [o for o in (OwnerRef(OwnerKind.PERSON, p) for p in org.people) if o not in seen]
    return [o for o in every if owner_in_scope(principal, org, o)]


def progress(
    s: Session,
    principal: Principal,
    con: BaseBackend,
    *,
    period_label: str,
    owners: Sequence[OwnerRef] | None = None,
    metric_codes: Sequence[str] | None = None,
    as_of: date,
    basis: ExpectationBasis = ExpectationBasis.CALENDAR,
    only_with_targets: bool = False,
) -> list[ProgressRow]:
    """Progress of owners on metrics for one period: actual, target, expected-to-date,
    projections (run-rate and pipeline-weighted) and a pacing status.

    Without ``owners``: every owner the caller may see. Without ``metric_codes``: the
    metrics that have a target for any of those owners in the period.
    """
    org = org_snapshot(s)
    period = calendar(s).parse(period_label)
    if owners is None:
        chosen = _visible_owners(principal, org)
    else:
        chosen = []
        for o in owners:
            o = org.normalize(o)
            if not org.exists(o) or not owner_in_scope(principal, org, o):
                raise LookupError(f"owner {o} does not exist or is outside your part of the org")
            chosen.append(o)
    codes = list(metric_codes or _metrics_with_targets(s, period, chosen))
    work = is_working_day_for(s, period.start, period.end) if basis is ExpectationBasis.WORKING_DAYS else None
    elapsed = period.elapsed_fraction(as_of, work)
    rows: list[ProgressRow] = []
    for code in codes:
        m = metric(code)
        targets = _target_for(s, code, period, chosen)
        owners_here = [o for o in chosen if str(o) in targets] if only_with_targets else chosen
        acts = actuals(s, con, code, period.start, period.end, owners_here, org)
        pipe = (
            batch.pipeline_weighted(
                con, code, period.start, period.end, batch.closure_table(org.closure_pairs(owners_here))
            )
            if code in batch.PIPELINE_METRICS and owners_here
            else {}
        )
        for o in owners_here:
            key = str(o)
            actual = acts.get(key)
            tgt = targets.get(key)
            rows.append(_progress_row(org, o, m, period, actual, tgt, elapsed, pipe.get(key)))
    return rows


def _progress_row(
    org: OrgSnapshot,
    owner: OwnerRef,
    m: MetricDef,
    period: Period,
    actual: Actual | None,
    target: tuple[Decimal, int, int | None] | None,
    elapsed: Decimal,
    pipeline: Decimal | None,
) -> ProgressRow:
    value = actual.value if actual else None
    base: dict[str, Any] = {
        "owner": str(owner),
        "owner_name": org.name(owner),
        "owner_kind": owner.kind.value,
        "metric_code": m.code,
        "metric_label": m.label_zh,
        "unit": m.unit.value,
        "period": period.label,
        "start": period.start,
        "end": period.end,
        "actual": value,
        "elapsed": elapsed.quantize(Decimal("0.0001")),
    }
    if target is None:
        return ProgressRow(
            **base,
            target=None,
            expected_to_date=None,
            attainment=None,
            pace_ratio=None,
            projected_run_rate=None,
            projected_with_pipeline=None,
            status=None,
            reason="no target for this period",
            plan_id=None,
            target_id=None,
        )
    tv, plan_id, target_id = target
    if pipeline is not None:
        pipeline = pipeline.quantize(m.unit.quantum)
    p = rules.pace(
        tv,
        value if value is not None else Decimal(0),
        elapsed,
        higher_is_better=m.higher_is_better,
        additive=m.additive,
        pipeline_weighted=pipeline if m.additive else None,
    )
    q = m.unit.quantum if m.unit.value != "ratio" else Decimal("0.0001")

    def rq(v: Decimal | None, quantum: Decimal = q) -> Decimal | None:
        return None if v is None else v.quantize(quantum)

    return ProgressRow(
        **base,
        target=tv,
        expected_to_date=rq(p.expected_to_date),
        attainment=rq(p.attainment, Decimal("0.0001")),
        pace_ratio=rq(p.pace_ratio, Decimal("0.0001")),
        projected_run_rate=rq(p.projected_run_rate),
        projected_with_pipeline=rq(p.projected_with_pipeline),
        status=p.status.value,
        reason=p.reason,
        plan_id=plan_id,
        target_id=target_id,
    )


def _metrics_with_targets(s: Session, period: Period, owners: Sequence[OwnerRef]) -> list[str]:
    keys = [str(o) for o in owners]
    found: set[str] = set()
    stmt = (
        select(Target.metric_code)
        .distinct()
        .where(
            Target.period_start >= period.start,
            Target.period_end <= period.end,
            Target.source == TargetSource.TOP_DOWN.value,
        )
    )
    for chunk in (keys[i : i + 900] for i in range(0, len(keys), 900)):
        found.update(s.scalars(stmt.where(Target.owner_key.in_(chunk))))
    return [code for code in METRICS if code in found]


@dataclass(frozen=True, slots=True)
class BoardRow:
    owner: str
    name: str
    kind: str
    tier: str | None
    progress: ProgressRow


def team_board(
    s: Session,
    principal: Principal,
    con: BaseBackend,
    *,
    period_label: str,
    metric_code: str,
    team: OwnerRef | None = None,
    as_of: date,
    basis: ExpectationBasis = ExpectationBasis.CALENDAR,
) -> tuple[ProgressRow | None, list[BoardRow]]:
    """The manager's pacing board: the team's own progress and each direct sub-team and rep."""
    org = org_snapshot(s)
    if team is None:
        team = _default_board_owner(principal, org)
    team = org.normalize(team)
    if not org.exists(team) or not owner_in_scope(principal, org, team):
        raise LookupError(f"team {team} does not exist or is outside your part of the org")
    kids = [o for o in org.children(team) if owner_in_scope(principal, org, o)]
    rows = progress(
        s,
        principal,
        con,
        period_label=period_label,
        owners=[team, *kids],
        metric_codes=[metric_code],
        as_of=as_of,
        basis=basis,
    )
    head = rows[0] if rows else None
    out = []
    for r in rows[1:]:
        o = parse_owner(r.owner)
        tier = org.people[o.id].tier if o.kind is OwnerKind.PERSON and o.id in org.people else None
        out.append(BoardRow(r.owner, r.owner_name, r.owner_kind, tier, r))
    order = {
        PaceStatus.AT_RISK.value: 0,
        PaceStatus.BEHIND.value: 1,
        PaceStatus.ON_TRACK.value: 2,
        PaceStatus.AHEAD.value: 3,
        None: 4,
    }
    out.sort(key=lambda b: (order[b.progress.status], b.progress.attainment or Decimal(0)))
    return head, out


def _default_board_owner(principal: Principal, org: OrgSnapshot) -> OwnerRef:
    if principal.sees_all:
        return COMPANY
    visible = principal.visible_team_ids or frozenset()
    roots = [t for t in visible if org.teams.get(t) and org.teams[t].parent_id not in visible]
    if roots:
        return org.team_owner(sorted(roots, key=lambda t: org.teams[t].path)[0])
    if principal.person_id and principal.person_id in org.people:
        return OwnerRef(OwnerKind.PERSON, principal.person_id)  # a rep's board is their own row
    raise LookupError("no team to show")


@dataclass(frozen=True, slots=True)
class TrendPoint:
    month: date
    target: Decimal | None
    actual: Decimal | None


@dataclass(frozen=True, slots=True)
class MyMetric:
    metric_code: str
    metric_label: str
    unit: str
    month: ProgressRow
    quarter: ProgressRow
    year: ProgressRow
    trend: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class MyTargets:
    owner: str
    name: str
    as_of: date
    metrics: tuple[MyMetric, ...]


def my_targets(
    s: Session,
    principal: Principal,
    con: BaseBackend,
    *,
    as_of: date,
    owner: OwnerRef | None = None,
    basis: ExpectationBasis = ExpectationBasis.CALENDAR,
) -> MyTargets:
    """A rep's own pacing this month, quarter and year, per metric with a target, and the
    month-by-month trend of target against actual for the year."""
    org = org_snapshot(s)
    if owner is None:
        if principal.person_id is None:  # a back-office login has no targets of its own
            return MyTargets("", principal.display_name, as_of, ())
        owner = OwnerRef(OwnerKind.PERSON, principal.person_id)
    owner = org.normalize(owner)
    if not org.exists(owner) or not owner_in_scope(principal, org, owner):
        raise LookupError(f"owner {owner} does not exist or is outside your part of the org")
    cal = calendar(s)
    month = cal.containing(as_of, Grain.MONTH)
    quarter = cal.containing(as_of, Grain.QUARTER)
    year = cal.containing(as_of, Grain.YEAR)
    codes = _metrics_with_targets(s, year, [owner])
    out = []
    for code in codes:
        rows = {
            p.label: progress(
                s, principal, con, period_label=p.label, owners=[owner], metric_codes=[code], as_of=as_of, basis=basis
            )[0]
            for p in (month, quarter, year)
        }
        months = cal.children(year, Grain.MONTH)
        monthly = monthly_actuals(con, code, year.start, year.end, [owner], org).get(str(owner), {})
        trend = []
        for mp in months:
            tgt = _target_for(s, code, mp, [owner]).get(str(owner))
            act = monthly.get(mp.start)
            trend.append(
                TrendPoint(
                    mp.start, tgt[0] if tgt else None, (act.value if act else Decimal(0)) if mp.start <= as_of else None
                )
            )
        m = metric(code)
        out.append(
            MyMetric(
                code, m.label_zh, m.unit.value, rows[month.label], rows[quarter.label], rows[year.label], tuple(trend)
            )
        )
    return MyTargets(str(owner), org.name(owner), as_of, tuple(out))


# --- OKR -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyResultView:
    id: int
    title: str
    kind: str
    metric_code: str | None
    target_id: int | None
    start: Decimal
    target: Decimal
    current: Decimal
    weight: Decimal
    progress: Decimal


@dataclass(frozen=True, slots=True)
class ObjectiveNode:
    id: int
    layer: str
    title: str
    description: str | None
    parent_id: int | None
    owner: str
    owner_name: str
    period: str
    weight: Decimal
    status: str
    progress: Decimal
    depth: int
    key_results: tuple[KeyResultView, ...]


def okr_tree(
    s: Session,
    principal: Principal,
    con: BaseBackend | None = None,
    *,
    period_label: str | None = None,
    as_of: date | None = None,
) -> list[ObjectiveNode]:
    """Objectives the caller may see, in tree order, with weighted progress rolled up.

    Metric key results read their current value from the metric engine over the
    objective's period up to ``as_of``; manual ones use their latest check-in. Objectives
    outside the caller's scope still count in their parent's progress; they are only not
    listed.
    """
    from chanli.targets.model import KeyResult as KeyResultValue
    from chanli.targets.model import Objective as ObjectiveValue

    stmt = select(Objective).where(Objective.status != "dropped").order_by(Objective.id)
    if period_label:
        p = calendar(s).parse(period_label)
        stmt = stmt.where(Objective.period_start < p.end, Objective.period_end > p.start)
    objs = list(s.scalars(stmt))
    krs: dict[int, list[KeyResult]] = {}
    ids = [o.id for o in objs]
    for chunk in (ids[i : i + 900] for i in range(0, len(ids), 900)):
        for kr in s.scalars(select(KeyResult).where(KeyResult.objective_id.in_(chunk)).order_by(KeyResult.id)):
            krs.setdefault(kr.objective_id, []).append(kr)
    org = org_snapshot(s)
    current: dict[int, Decimal] = {}
    for o in objs:
        for kr in krs.get(o.id, []):
            current[kr.id] = kr.current_value
            if kr.kind == "metric" and kr.metric_code and con is not None:
                owner = org.normalize(parse_owner(o.owner_key))
                end = min(o.period_end, (as_of + timedelta(days=1)) if as_of else o.period_end)
                if end > o.period_start and org.exists(owner):
                    got = actuals(s, con, kr.metric_code, o.period_start, end, [owner], org).get(str(owner))
                    if got is not None and got.value is not None:
                        current[kr.id] = got.value
    values = [
        ObjectiveValue(
            o.id,
            OkrLayer(o.layer),
            o.title,
            o.parent_id if o.parent_id in ids else None,
            o.weight,
            key_results=tuple(
                KeyResultValue(
                    kr.id, o.id, kr.title, kr.start_value, kr.target_value, current[kr.id], kr.weight, kr.metric_code
                )
                for kr in krs.get(o.id, [])
            ),
        )
        for o in objs
    ]
    prog = rules.objective_progress(values)
    by_id = {o.id: o for o in objs}
    depth: dict[int, int] = {}

    def depth_of(oid: int) -> int:
        if oid not in depth:
            parent = by_id[oid].parent_id
            depth[oid] = 0 if parent is None or parent not in by_id else depth_of(parent) + 1
        return depth[oid]

    children: dict[int | None, list[Objective]] = {}
    for o in objs:
        children.setdefault(o.parent_id if o.parent_id in by_id else None, []).append(o)
    ordered: list[Objective] = []

    def walk(parent: int | None) -> None:
        for o in sorted(children.get(parent, []), key=lambda x: (OkrLayer(x.layer).rank, x.id)):
            ordered.append(o)
            walk(o.id)

    walk(None)
    out = []
    for o in ordered:
        owner = parse_owner(o.owner_key)
        if not owner_in_scope(principal, org, org.normalize(owner)):
            continue
        kr_views = tuple(
            KeyResultView(
                kr.id,
                kr.title,
                kr.kind,
                kr.metric_code,
                kr.target_id,
                kr.start_value.normalize(),
                kr.target_value.normalize(),
                current[kr.id].normalize(),
                kr.weight.normalize(),
                rules.key_result_progress(
                    KeyResultValue(kr.id, o.id, kr.title, kr.start_value, kr.target_value, current[kr.id])
                ).quantize(Decimal("0.0001")),
            )
            for kr in krs.get(o.id, [])
        )
        out.append(
            ObjectiveNode(
                o.id,
                o.layer,
                o.title,
                o.description,
                o.parent_id,
                o.owner_key,
                org.name(owner),
                o.period_label,
                o.weight.normalize(),
                o.status,
                prog[o.id],
                depth_of(o.id),
                kr_views,
            )
        )
    return out


def zone(s: Session) -> ZoneInfo:
    profile = org_queries.company_profile(s)
    return ZoneInfo(profile.time_zone if profile else "Asia/Shanghai")
