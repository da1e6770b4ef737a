"""Reading the files people hand to ``chanli models``: CSV in, rows of strings out.

This is the only module of the model lifecycle that opens data files. Everything downstream
takes plain rows (``list[dict[str, object]]``) so the same trainers run on the company's own
history straight from the store, without a detour through files.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from chanli.insight.ml.errors import InsightInputError

__all__ = ["DataFile", "read_csv_rows", "sha256_of"]


@dataclass(frozen=True, slots=True)
class DataFile:
    """Rows of one CSV and the facts the model card records about where they came from."""

    name: str
    sha256: str
    columns: tuple[str, ...]
    rows: list[dict[str, str]]


def sha256_of(path: Path) -> str:
    """The file's content hash, so a model card pins exactly which data trained the model."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv_rows(path: Path) -> DataFile:
    """Read a UTF-8 (optionally BOM-prefixed) CSV with a header row.

    Raises ``InsightInputError`` for a missing, empty or header-only file, because each of
    those is something the person must fix, not a crash to debug.
    """
    if not path.exists():
        raise InsightInputError(f"data file not found: {path}")
    if path.is_dir():
        raise InsightInputError(f"expected a CSV file, got a folder: {path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = tuple(reader.fieldnames or ())
            rows = [dict(row) for row in reader]
    except UnicodeDecodeError as exc:
        raise InsightInputError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not columns:
        raise InsightInputError(f"{path.name} is empty: no header row")
    if not rows:
        raise InsightInputError(f"{path.name} has a header but no data rows")
    # DictReader puts surplus fields under the key None; a short row gets None values.
    for number, row in enumerate(rows, start=1):
        if None in row:
            raise InsightInputError(f"{path.name} data row {number}: more fields than the {len(columns)} columns")
        for key, value in row.items():
            if value is None:
                row[key] = ""
    return DataFile(name=path.name, sha256=sha256_of(path), columns=columns, rows=rows)  # type: ignore[arg-type]
