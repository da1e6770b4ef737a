"""Problems as data, with a location.

Importers and validators never stop at the first bad value: they collect every ``Issue``
(with file, row, column, value) so a person can fix the whole file in one pass, and
nothing is applied while any error remains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

__all__ = ["Conflict", "Issue", "Issues", "Result", "Severity", "ValidationFailed"]

T = TypeVar("T")


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    message: str
    severity: Severity = Severity.ERROR
    row: int | None = None
    column: str | None = None
    value: str | None = None
    source: str | None = None  # file name or object reference

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        value = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{where + ': ' if where else ''}{self.message}{value}"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


class Issues(list[Issue]):
    """A list of issues with the questions callers ask of it."""

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self if not i.is_error]

    def has_errors(self) -> bool:
        return any(i.is_error for i in self)

    def error(self, code: str, message: str, **where: Any) -> None:
        self.append(Issue(code, message, Severity.ERROR, **where))

    def warning(self, code: str, message: str, **where: Any) -> None:
        self.append(Issue(code, message, Severity.WARNING, **where))


@dataclass(slots=True)
class Result(Generic[T]):
    """A value together with the issues found while producing it."""

    value: T | None
    issues: Issues = field(default_factory=Issues)

    @property
    def ok(self) -> bool:
        return not self.issues.has_errors()


class ValidationFailed(Exception):
    """Raised by services when input has errors; carries every issue, not only the first."""

    def __init__(self, issues: Iterable[Issue], summary: str | None = None) -> None:
        self.issues = Issues(issues)
        first = self.issues.errors[:3]
        text = summary or "; ".join(str(i) for i in first)
        more = len(self.issues.errors) - len(first)
        if more > 0:
            text += f" (+{more} more)"
        super().__init__(text)


class Conflict(ValueError):
    """The request is well formed but collides with the current state (a locked period, a run
    already in progress): the caller should reload and decide, not fix their input — HTTP 409.
    A ``ValueError`` so callers that catch bad values keep catching it."""
