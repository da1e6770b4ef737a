"""Pools shared by weight: the CLV dividend pool and the iron-triangle team pool.

Both round the pool once (R6) and then cut it with ``allocate`` (R2), so the shares always sum
exactly to the pool; the odd fen goes to the largest remainder, ties to the earlier member.
"""

from __future__ import annotations

from decimal import Decimal

from chanli.compensation.model import ClvPoolParams, Component, TeamPoolParams
from chanli.compensation.rules.crediting import net_amount_before
from chanli.compensation.rules.maths import fen, pct
from chanli.compensation.rules.registry import ComponentResult, RunContext, register
from chanli.core.issues import Issue
from chanli.core.money import allocate, currency_exponent

__all__ = ["clv_pool", "team_pool"]

ZERO = Decimal(0)


@register("clv_pool", ClvPoolParams, label="客户终身价值分红")
def clv_pool(component: Component, ctx: RunContext) -> ComponentResult:
    """pool = rate × renewal/repurchase revenue of the period (all owners), shared among the
    plan's participants in proportion to the lifetime value retained from their customers."""
    params: ClvPoolParams = component.params
    facts = sorted(ctx.inputs.clv, key=lambda f: f.person_id)
    renewal = sum((f.renewal_revenue for f in facts), ZERO)
    pool = fen(renewal * params.rate, ctx.currency)
    retained: dict[int, Decimal] = {}
    for f in facts:
        if ctx.is_participant(f.person_id) and f.retained_value > 0:
            retained[f.person_id] = retained.get(f.person_id, ZERO) + f.retained_value
    if pool <= 0:
        return ComponentResult()
    if not retained:
        return ComponentResult(
            issues=(
                ctx.issue(
                    component,
                    "comp.pool_unallocated",
                    f"CLV pool {ctx.money(pool)} has no participant with retained value; not paid",
                    warning=True,
                ),
            )
        )
    people = sorted(retained)
    total = sum(retained.values(), ZERO)
    shares = allocate(pool, [retained[p] for p in people], currency_exponent(ctx.currency))
    lines = [
        ctx.line(
            component,
            pid,
            share,
            f"分红池 {ctx.money(pool)}（续约/复购收入 {ctx.money(renewal)} × {pct(params.rate)}）"
            f" × 留存客户价值 {ctx.money(retained[pid])} / {ctx.money(total)} = {ctx.money(share)}",
            inputs=(
                ("pool", pool),
                ("renewal_revenue", renewal),
                ("rate", params.rate),
                ("retained_value", retained[pid]),
                ("retained_total", total),
            ),
            sources=(f"clv:{pid}",),
        )
        for pid, share in zip(people, shares, strict=True)
    ]
    return ComponentResult(tuple(lines))


@register("team_pool", TeamPoolParams, label="铁三角奖金池")
def team_pool(component: Component, ctx: RunContext) -> ComponentResult:
    """Per project (an order signed in the period with project members): pool = rate × project
    value in company currency (R1, R6), split by role weight; members sharing a role share its
    weight equally. Roles missing from a project leave their weight to the roles present."""
    params: TeamPoolParams = component.params
    weights = {w.role: w.weight for w in params.role_weights}
    lines = []
    issues: list[Issue] = []
    period = ctx.period
    for order in sorted(ctx.inputs.orders, key=lambda o: o.id):
        if not order.members or not period.contains(order.signed_on) or order.reversed_by(period.end):
            continue
        value = ctx.book.converted(order, net_amount_before(ctx.inputs, order))
        if value is None:
            continue
        pool = fen(value * params.rate, ctx.currency)
        in_role: dict[str, int] = {}
        for m in order.members:
            in_role[m.role] = in_role.get(m.role, 0) + 1
        for m in order.members:
            if m.role not in weights:
                issues.append(
                    ctx.issue(
                        component,
                        "comp.pool_unknown_role",
                        f"order {order.id}: role {m.role!r} has no weight in the plan; "
                        f"{ctx.name(m.person_id)} gets nothing",
                        warning=True,
                        source=f"order:{order.id}",
                    )
                )
        member_weights = [weights.get(m.role, ZERO) / in_role[m.role] for m in order.members]
        if pool == 0 or sum(member_weights, ZERO) == 0:
            continue
        shares = allocate(pool, member_weights, currency_exponent(ctx.currency))
        for m, w, share in zip(order.members, member_weights, shares, strict=True):
            if w == 0:
                continue
            if not ctx.is_participant(m.person_id):
                issues.append(
                    ctx.issue(
                        component,
                        "comp.pool_share_unpaid",
                        f"order {order.id}: {ctx.name(m.person_id)} ({m.role}) is not in this plan; "
                        f"their share {ctx.money(share)} is not paid here",
                        warning=True,
                        source=f"order:{order.id}",
                    )
                )
                continue
            same = in_role[m.role]
            split = f"（{same} 人平分）" if same > 1 else ""
            lines.append(
                ctx.line(
                    component,
                    m.person_id,
                    share,
                    f"订单#{order.id} 项目额 {ctx.money(value)} × {pct(params.rate)} = 奖池 {ctx.money(pool)}；"
                    f"{m.role} 角色权重 {pct(weights[m.role])}{split} = {ctx.money(share)}",
                    inputs=(
                        ("project_value", value),
                        ("pool", pool),
                        ("role", m.role),
                        ("role_weight", weights[m.role]),
                    ),
                    sources=(f"order:{order.id}",),
                    attribution=((order.id, share),),
                )
            )
    return ComponentResult(tuple(sorted(lines, key=lambda ln: ln.person_id)), tuple(issues))
