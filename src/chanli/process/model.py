"""Process values: stage playbooks (阶段标准动作), gates, SPIN discovery, customer grading
(客户分级), approvals with delegated authority and the innovation trial fund (创新试错基金).

Plain frozen dataclasses, no I/O. A playbook is data (it round-trips through JSON) so that
sales ops can configure one per team or product line without a release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_AUTHORITY",
    "DEFAULT_GRADING",
    "DEFAULT_PLAYBOOK",
    "LOST",
    "SPIN_TEMPLATE",
    "AccountFacts",
    "ActionDef",
    "ActionStatus",
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
    "GateFacts",
    "GateResult",
    "GradeChanged",
    "GradeResult",
    "GradingPolicy",
    "Missing",
    "Playbook",
    "SpinKind",
    "SpinQuestion",
    "StageDef",
    "TrialDraft",
    "TrialStatus",
]

LOST = "lost"  # the one stage every playbook can move to from anywhere (with a reason)


# --- stage playbooks --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionDef:
    """A standard action of a stage (首次拜访 within 48 h).

    It counts as done when an activity of one of ``activity_kinds`` is logged on the
    opportunity while it is in the stage, or when someone ticks it on the checklist.
    ``within_hours`` is measured from entering the stage; later is "late", never is "skipped".
    Actions feed coaching (analytics) and gate the move only when ``required``.
    """

    key: str
    name: str
    name_en: str = ""
    within_hours: int | None = None
    activity_kinds: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True, slots=True)
class DeliverableDef:
    """A document the stage must produce (《客户需求分析模板》), ticked with a link or note."""

    key: str
    name: str
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class StageDef:
    """One stage of a playbook and its exit gate.

    ``crm_stage`` is the coarse CRM stage (prospecting … won) the stage maps onto, so
    dashboards and forecasts keep one vocabulary while each team runs a finer pipeline.
    The gate checks what must be true *to leave* the stage forward.
    """

    key: str
    name: str
    crm_stage: str
    name_en: str = ""
    norm_days: int | None = None
    actions: tuple[ActionDef, ...] = ()
    deliverables: tuple[DeliverableDef, ...] = ()
    required_fields: tuple[str, ...] = ()
    requires_spin: bool = False
    approvals: tuple[str, ...] = ()  # approval kinds that must be approved to leave the stage


@dataclass(frozen=True, slots=True)
class Playbook:
    """A configurable pipeline for a team or product line (``team_id`` None = company default)."""

    name: str
    stages: tuple[StageDef, ...]
    team_id: int | None = None
    id: int | None = None
    version: int = 1

    def __post_init__(self) -> None:
        keys = [s.key for s in self.stages]
        if len(keys) < 2:
            raise ValueError("a playbook needs at least two stages")
        if len(set(keys)) != len(keys):
            raise ValueError("stage keys must be unique within a playbook")
        if LOST in keys:
            raise ValueError(f"{LOST!r} is reserved for closing a deal as lost")

    def index(self, key: str) -> int:
        for i, s in enumerate(self.stages):
            if s.key == key:
                return i
        raise KeyError(f"playbook {self.name} has no stage {key!r}")

    def stage(self, key: str) -> StageDef:
        return self.stages[self.index(key)]

    def for_crm_stage(self, crm_stage: str) -> StageDef:
        """The first playbook stage mapped onto ``crm_stage`` (for deals without a playbook record)."""
        for s in self.stages:
            if s.crm_stage == crm_stage:
                return s
        return self.stages[0]

    @property
    def final(self) -> StageDef:
        return self.stages[-1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "team_id": self.team_id,
            "stages": [
                {
                    "key": s.key, "name": s.name, "name_en": s.name_en, "crm_stage": s.crm_stage,
                    "norm_days": s.norm_days, "required_fields": list(s.required_fields),
                    "requires_spin": s.requires_spin, "approvals": list(s.approvals),
                    "actions": [
                        {"key": a.key, "name": a.name, "name_en": a.name_en, "within_hours": a.within_hours,
                         "activity_kinds": list(a.activity_kinds), "required": a.required}
                        for a in s.actions
                    ],
                    "deliverables": [{"key": d.key, "name": d.name, "name_en": d.name_en} for d in s.deliverables],
                }
                for s in self.stages
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, id: int | None = None, version: int = 1) -> Playbook:
        stages = tuple(
            StageDef(
                key=str(s["key"]), name=str(s["name"]), name_en=str(s.get("name_en") or ""),
                crm_stage=str(s["crm_stage"]), norm_days=s.get("norm_days"),
                required_fields=tuple(s.get("required_fields") or ()),
                requires_spin=bool(s.get("requires_spin", False)), approvals=tuple(s.get("approvals") or ()),
                actions=tuple(
                    ActionDef(key=str(a["key"]), name=str(a["name"]), name_en=str(a.get("name_en") or ""),
                              within_hours=a.get("within_hours"), activity_kinds=tuple(a.get("activity_kinds") or ()),
                              required=bool(a.get("required", False)))
                    for a in s.get("actions") or ()
                ),
                deliverables=tuple(
                    DeliverableDef(key=str(d["key"]), name=str(d["name"]), name_en=str(d.get("name_en") or ""))
                    for d in s.get("deliverables") or ()
                ),
            )
            for s in data["stages"]
        )
        return cls(name=str(data["name"]), stages=stages, team_id=data.get("team_id"), id=id, version=version)


# Fields of an opportunity a gate may require (the names are the opportunity's columns).
GATE_FIELDS = ("account_id", "amount", "expected_close", "product_id")

DEFAULT_PLAYBOOK = Playbook(
    name="标准销售流程",
    stages=(
        StageDef(
            "lead_capture", "线索获取", "prospecting", name_en="Lead capture", norm_days=7,
            actions=(ActionDef("first_contact", "首次联系", "First contact", within_hours=24,
                               activity_kinds=("call", "email", "visit", "meeting")),),
            required_fields=("account_id",),
        ),
        StageDef(
            "grading", "客户分级", "prospecting", name_en="Customer grading", norm_days=5,
            actions=(ActionDef("confirm_grade", "确认客户分级", "Confirm the customer grade"),),
            required_fields=("amount", "expected_close"),
        ),
        StageDef(
            "discovery", "需求挖掘", "discovery", name_en="Needs discovery", norm_days=14,
            actions=(ActionDef("first_visit", "首次拜访", "First visit", within_hours=48,
                               activity_kinds=("visit", "meeting")),),
            deliverables=(DeliverableDef("needs_analysis", "《客户需求分析模板》", "Needs analysis template"),),
            requires_spin=True,
        ),
        StageDef(
            "proposal", "方案", "proposal", name_en="Proposal", norm_days=14,
            actions=(ActionDef("solution_demo", "方案演示", "Solution demo", activity_kinds=("demo",)),),
            deliverables=(DeliverableDef("solution_proposal", "《解决方案建议书》", "Solution proposal"),),
            required_fields=("product_id",),
        ),
        StageDef(
            "negotiation", "商务谈判", "negotiation", name_en="Negotiation", norm_days=21,
            actions=(ActionDef("decision_maker_meeting", "关键决策人会面", "Meet the decision maker",
                               activity_kinds=("meeting", "visit")),),
            deliverables=(DeliverableDef("quotation", "《报价单》", "Quotation"),),
            approvals=("compliance_review",),
        ),
        StageDef("contract", "签约", "won", name_en="Contract"),
    ),
)


class SpinKind(StrEnum):
    """SPIN selling: situation, problem, implication, need-payoff (背景/难点/暗示/需求效益)."""

    SITUATION = "situation"
    PROBLEM = "problem"
    IMPLICATION = "implication"
    NEED_PAYOFF = "need_payoff"


@dataclass(frozen=True, slots=True)
class SpinQuestion:
    key: str
    kind: SpinKind
    text: str
    text_en: str


SPIN_TEMPLATE: tuple[SpinQuestion, ...] = (
    SpinQuestion("s1", SpinKind.SITUATION, "客户目前用什么方式/系统处理这项业务？规模多大？",
                 "How does the customer handle this today, and at what scale?"),
    SpinQuestion("s2", SpinKind.SITUATION, "谁参与决策？预算和采购流程是怎样的？",
                 "Who decides, and what are the budget and purchasing process?"),
    SpinQuestion("p1", SpinKind.PROBLEM, "现有方式最让客户头疼的问题是什么？",
                 "What troubles the customer most about the current way?"),
    SpinQuestion("p2", SpinKind.PROBLEM, "这些问题多久出现一次？影响到哪些部门？",
                 "How often do the problems occur, and which departments do they hit?"),
    SpinQuestion("i1", SpinKind.IMPLICATION, "问题不解决会带来多少成本、风险或收入损失？",
                 "What do the problems cost in money, risk or lost revenue if left alone?"),
    SpinQuestion("i2", SpinKind.IMPLICATION, "对客户的战略目标或考核指标有什么影响？",
                 "How do they affect the customer's strategic goals or KPIs?"),
    SpinQuestion("n1", SpinKind.NEED_PAYOFF, "如果问题解决，客户能获得哪些可量化的收益？",
                 "What measurable gains would solving them bring?"),
    SpinQuestion("n2", SpinKind.NEED_PAYOFF, "客户认为理想的解决方案应具备什么？",
                 "What would the ideal solution look like to the customer?"),
)


@dataclass(frozen=True, slots=True)
class Missing:
    """One thing a gate still needs, with a message a person can act on."""

    kind: str  # field / deliverable / spin / approval / action
    key: str
    label: str
    stage: str
    message: str


@dataclass(frozen=True, slots=True)
class GateResult:
    from_stage: str
    to_stage: str
    missing: tuple[Missing, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing


@dataclass(frozen=True, slots=True)
class GateFacts:
    """What is known about an opportunity when a gate is checked."""

    fields: dict[str, Any]
    done_actions: frozenset[tuple[str, str]] = frozenset()  # (stage key, action key)
    deliverables: frozenset[tuple[str, str]] = frozenset()  # (stage key, deliverable key)
    spin_kinds_answered: frozenset[str] = frozenset()
    approved: frozenset[str] = frozenset()  # approval kinds approved for this opportunity
    amount: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class ActionStatus:
    stage_key: str
    action: ActionDef
    state: str  # done / late / pending / overdue / skipped
    done_at: datetime | None = None
    due_at: datetime | None = None


# --- customer grading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """Value and potential signals of one account, as of the grading run."""

    account_id: int
    revenue_12m: Decimal = Decimal(0)
    revenue_prev_12m: Decimal = Decimal(0)
    industry: str | None = None
    employees: int | None = None
    activities_90d: int = 0


@dataclass(frozen=True, slots=True)
class GradingPolicy:
    """How a grade is computed: each signal is scored 0–100, weighted, and the total is cut
    by ``thresholds`` (highest first). Grades drive visit frequency and routing priority."""

    weights: dict[str, Decimal] = field(default_factory=lambda: {
        "revenue": Decimal("0.40"), "growth": Decimal("0.20"), "industry": Decimal("0.10"),
        "size": Decimal("0.15"), "engagement": Decimal("0.15"),
    })
    revenue_full: Decimal = Decimal(1_000_000)  # revenue scoring 100
    employees_full: int = 1000
    activities_full: int = 12
    industry_scores: dict[str, int] = field(default_factory=lambda: {
        "金融": 100, "制造": 80, "医疗": 80, "政府": 70, "互联网": 70, "零售": 60, "教育": 50,
    })
    default_industry_score: int = 40
    thresholds: tuple[tuple[str, Decimal], ...] = (("A", Decimal(60)), ("B", Decimal(30)), ("C", Decimal(0)))
    visit_every_days: dict[str, int] = field(default_factory=lambda: {"A": 14, "B": 30, "C": 90})
    routing_priority: dict[str, int] = field(default_factory=lambda: {"A": 1, "B": 2, "C": 3})
    version: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "weights": {k: str(v) for k, v in self.weights.items()},
            "revenue_full": str(self.revenue_full), "employees_full": self.employees_full,
            "activities_full": self.activities_full, "industry_scores": dict(self.industry_scores),
            "default_industry_score": self.default_industry_score,
            "thresholds": [[g, str(t)] for g, t in self.thresholds],
            "visit_every_days": dict(self.visit_every_days), "routing_priority": dict(self.routing_priority),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], version: int = 1) -> GradingPolicy:
        base = cls()
        return cls(
            weights={k: Decimal(str(v)) for k, v in d.get("weights", base.as_dict()["weights"]).items()},
            revenue_full=Decimal(str(d.get("revenue_full", base.revenue_full))),
            employees_full=int(d.get("employees_full", base.employees_full)),
            activities_full=int(d.get("activities_full", base.activities_full)),
            industry_scores={k: int(v) for k, v in d.get("industry_scores", base.industry_scores).items()},
            default_industry_score=int(d.get("default_industry_score", base.default_industry_score)),
            thresholds=tuple((str(g), Decimal(str(t))) for g, t in d.get("thresholds", base.as_dict()["thresholds"])),
            visit_every_days={k: int(v) for k, v in d.get("visit_every_days", base.visit_every_days).items()},
            routing_priority={k: int(v) for k, v in d.get("routing_priority", base.routing_priority).items()},
            version=version,
        )


DEFAULT_GRADING = GradingPolicy()


@dataclass(frozen=True, slots=True)
class GradeResult:
    account_id: int
    grade: str
    score: Decimal
    components: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class GradeChanged:
    """Event: an account's grade moved (owners adjust their visit plan)."""

    account_id: int
    from_grade: str | None
    to_grade: str
    owner_id: int | None


# --- approvals and delegated authority --------------------------------------------------------


class ApprovalKind(StrEnum):
    DISCOUNT = "discount"  # 折扣审批
    COMPLIANCE_REVIEW = "compliance_review"  # 交付/技术可行性评审
    TRIAL_FUND = "trial_fund"  # 创新试错基金


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class AuthorityLevel:
    """What one level may grant: a concession ceiling (None = unlimited) and discount-rate
    ceilings, by product series where they differ. ``level`` names a job role (rep, manager,
    director) so the approver is found by walking up the requester's org tree."""

    level: str
    max_concession: Decimal | None
    max_rate: Decimal
    rate_by_series: dict[str, Decimal] = field(default_factory=dict)

    def rate_limit(self, series: str | None) -> Decimal:
        return self.rate_by_series.get(series or "", self.max_rate)


@dataclass(frozen=True, slots=True)
class AuthorityMatrix:
    """Delegated discount authority (授权矩阵), lowest level first. The first level whose
    limits cover the request decides; nothing above the last level can be granted.
    ``compliance_threshold``: orders at or above it need a delivery/technical review."""

    levels: tuple[AuthorityLevel, ...]
    compliance_threshold: Decimal = Decimal(1_000_000)
    timeout_hours: int = 48  # an undecided request escalates one level after this
    trial_manager_limit: Decimal = Decimal(50_000)  # trial-fund budgets up to this: manager; above: director

    def as_dict(self) -> dict[str, Any]:
        return {
            "levels": [
                {"level": lv.level, "max_concession": None if lv.max_concession is None else str(lv.max_concession),
                 "max_rate": str(lv.max_rate), "rate_by_series": {k: str(v) for k, v in lv.rate_by_series.items()}}
                for lv in self.levels
            ],
            "compliance_threshold": str(self.compliance_threshold),
            "timeout_hours": self.timeout_hours,
            "trial_manager_limit": str(self.trial_manager_limit),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuthorityMatrix:
        return cls(
            levels=tuple(
                AuthorityLevel(
                    level=str(lv["level"]),
                    max_concession=(None if lv.get("max_concession") in (None, "")
                                    else Decimal(str(lv["max_concession"]))),
                    max_rate=Decimal(str(lv["max_rate"])),
                    rate_by_series={k: Decimal(str(v)) for k, v in (lv.get("rate_by_series") or {}).items()},
                )
                for lv in d["levels"]
            ),
            compliance_threshold=Decimal(str(d.get("compliance_threshold", 1_000_000))),
            timeout_hours=int(d.get("timeout_hours", 48)),
            trial_manager_limit=Decimal(str(d.get("trial_manager_limit", 50_000))),
        )


DEFAULT_AUTHORITY = AuthorityMatrix(
    levels=(
        AuthorityLevel("rep", Decimal(20_000), Decimal("0.05")),
        AuthorityLevel("manager", Decimal(500_000), Decimal("0.15"), {"硬件": Decimal("0.10")}),
        AuthorityLevel("director", None, Decimal("0.30"), {"硬件": Decimal("0.20")}),
    ),
)


@dataclass(frozen=True, slots=True)
class DiscountLine:
    quantity: Decimal
    list_price: Decimal
    discount_rate: Decimal
    product_id: int | None = None
    series: str | None = None
    product_name: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorityDecision:
    """Who must approve a discount. ``level`` is None when nobody may grant it (refused)."""

    level: str | None
    concession: Decimal
    net_amount: Decimal
    max_rate: Decimal
    reasons: tuple[str, ...]
    needs_compliance_review: bool = False

    @property
    def refused(self) -> bool:
        return self.level is None


@dataclass(frozen=True, slots=True)
class ApprovalRequested:
    request_id: int
    kind: str
    title: str
    assignee_person_id: int | None
    requested_by: str


@dataclass(frozen=True, slots=True)
class ApprovalDecided:
    request_id: int
    kind: str
    status: str
    decided_by: str
    comment: str | None
    requester_person_id: int | None


@dataclass(frozen=True, slots=True)
class ApprovalEscalated:
    request_id: int
    kind: str
    from_person_id: int | None
    to_person_id: int | None
    level: str


class TrialStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class TrialDraft:
    """A proposal for the innovation trial fund: an exploratory tactic with a budget."""

    title: str
    hypothesis: str
    budget: Decimal
    starts_on: date | None = None
    ends_on: date | None = None
