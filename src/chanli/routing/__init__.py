"""routing — automatic lead assignment (线索分配): composable policies per team (account owner
first, territory, score, industry/product skills, capacity or round-robin), the leave
calendar, first-contact SLA with re-routing, and a simulator. See ``docs.md``.

Other packages and the shells import from here only.
"""

from __future__ import annotations

from chanli.routing import batch, bench, queries, rules, service
from chanli.routing.model import (
    AUTOMATED_QUEUE,
    DEFAULT_POLICY,
    Assignment,
    LeadIn,
    LeadsAssigned,
    LeadSlaBreached,
    Outcome,
    PolicyStep,
    Reason,
    Rep,
    RoutingPolicy,
    RoutingState,
    TerritoryIn,
)
from chanli.routing.rules import RoutingResult, route
from chanli.routing.service import AssignSummary, NotFound, Simulation

__all__ = [
    "AUTOMATED_QUEUE",
    "DEFAULT_POLICY",
    "AssignSummary",
    "Assignment",
    "LeadIn",
    "LeadSlaBreached",
    "LeadsAssigned",
    "NotFound",
    "Outcome",
    "PolicyStep",
    "Reason",
    "Rep",
    "RoutingPolicy",
    "RoutingResult",
    "RoutingState",
    "Simulation",
    "TerritoryIn",
    "batch",
    "bench",
    "queries",
    "route",
    "rules",
    "service",
]
