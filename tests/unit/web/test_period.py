"""The dashboard's period picker: presets anchored on the newest month with facts."""

from __future__ import annotations

from datetime import date

import pytest

from chanli.web.pages import resolve_period

LATEST_END = date(2026, 11, 1)  # newest order in October 2026


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        (None, ("12m", date(2025, 11, 1), date(2026, 11, 1))),
        ("12m", ("12m", date(2025, 11, 1), date(2026, 11, 1))),
        ("month", ("month", date(2026, 10, 1), date(2026, 11, 1))),
        ("quarter", ("quarter", date(2026, 10, 1), date(2027, 1, 1))),
        ("year", ("year", date(2026, 1, 1), date(2027, 1, 1))),
        ("nonsense", ("12m", date(2025, 11, 1), date(2026, 11, 1))),
    ],
)
def test_presets_end_with_the_newest_month_of_facts(preset: str | None, expected: tuple[str, date, date]) -> None:
    assert resolve_period(preset, None, None, latest_end=LATEST_END) == expected


def test_fiscal_presets_follow_the_company_fiscal_year_start() -> None:
    assert resolve_period("year", None, None, latest_end=LATEST_END, fiscal_start_month=4) == (
        "year", date(2026, 4, 1), date(2027, 4, 1))
    assert resolve_period("quarter", None, None, latest_end=LATEST_END, fiscal_start_month=4) == (
        "quarter", date(2026, 10, 1), date(2027, 1, 1))


def test_january_anchor_looks_back_into_december() -> None:
    assert resolve_period("month", None, None, latest_end=date(2027, 1, 1)) == (
        "month", date(2026, 12, 1), date(2027, 1, 1))


def test_custom_months_are_inclusive_and_override_the_preset() -> None:
    assert resolve_period("month", "2026-01", "2026-03", latest_end=LATEST_END) == (
        "custom", date(2026, 1, 1), date(2026, 4, 1))


def test_custom_range_with_one_end_fills_the_other() -> None:
    assert resolve_period(None, None, "2026-06", latest_end=LATEST_END) == (
        "custom", date(2025, 7, 1), date(2026, 7, 1))
    assert resolve_period(None, "2026-03", None, latest_end=LATEST_END) == (
        "custom", date(2026, 3, 1), date(2026, 11, 1))


def test_reversed_custom_range_means_the_same_months() -> None:
    assert resolve_period(None, "2026-09", "2026-02", latest_end=LATEST_END) == (
        "custom", date(2026, 2, 1), date(2026, 10, 1))


def test_from_month_after_the_newest_facts_shows_that_month() -> None:
    assert resolve_period(None, "2027-03", None, latest_end=LATEST_END) == (
        "custom", date(2027, 3, 1), date(2027, 4, 1))


def test_malformed_months_fall_back_to_the_preset() -> None:
    assert resolve_period("month", "2026-13", "soon", latest_end=LATEST_END) == (
        "month", date(2026, 10, 1), date(2026, 11, 1))
