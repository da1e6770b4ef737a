"""Reading spreadsheets as streams of ``(row number, cells)``: CSV in UTF-8 (with or without
BOM), GB18030/GBK (what Chinese Excel writes by default) or UTF-16, and Excel ``.xlsx``.

Why streaming: an import is read twice (validate, then apply), and a million-row file must
never sit in memory. CSV goes through ``csv.reader`` line by line; ``.xlsx`` through
openpyxl's read-only mode, which parses the sheet XML as it goes (only its shared-strings
table is held whole). Row numbers are what the spreadsheet shows: the first line is row 1.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from chanli.core.issues import Issue
from chanli.exchange.values import Cell

__all__ = ["FileProblem", "TableFile", "load_mapping", "open_table", "read_rows"]

Format = Literal["csv", "xlsx"]

FIELD_LIMIT = 16 * 1024 * 1024  # a long note is data; csv's default 128 KiB would call it malformed


class FileProblem(Exception):
    """The file as a whole cannot be read; carries the issue to report."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


@dataclass(frozen=True, slots=True)
class TableFile:
    """A spreadsheet on disk with what was detected about it; re-readable any number of times."""

    path: Path
    name: str
    format: Format
    encoding: str | None = None
    delimiter: str = ","


def _problem(code: str, message: str, name: str, row: int | None = None) -> FileProblem:
    return FileProblem(Issue(code, message, source=name, row=row))


def detect_encoding(path: Path, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312).

    The whole file is test-decoded in 1 MiB chunks, because a file can be plain ASCII for
    its first thousand rows and carry a GBK 张三 on the next.
    """
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        for encoding in ("utf-8", "gb18030"):
            f.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := f.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return encoding
    raise _problem("file.encoding", "the file is neither UTF-8 nor GB18030/GBK text; save it as "
                   "'CSV UTF-8' or .xlsx", name)


def _delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="") as f:
        first = f.readline()
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def open_table(path: Path, name: str | None = None) -> TableFile:
    """Detect the format (by extension, then by content) and, for CSV, encoding and delimiter."""
    name = name or path.name
    if not path.is_file():
        raise _problem("file.missing", f"no such file: {path}", name)
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    with path.open("rb") as f:
        magic = f.read(8)
    if not magic:
        raise _problem("file.empty", "the file is empty", name)
    if suffix == ".xls" or magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise _problem("file.format", "old Excel .xls files are not supported; save as .xlsx or CSV", name)
    if suffix in (".xlsx", ".xlsm") or magic.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise _problem("file.format", "not a valid .xlsx file (it is not a zip archive)", name)
        return TableFile(path, name, "xlsx")
    encoding = detect_encoding(path, name)
    return TableFile(path, name, "csv", encoding, _delimiter(path, encoding))


@contextlib.contextmanager
def read_rows(table: TableFile) -> Iterator[Iterator[tuple[int, list[Cell]]]]:
    """Every row from row 1, as ``(row number, cells)``; blank rows included (they are
    numbered in the spreadsheet too)."""
    if table.format == "csv":
        with table.path.open(encoding=table.encoding, newline="") as f:
            yield _csv_rows(table, f)
        return
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(table.path, read_only=True, data_only=True)
    except Exception as exc:
        raise _problem("file.format", f"cannot open the .xlsx file: {type(exc).__name__}: {exc}",
                       table.name) from None
    try:
        if not workbook.worksheets:
            raise _problem("file.empty", "the workbook has no sheet", table.name)
        yield _xlsx_rows(table, workbook.worksheets[0])
    finally:
        workbook.close()


def _csv_rows(table: TableFile, f: Any) -> Iterator[tuple[int, list[Cell]]]:
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(f, delimiter=table.delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, list(cells)
    except csv.Error as exc:
        raise _problem("file.csv", f"the CSV is malformed: {exc}", table.name, row=number + 1) from None
    except UnicodeDecodeError:
        raise _problem("file.encoding", f"cannot decode the file as {table.encoding}", table.name,
                       row=number + 1) from None


def _xlsx_rows(table: TableFile, sheet: Any) -> Iterator[tuple[int, list[Cell]]]:
    try:
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, list(values)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _problem("file.format", f"the .xlsx file is damaged: {exc}", table.name) from None


def load_mapping(path: Path) -> dict[str, str | None]:
    """A column mapping file: JSON or YAML ``{"file header": "field"}`` (null ignores a column)."""
    name = path.name
    if not path.is_file():
        raise _problem("mapping.missing", f"no such mapping file: {path}", name)
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:
        raise _problem("mapping.format", f"cannot read the mapping: {exc}", name) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()
    ):
        raise _problem("mapping.format", 'a mapping must look like {"file header": "field"}', name)
    return dict(data)
