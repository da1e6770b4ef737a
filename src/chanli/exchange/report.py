"""What an import did, as data: counts per entity and every issue with its location.

Shells print it (Rich table, ``--json``, ``--report FILE`` as CSV, HTTP 422 body); they
never re-derive anything from it. The exit code rule lives here so the CLI and the API
agree: 0 done, 2 bad input (nothing committed), 1 the work itself failed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from chanli.core.issues import Issue

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "EntityCounts", "ImportReport", "write_issues_csv"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class EntityCounts:
    """Per entity: data rows read, records they make (an order of three lines is one record),
    how many the validation found new or already stored, and what the apply pass did."""

    entity: str
    rows: int
    records: int
    new: int
    matched: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class ImportReport:
    source: str
    entities: tuple[EntityCounts, ...]
    issues: tuple[Issue, ...]
    dry_run: bool
    applied: bool  # the writes were made in the caller's unit of work (the caller commits)
    failed: bool = False  # the work failed for a reason that is not the input's fault
    seconds: float = 0.0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_FAILED
        return EXIT_BAD_INPUT if self.errors else EXIT_OK

    def totals(self) -> EntityCounts:
        def total(name: str) -> int:
            return sum(getattr(c, name) for c in self.entities)

        return EntityCounts("total", total("rows"), total("records"), total("new"), total("matched"),
                            total("created"), total("updated"), total("unchanged"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "entities": [asdict(c) for c in self.entities],
            "totals": asdict(self.totals()),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [i.as_dict() for i in self.issues],
        }


ISSUE_COLUMNS = ("severity", "code", "source", "row", "column", "value", "message")


def write_issues_csv(issues: Iterable[Issue], out: TextIO) -> None:
    """The issues as CSV (one per line, header first), for fixing a file in Excel."""
    writer = csv.writer(out)
    writer.writerow(ISSUE_COLUMNS)
    for i in issues:
        writer.writerow([i.severity.value, i.code, i.source or "", "" if i.row is None else i.row,
                         i.column or "", i.value or "", i.message])
