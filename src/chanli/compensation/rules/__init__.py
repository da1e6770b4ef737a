"""Pure compensation rules: crediting, the component kinds, and the reference run.

Importing this package registers the built-in component kinds in ``REGISTRY``. A new kind is a
parameter dataclass with ``problems()`` plus a function registered with ``register`` (see
``registry``); nothing else changes.
"""

from __future__ import annotations

from chanli.compensation.rules import adjustments, awards, clawbacks, commission, pay, pools
from chanli.compensation.rules.canonical import canonical_json, fingerprint, plain, result_json
from chanli.compensation.rules.clawbacks import clawback_amount, reversal
from chanli.compensation.rules.commission import tiered_amount
from chanli.compensation.rules.crediting import CreditBook, attribute, convert, reports_of
from chanli.compensation.rules.engine import calculate, input_issues
from chanli.compensation.rules.maths import (
    band_factor,
    curve_factor,
    fen,
    fen_of_fraction,
    marginal_slices,
    month_pieces,
    overlap_days,
    ratio,
)
from chanli.compensation.rules.registry import REGISTRY, ComponentResult, KindSpec, RunContext, references, register

__all__ = [
    "REGISTRY",
    "ComponentResult",
    "CreditBook",
    "KindSpec",
    "RunContext",
    "attribute",
    "band_factor",
    "calculate",
    "canonical_json",
    "clawback_amount",
    "convert",
    "curve_factor",
    "fen",
    "fen_of_fraction",
    "fingerprint",
    "input_issues",
    "marginal_slices",
    "month_pieces",
    "overlap_days",
    "plain",
    "ratio",
    "references",
    "register",
    "reports_of",
    "result_json",
    "reversal",
    "tiered_amount",
]

_BUILT_IN = (adjustments, awards, clawbacks, commission, pay, pools)  # imported for their registrations
