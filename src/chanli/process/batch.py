"""Process figures computed set-based with Ibis, where the facts live.

- ``account_facts``: the value and potential signals of every account (revenue this and last
  year, recent activities, size, industry) in three GROUP BYs, for the nightly grading run;
  the grade itself is then the pure ``rules.grade_account`` applied per row, so the batch
  and a single-account regrade can never disagree.
- ``stage_stays`` / ``stage_durations`` / ``action_outcomes``: process analytics over the
  playbook move log (the CRM stage history for deals that never used the playbook) and the
  activities — time per stage against the norm, skipped actions,
  and which actions go with winning. ``rules.stage_stats`` and ``rules.action_win_rates``
  are the slow, obvious references a contract test compares them with.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from chanli.core.engine import to_rows
from chanli.process.model import AccountFacts, Playbook

__all__ = ["account_facts", "action_outcomes", "stage_durations", "stage_stays"]

_CENT = Decimal("0.01")


def _dec(v: Any) -> Decimal:
    if v is None:
        return Decimal(0)
    return v if isinstance(v, Decimal) else Decimal(str(v))


def account_facts(con: BaseBackend, as_of: date) -> list[AccountFacts]:
    """Signals of every live account as of the business date ``as_of`` (exclusive)."""
    a = con.table("accounts")
    a = a.filter(a.deleted_at.isnull())
    o = con.table("orders")
    o = o.filter(o.deleted_at.isnull(), o.status == "active")
    year_ago, two_years_ago = as_of - timedelta(days=365), as_of - timedelta(days=730)
    rev = o.filter(o.signed_on >= two_years_ago, o.signed_on < as_of).group_by("account_id").agg(
        revenue_12m=ibis.ifelse(o.signed_on >= year_ago, o.net_amount, 0).sum(),
        revenue_prev_12m=ibis.ifelse(o.signed_on < year_ago, o.net_amount, 0).sum(),
    )
    act = con.table("activities")
    act = act.filter(act.account_id.notnull(), act.occurred_on >= as_of - timedelta(days=90), act.occurred_on < as_of)
    eng = act.group_by("account_id").agg(activities_90d=act.id.count())
    j = a.left_join(rev, a.id == rev.account_id).left_join(eng, a.id == eng.account_id)
    expr = j.select(
        account_id=j.id, industry=j.industry, employees=j.employees,
        revenue_12m=j.revenue_12m, revenue_prev_12m=j.revenue_prev_12m, activities_90d=j.activities_90d,
    ).order_by("account_id")
    return [
        AccountFacts(
            account_id=int(r["account_id"]),
            revenue_12m=_dec(r["revenue_12m"]).quantize(_CENT, ROUND_HALF_UP),
            revenue_prev_12m=_dec(r["revenue_prev_12m"]).quantize(_CENT, ROUND_HALF_UP),
            industry=r["industry"],
            employees=None if r["employees"] is None else int(r["employees"]),
            activities_90d=int(r["activities_90d"] or 0),
        )
        for r in to_rows(expr)
    ]


def stage_stays(con: BaseBackend, playbook: Playbook | None = None) -> Table:
    """One row per stay of an opportunity in a playbook stage: entered and left (null = still
    there), from the move log by a window over each opportunity's moves.

    With ``playbook``, deals that never went through the playbook (history imported from
    another CRM, or moved on the plain CRM stage field) are read from the CRM stage history
    instead, each CRM stage mapped onto the first playbook stage mapped to it — otherwise a
    company's first months of analytics would be empty however much history it brought. A
    deal with any playbook move is read from the move log only, never from both."""
    m = con.table("process_stage_moves")
    at_type = m.moved_at.type().copy(nullable=True)  # union needs equal schemas, nullability included
    moves = m.select(opportunity_id=m.opportunity_id.cast("int64"), stage_key=m.to_stage.cast("string"),
                     at=m.moved_at.cast(at_type), seq=m.id.cast("int64"))
    if playbook is not None:
        mapped = {st.crm_stage: st.key for st in reversed(playbook.stages)}  # reversed: the first one wins
        h = con.table("opportunity_stage_history")
        h = h.anti_join(m, h.opportunity_id == m.opportunity_id)
        key = h.to_stage.cast("string").substitute(mapped) if mapped else h.to_stage.cast("string")
        fallback = h.select(opportunity_id=h.opportunity_id.cast("int64"), stage_key=key.cast("string"),
                            at=h.changed_at.cast(at_type), seq=h.id.cast("int64"))
        moves = moves.union(fallback)
    w = ibis.window(group_by=moves.opportunity_id, order_by=[moves.at, moves.seq])
    return moves.select(
        opportunity_id=moves.opportunity_id, stage_key=moves.stage_key, entered_at=moves.at,
        left_at=moves.at.lead().over(w),
    )


def stage_durations(con: BaseBackend, playbook: Playbook, now: datetime) -> list[dict[str, Any]]:
    """Per stage of ``playbook``: deals that stayed there, average days, and how many stayed
    longer than the norm (open stays count up to ``now``)."""
    s = stage_stays(con, playbook)
    s = s.filter(s.stage_key.isin([st.key for st in playbook.stages]))
    end = s.left_at.fill_null(ibis.literal(now.replace(tzinfo=None)))
    end = ibis.ifelse(s.stage_key == playbook.final.key, s.entered_at, end)  # won deals end there (rules.stage_stats)
    s = s.mutate(days=(end.epoch_seconds() - s.entered_at.epoch_seconds()) / 86400.0)
    norms = ibis.memtable(
        {"stage_key": [st.key for st in playbook.stages],
         "norm_days": [float(st.norm_days) if st.norm_days is not None else -1.0 for st in playbook.stages]}
    )
    j = s.join(norms, "stage_key")
    agg = j.group_by("stage_key").agg(
        deals=j.opportunity_id.count(), avg_days=j.days.mean(),
        over_norm=ibis.ifelse((j.norm_days >= 0) & (j.days > j.norm_days), 1, 0).sum(),
    )
    found = {r["stage_key"]: r for r in to_rows(agg)}
    out = []
    for st in playbook.stages:
        r = found.get(st.key)
        out.append({
            "stage_key": st.key, "stage": st.name, "norm_days": st.norm_days,
            "deals": int(r["deals"]) if r else 0,
            "avg_days": _dec(r["avg_days"]).quantize(Decimal("0.1"), ROUND_HALF_UP) if r else Decimal("0.0"),
            "over_norm": int(r["over_norm"] or 0) if r else 0,
        })
    return out


def action_outcomes(con: BaseBackend, playbook: Playbook) -> list[dict[str, Any]]:
    """For closed deals that passed through each stage: how many did each standard action
    (an activity of its kinds during the stay, or a checklist tick) and the win rate with and
    without it — the actions that go with winning feed coaching and training."""
    pairs = [(st.key, a.key, k) for st in playbook.stages for a in st.actions for k in (a.activity_kinds or ("",))]
    if not pairs:
        return []
    kinds = ibis.memtable({"stage_key": [p[0] for p in pairs], "action_key": [p[1] for p in pairs],
                           "kind": [p[2] for p in pairs]})
    actions = kinds.select("stage_key", "action_key").distinct()
    op = con.table("opportunities")
    closed = op.filter(op.deleted_at.isnull(), op.status.isin(("won", "lost"))).select(
        opp_id=op.id, won=ibis.ifelse(op.status == "won", 1, 0)
    )
    stays = stage_stays(con, playbook)
    visited = stays.join(closed, stays.opportunity_id == closed.opp_id).select("opp_id", "won", "stage_key").distinct()
    base = visited.join(actions, "stage_key")  # every (closed deal, stage visited, action of that stage)
    act = con.table("activities").filter(lambda t: t.opportunity_id.notnull())
    by_activity = (
        stays.join(kinds, "stage_key")
        .join(act, [stays.opportunity_id == act.opportunity_id, kinds.kind == act.kind,
                    act.started_at >= stays.entered_at])
        .filter(lambda t: t.left_at.isnull() | (t.started_at < t.left_at))
        .select(opp_id=stays.opportunity_id.cast("int64"), stage_key=stays.stage_key.cast("string"),
                action_key=kinds.action_key.cast("string"))
    )
    ticks = con.table("process_checklist")
    ticks = ticks.filter(ticks.item_kind == "action").select(
        opp_id=ticks.opportunity_id.cast("int64"), stage_key=ticks.stage_key.cast("string"),
        action_key=ticks.item_key.cast("string"),
    )
    done = by_activity.union(ticks, distinct=True).mutate(did=ibis.literal(1))
    j = base.left_join(done, ["opp_id", "stage_key", "action_key"])
    j = j.select(base.opp_id, base.won, base.stage_key, base.action_key, did=j.did.fill_null(0))
    agg = j.group_by(["stage_key", "action_key"]).agg(
        closed_deals=j.opp_id.count(), done=j.did.sum(),
        won_done=ibis.ifelse(j.did == 1, j.won, 0).sum(), won_skipped=ibis.ifelse(j.did == 0, j.won, 0).sum(),
    )
    found = {(r["stage_key"], r["action_key"]): r for r in to_rows(agg)}
    out = []
    for st in playbook.stages:
        for a in st.actions:
            r = found.get((st.key, a.key))
            n, did = (int(r["closed_deals"]), int(r["done"] or 0)) if r else (0, 0)
            skipped = n - did
            out.append({
                "stage_key": st.key, "action_key": a.key, "action": a.name, "closed_deals": n,
                "done": did, "skipped": skipped,
                "win_rate_done": _rate(int(r["won_done"] or 0) if r else 0, did),
                "win_rate_skipped": _rate(int(r["won_skipped"] or 0) if r else 0, skipped),
            })
    return out


def _rate(wins: int, n: int) -> Decimal | None:
    if n == 0:
        return None
    return (Decimal(wins) / Decimal(n)).quantize(Decimal("0.001"), ROUND_HALF_UP)
