"""demo — the demo company generator (演示公司): a believable, seeded Chinese sales company
(产力科技) built through the capability services, and benchmark-sized data sets in Parquet.

``plan_demo(spec)`` is pure (same spec, same plan); ``build_demo(uow, spec)`` plans and
applies it through ``org`` and ``crm`` services; the caller commits.
"""

from __future__ import annotations

from chanli.demo.apply import DEMO_ACTOR, Progress, apply_plan, build_demo, store_is_empty, summarise
from chanli.demo.enrich import EnrichSummary, enrich_demo
from chanli.demo.model import (
    DEFAULT_SEED,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DemoLogin,
    DemoPlan,
    DemoSpec,
    DemoSummary,
)
from chanli.demo.plan import plan_demo

__all__ = [
    "DEFAULT_SEED",
    "DEMO_ACTOR",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DemoLogin",
    "DemoPlan",
    "DemoSpec",
    "DemoSummary",
    "EnrichSummary",
    "Progress",
    "apply_plan",
    "build_demo",
    "enrich_demo",
    "plan_demo",
    "store_is_empty",
    "summarise",
]
