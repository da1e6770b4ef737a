"""From rows of values to a numeric matrix, deciding each column's kind from the data itself.

Why infer instead of asking: inside Chanli the churn and lead models are trained on whatever
account or lead history a company keeps (activity recency, complaints, payment delays, source,
channel…), so the column set is not known in advance. Each column becomes numeric, categorical
or date (expanded to month and weekday) by what most of its values look like, and every blank
or malformed value is counted and reported, never silently dropped.

Pure functions: no file I/O, no clock.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

import numpy as np

from chanli.insight.ml.errors import InsightInputError, missing_column

__all__ = [
    "OTHER",
    "ColumnKind",
    "FeatureColumn",
    "FeatureSpec",
    "ValueReport",
    "default_id_column",
    "display_value",
    "encode_rows",
    "infer_spec",
    "parse_binary_label",
    "parse_date",
    "parse_number",
]

OTHER = "(other)"
BLANK_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "无", "空"})
POSITIVE_LABELS = frozenset({"1", "yes", "y", "true", "t", "是", "positive", "pos", "churn", "churned", "won"})
NEGATIVE_LABELS = frozenset({"0", "no", "n", "false", "f", "否", "negative", "neg", "retained", "lost"})
KIND_SHARE = 0.9  # share of non-blank values that must parse for a column to be numeric or date
MIN_LEVEL_COUNT = 5  # rarer categories are pooled into OTHER so the model cannot memorise them
MAX_LEVELS = 200
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class ColumnKind(Enum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    DATE = "date"


class _Blank:
    """Marker for a value that is absent (empty cell, None, NA-like token)."""


class _Malformed:
    """Marker for a value that is present but does not parse as the column's kind."""


BLANK, MALFORMED = _Blank(), _Malformed()


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in BLANK_TOKENS


def parse_number(value: object) -> float | _Blank | _Malformed:
    """A number from an int, float, Decimal or text like ``"1,234.5"``, ``"12%"`` or ``"¥30"``."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else MALFORMED
    text = str(value).strip().replace(",", "").replace("，", "")
    for symbol in ("¥", "￥", "$", "元"):
        text = text.replace(symbol, "")
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1], 0.01
    try:
        number = float(text) * scale
    except ValueError:
        return MALFORMED
    return number if math.isfinite(number) else MALFORMED


def parse_date(value: object) -> date | _Blank | _Malformed:
    """A calendar date from a date, datetime or ISO text (``2018-02-01`` or with a time part)."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return MALFORMED


def parse_binary_label(values: Sequence[object], column: str) -> np.ndarray:
    """Labels as 0/1 from Yes/No, 1/0, true/false, 是/否, positive/negative.

    Every unreadable value is named in the error (up to five), because a label column with one
    typo would otherwise silently shrink or skew the training set.
    """
    out = np.empty(len(values), dtype=np.int8)
    bad: list[tuple[int, object]] = []
    for i, value in enumerate(values):
        text = str(value).strip().lower() if value is not None else ""
        if isinstance(value, bool):
            out[i] = int(value)
        elif text in POSITIVE_LABELS:
            out[i] = 1
        elif text in NEGATIVE_LABELS:
            out[i] = 0
        else:
            bad.append((i + 1, value))
    if bad:
        shown = ", ".join(f"row {row}: {value!r}" for row, value in bad[:5])
        more = f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""
        raise InsightInputError(f"label column {column!r} must hold Yes/No or 1/0 values; unreadable: {shown}{more}")
    if len(set(out.tolist())) < 2:
        raise InsightInputError(f"label column {column!r} has only one class; a model needs both")
    return out


def default_id_column(columns: Sequence[str]) -> str | None:
    """The first column whose name ends in "id" (customerID, mql_id, 客户id), if any."""
    for name in columns:
        if name.strip().lower().endswith("id"):
            return name
    return None


@dataclass(frozen=True, slots=True)
class FeatureColumn:
    """One source column and how it is turned into model inputs."""

    name: str
    kind: ColumnKind
    levels: tuple[str, ...] = ()  # categorical only; the code of a level is its index

    @property
    def inputs(self) -> tuple[str, ...]:
        """The model input names this column produces (a date gives two)."""
        if self.kind is ColumnKind.DATE:
            return (f"{self.name}.month", f"{self.name}.weekday")
        return (self.name,)


@dataclass(frozen=True, slots=True)
class ValueReport:
    """Blank and malformed values found in one column, and what was done about them."""

    column: str
    blank: int
    malformed: int
    examples: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.blank + self.malformed

    def __str__(self) -> str:
        shown = f", e.g. {', '.join(repr(e) for e in self.examples)}" if self.examples else ""
        return (
            f"{self.column}: {self.total} blank/malformed values imputed as missing "
            f"[{self.blank} blank, {self.malformed} malformed{shown}]; "
            "the model learns which way missing values lean"
        )


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which columns feed the model and how; saved with the model so scoring matches training."""

    id_column: str | None
    label_column: str
    columns: tuple[FeatureColumn, ...]
    dropped: tuple[tuple[str, str], ...] = ()  # (column, reason)

    @property
    def input_names(self) -> list[str]:
        return [name for column in self.columns for name in column.inputs]

    @property
    def categorical_inputs(self) -> list[int]:
        """Positions of categorical inputs, for LightGBM's native categorical splits."""
        positions, i = [], 0
        for column in self.columns:
            if column.kind is ColumnKind.CATEGORICAL:
                positions.append(i)
            i += len(column.inputs)
        return positions


def _kind_of(values: Sequence[object]) -> tuple[ColumnKind, int]:
    present = [v for v in values if not _is_blank(v)]
    if not present:
        return ColumnKind.CATEGORICAL, 0
    if any(isinstance(v, date) for v in present):
        return ColumnKind.DATE, len(present)
    numbers = sum(1 for v in present if not isinstance(parse_number(v), _Malformed))
    if numbers >= KIND_SHARE * len(present):
        return ColumnKind.NUMERIC, len(present)
    dates = sum(1 for v in present if isinstance(parse_date(v), date))
    if dates >= KIND_SHARE * len(present):
        return ColumnKind.DATE, len(present)
    return ColumnKind.CATEGORICAL, len(present)


def _category(value: object) -> str:
    return "" if _is_blank(value) else str(value).strip()


def infer_spec(
    rows: Sequence[Mapping[str, object]],
    label_column: str,
    id_column: str | None,
    exclude: Sequence[str] | Mapping[str, str] = (),
) -> FeatureSpec:
    """Decide each column's kind from the training rows.

    Dropped, with the reason kept in the spec: the id and label, excluded columns, columns with
    one value only, and text columns with almost one distinct value per row (an identifier or
    free text that a tree model could only memorise). ``exclude`` may map each excluded column
    to the reason recorded on the model card.
    """
    if not rows:
        raise InsightInputError("no rows to train on")
    columns = list(rows[0].keys())
    if label_column not in columns:
        raise missing_column("label", label_column, columns)
    if id_column is not None and id_column not in columns:
        raise missing_column("id", id_column, columns)
    reasons = dict(exclude) if isinstance(exclude, Mapping) else dict.fromkeys(exclude, "excluded by option")
    for name in reasons:
        if name not in columns:
            raise missing_column("excluded", name, columns)
    features: list[FeatureColumn] = []
    dropped: list[tuple[str, str]] = []
    n = len(rows)
    for name in columns:
        if name in (label_column, id_column):
            continue
        if name in reasons:
            dropped.append((name, reasons[name]))
            continue
        values = [row.get(name) for row in rows]
        kind, present = _kind_of(values)
        if present == 0:
            dropped.append((name, "every value is blank"))
            continue
        if kind is ColumnKind.CATEGORICAL:
            counts = Counter(_category(v) for v in values)
            if len(counts) < 2:
                dropped.append((name, "a single value in every row"))
                continue
            if len(counts) > 50 and len(counts) > 0.5 * n:
                dropped.append((name, f"{len(counts)} distinct values in {n} rows: an identifier or free text"))
                continue
            common = [level for level, count in counts.most_common(MAX_LEVELS) if count >= MIN_LEVEL_COUNT]
            levels = tuple(sorted(common))
            if len(levels) < len(counts):
                levels = (*levels, OTHER)
            features.append(FeatureColumn(name, kind, levels))
        else:
            if kind is ColumnKind.NUMERIC:
                distinct = {parse_number(v) for v in values} - {BLANK, MALFORMED}
                if len(distinct) < 2:
                    dropped.append((name, "a single value in every row"))
                    continue
            features.append(FeatureColumn(name, kind))
    if not features:
        raise InsightInputError(
            f"no usable feature columns besides id/label; dropped: {', '.join(f'{c} ({r})' for c, r in dropped)}"
        )
    return FeatureSpec(id_column, label_column, tuple(features), tuple(dropped))


def encode_rows(rows: Sequence[Mapping[str, object]], spec: FeatureSpec) -> tuple[np.ndarray, list[ValueReport]]:
    """The float matrix for ``rows`` (NaN = missing) and a report per column with bad values.

    Categorical values become level codes; values not seen in training map to OTHER when the
    column has such a level, otherwise to missing.
    """
    if rows:
        present = set(rows[0].keys())
        for column in spec.columns:
            if column.name not in present:
                raise missing_column("feature", column.name, list(rows[0].keys()))
    matrix = np.full((len(rows), len(spec.input_names)), np.nan, dtype=np.float64)
    reports: list[ValueReport] = []
    position = 0
    for column in spec.columns:
        blank = malformed = 0
        examples: list[str] = []
        if column.kind is ColumnKind.CATEGORICAL:
            codes = {level: i for i, level in enumerate(column.levels)}
            other = codes.get(OTHER)
            for r, row in enumerate(rows):
                code = codes.get(_category(row.get(column.name)))
                matrix[r, position] = (
                    other if code is None and other is not None else (np.nan if code is None else code)
                )
        else:
            parse = parse_number if column.kind is ColumnKind.NUMERIC else parse_date
            for r, row in enumerate(rows):
                value = row.get(column.name)
                parsed = parse(value)
                if parsed is BLANK:
                    blank += 1
                    if len(examples) < 3 and str(value) not in examples:
                        examples.append(str(value))
                elif parsed is MALFORMED:
                    malformed += 1
                    if len(examples) < 3 and str(value) not in examples:
                        examples.append(str(value))
                elif isinstance(parsed, date):
                    matrix[r, position] = parsed.month
                    matrix[r, position + 1] = parsed.weekday()
                else:
                    matrix[r, position] = parsed  # type: ignore[assignment]
            if blank or malformed:
                reports.append(ValueReport(column.name, blank, malformed, tuple(examples)))
        position += len(column.inputs)
    return matrix, reports


def display_value(value: object, kind: ColumnKind, part: str | None = None) -> str:
    """How a raw value reads inside a reason: ``Contract=Month-to-month``, ``tenure=1``."""
    if kind is ColumnKind.DATE:
        parsed = parse_date(value)
        if not isinstance(parsed, date):
            return "(blank)"
        return str(parsed.month) if part == "month" else WEEKDAYS[parsed.weekday()]
    if _is_blank(value):
        return "(blank)"
    if kind is ColumnKind.NUMERIC:
        number = parse_number(value)
        if not isinstance(number, float):
            return f"{str(value).strip()!r} (malformed)"
        return f"{number:g}" if abs(number) < 1e6 else f"{number:.0f}"
    return str(value).strip()
