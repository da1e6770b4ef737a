"""Lead routing values: policies (composable steps), the roster the engine sees, leads as
plain facts, assignments with their explanation, and the round-robin state. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = [
    "AUTOMATED_QUEUE",
    "DEFAULT_POLICY",
    "Assignment",
    "LeadIn",
    "LeadSlaBreached",
    "LeadsAssigned",
    "Outcome",
    "PolicyStep",
    "Reason",
    "Rep",
    "RoutingPolicy",
    "RoutingState",
    "TerritoryIn",
]

AUTOMATED_QUEUE = "automated_outreach"  # low-intent leads: nurtured by automated outreach, not a person


class PolicyStep(StrEnum):
    """One step of a routing policy. Narrowing steps keep the candidates that match (and are
    ignored, with a note, when none would be left); the last chooser step picks one."""

    ACCOUNT_OWNER = "account_owner"  # existing customer → its owner
    TERRITORY = "territory"  # the team that covers the lead's province / region / industry
    SCORE = "score"  # low score → automated queue; high score (or grade-A account) → elite reps
    INDUSTRY = "industry"  # reps with the industry skill
    PRODUCT = "product"  # reps with the product skill
    CAPACITY = "capacity"  # chooser: lowest open load relative to the rep's cap
    ROUND_ROBIN = "round_robin"  # chooser: least recently assigned in this queue


NARROWING = (PolicyStep.TERRITORY, PolicyStep.INDUSTRY, PolicyStep.PRODUCT)
CHOOSERS = (PolicyStep.CAPACITY, PolicyStep.ROUND_ROBIN)


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """A team's routing configuration (``team_id`` None = the company default).

    ``capacity_by_tier`` caps open leads per rep by tier unless a rep has their own cap.
    ``grade_priority`` routes leads of better-graded accounts first within a batch, and
    ``grade_a_is_high`` treats a grade-A account's lead like a high score.
    """

    steps: tuple[PolicyStep, ...] = (
        PolicyStep.ACCOUNT_OWNER, PolicyStep.TERRITORY, PolicyStep.SCORE, PolicyStep.INDUSTRY,
        PolicyStep.PRODUCT, PolicyStep.CAPACITY,
    )
    team_id: int | None = None
    high_score: int = 80
    low_score: int = 20
    elite_tiers: tuple[str, ...] = ("elite",)
    capacity_by_tier: dict[str, int] = field(default_factory=lambda: {"new": 20, "core": 30, "elite": 40})
    sla_hours: int = 24
    grade_priority: dict[str, int] = field(default_factory=lambda: {"A": 1, "B": 2, "C": 3})
    grade_a_is_high: bool = True
    version: int = 1

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a routing policy needs at least one step")
        if len(set(self.steps)) != len(self.steps):
            raise ValueError("a routing step may appear only once")
        if not 0 <= self.low_score <= self.high_score <= 100:
            raise ValueError("scores must satisfy 0 ≤ low ≤ high ≤ 100")
        if self.sla_hours <= 0:
            raise ValueError("the first-contact SLA must be at least one hour")
        if any(c < 0 for c in self.capacity_by_tier.values()):
            raise ValueError("caps must not be negative")

    @property
    def chooser(self) -> PolicyStep:
        return next((s for s in self.steps if s in CHOOSERS), PolicyStep.ROUND_ROBIN)

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": [s.value for s in self.steps], "team_id": self.team_id, "high_score": self.high_score,
            "low_score": self.low_score, "elite_tiers": list(self.elite_tiers),
            "capacity_by_tier": dict(self.capacity_by_tier), "sla_hours": self.sla_hours,
            "grade_priority": dict(self.grade_priority), "grade_a_is_high": self.grade_a_is_high,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], version: int = 1) -> RoutingPolicy:
        base = cls()
        return cls(
            steps=tuple(PolicyStep(s) for s in d.get("steps", [s.value for s in base.steps])),
            team_id=d.get("team_id"), high_score=int(d.get("high_score", base.high_score)),
            low_score=int(d.get("low_score", base.low_score)),
            elite_tiers=tuple(d.get("elite_tiers", base.elite_tiers)),
            capacity_by_tier={k: int(v) for k, v in d.get("capacity_by_tier", base.capacity_by_tier).items()},
            sla_hours=int(d.get("sla_hours", base.sla_hours)),
            grade_priority={k: int(v) for k, v in d.get("grade_priority", base.grade_priority).items()},
            grade_a_is_high=bool(d.get("grade_a_is_high", base.grade_a_is_high)), version=version,
        )


DEFAULT_POLICY = RoutingPolicy()


@dataclass(frozen=True, slots=True)
class Rep:
    """A person who can take leads, as the engine sees them at routing time."""

    person_id: int
    name: str
    team_path: tuple[int, ...]  # team ids root → own team
    tier: str = "core"
    active: bool = True
    on_leave: bool = False
    capacity: int | None = None  # own cap; None = the policy's cap for the tier
    load: int = 0  # open leads now
    industries: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TerritoryIn:
    code: str
    name: str
    team_id: int | None
    provinces: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LeadIn:
    lead_id: int
    received_at: datetime
    province: str | None = None
    region: str | None = None
    industry: str | None = None
    product: str | None = None
    account_owner_id: int | None = None
    account_grade: str | None = None
    score: Decimal | None = None  # 0–100 from lead scoring (insight), when known


class Outcome(StrEnum):
    OWNER = "owner"  # routed to the existing customer's owner
    ASSIGNED = "assigned"
    AUTOMATED = "automated"  # low intent → automated outreach queue
    UNROUTED = "unrouted"  # nobody free: waits for a manager


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of an explanation; ``text`` renders it in Chinese or English."""

    code: str
    args: tuple[Any, ...] = ()

    def text(self, locale: str = "zh_CN") -> str:
        zh, en = _REASONS[self.code]
        return (zh if locale == "zh_CN" else en).format(*self.args)


_REASONS: dict[str, tuple[str, str]] = {
    "owner": ("老客户，归属负责人 {0}", "existing customer → owner {0}"),
    "owner_skipped": ("客户负责人 {0} {1}，改为自动分配", "account owner {0} is {1}; routing on"),
    "territory": ("匹配区域 {0}", "matched territory {0}"),
    "no_territory": ("未匹配区域，全公司分配", "no territory matched; company-wide"),
    "territory_ignored": ("区域 {0} 无可用销售，放宽到全公司", "no rep free in territory {0}; widened"),
    "score_low": ("线索评分 {0} < {1}，进入自动培育队列", "score {0} < {1} → automated outreach"),
    "score_high": ("线索评分 {0} ≥ {1}，优先精英销售", "score {0} ≥ {1} → elite reps first"),
    "grade_a": ("A 级客户线索，优先精英销售", "grade-A account → elite reps first"),
    "no_elite": ("无可用精英销售，放宽", "no elite rep free; widened"),
    "industry": ("行业技能匹配 {0}", "industry skill {0}"),
    "industry_ignored": ("无 {0} 行业技能的销售，忽略", "nobody skilled in {0}; ignored"),
    "product": ("产品技能匹配 {0}", "product skill {0}"),
    "product_ignored": ("无 {0} 产品技能的销售，忽略", "nobody skilled in {0}; ignored"),
    "widened": ("匹配的销售已满额，放宽一级", "matching reps at their cap; widened one level"),
    "capacity": ("负载最低 {0}/{1}", "lowest load {0}/{1}"),
    "round_robin": ("轮询（{0}）", "round-robin in {0}"),
    "unrouted": ("无可用销售（均休假、停用或满额），待经理分配", "nobody free (on leave, inactive or at cap)"),
    "excluded": ("跳过超时未联系的 {0}", "skipping {0} (missed the first-contact SLA)"),
}


@dataclass(frozen=True, slots=True)
class Assignment:
    lead_id: int
    person_id: int | None
    outcome: Outcome
    queue: str
    reasons: tuple[Reason, ...]

    def explain(self, locale: str = "zh_CN") -> str:
        sep = "；" if locale == "zh_CN" else ", "
        return sep.join(r.text(locale) for r in self.reasons)


@dataclass(slots=True)
class RoutingState:
    """Round-robin state per queue: the sequence number of each rep's last assignment.

    A rep first seen in a queue joins at the queue's current sequence, i.e. at the back of
    the current rotation: newcomers are neither flooded nor starved, and nobody is favoured
    by seniority or id (ties are broken by a hash of queue and person).
    """

    last: dict[str, dict[int, int]] = field(default_factory=dict)  # queue → person → sequence
    counters: dict[str, int] = field(default_factory=dict)

    def copy(self) -> RoutingState:
        return RoutingState({q: dict(m) for q, m in self.last.items()}, dict(self.counters))


@dataclass(frozen=True, slots=True)
class LeadSlaBreached:
    """Event: a lead was not first-contacted in time and was re-routed; the manager is told."""

    lead_id: int
    previous_owner_id: int
    new_owner_id: int | None
    manager_id: int | None
    hours: int


@dataclass(frozen=True, slots=True)
class LeadsAssigned:
    """Event: a batch was routed; each rep is told how many new leads they got."""

    by_person: dict[int, int]
    automated: int
    unrouted: int
