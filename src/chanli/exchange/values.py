"""One spreadsheet cell in, one typed value out — or the reason it cannot be read.

Why pure functions with their own error type: the same parsers serve CSV text, Excel cells
and the Maven recipe, and the validation pass must collect *every* bad cell with a message a
sales-ops person can act on, without touching the database. Nothing here does I/O.

Money never passes through ``float``: text goes straight to ``Decimal``; an Excel number
cell (which openpyxl hands over as ``float``) is first written out the way Excel shows it
(15 significant digits) and then read as ``Decimal``, so ``1054.1`` stays ``1054.1`` and a
formula's ``130.00000000000003`` becomes ``130``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from chanli.core.money import D

__all__ = [
    "Cell",
    "ValueProblem",
    "cell_text",
    "excel_serial",
    "is_blank",
    "normalise_token",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
    "parse_rate",
    "parse_text",
]

Cell = str | int | float | Decimal | date | datetime | time | bool | None


class ValueProblem(ValueError):
    """A cell that cannot be read as the field's type; the message says what was expected."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_SPACES = re.compile(r"[\s\u3000\u00a0\ufeff]+")


def normalise_token(text: str) -> str:
    """Fold a header or a choice for matching: full-width → half-width (NFKC), case-folded,
    without spaces, underscores, hyphens, dots, a trailing ``*`` (required marker) or a
    trailing unit in brackets (``金额（元）`` → ``金额``)."""
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    folded = re.sub(r"\([^()]*\)$", "", folded).strip()
    folded = folded.rstrip("*").strip()
    return _SPACES.sub("", folded).replace("_", "").replace("-", "").replace(".", "")


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip().strip("\ufeff").strip())


def _float_text(value: float) -> str:
    """A float cell as Excel displays it: 15 significant digits, no binary noise."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueProblem("value.number", "not a finite number")
    text = format(value, ".15g")
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def cell_text(cell: Cell) -> str | None:
    """The text of a cell, stripped; ``None`` when blank. Whole-number floats lose their
    ``.0`` (an id typed as 10023 in Excel comes back as 10023.0)."""
    if is_blank(cell):
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return _float_text(cell)
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date | time):
        return cell.isoformat()
    if isinstance(cell, str):
        return cell.strip().strip("\u3000\ufeff").strip()
    return str(cell)


def parse_text(cell: Cell, max_length: int | None = None) -> str | None:
    text = cell_text(cell)
    if text is not None and max_length is not None and len(text) > max_length:
        raise ValueProblem("value.too_long", f"text is longer than {max_length} characters ({len(text)})")
    return text


_CURRENCY_MARKS = ("US$", "USD", "$", "¥", "￥", "CNY", "RMB", "元")


def _number_text(cell: Cell) -> str | None:
    if isinstance(cell, bool):
        raise ValueProblem("value.number", "expected a number, got a yes/no value")
    if isinstance(cell, datetime | date | time):
        raise ValueProblem("value.number", "expected a number, got a date")
    text = cell_text(cell)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-").replace(" ", "")
    for mark in _CURRENCY_MARKS:
        text = text.replace(mark, "")
    return text


def parse_decimal(cell: Cell, *, places: int | None = None, max_abs: Decimal | None = None) -> Decimal | None:
    """A Decimal (``¥1,234.50``, ``1，234``, ``$12`` …) with at most ``places`` decimals.

    Money is never rounded silently: ``12.345`` in a money column is an error, not ``12.35``.
    """
    if isinstance(cell, int) and not isinstance(cell, bool):
        value = Decimal(cell)
    elif isinstance(cell, Decimal):
        value = cell
    else:
        text = _number_text(cell)
        if text is None:
            return None
        try:
            value = D(text)
        except (ValueError, InvalidOperation):
            raise ValueProblem("value.number", "not a number") from None
    if places is not None and value != value.quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN"):
        raise ValueProblem("value.places", f"has more than {places} decimal places")
    if max_abs is not None and abs(value) >= max_abs:
        raise ValueProblem("value.range", f"is too large (must be below {max_abs:,})")
    return value


def parse_int(cell: Cell) -> int | None:
    value = parse_decimal(cell)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise ValueProblem("value.integer", "expected a whole number")
    return int(value)


def parse_rate(cell: Cell, places: int = 6) -> Decimal | None:
    """A share between 0 and 1: ``0.35``, ``35%`` or ``35％``. ``35`` alone is refused
    rather than guessed (it could mean 35 % or a typo)."""
    if is_blank(cell):
        return None
    if isinstance(cell, str) and unicodedata.normalize("NFKC", cell).strip().endswith("%"):
        number = parse_decimal(unicodedata.normalize("NFKC", cell).strip()[:-1])
        if number is None:
            raise ValueProblem("value.number", "not a percentage")
        value = number / 100
    else:
        value = parse_decimal(cell)
        assert value is not None
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueProblem("value.rate", "must be between 0 and 1 (write 35% or 0.35)")
    if value != value.quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN"):
        raise ValueProblem("value.places", f"has more than {places} decimal places")
    return value


_TRUE = frozenset({"是", "y", "yes", "true", "t", "1", "对", "✓", "√", "有", "在职", "启用"})
_FALSE = frozenset({"否", "n", "no", "false", "f", "0", "错", "✗", "×", "无", "离职", "停用"})


def parse_bool(cell: Cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    text = cell_text(cell)
    if text is None:
        return None
    token = normalise_token(text)
    if token in _TRUE:
        return True
    if token in _FALSE:
        return False
    raise ValueProblem("value.bool", "expected 是/否, yes/no, true/false or 1/0")


def parse_choice(cell: Cell, choices: Mapping[str, str], what: str, accepted: str | None = None) -> str | None:
    """Map a cell to a stored code via ``choices`` (normalised synonym → code)."""
    text = cell_text(cell)
    if text is None:
        return None
    code = choices.get(normalise_token(text))
    if code is None:
        known = accepted or ", ".join(sorted(set(choices.values())))
        raise ValueProblem("value.choice", f"unknown {what}; use one of {known}")
    return code


# --- dates and times ------------------------------------------------------------------------

# Serial 1 is 1900-01-01 and Excel counts a phantom 1900-02-29 (Lotus's bug), so from 1900-03-01
# on — every serial accepted here — day n is 1899-12-30 + n. Cell dates are wall-clock values
# without a zone; ``parse_datetime`` gives them the company's zone.
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - a wall-clock date, zone applied by the caller
_SERIAL_MIN, _SERIAL_MAX = Decimal(10000), Decimal(2958466)  # 1927-05-18 … 9999-12-31

_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s+|T)(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})\s*分?(?:\s*[:]?\s*(?P<S>\d{1,2})(?P<frac>\.\d+)?\s*秒?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_COMPACT = re.compile(r"^(?P<y>(?:19|20|21)\d{2})(?P<m>\d{2})(?P<d>\d{2})$")
_AMBIGUOUS = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def excel_serial(value: Decimal) -> datetime:
    """An Excel (1900 date system) serial day number → naive datetime."""
    if not _SERIAL_MIN <= value < _SERIAL_MAX:
        raise ValueProblem("value.date", "is a number, but not a plausible Excel date serial")
    days = int(value)
    seconds = round((value - days) * 86400)
    return _EXCEL_EPOCH + timedelta(days=days, seconds=seconds)


def _parse_moment(cell: Cell) -> tuple[datetime, bool, bool]:
    """(naive-or-aware datetime, had a time part, had an offset) from any date-ish cell."""
    if isinstance(cell, datetime):
        return cell, True, cell.tzinfo is not None
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day), False, False  # noqa: DTZ001 - wall clock
    if isinstance(cell, bool | time):
        raise ValueProblem("value.date", "expected a date")
    if isinstance(cell, int | float | Decimal):
        number = parse_decimal(cell)
        assert number is not None
        return excel_serial(number), number != number.to_integral_value(), False
    text = cell_text(cell)
    assert text is not None
    text = unicodedata.normalize("NFKC", text).strip()
    m = _DATE.match(text)
    if m is None:
        c = _COMPACT.match(text)
        if c is not None:
            m_dict = {"y": c["y"], "m": c["m"], "d": c["d"], "H": None, "M": None, "S": None, "frac": None, "tz": None}
        elif re.fullmatch(r"\d+(?:\.\d+)?", text):
            serial = Decimal(text)
            return excel_serial(serial), serial != serial.to_integral_value(), False
        elif _AMBIGUOUS.match(text):
            raise ValueProblem("value.date", "day and month order is ambiguous; write 2026-10-05")
        else:
            raise ValueProblem("value.date", "expected a date like 2026-10-05, 2026/10/5 or 2026年10月5日")
    else:
        m_dict = m.groupdict()
    try:
        moment = datetime(  # noqa: DTZ001 - wall clock; an offset in the text is applied below
            int(m_dict["y"]), int(m_dict["m"]), int(m_dict["d"]),
            int(m_dict["H"] or 0), int(m_dict["M"] or 0), int(m_dict["S"] or 0),
            int((m_dict["frac"][1:] + "000000")[:6]) if m_dict["frac"] else 0,
        )
    except ValueError:
        raise ValueProblem("value.date", "is not a real calendar date") from None
    tz = m_dict["tz"]
    if tz:
        if tz.upper() == "Z":
            moment = moment.replace(tzinfo=UTC)
        else:
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            moment = moment.replace(tzinfo=timezone(offset if tz[0] == "+" else -offset))
    return moment, m_dict["H"] is not None, bool(tz)


def parse_date(cell: Cell) -> date | None:
    """A calendar date: ISO, 2026/10/5, 2026.10.5, 2026年10月5日, 20261005, an Excel date
    cell or an Excel serial number. A time part (Excel's midnight) is dropped."""
    if is_blank(cell):
        return None
    moment, _, _ = _parse_moment(cell)
    return moment.date()


def parse_datetime(cell: Cell, time_zone: str) -> datetime | None:
    """A moment, stored in UTC. Without an offset it is read in the company's time zone (a
    bare date is that day's local midnight), because that is what the person typing meant."""
    if is_blank(cell):
        return None
    moment, _, aware = _parse_moment(cell)
    if not aware:
        moment = moment.replace(tzinfo=ZoneInfo(time_zone))
    return moment.astimezone(UTC)
