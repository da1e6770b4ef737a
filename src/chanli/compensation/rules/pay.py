"""Base salary and the performance bonus."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from chanli.compensation.model import (
    BaseSalaryParams,
    BonusParams,
    Component,
    Person,
    tier_amount,
)
from chanli.compensation.rules.maths import (
    band_factor,
    curve_factor,
    fen_of_fraction,
    month_pieces,
    pct,
    ratio,
)
from chanli.compensation.rules.registry import ComponentResult, RunContext, register
from chanli.core.issues import Issue

__all__ = ["base_salary", "performance_bonus", "prorated_monthly"]

ONE = Decimal(1)
ZERO = Decimal(0)


def prorated_monthly(monthly: Decimal, person: Person, ctx: RunContext) -> tuple[Fraction, list[tuple[str, int, int]]]:
    """A monthly amount over the period, month by month, by calendar days employed (exact).

    Returns the exact amount and ``(month, days employed, days in month)`` per month.
    """
    exact = Fraction(0)
    parts: list[tuple[str, int, int]] = []
    for start, end, month_days in month_pieces(ctx.period):
        worked = person.employed_between(start, end)
        exact += Fraction(monthly) * worked / month_days
        parts.append((f"{start:%Y-%m}", worked, month_days))
    return exact, parts


@register("base_salary", BaseSalaryParams, label="基本工资")
def base_salary(component: Component, ctx: RunContext) -> ComponentResult:
    """Monthly base, prorated by calendar days employed in each month of the period."""
    params: BaseSalaryParams = component.params
    lines = []
    for person in ctx.participants:
        monthly = tier_amount(None, params.monthly_by_tier, person.tier)
        monthly = person.base_salary if monthly is None else monthly
        exact, parts = prorated_monthly(monthly, person, ctx)
        amount = fen_of_fraction(exact, ctx.currency)
        if all(worked == days for _, worked, days in parts):
            formula = f"月薪 {ctx.money(monthly)} × {len(parts)} 个月 = {ctx.money(amount)}"
        else:
            phrases = " + ".join(f"{m} 在职 {worked}/{days} 天" for m, worked, days in parts)
            formula = f"月薪 {ctx.money(monthly)} × ({phrases}) = {ctx.money(amount)}"
        lines.append(
            ctx.line(
                component,
                person.id,
                amount,
                formula,
                inputs=(
                    ("monthly", monthly),
                    ("employed_days", person.employed_days(ctx.period)),
                    ("period_days", ctx.period.days),
                ),
                sources=(f"person:{person.id}",),
            )
        )
    return ComponentResult(tuple(lines))


@register("performance_bonus", BonusParams, label="绩效奖金")
def performance_bonus(component: Component, ctx: RunContext) -> ComponentResult:
    """Target bonus × payout factor of attainment × collection factor, rounded once (R5).

    Attainment and the factors are rounded to 0.0001 first (R4), so the statement's figures
    multiply out to its amount.
    """
    params: BonusParams = component.params
    lines = []
    issues: list[Issue] = []
    rates = {r.person_id: r.rate for r in ctx.inputs.collection_rates}
    needs_collection = params.collection_gate is not None or bool(params.collection_bands)
    for person in ctx.participants:
        target = tier_amount(params.target_bonus, params.target_bonus_by_tier, person.tier)
        quota = ctx.quota(person.id, params.quota or "")
        if target is None:
            issues.append(ctx.issue(component, "comp.no_target_bonus", f"no target bonus for tier {person.tier!r}"))
            continue
        if quota is None or quota <= 0:
            issues.append(
                ctx.issue(
                    component,
                    "comp.no_quota",
                    f"{ctx.name(person.id)} has no {params.quota} quota for {ctx.period.label}; no bonus line",
                    source=f"person:{person.id}",
                )
            )
            continue
        revenue, facts = ctx.credited(person.id, params.crediting)
        attainment = ratio(revenue / quota)
        factor = curve_factor(attainment, params.curve, params.cap)
        collection = ONE
        words = [f"目标奖金 {ctx.money(target)} × 达成率 {pct(attainment, 2)} 对应系数 {pct(factor)}"]
        inputs: list[tuple[str, object]] = [
            ("target_bonus", target),
            ("quota", quota),
            ("credited", revenue),
            ("attainment", attainment),
            ("payout_factor", factor),
        ]
        if needs_collection:
            rate = rates.get(person.id)
            if rate is None:
                issues.append(
                    ctx.issue(
                        component,
                        "comp.no_collection_rate",
                        f"{ctx.name(person.id)} has no collection rate for {ctx.period.label}; no bonus line",
                        source=f"person:{person.id}",
                    )
                )
                continue
            inputs.append(("collection_rate", rate))
            if params.collection_gate is not None and rate < params.collection_gate:
                collection = ZERO
                words.append(f"回款率 {pct(rate, 2)} 低于门槛 {pct(params.collection_gate)}，系数 0")
            elif params.collection_bands:
                collection, band = band_factor(rate, params.collection_bands)
                collection = ratio(collection)
                if band is None:
                    words.append(f"回款率 {pct(rate, 2)} 不在任何回款区间，系数 0")
                else:
                    top = f"–{pct(band.upper)}" if band.upper is not None else " 以上"
                    where = f"{pct(band.lower)}{top}"
                    words.append(f"回款率 {pct(rate, 2)}（{where} 段）回款系数 {pct(collection)}")
            else:
                words.append(f"回款率 {pct(rate, 2)} 达到门槛 {pct(params.collection_gate or ZERO)}")
            inputs.append(("collection_factor", collection))
        amount = fen_of_fraction(Fraction(target) * Fraction(factor) * Fraction(collection), ctx.currency)
        formula = " × ".join(words) + f" = {ctx.money(amount)}"
        lines.append(
            ctx.line(
                component,
                person.id,
                amount,
                formula,
                inputs=inputs,  # type: ignore[arg-type]
                sources=tuple(sorted({f.source for f in facts})),
            )
        )
    return ComponentResult(tuple(lines), tuple(issues))
