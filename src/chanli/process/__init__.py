"""process — how deals are worked: stage playbooks with gates (阶段标准动作), SPIN discovery,
customer grading (客户分级), approvals with delegated authority (折扣授权, 合规评审) and the
innovation trial fund (创新试错基金). See ``docs.md``.

Other packages and the shells import from here only.
"""

from __future__ import annotations

from chanli.process import batch, queries, rules, service
from chanli.process.model import (
    DEFAULT_AUTHORITY,
    DEFAULT_GRADING,
    DEFAULT_PLAYBOOK,
    LOST,
    SPIN_TEMPLATE,
    AccountFacts,
    ActionDef,
    ApprovalDecided,
    ApprovalEscalated,
    ApprovalKind,
    ApprovalRequested,
    ApprovalStatus,
    AuthorityDecision,
    AuthorityLevel,
    AuthorityMatrix,
    DeliverableDef,
    DiscountLine,
    GateFacts,
    GateResult,
    GradeChanged,
    GradingPolicy,
    Missing,
    Playbook,
    SpinKind,
    StageDef,
    TrialDraft,
    TrialStatus,
)
from chanli.process.service import GateBlocked, NotFound, OrderOutcome

__all__ = [
    "DEFAULT_AUTHORITY",
    "DEFAULT_GRADING",
    "DEFAULT_PLAYBOOK",
    "LOST",
    "SPIN_TEMPLATE",
    "AccountFacts",
    "ActionDef",
    "ApprovalDecided",
    "ApprovalEscalated",
    "ApprovalKind",
    "ApprovalRequested",
    "ApprovalStatus",
    "AuthorityDecision",
    "AuthorityLevel",
    "AuthorityMatrix",
    "DeliverableDef",
    "DiscountLine",
    "GateBlocked",
    "GateFacts",
    "GateResult",
    "GradeChanged",
    "GradingPolicy",
    "Missing",
    "NotFound",
    "OrderOutcome",
    "Playbook",
    "SpinKind",
    "StageDef",
    "TrialDraft",
    "TrialStatus",
    "batch",
    "queries",
    "rules",
    "service",
]
