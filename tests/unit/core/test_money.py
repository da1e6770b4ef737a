"""Money: exact, explicit rounding, parts that add up to the whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chanli.core.money import CNY, D, Money, Rounding, allocate, allocate_amount, format_money, quantize


def test_float_is_refused_so_binary_noise_never_reaches_a_payout():
    with pytest.raises(TypeError, match="float"):
        D(0.1)
    with pytest.raises(TypeError):
        Money.of(0.1)
    with pytest.raises(TypeError):
        Money.of("1") * 1.5  # type: ignore[operator]


def test_amount_strings_as_people_type_them_are_understood():
    assert D("¥1,234.50") == Decimal("1234.50")
    assert D(" 12，000元 ") == Decimal("12000")
    with pytest.raises(ValueError, match="not a number"):
        D("十二")


def test_half_up_rounds_the_half_fen_away_from_zero():
    assert quantize(Decimal("0.005")) == Decimal("0.01")
    assert quantize(Decimal("2.345")) == Decimal("2.35")
    assert quantize(Decimal("-2.345")) == Decimal("-2.35")
    assert quantize(Decimal("2.345"), rounding=Rounding.HALF_EVEN) == Decimal("2.34")
    assert quantize(Decimal("100.4"), "JPY") == Decimal("100")


def test_currencies_never_mix():
    with pytest.raises(ValueError, match="CNY with USD"):
        Money.of("1") + Money.of("1", "USD")


def test_allocation_gives_leftover_fen_to_largest_remainders_then_earlier_parts():
    assert allocate(Decimal("100.00"), [1, 1, 1]) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert allocate(Decimal("10.00"), [Decimal("0.5"), Decimal("0.3"), Decimal("0.2")]) == [
        Decimal("5.00"),
        Decimal("3.00"),
        Decimal("2.00"),
    ]
    assert allocate(Decimal("-100.00"), [1, 1, 1]) == [Decimal("-33.34"), Decimal("-33.33"), Decimal("-33.33")]
    assert allocate(Decimal("1.00"), [0, 0]) == [Decimal("0.50"), Decimal("0.50")]


def test_allocation_refuses_amounts_finer_than_the_fen_and_negative_weights():
    with pytest.raises(ValueError, match="quantum"):
        allocate(Decimal("1.005"), [1, 1])
    with pytest.raises(ValueError, match="negative"):
        allocate(Decimal("1.00"), [1, -1])


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40),
)
def test_allocated_parts_always_sum_exactly_to_the_total(total: int, weights: list[int]) -> None:
    amount = Decimal(total) / 100
    parts = allocate(amount, weights)
    assert sum(parts, Decimal(0)) == amount
    assert len(parts) == len(weights)
    if sum(weights) > 0 and total >= 0:
        # no part strays more than one fen from its exact share
        exact = [amount * w / sum(weights) for w in weights]
        assert all(abs(p - e) < Decimal("0.01") for p, e in zip(parts, exact, strict=True))


def test_money_allocation_keeps_the_currency():
    parts = allocate_amount(Money.of("0.10", CNY), [1, 2])
    assert parts == [Money.of("0.03"), Money.of("0.07")]


def test_display_follows_the_locale():
    assert format_money(Decimal("1234.5")) == "¥1,234.50"
    assert format_money(Decimal("1234.5"), locale="en") == "CN¥1,234.50"
