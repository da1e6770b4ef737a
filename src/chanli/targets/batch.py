"""Metric values computed set-based with Ibis, where the facts live.

Each metric is one relational expression over the CRM fact tables giving, per person and
month, a numerator and a denominator. Roll-up to teams and the company is a join with the
org closure (person → every owner above them) and a GROUP BY, so a 10k-rep company is one
query per metric, not a Python loop over rows. Values are ``num`` for additive metrics and
``num / den`` for rates and averages, which therefore roll up correctly (a team's win rate is
its wins over its closed deals, not the mean of its reps' rates).

Months are the storage grain; quarters, halves, years and fiscal periods are sums of months.
Weeks come from the same expressions truncated to ISO weeks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import ibis
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from chanli.core.engine import to_rows
from chanli.targets.model import MetricDef, OwnerRef, PacingThresholds

__all__ = [
    "METRIC_EXPRESSIONS",
    "PIPELINE_METRICS",
    "MetricCell",
    "account_potential",
    "closure_table",
    "metric_cells",
    "person_facts",
    "pipeline_weighted",
    "progress_table",
    "progress_tables",
]

Expr = Callable[[BaseBackend, date, date, str], Table]


def _period(col: Any, grain: str) -> Any:
    return col.truncate("W" if grain == "week" else "M")


def _live(t: Table) -> Table:
    """Rows not soft-deleted. Parquet extracts carry only live rows and no ``deleted_at``."""
    return t.filter(t.deleted_at.isnull()) if "deleted_at" in t.columns else t


def _won_orders(con: BaseBackend, start: date, end: date) -> Table:
    o = _live(con.table("orders"))
    return o.filter(o.status == "active", o.signed_on >= start, o.signed_on < end)


def _won_revenue(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    o = _won_orders(con, start, end)
    return o.group_by(person_id=o.owner_id, period=_period(o.signed_on, grain)).agg(
        num=o.net_amount.sum(), den=o.id.count()
    )


def _orders(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    o = _won_orders(con, start, end)
    return o.group_by(person_id=o.owner_id, period=_period(o.signed_on, grain)).agg(num=o.id.count(), den=o.id.count())


def _collected(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    p, o = _live(con.table("payments")), con.table("orders")
    j = p.filter(p.received_on >= start, p.received_on < end).join(o, p.order_id == o.id)
    return j.group_by(person_id=j.owner_id, period=_period(j.received_on, grain)).agg(
        num=j.amount.sum(), den=j.id.count()
    )


def _new_customers(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    o = _live(con.table("orders"))
    active = o.filter(o.status == "active")
    first = active.mutate(
        rn=ibis.row_number().over(group_by=active.account_id, order_by=[active.signed_on, active.id])
    ).filter(lambda t: (t.rn == 0) & (t.signed_on >= start) & (t.signed_on < end))
    return first.group_by(person_id=first.owner_id, period=_period(first.signed_on, grain)).agg(
        num=first.account_id.count(), den=first.account_id.count()
    )


def _activities(kinds: tuple[str, ...] | None) -> Expr:
    def expr(con: BaseBackend, start: date, end: date, grain: str) -> Table:
        a = con.table("activities")
        a = a.filter(a.occurred_on >= start, a.occurred_on < end)
        if kinds:
            a = a.filter(a.kind.isin(kinds))
        return a.group_by(person_id=a.person_id, period=_period(a.occurred_on, grain)).agg(
            num=a.id.count(), den=a.id.count()
        )

    return expr


def _lead_conversion(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    ld = con.table("leads")
    ld = ld.filter(ld.received_on >= start, ld.received_on < end, ld.owner_id.notnull())
    return ld.group_by(person_id=ld.owner_id, period=_period(ld.received_on, grain)).agg(
        num=ld.status.isin(("qualified", "converted")).ifelse(1, 0).sum(), den=ld.id.count()
    )


def _closed_opps(con: BaseBackend, start: date, end: date) -> Table:
    op = _live(con.table("opportunities"))
    return op.filter(op.closed_on >= start, op.closed_on < end, op.status.isin(("won", "lost")))


def _win_rate(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    op = _closed_opps(con, start, end)
    return op.group_by(person_id=op.owner_id, period=_period(op.closed_on, grain)).agg(
        num=(op.status == "won").ifelse(1, 0).sum(), den=op.id.count()
    )


def _cycle_days(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    op = _closed_opps(con, start, end)
    won = op.filter(op.status == "won")
    return won.group_by(person_id=won.owner_id, period=_period(won.closed_on, grain)).agg(
        num=won.closed_on.delta(won.created_on, unit="day").sum(), den=won.id.count()
    )


def _renewal_rate(con: BaseBackend, start: date, end: date, grain: str) -> Table:
    r, a = con.table("renewals"), con.table("accounts")
    r = _live(r)
    r = r.filter(r.due_on >= start, r.due_on < end, r.status.isin(("renewed", "churned")))
    j = r.join(a, r.account_id == a.id).filter(lambda t: t.owner_id.notnull())
    return j.group_by(person_id=j.owner_id, period=_period(j.due_on, grain)).agg(
        num=(j.status == "renewed").ifelse(1, 0).sum(), den=j.id.count()
    )


def _feedback(kind: str) -> Expr:
    def expr(con: BaseBackend, start: date, end: date, grain: str) -> Table:
        f, a = con.table("feedback"), con.table("accounts")
        f = f.filter(f.received_on >= start, f.received_on < end)
        if kind == "satisfaction":
            f = f.filter(f.satisfaction.notnull())
        j = f.join(a, f.account_id == a.id).filter(lambda t: t.owner_id.notnull())
        # a CASE, not a cast: PostgreSQL refuses CAST(boolean AS bigint)
        num = j.satisfaction.sum() if kind == "satisfaction" else j.is_complaint.ifelse(1, 0).sum()
        return j.group_by(person_id=j.owner_id, period=_period(j.received_on, grain)).agg(num=num, den=j.id.count())

    return expr


METRIC_EXPRESSIONS: dict[str, Expr] = {
    "won_revenue": _won_revenue,
    "collected_revenue": _collected,
    "new_customers": _new_customers,
    "orders": _orders,
    "visits": _activities(("visit",)),
    "activities": _activities(None),
    "lead_conversion_rate": _lead_conversion,
    "win_rate": _win_rate,
    "average_order_value": _won_revenue,  # num = revenue, den = orders
    "renewal_rate": _renewal_rate,
    "satisfaction": _feedback("satisfaction"),
    "complaint_rate": _feedback("complaint"),
    "sales_cycle_days": _cycle_days,
}


def person_facts(con: BaseBackend, metric_code: str, start: date, end: date, grain: str = "month") -> Table:
    """Per person and period: ``num`` and ``den`` of a metric over [start, end)."""
    try:
        expr = METRIC_EXPRESSIONS[metric_code]
    except KeyError:
        raise ValueError(f"metric {metric_code!r} has no set-based definition") from None
    return expr(con, start, end, grain)


def closure_table(pairs: Sequence[tuple[int, str]]) -> Table:
    """An in-memory (person_id, owner) table: each person maps to themselves, every team
    above them and the company, so one join + GROUP BY rolls facts up the whole tree."""
    return ibis.memtable(
        {"person_id": [p for p, _ in pairs], "owner": [o for _, o in pairs]},
        schema={"person_id": "int64", "owner": "string"},
    )


@dataclass(frozen=True, slots=True)
class MetricCell:
    owner: str  # OwnerRef rendered: "company", "team:3", "person:7"
    period: date  # first day of the month (or ISO week)
    num: Decimal
    den: Decimal


def metric_cells(
    con: BaseBackend, metric_code: str, start: date, end: date, closure: Table, grain: str = "month"
) -> list[MetricCell]:
    """Numerator and denominator per owner (person, team, company) and period."""
    facts = person_facts(con, metric_code, start, end, grain)
    rolled = (
        facts.join(closure, facts.person_id == closure.person_id)
        .group_by(["owner", "period"])
        .agg(num=lambda t: t.num.sum(), den=lambda t: t.den.sum())
    )
    out = []
    for r in to_rows(rolled.order_by(["owner", "period"])):
        out.append(MetricCell(r["owner"], _as_date(r["period"]), _dec(r["num"]), _dec(r["den"])))
    return out


PIPELINE_METRICS = ("won_revenue", "orders")


def _rolled_by_owner(per_person: Table, closure: Table) -> list[tuple[str, Decimal]]:
    rolled = (
        per_person.join(closure, per_person.person_id == closure.person_id)
        .group_by("owner")
        .agg(num=lambda t: t.num.sum())
    )
    return [(r["owner"], _dec(r["num"])) for r in to_rows(rolled.order_by("owner"))]


def pipeline_weighted(con: BaseBackend, metric_code: str, start: date, end: date, closure: Table) -> dict[str, Decimal]:
    """The open pipeline expected to land in [start, end) per owner, weighted by probability:
    Σ amount × probability for won revenue, Σ probability for orders. Other metrics have
    no pipeline (an empty answer, not zero)."""
    if metric_code not in PIPELINE_METRICS:
        return {}
    op = _live(con.table("opportunities"))
    op = op.filter(
        op.status == "open",
        op.owner_id.notnull(),
        op.expected_close >= start,
        op.expected_close < end,
    )
    wide = "decimal(30, 8)"  # one type for both: Ibis will not multiply decimals of different scales
    probability = op.probability.cast(wide)
    weight = op.amount.cast(wide) * probability if metric_code == "won_revenue" else probability
    per_person = op.group_by(person_id=op.owner_id).agg(num=weight.sum())
    return dict(_rolled_by_owner(per_person, closure))


def account_potential(con: BaseBackend, closure: Table) -> dict[str, Decimal]:
    """Territory potential per owner: the annual revenue of the live accounts in their book
    (the basis of the ``potential`` split down the org tree)."""
    a = _live(con.table("accounts"))
    a = a.filter(a.owner_id.notnull(), a.annual_revenue.notnull())
    per_person = a.group_by(person_id=a.owner_id).agg(num=a.annual_revenue.sum())
    return dict(_rolled_by_owner(per_person, closure))


def progress_table(
    con: BaseBackend,
    metric: MetricDef,
    start: date,
    end: date,
    closure: Table,
    targets: Table,
    periods: Table,
    thresholds: PacingThresholds = PacingThresholds(),
) -> Table:
    """Progress of every owner on every period, set-based: actual, target and pacing status.

    ``periods`` maps each period label to the months it covers, with the elapsed share as
    an exact fraction (``label, month, e_num, e_den``); ``targets`` holds ``owner, label,
    target``. Quarters and years are sums of months, so the facts are scanned once. The
    status bands compare by cross-multiplying (actual × 100 × e_den ≥ target × e_num × 105),
    so no division rounds a borderline case differently from ``rules.pace``.
    """
    return _progress_from_facts(
        person_facts(con, metric.code, start, end, "month"), metric, closure, targets, periods, thresholds
    )


# metrics read from another metric's facts: orders are won revenue's denominator
_SHARED_FACTS: dict[str, str] = {"orders": "won_revenue", "average_order_value": "won_revenue"}


def progress_tables(
    con: BaseBackend,
    metrics: Sequence[MetricDef],
    start: date,
    end: date,
    closure: Table,
    targets: dict[str, Table],
    periods: Table,
    thresholds: PacingThresholds = PacingThresholds(),
) -> dict[str, Table]:
    """``progress_table`` for several metrics, scanning each family of facts once: won
    revenue, orders and average order value share one pass over the won orders, whose
    person × month aggregate is cached (a temp table) where the backend can."""
    cached: dict[str, Table] = {}
    out = {}
    for m in metrics:
        source = _SHARED_FACTS.get(m.code, m.code)
        if source not in cached:
            facts = person_facts(con, source, start, end, "month")
            with contextlib.suppress(Exception):  # a backend without temp tables just recomputes
                facts = facts.cache()
            cached[source] = facts
        facts = cached[source]
        if m.code == "orders" and source != m.code:
            facts = facts.select(person_id=facts.person_id, period=facts.period, num=facts.den, den=facts.den)
        out[m.code] = _progress_from_facts(facts, m, closure, targets[m.code], periods, thresholds)
    return out


def _progress_from_facts(
    facts: Table, metric: MetricDef, closure: Table, targets: Table, periods: Table, thresholds: PacingThresholds
) -> Table:
    monthly = (
        facts.join(closure, facts.person_id == closure.person_id)
        .group_by(["owner", "period"])
        .agg(num=lambda t: t.num.sum(), den=lambda t: t.den.sum())
    )
    per_label = (
        monthly.join(periods, monthly.period == periods.month)
        .group_by(["owner", "label"])
        .agg(num=lambda t: t.num.sum(), den=lambda t: t.den.sum())
    )
    elapsed = periods.group_by("label").agg(e_num=periods.e_num.max(), e_den=periods.e_den.max())
    t = targets.join(elapsed, "label")
    j = t.left_join(per_label, [t.owner == per_label.owner, t.label == per_label.label])
    num = j.num.fill_null(0)
    den = j.den.fill_null(0)
    target, e_num, e_den = j.target, j.e_num, j.e_den

    def pct(x: Decimal) -> int:
        return int(x * 100)

    if metric.additive:
        expected_zero = (target == 0) | (e_num == 0)
        actual_side, expected_side = num * e_den, target * e_num  # both × e_den
    else:
        expected_zero = target == 0
        actual_side, expected_side = num, target * den  # both × den
    if metric.higher_is_better:

        def at_least(band: Decimal) -> Any:
            reached = actual_side * 100 >= expected_side * pct(band)
            return reached if metric.additive else (den > 0) & reached  # no data reads as zero
    else:

        def at_least(band: Decimal) -> Any:
            no_actual = den == 0 if not metric.additive else num == 0
            return no_actual | (expected_side * 100 >= actual_side * pct(band))

    status = ibis.cases(
        (expected_zero, "on_track"),
        (at_least(thresholds.ahead), "ahead"),
        (at_least(thresholds.on_track), "on_track"),
        (at_least(thresholds.behind), "behind"),
        else_="at_risk",
    )
    return j.select(owner=t.owner, label=t.label, target=target, num=num, den=den, status=status)


def owner_key(ref: OwnerRef) -> str:
    return str(ref)


def _dec(v: Any) -> Decimal:
    if v is None:
        return Decimal(0)
    if isinstance(v, Decimal):
        return v
    if isinstance(v, int):
        return Decimal(v)
    return Decimal(str(v))  # a float from SQLite's REAL arithmetic: via str, then callers quantize


def _as_date(v: Any) -> date:
    return v.date() if isinstance(v, datetime) else v
