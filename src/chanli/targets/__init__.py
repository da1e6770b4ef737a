"""targets — 目标与OKR: target plans decomposed down the calendar and the org tree (目标拆解),
SMART checks, KPI pacing (进度), monthly adjustment, elastic metric weights, three-layer
OKRs and the customer success index (客户成功指数).

Shells import this package only: ``service`` (use cases that change things), ``queries``
(scoped reads), ``workbook`` (the Excel planning grid), ``batch`` (the set-based metric
engine) and ``bench`` and the value types below.
"""

from __future__ import annotations

from chanli.core.engine import connect_parquet, connect_store
from chanli.targets import batch, bench, queries, service, workbook
from chanli.targets.model import (
    COMPANY,
    METRICS,
    SEASON_EMPHASIS,
    AdjustmentKind,
    AdjustmentState,
    DecompositionMethod,
    ExpectationBasis,
    KeyResultDraft,
    KeyResultKind,
    MetricDef,
    MetricUnit,
    ObjectiveDraft,
    OkrLayer,
    OwnerKind,
    OwnerRef,
    PaceStatus,
    PlanRequest,
    TargetSource,
    TargetStatus,
    metric,
    parse_owner,
)
from chanli.targets.service import NotFound, PlanPreview

__all__ = [
    "COMPANY",
    "METRICS",
    "SEASON_EMPHASIS",
    "AdjustmentKind",
    "AdjustmentState",
    "DecompositionMethod",
    "ExpectationBasis",
    "KeyResultDraft",
    "KeyResultKind",
    "MetricDef",
    "MetricUnit",
    "NotFound",
    "ObjectiveDraft",
    "OkrLayer",
    "OwnerKind",
    "OwnerRef",
    "PaceStatus",
    "PlanPreview",
    "PlanRequest",
    "TargetSource",
    "TargetStatus",
    "batch",
    "bench",
    "connect_parquet",
    "connect_store",
    "metric",
    "parse_owner",
    "queries",
    "service",
    "workbook",
]
