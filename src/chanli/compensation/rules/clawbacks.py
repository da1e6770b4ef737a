"""Clawbacks (追回): reversing what was paid on orders that did not stick.

The caller passes, per order and person, what earlier runs paid (``PriorPayout.paid``, from the
lines' ``attribution``) and what was already clawed back. The run computes the cumulative share
that should be clawed back *as of the period's end* and books only the difference, in the run's
period (the first open one). So a re-run never claws twice, a partial credit note claws a part,
and money that arrives after an uncollected clawback gives it back (a positive line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from chanli.compensation.model import ClawbackParams, Component, OrderFact, OrderStatus, RunInputs
from chanli.compensation.rules.crediting import credit_notes_before
from chanli.compensation.rules.maths import fen, fen_of_fraction, money, pct, ratio
from chanli.compensation.rules.registry import ComponentResult, RunContext, register
from chanli.core.issues import Issue

__all__ = ["Reversal", "clawback", "clawback_amount", "reversal"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Reversal:
    """How much of an order no longer stands at the period's end, and why (in words)."""

    fraction: Fraction  # 0–1 of the order's net amount
    reason: str


def reversal(order: OrderFact, inputs: RunInputs, uncollected_days: int | None) -> Reversal:
    """The share of ``order`` that is reversed as of the period's end.

    - cancelled or refunded before the period's end: all of it;
    - credit notes issued before the end: their sum ÷ net amount;
    - with ``uncollected_days``: once the collection window (signed + N days) has closed before
      the period's end, the part not collected by the period's end.
    The largest applicable share wins (a kept amount is the least of what still stands).
    """
    end = inputs.period.end
    net = order.net_amount
    if net <= 0:
        return Reversal(Fraction(0), "")
    if order.reversed_by(end):
        word = "取消" if order.status is OrderStatus.CANCELLED else "退款"
        when = f"于 {order.status_on} " if order.status_on else ""
        return Reversal(Fraction(1), f"订单#{order.id} 已{when}{word}")
    notes = credit_notes_before(inputs, order.id)
    kept = net - notes
    reason = f"订单#{order.id} 红冲 {notes}" if notes > 0 else ""
    if uncollected_days is not None:
        deadline = order.signed_on + timedelta(days=uncollected_days)
        if deadline < end:
            collected = sum((p.amount for p in inputs.payments if p.order_id == order.id and p.received_on < end), ZERO)
            if collected < kept:
                kept = collected
                reason = (
                    f"订单#{order.id} 签约 {uncollected_days} 天内（至 {deadline}）应回款 {net - notes}，"
                    f"截至期末已回款 {collected}"
                )
    kept = min(max(kept, ZERO), net)
    return Reversal(Fraction(net - kept) / Fraction(net), reason)


def clawback_amount(paid: Decimal, clawed_back: Decimal, fraction: Fraction, share: Decimal, currency: str) -> Decimal:
    """This run's clawback line: already clawed back − cumulative target, where the clawable base
    is paid × share to the fen, and the target that base × reversed fraction to the fen (R7).
    Negative claws back; positive gives back when a reversal shrank (late cash)."""
    clawable = fen(paid * share, currency)
    target = fen_of_fraction(Fraction(clawable) * fraction, currency)
    return fen(clawed_back, currency) - target


@register("clawback", ClawbackParams, label="追回")
def clawback(component: Component, ctx: RunContext) -> ComponentResult:
    """Negative lines for reversed orders, referencing the original order (see module doc)."""
    params: ClawbackParams = component.params
    lines = []
    issues: list[Issue] = []
    for prior in sorted(ctx.inputs.prior_payouts, key=lambda p: (p.order_id, p.person_id)):
        order = ctx.book.order(prior.order_id)
        src = f"order:{prior.order_id}"
        if order is None:
            issues.append(
                ctx.issue(
                    component,
                    "comp.clawback_unknown_order",
                    f"prior payout on unknown order {prior.order_id}",
                    source=src,
                )
            )
            continue
        if order.net_amount <= 0:
            continue  # nothing was sold, so nothing can be reversed
        rev = reversal(order, ctx.inputs, params.uncollected_days)
        amount = clawback_amount(prior.paid, prior.clawed_back, rev.fraction, params.share, ctx.currency)
        if amount == 0:
            continue
        share = f" × 追回比例 {pct(params.share)}" if params.share != 1 else ""
        fraction = ratio(Decimal(rev.fraction.numerator) / Decimal(rev.fraction.denominator))
        if amount < 0:
            words = f"{rev.reason}：已发 {money(prior.paid, ctx.currency)} × 冲销 {pct(fraction, 2)}{share}"
            words += f" − 已追回 {money(prior.clawed_back, ctx.currency)} = 追回 {money(-amount, ctx.currency)}"
        else:
            words = (
                f"订单#{order.id} 已追回 {money(prior.clawed_back, ctx.currency)}，现应追回 "
                f"{money(prior.clawed_back - amount, ctx.currency)}（回款已到），退还 {money(amount, ctx.currency)}"
            )
        lines.append(
            ctx.line(
                component,
                prior.person_id,
                amount,
                words,
                inputs=(
                    ("order", order.id),
                    ("paid", prior.paid),
                    ("clawed_back_before", prior.clawed_back),
                    ("reversed_fraction", fraction),
                ),
                sources=(src,),
                attribution=((order.id, amount),),
            )
        )
    return ComponentResult(tuple(lines), tuple(issues))
