"""Canonical JSON and the run fingerprint.

A run must prove it used identical inputs: ``fingerprint(inputs, plan)`` is the sha256 of a
canonical JSON of both. Canonical means: keys sorted, no whitespace, Decimals as plain strings
without exponent and without trailing zeros (``1.50`` and ``1.5`` are the same money), dates in
ISO form, enums by value, and the fact collections of the inputs sorted (the engine does not
depend on their order, so neither does the fingerprint). The plan's components keep their order:
it is the evaluation order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from chanli.compensation.model import PlanVersion, RunInputs, RunResult

__all__ = ["canonical_json", "fingerprint", "plain", "result_json"]

FINGERPRINT_VERSION = "chanli-comp/1"


def _decimal(value: Decimal, normalize: bool) -> str:
    if not normalize:
        return format(value, "f")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def plain(value: Any, *, normalize: bool = True) -> Any:
    """JSON-ready plain data for any of the compensation values."""
    if isinstance(value, Enum):  # before str: a StrEnum is a str
        return plain(value.value, normalize=normalize)
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return _decimal(value, normalize)
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), normalize=normalize) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v, normalize=normalize) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, normalize=normalize) for v in value]
    raise TypeError(f"cannot put {type(value).__name__} into canonical JSON")


def canonical_json(value: Any, *, normalize: bool = True) -> str:
    return json.dumps(plain(value, normalize=normalize), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sorted_inputs(inputs: RunInputs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(inputs):
        value = plain(getattr(inputs, f.name))
        if isinstance(value, list):
            value = sorted(value, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        out[f.name] = value
    return out


def fingerprint(inputs: RunInputs, plan: PlanVersion) -> str:
    """sha256 over the canonical JSON of the plan version and the inputs."""
    document = {"version": FINGERPRINT_VERSION, "plan": plain(plan), "inputs": _sorted_inputs(inputs)}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def result_json(result: RunResult) -> str:
    """A run's statements and issues as canonical JSON (amounts keep their two places), so two
    runs can be compared byte for byte."""
    return canonical_json(result, normalize=False)
