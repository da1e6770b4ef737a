"""Adjustments on earlier lines: the performance + delivery multiplier, caps, floors and draws.

Each adds its own visible line (never rewrites an earlier one), so a statement always shows
what was earned and then what was adjusted, and the total stays the sum of the lines.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from chanli.compensation.model import (
    CapParams,
    Component,
    DeliveryScore,
    DrawParams,
    DualAssessmentParams,
    FloorParams,
    tier_amount,
)
from chanli.compensation.rules.maths import fen, fen_of_fraction, overlap_days, pct, ratio
from chanli.compensation.rules.registry import ComponentResult, RunContext, register
from chanli.core.issues import Issue

__all__ = ["cap", "delivery_score", "draw", "dual_assessment", "floor"]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


def delivery_score(params: DualAssessmentParams, score: DeliveryScore) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(delivery score, satisfaction part, complaint part, cycle part), each on 0–100, at R4.

    - satisfaction: the survey score, clamped to 0–100;
    - complaints: 100 at no complaints, falling linearly to 0 at ``complaint_ceiling``;
    - collection cycle: 100 up to ``cycle_target_days``, linearly to 0 at ``cycle_max_days``.
    """
    satisfaction = min(max(score.satisfaction, ZERO), HUNDRED)
    complaints = HUNDRED * max(ZERO, ONE - score.complaint_rate / params.complaint_ceiling)
    days = score.collection_cycle_days
    if days <= params.cycle_target_days:
        cycle = HUNDRED
    elif days >= params.cycle_max_days:
        cycle = ZERO
    else:
        cycle = HUNDRED * (params.cycle_max_days - days) / (params.cycle_max_days - params.cycle_target_days)
    total = (
        params.satisfaction_weight * satisfaction + params.complaint_weight * complaints + params.cycle_weight * cycle
    )
    return ratio(total), ratio(satisfaction), ratio(complaints), ratio(cycle)


@register("dual_assessment", DualAssessmentParams, label="业绩交付双考核")
def dual_assessment(component: Component, ctx: RunContext) -> ComponentResult:
    """composite = (1 − w) × sales score + w × delivery score (w ≥ 30%); multiplier =
    composite ÷ 100 within the plan's bounds; the line is (multiplier − 1) × the earlier lines."""
    params: DualAssessmentParams = component.params
    scores = {s.person_id: s for s in ctx.inputs.delivery_scores}
    lines = []
    issues: list[Issue] = []
    for person in ctx.participants:
        quota = ctx.quota(person.id, params.quota or "")
        score = scores.get(person.id)
        if quota is None or quota <= 0:
            issues.append(
                ctx.issue(
                    component,
                    "comp.no_quota",
                    f"{ctx.name(person.id)} has no {params.quota} quota",
                    source=f"person:{person.id}",
                )
            )
            continue
        if score is None:
            issues.append(
                ctx.issue(
                    component,
                    "comp.no_delivery_score",
                    f"{ctx.name(person.id)} has no delivery score for {ctx.period.label}",
                    source=f"person:{person.id}",
                )
            )
            continue
        revenue, _ = ctx.credited(person.id, params.crediting)
        attainment = ratio(revenue / quota)
        sales = ratio(min(attainment * HUNDRED, params.sales_score_cap))
        delivery, sat, comp, cyc = delivery_score(params, score)
        w = params.delivery_weight
        composite = ratio((ONE - w) * sales + w * delivery)
        multiplier = ratio(min(max(composite / HUNDRED, params.min_multiplier), params.max_multiplier))
        base = ctx.earned(person.id, params.applies_to)
        amount = fen(base * (multiplier - ONE), ctx.currency)
        lines.append(
            ctx.line(
                component,
                person.id,
                amount,
                f"销售得分 {sales} × {pct(ONE - w)} + 交付得分 {delivery}（满意度 {sat}、投诉 {comp}、回款周期 {cyc}）"
                f" × {pct(w)} = {composite} → 系数 {multiplier}；"
                f"{ctx.money(base)} × ({multiplier} − 1) = {ctx.money(amount)}",
                inputs=(
                    ("attainment", attainment),
                    ("sales_score", sales),
                    ("delivery_score", delivery),
                    ("delivery_weight", w),
                    ("multiplier", multiplier),
                    ("base", base),
                ),
                sources=(f"delivery:{person.id}",),
            )
        )
    return ComponentResult(tuple(lines), tuple(issues))


@register("cap", CapParams, label="封顶调整")
def cap(component: Component, ctx: RunContext) -> ComponentResult:
    """If the ``applies_to`` lines sum above the cap, a negative line brings them down to it."""
    params: CapParams = component.params
    lines = []
    for person in ctx.participants:
        limit = tier_amount(params.amount, params.amount_by_tier, person.tier)
        if limit is None:
            continue
        limit = fen(limit, ctx.currency)
        earned = ctx.earned(person.id, params.applies_to)
        if earned > limit:
            amount = limit - earned
            lines.append(
                ctx.line(
                    component,
                    person.id,
                    amount,
                    f"{'、'.join(params.applies_to)} 合计 {ctx.money(earned)} 超过封顶 {ctx.money(limit)}，"
                    f"调减 {ctx.money(-amount)}",
                    inputs=(("earned", earned), ("cap", limit)),
                )
            )
    return ComponentResult(tuple(lines))


@register("floor", FloorParams, label="保底补足")
def floor(component: Component, ctx: RunContext) -> ComponentResult:
    """If the ``applies_to`` lines sum below the floor, a positive line tops them up to it."""
    params: FloorParams = component.params
    lines = []
    for person in ctx.participants:
        limit = tier_amount(params.amount, params.amount_by_tier, person.tier)
        if limit is None:
            continue
        limit = fen(limit, ctx.currency)
        earned = ctx.earned(person.id, params.applies_to)
        if earned < limit:
            amount = limit - earned
            lines.append(
                ctx.line(
                    component,
                    person.id,
                    amount,
                    f"{'、'.join(params.applies_to)} 合计 {ctx.money(earned)} 低于保底 {ctx.money(limit)}，"
                    f"补足 {ctx.money(amount)}",
                    inputs=(("earned", earned), ("floor", limit)),
                )
            )
    return ComponentResult(tuple(lines))


@register("draw", DrawParams, label="预支")
def draw(component: Component, ctx: RunContext) -> ComponentResult:
    """Draws against earnings (预支 / 保底预支).

    guarantee = the draw amount prorated by the days the agreement covers the period (R5).
    - earned < guarantee: a line pays the difference. A recoverable draw adds it to the balance;
      a non-recoverable one forgives it.
    - earned ≥ guarantee on a recoverable draw with a balance: a negative line recovers
      min(balance, recovery_share × (earned − guarantee)), also after the agreement has ended.
    The new balance is in the line's inputs (``balance_after``) for the caller to carry forward.
    """
    params: DrawParams = component.params
    lines = []
    issues: list[Issue] = []
    by_person: dict[int, list] = {}
    for d in ctx.inputs.draws:
        by_person.setdefault(d.person_id, []).append(d)
    for person in ctx.participants:
        agreements = by_person.get(person.id, [])
        if not agreements:
            continue
        if len(agreements) > 1:
            issues.append(
                ctx.issue(
                    component,
                    "comp.draw_many",
                    f"{ctx.name(person.id)} has {len(agreements)} draw agreements; one allowed",
                    source=f"person:{person.id}",
                )
            )
            continue
        d = agreements[0]
        days = overlap_days(ctx.period, d.start, d.end)
        guarantee = fen_of_fraction(Fraction(d.amount) * days / ctx.period.days, ctx.currency)
        earned = ctx.earned(person.id, params.applies_to)
        balance = fen(d.outstanding, ctx.currency)
        kind = "可收回预支" if d.recoverable else "不可收回保底"
        if earned < guarantee:
            amount = guarantee - earned
            after = balance + amount if d.recoverable else balance
            formula = f"{kind} {ctx.money(guarantee)} − 已得 {ctx.money(earned)} = 补足 {ctx.money(amount)}"
            if d.recoverable:
                formula += f"；待收回余额 {ctx.money(balance)} → {ctx.money(after)}"
        elif d.recoverable and balance > 0:
            room = fen((earned - guarantee) * params.recovery_share, ctx.currency)
            recovered = min(balance, room)
            if recovered <= 0:
                continue
            amount = -recovered
            after = balance - recovered
            formula = (
                f"已得 {ctx.money(earned)} 超出预支 {ctx.money(guarantee)}，"
                f"按 {pct(params.recovery_share)} 收回预支余额"
                f" {ctx.money(balance)} 中 {ctx.money(recovered)}；余额 → {ctx.money(after)}"
            )
        else:
            continue
        lines.append(
            ctx.line(
                component,
                person.id,
                amount,
                formula,
                inputs=(
                    ("recoverable", "yes" if d.recoverable else "no"),
                    ("guarantee", guarantee),
                    ("earned", earned),
                    ("balance_before", balance),
                    ("balance_after", after),
                ),
                sources=(f"draw:{person.id}",),
            )
        )
    return ComponentResult(tuple(lines), tuple(issues))
