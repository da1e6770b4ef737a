"""Mainland China public holidays and make-up working days (调休), as plain data.

Why data in code: the working-day split and working-day pacing need the calendar on a
fresh install, before anyone has typed a holiday in. ``service.seed_holidays`` copies these
rows into the ``holidays`` table, where an administrator can correct or extend them.

2026 follows the State Council General Office's notice on the 2026 holiday arrangements
(国务院办公厅关于2026年部分节假日安排的通知). 2027 has not been announced as this is written: it
holds only the statutory days of 《全国年节及纪念日放假办法》 (2024 revision: 元旦 1, 春节 4 from
除夕, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3), marked ``official=False``; replace it with the
announced arrangement (including its make-up working weekends) when it is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["CN_HOLIDAYS", "HolidayDay", "cn_holidays"]


@dataclass(frozen=True, slots=True)
class HolidayDay:
    day: date
    is_workday: bool  # True: a make-up working day on a weekend (调休上班)
    name: str
    official: bool = True


def _off(name: str, first: date, days: int, official: bool = True) -> list[HolidayDay]:
    return [HolidayDay(first + timedelta(days=i), False, name, official) for i in range(days)]


def _work(name: str, *days: date) -> list[HolidayDay]:
    return [HolidayDay(d, True, f"{name}调休上班") for d in days]


CN_HOLIDAYS: tuple[HolidayDay, ...] = (
    # 2026 — announced arrangement
    *_off("元旦", date(2026, 1, 1), 3),
    *_work("元旦", date(2026, 1, 4)),
    *_off("春节", date(2026, 2, 15), 9),
    *_work("春节", date(2026, 2, 14), date(2026, 2, 28)),
    *_off("清明节", date(2026, 4, 4), 3),
    *_off("劳动节", date(2026, 5, 1), 5),
    *_work("劳动节", date(2026, 5, 9)),
    *_off("端午节", date(2026, 6, 19), 3),
    *_off("中秋节", date(2026, 9, 25), 3),
    *_off("国庆节", date(2026, 10, 1), 7),
    *_work("国庆节", date(2026, 9, 20), date(2026, 10, 10)),
    # 2027 — statutory days only until the arrangement is announced
    *_off("元旦", date(2027, 1, 1), 1, official=False),
    *_off("春节", date(2027, 2, 5), 4, official=False),
    *_off("清明节", date(2027, 4, 5), 1, official=False),
    *_off("劳动节", date(2027, 5, 1), 2, official=False),
    *_off("端午节", date(2027, 6, 9), 1, official=False),
    *_off("中秋节", date(2027, 9, 15), 1, official=False),
    *_off("国庆节", date(2027, 10, 1), 3, official=False),
)


def cn_holidays(years: tuple[int, ...] = (2026, 2027)) -> list[HolidayDay]:
    return [h for h in CN_HOLIDAYS if h.day.year in years]
