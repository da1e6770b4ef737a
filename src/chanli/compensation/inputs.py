"""Reading one run's inputs from the store: the period's facts as plain values (``RunInputs``).

Why a module of its own: the engine is pure and takes every fact as a value; this is the one
place that knows where each fact lives — people and mentorships in ``org``, orders, lines and
payments in ``crm`` (read by table name, see ``facts``), approved quotas through the public
queries of ``targets``, and the inputs compensation owns (splits, credit notes, exchange rates,
pay profiles, draws, lightning awards, and what earlier approved runs paid, for clawbacks).

Only what the plan needs is read (no delivery scores without a dual assessment, no lead dates
without a fastest-deal award), and every list is read in id order, so the same store gives the
same inputs and the same fingerprint.

Definitions the engine leaves to the caller, written down here:

- An order's product is the product of its lines; an order whose lines carry several products
  is credited under the one with the largest line amount (ties: the lower product id).
- 回款率 (collection rate) of a person for a period: what was collected by the period's end on
  the orders they own signed in the period ÷ those orders' net amount (less credit notes), both
  in company currency; 100% when they signed nothing (nothing is outstanding).
- Retained customer value (CLV pool): the net of every active order signed before the period's
  end on accounts that renewed or repurchased (have a renewal order), by the account's owner.
- Delivery score: the period's feedback about the person (mean satisfaction 0–100, complaints ÷
  feedback) and the mean days from signing to full payment of orders fully paid in the period.
- A soft-deleted order is gone, except that one something was paid on comes back as cancelled
  on its deletion day, so the clawback reverses what was paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from chanli.compensation import facts as f
from chanli.compensation.model import (
    BonusParams,
    ClvFact,
    CollectionRate,
    CreditBasis,
    CreditNote,
    DeliveryScore,
    Draw,
    Eligibility,
    ExchangeRate,
    LightningAward,
    Mentorship,
    OrderFact,
    OrderStatus,
    PaymentFact,
    Person,
    PlanVersion,
    PriorPayout,
    ProjectMember,
    Quota,
    RankingMetric,
    RunInputs,
    Split,
)
from chanli.compensation.rules.crediting import convert
from chanli.compensation.tables import (
    CompCreditNote,
    CompCreditSplit,
    CompDraw,
    CompExchangeRate,
    CompLightningAward,
    CompPayProfile,
    CompPlanAssignment,
    CompProjectMember,
    CompRun,
    CompStatementLine,
)
from chanli.core.auth import Principal, Role
from chanli.core.money import CNY
from chanli.core.periods import FiscalCalendar, Period
from chanli.org import queries as org_queries
from chanli.targets import TargetStatus
from chanli.targets import queries as target_queries

__all__ = [
    "SYSTEM",
    "ZERO",
    "assigned_eligibility",
    "calendar",
    "company_currency",
    "load_inputs",
    "prior_payouts",
]

ZERO = Decimal("0.00")
CHUNK = 900  # ids per IN (...) — below SQLite's bound-parameter limit
SYSTEM = Principal(user_id=0, username="system", display_name="system", role=Role.ADMIN)
QUOTA_STATUSES = (TargetStatus.ACTIVE.value, TargetStatus.APPROVED.value, TargetStatus.CLOSED.value)
CLAWBACK_KINDS = frozenset({"clawback"})


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def calendar(s: Session) -> FiscalCalendar:
    profile = org_queries.company_profile(s)
    return FiscalCalendar(profile.fiscal_year_start_month if profile else 1)


def company_currency(s: Session) -> str:
    profile = org_queries.company_profile(s)
    return profile.currency if profile else CNY


def _kinds(plan: PlanVersion) -> set[str]:
    return {c.kind for c in plan.components}


def _bases(plan: PlanVersion) -> set[CreditBasis]:
    out: set[CreditBasis] = set()
    for c in plan.components:
        crediting = getattr(c.params, "crediting", None)
        if crediting is not None:
            out.add(crediting.basis)
        basis = getattr(c.params, "basis", None)
        if isinstance(basis, CreditBasis):
            out.add(basis)
    return out


# --- who the plan covers ---------------------------------------------------------------------------


def assigned_eligibility(s: Session, plan_id: int, plan: PlanVersion, period: Period) -> Eligibility:
    """The plan's own eligibility widened by its assignments in effect at the period's start.

    Assignments to a role become the people in that job role; to a team, that team and every
    team below it. With no assignment the plan's own eligibility stands (empty = everyone)."""
    rows = list(
        s.scalars(
            select(CompPlanAssignment)
            .where(
                CompPlanAssignment.plan_id == plan_id,
                CompPlanAssignment.effective_from <= period.start,
                or_(CompPlanAssignment.effective_to.is_(None), CompPlanAssignment.effective_to > period.start),
            )
            .order_by(CompPlanAssignment.id)
        )
    )
    if not rows:
        return plan.eligibility
    e = plan.eligibility
    tiers, teams, people = set(e.tiers), set(e.teams), set(e.people)
    for a in rows:
        if a.kind == "tier":
            tiers.add(a.value)
        elif a.kind == "person":
            people.add(int(a.value))
        elif a.kind == "role":
            people.update(s.scalars(select(f.people.c.id).where(f.people.c.job_role == a.value)))
        elif a.kind == "team":
            path = s.scalar(select(f.teams.c.path).where(f.teams.c.id == int(a.value)))
            if path is not None:
                teams.update(s.scalars(select(f.teams.c.id).where(f.teams.c.path.startswith(path))))
    return Eligibility(tuple(sorted(tiers)), tuple(sorted(teams)), tuple(sorted(people)))


# --- people ---------------------------------------------------------------------------------------


def _people(s: Session, period: Period) -> tuple[Person, ...]:
    base: dict[int, Decimal] = {}
    profiles = s.execute(
        select(CompPayProfile.person_id, CompPayProfile.monthly_base)
        .where(CompPayProfile.effective_from < period.end)
        .order_by(CompPayProfile.person_id, CompPayProfile.effective_from)
    )
    for pid, monthly in profiles:
        base[pid] = monthly  # the newest one before the period's end wins
    p = f.people.c
    rows = s.execute(select(p.id, p.name, p.tier, p.team_id, p.manager_id, p.hire_date, p.leave_date).order_by(p.id))
    return tuple(
        Person(
            r.id,
            r.name,
            r.tier or "new",
            r.team_id,
            r.manager_id,
            r.hire_date,
            r.leave_date,
            Decimal(base.get(r.id, ZERO)).quantize(Decimal("0.01")),
        )
        for r in rows
    )


# --- quotas: approved targets ---------------------------------------------------------------------


def _quotas(s: Session, plan: PlanVersion, period: Period) -> tuple[Quota, ...]:
    """Each person's approved (or active, or closed) target on every metric the plan measures
    attainment on, for exactly this period: a cell of that period, or cells of one grain that
    tile it. The most official plan wins (active, approved, closed), then the newest."""
    metrics = sorted({c.params.quota for c in plan.components if getattr(c.params, "quota", None)})
    rank = {status: i for i, status in enumerate(QUOTA_STATUSES)}
    out: list[Quota] = []
    for metric in metrics:
        chosen: dict[int, tuple[tuple[int, int], Decimal]] = {}
        try:
            plans = target_queries.list_plans(s, SYSTEM, metric_code=metric)
        except KeyError:
            continue  # an unknown metric: the components report the missing quota
        for tp in plans:
            if tp.status not in rank:
                continue
            grid = target_queries.plan_grid(s, SYSTEM, tp.id)
            if grid is None:
                continue
            exact = [i for i, col in enumerate(grid.columns) if col.start == period.start and col.end == period.end]
            pieces: list[int] = []
            if not exact:
                for grain in ("month", "week", "quarter", "half", "day"):
                    inside = [
                        i
                        for i, col in enumerate(grid.columns)
                        if col.grain == grain and col.start >= period.start and col.end <= period.end
                    ]
                    if (
                        inside
                        and sum((grid.columns[i].end - grid.columns[i].start).days for i in inside) == period.days
                    ):
                        pieces = inside
                        break
            use = exact[:1] or pieces
            if not use:
                continue
            key = (rank[tp.status], -tp.id)
            for row in grid.rows:
                if row.kind != "person" or not row.owner.startswith("person:"):
                    continue
                pid = int(row.owner.split(":", 1)[1])
                cells = [row.cells[i] for i in use]
                if any(c is None for c in cells):
                    continue
                value = sum((c.value for c in cells if c is not None), Decimal(0))
                if pid not in chosen or key < chosen[pid][0]:
                    chosen[pid] = (key, value)
        out += [Quota(pid, metric, value) for pid, (_, value) in sorted(chosen.items())]
    return tuple(out)


# --- orders and what hangs off them ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _OrderRow:
    id: int
    account_id: int
    opportunity_id: int | None
    owner_id: int
    signed_on: date
    status: str
    cancelled_on: date | None
    currency: str
    net_amount: Decimal
    is_renewal: bool
    deleted_on: date | None


def _order_ids(s: Session, period: Period, bases: set[CreditBasis], extra: Iterable[int]) -> set[int]:
    o = f.orders.c
    ids = set(
        s.scalars(select(o.id).where(o.signed_on >= period.start, o.signed_on < period.end, o.deleted_at.is_(None)))
    )
    if CreditBasis.COLLECTION in bases:
        p = f.payments.c
        ids.update(
            s.scalars(
                select(p.order_id)
                .distinct()
                .where(p.received_on >= period.start, p.received_on < period.end, p.deleted_at.is_(None))
            )
        )
    ids.update(extra)
    return ids


def _order_rows(s: Session, ids: set[int], keep_deleted: set[int]) -> list[_OrderRow]:
    o = f.orders.c
    out: list[_OrderRow] = []
    for chunk in _chunks(ids):
        for r in s.execute(
            select(
                o.id,
                o.account_id,
                o.opportunity_id,
                o.owner_id,
                o.signed_on,
                o.status,
                o.cancelled_on,
                o.currency,
                o.net_amount,
                o.is_renewal,
                o.deleted_at,
            ).where(o.id.in_(chunk))
        ):
            deleted_on = r.deleted_at.date() if r.deleted_at is not None else None
            if deleted_on is not None and r.id not in keep_deleted:
                continue
            out.append(
                _OrderRow(
                    r.id,
                    r.account_id,
                    r.opportunity_id,
                    r.owner_id,
                    r.signed_on,
                    r.status,
                    r.cancelled_on,
                    r.currency or CNY,
                    Decimal(r.net_amount),
                    bool(r.is_renewal),
                    deleted_on,
                )
            )
    return sorted(out, key=lambda x: x.id)


def _main_products(s: Session, ids: set[int]) -> dict[int, str]:
    ln, pr = f.order_lines.c, f.products.c
    best: dict[int, tuple[Decimal, int, str]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(ln.order_id, pr.id, pr.name, func.sum(ln.net_amount))
            .join(f.products, pr.id == ln.product_id)
            .where(ln.order_id.in_(chunk), ln.deleted_at.is_(None))
            .group_by(ln.order_id, pr.id, pr.name)
        )
        for order_id, product_id, name, total in s.execute(stmt):
            candidate = (Decimal(total or 0), -product_id, name)
            if order_id not in best or candidate[:2] > best[order_id][:2]:
                best[order_id] = candidate
    return {oid: v[2] for oid, v in best.items()}


def _lead_days(s: Session, rows: Sequence[_OrderRow]) -> dict[int, date]:
    """When the deal's lead came in: the opportunity's lead, else the opportunity's creation."""
    opp_ids = {r.opportunity_id for r in rows if r.opportunity_id is not None}
    op, ld = f.opportunities.c, f.leads.c
    by_opp: dict[int, date] = {}
    for chunk in _chunks(opp_ids):
        stmt = (
            select(op.id, op.created_on, ld.received_on).outerjoin(f.leads, ld.id == op.lead_id).where(op.id.in_(chunk))
        )
        for oid, created, received in s.execute(stmt):
            by_opp[oid] = received or created
    return {r.id: by_opp[r.opportunity_id] for r in rows if r.opportunity_id in by_opp}


def _first_orders(s: Session, account_ids: set[int]) -> set[int]:
    """Per account, its first active order (by signing day, then id): a new customer's order."""
    o = f.orders.c
    first: dict[int, tuple[date, int]] = {}
    for chunk in _chunks(account_ids):
        stmt = select(o.account_id, o.signed_on, o.id).where(
            o.account_id.in_(chunk), o.status == OrderStatus.ACTIVE.value, o.deleted_at.is_(None)
        )
        for account_id, signed, oid in s.execute(stmt):
            if account_id not in first or (signed, oid) < first[account_id]:
                first[account_id] = (signed, oid)
    return {oid for _, oid in first.values()}


def _status(row: _OrderRow) -> tuple[OrderStatus, date | None]:
    if row.deleted_on is not None and row.status == OrderStatus.ACTIVE.value:
        return OrderStatus.CANCELLED, row.deleted_on
    try:
        status = OrderStatus(row.status)
    except ValueError:
        status = OrderStatus.ACTIVE
    return status, row.cancelled_on if status is not OrderStatus.ACTIVE else None


def _payments(s: Session, ids: set[int], end: date) -> tuple[PaymentFact, ...]:
    p = f.payments.c
    out: list[PaymentFact] = []
    for chunk in _chunks(ids):
        stmt = select(p.id, p.order_id, p.amount, p.received_on).where(
            p.order_id.in_(chunk), p.received_on < end, p.deleted_at.is_(None)
        )
        out += [PaymentFact(r.id, r.order_id, Decimal(r.amount), r.received_on) for r in s.execute(stmt)]
    return tuple(sorted(out, key=lambda x: x.id))


def _credit_notes(s: Session, ids: set[int], end: date) -> tuple[CreditNote, ...]:
    out: list[CreditNote] = []
    for chunk in _chunks(ids):
        stmt = select(CompCreditNote).where(CompCreditNote.order_id.in_(chunk), CompCreditNote.issued_on < end)
        out += [CreditNote(n.id, n.order_id, Decimal(n.amount), n.issued_on) for n in s.scalars(stmt)]
    return tuple(sorted(out, key=lambda x: x.id))


def _splits(s: Session, ids: set[int]) -> dict[int, tuple[Split, ...]]:
    out: dict[int, list[Split]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(CompCreditSplit)
            .where(CompCreditSplit.order_id.in_(chunk))
            .order_by(CompCreditSplit.order_id, CompCreditSplit.seq)
        )
        for sp in s.scalars(stmt):
            out.setdefault(sp.order_id, []).append(Split(sp.person_id, Decimal(sp.share).normalize()))
    return {k: tuple(v) for k, v in out.items()}


def _members(s: Session, ids: set[int]) -> dict[int, tuple[ProjectMember, ...]]:
    out: dict[int, list[ProjectMember]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(CompProjectMember)
            .where(CompProjectMember.order_id.in_(chunk))
            .order_by(CompProjectMember.order_id, CompProjectMember.person_id)
        )
        for m in s.scalars(stmt):
            out.setdefault(m.order_id, []).append(ProjectMember(m.person_id, m.role))
    return {k: tuple(v) for k, v in out.items()}


def _rates(s: Session, period: Period) -> tuple[ExchangeRate, ...]:
    stmt = (
        select(CompExchangeRate)
        .where(CompExchangeRate.period_label == period.label)
        .order_by(CompExchangeRate.currency)
    )
    return tuple(ExchangeRate(r.currency, Decimal(r.rate).normalize()) for r in s.scalars(stmt))


# --- derived rates and scores --------------------------------------------------------------------------


def _collection_rates(
    orders: Sequence[OrderFact],
    payments: Sequence[PaymentFact],
    notes: Sequence[CreditNote],
    people: Sequence[Person],
    period: Period,
    rates: dict[str, Decimal],
    currency: str,
) -> tuple[CollectionRate, ...]:
    paid: dict[int, Decimal] = {}
    for p in payments:
        if p.received_on < period.end:
            paid[p.order_id] = paid.get(p.order_id, Decimal(0)) + p.amount
    noted: dict[int, Decimal] = {}
    for n in notes:
        if n.issued_on < period.end:
            noted[n.order_id] = noted.get(n.order_id, Decimal(0)) + n.amount
    due: dict[int, Decimal] = {}
    got: dict[int, Decimal] = {}
    for o in orders:
        if not period.contains(o.signed_on) or o.reversed_by(period.end):
            continue
        net = max(o.net_amount - noted.get(o.id, Decimal(0)), Decimal(0))
        net_c = convert(net, o.currency, rates, currency)
        paid_c = convert(min(paid.get(o.id, Decimal(0)), net), o.currency, rates, currency)
        if net_c is None or paid_c is None:
            continue
        due[o.owner_id] = due.get(o.owner_id, Decimal(0)) + net_c
        got[o.owner_id] = got.get(o.owner_id, Decimal(0)) + paid_c
    out = []
    for person in people:
        total = due.get(person.id, Decimal(0))
        rate = (got.get(person.id, Decimal(0)) / total).quantize(Decimal("0.0001")) if total > 0 else Decimal(1)
        out.append(CollectionRate(person.id, rate))
    return tuple(out)


def _clv(s: Session, period: Period, rates: dict[str, Decimal], currency: str) -> tuple[ClvFact, ...]:
    renewal: dict[int, Decimal] = {}
    o_c, a_c = f.orders.c, f.accounts.c
    renewed_accounts = (
        select(o_c.account_id)
        .where(
            o_c.is_renewal.is_(True),
            o_c.status == OrderStatus.ACTIVE.value,
            o_c.signed_on < period.end,
            o_c.deleted_at.is_(None),
        )
        .distinct()
        .scalar_subquery()
    )
    retained: dict[int, Decimal] = {}
    stmt = (
        select(a_c.owner_id, o_c.currency, func.sum(o_c.net_amount))
        .join(f.accounts, a_c.id == o_c.account_id)
        .where(
            o_c.account_id.in_(renewed_accounts),
            o_c.status == OrderStatus.ACTIVE.value,
            o_c.signed_on < period.end,
            o_c.deleted_at.is_(None),
            a_c.owner_id.is_not(None),
        )
        .group_by(a_c.owner_id, o_c.currency)
    )
    for owner, cur, total in s.execute(stmt):
        value = convert(Decimal(total or 0), cur or CNY, rates, currency)
        if value is not None:
            retained[owner] = retained.get(owner, Decimal(0)) + value
    stmt2 = (
        select(o_c.owner_id, o_c.currency, func.sum(o_c.net_amount))
        .where(
            o_c.is_renewal.is_(True),
            o_c.status == OrderStatus.ACTIVE.value,
            o_c.signed_on >= period.start,
            o_c.signed_on < period.end,
            o_c.deleted_at.is_(None),
        )
        .group_by(o_c.owner_id, o_c.currency)
    )
    for owner, cur, total in s.execute(stmt2):
        value = convert(Decimal(total or 0), cur or CNY, rates, currency)
        if value is not None:
            renewal[owner] = renewal.get(owner, Decimal(0)) + value
    people = sorted(set(renewal) | set(retained))
    return tuple(ClvFact(p, renewal.get(p, ZERO), retained.get(p, ZERO)) for p in people)


def _delivery(s: Session, period: Period) -> tuple[DeliveryScore, ...]:
    fb = f.feedback.c
    stmt = (
        select(
            fb.person_id,
            func.count(fb.id),
            func.sum(fb.satisfaction),
            func.count(fb.satisfaction),
            func.sum(case((fb.is_complaint.is_(True), 1), else_=0)),
        )
        .where(fb.received_on >= period.start, fb.received_on < period.end, fb.person_id.is_not(None))
        .group_by(fb.person_id)
    )
    scores: dict[int, tuple[Decimal, Decimal]] = {}
    for pid, n, sat_sum, sat_n, complaints in s.execute(stmt):
        satisfaction = (Decimal(sat_sum or 0) / Decimal(sat_n)).quantize(Decimal("0.01")) if sat_n else Decimal(0)
        rate = (Decimal(complaints or 0) / Decimal(n)).quantize(Decimal("0.0001")) if n else Decimal(0)
        scores[pid] = (satisfaction, rate)
    # collection cycle: orders whose cumulative payments reached their net amount in the period
    o, p = f.orders.c, f.payments.c
    stmt2 = (
        select(o.id, o.owner_id, o.signed_on, o.net_amount, p.received_on, p.amount)
        .join(f.payments, p.order_id == o.id)
        .where(
            o.status == OrderStatus.ACTIVE.value,
            o.deleted_at.is_(None),
            p.deleted_at.is_(None),
            p.received_on < period.end,
            o.signed_on >= period.start - timedelta(days=366),
        )
        .order_by(o.id, p.received_on, p.id)
    )
    cycles: dict[int, list[int]] = {}
    running: dict[int, Decimal] = {}
    done: set[int] = set()
    for oid, owner, signed, net, received, amount in s.execute(stmt2):
        if oid in done:
            continue
        running[oid] = running.get(oid, Decimal(0)) + Decimal(amount)
        if running[oid] >= Decimal(net):
            done.add(oid)
            if period.contains(received):
                cycles.setdefault(owner, []).append((received - signed).days)
    out = []
    for pid, (satisfaction, rate) in sorted(scores.items()):
        days = cycles.get(pid, [])
        mean = (Decimal(sum(days)) / Decimal(len(days))).quantize(Decimal("0.01")) if days else Decimal(0)
        out.append(DeliveryScore(pid, satisfaction, rate, mean))
    return tuple(out)


# --- what earlier runs paid --------------------------------------------------------------------------


def prior_payouts(s: Session, plan_id: int, period_label: str) -> tuple[PriorPayout, ...]:
    """Per (order, person): what approved runs of this plan (other periods) paid, from the
    lines' attribution, and what their clawback lines already took back."""
    stmt = (
        select(CompStatementLine.person_id, CompStatementLine.kind, CompStatementLine.attribution)
        .join(CompRun, CompRun.id == CompStatementLine.run_id)
        .where(CompRun.plan_id == plan_id, CompRun.status == "approved", CompRun.period_label != period_label)
        .order_by(CompStatementLine.id)
    )
    paid: dict[tuple[int, int], Decimal] = {}
    clawed: dict[tuple[int, int], Decimal] = {}
    for person_id, kind, attribution in s.execute(stmt):
        for order_id, part in attribution or ():
            key = (int(order_id), person_id)
            if kind in CLAWBACK_KINDS:
                clawed[key] = clawed.get(key, ZERO) - Decimal(part)
            else:
                paid[key] = paid.get(key, ZERO) + Decimal(part)
    keys = sorted(set(paid) | set(clawed))
    return tuple(PriorPayout(o, p, paid.get((o, p), ZERO), clawed.get((o, p), ZERO)) for o, p in keys)


def _draws(s: Session, plan_id: int, period: Period) -> tuple[Draw, ...]:
    rows = list(
        s.scalars(
            select(CompDraw)
            .where(CompDraw.start < period.end, or_(CompDraw.end.is_(None), CompDraw.end > period.start))
            .order_by(CompDraw.person_id, CompDraw.id)
        )
    )
    if not rows:
        return ()
    balances: dict[int, Decimal] = {}
    stmt = (
        select(CompStatementLine.person_id, CompStatementLine.inputs)
        .join(CompRun, CompRun.id == CompStatementLine.run_id)
        .where(
            CompRun.plan_id == plan_id,
            CompRun.status == "approved",
            CompRun.period_end <= period.start,
            CompStatementLine.kind == "draw",
        )
        .order_by(CompRun.period_start, CompStatementLine.id)
    )
    for pid, inputs in s.execute(stmt):
        for name, value in inputs or ():
            if name == "balance_after":
                balances[pid] = Decimal(value)
    return tuple(
        Draw(
            d.person_id, Decimal(d.amount), d.recoverable, d.start, d.end, balances.get(d.person_id, d.opening_balance)
        )
        for d in rows
    )


def _lightning(s: Session, paid_in_run: int | None) -> tuple[LightningAward, ...]:
    stmt = select(CompLightningAward).where(
        CompLightningAward.status == "approved", CompLightningAward.pay_as == "cash"
    )
    if paid_in_run is None:
        stmt = stmt.where(CompLightningAward.paid_run_id.is_(None))
    else:
        stmt = stmt.where(CompLightningAward.paid_run_id == paid_in_run)
    return tuple(
        LightningAward(a.id, a.person_id, a.granted_by, Decimal(a.amount), a.reason, True, a.approved_on)
        for a in s.scalars(stmt.order_by(CompLightningAward.id))
    )


# --- the whole run --------------------------------------------------------------------------------------


def load_inputs(
    s: Session,
    plan_id: int,
    plan: PlanVersion,
    period: Period,
    *,
    with_prior_payouts: bool = True,
    lightning_paid_in: int | None = None,
) -> tuple[PlanVersion, RunInputs]:
    """The plan (eligibility widened by its assignments) and everything a run of it over
    ``period`` reads. ``with_prior_payouts=False`` and ``lightning_paid_in`` serve the
    retro recalculation of a locked period (see ``service``)."""
    plan = replace(plan, eligibility=assigned_eligibility(s, plan_id, plan, period))
    kinds = _kinds(plan)
    bases = _bases(plan) or {CreditBasis.BOOKING}
    currency = plan.currency
    people = _people(s, period)
    prior = prior_payouts(s, plan_id, period.label) if with_prior_payouts and "clawback" in kinds else ()
    prior_orders = {p.order_id for p in prior}
    ids = _order_ids(s, period, bases, prior_orders)
    rows = _order_rows(s, ids, keep_deleted=prior_orders)
    loaded = {r.id for r in rows}
    products = _main_products(s, loaded)
    splits = _splits(s, loaded)
    members = _members(s, loaded) if "team_pool" in kinds else {}
    specials = [c.params.metric for c in plan.components if c.kind == "special_award"]
    leads = _lead_days(s, rows) if RankingMetric.FASTEST_DEAL in specials else {}
    firsts = _first_orders(s, {r.account_id for r in rows}) if RankingMetric.MOST_NEW_CUSTOMERS in specials else set()
    orders = []
    for r in rows:
        status, status_on = _status(r)
        orders.append(
            OrderFact(
                r.id,
                r.owner_id,
                r.signed_on,
                r.net_amount,
                currency=r.currency,
                status=status,
                status_on=status_on,
                product=products.get(r.id),
                account_id=r.account_id,
                lead_on=leads.get(r.id),
                new_customer=r.id in firsts,
                splits=splits.get(r.id, ()),
                members=members.get(r.id, ()),
            )
        )
    payments = _payments(s, loaded, period.end)
    notes = _credit_notes(s, loaded, period.end)
    rates = _rates(s, period)
    rate_map = {r.currency: r.rate for r in rates}
    needs_collection = any(
        isinstance(c.params, BonusParams) and (c.params.collection_gate is not None or c.params.collection_bands)
        for c in plan.components
    )
    collection = (
        _collection_rates(orders, payments, notes, people, period, rate_map, currency) if needs_collection else ()
    )
    mentorships = ()
    if "mentor_override" in kinds:
        mentorships = tuple(
            Mentorship(m.mentor_id, m.apprentice_id, m.start_date, m.end_date, Decimal(m.override_rate).normalize())
            for m in sorted(org_queries.list_mentorships(s, SYSTEM), key=lambda m: m.id)
        )
    inputs = RunInputs(
        period=period,
        people=people,
        quotas=_quotas(s, plan, period),
        orders=tuple(orders),
        payments=payments,
        credit_notes=notes,
        collection_rates=collection,
        mentorships=mentorships,
        clv=_clv(s, period, rate_map, currency) if "clv_pool" in kinds else (),
        lightning_awards=_lightning(s, lightning_paid_in) if "lightning_award" in kinds else (),
        exchange_rates=rates,
        delivery_scores=_delivery(s, period) if "dual_assessment" in kinds else (),
        draws=_draws(s, plan_id, period) if "draw" in kinds else (),
        prior_payouts=prior,
    )
    return plan, inputs
