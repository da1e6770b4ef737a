"""Insight figures computed set-based with Ibis, where the facts live (the store, DuckDB over
Parquet, or Spark).

Each function here has a plain-Python twin in ``rules`` (``reference_*``) that a contract test
compares it with on SQLite, PostgreSQL and DuckDB. The division of labour is the same for all:
Ibis does the joins, filters and GROUP BYs (counts and sums, never rates), and the shared
``rules.*_from_aggregates`` turns those into rounded figures, so a figure cannot be rounded
two ways. Dates are compared, never computed, in SQL: the look-back bounds of a churn
snapshot travel as columns of a small in-memory table.

Tables are read by name (``accounts``, ``orders``, ``opportunity_stage_history``, the insight
tables …); ``owners`` restricts facts to the people a caller may see (``None`` = everyone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend
from ibis.expr.types import Column, Table

from chanli.core.engine import to_rows
from chanli.insight import rules
from chanli.insight.model import (
    FUNNEL_STAGES,
    NO_VALUE,
    ChurnFeatures,
    ChurnSnapshot,
    CohortRow,
    FunnelGroup,
    MarketDraft,
    PenetrationPoint,
    RoiRow,
    SaturationRow,
    WinRatePoint,
)

__all__ = [
    "call_topic_counts",
    "churn_features",
    "cohorts",
    "demand_trend",
    "emotion_trend",
    "funnel",
    "penetration",
    "rep_call_figures",
    "roi",
    "saturation",
    "win_rates",
]


def _owned(t: Table, column: str, owners: frozenset[int] | None) -> Table:
    if owners is None:
        return t
    if not owners:
        return t.filter(ibis.literal(False))
    return t.filter(t[column].isin(sorted(owners)))


def _label(col: Column) -> Column:
    """A grouping text with blanks folded into ``NO_VALUE`` (as the references do)."""
    return col.nullif("").fill_null(NO_VALUE)


def _live(con: BaseBackend, name: str) -> Table:
    t = con.table(name)
    return t.filter(t.deleted_at.isnull())


def _key(value: Any) -> str:
    """A group key from the engine: a month (date) becomes ``YYYY-MM``, numbers become text."""
    if value is None:
        return NO_VALUE
    if isinstance(value, date):
        return rules.month_key(value)
    return str(value)


# === churn =====================================================================================


def _snapshots(snapshots: Sequence[ChurnSnapshot]) -> Table:
    cols = ("as_of", "horizon_end", "d90", "d365", "d730")
    return ibis.memtable(pa.table({c: pa.array([getattr(s, c) for s in snapshots], pa.date32()) for c in cols}))


def churn_features(
    con: BaseBackend, snapshots: Sequence[ChurnSnapshot], *, training: bool
) -> list[ChurnFeatures]:
    """``rules.reference_churn_features`` as a handful of GROUP BYs over every snapshot at once."""
    if not snapshots:
        return []
    snaps = _snapshots(snapshots)
    accounts = _live(con, "accounts")
    r = _live(con, "renewals")
    rs = r.cross_join(snaps)
    if training:
        rs = rs.filter(rs.status.isin(["renewed", "churned"]), rs.due_on >= rs.as_of, rs.due_on < rs.horizon_end)
    else:
        rs = rs.filter(rs.status == "pending", rs.due_on < rs.horizon_end)
    grouped = rs.group_by(["account_id", "as_of", "d90", "d365", "d730"]).agg(
        due_on=rs.due_on.min(),
        renewal_amount=rs.amount.sum(),
        churned=ibis.ifelse(rs.status == "churned", 1, 0).max(),
    )
    base = grouped.join(accounts, grouped.account_id == accounts.id).select(
        grouped.account_id, grouped.as_of, grouped.d90, grouped.d365, grouped.d730, grouped.due_on,
        grouped.renewal_amount, grouped.churned, industry=accounts.industry, region=accounts.region,
    )
    keys = base.select(k_acc=base.account_id, k_as_of=base.as_of, k_d90=base.d90, k_d365=base.d365,
                       k_d730=base.d730)

    o = _live(con, "orders")
    o = o.filter(o.status == "active")
    ko = keys.join(o, keys.k_acc == o.account_id).filter(lambda t: t.signed_on < t.k_as_of)
    orders_agg = ko.group_by(["k_acc", "k_as_of"]).agg(
        first_order_on=ko.signed_on.min(),
        orders_12m=ibis.ifelse(ko.signed_on >= ko.k_d365, 1, 0).sum(),
        revenue_12m=ibis.ifelse(ko.signed_on >= ko.k_d365, ko.net_amount, 0).sum(),
        revenue_prev_12m=ibis.ifelse((ko.signed_on >= ko.k_d730) & (ko.signed_on < ko.k_d365), ko.net_amount, 0).sum(),
    ).rename(o_acc="k_acc", o_as_of="k_as_of")

    act = con.table("activities")
    ka = keys.join(act, keys.k_acc == act.account_id).filter(lambda t: t.occurred_on < t.k_as_of)
    activity_agg = ka.group_by(["k_acc", "k_as_of"]).agg(
        activities_90d=ibis.ifelse(ka.occurred_on >= ka.k_d90, 1, 0).sum(),
        last_activity_on=ka.occurred_on.max(),
    ).rename(a_acc="k_acc", a_as_of="k_as_of")

    fb = con.table("feedback")
    kf = keys.join(fb, keys.k_acc == fb.account_id).filter(lambda t: t.received_on < t.k_as_of)
    feedback_agg = kf.group_by(["k_acc", "k_as_of"]).agg(
        complaints_90d=ibis.ifelse(kf.is_complaint & (kf.received_on >= kf.k_d90), 1, 0).sum(),
        complaints_12m=ibis.ifelse(kf.is_complaint & (kf.received_on >= kf.k_d365), 1, 0).sum(),
        satisfaction_sum=kf.satisfaction.sum(),
        satisfaction_n=kf.satisfaction.count(),
    ).rename(f_acc="k_acc", f_as_of="k_as_of")

    p = _live(con, "payments")
    kp = keys.join(o, keys.k_acc == o.account_id).join(p, o.id == p.order_id)
    kp = kp.filter(kp.received_on < kp.k_as_of)
    late_agg = kp.group_by(["k_acc", "k_as_of"]).agg(
        late_payments_12m=ibis.ifelse(
            kp.payment_due_on.notnull() & (kp.received_on > kp.payment_due_on) & (kp.received_on >= kp.k_d365), 1, 0
        ).sum(),
    ).rename(l_acc="k_acc", l_as_of="k_as_of")
    paid = kp.filter(kp.signed_on < kp.k_as_of).group_by(["k_acc", "k_as_of", "order_id"]).agg(paid=kp.amount.sum())
    paid = paid.rename(p_acc="k_acc", p_as_of="k_as_of", p_order="order_id")
    due = ko.filter(ko.payment_due_on.notnull() & (ko.payment_due_on < ko.k_as_of))
    due = due.left_join(
        paid, [due.k_acc == paid.p_acc, due.k_as_of == paid.p_as_of, due.id == paid.p_order]
    )
    overdue_agg = due.group_by(["k_acc", "k_as_of"]).agg(
        overdue_orders=ibis.ifelse(due.paid.fill_null(0) + Decimal("0.005") < due.net_amount, 1, 0).sum()
    ).rename(d_acc="k_acc", d_as_of="k_as_of")

    kr = keys.join(r, keys.k_acc == r.account_id).filter(lambda t: t.due_on < t.k_as_of)
    history_agg = kr.group_by(["k_acc", "k_as_of"]).agg(
        renewals_renewed=ibis.ifelse(kr.status == "renewed", 1, 0).sum(),
        renewals_churned=ibis.ifelse(kr.status == "churned", 1, 0).sum(),
    ).rename(h_acc="k_acc", h_as_of="k_as_of")

    j = base
    for agg, prefix in (
        (orders_agg, "o"), (activity_agg, "a"), (feedback_agg, "f"), (late_agg, "l"), (overdue_agg, "d"),
        (history_agg, "h"),
    ):
        j = j.left_join(agg, [j.account_id == agg[f"{prefix}_acc"], j.as_of == agg[f"{prefix}_as_of"]])
    expr = j.select(
        "account_id", "as_of", "due_on", "renewal_amount", "churned", "industry", "region", "first_order_on",
        "orders_12m", "revenue_12m", "revenue_prev_12m", "activities_90d", "last_activity_on", "complaints_90d",
        "complaints_12m", "satisfaction_sum", "satisfaction_n", "late_payments_12m", "overdue_orders",
        "renewals_renewed", "renewals_churned",
    ).order_by(["as_of", "account_id"])
    out = []
    for row in to_rows(expr):
        if not training:
            row["churned"] = None
        out.append(rules.churn_features_from_aggregates(row))
    return out


# === funnel ====================================================================================


def _stage_table() -> Table:
    return ibis.memtable(
        pa.table({"stage_name": pa.array(list(FUNNEL_STAGES)), "stage_idx": pa.array(range(len(FUNNEL_STAGES)),
                                                                                      pa.int64())})
    )


def _deals(con: BaseBackend, start: date, end: date, facet: str, owners: frozenset[int] | None) -> Table:
    """One row per deal created in the period: its group key, status, amount, lost reason,
    cycle days (won) and the furthest rung it reached (``top``)."""
    if facet not in rules.FUNNEL_FACETS:
        raise ValueError(f"unknown funnel facet {facet!r}; use one of {', '.join(rules.FUNNEL_FACETS)}")
    op = _live(con, "opportunities")
    op = _owned(op.filter(op.created_on >= start, op.created_on < end), "owner_id", owners)
    if facet == "team":
        people = con.table("people").select(pid="id", team_id="team_id")
        op = op.left_join(people, op.owner_id == people.pid)
        key = op.team_id.cast("string")
    elif facet == "region":
        acc = con.table("accounts").select(aid="id", acc_region="region")
        op = op.left_join(acc, op.account_id == acc.aid)
        key = _label(op.acc_region)
    elif facet == "rep":
        key = op.owner_id.cast("string")
    elif facet == "month":
        key = op.created_on.truncate("M")
    else:
        key = ibis.literal("all")
    stages = _stage_table()
    h = con.table("opportunity_stage_history")
    hs = h.join(stages, h.to_stage == stages.stage_name)
    hmax = hs.group_by(hs.opportunity_id).agg(hist_max=hs.stage_idx.max())
    cur = stages.rename(cur_name="stage_name", cur_idx="stage_idx")
    op = op.mutate(key=key)
    d = op.left_join(hmax, op.id == hmax.opportunity_id)
    d = d.left_join(cur, d.stage == cur.cur_name)
    top = ibis.greatest(
        d.hist_max.fill_null(0), d.cur_idx.fill_null(0), ibis.ifelse(d.status == "won", len(FUNNEL_STAGES) - 1, 0)
    )
    won = d.status == "won"
    return d.select(
        deal_id=d.id, key=d.key, status=d.status, amount=d.amount, top=top,
        lost_reason=_label(d.lost_reason),
        cycle_days=ibis.ifelse(won & d.closed_on.notnull(), d.closed_on.delta(d.created_on, unit="day"), 0),
    )


def funnel(
    con: BaseBackend, start: date, end: date, facet: str = "all", owners: frozenset[int] | None = None
) -> list[FunnelGroup]:
    """``rules.reference_funnel`` set-based: one deals table, four GROUP BYs (rungs and
    outcomes, leakage by lost reason, furthest rung of lost deals, stays by stage)."""
    deals = _deals(con, start, end, facet, owners)
    n = len(FUNNEL_STAGES)
    main = deals.group_by("key").agg(
        deals=deals.deal_id.count(),
        open=ibis.ifelse(deals.status == "open", 1, 0).sum(),
        won=ibis.ifelse(deals.status == "won", 1, 0).sum(),
        lost=ibis.ifelse(deals.status == "lost", 1, 0).sum(),
        won_amount=ibis.ifelse(deals.status == "won", deals.amount, 0).sum(),
        won_cycle_days=deals.cycle_days.sum(),
        **{f"reached_{i}": ibis.ifelse(deals.top >= i, 1, 0).sum() for i in range(n)},
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in to_rows(main):
        groups[_key(row.pop("key"))] = {**row, "leakage": {}, "lost_at": {}}
    lost = deals.filter(deals.status == "lost")
    leak = lost.group_by(["key", "lost_reason"]).agg(lost=lost.deal_id.count(), amount=lost.amount.sum())
    for row in to_rows(leak):
        groups[_key(row["key"])]["leakage"][row["lost_reason"]] = (row["lost"], row["amount"])
    at = lost.mutate(at_idx=ibis.least(lost.top, n - 2)).group_by(["key", "at_idx"]).agg(lost=lost.deal_id.count())
    for row in to_rows(at):
        groups[_key(row["key"])]["lost_at"][FUNNEL_STAGES[int(row["at_idx"])]] = row["lost"]
    h = con.table("opportunity_stage_history")
    w = ibis.window(group_by=h.opportunity_id, order_by=[h.changed_at, h.id])
    moves = h.select(h.opportunity_id, h.to_stage, h.changed_at, next_at=h.changed_at.lead().over(w))
    moves = moves.filter(moves.next_at.notnull(), moves.to_stage.isin(list(FUNNEL_STAGES[:-1])))
    moves = moves.join(deals, moves.opportunity_id == deals.deal_id)
    moves = moves.mutate(seconds=(moves.next_at.epoch_seconds() - moves.changed_at.epoch_seconds()).cast("int64"))
    stays = moves.group_by(["key", "to_stage"]).agg(stays=moves.opportunity_id.count(), seconds=moves.seconds.sum())
    for row in to_rows(stays):
        g = groups[_key(row["key"])]
        g[f"stays_{row['to_stage']}"] = row["stays"]
        g[f"stay_seconds_{row['to_stage']}"] = row["seconds"]
    return [rules.funnel_from_aggregates(k, groups[k]) for k in sorted(groups)]


def cohorts(
    con: BaseBackend, start: date, end: date, owners: frozenset[int] | None = None
) -> list[CohortRow]:
    """``rules.reference_cohorts`` set-based: leads by received month, and their deals."""
    ld = con.table("leads")
    ld = _owned(ld.filter(ld.received_on >= start, ld.received_on < end), "owner_id", owners)
    ld = ld.mutate(month=ld.received_on.truncate("M"))
    found: dict[str, dict[str, Any]] = {}
    for row in to_rows(ld.group_by("month").agg(
        leads=ld.id.count(), qualified=ibis.ifelse(ld.status.isin(list(rules.QUALIFIED_STATUSES)), 1, 0).sum()
    )):
        found[_key(row.pop("month"))] = row
    op = _live(con, "opportunities")
    lm = ld.select(lead_key=ld.id, lead_month=ld.month)
    j = op.join(lm, op.lead_id == lm.lead_key)
    won = j.status == "won"
    for row in to_rows(j.group_by("lead_month").agg(
        opportunities=j.id.count(), won=ibis.ifelse(won, 1, 0).sum(), won_amount=ibis.ifelse(won, j.amount, 0).sum()
    )):
        found.setdefault(_key(row.pop("lead_month")), {}).update(row)
    return rules.cohorts_from_aggregates(start, end, found)


# === market saturation, competitors, marketing ROI =================================================


def _customers(con: BaseBackend, as_of: date, owners: frozenset[int] | None) -> Table:
    """Live accounts with an active order signed before ``as_of``: region, industry, first order."""
    a = _owned(_live(con, "accounts"), "owner_id", owners)
    o = _live(con, "orders")
    o = o.filter(o.status == "active", o.signed_on < as_of)
    first = o.group_by("account_id").agg(first_on=o.signed_on.min())
    j = first.join(a, first.account_id == a.id)
    return j.select(j.account_id, j.first_on, region=_label(j.region), industry=_label(j.industry))


def saturation(
    con: BaseBackend, markets: Sequence[MarketDraft], as_of: date, owners: frozenset[int] | None = None
) -> list[SaturationRow]:
    """``rules.reference_saturation`` set-based: one GROUP BY region, industry."""
    c = _customers(con, as_of, owners)
    counts = {(r["region"], r["industry"]): int(r["n"])
              for r in to_rows(c.group_by(["region", "industry"]).agg(n=c.account_id.count()))}
    return rules.saturation_from_aggregates(counts, markets)


def penetration(
    con: BaseBackend, markets: Sequence[MarketDraft], start: date, end: date, owners: frozenset[int] | None = None
) -> list[PenetrationPoint]:
    """New customers per region and first-order month, accumulated by ``rules``."""
    c = _customers(con, end, owners)
    c = c.mutate(month=c.first_on.truncate("M"))
    new = {(r["region"], _key(r["month"])): int(r["n"])
           for r in to_rows(c.group_by(["region", "month"]).agg(n=c.account_id.count()))}
    return rules.penetration_from_aggregates(new, markets, rules.months_between(start, end))


def win_rates(
    con: BaseBackend,
    start: date,
    end: date,
    words: Sequence[str] = rules.COMPETITOR_WORDS,
    owners: frozenset[int] | None = None,
) -> list[WinRatePoint]:
    """``rules.reference_win_rates`` set-based: closed deals by month."""
    op = _live(con, "opportunities")
    op = op.filter(op.status.isin(["won", "lost"]), op.closed_on.notnull(), op.closed_on >= start, op.closed_on < end)
    op = _owned(op, "owner_id", owners)
    reason = op.lost_reason.fill_null("")
    competitor = ibis.literal(False)
    for w in words:
        competitor = competitor | reason.contains(w)
    op = op.mutate(month=op.closed_on.truncate("M"))
    agg = op.group_by("month").agg(
        won=ibis.ifelse(op.status == "won", 1, 0).sum(),
        lost=ibis.ifelse(op.status == "lost", 1, 0).sum(),
        lost_to_competitor=ibis.ifelse((op.status == "lost") & competitor, 1, 0).sum(),
    )
    found = {_key(r.pop("month")): r for r in to_rows(agg)}
    return rules.win_rates_from_aggregates(start, end, found)


def roi(con: BaseBackend, start: date, end: date) -> list[RoiRow]:
    """``rules.reference_roi`` set-based: spend, leads and attributed won revenue per channel."""
    sp = con.table("insight_marketing_spend")
    sp = sp.filter(sp.month >= start, sp.month < end)
    spent = {r["channel"]: r["amount"] for r in to_rows(sp.group_by("channel").agg(amount=sp.amount.sum()))}
    leads = con.table("leads")
    ld = leads.filter(leads.received_on >= start, leads.received_on < end)
    ld = ld.mutate(ch=_label(ld.channel))
    received = {r["ch"]: r["n"] for r in to_rows(ld.group_by("ch").agg(n=ld.id.count()))}
    o = _live(con, "orders")
    o = o.filter(o.status == "active", o.signed_on >= start, o.signed_on < end, o.opportunity_id.notnull())
    op = _live(con, "opportunities").select(deal_id="id", deal_lead="lead_id")
    lc = leads.select(lead_key=leads.id, ch=_label(leads.channel))
    j = o.join(op, o.opportunity_id == op.deal_id).join(lc, op.deal_lead == lc.lead_key)
    revenue = {
        r["ch"]: (r["deals"], r["revenue"])
        for r in to_rows(j.group_by("ch").agg(deals=j.deal_id.nunique(), revenue=j.net_amount.sum()))
    }
    return rules.roi_from_aggregates(spent, received, revenue)


# === calls and demand (over insight's own tables) ===================================================


def emotion_trend(
    con: BaseBackend, start: date, end: date, owners: frozenset[int] | None = None
) -> list[dict[str, Any]]:
    """Per month: analysed calls, mean customer score and the share of negative calls."""
    a = con.table("insight_call_analyses")
    a = _owned(a.filter(a.occurred_on >= start, a.occurred_on < end), "person_id", owners)
    a = a.mutate(month=a.occurred_on.truncate("M"))
    agg = a.group_by("month").agg(
        calls=a.id.count(), score_sum=a.customer_score.sum(), scored=a.customer_score.count(),
        negative=ibis.ifelse(a.emotion == "消极", 1, 0).sum(),
    )
    found = {_key(r.pop("month")): r for r in to_rows(agg)}
    out = []
    for m in rules.months_between(start, end):
        r = found.get(m, {})
        scored = int(r.get("scored") or 0)
        mean = (Decimal(str(r["score_sum"])) / scored).quantize(Decimal("0.001")) if scored else None
        out.append({"month": m, "calls": int(r.get("calls") or 0), "mean_customer_score": mean,
                    "negative": int(r.get("negative") or 0),
                    "negative_share": rules.rate(int(r.get("negative") or 0), int(r.get("calls") or 0))})
    return out


def rep_call_figures(con: BaseBackend, owners: frozenset[int] | None = None) -> dict[int, dict[str, Any]]:
    """Per rep over all analysed calls: calls, mean customer score, negative calls, talk share."""
    a = _owned(con.table("insight_call_analyses"), "person_id", owners)
    agg = a.group_by("person_id").agg(
        calls=a.id.count(), score_sum=a.customer_score.sum(), scored=a.customer_score.count(),
        negative=ibis.ifelse(a.emotion == "消极", 1, 0).sum(),
        talk_sum=a.rep_talk_share.sum(), talk_n=a.rep_talk_share.count(),
    )
    return {int(r.pop("person_id")): r for r in to_rows(agg)}


def call_topic_counts(con: BaseBackend, owners: frozenset[int] | None = None) -> dict[int, dict[str, int]]:
    """Per rep: in how many of their calls each topic came up."""
    t = con.table("insight_call_topics")
    t = _owned(t, "person_id", owners)
    agg = t.group_by(["person_id", "topic_code"]).agg(calls=t.call_id.nunique())
    out: dict[int, dict[str, int]] = {}
    for r in to_rows(agg):
        out.setdefault(int(r["person_id"]), {})[r["topic_code"]] = int(r["calls"])
    return out


def demand_trend(con: BaseBackend, run_id: int, start: date, end: date) -> dict[int, dict[str, int]]:
    """Per cluster of one clustering run: documents per month of ``[start, end)``."""
    d = con.table("insight_demand_docs")
    d = d.filter(d.run_id == run_id, d.occurred_on >= start, d.occurred_on < end)
    d = d.mutate(month=d.occurred_on.truncate("M"))
    out: dict[int, dict[str, int]] = {}
    for r in to_rows(d.group_by(["cluster_id", "month"]).agg(n=d.id.count())):
        out.setdefault(int(r["cluster_id"]), {})[_key(r["month"])] = int(r["n"])
    return out
