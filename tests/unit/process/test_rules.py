"""Pure process rules as tables of cases: gates, checklist state, grading, discount authority,
approval routing and escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chanli.process import (
    DEFAULT_AUTHORITY,
    DEFAULT_GRADING,
    DEFAULT_PLAYBOOK,
    AccountFacts,
    DiscountLine,
    GateFacts,
    Playbook,
    StageDef,
    rules,
)

THRESHOLD = DEFAULT_AUTHORITY.compliance_threshold
ALL_SPIN = frozenset({"situation", "problem", "implication", "need_payoff"})


def gate(frm: str, to: str, **facts: object):  # type: ignore[no-untyped-def]
    base: dict[str, object] = {"fields": {"account_id": 1, "amount": Decimal(1000), "expected_close": "2026-12-01",
                                          "product_id": 3}}
    base.update(facts)
    return rules.check_gate(DEFAULT_PLAYBOOK, frm, to, GateFacts(**base), compliance_threshold=THRESHOLD)  # type: ignore[arg-type]


def test_leaving_discovery_needs_the_needs_analysis_and_all_four_spin_kinds() -> None:
    result = gate("discovery", "proposal", spin_kinds_answered=frozenset({"situation", "problem"}))
    assert [(m.kind, m.key, m.message) for m in result.missing] == [
        ("deliverable", "needs_analysis", "缺少交付物《客户需求分析模板》（需求挖掘）"),
        ("spin", "implication", "SPIN 问题未回答：暗示问题 (I)（需求挖掘）"),
        ("spin", "need_payoff", "SPIN 问题未回答：需求效益问题 (N)（需求挖掘）"),
    ]
    done = gate("discovery", "proposal", spin_kinds_answered=ALL_SPIN,
                deliverables=frozenset({("discovery", "needs_analysis")}))
    assert done.ok


def test_skipping_stages_does_not_skip_their_gates() -> None:
    result = gate("lead_capture", "proposal", fields={"account_id": None, "amount": Decimal(0)})
    assert [(m.stage, m.key) for m in result.missing] == [
        ("lead_capture", "account_id"), ("grading", "amount"), ("grading", "expected_close"),
        ("discovery", "needs_analysis"), ("discovery", "situation"), ("discovery", "problem"),
        ("discovery", "implication"), ("discovery", "need_payoff"),
    ]
    assert result.missing[0].message == "必填字段「客户」未填写（线索获取）"


def test_moving_back_or_to_lost_needs_nothing() -> None:
    assert gate("negotiation", "discovery").ok
    assert gate("discovery", "lost").ok


@pytest.mark.parametrize(("amount", "missing"), [
    (Decimal("999999.99"), []),
    (Decimal(1_000_000), ["compliance_review"]),
    (Decimal(5_000_000), ["compliance_review"]),
])
def test_the_compliance_review_is_required_from_the_threshold_up(amount: Decimal, missing: list[str]) -> None:
    result = gate("negotiation", "contract", amount=amount, deliverables=frozenset({("negotiation", "quotation")}))
    assert [m.key for m in result.missing] == missing
    approved = gate("negotiation", "contract", amount=amount, approved=frozenset({"compliance_review"}),
                    deliverables=frozenset({("negotiation", "quotation")}))
    assert approved.ok


def test_a_required_action_gates_the_move_and_an_optional_one_does_not() -> None:
    from chanli.process import ActionDef

    pb = Playbook("快速流程", (
        StageDef("a", "初访", "prospecting", actions=(ActionDef("call", "电话", required=True),
                                                     ActionDef("mail", "邮件"))),
        StageDef("b", "签约", "won"),
    ))
    result = rules.check_gate(pb, "a", "b", GateFacts(fields={}), compliance_threshold=THRESHOLD)
    assert [m.message for m in result.missing] == ["标准动作未完成：电话（初访）"]


def test_playbooks_refuse_duplicate_or_reserved_stage_keys() -> None:
    with pytest.raises(ValueError, match="unique"):
        Playbook("x", (StageDef("a", "A", "prospecting"), StageDef("a", "B", "won")))
    with pytest.raises(ValueError, match="reserved"):
        Playbook("x", (StageDef("a", "A", "prospecting"), StageDef("lost", "B", "won")))
    assert Playbook.from_dict(DEFAULT_PLAYBOOK.as_dict()) == DEFAULT_PLAYBOOK


def test_checklist_actions_are_done_late_overdue_or_pending() -> None:
    entered = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    in_time = rules.action_statuses(DEFAULT_PLAYBOOK, "discovery", entered,
                                    [("visit", entered + timedelta(hours=30))], {}, entered + timedelta(days=5))
    late = rules.action_statuses(DEFAULT_PLAYBOOK, "discovery", entered,
                                 [("visit", entered + timedelta(hours=50))], {}, entered + timedelta(days=5))
    overdue = rules.action_statuses(DEFAULT_PLAYBOOK, "discovery", entered, [("call", entered)], {},
                                    entered + timedelta(hours=49))
    before = rules.action_statuses(DEFAULT_PLAYBOOK, "discovery", entered,
                                   [("visit", entered - timedelta(hours=1))], {}, entered + timedelta(hours=1))
    assert [x[0].state for x in (in_time, late, overdue, before)] == ["done", "late", "overdue", "pending"]
    assert in_time[0].due_at == entered + timedelta(hours=48)


# --- grading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "grade", "score"), [
    (AccountFacts(1, Decimal(900_000), Decimal(300_000), "金融", 2000, 12), "A", Decimal("96.00")),
    (AccountFacts(2, Decimal(500_000), Decimal(500_000), "制造", 500, 6), "B", Decimal("53.00")),
    (AccountFacts(3, Decimal(200_000), Decimal(400_000), "零售", 100, 1), "C", Decimal("21.75")),
    (AccountFacts(4, Decimal(300_000), Decimal(250_000), "教育", 300, 3), "B", Decimal("37.25")),
    (AccountFacts(5), "C", Decimal("4.00")),
])
def test_grades_follow_value_and_potential(facts: AccountFacts, grade: str, score: Decimal) -> None:
    result = rules.grade_account(facts, DEFAULT_GRADING)
    assert (result.grade, result.score) == (grade, score)


def test_grade_drives_visit_frequency() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    assert rules.visit_due("A", now - timedelta(days=14), DEFAULT_GRADING, now)
    assert not rules.visit_due("B", now - timedelta(days=14), DEFAULT_GRADING, now)
    assert rules.visit_due("C", None, DEFAULT_GRADING, now)


# --- discount authority -----------------------------------------------------------------------


def line(price: str, rate: str, series: str | None = None, qty: str = "1") -> DiscountLine:
    return DiscountLine(Decimal(qty), Decimal(price), Decimal(rate), series=series, product_name=series)


@pytest.mark.parametrize(("lines", "level"), [
    ([line("100000", "0.05")], "rep"),  # ¥5,000 at 5 %
    ([line("400000", "0.05")], "rep"),  # ¥20,000 at 5 %: exactly the rep's ceiling
    ([line("400001", "0.05")], "manager"),  # a fen over
    ([line("100000", "0.10")], "manager"),  # rate above 5 %
    ([line("3000000", "0.15")], "manager"),  # ¥450,000 at 15 %
    ([line("4000000", "0.15")], "director"),  # ¥600,000: above the regional manager's ¥500k
    ([line("100000", "0.12", "硬件")], "director"),  # hardware: manager only to 10 %
    ([line("100000", "0.25", "硬件")], None),  # hardware: director only to 20 %
    ([line("100000", "0.30")], "director"),
    ([line("100000", "0.31")], None),
])
def test_the_authority_matrix_names_the_lowest_level_that_may_grant(
    lines: list[DiscountLine], level: str | None
) -> None:
    assert rules.decide_authority(DEFAULT_AUTHORITY, lines).level == level


def test_a_refusal_says_why_at_every_level() -> None:
    d = rules.decide_authority(DEFAULT_AUTHORITY, [line("100000", "0.25", "硬件")])
    assert d.refused
    assert d.reasons == (
        "concession ¥25,000.00 exceeds the rep limit ¥20,000",
        "discount 25% on 硬件 exceeds the rep limit 5%",
        "discount 25% on 硬件 exceeds the manager limit 10%",
        "discount 25% on 硬件 exceeds the director limit 20%",
        "no level of the authority matrix may grant this discount",
    )


def test_big_orders_are_flagged_for_the_compliance_review() -> None:
    assert rules.decide_authority(DEFAULT_AUTHORITY, [line("1000000", "0")]).needs_compliance_review
    assert not rules.decide_authority(DEFAULT_AUTHORITY, [line("1000000", "0.01")]).needs_compliance_review


def test_approval_levels_and_escalation() -> None:
    assert rules.approval_level("trial_fund", DEFAULT_AUTHORITY, Decimal(50_000)) == "manager"
    assert rules.approval_level("trial_fund", DEFAULT_AUTHORITY, Decimal("50000.01")) == "director"
    assert rules.approval_level("compliance_review", DEFAULT_AUTHORITY, Decimal(0)) == "delivery"
    assert [rules.escalation_level(x) for x in ("manager", "delivery", "director", "admin")] == [
        "director", "director", "admin", None]
