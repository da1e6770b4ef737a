"""Reading one cell: every spelling of a date, an amount or a yes/no that Chinese and
English spreadsheets use, and a precise reason for anything else."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chanli.exchange.values import (
    ValueProblem,
    cell_text,
    normalise_token,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_rate,
)


@pytest.mark.parametrize(
    "cell",
    ["2026-10-05", "2026/10/5", "2026.10.05", "2026年10月5日", "2026 年 10 月 5 日", "20261005", "２０２６-10-05",
     "2026-10-05 00:00:00", 46300, 46300.0, "46300", datetime(2026, 10, 5, 0, 0), date(2026, 10, 5)],
)
def test_a_date_is_read_from_every_common_spelling(cell: object) -> None:
    assert parse_date(cell) == date(2026, 10, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "code", "message"),
    [
        ("10/5/2026", "value.date", "day and month order is ambiguous; write 2026-10-05"),
        ("2026-02-30", "value.date", "is not a real calendar date"),
        ("next tuesday", "value.date", "expected a date like 2026-10-05, 2026/10/5 or 2026年10月5日"),
        (2026, "value.date", "is a number, but not a plausible Excel date serial"),
        (True, "value.date", "expected a date"),
    ],
)
def test_an_unreadable_date_says_why(cell: object, code: str, message: str) -> None:
    with pytest.raises(ValueProblem) as err:
        parse_date(cell)  # type: ignore[arg-type]
    assert (err.value.code, str(err.value)) == (code, message)


def test_a_blank_cell_is_no_value() -> None:
    assert parse_date("  ") is None
    assert parse_decimal("\u3000") is None
    assert parse_bool(None) is None


def test_a_moment_without_offset_is_read_in_the_company_time_zone_and_stored_in_utc() -> None:
    assert parse_datetime("2026-10-08 10:00", "Asia/Shanghai") == datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    assert parse_datetime("2026年10月8日 10时30分", "Asia/Shanghai") == datetime(2026, 10, 8, 2, 30, tzinfo=UTC)
    assert parse_datetime("2026-10-08", "Asia/Shanghai") == datetime(2026, 10, 7, 16, 0, tzinfo=UTC)
    assert parse_datetime(datetime(2026, 10, 8, 10, 0), "Asia/Shanghai") == datetime(2026, 10, 8, 2, 0, tzinfo=UTC)


def test_a_moment_with_an_offset_keeps_its_instant() -> None:
    assert parse_datetime("2026-10-08T10:00:00+08:00", "America/New_York") == datetime(2026, 10, 8, 2, tzinfo=UTC)
    assert parse_datetime("2026-10-08 02:00:00Z", "Asia/Shanghai") == datetime(2026, 10, 8, 2, tzinfo=UTC)
    assert parse_datetime("2026-10-08 10:00-0500", "Asia/Shanghai") == datetime(2026, 10, 8, 15, tzinfo=UTC)


def test_an_excel_serial_with_a_fraction_is_a_time_of_day() -> None:
    assert parse_datetime(46303.4375, "Asia/Shanghai") == datetime(2026, 10, 8, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("¥1,234.50", "1234.50"), ("￥1，234.5", "1234.5"), ("1234.5元", "1234.5"), ("$1,234", "1234"),
     ("USD 12", "12"), ("RMB 8", "8"), ("１２３", "123"), ("−5", "-5"), (1054, "1054"), (1054.1, "1054.1"),
     (130.00000000000003, "130"), (Decimal("9.99"), "9.99")],
)
def test_money_is_read_exactly_as_decimal(cell: object, expected: str) -> None:
    value = parse_decimal(cell, places=2)  # type: ignore[arg-type]
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("cell", "code", "message"),
    [("12.345", "value.places", "has more than 2 decimal places"),
     ("一百", "value.number", "not a number"),
     ("1e17", "value.range", "is too large (must be below 10,000,000,000,000,000)"),
     (True, "value.number", "expected a number, got a yes/no value")],
)
def test_money_is_never_rounded_or_guessed(cell: object, code: str, message: str) -> None:
    with pytest.raises(ValueProblem) as err:
        parse_decimal(cell, places=2, max_abs=Decimal(10) ** 16)  # type: ignore[arg-type]
    assert (err.value.code, str(err.value)) == (code, message)


def test_whole_numbers_accept_thousands_separators_and_excel_floats_but_not_fractions() -> None:
    assert parse_int("1,200") == 1200
    assert parse_int(12.0) == 12
    with pytest.raises(ValueProblem, match="expected a whole number"):
        parse_int("12.5")


def test_a_rate_is_a_share_or_a_percentage() -> None:
    assert parse_rate("35%") == Decimal("0.35")
    assert parse_rate("35％") == Decimal("0.35")
    assert parse_rate(0.35) == Decimal("0.35")
    with pytest.raises(ValueProblem, match=r"must be between 0 and 1 \(write 35% or 0.35\)"):
        parse_rate("35")


@pytest.mark.parametrize(("cell", "expected"), [("是", True), ("否", False), ("YES", True), ("n", False), ("1", True),
                                                 (0, False), ("✓", True), (True, True), ("在职", True)])
def test_yes_and_no_in_chinese_and_english(cell: object, expected: bool) -> None:
    assert parse_bool(cell) is expected  # type: ignore[arg-type]


def test_an_unknown_yes_no_is_refused() -> None:
    with pytest.raises(ValueProblem, match="expected 是/否, yes/no, true/false or 1/0"):
        parse_bool("也许")


def test_an_id_typed_as_a_number_in_excel_keeps_its_digits() -> None:
    assert cell_text(10023.0) == "10023"
    assert cell_text(0.1) == "0.1"
    assert cell_text("  P-01\u3000") == "P-01"


@pytest.mark.parametrize(
    ("header", "token"),
    [("ＥＭＡＩＬ", "email"), (" Hire_Date ", "hiredate"), ("入职日期*", "入职日期"), ("金额（元）", "金额"),
     ("External-ID", "externalid"), ("E.mail", "email")],
)
def test_headers_are_normalised_for_matching(header: str, token: str) -> None:
    assert normalise_token(header) == token


@given(st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False,
                   allow_infinity=False))
def test_any_two_place_amount_reads_back_exactly_whatever_the_spelling(amount: Decimal) -> None:
    assert parse_decimal(f"{amount:,.2f}", places=2) == amount
    assert parse_decimal(f"¥{amount}", places=2) == amount


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2199, 12, 31)))
def test_any_date_reads_back_from_iso_chinese_and_excel_serial(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert parse_date(serial) == day
    assert parse_date(str(serial)) == day


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_utc_moment_written_with_an_offset_reads_back_to_the_same_instant(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    shifted = moment.astimezone(UTC) + timedelta(hours=8)
    text = shifted.replace(tzinfo=None).isoformat(sep=" ") + "+08:00"
    assert parse_datetime(text, "UTC") == moment
