"""Exports that import back unchanged: the same columns an import reads, references written
as the referenced row's external id (its name when it has none), streamed in batches.

Why the same columns: an export is also the template for the next import, so
``chanli export people --out p.xlsx`` → edit in Excel → ``chanli import people p.xlsx``
updates exactly what was edited. Orders are written one row per line, order columns
repeated, which is how the importer reads multi-line orders.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from chanli.core.auth import Principal, Role
from chanli.crm import queries as crm_queries
from chanli.crm.model import line_net_amount
from chanli.exchange.fields import EntitySpec, FieldSpec, Kind, choice_label, entity_spec
from chanli.exchange.store import ORG, StoreKeys
from chanli.exchange.values import Cell
from chanli.org import queries as org_queries

__all__ = ["SYSTEM_PRINCIPAL", "HeaderStyle", "csv_chunks", "export_table", "write_csv", "write_xlsx"]

HeaderStyle = Literal["zh", "field"]

# The CLI acts for whoever holds the database; it sees every row, like an administrator.
SYSTEM_PRINCIPAL = Principal(user_id=0, username="system", display_name="system", role=Role.ADMIN)

BATCH = 2000


def _source_rows(session: Session, entity: EntitySpec, principal: Principal) -> Iterator[dict[str, Any]]:
    if entity.name in ORG:
        return org_queries.export_rows_for(session, principal, entity.store_name, BATCH)
    return crm_queries.export_rows_for(session, principal, entity.store_name, BATCH)


def _cell(f: FieldSpec, value: Any, style: HeaderStyle, tz: ZoneInfo, for_xlsx: bool) -> Cell:
    if value is None:
        return None
    if f.kind is Kind.CHOICE:
        assert f.choices is not None
        return choice_label(f.choices, value) if style == "zh" and f.choices != "currency" else value
    if f.kind is Kind.BOOL:
        return ("是" if value else "否") if style == "zh" else ("true" if value else "false")
    if f.kind is Kind.DATETIME:
        local = value.astimezone(tz)
        return local.replace(tzinfo=None) if for_xlsx else local.isoformat(sep=" ")
    if f.kind is Kind.DATE:
        return value if for_xlsx else value.isoformat()
    if f.kind is Kind.MONEY:
        return Decimal(value).quantize(Decimal("0.01"))
    if f.kind in (Kind.DECIMAL, Kind.RATE):
        d = Decimal(value)
        return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
    return value


def export_table(
    session: Session,
    entity: str,
    principal: Principal = SYSTEM_PRINCIPAL,
    *,
    style: HeaderStyle = "zh",
    for_xlsx: bool = False,
) -> tuple[list[str], Iterator[list[Cell]]]:
    """The header and a stream of rows of ``entity`` that ``principal`` may see."""
    spec = entity_spec(entity)
    store = StoreKeys(session)
    profile = store.company()
    tz = ZoneInfo(profile.time_zone if profile else "Asia/Shanghai")
    headers = [f.label if style == "zh" else f.name for f in spec.fields]

    def rows() -> Iterator[list[Cell]]:
        batch: list[dict[str, Any]] = []
        for row in _source_rows(session, spec, principal):
            batch.append(row)
            if len(batch) >= BATCH:
                yield from _batch(spec, store, batch, style, tz, for_xlsx)
                batch = []
        if batch:
            yield from _batch(spec, store, batch, style, tz, for_xlsx)

    return headers, rows()


def _batch(spec: EntitySpec, store: StoreKeys, batch: list[dict[str, Any]], style: HeaderStyle, tz: ZoneInfo,
           for_xlsx: bool) -> Iterator[list[Cell]]:
    lines: dict[int, list[Any]] = store.order_lines([r["id"] for r in batch]) if spec.name == "orders" else {}
    refs: dict[str, set[int]] = {}
    for f in spec.fields:
        if f.kind is Kind.REF and not f.line:
            assert f.ref is not None
            refs.setdefault(f.ref, set()).update(r[f.column] for r in batch if r.get(f.column) is not None)
    if lines:
        refs.setdefault("products", set()).update(ln[0] for ls in lines.values() for ln in ls if ln[0] is not None)
    keys = {target: store.reference_keys(target, ids) for target, ids in refs.items() if ids}
    for r in batch:
        base = {f.name: _value(f, r, keys) for f in spec.fields if not f.line}
        if spec.name != "orders":
            yield [_cell(f, base[f.name], style, tz, for_xlsx) for f in spec.fields]
            continue
        order_lines = lines.get(r["id"]) or [None]  # an order without lines still exports its row
        for line_key in order_lines:
            line: dict[str, Any] = dict.fromkeys(("product", "quantity", "list_price", "discount_rate", "amount"))
            if line_key is not None:
                product_id, quantity, list_price, discount = line_key
                line = {"product": keys.get("products", {}).get(product_id) if product_id else None,
                        "quantity": quantity, "list_price": list_price, "discount_rate": discount,
                        "amount": line_net_amount(quantity, list_price, discount, r["currency"])}
            yield [_cell(f, line[f.name] if f.line else base[f.name], style, tz, for_xlsx) for f in spec.fields]


def _value(f: FieldSpec, row: Mapping[str, Any], keys: Mapping[str, Mapping[int, str]]) -> Any:
    value = row.get(f.column)
    if f.kind is Kind.REF and value is not None:
        assert f.ref is not None
        return keys.get(f.ref, {}).get(value)
    return value


def _csv_cells(row: list[Cell]) -> list[object]:
    return ["" if v is None else (v.isoformat() if isinstance(v, date | datetime) else v) for v in row]


def write_csv(headers: list[str], rows: Iterator[list[Cell]], out: TextIO) -> int:
    """Write CSV text; returns the number of data rows."""
    writer = csv.writer(out)
    writer.writerow(headers)
    n = 0
    for row in rows:
        writer.writerow(_csv_cells(row))
        n += 1
    return n


def csv_chunks(headers: list[str], rows: Iterator[list[Cell]], *, bom: bool = True,
               size: int = 1 << 20) -> Iterator[str]:
    """CSV text in pieces of about ``size`` characters, for streaming a download; with a BOM
    by default so Excel reads the Chinese."""
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(_csv_cells(row))
        if buffer.tell() >= size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(headers: list[str], rows: Iterator[list[Cell]], out: Path | IO[bytes], title: str) -> int:
    """Write an .xlsx workbook in openpyxl's write-only (streaming) mode; returns data rows."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    n = 0
    for row in rows:
        sheet.append(row)
        n += 1
    workbook.save(out)
    return n
