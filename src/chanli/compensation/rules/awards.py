"""Awards: special awards decided by a ranking in the period, and lightning awards (闪电奖)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chanli.compensation.model import (
    Component,
    LightningParams,
    RankingMetric,
    SpecialAwardParams,
    TieRule,
)
from chanli.compensation.rules.crediting import net_amount_before
from chanli.compensation.rules.maths import fen
from chanli.compensation.rules.registry import ComponentResult, RunContext, register
from chanli.core.issues import Issue
from chanli.core.money import allocate, currency_exponent

__all__ = ["Standing", "lightning_award", "place_prizes", "special_award", "standings"]

ZERO = Decimal(0)

METRIC_WORDS = {
    RankingMetric.FASTEST_DEAL: ("最快成交奖", "成交周期", "天"),
    RankingMetric.HIGHEST_ORDER_VALUE: ("最高订单奖", "最高订单额", ""),
    RankingMetric.MOST_NEW_CUSTOMERS: ("新客户奖", "新客户数", "家"),
}


@dataclass(frozen=True, slots=True)
class Standing:
    """A person's value on the ranking metric, when they reached it, and the orders behind it."""

    person_id: int
    value: Decimal
    reached_on: date
    sources: tuple[str, ...]


def standings(metric: RankingMetric, ctx: RunContext) -> list[Standing]:
    """Each participant's value from the orders they own, signed in the period and not reversed
    by its end. People with no qualifying order do not rank."""
    period = ctx.period
    owned: dict[int, list] = {}
    for o in sorted(ctx.inputs.orders, key=lambda o: o.id):
        if period.contains(o.signed_on) and not o.reversed_by(period.end) and ctx.is_participant(o.owner_id):
            owned.setdefault(o.owner_id, []).append(o)
    out: list[Standing] = []
    for pid in sorted(owned):
        orders = owned[pid]
        if metric is RankingMetric.FASTEST_DEAL:
            timed = [((o.signed_on - o.lead_on).days, o.signed_on, o.id) for o in orders if o.lead_on is not None]
            if timed:
                days, on, oid = min(timed)
                out.append(Standing(pid, Decimal(days), on, (f"order:{oid}",)))
        elif metric is RankingMetric.HIGHEST_ORDER_VALUE:
            valued = []
            for o in orders:
                amount = ctx.book.converted(o, net_amount_before(ctx.inputs, o))
                if amount is not None:
                    valued.append((-amount, o.signed_on, o.id))
            if valued:
                neg, on, oid = min(valued)
                out.append(Standing(pid, -neg, on, (f"order:{oid}",)))
        else:
            first: dict[object, tuple[date, int]] = {}
            for o in orders:
                if o.new_customer:
                    key = o.account_id if o.account_id is not None else f"order:{o.id}"
                    if key not in first or (o.signed_on, o.id) < first[key]:
                        first[key] = (o.signed_on, o.id)
            if first:
                reached = max(on for on, _ in first.values())
                out.append(
                    Standing(
                        pid, Decimal(len(first)), reached, tuple(f"order:{oid}" for _, oid in sorted(first.values()))
                    )
                )
    return out


def place_prizes(
    ranked: list[Standing], prizes: tuple[Decimal, ...], ties: TieRule, lower_wins: bool, currency: str
) -> list[tuple[Standing, Decimal, int, int]]:
    """Prizes by place: ``(standing, prize, first place held, number tied)``, places from 1.

    - ``share``: a tie occupying places k…k+m−1 shares the prizes of those places equally
      (``allocate``: exact to the fen, the odd fen to the lower person id).
    - ``full``: everyone in the tie gets the prize of place k; the next person is k+m.
    - ``earliest``: the tie is broken by who reached the value first, then by person id.
    """
    sign = Decimal(1) if lower_wins else Decimal(-1)
    if ties is TieRule.EARLIEST:
        order = sorted(ranked, key=lambda s: (sign * s.value, s.reached_on, s.person_id))
        groups = [[s] for s in order]
    else:
        order = sorted(ranked, key=lambda s: (sign * s.value, s.person_id))
        groups = []
        for s in order:
            if groups and groups[-1][0].value == s.value:
                groups[-1].append(s)
            else:
                groups.append([s])
    out: list[tuple[Standing, Decimal, int, int]] = []
    place = 0  # 0-based index of the group's first place
    for group in groups:
        if place >= len(prizes):
            break
        m = len(group)
        if ties is TieRule.FULL:
            out += [(s, fen(prizes[place], currency), place + 1, m) for s in group]
        else:
            pot = fen(sum(prizes[place : place + m], ZERO), currency)
            parts = allocate(pot, [1] * m, currency_exponent(currency))
            out += [(s, part, place + 1, m) for s, part in zip(group, parts, strict=True)]
        place += m
    return out


@register("special_award", SpecialAwardParams, label="专项奖")
def special_award(component: Component, ctx: RunContext) -> ComponentResult:
    """Top-N on a ranking metric of the period, with the plan's tie rule."""
    params: SpecialAwardParams = component.params
    title, measure, unit = METRIC_WORDS[params.metric]
    lower_wins = params.metric is RankingMetric.FASTEST_DEAL
    placed = place_prizes(standings(params.metric, ctx), params.prizes, params.ties, lower_wins, ctx.currency)
    lines = []
    for s, prize, place, tied in placed:
        if prize == 0:
            continue
        value = ctx.money(s.value) if params.metric is RankingMetric.HIGHEST_ORDER_VALUE else f"{s.value} {unit}"
        if tied == 1:
            how = f"第 {place} 名"
        elif params.ties is TieRule.FULL:
            how = f"并列第 {place} 名（{tied} 人，各得第 {place} 名奖金）"
        else:
            how = f"并列第 {place} 名（{tied} 人平分第 {place}–{place + tied - 1} 名奖金）"
        lines.append(
            ctx.line(
                component,
                s.person_id,
                prize,
                f"{title}：{measure} {value}，{how} = {ctx.money(prize)}",
                inputs=(("metric", params.metric.value), ("value", s.value), ("place", place), ("tied", tied)),
                sources=s.sources,
            )
        )
    return ComponentResult(tuple(sorted(lines, key=lambda ln: ln.person_id)))


@register("lightning_award", LightningParams, label="闪电奖")
def lightning_award(component: Component, ctx: RunContext) -> ComponentResult:
    """Approved lightning awards are paid in this run; a manager over budget is a warning (the
    awards were approved, so they are paid, and finance sees the overrun)."""
    params: LightningParams = component.params
    lines = []
    issues: list[Issue] = []
    granted: dict[int, Decimal] = {}
    for award in sorted(ctx.inputs.lightning_awards, key=lambda a: a.id):
        src = f"lightning:{award.id}"
        if not award.approved or award.approved_on is None or award.approved_on >= ctx.period.end:
            message = f"award {award.id} is not approved before {ctx.period.end}; not paid in this run"
            issues.append(ctx.issue(component, "comp.lightning_unapproved", message, warning=True, source=src))
            continue
        if award.amount < 0:
            issues.append(ctx.issue(component, "comp.lightning_negative", f"award {award.id} is negative", source=src))
            continue
        if not ctx.is_participant(award.person_id):
            issues.append(
                ctx.issue(
                    component,
                    "comp.lightning_not_in_plan",
                    f"award {award.id} is for {ctx.name(award.person_id)}, who is not in this plan; not paid here",
                    warning=True,
                    source=src,
                )
            )
            continue
        amount = fen(award.amount, ctx.currency)
        if amount != award.amount:
            issues.append(
                ctx.issue(component, "comp.lightning_fen", f"award {award.id} is not in whole fen", source=src)
            )
            continue
        granted[award.granted_by] = granted.get(award.granted_by, ZERO) + amount
        reason = f"：{award.reason}" if award.reason else ""
        lines.append(
            ctx.line(
                component,
                award.person_id,
                amount,
                f"闪电奖{reason}（{ctx.name(award.granted_by)} 授予，{award.approved_on} 批准）= {ctx.money(amount)}",
                inputs=(("granted_by", award.granted_by), ("approved_on", award.approved_on.isoformat())),
                sources=(src,),
            )
        )
    if params.budget_per_manager is not None:
        for manager in sorted(granted):
            if granted[manager] > params.budget_per_manager:
                over = granted[manager] - params.budget_per_manager
                issues.append(
                    ctx.issue(
                        component,
                        "comp.lightning_over_budget",
                        f"{ctx.name(manager)} granted {ctx.money(granted[manager])} in {ctx.period.label}, "
                        f"over the budget {ctx.money(params.budget_per_manager)} by {ctx.money(over)}",
                        warning=True,
                        source=f"person:{manager}",
                    )
                )
    return ComponentResult(tuple(lines), tuple(issues))
