"""Errors the model lifecycle raises, split by who has to act.

``InsightInputError`` means the person gave us something we cannot use (a missing column, a
label we cannot read, an empty file): the CLI maps it to exit code 2 and prints the message
as is, so every message names the offending column, value or file and what was found instead.
``ModelError`` means the work itself failed on good input (exit code 1).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["InsightInputError", "ModelError", "missing_column"]


class InsightInputError(ValueError):
    """Bad input from the person: fix the data or the options, not the code."""


class ModelError(RuntimeError):
    """The work failed on valid input (a saved model that cannot be read, a fit that broke)."""


def missing_column(role: str, column: str, found: Iterable[str]) -> InsightInputError:
    """The one message for a column that is not there: which role it plays and what exists."""
    names = ", ".join(found) or "(none)"
    return InsightInputError(f"{role} column {column!r} not found; columns found: {names}")
