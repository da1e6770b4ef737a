"""CRM use cases: record the facts (accounts, leads, opportunities, activities, orders,
payments, renewals, feedback, calls) and the few state changes that matter for money and
process (stage moves with history, cancellations, soft deletes).

Upserts work in batches keyed by external id so an import of a million rows touches the
database once per batch, not once per row. Changes to existing money rows are audited
field by field; new rows are summarised in one audit entry per batch.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from chanli.core.audit import record, snapshot
from chanli.core.auth import Principal
from chanli.core.db import Base, UnitOfWork
from chanli.core.issues import Issue, ValidationFailed
from chanli.core.periods import business_date
from chanli.crm import queries
from chanli.crm.model import (
    DEFAULT_PROBABILITY,
    AccountDraft,
    ActivityDraft,
    CallRecordDraft,
    ContactDraft,
    FeedbackDraft,
    LeadDraft,
    OpportunityDraft,
    OpportunityStatus,
    OrderDraft,
    OrderStatus,
    PaymentDraft,
    ProductDraft,
    RenewalDraft,
    Stage,
    line_net_amount,
)
from chanli.crm.tables import (
    Account,
    Activity,
    CallRecord,
    Contact,
    Feedback,
    Lead,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    Product,
    Renewal,
    StageChange,
)
from chanli.org import queries as org_queries

__all__ = [
    "NotFound",
    "Upserted",
    "add_feedback",
    "add_renewals",
    "bulk_insert",
    "cancel_order",
    "ensure_visible",
    "move_stage",
    "set_account_parents",
    "soft_delete",
    "update_by_id",
    "upsert_accounts",
    "upsert_activities",
    "upsert_calls",
    "upsert_contacts",
    "upsert_leads",
    "upsert_opportunities",
    "upsert_orders",
    "upsert_payments",
    "upsert_products",
]

T = TypeVar("T", bound=Base)


@dataclass(frozen=True, slots=True)
class Upserted:
    """What an upsert did: the row ids in draft order, and how many were created or changed."""

    ids: list[int]
    created: int
    updated: int


MONEY_TABLES = (Opportunity, Order, Payment, Renewal, OrderLine)


class NotFound(LookupError):
    """A referenced object does not exist or is outside the caller's scope (HTTP 404)."""


def _upsert(
    uow: UnitOfWork,
    table: type[T],
    drafts: Sequence[Any],
    entity: str,
    *,
    skip: tuple[str, ...] = (),
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[list[T], int, int]:
    """Create or update rows of ``table`` from drafts whose fields are column names;
    ``derive`` adds columns computed from them (e.g. the business date of a timestamp)."""
    s = uow.session
    keys = [d.external_id for d in drafts if getattr(d, "external_id", None)]
    existing: dict[str, T] = (
        {r.external_id: r for r in s.scalars(select(table).where(table.external_id.in_(keys)))}  # type: ignore[attr-defined]
        if keys
        else {}
    )
    names = [f.name for f in dataclasses.fields(drafts[0]) if f.name not in skip] if drafts else []
    rows: list[T] = []
    created = updated = 0
    audit_updates = table in MONEY_TABLES or table is Account
    for d in drafts:
        values = {n: getattr(d, n) for n in names}
        if derive is not None:
            values.update(derive(values))
        row = existing.get(values.get("external_id")) if values.get("external_id") else None
        if row is None:
            row = table(**values)
            s.add(row)
            if values.get("external_id"):
                existing[values["external_id"]] = row  # a repeated key in one batch updates the first
            created += 1
        else:
            before = snapshot(row, list(values)) if audit_updates else None
            changed = False
            for n, v in values.items():
                if getattr(row, n) != v:
                    setattr(row, n, v)
                    changed = True
            if changed:
                updated += 1
                if audit_updates:
                    record(
                        s,
                        uow.actor,
                        f"{entity}.update",
                        entity,
                        row.id,  # type: ignore[attr-defined]
                        before=before,
                        after=snapshot(row, list(values)),
                    )
        rows.append(row)
    s.flush()
    if created:
        record(s, uow.actor, f"{entity}.create", entity, None, after={"created": created})
    return rows, created, updated


def upsert_products(uow: UnitOfWork, drafts: Sequence[ProductDraft]) -> Upserted:
    rows, c, u = _upsert(uow, Product, drafts, "product")
    return Upserted([r.id for r in rows], c, u)


def upsert_accounts(uow: UnitOfWork, drafts: Sequence[AccountDraft]) -> Upserted:
    for d in drafts:
        if d.grade not in (None, "A", "B", "C"):
            raise ValidationFailed(
                [Issue("account.grade", f"grade must be A, B or C, got {d.grade!r}", column="grade")]
            )
    rows, c, u = _upsert(uow, Account, drafts, "account")
    return Upserted([r.id for r in rows], c, u)


def upsert_contacts(uow: UnitOfWork, drafts: Sequence[ContactDraft]) -> Upserted:
    rows, c, u = _upsert(uow, Contact, drafts, "contact")
    return Upserted([r.id for r in rows], c, u)


def company_time_zone(s: Session) -> str:
    """The company's time zone (Asia/Shanghai until a profile says otherwise)."""
    profile = org_queries.company_profile(s)
    return profile.time_zone if profile else "Asia/Shanghai"


def _business_day(s: Session, column: str, source: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    tz = company_time_zone(s)
    return lambda values: {column: business_date(values[source], tz)}


def upsert_leads(uow: UnitOfWork, drafts: Sequence[LeadDraft]) -> Upserted:
    """Upsert leads; each gets its business date (``received_on``) in the company time zone,
    so "leads of October" means October in Shanghai, not on the server."""
    rows, c, u = _upsert(uow, Lead, drafts, "lead", derive=_business_day(uow.session, "received_on", "received_at"))
    return Upserted([r.id for r in rows], c, u)


def upsert_opportunities(uow: UnitOfWork, drafts: Sequence[OpportunityDraft]) -> Upserted:
    """Upsert opportunities; a new one, or one whose stage changed, gets a stage-history row."""
    s = uow.session
    keys = [d.external_id for d in drafts if d.external_id]
    old_stage = (
        dict(
            s.execute(select(Opportunity.external_id, Opportunity.stage).where(Opportunity.external_id.in_(keys))).all()
        )
        if keys
        else {}
    )
    rows, c, u = _upsert(uow, Opportunity, drafts, "opportunity")
    for d, row in zip(drafts, rows, strict=True):
        previous = old_stage.get(d.external_id) if d.external_id else None
        if previous != row.stage:
            when = d.closed_on or d.engaged_on or d.created_on
            s.add(
                StageChange(
                    opportunity_id=row.id,
                    from_stage=previous,
                    to_stage=row.stage,
                    changed_at=datetime(when.year, when.month, when.day, tzinfo=UTC),
                )
            )
    s.flush()
    return Upserted([r.id for r in rows], c, u)


def upsert_activities(uow: UnitOfWork, drafts: Sequence[ActivityDraft]) -> Upserted:
    rows, c, u = _upsert(
        uow, Activity, drafts, "activity", derive=_business_day(uow.session, "occurred_on", "started_at")
    )
    return Upserted([r.id for r in rows], c, u)


def upsert_orders(uow: UnitOfWork, drafts: Sequence[OrderDraft]) -> Upserted:
    """Upsert orders and replace their lines. Each line is rounded once (half-up to the fen);
    the order's net amount is the sum of its rounded lines."""
    s = uow.session
    issues: list[Issue] = []
    nets: list[tuple[Decimal, list[OrderLine]]] = []
    for i, d in enumerate(drafts):
        if not d.lines:
            issues.append(Issue("order.lines", f"order {d.external_id or i} has no lines"))
            continue
        lines = []
        try:
            for ln in d.lines:
                lines.append(
                    OrderLine(
                        product_id=ln.product_id,
                        quantity=ln.quantity,
                        list_price=ln.list_price,
                        discount_rate=ln.discount_rate,
                        net_amount=line_net_amount(ln.quantity, ln.list_price, ln.discount_rate, d.currency),
                    )
                )
        except ValueError as exc:
            issues.append(Issue("order.line", f"order {d.external_id or i}: {exc}"))
            continue
        nets.append((sum((x.net_amount for x in lines), Decimal(0)), lines))
    if issues:
        raise ValidationFailed(issues)
    rows, c, u = _upsert(uow, Order, drafts, "order", skip=("lines",))
    ids = [r.id for r in rows]
    current = queries.order_lines(s, ids)
    replace = {
        row.id
        for row, (_, lines) in zip(rows, nets, strict=True)
        if _line_keys(current.get(row.id, [])) != _line_keys(lines)
    }  # identical lines stay as they are, so re-upserting an unchanged order changes nothing
    if replace:
        s.execute(delete(OrderLine).where(OrderLine.order_id.in_(sorted(replace))))
    for row, (net, lines) in zip(rows, nets, strict=True):
        if row.net_amount != net:
            row.net_amount = net
        if row.id not in replace:
            continue
        for ln in lines:
            ln.order_id = row.id
            s.add(ln)
    s.flush()
    return Upserted(ids, c, u)


def _line_keys(lines: Sequence[OrderLine]) -> list[tuple[Any, ...]]:
    return [(ln.product_id, Decimal(ln.quantity), Decimal(ln.list_price), Decimal(ln.discount_rate)) for ln in lines]


def upsert_payments(uow: UnitOfWork, drafts: Sequence[PaymentDraft]) -> Upserted:
    for d in drafts:
        if d.amount <= 0:
            raise ValidationFailed([Issue("payment.amount", f"payment amount must be positive, got {d.amount}")])
    rows, c, u = _upsert(uow, Payment, drafts, "payment")
    return Upserted([r.id for r in rows], c, u)


def upsert_calls(uow: UnitOfWork, drafts: Sequence[CallRecordDraft]) -> Upserted:
    rows, c, u = _upsert(
        uow, CallRecord, drafts, "call_record", derive=_business_day(uow.session, "occurred_on", "started_at")
    )
    return Upserted([r.id for r in rows], c, u)


def add_renewals(uow: UnitOfWork, drafts: Sequence[RenewalDraft]) -> int:
    s = uow.session
    s.add_all(Renewal(**dataclasses.asdict(d)) for d in drafts)
    s.flush()
    record(s, uow.actor, "renewal.create", "renewal", None, after={"created": len(drafts)})
    return len(drafts)


def add_feedback(uow: UnitOfWork, drafts: Sequence[FeedbackDraft]) -> int:
    for d in drafts:
        if d.satisfaction is not None and not 0 <= d.satisfaction <= 100:
            raise ValidationFailed(
                [Issue("feedback.satisfaction", f"satisfaction must be 0–100, got {d.satisfaction}")]
            )
    s = uow.session
    s.add_all(Feedback(**dataclasses.asdict(d)) for d in drafts)
    s.flush()
    return len(drafts)


def move_stage(
    uow: UnitOfWork,
    opportunity_id: int,
    to_stage: Stage,
    *,
    at: datetime,
    by_person_id: int | None = None,
    lost_reason: str | None = None,
    note: str | None = None,
) -> Opportunity:
    """Move an opportunity to a stage, keeping history; won/lost close it on the business date."""
    s = uow.session
    opp = _get(s, Opportunity, opportunity_id)
    if opp.status != OpportunityStatus.OPEN.value:
        raise ValidationFailed([Issue("opportunity.closed", f"opportunity {opp.id} is already {opp.status}")])
    if to_stage is Stage.LOST and not lost_reason:
        raise ValidationFailed(
            [Issue("opportunity.lost_reason", "a lost opportunity needs a lost reason", column="lost_reason")]
        )
    before = snapshot(opp, ["stage", "status", "probability", "closed_on", "lost_reason"])
    s.add(
        StageChange(
            opportunity_id=opp.id,
            from_stage=opp.stage,
            to_stage=to_stage.value,
            changed_at=at,
            changed_by_id=by_person_id,
            note=note,
        )
    )
    opp.stage = to_stage.value
    opp.probability = DEFAULT_PROBABILITY[to_stage]
    if to_stage in (Stage.WON, Stage.LOST):
        opp.status = OpportunityStatus.WON.value if to_stage is Stage.WON else OpportunityStatus.LOST.value
        opp.closed_on = at.date()
        opp.lost_reason = lost_reason
    s.flush()
    record(
        s,
        uow.actor,
        "opportunity.stage",
        "opportunity",
        opp.id,
        before=before,
        after=snapshot(opp, ["stage", "status", "probability", "closed_on", "lost_reason"]),
        reason=note,
    )
    return opp


def cancel_order(uow: UnitOfWork, order_id: int, *, on: date, reason: str) -> Order:
    """Cancel an order. The row stays (soft state), so compensation can claw back its credit."""
    s = uow.session
    order = _get(s, Order, order_id)
    if order.status != OrderStatus.ACTIVE.value:
        raise ValidationFailed([Issue("order.status", f"order {order.id} is already {order.status}")])
    before = snapshot(order, ["status", "cancelled_on"])
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_on = on
    s.flush()
    record(
        s,
        uow.actor,
        "order.cancel",
        "order",
        order.id,
        before=before,
        after=snapshot(order, ["status", "cancelled_on"]),
        reason=reason,
    )
    return order


_SOFT = {"opportunity": Opportunity, "order": Order, "payment": Payment, "account": Account, "renewal": Renewal}


def soft_delete(uow: UnitOfWork, entity: str, object_id: int, *, reason: str) -> None:
    """Mark a money-related row deleted; it disappears from lists but stays for history."""
    table = _SOFT.get(entity)
    if table is None:
        raise ValueError(f"{entity} cannot be deleted this way")
    s = uow.session
    row = _get(s, table, object_id)
    if row.deleted_at is not None:  # type: ignore[attr-defined]
        return
    row.deleted_at = datetime.now(UTC)  # type: ignore[attr-defined]
    s.flush()
    record(s, uow.actor, f"{entity}.delete", entity, object_id, reason=reason)


def ensure_visible(uow: UnitOfWork, principal: Principal, entity: str, object_id: int) -> None:
    """Refuse (as not found) an action on a row outside the caller's scope."""
    if not queries.is_visible(uow.session, principal, entity, object_id):
        raise NotFound(f"{entity} {object_id} does not exist")


def _get(s: Session, table: type[T], object_id: int) -> T:
    row = s.get(table, object_id)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise NotFound(f"{table.__tablename__[:-1]} {object_id} does not exist")
    return row


_BY_ID: dict[str, tuple[Any, bool]] = {"account": (Account, True), "product": (Product, False)}


def update_by_id(uow: UnitOfWork, entity: str, items: Sequence[tuple[int, Any]]) -> int:
    """Update accounts or products found by id rather than external id (an import matched
    them by name because they have none) from drafts. Returns how many changed; account
    changes are audited field by field, like ``_upsert`` does."""
    table, audited = _BY_ID[entity]
    s = uow.session
    changed = 0
    for object_id, draft in items:
        row = _get(s, table, object_id)
        names = [f.name for f in dataclasses.fields(draft) if f.name != "external_id" or draft.external_id]
        before = snapshot(row, names)
        for n in names:
            if getattr(row, n) != getattr(draft, n):
                setattr(row, n, getattr(draft, n))
        after = snapshot(row, names)
        if after != before:
            changed += 1
            if audited:
                record(s, uow.actor, f"{entity}.update", entity, row.id, before=before, after=after)
    s.flush()
    return changed


def set_account_parents(uow: UnitOfWork, links: Sequence[tuple[int, int | None]]) -> int:
    """Set each account's parent account (母公司/集团), refusing a loop. Returns how many changed."""
    s = uow.session
    changed = 0
    for account_id, parent_id in links:
        account = _get(s, Account, account_id)
        if account.parent_account_id == parent_id:
            continue
        ancestor = parent_id
        for _ in range(1000):
            if ancestor is None:
                break
            if ancestor == account_id:
                raise ValidationFailed(
                    [Issue("account.parent_cycle", f"account {account.name} cannot be its own parent company")]
                )
            ancestor = _get(s, Account, ancestor).parent_account_id
        before = {"parent_account_id": account.parent_account_id}
        account.parent_account_id = parent_id
        record(
            s, uow.actor, "account.update", "account", account.id, before=before, after={"parent_account_id": parent_id}
        )
        changed += 1
    s.flush()
    return changed


_BULK: dict[str, Any] = {
    "products": Product, "accounts": Account, "orders": Order, "order_lines": OrderLine, "payments": Payment,
}


def bulk_insert(uow: UnitOfWork, entity: str, columns: Mapping[str, Sequence[Any]]) -> int:
    """Insert many *new* rows of one entity, given column by column, for benchmark-sized loads
    (millions of order lines) that would take hours through the per-row upserts.

    PostgreSQL gets them by ``COPY``; other stores by one ``executemany`` with each column
    converted by its type's bind processor (what SQLAlchemy does per row, done per column).
    Ids may be given (kept; PostgreSQL's id sequence is moved past them); ``created_at`` and
    ``updated_at`` default to now. No upsert and no per-row checks beyond the table
    constraints, one audit entry per call: the caller guarantees that an order's net amount
    is the sum of its rounded lines (``demo.scale`` computes both exactly). Returns the rows
    inserted.
    """
    if entity not in _BULK:
        raise ValueError(f"bulk insert supports {', '.join(_BULK)}, not {entity!r}")
    table = _BULK[entity].__table__
    data = dict(columns)
    n = len(next(iter(data.values()), ()))
    if any(len(v) != n for v in data.values()):
        raise ValueError("bulk insert columns must have the same length")
    if n == 0:
        return 0
    # columns left out take one value for every row: now for the timestamps, else the scalar
    # default SQLAlchemy would fill in (converted once, not once per row)
    now = datetime.now(UTC)
    constants: dict[str, Any] = {}
    for column in table.c:
        if column.key in data or column.key == "id":
            continue
        if column.key in ("created_at", "updated_at"):
            constants[column.key] = now
        elif column.default is not None and column.default.is_scalar and column.default.arg is not None:
            constants[column.key] = column.default.arg
    s = uow.session
    conn = s.connection()
    dialect = conn.dialect
    names = [*data, *constants]
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        copy_sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in names)}) FROM STDIN"
        rows = zip(*data.values(), *(itertools.repeat(v, n) for v in constants.values()), strict=False)
        with conn.connection.driver_connection.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        if "id" in data:
            s.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                         select(func.max(table.c.id)).scalar_subquery())))
    else:
        compiled = insert(table).compile(dialect=dialect, column_keys=names)
        values = []
        for name in compiled.positiontup or names:
            process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
            values.append([process(v) for v in data[name]] if name in data else [process(constants.get(name))] * n)
        conn.exec_driver_sql(str(compiled), list(zip(*values, strict=True)))
    record(s, uow.actor, f"{entity}.bulk_insert", entity, None, after={"created": n})
    return n
