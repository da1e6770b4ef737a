"""Calendar and fiscal periods, all half-open: ``[start, end)``.

Why one module: targets, pacing, commission runs and leaderboards must agree on what
"2026-Q3" or "this week" means, including a fiscal year that starts in another month
and ISO weeks. A period's ``end`` is the first day *after* it, so adjacent periods never
overlap and lengths are simple subtraction.

Fiscal years are named after the calendar year they start in: with a fiscal start in
April, ``FY2026`` runs 2026-04-01 → 2027-04-01 and ``2026-Q1`` is April–June 2026.
Months (``2026-10``), ISO weeks (``2026-W05``) and days are calendar labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

__all__ = [
    "FiscalCalendar",
    "Grain",
    "Period",
    "business_date",
    "working_days",
]


class Grain(Enum):
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"

    @property
    def months(self) -> int | None:
        return {Grain.YEAR: 12, Grain.HALF: 6, Grain.QUARTER: 3, Grain.MONTH: 1}.get(self)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A half-open span of days with a grain and a human label (``2026-Q3``)."""

    start: date
    end: date
    grain: Grain
    label: str

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"period {self.label} must end after it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def each_day(self) -> Iterator[date]:
        day = self.start
        while day < self.end:
            yield day
            day += timedelta(days=1)

    def elapsed_fraction(self, as_of: date, is_working_day: Callable[[date], bool] | None = None) -> Decimal:
        """Share of the period that has passed by the end of ``as_of`` (0 before, 1 after).

        With ``is_working_day`` the share counts working days only, so a month with a
        national holiday expects less by mid-month than a plain calendar split would.
        """
        if as_of < self.start:
            return Decimal(0)
        if as_of >= self.last_day:
            return Decimal(1)
        cutoff = as_of + timedelta(days=1)
        if is_working_day is None:
            return Decimal((cutoff - self.start).days) / Decimal(self.days)
        total = sum(1 for d in self.each_day() if is_working_day(d))
        if total == 0:
            return Decimal((cutoff - self.start).days) / Decimal(self.days)
        done = sum(1 for d in self.each_day() if d < cutoff and is_working_day(d))
        return Decimal(done) / Decimal(total)

    def __str__(self) -> str:
        return self.label


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


_LABEL = re.compile(
    r"^(?:FY)?(?P<year>\d{4})"
    r"(?:-(?:(?P<half>H[12])|(?P<quarter>Q[1-4])|W(?P<week>\d{1,2})|(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """Builds periods for a company whose fiscal year starts in ``start_month``."""

    start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError("fiscal year start month must be 1–12")

    # --- constructors -------------------------------------------------------------
    def year(self, fiscal_year: int) -> Period:
        start = date(fiscal_year, self.start_month, 1)
        ey, em = _add_months(fiscal_year, self.start_month, 12)
        label = f"{fiscal_year}" if self.start_month == 1 else f"FY{fiscal_year}"
        return Period(start, date(ey, em, 1), Grain.YEAR, label)

    def half(self, fiscal_year: int, half: int) -> Period:
        if half not in (1, 2):
            raise ValueError("half must be 1 or 2")
        sy, sm = _add_months(fiscal_year, self.start_month, 6 * (half - 1))
        ey, em = _add_months(sy, sm, 6)
        return Period(date(sy, sm, 1), date(ey, em, 1), Grain.HALF, f"{fiscal_year}-H{half}")

    def quarter(self, fiscal_year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValueError("quarter must be 1–4")
        sy, sm = _add_months(fiscal_year, self.start_month, 3 * (quarter - 1))
        ey, em = _add_months(sy, sm, 3)
        return Period(date(sy, sm, 1), date(ey, em, 1), Grain.QUARTER, f"{fiscal_year}-Q{quarter}")

    def month(self, year: int, month: int) -> Period:
        ey, em = _add_months(year, month, 1)
        return Period(date(year, month, 1), date(ey, em, 1), Grain.MONTH, f"{year}-{month:02d}")

    def week(self, iso_year: int, week: int) -> Period:
        start = date.fromisocalendar(iso_year, week, 1)
        return Period(start, start + timedelta(days=7), Grain.WEEK, f"{iso_year}-W{week:02d}")

    def day(self, day: date) -> Period:
        return Period(day, day + timedelta(days=1), Grain.DAY, day.isoformat())

    # --- lookups ------------------------------------------------------------------
    def fiscal_year_of(self, day: date) -> int:
        return day.year if day.month >= self.start_month else day.year - 1

    def containing(self, day: date, grain: Grain) -> Period:
        """The period of ``grain`` that contains ``day``."""
        if grain is Grain.DAY:
            return self.day(day)
        if grain is Grain.WEEK:
            iso = day.isocalendar()
            return self.week(iso.year, iso.week)
        if grain is Grain.MONTH:
            return self.month(day.year, day.month)
        fy = self.fiscal_year_of(day)
        offset = (day.year * 12 + day.month) - (fy * 12 + self.start_month)
        if grain is Grain.QUARTER:
            return self.quarter(fy, offset // 3 + 1)
        if grain is Grain.HALF:
            return self.half(fy, offset // 6 + 1)
        return self.year(fy)

    def parse(self, label: str) -> Period:
        """Parse ``2026``, ``FY2026``, ``2026-H1``, ``2026-Q3``, ``2026-10``, ``2026-W05``, ``2026-10-05``."""
        m = _LABEL.match(label.strip())
        if not m:
            raise ValueError(f"unknown period {label!r}: use 2026, 2026-H1, 2026-Q3, 2026-10, 2026-W05 or 2026-10-05")
        year = int(m["year"])
        try:
            if m["half"]:
                return self.half(year, int(m["half"][1]))
            if m["quarter"]:
                return self.quarter(year, int(m["quarter"][1]))
            if m["week"]:
                return self.week(year, int(m["week"]))
            if m["day"]:
                return self.day(date(year, int(m["month"]), int(m["day"])))
            if m["month"]:
                month = int(m["month"])
                if not 1 <= month <= 12:
                    raise ValueError("month must be 1–12")
                return self.month(year, month)
        except ValueError as exc:
            raise ValueError(f"invalid period {label!r}: {exc}") from None
        return self.year(year)

    # --- arithmetic ---------------------------------------------------------------
    def shift(self, period: Period, n: int) -> Period:
        """The period ``n`` steps after (or before, if negative) ``period`` at the same grain."""
        if period.grain is Grain.DAY:
            return self.day(period.start + timedelta(days=n))
        if period.grain is Grain.WEEK:
            return self.containing(period.start + timedelta(weeks=n), Grain.WEEK)
        months = period.grain.months
        assert months is not None
        y, mth = _add_months(period.start.year, period.start.month, months * n)
        return self.containing(date(y, mth, 1), period.grain)

    def next(self, period: Period) -> Period:
        return self.shift(period, 1)

    def previous(self, period: Period) -> Period:
        return self.shift(period, -1)

    def children(self, period: Period, grain: Grain) -> list[Period]:
        """Split ``period`` into periods of a finer ``grain``.

        Weeks are clipped to the parent so the children tile it exactly; a clipped week keeps
        its ISO label with the parent's span, e.g. the days of 2026-W01 that fall in 2026-01.
        """
        out: list[Period] = []
        if grain is Grain.WEEK:
            cursor = period.start
            while cursor < period.end:
                week = self.containing(cursor, Grain.WEEK)
                out.append(Period(max(week.start, period.start), min(week.end, period.end), Grain.WEEK, week.label))
                cursor = week.end
            return out
        cursor = period.start
        while cursor < period.end:
            child = self.containing(cursor, grain)
            out.append(child)
            cursor = child.end
        if out and out[-1].end != period.end:
            raise ValueError(f"{period.label} does not split evenly into {grain.value}s")
        return out

    def range(self, first: Period, last: Period) -> list[Period]:
        """Every period from ``first`` to ``last`` inclusive, at ``first``'s grain."""
        out = [first]
        while out[-1].start < last.start:
            out.append(self.next(out[-1]))
        return out


def working_days(
    period: Period, holidays: frozenset[date] = frozenset(), extra_workdays: frozenset[date] = frozenset()
) -> int:
    """Count Monday–Friday days not in ``holidays``, plus make-up working days (调休)."""
    return sum(1 for d in period.each_day() if (d.weekday() < 5 and d not in holidays) or d in extra_workdays)


def business_date(moment: datetime, time_zone: str = "Asia/Shanghai") -> date:
    """The calendar date of a UTC timestamp in the company's time zone.

    An order signed at 2026-09-30 17:00 UTC belongs to October in Shanghai; periods must
    follow the company's day, not the server's.
    """
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (store UTC)")
    return moment.astimezone(ZoneInfo(time_zone)).date()
