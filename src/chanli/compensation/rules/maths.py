"""The arithmetic of compensation, with every rounding named.

Named rounding points (all ``ROUND_HALF_UP``; listed in docs.md):

- ``R1 convert`` — an order, payment or credit note converted to the company currency, to the fen.
- ``R2 split`` — not a rounding but an allocation: credit shares and pool shares are cut with
  ``core.money.allocate`` so the parts always sum to the whole.
- ``R3 band edge`` — a tier edge ``lower × quota`` in money, to the fen.
- ``R4 ratio`` — attainment, payout factors and multipliers to 0.0001 before they are used, so
  the figure printed on the statement is the figure that was multiplied.
- ``R5 line`` — each statement line's amount, once, to the fen; totals are sums of lines.
- ``R6 pool`` — a pool (CLV, iron triangle) to the fen before it is allocated.
- ``R7 clawback`` — the clawable base (paid × clawback share) to the fen, then the cumulative
  amount to claw back (base × reversed fraction) to the fen.

Proration by days is exact (``fractions.Fraction``) until its one rounding at R5.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from chanli.compensation.model import CollectionBand, CurvePoint, Tier
from chanli.core.money import CNY, Rounding, currency_exponent, format_money, quantize
from chanli.core.periods import Period

__all__ = [
    "RATIO_QUANTUM",
    "band_factor",
    "curve_factor",
    "fen",
    "fen_of_fraction",
    "marginal_slices",
    "money",
    "month_pieces",
    "overlap_days",
    "pct",
    "ratio",
]

ZERO = Decimal(0)
ONE = Decimal(1)
RATIO_QUANTUM = Decimal("0.0001")


def fen(amount: Decimal, currency: str = CNY) -> Decimal:
    """Round money to the currency's minor unit, half up (R1, R3, R5, R6, R7)."""
    return quantize(amount, currency, Rounding.HALF_UP)


def fen_of_fraction(value: Fraction, currency: str = CNY) -> Decimal:
    """Round an exact rational amount (a day-prorated one) to the fen, half up, mirrored for
    negatives so a reversal rounds like its original."""
    if value < 0:
        return -fen_of_fraction(-value, currency)
    exponent = currency_exponent(currency)  # 0.01 for CNY
    units = value / Fraction(exponent)
    whole = units.numerator // units.denominator
    if units - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole) * exponent).quantize(exponent)


def ratio(value: Decimal) -> Decimal:
    """A ratio (attainment, factor, multiplier) to 0.0001, half up (R4)."""
    return value.quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)


def overlap_days(period: Period, start: date | None, end: date | None) -> int:
    """Days of ``[start, end)`` inside the period (``None`` = open on that side)."""
    lo = max(period.start, start) if start else period.start
    hi = min(period.end, end) if end else period.end
    return max((hi - lo).days, 0)


def month_pieces(period: Period) -> list[tuple[date, date, int]]:
    """The period cut at calendar-month boundaries: ``(start, end, days in that month)``.
    A monthly amount is prorated month by month, so a quarter pays three months' base."""
    out: list[tuple[date, date, int]] = []
    cursor = period.start
    while cursor < period.end:
        month_start = cursor.replace(day=1)
        nxt = date(cursor.year + 1, 1, 1) if cursor.month == 12 else date(cursor.year, cursor.month + 1, 1)
        out.append((cursor, min(nxt, period.end), (nxt - month_start).days))
        cursor = nxt
    return out


def marginal_slices(
    revenue: Decimal, quota: Decimal, tiers: Sequence[Tier], currency: str = CNY
) -> list[tuple[Tier, Decimal, Decimal | None, Decimal]]:
    """Cut the period's credited revenue into the slices that fall in each tier's band.

    Each band ``[lower, upper)`` of attainment becomes a money band ``[lower × quota,
    upper × quota)`` with its edges rounded to the fen (R3); the slice is the part of the
    revenue inside it. Returns ``(tier, low edge, high edge or None, slice)`` per tier.
    """
    out: list[tuple[Tier, Decimal, Decimal | None, Decimal]] = []
    for tier in tiers:
        low = fen(tier.lower * quota, currency)
        high = fen(tier.upper * quota, currency) if tier.upper is not None else None
        top = revenue if high is None else min(revenue, high)
        out.append((tier, low, high, max(top - low, ZERO)))
    return out


def curve_factor(attainment: Decimal, points: Sequence[CurvePoint], cap: Decimal | None) -> Decimal:
    """Payout factor from a piecewise-linear curve: 0 below the first point (the floor),
    linear between points, flat after the last, at most ``cap``; rounded at R4."""
    if not points or attainment < points[0].attainment:
        return ZERO
    value = points[-1].payout
    for left, right in itertools.pairwise(points):
        if left.attainment <= attainment < right.attainment:
            step = (attainment - left.attainment) / (right.attainment - left.attainment)
            value = left.payout + (right.payout - left.payout) * step
            break
    if cap is not None:
        value = min(value, cap)
    return ratio(value)


def band_factor(value: Decimal, bands: Sequence[CollectionBand]) -> tuple[Decimal, CollectionBand | None]:
    """The factor of the band ``[lower, upper)`` that holds ``value`` (0 when none does)."""
    for band in bands:
        if band.lower <= value and (band.upper is None or value < band.upper):
            return band.factor, band
    return ZERO, None


# --- words -------------------------------------------------------------------------------


def money(amount: Decimal, currency: str = CNY) -> str:
    """¥12,000.00 — statements show money the way finance writes it."""
    return format_money(amount, currency)


def pct(value: Decimal, places: int | None = None) -> str:
    """3%, 12.5%, or with ``places`` a fixed number of decimals (125.00%)."""
    hundred = value * 100
    if places is not None:
        return f"{hundred.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"
    text = format(hundred.normalize(), "f")
    return f"{text}%"
