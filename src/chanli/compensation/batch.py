"""The volume components as Ibis expressions: the same plan semantics as the reference engine
(``rules``), set-based, for millions of order lines.

Covered: crediting (booking or collection, currency conversion, splits), attainment, marginal
tiers (``tiered_commission``), rate on revenue (``revenue_rate``), per-product rates
(``product_rates``) and clawbacks (``clawback``), for credit scope ``own`` and ``team`` (the
roll-up to managers joins the credits to a manager closure table, see ``closure_table``). A
contract test proves the per-person amounts equal the reference to the cent on DuckDB and SQLite
(and on a local Spark, marked ``slow``).

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
(splits in their own table ``order_splits(order_id, seq, person_id, share)``; an order's product
as ``product_id`` into ``products(id, name)``, so the one aggregation over order lines groups on
integers); ``fact_tables`` builds them from ``RunInputs`` for tests and small runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend
from ibis.expr.types import IntegerValue, Table

from chanli.compensation.model import (
    ClawbackParams,
    Component,
    CreditBasis,
    Crediting,
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
    "closure_pairs",
    "closure_table",
    "component_amounts",
    "component_tables",
    "credit_facts",
    "credits",
    "fact_tables",
    "load_facts",
    "split_credits",
    "unsupported",
]

BATCH_KINDS = ("tiered_commission", "revenue_rate", "product_rates", "clawback")
TABLES = (
    "people",
    "products",
    "orders",
    "order_splits",
    "payments",
    "credit_notes",
    "exchange_rates",
    "quotas",
    "prior_payouts",
)
_OPTIONAL = frozenset({"order_splits", "credit_notes", "exchange_rates"})  # fact tables often empty
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


def _converted(t: Table, con: BaseBackend, amount_fen: Any, currency: str, *, no_rates: bool = False) -> Table:
    """Add ``units``: ``amount_fen`` in company currency at the period's rate, half up (R1);
    facts without a rate drop out (the reference reports them). ``no_rates``: the rate table
    is known to be empty, so only company-currency facts stand (no join needed)."""
    if no_rates:
        kept = t.mutate(amount_fen=amount_fen)
        return kept.filter(kept.currency == currency).mutate(units=kept.amount_fen)
    fx = con.table("exchange_rates")
    fx = fx.select(fx_currency=fx.currency, rate_ppm=(fx.rate * PPM).round().cast("int64"))
    j = t.mutate(amount_fen=amount_fen).left_join(fx, t.currency == fx.fx_currency)
    rate = ibis.cases((j.currency == currency, _i(PPM)), else_=j.rate_ppm)
    j = j.mutate(rate_ppm_used=rate).filter(lambda x: x.rate_ppm_used.notnull())
    # the company currency needs no arithmetic (its rate is exactly 1): the common case stays cheap
    units = ibis.cases(
        (j.currency == currency, j.amount_fen), else_=_mul_div_half_up(j.amount_fen, j.rate_ppm_used, _i(PPM))
    )
    return j.mutate(units=units)


def _split_shares(con: BaseBackend) -> tuple[Table, Table]:
    """The valid splits (non-negative shares summing to 100%) as (order_id, seq, person_id,
    share_ppm), and the ids of every order that has split rows at all (an order with invalid
    splits is not credited: the reference reports it)."""
    s = con.table("order_splits")
    s = s.select(s.order_id, s.seq, s.person_id, share_ppm=(s.share * PPM).round().cast("int64"))
    valid = s.group_by(valid_order_id=s.order_id).agg(total=s.share_ppm.sum(), lowest=s.share_ppm.min())
    valid = valid.filter((valid.total == PPM) & (valid.lowest >= 0))
    split = s.join(valid, s.order_id == valid.valid_order_id).select("order_id", "seq", "person_id", "share_ppm")
    has_split = s.select(split_order_id=s.order_id).distinct()
    return split, has_split


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
    return j.filter(j.share_ppm > 0).select("person_id", "order_id", "product_id", "amount_fen")


def credit_facts(
    con: BaseBackend, period: Period, basis: CreditBasis, currency: str, empty: frozenset[str] = frozenset()
) -> Table:
    """(fact_id, order_id, owner_id, product_id, units): the period's creditable facts — orders
    signed (booking) or payments received (collection), not reversed by the period's end, net
    of credit notes, in company currency (R1) — before they are split between people.

    ``empty`` names fact tables known to have no rows (``RunCredits`` checks): their joins are
    left out of the expression, which changes nothing but the work done."""
    o = con.table("orders")
    kept = o.filter(_kept(o, period.end))
    no_rates = "exchange_rates" in empty
    if basis is CreditBasis.BOOKING:
        booked = kept.filter(kept.signed_on >= period.start, kept.signed_on < period.end)
        if "credit_notes" in empty:
            b = booked.mutate(notes_fen=_i(0))
        else:
            notes = _notes_before(con, period.end)
            b = booked.left_join(notes, booked.id == notes.note_order_id)
        net = ibis.greatest(_fen(b.net_amount) - b.notes_fen.fill_null(0), _i(0))
        b = b.select(
            fact_id=b.id, order_id=b.id, owner_id=b.owner_id, currency=b.currency, product_id=b.product_id, net=net
        )
        facts = _converted(b, con, b.net, currency, no_rates=no_rates)
    else:
        p = con.table("payments")
        p = p.filter(p.received_on >= period.start, p.received_on < period.end, p.amount > 0)
        j = p.join(kept, p.order_id == kept.id)
        j = j.select(
            fact_id=j.id,
            order_id=j.order_id,
            owner_id=j.owner_id,
            currency=j.currency,
            product_id=j.product_id,
            paid=_fen(j.amount),
        )
        facts = _converted(j, con, j.paid, currency, no_rates=no_rates)
    return facts.select("fact_id", "order_id", "owner_id", "product_id", "units")


def split_credits(con: BaseBackend, facts: Table, *, no_splits: bool = False) -> Table:
    """(person_id, order_id, product_id, amount_fen): each fact credited to its order's owner in
    full, or split by the order's valid splits with ``_allocate`` (R2). ``no_splits``: the
    split table is known to be empty."""
    if no_splits:
        return facts.select(
            person_id=facts.owner_id, order_id=facts.order_id, product_id=facts.product_id, amount_fen=facts.units
        )
    split, has_split = _split_shares(con)
    # an order without splits credits its owner in full: no allocation (and no window) needed
    bare = facts.anti_join(has_split, facts.order_id == has_split.split_order_id)
    bare = bare.select(
        person_id=bare.owner_id, order_id=bare.order_id, product_id=bare.product_id, amount_fen=bare.units
    )
    shared = facts.semi_join(has_split, facts.order_id == has_split.split_order_id)
    shared = shared.select("fact_id", "order_id", "product_id", "units")
    return bare.union(_allocate(shared, split))


def credits(con: BaseBackend, period: Period, basis: CreditBasis, currency: str) -> Table:
    """(person_id, order_id, product_id, amount_fen): the period's credits, as ``CreditBook``.

    Deep by nature (orders, credit notes, rates, splits, windows); components read it through
    ``RunCredits``, which materializes the sums once per basis so their queries stay shallow
    (SQLite's parser has a small stack) and the crediting work is done once per run.
    """
    return split_credits(con, credit_facts(con, period, basis, currency))


def _participants(con: BaseBackend, plan: PlanVersion, period: Period) -> Table:
    p = con.table("people")
    # employed at least one day of the period: [hire, leave + 1 day) meets [start, end) — which
    # also excludes a leave date before the hire date, exactly as ``Person.employed_days``
    employed = (
        (p.hire_date.isnull() | (p.hire_date < period.end))
        & (p.leave_date.isnull() | (p.leave_date >= period.start))
        & (p.hire_date.isnull() | p.leave_date.isnull() | (p.hire_date <= p.leave_date))
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


def _per_product(credit: Table) -> Table:
    """(person_id, product_id, amount_fen): credits summed per person and product — the one
    aggregation over every order line of the run, grouped on integers (a string key costs this
    GROUP BY about twice as much in DuckDB)."""
    return credit.group_by("person_id", "product_id").agg(amount_fen=credit.amount_fen.sum())


def _named(con: BaseBackend, per: Table) -> Table:
    """``per`` with each product id replaced by its name from ``products`` (a few rows), on the
    small side: plans name products, the facts carry ids."""
    p = con.table("products")
    p = p.select(named_id=p.id, product=p.name)
    j = per.left_join(p, per.product_id == p.named_id)
    return j.select("person_id", "product", "amount_fen")


def _exact_cents(con: BaseBackend) -> bool:
    """Whether order amounts are exact decimals of at most two places on ``con`` (not SQLite's
    REAL): then a sum of amounts converted to fen equals the sum's conversion."""
    dtype = con.table("orders").schema()["net_amount"]
    return bool(dtype.is_decimal() and dtype.scale is not None and dtype.scale <= 2)


def _booked_sums(con: BaseBackend, period: Period, currency: str) -> Table:
    """(person_id, product_id, amount_fen): ``_per_product`` of the booking credits when there
    are no splits, credit notes or exchange rates, summed before the conversion to fen instead
    of after. The same figures (exact decimals, see ``_exact_cents``; amounts ≤ 0 credit
    nothing either way) for about three quarters of the work: no per-line arithmetic."""
    o = con.table("orders")
    b = o.filter(
        _kept(o, period.end),
        o.signed_on >= period.start,
        o.signed_on < period.end,
        o.currency == currency,
        o.net_amount > 0,
    )
    per = b.group_by(person_id=b.owner_id, product_id=b.product_id).agg(amount=b.net_amount.sum())
    return per.select("person_id", "product_id", amount_fen=_fen(per.amount))


def _revenue(credit: Table) -> Table:
    return credit.group_by(rev_person_id=credit.person_id).agg(revenue=credit.amount_fen.sum())


def closure_pairs(people: Iterable[tuple[int, int | None]]) -> list[tuple[int, int]]:
    """(member_id, head_id) for the team roll-up: every person heads themselves and everyone
    below them in the manager tree, exactly as the reference's ``reports_of(…, "subtree")``
    (self-links ignored; a cycle visits each person once and never makes a head their own
    report twice). Built once per run in O(Σ subtree sizes), not one tree walk per query."""
    ids: list[int] = []
    children: dict[int, list[int]] = {}
    for pid, manager_id in people:
        ids.append(pid)
        if manager_id is not None and manager_id != pid:
            children.setdefault(manager_id, []).append(pid)
    pairs: list[tuple[int, int]] = []
    for head in sorted(set(ids)):
        pairs.append((head, head))
        seen: set[int] = set()
        stack = list(children.get(head, []))
        while stack:
            pid = stack.pop()
            if pid in seen or pid == head:
                continue
            seen.add(pid)
            stack.extend(children.get(pid, []))
        pairs.extend((member, head) for member in sorted(seen))
    return pairs


def closure_table(pairs: Iterable[tuple[int, int]]) -> Table:
    """An in-memory (member_id, head_id) table, like ``chanli.targets.batch.closure_table``:
    one join + GROUP BY rolls every credit up to each manager above its owner."""
    rows = list(pairs)
    return ibis.memtable(
        {"member_id": [m for m, _ in rows], "head_id": [h for _, h in rows]},
        schema={"member_id": "int64", "head_id": "int64"},
    )


class RunCredits:
    """Credits per basis (and per scope) for one run, computed on first use and cached on the
    backend."""

    def __init__(self, con: BaseBackend, period: Period, currency: str) -> None:
        self.con, self.period, self.currency = con, period, currency
        self._tables: dict[CreditBasis, Table] = {}
        self._team: dict[CreditBasis, Table] = {}
        self._closure: Table | None = None
        self._empty: frozenset[str] | None = None
        self._stages: list[Table] = []
        self._created: list[str] = []

    def __call__(self, basis: CreditBasis) -> Table:
        """(person_id, product, amount_fen): the period's credits summed per person and product —
        all any component reads — materialized once per basis (a few rows per person, however
        many order lines went in)."""
        if basis not in self._tables:
            empty = self.empty_tables()
            if basis is CreditBasis.BOOKING and empty >= _OPTIONAL and _exact_cents(self.con):
                self._tables[basis] = self.stage(_named(self.con, _booked_sums(self.con, self.period, self.currency)))
                return self._tables[basis]
            facts = credit_facts(self.con, self.period, basis, self.currency, empty)
            if self.con.name == "sqlite":  # its parser stack is small: cut the expression in two
                facts = self.stage(facts)
            c = split_credits(self.con, facts, no_splits="order_splits" in empty)
            self._tables[basis] = self.stage(_named(self.con, _per_product(c)))
        return self._tables[basis]

    def empty_tables(self) -> frozenset[str]:
        """Which of the optional fact tables have no rows (one tiny query per run: a row of each,
        if any), so the crediting expression can leave their joins out."""
        if self._empty is None:
            names = tuple(sorted(_OPTIONAL))
            probes = [self.con.table(n).limit(1).select(name=ibis.literal(n, type="string")) for n in names]
            found = probes[0]
            for probe in probes[1:]:
                found = found.union(probe)
            present = set(found.to_pyarrow().column("name").to_pylist())
            self._empty = frozenset(n for n in names if n not in present)
        return self._empty

    def closure(self) -> Table:
        """The manager closure of everyone in ``people`` (read once per run)."""
        if self._closure is None:
            p = self.con.table("people")
            rows = p.select("id", "manager_id").to_pyarrow().to_pylist()
            links = ((int(r["id"]), None if r["manager_id"] is None else int(r["manager_id"])) for r in rows)
            pairs = closure_pairs(links)
            # a real (temporary) table, not a memtable: Spark cannot see memtables inside a cached query
            name = f"comp_closure_{uuid.uuid4().hex[:12]}"
            data = pa.table(
                {
                    "member_id": pa.array([m for m, _ in pairs], pa.int64()),
                    "head_id": pa.array([h for _, h in pairs], pa.int64()),
                }
            )
            temp = self.con.name != "pyspark"  # ibis' PySpark backend has no temporary tables
            self._closure = self.con.create_table(name, obj=data, temp=temp)
            self._created.append(name)
        return self._closure

    def scoped(self, crediting: Crediting) -> Table:
        """(person_id, product, amount_fen) that count for each person under ``crediting``:
        their own credits, or with ``scope: team`` theirs plus everyone's below them (the
        per-person sums joined to the closure and summed per head: exact, integers)."""
        own = self(crediting.basis)
        if crediting.scope is CreditScope.OWN:
            return own
        if crediting.basis not in self._team:
            c = self.closure()
            j = own.join(c, own.person_id == c.member_id)
            team = j.group_by(person_id=j.head_id, product=j.product).agg(amount_fen=j.amount_fen.sum())
            self._team[crediting.basis] = self.shallow(team)
        return self._team[crediting.basis]

    def stage(self, expr: Table) -> Table:
        """Materialize an intermediate result (a temp table) and remember it for ``release``."""
        table = expr.cache()
        self._stages.append(table)
        return table

    def shallow(self, expr: Table) -> Table:
        """``expr`` materialized where the backend needs shallow SQL (SQLite's parser has a small
        stack), else as it is: a small intermediate read by one query costs less inlined than a
        temp table's round trip (create, insert, read back)."""
        return self.stage(expr) if self.con.name == "sqlite" else expr

    def release(self) -> None:
        """Drop the run's temp tables from the backend."""
        for table in self._stages:
            table.release()
        self._stages.clear()
        self._tables.clear()
        self._team.clear()
        self._closure = None
        for name in self._created:
            self.con.drop_table(name, force=True)
        self._created.clear()


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
    rev = _revenue(book.scoped(params.crediting))
    j = base.left_join(rev, base.person_id == rev.rev_person_id)
    j = j.select("person_id", "quota_fen", revenue_fen=j.revenue.fill_null(0))
    return j.mutate(attainment_bp=_mul_div_half_up(j.revenue_fen, _i(BP), j.quota_fen))


def _tiered(con: BaseBackend, plan: PlanVersion, period: Period, c: Component, book: RunCredits) -> Table:
    """Each tier's slice of a person's revenue × its rate (split as head·10^6 + tail so every
    product stays in int64), summed over the tiers, rounded once (R5). Every tier is a column of
    the person's one row — no union of a row per tier and no GROUP BY, which keeps the SQL
    (and Ibis' compile time) small."""
    params: TieredCommissionParams = c.params
    t = attainment_bp(con, plan, period, c.id, book)
    edges: dict[str, Any] = {}
    for i, tier in enumerate(params.tiers):
        edges[f"low{i}"] = _mul_div_half_up(t.quota_fen, _i(_bp(tier.lower)), _i(BP))
        if tier.upper is not None:
            edges[f"high{i}"] = _mul_div_half_up(t.quota_fen, _i(_bp(tier.upper)), _i(BP))
    t = book.shallow(t.select("person_id", "revenue_fen", **edges))
    pieces: dict[str, Any] = {}
    for i, tier in enumerate(params.tiers):
        top = ibis.least(t.revenue_fen, t[f"high{i}"]) if tier.upper is not None else t.revenue_fen
        pieces[f"piece{i}"] = ibis.greatest(top - t[f"low{i}"], _i(0))
    s = t.select("person_id", **pieces)
    s = s.mutate(**{f"millions{i}": _floordiv(s[f"piece{i}"], _i(PPM)) for i in range(len(params.tiers))})
    high: Any = _i(0)
    low: Any = _i(0)
    for i, tier in enumerate(params.tiers):
        rate = _i(_ppm(tier.rate))
        high = high + s[f"millions{i}"] * rate
        low = low + (s[f"piece{i}"] - s[f"millions{i}"] * PPM) * rate
    s = s.select("person_id", high=high, low=low)
    return s.select(s.person_id, amount_fen=s.high + _mul_div_half_up(s.low, _i(1), _i(PPM)))


def _revenue_rate(con: BaseBackend, plan: PlanVersion, period: Period, c: Component, book: RunCredits) -> Table:
    params: RevenueRateParams = c.params
    credit = book.scoped(params.crediting)
    if params.products:
        credit = credit.filter(credit.product.isin(list(params.products)))
    rev = _revenue(credit)
    base = _participants(con, plan, period)
    j = base.left_join(rev, base.person_id == rev.rev_person_id)
    revenue = j.revenue.fill_null(0)
    return j.select("person_id", amount_fen=_mul_div_half_up(revenue, _i(_ppm(params.rate)), _i(PPM)))


def _product_rates(con: BaseBackend, plan: PlanVersion, period: Period, c: Component, book: RunCredits) -> Table:
    params: ProductRatesParams = c.params
    credit = book.scoped(params.crediting)
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
    quick = "credit_notes" in book.empty_tables() and params.uncollected_days is None
    if quick:
        # Without credit notes or a collection deadline, a payout of an active order with nothing
        # clawed back yet nets to zero: only payouts of reversed orders, and those already partly
        # clawed back, need their order. The first part probes the few reversed orders instead of
        # all of them; the second is usually empty (and then costs no probe at all).
        done = pp.clawed_back.fill_null(0)
        fresh = pp.filter(done == 0)
        j = fresh.join(o.filter(o.status != "active"), fresh.order_id == o.id)
        touched = pp.filter(done != 0)
        j = j.union(touched.join(o, touched.order_id == o.id))
    else:
        j = pp.join(o, pp.order_id == o.id)
    if "credit_notes" in book.empty_tables():
        j = j.mutate(notes_fen=ibis.null("int64"))
    else:
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
    j = book.shallow(j.select("person_id", "clawable", "net_fen", "kept_fen", "done_fen"))
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
        out[c.id] = builder(con, plan, period, c, book)
    if not out:
        raise ValueError("the plan has no component the set-based engine computes")
    return out


def component_amounts(con: BaseBackend, plan: PlanVersion, period: Period, book: RunCredits | None = None) -> Table:
    """(person_id, component_id, amount_fen) for all volume components as one expression (a
    union). SQLite's parser may find the union too deep: ``batch_amounts`` runs the components
    one by one instead."""
    return _union(component_tables(con, plan, period, book))


def _union(tables: Mapping[str, Table]) -> Table:
    parts = [
        t.select(t.person_id, component_id=ibis.literal(cid, type="string"), amount_fen=t.amount_fen)
        for cid, t in tables.items()
    ]
    out = parts[0]
    for t in parts[1:]:
        out = out.union(t)
    return out


def batch_amounts(
    con: BaseBackend, plan: PlanVersion, period: Period, book: RunCredits | None = None
) -> dict[tuple[int, str], Decimal]:
    """(person, component) → amount in yuan (two places). With no ``book`` of its own the run's
    temp tables are dropped afterwards.

    One query for all components (their union) — one compile and one round trip instead of one
    per component — except on SQLite, whose parser may find the union too deep: there one query
    per component."""
    own = book is None
    book = book or RunCredits(con, period, plan.currency)
    out: dict[tuple[int, str], Decimal] = {}
    try:
        tables = component_tables(con, plan, period, book)
        if con.name == "sqlite":
            parts = [(cid, t.to_pyarrow()) for cid, t in tables.items()]
        else:
            union = _union(tables)
            parts = [(None, union.to_pyarrow())]
        for cid, rows in parts:
            people = rows.column("person_id").to_pylist()
            fens = rows.column("amount_fen").to_pylist()
            components = rows.column("component_id").to_pylist() if cid is None else [cid] * len(people)
            for person, component, fen in zip(people, components, fens, strict=True):
                key = (int(person), component)
                out[key] = out.get(key, Decimal("0.00")) + Decimal(int(fen)).scaleb(-2)
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
    product_ids = {name: i for i, name in enumerate(sorted({o.product for o in orders if o.product is not None}), 1)}
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
        "products": pa.table(
            {
                "id": pa.array(list(product_ids.values()), pa.int64()),
                "name": pa.array(list(product_ids), pa.string()),
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
                "product_id": pa.array([product_ids.get(o.product) for o in orders], pa.int64()),
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
    facts = tables or fact_tables(inputs)
    if con.name == "pyspark":
        # through Parquet: ibis hands PySpark a pandas frame, which loses nullable integers
        import tempfile

        import pyarrow.parquet as pq

        folder = Path(tempfile.mkdtemp(prefix="chanli-comp-facts-"))
        for name, table in facts.items():
            pq.write_table(table, folder / f"{name}.parquet")
            con.read_parquet(str(folder / f"{name}.parquet"), table_name=name)
        return con
    for name, table in facts.items():
        if con.name == "sqlite":
            table = _doubles(table)
        con.create_table(name, table, overwrite=True)
    return con


def _doubles(table: pa.Table) -> pa.Table:
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.float64()))
    return table
