"""Money as an immutable Decimal amount with a currency.

Why a type of our own: payouts must be exact to the fen and explainable. ``float`` never
enters (``D()`` refuses it), every rounding names its mode, and splits hand out the
remainder by a rule so the parts always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

from babel.numbers import format_currency, get_currency_precision

__all__ = [
    "CNY",
    "ZERO",
    "D",
    "Money",
    "Rounding",
    "allocate",
    "allocate_amount",
    "currency_exponent",
    "format_money",
    "money_sum",
    "quantize",
]

CNY = "CNY"
ZERO = Decimal(0)


class Rounding(Enum):
    """Named rounding policies. Every place that rounds money says which one it uses."""

    HALF_UP = ROUND_HALF_UP  # default for payouts, tax-style rounding: 0.005 → 0.01
    HALF_EVEN = ROUND_HALF_EVEN  # banker's rounding, for statistics only
    DOWN = ROUND_DOWN  # truncation, e.g. points that may never be over-granted


def D(value: object) -> Decimal:  # noqa: N802 - short name is the convention (beancount)
    """Turn ``value`` into a Decimal, refusing float.

    Strings, ints and Decimals are exact; floats are not, so they are rejected instead of
    silently carrying binary noise into a payout.
    """
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise TypeError(f"float {value!r} refused: pass a str or Decimal so money stays exact")
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        for symbol in ("¥", "￥", "CNY", "RMB", "元"):
            text = text.replace(symbol, "")
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return number
    raise TypeError(f"cannot make an amount from {type(value).__name__}")


def currency_exponent(currency: str) -> Decimal:
    """The quantum of a currency's minor unit (CNY → 0.01, JPY → 1), from CLDR via Babel."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def quantize(amount: Decimal, currency: str = CNY, rounding: Rounding = Rounding.HALF_UP) -> Decimal:
    """Round ``amount`` to the currency's minor unit with the named policy."""
    return amount.quantize(currency_exponent(currency), rounding=rounding.value)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Amounts of different currencies never add."""

    amount: Decimal
    currency: str = CNY

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", D(self.amount))
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code, got {self.currency!r}")

    @classmethod
    def of(cls, value: object, currency: str = CNY) -> Money:
        return cls(D(value), currency)

    @classmethod
    def zero(cls, currency: str = CNY) -> Money:
        return cls(ZERO, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply money by a Decimal, not a float")
        return Money(self.amount * D(factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def rounded(self, rounding: Rounding = Rounding.HALF_UP) -> Money:
        return Money(quantize(self.amount, self.currency, rounding), self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.currency} {self.rounded().amount:,}"


def allocate(
    total: Decimal,
    weights: Sequence[Decimal | int],
    quantum: Decimal = Decimal("0.01"),
) -> list[Decimal]:
    """Split ``total`` by ``weights`` into multiples of ``quantum`` that sum exactly to ``total``.

    Largest-remainder method: each part is floored to the quantum, then the leftover quanta go
    one by one to the parts with the largest fractional remainders (ties to the earlier part, so
    the result is deterministic). All-zero weights split equally. Negative totals are split as
    the mirror image of the positive total so a clawback reverses its original exactly.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    w = [D(x) for x in weights]
    if any(x < 0 for x in w):
        raise ValueError("weights must not be negative")
    if total < 0:
        return [-p for p in allocate(-total, w, quantum)]
    if (total / quantum) != (total / quantum).to_integral_value():
        raise ValueError(f"total {total} is not a multiple of the quantum {quantum}")
    weight_sum = sum(w, ZERO)
    if weight_sum == 0:
        w = [Decimal(1)] * len(w)
        weight_sum = Decimal(len(w))
    units = int(total / quantum)
    exact = [Decimal(units) * x / weight_sum for x in w]
    floors = [int(e) for e in exact]  # e >= 0, so int() floors
    leftover = units - sum(floors)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [quantum * f for f in floors]


def allocate_amount(total: Money, weights: Sequence[Decimal | int]) -> list[Money]:
    """``allocate`` for a Money total, at the currency's precision."""
    parts = allocate(total.rounded().amount, weights, currency_exponent(total.currency))
    return [Money(p, total.currency) for p in parts]


def money_sum(values: Iterable[Money], currency: str = CNY) -> Money:
    result = Money.zero(currency)
    for v in values:
        result = result + v
    return result


def format_money(amount: Decimal, currency: str = CNY, locale: str = "zh_CN") -> str:
    """Locale-aware display (¥1,234.50), always from the exact Decimal."""
    return format_currency(quantize(amount, currency), currency, locale=locale)
