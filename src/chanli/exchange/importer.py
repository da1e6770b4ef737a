"""The import pipeline: validate everything by streaming, then apply in batches inside the
caller's single unit of work — all or nothing.

Pass 1 (validate) streams the rows, parses each one (pure), and keeps only keys: the
external ids and names the file defines (compactly, in a ``KeyLedger``) and its
self-references as edges. References to other entities are checked against the store a
batch at a time. Duplicates, forward references and loops are settled when the pass ends.
Any error stops here with every issue reported and nothing written.

Pass 2 (apply) streams the rows again, resolves references to ids a batch at a time,
merges each row with its stored version (columns the file lacks stay as they are),
classifies it created / updated / unchanged and writes only the first two through the
capability services. A row whose parent/manager comes *later* in the file is set aside
(only its row number is kept) and written by a short extra pass once its parent exists.

Memory stays bounded by the batch size plus 16 bytes per key, whatever the file's length.
The caller commits; ``import_file`` never does.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from chanli.core.db import UnitOfWork
from chanli.core.issues import Issue, Issues, ValidationFailed
from chanli.exchange.apply import Planned, write
from chanli.exchange.fields import ENTITIES, EntitySpec, FieldSpec, Kind, entity_spec
from chanli.exchange.headers import HeaderMap, header_score, map_headers
from chanli.exchange.ledger import KeyLedger
from chanli.exchange.readers import FileProblem, TableFile, load_mapping, open_table, read_rows
from chanli.exchange.report import EntityCounts, ImportReport
from chanli.exchange.rows import LINE_FIELDS, ParseContext, ParsedRow, complete, order_level_differences, order_line
from chanli.exchange.rows import parse_row as parse_one
from chanli.exchange.store import NAMED, StoreKeys
from chanli.exchange.values import Cell, is_blank

__all__ = ["BATCH", "Progress", "Step", "file_step", "import_file", "parse_context", "run_steps"]

BATCH = 2000
HEADER_SEARCH = 10  # rows searched for the header (a title row above it is common in Excel)

Progress = Callable[[str, int, int | None], None]
RowsOpener = Callable[[], contextlib.AbstractContextManager[Iterator[tuple[int, Sequence[Cell]]]]]


@dataclass(frozen=True, slots=True)
class Step:
    """One entity's rows from one source: what they are, how columns map, how to (re)read them."""

    entity: EntitySpec
    source: str
    header: HeaderMap
    rows: RowsOpener  # data rows only (after the header), re-openable for each pass


@dataclass(slots=True)
class Record:
    """A record a file describes: one row, or for orders the consecutive rows (lines) that
    share an external id. ``seq`` is its ordinal in the stream (a source row may describe
    several records, e.g. the Maven recipe's region and team from one line)."""

    row: int
    values: Mapping[str, Any]
    lines: list[ParsedRow] = field(default_factory=list)
    seq: int = 0


class _ApplyFailed(Exception):
    def __init__(self, issues: Iterable[Issue], failed: bool = False) -> None:
        self.issues = list(issues)
        self.failed = failed
        super().__init__("; ".join(str(i) for i in self.issues[:3]))


def _noop(_phase: str, _done: int, _total: int | None) -> None:
    return None


def parse_context(store: StoreKeys, currency: str | None = None) -> ParseContext:
    """The company's time zone and currency (CNY and Asia/Shanghai when no profile exists)."""
    profile = store.company()
    if profile is None:
        return ParseContext(currency=currency or "CNY")
    return ParseContext(time_zone=profile.time_zone, currency=currency or profile.currency)


# --- sources ------------------------------------------------------------------------------------


def file_step(entity: EntitySpec, table: TableFile, custom: Mapping[str, str | None] | None,
              issues: Issues) -> Step | None:
    """A step reading ``table``: finds the header row (the best-mapping row among the first
    ten, so a title row above it is skipped) and maps its columns."""
    with read_rows(table) as rows:
        head = list(islice(rows, HEADER_SEARCH))
    candidates = [(header_score(entity, [_header_text(c) for c in cells], custom), -n, n, cells)
                  for n, cells in head if not all(is_blank(c) for c in cells)]
    if not candidates:
        issues.error("file.empty", "the file has no header row", source=table.name, row=1)
        return None
    best = max(candidates)
    if best[0] == 0:
        best = max(candidates, key=lambda c: c[1])  # nothing maps: the first non-blank row
    _, _, header_row, cells = best
    skipped = [n for _, _, n, _ in candidates if n < header_row]
    if skipped:
        issues.warning("file.title_rows", f"rows {skipped[0]}–{header_row - 1} above the header row were skipped",
                       source=table.name, row=skipped[0])
    header, header_issues = map_headers(entity, [_header_text(c) for c in cells], custom,
                                        header_row=header_row, source=table.name)
    issues.extend(header_issues)

    @contextlib.contextmanager
    def data_rows() -> Iterator[Iterator[tuple[int, Sequence[Cell]]]]:
        with read_rows(table) as all_rows:
            yield ((n, c) for n, c in all_rows if n > header_row)

    return Step(entity, table.name, header, data_rows)


def _header_text(cell: Cell) -> str | None:
    return None if is_blank(cell) else str(cell).strip()


# --- helpers ------------------------------------------------------------------------------------


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _ref_fields(entity: EntitySpec) -> list[FieldSpec]:
    return [f for f in entity.fields if f.kind is Kind.REF]


def _label(step: Step, name: str) -> str:
    return step.header.label(name)


def _records(step: Step, ctx: ParseContext, rows: Iterable[tuple[int, Sequence[Cell]]],
             issues: Issues | None) -> Iterator[Record]:
    """Parse rows into records. With ``issues`` (validation) every problem is collected;
    without (apply) a problem is a bug, since apply only runs on a clean file."""
    entity = step.entity
    current: Record | None = None
    seq = 0
    for number, cells in rows:
        parsed, problems = parse_one(entity, step.header, number, cells, ctx, step.source)
        if parsed is None:
            continue
        continuation = (
            entity.name == "orders" and current is not None and parsed.values.get("external_id") is not None
            and current.values.get("external_id") == parsed.values.get("external_id")
        )
        if continuation:
            # order-level cells may be left blank on later lines (merged cells)
            problems = [p for p in problems if not (p.code == "value.required" and not _is_line(step, p.column))]
        if issues is not None:
            issues.extend(problems)
        elif any(p.is_error for p in problems):
            raise _ApplyFailed(problems)
        if continuation:
            assert current is not None
            if issues is not None:
                for name in order_level_differences(entity, current.values, parsed.values):
                    issues.error("order.lines", f"{name} differs from the first line of this order (row "
                                 f"{current.row})", row=number, column=_label(step, name),
                                 value=str(parsed.values.get(name)), source=step.source)
            current.lines.append(parsed)
            continue
        if current is not None:
            yield current
        seq += 1
        current = Record(parsed.row, parsed.values, [parsed] if entity.name == "orders" else [], seq)
        if entity.name != "orders":
            yield current
            current = None
    if current is not None:
        yield current


def _is_line(step: Step, column: str | None) -> bool:
    return any(step.header.label(f.name) == column for f in step.entity.fields if f.line)


def _record_rows(entity: EntitySpec, record: Record) -> int:
    return len(record.lines) if entity.name == "orders" else 1


# --- pass 1: validate -----------------------------------------------------------------------------


@dataclass
class _Checked:
    counts: EntityCounts
    ledger: KeyLedger


def _validate(step: Step, ctx: ParseContext, store: StoreKeys, earlier: Mapping[str, KeyLedger],
              issues: Issues, progress: Progress, batch_size: int) -> _Checked:
    entity = step.entity
    name_key = entity.natural_key
    self_field = entity.self_refs[0] if entity.self_refs else None
    has_lines = entity.name == "orders" and any(step.header.has(f) for f in LINE_FIELDS)
    ledger = KeyLedger()
    pending: list[tuple[int, str, str]] = []  # (row, field, key) self-references not in the store
    rows = records = new = matched = 0
    with step.rows() as source_rows:
        for batch in _batched(_records(step, ctx, source_rows, issues), batch_size):
            for r in batch:
                rows += _record_rows(entity, r)
                seq = ledger.record(r.row)
                ext = r.values.get("external_id")
                if ext:
                    ledger.add("ext", ext, seq)
                elif name_key and r.values.get(name_key):
                    ledger.add("natural", r.values[name_key], seq)
                if name_key and r.values.get(name_key):
                    ledger.add("name", r.values[name_key], seq)
                if self_field and r.values.get(self_field):
                    ledger.add_edge(seq, r.values[self_field])
            records += len(batch)
            found = _existing_in_batch(step, batch, store, issues)
            for r, exists in zip(batch, found, strict=True):
                matched += exists
                new += not exists
                if entity.name == "orders":
                    _check_lines(step, r, exists, has_lines, ctx, issues)
            _check_refs(step, batch, store, earlier, pending, issues)
            progress(f"validate {entity.name}", rows, None)
    ledger.freeze()
    _settle(step, ctx, ledger, pending, issues)
    return _Checked(EntityCounts(entity.name, rows, records, new, matched), ledger)


def _existing_in_batch(step: Step, batch: list[Record], store: StoreKeys, issues: Issues) -> list[bool]:
    """Whether each record's own key is already stored; an ambiguous natural key is an error."""
    entity = step.entity
    name_key = entity.natural_key
    exts = store.by_external_id(entity.name, [r.values["external_id"] for r in batch if r.values.get("external_id")])
    naturals = [r.values[name_key] for r in batch
                if name_key and not r.values.get("external_id") and r.values.get(name_key)]
    by_name = store.by_name(entity.name, naturals) if naturals else {}
    if entity.name == "products":
        _check_product_names(step, batch, exts, store, issues)
    unknown = [r.values[name_key] for r in batch
               if name_key and r.values.get("external_id") and r.values["external_id"] not in exts
               and r.values.get(name_key)]
    adoptable = _adoptable(store, entity, unknown) if unknown else {}
    out: list[bool] = []
    for r in batch:
        ext = r.values.get("external_id")
        if ext:
            out.append(ext in exts or (name_key is not None and r.values.get(name_key) in adoptable))
            continue
        ids = by_name.get(r.values.get(name_key), []) if name_key else []
        if len(ids) > 1:
            assert name_key is not None
            issues.error("key.ambiguous", f"{len(ids)} stored {entity.name} are named "
                         f"{r.values[name_key]!r}; add an external id column to say which one this row is",
                         row=r.row, column=_label(step, name_key), value=r.values[name_key], source=step.source)
        out.append(len(ids) == 1)
    return out


def _adoptable(store: StoreKeys, entity: EntitySpec, names: list[str]) -> dict[str, dict[str, Any]]:
    """name → the one stored row of that name that has no external id yet.

    A row that brings an external id the store does not know, for a person (team, account,
    product) entered earlier without one, is that record: it adopts the stored row and gives
    it the id, instead of creating a namesake. Two candidates are no match (ambiguous).
    """
    found = store.by_name(entity.name, names)
    ids = sorted({i for matches in found.values() for i in matches})
    rows = {row["id"]: row for row in store.rows(entity.name, ids=ids)} if ids else {}
    out: dict[str, dict[str, Any]] = {}
    for name, matches in found.items():
        bare = [rows[i] for i in matches if i in rows and not rows[i].get("external_id")]
        if len(bare) == 1:
            out[name] = bare[0]
    return out


def _check_product_names(step: Step, batch: list[Record], exts: Mapping[str, int], store: StoreKeys,
                         issues: Issues) -> None:
    """Product names are unique in the store: a row may not take the name of another product."""
    taken = store.by_name("products", [r.values["name"] for r in batch if r.values.get("name")])
    for r in batch:
        ext, name = r.values.get("external_id"), r.values.get("name")
        ids = taken.get(name, []) if name else []
        if ext and ids and exts.get(ext) not in ids:
            issues.error("product.name_taken", f"another product is already named {name!r}; product names are "
                         "unique (use its external id to update it)", row=r.row, column=_label(step, "name"),
                         value=name, source=step.source)


def _check_lines(step: Step, r: Record, exists: bool, has_lines: bool, ctx: ParseContext, issues: Issues) -> None:
    currency = r.values.get("currency") or ctx.currency
    any_line = False
    for line in r.lines:
        result = order_line(line.values, currency)
        if isinstance(result, str):
            column = "amount" if step.header.has("amount") else "list_price"
            issues.error("order.line", result, row=line.row, column=_label(step, column),
                         value=str(line.values.get(column, "")), source=step.source)
            any_line = True
        elif result is not None:
            any_line = True
    if not any_line and not exists:
        issues.error("order.lines", "a new order needs 金额 (amount) or 单价 (unit price) on at least one line"
                     + ("" if has_lines else "; the file has no such column"), row=r.row,
                     column=_label(step, "amount"), source=step.source)


def _check_refs(step: Step, batch: list[Record], store: StoreKeys, earlier: Mapping[str, KeyLedger],
                pending: list[tuple[int, str, str]], issues: Issues) -> None:
    entity = step.entity
    wanted: dict[str, dict[str, list[tuple[int, str]]]] = {}
    for r in batch:
        for part in r.lines or [ParsedRow(r.row, r.values)]:
            for f in _ref_fields(entity):
                key = part.values.get(f.name)
                if key:
                    assert f.ref is not None
                    wanted.setdefault(f.ref, {}).setdefault(key, []).append((part.row, f.name))
    for target, keys in wanted.items():
        found = store.by_external_id(target, keys)
        missing = [k for k in keys if k not in found]
        by_name = store.by_name(target, missing) if missing and target in NAMED else {}
        for key in missing:
            ids = by_name.get(key, [])
            if len(ids) == 1:
                continue
            for row, name in keys[key]:
                if len(ids) > 1:
                    issues.error("ref.ambiguous", f"{len(ids)} {target} are named {key!r}; use the external id",
                                 row=row, column=_label(step, name), value=key, source=step.source)
                elif target == entity.name:
                    pending.append((row, name, key))
                elif target in earlier:
                    _check_in_ledger(step, earlier[target], target, key, row, name, issues)
                else:
                    issues.error("ref.missing", _missing(target, key), row=row, column=_label(step, name),
                                 value=key, source=step.source)


def _missing(target: str, key: str) -> str:
    how = "external id or name" if target in NAMED else "external id"
    return f"no {ENTITIES[target].store_name} with {how} {key!r} in the store or this file (import {target} first)"


def _check_in_ledger(step: Step, ledger: KeyLedger, target: str, key: str, row: int, name: str,
                     issues: Issues) -> None:
    if ledger.rows_of("ext", key):
        return
    named = ledger.rows_of("name", key) if target in NAMED else []
    if len(named) == 1:
        return
    if len(named) > 1:
        issues.error("ref.ambiguous", f"{len(named)} {target} in this import are named {key!r} (rows "
                     f"{', '.join(map(str, named[:5]))}); use the external id", row=row,
                     column=_label(step, name), value=key, source=step.source)
        return
    issues.error("ref.missing", _missing(target, key), row=row, column=_label(step, name), value=key,
                 source=step.source)


def _settle(step: Step, ctx: ParseContext, ledger: KeyLedger, pending: list[tuple[int, str, str]],
            issues: Issues) -> None:
    """After the pass: duplicate keys, self-references to rows of this file, loops."""
    entity = step.entity
    dup_ext = ledger.duplicates("ext")
    dup_natural = ledger.duplicates("natural") if entity.name != "products" else []  # names checked below
    if dup_ext or dup_natural:
        wanted = {r for pair in dup_ext + dup_natural for r in pair}
        values = _values_at(step, ctx, wanted)
        for first, again in dup_ext:
            what = "order" if entity.name == "orders" else "row"
            issues.error("key.duplicate", f"external id already used by the {what} on row {first}"
                         + ("; the lines of one order must be on consecutive rows" if entity.name == "orders"
                            else ""), row=again, column=_label(step, "external_id"),
                         value=values.get(again, {}).get("external_id"), source=step.source)
        for first, again in dup_natural:
            assert entity.natural_key is not None
            issues.error("key.duplicate", f"{entity.natural_key} repeats row {first} and neither row has an "
                         "external id, so it is unclear whether they are one record or two",
                         row=again, column=_label(step, entity.natural_key),
                         value=values.get(again, {}).get(entity.natural_key), source=step.source)
    if entity.name == "products":
        dup_names = ledger.duplicates("name")
        values = _values_at(step, ctx, {again for _, again in dup_names}) if dup_names else {}
        for first, again in dup_names:
            issues.error("product.name_taken", f"product name also on row {first}; product names are unique",
                         row=again, column=_label(step, "name"), value=values.get(again, {}).get("name"),
                         source=step.source)
    for row, name, key in pending:
        if ledger.rows_of("ext", key):
            continue
        named = ledger.rows_of("name", key)
        if len(named) == 1:
            continue
        if len(named) > 1:
            issues.error("ref.ambiguous", f"{len(named)} rows of this file are named {key!r} (rows "
                         f"{', '.join(map(str, named[:5]))}); use the external id", row=row,
                         column=_label(step, name), value=key, source=step.source)
        else:
            issues.error("ref.missing", _missing(entity.name, key), row=row, column=_label(step, name),
                         value=key, source=step.source)
    if entity.self_refs:
        loop = ledger.cycle_rows()
        name = entity.self_refs[0]
        values = _values_at(step, ctx, set(loop)) if loop else {}
        for row in loop:
            issues.error("ref.cycle", f"the chain of {name} references loops back to this row (rows "
                         f"{', '.join(map(str, loop[:10]))})", row=row, column=_label(step, name),
                         value=values.get(row, {}).get(name), source=step.source)


def _values_at(step: Step, ctx: ParseContext, wanted: set[int]) -> dict[int, Mapping[str, Any]]:
    """Parsed values of a few rows, re-read from the source (for messages on the error path)."""
    out: dict[int, Mapping[str, Any]] = {}
    with step.rows() as rows:
        for number, cells in rows:
            if number in wanted:
                parsed, _ = parse_one(step.entity, step.header, number, cells, ctx, step.source)
                if parsed is not None:
                    out[number] = parsed.values
    return out


# --- pass 2: apply ------------------------------------------------------------------------------


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0


def _chunks(entity: EntitySpec, records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Batches in which no record refers to another of the same batch (so each batch can be
    written in one service call): a batch is cut before a row whose parent is in it."""
    self_field = entity.self_refs[0] if entity.self_refs else None
    chunk: list[Record] = []
    keys: set[str] = set()
    for r in records:
        parent = r.values.get(self_field) if self_field else None
        if chunk and (len(chunk) >= size or (parent is not None and parent in keys)):
            yield chunk
            chunk, keys = [], set()
        chunk.append(r)
        if self_field:
            for k in (r.values.get("external_id"), r.values.get(entity.natural_key or "")):
                if k:
                    keys.add(k)
    if chunk:
        yield chunk


def _apply(step: Step, ctx: ParseContext, uow: UnitOfWork, store: StoreKeys, total: int, progress: Progress,
           batch_size: int) -> _Tally:
    tally = _Tally()
    deferred: set[int] = set()
    with step.rows() as rows:
        for chunk in _chunks(step.entity, _records(step, ctx, rows, None), batch_size):
            later = _apply_chunk(step, ctx, uow, store, chunk, tally)
            deferred.update(later)
            progress(f"apply {step.entity.name}", tally.rows, total)
    while deferred:  # records whose parent came later in the file; each round writes at least one
        before = len(deferred)
        with step.rows() as rows:
            again = (r for r in _records(step, ctx, rows, None) if r.seq in deferred)
            for chunk in _chunks(step.entity, again, batch_size):
                later = _apply_chunk(step, ctx, uow, store, chunk, tally)
                deferred.difference_update(r.seq for r in chunk if r.seq not in later)
        if len(deferred) >= before:
            raise _ApplyFailed([Issue("ref.unresolved", "the parent of this record could not be written first",
                                      source=step.source)])
    return tally


def _apply_chunk(step: Step, ctx: ParseContext, uow: UnitOfWork, store: StoreKeys, chunk: list[Record],
                 tally: _Tally) -> set[int]:
    """Resolve, merge, classify and write one chunk; returns the records (``seq``) deferred
    to a later round."""
    entity = step.entity
    ids, later = _resolve(step, store, chunk)
    ready = [r for r in chunk if r.seq not in later]
    existing = _stored(entity, store, ready)  # by seq
    lines_before = (
        store.order_lines([e["id"] for e in existing.values() if e]) if entity.name == "orders" else {}
    )
    planned: list[Planned] = []
    for r in ready:
        values: dict[str, Any] = {}
        for name in r.values:
            f = entity.field(name)
            if f.line:
                continue
            values[f.column] = ids[(f.ref, r.values[name])] if f.kind is Kind.REF and r.values[name] else (
                r.values[name])
        stored = existing.get(r.seq)
        record = complete(entity, values, stored, ctx)
        lines: tuple[Any, ...] = ()
        old_lines: tuple[Any, ...] = ()
        if entity.name == "orders":
            old_lines = tuple(lines_before.get(stored["id"], [])) if stored else ()
            lines = _order_lines(r, ids, record["currency"]) or old_lines
        tally.rows += _record_rows(entity, r)
        if stored is None:
            tally.created += 1
        elif any(record[k] != stored.get(k) for k in record) or lines != old_lines:
            tally.updated += 1
        else:
            tally.unchanged += 1
            continue
        planned.append(Planned(r.row, record, stored, lines))
    try:
        write(uow, entity.name, planned)
    except ValidationFailed as exc:
        first, last = chunk[0].row, chunk[-1].row
        raise _ApplyFailed([
            Issue(i.code, f"while writing rows {first}–{last}: {i.message}", i.severity, row=i.row or first,
                  column=i.column, value=i.value, source=step.source) for i in exc.issues
        ]) from None
    return later


def _order_lines(r: Record, ids: Mapping[tuple[str | None, str], int], currency: str) -> tuple[Any, ...]:
    out = []
    for line in r.lines:
        result = order_line(line.values, currency)
        if result is None:
            continue
        assert not isinstance(result, str)
        product = line.values.get("product")
        out.append((ids[("products", product)] if product else None, *result))
    return tuple(out)


def _resolve(step: Step, store: StoreKeys, chunk: list[Record]) -> tuple[dict[tuple[str | None, str], int], set[int]]:
    """(target, key) → id for every reference in the chunk, and the records (by ``seq``)
    whose self-reference is not stored yet (they wait for a later round)."""
    entity = step.entity
    wanted: dict[str, dict[str, list[int]]] = {}
    for r in chunk:
        for part in r.lines or [ParsedRow(r.row, r.values)]:
            for f in _ref_fields(entity):
                key = part.values.get(f.name)
                if key:
                    assert f.ref is not None
                    wanted.setdefault(f.ref, {}).setdefault(key, []).append(r.seq)
    row_of = {r.seq: r.row for r in chunk}
    ids: dict[tuple[str | None, str], int] = {}
    later: set[int] = set()
    problems: list[Issue] = []
    for target, keys in wanted.items():
        found = store.by_external_id(target, keys)
        missing = [k for k in keys if k not in found]
        by_name = store.by_name(target, missing) if missing and target in NAMED else {}
        for key in keys:
            if key in found:
                ids[(target, key)] = found[key]
            elif len(by_name.get(key, [])) == 1:
                ids[(target, key)] = by_name[key][0]
            elif target == entity.name and not by_name.get(key):
                later.update(keys[key])
            else:
                problems.extend(Issue("ref.missing" if not by_name.get(key) else "ref.ambiguous",
                                      f"{target} {key!r} cannot be resolved while writing", row=row_of[seq],
                                      value=key, source=step.source) for seq in keys[key])
    if problems:
        raise _ApplyFailed(problems)
    return ids, later


def _stored(entity: EntitySpec, store: StoreKeys, records: list[Record]) -> dict[int, dict[str, Any]]:
    """seq → the stored version of each record that already exists: by external id, else by
    name; a new external id adopts the one namesake stored without an id (``_adoptable``)."""
    exts = [r.values["external_id"] for r in records if r.values.get("external_id")]
    by_ext = {row["external_id"]: row for row in store.rows(entity.name, external_ids=exts)} if exts else {}
    name_key = entity.natural_key
    naturals = [r.values[name_key] for r in records
                if name_key and not r.values.get("external_id") and r.values.get(name_key)]
    by_name: dict[str, dict[str, Any]] = {}
    if naturals:
        assert name_key is not None
        ids = {n: found[0] for n, found in store.by_name(entity.name, naturals).items() if len(found) == 1}
        rows = {row["id"]: row for row in store.rows(entity.name, ids=sorted(set(ids.values())))}
        by_name = {n: rows[i] for n, i in ids.items() if i in rows}
    unknown = [r.values[name_key] for r in records
               if name_key and r.values.get("external_id") and r.values["external_id"] not in by_ext
               and r.values.get(name_key)]
    adoptable = _adoptable(store, entity, unknown) if unknown else {}
    adopted: set[int] = set()
    out: dict[int, dict[str, Any]] = {}
    for r in records:
        ext = r.values.get("external_id")
        row = by_ext.get(ext) if ext else (by_name.get(r.values.get(name_key)) if name_key else None)
        if row is None and ext and name_key and r.values.get(name_key) in adoptable:
            candidate = adoptable[r.values[name_key]]
            if candidate["id"] not in adopted:  # two rows may not adopt the same stored record
                adopted.add(candidate["id"])
                row = candidate
        if row is not None:
            out[r.seq] = row
    return out


# --- the whole import -----------------------------------------------------------------------------


def run_steps(
    uow: UnitOfWork,
    steps: Sequence[Step],
    *,
    source: str,
    ctx: ParseContext,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH,
    issues: Issues | None = None,
    before_apply: Callable[[UnitOfWork], None] | None = None,
) -> ImportReport:
    """Validate every step, then (unless ``dry_run`` or any error) apply them in order in
    ``uow``. Later steps may reference rows of earlier ones. The caller commits."""
    started = time.perf_counter()
    progress = progress or _noop
    issues = issues if issues is not None else Issues()
    store = StoreKeys(uow.session)
    checked: list[_Checked] = []
    earlier: dict[str, KeyLedger] = {}
    if not issues.has_errors():
        for step in steps:
            result = _validate(step, ctx, store, earlier, issues, progress, batch_size)
            checked.append(result)
            earlier[step.entity.name] = result.ledger
    counts = [c.counts for c in checked]

    def report(applied: bool, failed: bool = False) -> ImportReport:
        return ImportReport(source, tuple(counts), _in_file_order(issues, steps), dry_run, applied, failed,
                            time.perf_counter() - started)

    if dry_run or issues.has_errors():
        return report(False)
    try:
        if before_apply is not None:
            before_apply(uow)
        for i, step in enumerate(steps):
            tally = _apply(step, ctx, uow, store, counts[i].rows, progress, batch_size)
            counts[i] = EntityCounts(counts[i].entity, counts[i].rows, counts[i].records, counts[i].new,
                                     counts[i].matched, tally.created, tally.updated, tally.unchanged)
    except _ApplyFailed as exc:
        issues.extend(exc.issues)
        return report(False, exc.failed)
    except SQLAlchemyError as exc:
        issues.error("store.failed", f"the store refused the import: {type(exc).__name__}: "
                     f"{str(exc).splitlines()[0][:300]}", source=source)
        return report(False, failed=True)
    return report(True)


def _in_file_order(issues: Issues, steps: Sequence[Step] = ()) -> tuple[Issue, ...]:
    """Issues by source (in the order sources first appear), then row (file-wide ones
    first), then the column's position in the file — the order a person fixes them in."""
    sources: dict[str | None, int] = {}
    for i in issues:
        sources.setdefault(i.source, len(sources))
    position: dict[tuple[str | None, str], int] = {}
    for step in steps:
        for index, name in step.header.columns:
            position.setdefault((step.source, step.header.label(name)), index)

    def order(i: Issue) -> tuple[int, bool, int, int]:
        return sources[i.source], i.row is not None, i.row or 0, position.get((i.source, i.column or ""), 10_000)

    return tuple(sorted(issues, key=order))


def import_file(
    uow: UnitOfWork,
    entity: str,
    path: Path,
    *,
    mapping: Mapping[str, str | None] | Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    display_name: str | None = None,
    batch_size: int = BATCH,
) -> ImportReport:
    """Import one CSV or .xlsx file of ``entity`` (people, teams, products, accounts, leads,
    opportunities, orders, payments, activities). Never commits: commit ``uow`` when the
    report is ``ok`` and this was not a dry run."""
    issues = Issues()
    name = display_name or path.name
    spec = entity_spec(entity)
    step: Step | None = None
    try:
        custom = load_mapping(mapping) if isinstance(mapping, Path) else mapping
        table = open_table(path, name)
        step = file_step(spec, table, custom, issues)
    except FileProblem as problem:
        issues.append(problem.issue)
    ctx = parse_context(StoreKeys(uow.session))
    try:
        return run_steps(uow, [step] if step else [], source=name, ctx=ctx, dry_run=dry_run, progress=progress,
                         batch_size=batch_size, issues=issues)
    except FileProblem as problem:  # the file broke while streaming (a malformed line deep inside)
        issues.append(problem.issue)
        return ImportReport(name, (), _in_file_order(issues), dry_run, applied=False)
