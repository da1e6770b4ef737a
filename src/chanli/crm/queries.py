"""Scoped reads of CRM facts for the shells, and the home dashboard's figures.

Rows are visible through their owner: a manager sees what people in their subtree own, a
rep what they own. Aggregates run in the database (one GROUP BY each), never as Python
loops over rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import Session, aliased

from chanli.core.auth import Principal, scope
from chanli.crm.model import STAGES
from chanli.crm.tables import (
    Account,
    Activity,
    CallRecord,
    Lead,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    Product,
    StageChange,
)
from chanli.org import queries as org_queries

__all__ = [
    "AccountRow",
    "ActivityRow",
    "Dashboard",
    "LeadRow",
    "OpportunityDetail",
    "OpportunityRow",
    "dashboard",
    "export_rows",
    "export_rows_for",
    "external_ids",
    "get_opportunity",
    "get_order",
    "is_visible",
    "latest_fact_month_end",
    "list_accounts",
    "list_leads",
    "list_opportunities",
    "reference_keys",
    "rows_by_key",
]


def _owner_scope(stmt: Select[Any], principal: Principal, owner_col: Any) -> Select[Any]:
    """Scope a statement by the owning person's team (manager) or the owner (rep)."""
    if principal.sees_all:
        return stmt
    owner = aliased(org_queries.person_table())
    stmt = stmt.outerjoin(owner, owner.id == owner_col)
    return scope(stmt, principal, team_col=owner.team_id, person_col=owner_col)


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    name: str
    industry: str | None
    region: str | None
    grade: str | None
    lifecycle_status: str
    owner_id: int | None
    owner_name: str | None
    external_id: str | None


@dataclass(frozen=True, slots=True)
class LeadRow:
    id: int
    company_name: str
    source: str | None
    channel: str | None
    region: str | None
    status: str
    received_at: datetime
    first_contacted_at: datetime | None
    owner_id: int | None
    owner_name: str | None
    score: Decimal | None


@dataclass(frozen=True, slots=True)
class OpportunityRow:
    id: int
    name: str
    account_name: str | None
    owner_id: int | None
    owner_name: str | None
    product: str | None
    stage: str
    status: str
    amount: Decimal
    probability: Decimal
    created_on: date
    expected_close: date | None
    closed_on: date | None
    lost_reason: str | None
    external_id: str | None


@dataclass(frozen=True, slots=True)
class StageRow:
    from_stage: str | None
    to_stage: str
    changed_at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class ActivityRow:
    id: int
    kind: str
    started_at: datetime
    duration_min: int
    person_name: str
    outcome: str | None


@dataclass(frozen=True, slots=True)
class OpportunityDetail:
    opportunity: OpportunityRow
    stage_history: list[StageRow]
    activities: list[ActivityRow]


def _person() -> Any:
    return org_queries.person_table()


def list_accounts(
    s: Session,
    principal: Principal,
    *,
    grade: str | None = None,
    search: str | None = None,
    owner_id: int | None = None,
    ids: list[int] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AccountRow]:
    person = aliased(_person())
    stmt = (
        select(Account, person.name)
        .outerjoin(person, person.id == Account.owner_id)
        .where(Account.deleted_at.is_(None))
    )
    stmt = _owner_scope(stmt, principal, Account.owner_id)
    if grade:
        stmt = stmt.where(Account.grade == grade)
    if search:
        stmt = stmt.where(Account.name.contains(search))
    if owner_id is not None:
        stmt = stmt.where(Account.owner_id == owner_id)
    if ids is not None:
        stmt = stmt.where(Account.id.in_(ids))
    stmt = stmt.order_by(Account.name).limit(limit).offset(offset)
    return [
        AccountRow(a.id, a.name, a.industry, a.region, a.grade, a.lifecycle_status, a.owner_id, on, a.external_id)
        for a, on in s.execute(stmt)
    ]


def list_leads(
    s: Session,
    principal: Principal,
    *,
    status: str | None = None,
    source: str | None = None,
    ids: list[int] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[LeadRow]:
    person = aliased(_person())
    stmt = select(Lead, person.name).outerjoin(person, person.id == Lead.owner_id)
    stmt = _owner_scope(stmt, principal, Lead.owner_id)
    if status:
        stmt = stmt.where(Lead.status == status)
    if source:
        stmt = stmt.where(Lead.source == source)
    if ids is not None:
        stmt = stmt.where(Lead.id.in_(ids))
    stmt = stmt.order_by(Lead.received_at.desc(), Lead.id.desc()).limit(limit).offset(offset)
    return [
        LeadRow(
            x.id,
            x.company_name,
            x.source,
            x.channel,
            x.region,
            x.status,
            x.received_at,
            x.first_contacted_at,
            x.owner_id,
            on,
            x.score,
        )
        for x, on in s.execute(stmt)
    ]


def _opportunity_stmt(principal: Principal) -> Select[Any]:
    person = aliased(_person())
    stmt = (
        select(Opportunity, Account.name, person.name, Product.name)
        .outerjoin(Account, Account.id == Opportunity.account_id)
        .outerjoin(person, person.id == Opportunity.owner_id)
        .outerjoin(Product, Product.id == Opportunity.product_id)
        .where(Opportunity.deleted_at.is_(None))
    )
    return _owner_scope(stmt, principal, Opportunity.owner_id)


def _opportunity_row(o: Opportunity, account: str | None, owner: str | None, product: str | None) -> OpportunityRow:
    return OpportunityRow(
        o.id,
        o.name,
        account,
        o.owner_id,
        owner,
        product,
        o.stage,
        o.status,
        o.amount,
        o.probability,
        o.created_on,
        o.expected_close,
        o.closed_on,
        o.lost_reason,
        o.external_id,
    )


def list_opportunities(
    s: Session,
    principal: Principal,
    *,
    stage: str | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    search: str | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
    ids: list[int] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[OpportunityRow]:
    stmt = _opportunity_stmt(principal)
    if stage:
        stmt = stmt.where(Opportunity.stage == stage)
    if status:
        stmt = stmt.where(Opportunity.status == status)
    if owner_id is not None:
        stmt = stmt.where(Opportunity.owner_id == owner_id)
    if search:
        stmt = stmt.where(Opportunity.name.contains(search))
    if closed_from:
        stmt = stmt.where(Opportunity.closed_on >= closed_from)
    if closed_to:
        stmt = stmt.where(Opportunity.closed_on < closed_to)
    if ids is not None:
        stmt = stmt.where(Opportunity.id.in_(ids))
    stmt = stmt.order_by(Opportunity.created_on.desc(), Opportunity.id.desc()).limit(limit).offset(offset)
    return [_opportunity_row(*r) for r in s.execute(stmt)]


def get_opportunity(s: Session, principal: Principal, opportunity_id: int) -> OpportunityDetail | None:
    row = s.execute(_opportunity_stmt(principal).where(Opportunity.id == opportunity_id)).first()
    if row is None:
        return None
    history = [
        StageRow(h.from_stage, h.to_stage, h.changed_at, h.note)
        for h in s.scalars(
            select(StageChange)
            .where(StageChange.opportunity_id == opportunity_id)
            .order_by(StageChange.changed_at, StageChange.id)
        )
    ]
    person = aliased(_person())
    acts = [
        ActivityRow(a.id, a.kind, a.started_at, a.duration_min, pn, a.outcome)
        for a, pn in s.execute(
            select(Activity, person.name)
            .join(person, person.id == Activity.person_id)
            .where(Activity.opportunity_id == opportunity_id)
            .order_by(Activity.started_at)
        )
    ]
    return OpportunityDetail(_opportunity_row(*row), history, acts)


# --- dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageFigure:
    stage: str
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MonthFigure:
    month: str  # 2026-10
    won: Decimal
    collected: Decimal


@dataclass(frozen=True, slots=True)
class RepFigure:
    person_id: int
    name: str
    won: Decimal
    orders: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    pipeline: list[StageFigure]
    monthly: list[MonthFigure]
    top_reps: list[RepFigure]
    open_pipeline: Decimal
    won_total: Decimal
    collected_total: Decimal
    start: date
    end: date


def dashboard(s: Session, principal: Principal, start: date, end: date, *, top: int = 10) -> Dashboard:
    """Home figures for [start, end): open pipeline by stage, won and collected per month,
    top reps by won revenue — all within the caller's scope."""
    pipe_stmt = _owner_scope(
        select(Opportunity.stage, func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.amount), 0)).where(
            Opportunity.status == "open", Opportunity.deleted_at.is_(None)
        ),
        principal,
        Opportunity.owner_id,
    ).group_by(Opportunity.stage)
    figures = {st: StageFigure(st, int(n), Decimal(a)) for st, n, a in s.execute(pipe_stmt)}
    pipeline = [figures.get(st.value, StageFigure(st.value, 0, Decimal(0))) for st in STAGES]
    pipeline += [f for k, f in figures.items() if k not in {st.value for st in STAGES}]

    y, m = extract("year", Order.signed_on), extract("month", Order.signed_on)
    won_stmt = _owner_scope(
        select(y, m, func.sum(Order.net_amount)).where(
            Order.status == "active", Order.deleted_at.is_(None), Order.signed_on >= start, Order.signed_on < end
        ),
        principal,
        Order.owner_id,
    ).group_by(y, m)
    won = {(int(a), int(b)): Decimal(v) for a, b, v in s.execute(won_stmt)}
    py, pm = extract("year", Payment.received_on), extract("month", Payment.received_on)
    paid_stmt = _owner_scope(
        select(py, pm, func.sum(Payment.amount))
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.deleted_at.is_(None), Payment.received_on >= start, Payment.received_on < end),
        principal,
        Order.owner_id,
    ).group_by(py, pm)
    paid = {(int(a), int(b)): Decimal(v) for a, b, v in s.execute(paid_stmt)}
    months: list[MonthFigure] = []
    cy, cm = start.year, start.month
    while date(cy, cm, 1) < end:
        months.append(MonthFigure(f"{cy}-{cm:02d}", _q(won.get((cy, cm))), _q(paid.get((cy, cm)))))
        cy, cm = (cy + 1, 1) if cm == 12 else (cy, cm + 1)

    person = aliased(_person())
    top_stmt = (
        _owner_scope(
            select(Order.owner_id, person.name, func.sum(Order.net_amount), func.count(Order.id))
            .join(person, person.id == Order.owner_id)
            .where(
                Order.status == "active", Order.deleted_at.is_(None), Order.signed_on >= start, Order.signed_on < end
            ),
            principal,
            Order.owner_id,
        )
        .group_by(Order.owner_id, person.name)
        .order_by(func.sum(Order.net_amount).desc(), Order.owner_id)
        .limit(top)
    )
    top_reps = [RepFigure(pid, name, _q(v), int(n)) for pid, name, v, n in s.execute(top_stmt)]
    return Dashboard(
        pipeline=pipeline,
        monthly=months,
        top_reps=top_reps,
        open_pipeline=_q(sum((f.amount for f in pipeline), Decimal(0))),
        won_total=_q(sum((mf.won for mf in months), Decimal(0))),
        collected_total=_q(sum((mf.collected for mf in months), Decimal(0))),
        start=start,
        end=end,
    )


def latest_fact_month_end(s: Session) -> date:
    """The first day after the month of the newest signed order (or this month with no
    orders), so the dashboard of an imported history shows that history, not empty months."""
    newest = s.scalar(select(func.max(Order.signed_on)).where(Order.deleted_at.is_(None)))
    day = newest or datetime.now().date()  # noqa: DTZ005 - only the month matters
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


_OWNED: dict[str, tuple[Any, Any]] = {
    "account": (Account, Account.owner_id),
    "lead": (Lead, Lead.owner_id),
    "opportunity": (Opportunity, Opportunity.owner_id),
    "order": (Order, Order.owner_id),
}


def is_visible(s: Session, principal: Principal, entity: str, object_id: int) -> bool:
    table, owner_col = _OWNED[entity]
    stmt = _owner_scope(select(table.id).where(table.id == object_id), principal, owner_col)
    return s.scalar(stmt) is not None


def _q(v: Decimal | None) -> Decimal:
    return Decimal(0).quantize(Decimal("0.01")) if v is None else Decimal(v).quantize(Decimal("0.01"))


_ENTITIES: dict[str, Any] = {
    "account": Account,
    "lead": Lead,
    "opportunity": Opportunity,
    "order": Order,
    "payment": Payment,
    "product": Product,
    "activity": Activity,
    "call": CallRecord,
}


def external_ids(s: Session, entity: str, keys: list[str]) -> dict[str, int]:
    """Map external ids to row ids for references in imports."""
    table = _ENTITIES[entity]
    if not keys:
        return {}
    out: dict[str, int] = {}
    for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
        chunk = keys[i : i + 900]
        out.update(s.execute(select(table.external_id, table.id).where(table.external_id.in_(chunk))).all())
    return out


def names_to_ids(s: Session, entity: str, names: list[str]) -> dict[str, list[int]]:
    table = _ENTITIES[entity]
    out: dict[str, list[int]] = {}
    for i in range(0, len(names), 900):
        for name, id_ in s.execute(select(table.name, table.id).where(table.name.in_(names[i : i + 900]))):
            out.setdefault(name, []).append(id_)
    return out


def export_rows(s: Session, entity: str, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Stream rows of an entity as column dicts for export, in id order, without loading them all."""
    table = _ENTITIES[entity]
    cols = [c.key for c in table.__table__.columns]
    stmt = select(table).order_by(table.id)
    if hasattr(table, "deleted_at"):
        stmt = stmt.where(table.deleted_at.is_(None))
    for row in s.scalars(stmt.execution_options(yield_per=batch)):
        yield {c: getattr(row, c) for c in cols}


def order_lines(s: Session, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    out: dict[int, list[OrderLine]] = {}
    for i in range(0, len(order_ids), 900):
        for ln in s.scalars(
            select(OrderLine)
            .where(OrderLine.order_id.in_(order_ids[i : i + 900]), OrderLine.deleted_at.is_(None))
            .order_by(OrderLine.id)
        ):
            out.setdefault(ln.order_id, []).append(ln)
    return out


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    account_id: int
    owner_id: int
    signed_on: date
    status: str
    net_amount: Decimal
    collected: Decimal
    external_id: str | None


def get_order(s: Session, principal: Principal, order_id: int) -> OrderRow | None:
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.order_id == Order.id, Payment.deleted_at.is_(None))
        .scalar_subquery()
    )
    stmt = _owner_scope(
        select(Order, paid).where(Order.id == order_id, Order.deleted_at.is_(None)), principal, Order.owner_id
    )
    row = s.execute(stmt).first()
    if row is None:
        return None
    o, collected = row
    return OrderRow(o.id, o.account_id, o.owner_id, o.signed_on, o.status, o.net_amount, _q(collected), o.external_id)


def lead_sources(s: Session, principal: Principal) -> list[str]:
    """The distinct sources (官网, 展会, 转介绍 …) of the leads the caller may see, for the leads
    page's filter: sources are free text from imports, so the choices come from the data."""
    stmt = _owner_scope(
        select(Lead.source).where(Lead.source.is_not(None)).distinct(), principal, Lead.owner_id
    ).order_by(Lead.source)
    return [src for src in s.scalars(stmt) if src]


# --- for imports and exports (chanli.exchange) ------------------------------------------------


def rows_by_key(
    s: Session, entity: str, *, external_ids: Sequence[str] = (), ids: Sequence[int] = ()
) -> list[dict[str, Any]]:
    """Column values of rows found by external id or id, so an import can leave the columns
    its file does not carry as they are."""
    table = _ENTITIES[entity]
    cols = [c.key for c in table.__table__.columns]
    out: list[dict[str, Any]] = []
    for column, keys in ((table.external_id, list(external_ids)), (table.id, list(ids))):
        for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
            for row in s.scalars(select(table).where(column.in_(keys[i : i + 900]))):
                out.append({c: getattr(row, c) for c in cols})
    return out


def reference_keys(s: Session, entity: str, ids: Sequence[int]) -> dict[int, str]:
    """id → how an export names a row it references: the external id, else the name (for
    entities that have one); rows with neither are left out."""
    table = _ENTITIES[entity]
    name_col = getattr(table, "name", None)
    keys = sorted(set(ids))
    out: dict[int, str] = {}
    for i in range(0, len(keys), 900):
        cols = [table.id, table.external_id] + ([name_col] if name_col is not None else [])
        for row in s.execute(select(*cols).where(table.id.in_(keys[i : i + 900]))):
            key = row[1] or (row[2] if name_col is not None else None)
            if key:
                out[row[0]] = key
    return out


_EXPORT_OWNER: dict[str, Any] = {
    "account": Account.owner_id,
    "lead": Lead.owner_id,
    "opportunity": Opportunity.owner_id,
    "order": Order.owner_id,
    "payment": Order.owner_id,
    "activity": Activity.person_id,
    "call": CallRecord.person_id,
}


def export_rows_for(s: Session, principal: Principal, entity: str, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Rows of an entity the caller may see (through their owner, like every list here), as
    column dicts in id order, streamed in batches. Products are a catalogue everyone sees."""
    table = _ENTITIES[entity]
    cols = [c.key for c in table.__table__.columns]
    stmt = select(table).order_by(table.id)
    if hasattr(table, "deleted_at"):
        stmt = stmt.where(table.deleted_at.is_(None))
    if entity == "payment" and not principal.sees_all:
        stmt = stmt.join(Order, Order.id == Payment.order_id)
    if entity in _EXPORT_OWNER:
        stmt = _owner_scope(stmt, principal, _EXPORT_OWNER[entity])
    for row in s.scalars(stmt.execution_options(yield_per=batch)):
        yield {c: getattr(row, c) for c in cols}
