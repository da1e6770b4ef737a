"""crm — the facts (客户, 线索, 商机, 活动, 订单, 回款 …) that credit, attainment and insight are
computed from."""

from __future__ import annotations

from chanli.crm import model, queries, service
from chanli.crm.service import NotFound

__all__ = ["NotFound", "model", "queries", "service"]
