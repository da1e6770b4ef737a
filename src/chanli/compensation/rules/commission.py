"""Commission: marginal tiers over quota, rate on revenue, per-product rates, and the overrides
that are a share of someone else's credit or commission (manager, mentor)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from chanli.compensation.model import (
    MENTOR_RATE_MAX,
    MENTOR_RATE_MIN,
    Component,
    ManagerOverrideParams,
    MentorOverrideParams,
    ProductRatesParams,
    RevenueRateParams,
    Tier,
    TieredCommissionParams,
)
from chanli.compensation.rules.crediting import attribute, spread
from chanli.compensation.rules.maths import fen, fen_of_fraction, marginal_slices, overlap_days, pct, ratio
from chanli.compensation.rules.registry import ComponentResult, RunContext, register
from chanli.core.issues import Issue

__all__ = ["band_label", "manager_override", "mentor_override", "product_rates", "revenue_rate", "tiered_commission"]

ZERO = Decimal(0)
ONE = Decimal(1)


def band_label(tier: Tier) -> str:
    """超额 0%–10% for bands above quota, 达成 80%–100% below it, 以上 when open-ended."""
    if tier.lower >= ONE:
        low = pct(tier.lower - ONE)
        return f"超额 {low}–{pct(tier.upper - ONE)}" if tier.upper is not None else f"超额 {low} 以上"
    return f"达成 {pct(tier.lower)}–{pct(tier.upper)}" if tier.upper is not None else f"达成 {pct(tier.lower)} 以上"


def tiered_amount(revenue: Decimal, quota: Decimal, tiers: tuple[Tier, ...], currency: str) -> Decimal:
    """Σ slice × rate over the bands, rounded once (R5). The reference the batch engine matches."""
    exact = sum((part * t.rate for t, _, _, part in marginal_slices(revenue, quota, tiers, currency)), ZERO)
    return fen(exact, currency)


@register("tiered_commission", TieredCommissionParams, label="阶梯提成", commission=True)
def tiered_commission(component: Component, ctx: RunContext) -> ComponentResult:
    """Marginal tiers on the period's credited revenue: each band's rate on its slice only."""
    params: TieredCommissionParams = component.params
    lines = []
    issues: list[Issue] = []
    for person in ctx.participants:
        quota = ctx.quota(person.id, params.quota or "")
        if quota is None or quota <= 0:
            issues.append(
                ctx.issue(
                    component,
                    "comp.no_quota",
                    f"{ctx.name(person.id)} has no {params.quota} quota for {ctx.period.label}; no commission line",
                    source=f"person:{person.id}",
                )
            )
            continue
        revenue, facts = ctx.credited(person.id, params.crediting)
        slices = marginal_slices(revenue, quota, params.tiers, ctx.currency)
        amount = tiered_amount(revenue, quota, params.tiers, ctx.currency)
        paid = [(t, part) for t, _, _, part in slices if part > 0]
        head = f"业绩 {ctx.money(revenue)} ÷ 定额 {ctx.money(quota)} = 达成率 {pct(ratio(revenue / quota), 2)}"
        if paid:
            body = " + ".join(f"{band_label(t)} 段 {ctx.money(part)} × {pct(t.rate)}" for t, part in paid)
            formula = f"{head}；{body} = {ctx.money(amount)}"
        else:
            formula = f"{head}；未进入任何提成阶梯，提成 {ctx.money(amount)}"
        lines.append(
            ctx.line(
                component,
                person.id,
                amount,
                formula,
                inputs=(
                    ("credited", revenue),
                    ("quota", quota),
                    ("attainment", ratio(revenue / quota)),
                    *((f"band {band_label(t)}", f"{part} × {t.rate}") for t, _, _, part in slices),
                ),
                sources=tuple(sorted({f.source for f in facts})),
                attribution=attribute(amount, facts, ctx.currency),
            )
        )
    return ComponentResult(tuple(lines), tuple(issues))


@register("revenue_rate", RevenueRateParams, label="业绩提成", commission=True)
def revenue_rate(component: Component, ctx: RunContext) -> ComponentResult:
    """A flat rate on the period's credited revenue (optionally of some products only)."""
    params: RevenueRateParams = component.params
    lines = []
    for person in ctx.participants:
        facts = ctx.credits(person.id, params.crediting)
        if params.products:
            facts = [f for f in facts if f.product in params.products]
        revenue = sum((f.amount for f in facts), Decimal("0.00"))
        amount = fen(revenue * params.rate, ctx.currency)
        scope = f"（产品 {'、'.join(params.products)}）" if params.products else ""
        lines.append(
            ctx.line(
                component,
                person.id,
                amount,
                f"业绩{scope} {ctx.money(revenue)} × {pct(params.rate)} = {ctx.money(amount)}",
                inputs=(("credited", revenue), ("rate", params.rate)),
                sources=tuple(sorted({f.source for f in facts})),
                attribution=attribute(amount, facts, ctx.currency),
            )
        )
    return ComponentResult(tuple(lines))


@register("product_rates", ProductRatesParams, label="产品提成", commission=True)
def product_rates(component: Component, ctx: RunContext) -> ComponentResult:
    """One line per product: the product's credited revenue × its rate (or the default rate).
    Products with no rate and no default earn nothing and get no line."""
    params: ProductRatesParams = component.params
    rates = {r.product: r.rate for r in params.rates}
    lines = []
    for person in ctx.participants:
        by_product: dict[str, list] = {}
        for f in ctx.credits(person.id, params.crediting):
            by_product.setdefault(f.product or "", []).append(f)
        for product in sorted(by_product):
            rate = rates.get(product, params.default_rate)
            if rate is None:
                continue
            facts = by_product[product]
            revenue = sum((f.amount for f in facts), Decimal("0.00"))
            amount = fen(revenue * rate, ctx.currency)
            name = product or "未指定产品"
            how = "" if product in rates else "（默认费率）"
            lines.append(
                ctx.line(
                    component,
                    person.id,
                    amount,
                    f"产品 {name} 业绩 {ctx.money(revenue)} × {pct(rate)}{how} = {ctx.money(amount)}",
                    inputs=(("product", name), ("credited", revenue), ("rate", rate)),
                    sources=tuple(sorted({f.source for f in facts})),
                    attribution=attribute(amount, facts, ctx.currency),
                )
            )
    return ComponentResult(tuple(lines))


@register("manager_override", ManagerOverrideParams, label="管理津贴")
def manager_override(component: Component, ctx: RunContext) -> ComponentResult:
    """A manager's rate on the credit of the people below them (their own credit excluded)."""
    params: ManagerOverrideParams = component.params
    lines = []
    for person in ctx.participants:
        reports = ctx.reports(person.id, params.depth)
        if not reports:
            continue
        facts = ctx.book.for_people(params.basis, reports)
        revenue = sum((f.amount for f in facts), Decimal("0.00"))
        amount = fen(revenue * params.rate, ctx.currency)
        who = "直属下属" if params.depth == "direct" else "团队下属"
        lines.append(
            ctx.line(
                component,
                person.id,
                amount,
                f"{who} {len(reports)} 人业绩 {ctx.money(revenue)} × {pct(params.rate)} = {ctx.money(amount)}",
                inputs=(("team_credited", revenue), ("rate", params.rate), ("reports", len(reports))),
                sources=tuple(sorted({f.source for f in facts})),
                attribution=attribute(amount, facts, ctx.currency),
            )
        )
    return ComponentResult(tuple(lines))


@register("mentor_override", MentorOverrideParams, label="师徒津贴")
def mentor_override(component: Component, ctx: RunContext) -> ComponentResult:
    """The mentor earns rate × the apprentice's commission (the ``of`` lines of this run),
    prorated by the days the agreement overlaps the period. Nothing is taken from the apprentice.

    Why days: commission is a period total, so the override follows the share of the period the
    agreement covered, the same way base salary follows days employed.
    """
    params: MentorOverrideParams = component.params
    lines = []
    issues: list[Issue] = []
    agreements = sorted(ctx.inputs.mentorships, key=lambda m: (m.mentor_id, m.apprentice_id, m.start))
    for m in agreements:
        if not ctx.is_participant(m.mentor_id):
            continue
        days = overlap_days(ctx.period, m.start, m.end)
        if days == 0:
            continue
        rate = params.rate if params.rate is not None else m.rate
        if not MENTOR_RATE_MIN <= rate <= MENTOR_RATE_MAX:
            issues.append(
                ctx.issue(
                    component,
                    "comp.mentor_rate",
                    f"agreement {m.mentor_id}→{m.apprentice_id} has rate {pct(rate)}, outside 5–10%; not paid",
                    source=f"person:{m.mentor_id}",
                )
            )
            continue
        base_lines = ctx.lines_of(m.apprentice_id, params.of)
        commission = sum((line.amount for line in base_lines), Decimal("0.00"))
        amount = fen_of_fraction(Fraction(commission) * Fraction(rate) * days / ctx.period.days, ctx.currency)
        weights: dict[int, Decimal] = {}
        for line in base_lines:
            for order_id, part in line.attribution:
                weights[order_id] = weights.get(order_id, ZERO) + part
        days_text = "" if days == ctx.period.days else f" × 协议期内 {days}/{ctx.period.days} 天"
        lines.append(
            ctx.line(
                component,
                m.mentor_id,
                amount,
                f"徒弟 {ctx.name(m.apprentice_id)} 提成 {ctx.money(commission)} × 师徒协议 {pct(rate)}{days_text}"
                f" = {ctx.money(amount)}",
                inputs=(
                    ("apprentice", m.apprentice_id),
                    ("apprentice_commission", commission),
                    ("rate", rate),
                    ("overlap_days", days),
                    ("period_days", ctx.period.days),
                ),
                sources=(
                    f"mentorship:{m.mentor_id}-{m.apprentice_id}",
                    *sorted({s for ln in base_lines for s in ln.sources}),
                ),
                attribution=spread(amount, weights, ctx.currency),
            )
        )
    return ComponentResult(tuple(lines), tuple(issues))
