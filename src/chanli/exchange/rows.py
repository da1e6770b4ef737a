"""One data row: typed values with every problem located, and the rules that complete a row
into a full record. Pure — no database, no files.

``parse_row`` turns cells into typed values (references stay as the key text the file
gives). ``complete`` merges those values with the stored row (columns the file does not
have keep their stored value) and fills defaults, so an import that only carries a few
columns never wipes the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chanli.core.issues import Issue, Severity
from chanli.core.money import quantize
from chanli.crm.model import DEFAULT_PROBABILITY, Stage, line_net_amount
from chanli.exchange.fields import CHOICES, EntitySpec, FieldSpec, Kind, choice_help
from chanli.exchange.headers import HeaderMap
from chanli.exchange.values import (
    Cell,
    ValueProblem,
    cell_text,
    is_blank,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_rate,
    parse_text,
)

__all__ = [
    "NOT_NULL_DEFAULTS",
    "ParseContext",
    "ParsedRow",
    "complete",
    "order_level_differences",
    "order_line",
    "parse_row",
    "parse_value",
]


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a value needs from outside the row: the company's time zone and currency."""

    time_zone: str = "Asia/Shanghai"
    currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """A data row's typed values by field name (only the file's columns; refs as key text)."""

    row: int
    values: Mapping[str, Any]


def parse_value(spec: FieldSpec, cell: Cell, ctx: ParseContext) -> Any:
    """One cell as the field's type; raises ``ValueProblem`` with the reason."""
    kind = spec.kind
    if kind is Kind.TEXT or kind is Kind.REF:
        return parse_text(cell, spec.max_length if kind is Kind.TEXT else 200)
    if kind is Kind.INT:
        return parse_int(cell)
    if kind is Kind.MONEY or kind is Kind.DECIMAL:
        value = parse_decimal(cell, places=spec.places, max_abs=spec.max_abs)
        return value
    if kind is Kind.RATE:
        return parse_rate(cell)
    if kind is Kind.DATE:
        return parse_date(cell)
    if kind is Kind.DATETIME:
        return parse_datetime(cell, ctx.time_zone)
    if kind is Kind.BOOL:
        return parse_bool(cell)
    if kind is Kind.CHOICE:
        assert spec.choices is not None
        return parse_choice(cell, CHOICES[spec.choices], spec.name.replace("_", " "), choice_help(spec.choices))
    raise AssertionError(kind)


def _issue(code: str, message: str, row: int, column: str, value: object, source: str | None,
           severity: Severity = Severity.ERROR) -> Issue:
    text = cell_text(value) if not isinstance(value, str) else value  # type: ignore[arg-type]
    return Issue(code, message, severity, row=row, column=column, value=text, source=source)


def parse_row(
    entity: EntitySpec,
    header: HeaderMap,
    row: int,
    cells: Sequence[Cell],
    ctx: ParseContext,
    source: str | None = None,
) -> tuple[ParsedRow | None, list[Issue]]:
    """Typed values of one row and every problem in it. A blank row gives ``(None, [])``."""
    if all(is_blank(c) for c in cells):
        return None, []
    issues: list[Issue] = []
    values: dict[str, Any] = {}
    for index, name in header.columns:
        spec = entity.field(name)
        cell = cells[index] if index < len(cells) else None
        label = header.label(name)
        try:
            value = parse_value(spec, cell, ctx)
        except ValueProblem as problem:
            issues.append(_issue(problem.code, f"{spec.name}: {problem}", row, label, cell, source))
            continue
        if value is None and spec.required:
            issues.append(_issue("value.required", f"{spec.name} is required", row, label, "", source))
            continue
        values[name] = value
    for field, code, message in row_problems(entity.name, values):
        issues.append(_issue(code, message, row, header.label(field), _shown(values.get(field)), source))
    return ParsedRow(row, values), issues


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def row_problems(entity: str, v: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Rules across fields of one row: (field, code, message) for each broken rule."""
    out: list[tuple[str, str, str]] = []
    if entity == "people":
        if v.get("hire_date") and v.get("leave_date") and v["leave_date"] < v["hire_date"]:
            out.append(("leave_date", "person.dates", "leave date is before hire date"))
        if v.get("email") and "@" not in v["email"]:
            out.append(("email", "value.email", "not an email address"))
    elif entity == "accounts":
        if v.get("employees") is not None and v["employees"] < 0:
            out.append(("employees", "value.range", "employees must not be negative"))
        if v.get("year_established") is not None and not 1000 <= v["year_established"] <= 2200:
            out.append(("year_established", "value.range", "year established must be a year like 1996"))
    elif entity == "opportunities":
        stage, status = v.get("stage"), v.get("status")
        if stage in ("won", "lost") and status is not None and status != stage:
            out.append(("status", "opportunity.status", f"status {status} contradicts stage {stage}"))
        if status in ("won", "lost") and stage is not None and stage != status:
            out.append(("stage", "opportunity.stage", f"stage {stage} contradicts status {status}"))
        if v.get("amount") is not None and v["amount"] < 0:
            out.append(("amount", "value.range", "amount must not be negative"))
        if v.get("closed_on") and v.get("created_on") and v["closed_on"] < v["created_on"]:
            out.append(("closed_on", "opportunity.dates", "closed before it was created"))
    elif entity == "orders":
        if v.get("quantity") is not None and v["quantity"] <= 0:
            out.append(("quantity", "value.range", "quantity must be positive"))
        for name in ("list_price", "amount"):
            if v.get(name) is not None and v[name] < 0:
                out.append((name, "value.range", f"{name.replace('_', ' ')} must not be negative"))
    elif entity == "payments":
        if v.get("amount") is not None and v["amount"] <= 0:
            out.append(("amount", "payment.amount", "payment amount must be positive"))
    elif entity == "activities" and v.get("duration_min") is not None and v["duration_min"] < 0:
        out.append(("duration_min", "value.range", "duration must not be negative"))
    return out


# --- order lines ------------------------------------------------------------------------------

LINE_FIELDS = ("product", "quantity", "list_price", "discount_rate", "amount")


def order_line(v: Mapping[str, Any], currency: str) -> tuple[Decimal, Decimal, Decimal] | str | None:
    """(quantity, list price, discount rate) of the line a row describes, ``None`` when the
    row carries no line at all, or the reason it is inconsistent.

    With a unit price the line is quantity × price × (1 − discount), rounded half-up once; a
    given amount must then equal it. With only an amount, the line is 1 × amount (or
    quantity × amount/quantity when that divides exactly to the fen).
    """
    qty, price, disc, amount = v.get("quantity"), v.get("list_price"), v.get("discount_rate"), v.get("amount")
    if price is None and amount is None:
        if qty is not None or disc is not None:
            return "an order line needs 单价 (list price) or 金额 (amount)"
        return None
    quantity = qty if qty is not None else Decimal(1)
    discount = disc if disc is not None else Decimal(0)
    if price is not None:
        net = line_net_amount(quantity, price, discount, currency)
        if amount is not None and quantize(amount, currency) != net:
            return f"amount {amount} does not equal quantity × unit price × (1 − discount) = {net}"
        return quantity, price, discount
    assert amount is not None
    if discount:
        return "with a discount, give 单价 (the unit price) rather than only 金额"
    unit = amount / quantity
    if quantize(unit, currency) != unit:
        return f"amount {amount} ÷ quantity {quantity} is not a whole number of fen; give 单价 (unit price)"
    return quantity, unit, Decimal(0)


def order_level_differences(entity: EntitySpec, first: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    """Order-level fields on which a later line of the same order disagrees with its first
    line. A blank cell on a later line agrees (the look of merged cells in Excel)."""
    return [
        f.name for f in entity.fields
        if not f.line and f.name != "external_id" and other.get(f.name) is not None
        and first.get(f.name) != other[f.name]
    ]


# --- completing a row into a full record -------------------------------------------------------

NOT_NULL_DEFAULTS: dict[str, dict[str, Any]] = {
    "people": {"job_role": "rep", "tier": "new", "active": True},
    "teams": {"kind": "team"},
    "accounts": {"lifecycle_status": "prospect"},
    "products": {"list_price": Decimal(0)},
    "leads": {"status": "new"},
    "opportunities": {"stage": "prospecting", "amount": Decimal(0)},
    "orders": {"status": "active", "is_renewal": False},
    "payments": {},
    "activities": {"duration_min": 0},
}


def complete(
    entity: EntitySpec,
    values: Mapping[str, Any],
    existing: Mapping[str, Any] | None,
    ctx: ParseContext,
) -> dict[str, Any]:
    """The full record (by column name) a row stands for.

    ``values`` holds the file's columns by *column* name (references already resolved to
    ids). Columns the file does not have keep the stored value (or the default for a new
    row); a blank cell clears a nullable column but leaves a not-null one (and the external
    id) as it was.
    """
    defaults = NOT_NULL_DEFAULTS[entity.name]
    record: dict[str, Any] = {}
    for f in entity.fields:
        if f.line:
            continue
        col = f.column
        if col in values and (values[col] is not None or (col not in defaults and col != "external_id")):
            record[col] = values[col]
        elif existing is not None and col in existing:
            record[col] = existing[col]
        elif col in defaults:
            record[col] = defaults[col]
        else:
            record[col] = None
    if entity.name == "opportunities":
        _complete_opportunity(record, values, existing, ctx)
    elif entity.name == "orders":
        if "currency" not in values or values["currency"] is None:
            record["currency"] = existing["currency"] if existing else ctx.currency
        if values.get("cancelled_on") is not None and values.get("status") is None:
            record["status"] = "cancelled"
    return record


def _complete_opportunity(record: dict[str, Any], values: Mapping[str, Any], existing: Mapping[str, Any] | None,
                          ctx: ParseContext) -> None:
    stage = record["stage"]
    if values.get("status") is None:
        record["status"] = stage if stage in ("won", "lost") else "open"
    if values.get("probability") is None:
        same_stage = existing is not None and existing.get("stage") == stage
        record["probability"] = existing["probability"] if same_stage and existing else (
            DEFAULT_PROBABILITY.get(Stage(stage), Decimal("0.1")) if stage in Stage._value2member_map_ else
            Decimal("0.1")
        )
    if values.get("currency") is None:
        record["currency"] = existing["currency"] if existing else ctx.currency
