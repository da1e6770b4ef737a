"""The volume components as Ibis expressions: the same plan semantics as the reference engine
(``rules``), set-based, for millions of order lines.

Covered: crediting (booking or collection, currency conversion, splits), attainment, marginal
tiers (``tiered_commission``), rate on revenue (``revenue_rate``), per-product rates
(``product_rates``) and clawbacks (``clawback``), for credit scope ``own``. A contract test
proves the per-person amounts equal the reference to the cent on DuckDB and SQLite.

Exact on every backend, in 64-bit integers. Money is carried as integer fen, rates as integer
millionths (ppm), attainment edges as basis points (0.01%). Ibis compiles ``//`` through a
floating-point division on SQLite, PostgreSQL and DuckDB, and SQLite's ``%`` is floating point
too, so this module never relies on either for a large number: ``_floordiv`` takes the float
estimate and corrects it with exact integer arithmetic, and every rounding is the reference's
``ROUND_HALF_UP`` written as ``floor((2·a·b + c) / 2c)``. Limits (far above real plans): a
person's credited revenue per period and an order's converted amount below ¥4×10^10; an
order's amount and what was paid on it below ¥10^10; rates with at most 6 decimal places,
split shares and exchange rates with at most 6, tier edges with at most 4 (plan validation
enforces the last).

Facts are read from tables named as ``TABLES`` with the columns of the facts dataclasses
(splits in their own table ``order_splits(order_id, seq, person_id, share)``); ``fact_tables``
builds them from ``RunInputs`` for tests and small runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend
from ibis.expr.types import IntegerValue, Table

from chanli.compensation.model import (
    ClawbackParams,
    Component,
    CreditBasis,
    CreditScope,
    PlanVersion,
    ProductRatesParams,
    RevenueRateParams,
    RunInputs,
    TieredCommissionParams,
)
from chanli.core.periods import Period

__all__ = [
    "BATCH_KINDS",
    "TABLES",
    "RunCredits",
    "attainment_bp",
    "batch_amounts",
    "component_amounts",
    "component_tables",
    "credits",
    "fact_tables",
    "load_facts",
    "unsupported",
]

BATCH_KINDS = ("tiered_commission", "revenue_rate", "product_rates", "clawback")
TABLES = (
    "people",
    "orders",
    "order_splits",
    "payments",
    "credit_notes",
    "exchange_rates",
    "quotas",
    "prior_payouts",
)
PPM = 1_000_000
BP = 10_000


# --- exact integer arithmetic in SQL ---------------------------------------------------------


def _i(value: int) -> IntegerValue:
    return ibis.literal(value, type="int64")


def _floordiv(u: Any, c: Any) -> Any:
    """Exact ⌊u / c⌋ for int64 ``u`` and positive ``c`` below 2^51, on every backend.

    The float quotient is off by at most a few hundred for |u| ≤ 9×10^18; the remainder against
    it is then small enough (< 2^52) for a float division to floor exactly.
    """
    q0 = u // c
    return q0 + (u - q0 * c) // c


def _mul_div_half_up(a: Any, b: Any, c: Any) -> Any:
    """ROUND_HALF_UP(a·b / c) for a, b ≥ 0 and c > 0, exactly: ⌊(2ab + c) / 2c⌋."""
    return _floordiv(a * b * 2 + c, c * 2)


def _mul_div_half_up_wide(x: Any, y: Any, z: Any) -> Any:
    """ROUND_HALF_UP(x·y / z) for x, y, z ≥ 0 up to 10^12 each (z > 0), where x·y itself would
    overflow int64: long multiplication in base 10^6.

    x = x1·M + x0;  x1·y = a1·z + a0;  x·y / z = a1·M + (a0·M + x0·y) / z, every product < 2^63.
    """
    m = _i(PPM)
    x1 = _floordiv(x, m)
    x0 = x - x1 * m
    a = x1 * y
    a1 = _floordiv(a, z)
    a0 = a - a1 * z
    rest = a0 * m + x0 * y
    return a1 * m + _floordiv(rest * 2 + z, z * 2)


def _fen(col: Any) -> Any:
    """A money column (Decimal with two places, or REAL on SQLite) as integer fen."""
    return (col * 100).round().cast("int64")


def _ppm(value: Decimal) -> int:
    scaled = value * PPM
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 6 decimal places; the set-based engine cannot be exact")
    return int(scaled)


def _bp(value: Decimal) -> int:
    scaled = value * BP
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 4 decimal places")
    return int(scaled)


# --- facts ------------------------------------------------------------------------------------


def _kept(o: Table, end: date) -> Any:
    """Orders not cancelled or refunded before the period's end."""
    return (o.status == "active") | (o.status_on.notnull() & (o.status_on >= end))


def _notes_before(con: BaseBackend, end: date) -> Table:
    n = con.table("credit_notes")
    n = n.filter(n.issued_on < end)
    return n.group_by(note_order_id=n.order_id).agg(notes_fen=_fen(n.amount).sum())


def _converted(t: Table, con: BaseBackend, amount_fen: Any, currency: str) -> Table:
    """Add ``units``: ``amount_fen`` in company currency at the period's rate, half up (R1);
    facts without a rate drop out (the reference reports them)."""
    fx = con.table("exchange_rates")
    fx = fx.select(fx_currency=fx.currency, rate_ppm=(fx.rate * PPM).round().cast("int64"))
    j = t.mutate(amount_fen=amount_fen).left_join(fx, t.currency == fx.fx_currency)
    rate = ibis.cases((j.currency == currency, _i(PPM)), else_=j.rate_ppm)
    j = j.mutate(rate_ppm_used=rate).filter(lambda x: x.rate_ppm_used.notnull())
    return j.mutate(units=_mul_div_half_up(j.amount_fen, j.rate_ppm_used, _i(PPM)))


def _shares(con: BaseBackend, orders: Table) -> Table:
    """(order_id, seq, person_id, share_ppm) for every order: its splits when it has valid ones
    (non-negative, summing to 100%), the owner at 100% when it has none; invalid splits drop
    the order (the reference reports it)."""
    s = con.table("order_splits")
    s = s.select(s.order_id, s.seq, s.person_id, share_ppm=(s.share * PPM).round().cast("int64"))
    valid = s.group_by(valid_order_id=s.order_id).agg(total=s.share_ppm.sum(), lowest=s.share_ppm.min())
    valid = valid.filter((valid.total == PPM) & (valid.lowest >= 0))
    split = s.join(valid, s.order_id == valid.valid_order_id).select("order_id", "seq", "person_id", "share_ppm")
    has_split = s.select(split_order_id=s.order_id).distinct()
    bare = orders.anti_join(has_split, orders.id == has_split.split_order_id)
    owner = bare.select(order_id=bare.id, seq=_i(0), person_id=bare.owner_id, share_ppm=_i(PPM))
    return split.union(owner)


def _allocate(facts: Table, shares: Table) -> Table:
    """Split each fact's ``units`` by its order's shares with the largest-remainder method,
    exactly as ``core.money.allocate``: floors, then the leftover fen to the largest remainders,
    ties to the earlier split."""
    j = facts.join(shares, facts.order_id == shares.order_id)
    exact = j.units * j.share_ppm
    j = j.mutate(floor_=_floordiv(exact, _i(PPM)))
    j = j.mutate(rem=exact - j.floor_ * PPM)
    w = ibis.window(group_by=j.fact_id)
    j = j.mutate(leftover=j.units - j.floor_.sum().over(w))
    rank = ibis.row_number().over(group_by=j.fact_id, order_by=[ibis.desc(j.rem), j.seq])
    j = j.mutate(amount_fen=j.floor_ + ibis.cases((rank < j.leftover, _i(1)), else_=_i(0)))
    return j.filter(j.share_ppm > 0).select("person_id", "order_id", "product", "amount_fen")


def credits(con: BaseBackend, period: Period, basis: CreditBasis, currency: str) -> Table:
    """(person_id, order_id, product, amount_fen): the period's credits, as ``CreditBook``.

    Deep by nature (orders, credit notes, rates, splits, windows); components read it through
    ``RunCredits``, which materializes it once per basis so their queries stay shallow (SQLite's
    parser has a small stack) and the crediting work is done once per run.
    """
    o = con.table("orders")
    kept = o.filter(_kept(o, period.end))
    if basis is CreditBasis.BOOKING:
        booked = kept.filter(kept.signed_on >= period.start, kept.signed_on < period.end)
        notes = _notes_before(con, period.end)
        b = booked.left_join(notes, booked.id == notes.note_order_id)
        net = ibis.greatest(_fen(b.net_amount) - b.notes_fen.fill_null(0), _i(0))
        b = b.select(fact_id=b.id, order_id=b.id, currency=b.currency, product=b.product, net=net)
        facts = _converted(b, con, b.net, currency)
    else:
        p = con.table("payments")
        p = p.filter(p.received_on >= period.start, p.received_on < period.end, p.amount > 0)
        j = p.join(kept, p.order_id == kept.id)
        j = j.select(fact_id=j.id, order_id=j.order_id, currency=j.currency, product=j.product, paid=_fen(j.amount))
        facts = _converted(j, con, j.paid, currency)
    facts = facts.select("fact_id", "order_id", "product", "units")
    return _allocate(facts, _shares(con, kept))


def _participants(con: BaseBackend, plan: PlanVersion, period: Period) -> Table:
    p = con.table("people")
    employed = (p.hire_date.isnull() | (p.hire_date < period.end)) & (
        p.leave_date.isnull() | (p.leave_date >= period.start)
    )
    e = plan.eligibility
    if e.tiers or e.teams or e.people:
        covered = ibis.literal(False)
        if e.tiers:
            covered = covered | p.tier.isin(list(e.tiers))
        if e.teams:
            covered = covered | p.team_id.isin(list(e.teams))
        if e.people:
            covered = covered | p.id.isin(list(e.people))
        employed = employed & covered
    return p.filter(employed).select(person_id=p.id)


def _revenue(credit: Table) -> Table:
    return credit.group_by(rev_person_id=credit.person_id).agg(revenue=credit.amount_fen.sum())


class RunCredits:
    """Credits per basis for one run, computed on first use and cached on the backend."""

    def __init__(self, con: BaseBackend, period: Period, currency: str) -> None:
        self.con, self.period, self.currency = con, period, currency
        self._tables: dict[CreditBasis, Table] = {}

        self._stages: list[Table] = []

    def __call__(self, basis: CreditBasis) -> Table:
        if basis not in self._tables:
            self._tables[basis] = self.stage(credits(self.con, self.period, basis, self.currency))
        return self._tables[basis]

    def stage(self, expr: Table) -> Table:
        """Materialize an intermediate result (a temp table) and remember it for ``release``."""
        table = expr.cache()
        self._stages.append(table)
        return table

    def release(self) -> None:
        """Drop the run's temp tables from the backend."""
        for table in self._stages:
            table.release()
        self._stages.clear()
        self._tables.clear()


def attainment_bp(
    con: BaseBackend, plan: PlanVersion, period: Period, component_id: str, book: RunCredits | None = None
) -> Table:
    """(person_id, revenue_fen, quota_fen, attainment_bp): attainment to 0.01% half up (R4), for
    a component that has a quota and crediting; participants without a quota are left out."""
    params = plan.component(component_id).params
    book = book or RunCredits(con, period, plan.currency)
    q = con.table("quotas")
    q = q.filter(q.metric == params.quota).select(q_person_id=q.person_id, quota_fen=_fen(q.amount))
    base = _participants(con, plan, period)
    base = base.join(q.filter(q.quota_fen > 0), base.person_id == q.q_person_id)
    rev = _revenue(book(params.crediting.basis))
    j = base.left_join(rev, base.person_id == rev.rev_person_id)
    j = j.select("person_id", "quota_fen", revenue_fen=j.revenue.fill_null(0))
    return j.mutate(attainment_bp=_mul_div_half_up(j.revenue_fen, _i(BP), j.quota_fen))


def _tiered(con: BaseBackend, plan: PlanVersion, period: Period, c: Component, book: RunCredits) -> Table:
    """One row per person and tier (slice, split as head·10^6 + tail so every product stays in
    int64), summed per person, rounded once (R5)."""
    params: TieredCommissionParams = c.params
    t = attainment_bp(con, plan, period, c.id, book)
    edges: dict[str, Any] = {}
    for i, tier in enumerate(params.tiers):
        edges[f"low{i}"] = _mul_div_half_up(t.quota_fen, _i(_bp(tier.lower)), _i(BP))
        if tier.upper is not None:
            edges[f"high{i}"] = _mul_div_half_up(t.quota_fen, _i(_bp(tier.upper)), _i(BP))
    t = book.stage(t.select("person_id", "revenue_fen", **edges))  # keeps the SQL shallow for SQLite
    rows = []
    for i, tier in enumerate(params.tiers):
        top = ibis.least(t.revenue_fen, t[f"high{i}"]) if tier.upper is not None else t.revenue_fen
        s = t.select(t.person_id, piece=ibis.greatest(top - t[f"low{i}"], _i(0)), rate=_i(_ppm(tier.rate)))
        s = s.mutate(millions=_floordiv(s.piece, _i(PPM)))
        rows.append(s.select(s.person_id, high=s.millions * s.rate, low=(s.piece - s.millions * PPM) * s.rate))
    parts = rows[0]
    for r in rows[1:]:
        parts = parts.union(r)
    sums = parts.group_by("person_id").agg(high=parts.high.sum(), low=parts.low.sum())
    return sums.select(sums.person_id, amount_fen=sums.high + _mul_div_half_up(sums.low, _i(1), _i(PPM)))


def _own_only(c: Component) -> None:
    crediting = getattr(c.params, "crediting", None)
    if crediting is not None and crediting.scope is not CreditScope.OWN:
        raise NotImplementedError(f"{c.id}: the set-based engine credits scope 'own' only (team roll-up: reference)")


def _revenue_rate(con: BaseBackend, plan: PlanVersion, period: Period, c: Component, book: RunCredits) -> Table:
    params: RevenueRateParams = c.params
    credit = book(params.crediting.basis)
    if params.products:
        credit = credit.filter(credit.product.isin(list(params.products)))
    rev = _revenue(credit)
    base = _participants(con, plan, period)
    j = base.left_join(rev, base.person_id == rev.rev_person_id)
    revenue = j.revenue.fill_null(0)
    return j.select("person_id", amount_fen=_mul_div_half_up(revenue, _i(_ppm(params.rate)), _i(PPM)))


def _product_rates(con: BaseBackend, plan: PlanVersion, period: Period, c: Component, book: RunCredits) -> Table:
    params: ProductRatesParams = c.params
    credit = book(params.crediting.basis)
    credit = credit.mutate(product_key=credit.product.fill_null(""))
    per = credit.group_by(pp_person_id=credit.person_id, product_key=credit.product_key).agg(
        revenue=credit.amount_fen.sum()
    )
    default = _i(_ppm(params.default_rate)) if params.default_rate is not None else ibis.null("int64")
    branches = [(per.product_key == r.product, _i(_ppm(r.rate))) for r in params.rates]
    rate = ibis.cases(*branches, else_=default) if branches else default
    per = per.mutate(rate_ppm=rate).filter(lambda t: t.rate_ppm.notnull())
    per = per.mutate(line=_mul_div_half_up(per.revenue, per.rate_ppm, _i(PPM)))
    base = _participants(con, plan, period)
    j = base.join(per, base.person_id == per.pp_person_id)
    return j.group_by("person_id").agg(amount_fen=j.line.sum())


def _clawback(con: BaseBackend, plan: PlanVersion, period: Period, c: Component, book: RunCredits) -> Table:
    params: ClawbackParams = c.params
    end = period.end
    pp = con.table("prior_payouts")
    o = con.table("orders")
    j = pp.join(o, pp.order_id == o.id)
    notes = _notes_before(con, end)
    j = j.left_join(notes, j.order_id == notes.note_order_id)
    if params.uncollected_days is not None:
        pay = con.table("payments")
        pay = pay.filter(pay.received_on < end)
        got = pay.group_by(got_order_id=pay.order_id).agg(collected=_fen(pay.amount).sum())
        j = j.left_join(got, j.order_id == got.got_order_id)
    net = _fen(j.net_amount)
    kept = net - j.notes_fen.fill_null(0)
    if params.uncollected_days is not None:
        collected = j.collected.fill_null(0)
        overdue = j.signed_on < end - timedelta(days=params.uncollected_days)
        kept = ibis.cases((overdue & (collected < kept), collected), else_=kept)
    reversed_ = (j.status != "active") & (j.status_on.isnull() | (j.status_on < end))
    kept = ibis.cases((reversed_, _i(0)), else_=kept)
    kept = ibis.least(ibis.greatest(kept, _i(0)), net)
    j = j.mutate(net_fen=net, kept_fen=kept, paid_fen=_fen(j.paid), done_fen=_fen(j.clawed_back))
    j = j.filter(j.net_fen > 0)
    clawable = _mul_div_half_up(j.paid_fen, _i(_ppm(params.share)), _i(PPM))
    j = j.mutate(clawable=clawable)
    j = book.stage(j.select("person_id", "clawable", "net_fen", "kept_fen", "done_fen"))  # shallow SQL for SQLite
    target = _mul_div_half_up_wide(j.clawable, j.net_fen - j.kept_fen, j.net_fen)
    j = j.mutate(amount_fen=j.done_fen - target)
    return j.group_by("person_id").agg(amount_fen=j.amount_fen.sum())


_BUILDERS = {
    "tiered_commission": _tiered,
    "revenue_rate": _revenue_rate,
    "product_rates": _product_rates,
    "clawback": _clawback,
}


def unsupported(plan: PlanVersion) -> list[str]:
    """Component ids of the plan the set-based engine does not compute (run them by reference)."""
    return [c.id for c in plan.components if c.kind not in _BUILDERS]


def component_tables(
    con: BaseBackend, plan: PlanVersion, period: Period, book: RunCredits | None = None
) -> dict[str, Table]:
    """Component id → expression of (person_id, amount_fen), for every volume component of the
    plan over the run's credits (materialized once per basis on first use); components of other
    kinds are left out (see ``unsupported``)."""
    book = book or RunCredits(con, period, plan.currency)
    out: dict[str, Table] = {}
    for c in plan.components:
        builder = _BUILDERS.get(c.kind)
        if builder is None:
            continue
        _own_only(c)
        out[c.id] = builder(con, plan, period, c, book)
    if not out:
        raise ValueError("the plan has no component the set-based engine computes")
    return out


def component_amounts(con: BaseBackend, plan: PlanVersion, period: Period, book: RunCredits | None = None) -> Table:
    """(person_id, component_id, amount_fen) for all volume components as one expression (a
    union). SQLite's parser may find the union too deep: ``batch_amounts`` runs the components
    one by one instead."""
    parts = [
        t.select(t.person_id, component_id=ibis.literal(cid, type="string"), amount_fen=t.amount_fen)
        for cid, t in component_tables(con, plan, period, book).items()
    ]
    out = parts[0]
    for t in parts[1:]:
        out = out.union(t)
    return out


def batch_amounts(
    con: BaseBackend, plan: PlanVersion, period: Period, book: RunCredits | None = None
) -> dict[tuple[int, str], Decimal]:
    """(person, component) → amount in yuan (two places), one query per component. With no
    ``book`` of its own the run's temp tables are dropped afterwards."""
    own = book is None
    book = book or RunCredits(con, period, plan.currency)
    out: dict[tuple[int, str], Decimal] = {}
    try:
        for cid, table in component_tables(con, plan, period, book).items():
            for r in table.to_pyarrow().to_pylist():
                key = (int(r["person_id"]), cid)
                out[key] = out.get(key, Decimal("0.00")) + Decimal(int(r["amount_fen"])).scaleb(-2)
    finally:
        if own:
            book.release()
    return out


# --- facts as tables ---------------------------------------------------------------------------

_MONEY = pa.decimal128(18, 2)
_RATE = pa.decimal128(18, 6)


def fact_tables(inputs: RunInputs) -> dict[str, pa.Table]:
    """The batch engine's fact tables built from ``RunInputs`` (for tests and small runs)."""
    people = inputs.people
    orders = inputs.orders
    splits = [(o.id, i, s.person_id, s.share) for o in orders for i, s in enumerate(o.splits)]
    return {
        "people": pa.table(
            {
                "id": pa.array([p.id for p in people], pa.int64()),
                "tier": pa.array([p.tier for p in people], pa.string()),
                "team_id": pa.array([p.team_id for p in people], pa.int64()),
                "manager_id": pa.array([p.manager_id for p in people], pa.int64()),
                "hire_date": pa.array([p.hire_date for p in people], pa.date32()),
                "leave_date": pa.array([p.leave_date for p in people], pa.date32()),
            }
        ),
        "orders": pa.table(
            {
                "id": pa.array([o.id for o in orders], pa.int64()),
                "owner_id": pa.array([o.owner_id for o in orders], pa.int64()),
                "signed_on": pa.array([o.signed_on for o in orders], pa.date32()),
                "net_amount": pa.array([o.net_amount for o in orders], _MONEY),
                "currency": pa.array([o.currency for o in orders], pa.string()),
                "status": pa.array([o.status.value for o in orders], pa.string()),
                "status_on": pa.array([o.status_on for o in orders], pa.date32()),
                "product": pa.array([o.product for o in orders], pa.string()),
            }
        ),
        "order_splits": pa.table(
            {
                "order_id": pa.array([s[0] for s in splits], pa.int64()),
                "seq": pa.array([s[1] for s in splits], pa.int64()),
                "person_id": pa.array([s[2] for s in splits], pa.int64()),
                "share": pa.array([s[3] for s in splits], _RATE),
            }
        ),
        "payments": pa.table(
            {
                "id": pa.array([p.id for p in inputs.payments], pa.int64()),
                "order_id": pa.array([p.order_id for p in inputs.payments], pa.int64()),
                "amount": pa.array([p.amount for p in inputs.payments], _MONEY),
                "received_on": pa.array([p.received_on for p in inputs.payments], pa.date32()),
            }
        ),
        "credit_notes": pa.table(
            {
                "id": pa.array([n.id for n in inputs.credit_notes], pa.int64()),
                "order_id": pa.array([n.order_id for n in inputs.credit_notes], pa.int64()),
                "amount": pa.array([n.amount for n in inputs.credit_notes], _MONEY),
                "issued_on": pa.array([n.issued_on for n in inputs.credit_notes], pa.date32()),
            }
        ),
        "exchange_rates": pa.table(
            {
                "currency": pa.array([r.currency for r in inputs.exchange_rates], pa.string()),
                "rate": pa.array([r.rate for r in inputs.exchange_rates], _RATE),
            }
        ),
        "quotas": pa.table(
            {
                "person_id": pa.array([q.person_id for q in inputs.quotas], pa.int64()),
                "metric": pa.array([q.metric for q in inputs.quotas], pa.string()),
                "amount": pa.array([q.amount for q in inputs.quotas], _MONEY),
            }
        ),
        "prior_payouts": pa.table(
            {
                "order_id": pa.array([p.order_id for p in inputs.prior_payouts], pa.int64()),
                "person_id": pa.array([p.person_id for p in inputs.prior_payouts], pa.int64()),
                "paid": pa.array([p.paid for p in inputs.prior_payouts], _MONEY),
                "clawed_back": pa.array([p.clawed_back for p in inputs.prior_payouts], _MONEY),
            }
        ),
    }


def load_facts(con: BaseBackend, inputs: RunInputs, tables: Mapping[str, pa.Table] | None = None) -> BaseBackend:
    """Create (or replace) the fact tables on ``con`` from ``inputs``; returns ``con``.

    SQLite has no exact decimal type (a NUMERIC column holds a REAL), so there decimals are
    stored as doubles, as the OLTP store does; the engine re-reads them as integer fen and ppm,
    which is exact for the limits in the module docstring.
    """
    for name, table in (tables or fact_tables(inputs)).items():
        if con.name == "sqlite":
            table = _doubles(table)
        con.create_table(name, table, overwrite=True)
    return con


def _doubles(table: pa.Table) -> pa.Table:
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.float64()))
    return table
