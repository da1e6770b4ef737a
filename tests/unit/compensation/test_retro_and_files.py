"""Pure pieces around the engine: retro adjustments by difference, dispute adjustments, the run
fingerprint, the manager closure of the set-based team roll-up, the key-path → line lookup of the
plan editor, and the payroll file's columns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chanli.compensation import PaidLine, Person, RunResult, Statement, StatementLine, key_path_line, payroll
from chanli.compensation.batch import closure_pairs
from chanli.compensation.rules.crediting import reports_of
from chanli.compensation.rules.retro import dispute_adjustment, retro_adjustments
from chanli.compensation.sample import SAMPLE_PLAN
from chanli.compensation.service import run_fingerprint

from .builders import D


def _line(pid: int, cid: str, amount: str, kind: str = "tiered_commission", attribution=()) -> StatementLine:
    return StatementLine(pid, cid, kind, "阶梯提成", D(amount), "…", attribution=tuple(attribution))


def _result(*lines: StatementLine) -> RunResult:
    by: dict[int, list[StatementLine]] = {}
    for ln in lines:
        by.setdefault(ln.person_id, []).append(ln)
    return RunResult(tuple(Statement(p, "2026-10", "p", 1, tuple(v)) for p, v in sorted(by.items())), (), "x")


def test_a_recalculation_equal_to_what_was_paid_adjusts_nothing():
    paid = [PaidLine(7, 1, "over_quota", "tiered_commission", "阶梯提成", D("800.00"), ((11, D("800.00")),))]
    assert (
        retro_adjustments(
            "2026-10", _result(_line(1, "over_quota", "800.00", attribution=[(11, D("800.00"))])), paid, "CNY"
        )
        == []
    )


def test_the_difference_is_paid_once_and_refers_to_the_original_and_earlier_retro_lines():
    """Paid in October ¥800 (line 7) and ¥300 by a retro line (line 9); the recalculation now
    says ¥1,600 on two orders: the adjustment is ¥500, attributed order by order."""
    paid = [
        PaidLine(7, 1, "over_quota", "tiered_commission", "阶梯提成", D("800.00"), ((11, D("800.00")),)),
        PaidLine(9, 1, "over_quota", "retro_adjustment", "追溯调整·阶梯提成", D("300.00"), ((11, D("300.00")),)),
        PaidLine(8, 1, "claw", "clawback", "追回", D("-50.00"), ((11, D("-50.00")),)),  # settles forward
    ]
    now = _result(_line(1, "over_quota", "1600.00", attribution=[(11, D("1476.92")), (12, D("123.08"))]))
    (adj,) = retro_adjustments("2026-10", now, paid, "CNY")
    assert (adj.line.amount, adj.line.kind, adj.line.component_id, adj.refs, adj.adjusts_period) == (
        D("500.00"),
        "retro_adjustment",
        "over_quota",
        (7, 9),
        "2026-10",
    )
    assert adj.line.attribution == ((11, D("376.92")), (12, D("123.08")))
    assert adj.line.formula == (
        "2026-10 阶梯提成 按现有数据重算 ¥1,600.00 − 已发放 ¥1,100.00 = 追溯调整 ¥500.00（该期已锁定，差额在本期发放）"
    )


def test_someone_newly_due_a_line_gets_all_of_it_and_a_line_no_longer_due_is_taken_back():
    paid = [PaidLine(3, 2, "bonus", "performance_bonus", "绩效奖金", D("1200.00"))]
    now = _result(_line(1, "over_quota", "300.00"), _line(2, "base", "100.00", kind="base_salary"))
    got = {
        (a.line.person_id, a.line.component_id): (a.line.amount, a.refs)
        for a in retro_adjustments("2026-09", now, paid, "CNY")
    }
    assert got == {
        (1, "over_quota"): (D("300.00"), ()),
        (2, "base"): (D("100.00"), ()),
        (2, "bonus"): (D("-1200.00"), (3,)),
    }


def test_an_accepted_dispute_becomes_a_line_referring_to_the_disputed_line():
    original = PaidLine(42, 1, "base", "base_salary", "基本工资", D("12000.00"))
    adj = dispute_adjustment(5, 1, original, "2026-10", D("500.00"), "调薪单已到", "CNY")
    assert (adj.line.kind, adj.line.label, adj.line.amount, adj.refs, adj.line.sources) == (
        "dispute_adjustment",
        "争议调整·基本工资",
        D("500.00"),
        (42,),
        ("dispute:5",),
    )
    assert adj.line.formula == "争议 #5 已受理：调薪单已到；原行 基本工资 ¥12,000.00，调整 ¥500.00"


def test_the_run_fingerprint_covers_the_adjustments():
    adj = dispute_adjustment(
        5, 1, PaidLine(42, 1, "base", "base_salary", "基本工资", D("1")), None, D("5.00"), "", "CNY"
    )
    assert run_fingerprint("abc", []) == run_fingerprint("abc", [])
    assert run_fingerprint("abc", [adj]) != run_fingerprint("abc", [])
    assert run_fingerprint("abd", []) != run_fingerprint("abc", [])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 12)), min_size=1, max_size=12))
def test_the_batch_closure_rolls_up_exactly_who_the_reference_counts_as_below_a_manager(managers):
    people = [Person(i + 1, manager_id=m) for i, m in enumerate(managers)]
    pairs = closure_pairs((p.id, p.manager_id) for p in people)
    for p in people:
        heads = sorted(m for m, h in pairs if h == p.id)
        assert heads == sorted({p.id, *reports_of(people, p.id)})


def test_a_key_path_points_at_the_line_that_holds_it():
    lines = SAMPLE_PLAN.splitlines()
    assert lines[key_path_line(SAMPLE_PLAN, "components[2].tiers[2].rate") - 1] == "      - {lower: 120%, rate: 8%}"
    assert lines[key_path_line(SAMPLE_PLAN, "components[1].cap") - 1] == "    cap: 150%"
    assert key_path_line("plan: [unclosed", "plan") is None


def test_payroll_columns_are_checked_and_the_csv_ends_with_the_total():
    with pytest.raises(ValueError, match="unknown payroll column"):
        payroll.check_columns(["name", "salary"])
    rows = [
        {"name": "张三", "total": D("12800.00"), "component:base": D("12000.00")},
        {"name": "李四", "total": D("8000.00")},
    ]
    text = payroll.render_payroll(rows, ["name", "component:base", "total"], "csv").decode("utf-8-sig")
    assert text.splitlines() == ["姓名,base,应发金额", "张三,12000.00,12800.00", "李四,0.00,8000.00", "合计,,20800.00"]
    assert Decimal("20800.00") == sum(r["total"] for r in rows)
