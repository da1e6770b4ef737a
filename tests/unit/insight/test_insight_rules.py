"""The pure insight rules inside Chanli, as worked examples: churn features of one account,
warning decisions and the save rate, the funnel of three deals, the forecast per owner,
the entered/imported market rows (every problem located), and naming demand clusters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chanli.core.periods import FiscalCalendar
from chanli.insight.demand import cluster_demands
from chanli.insight.ml.errors import InsightInputError
from chanli.insight.model import (
    AccountFact,
    ActivityFact,
    FeedbackFact,
    OpportunityFact,
    OrderFact,
    PaymentFact,
    PersonFact,
    RenewalFact,
    StageChangeFact,
)
from chanli.insight.rules import (
    churn_snapshot,
    owner_forecasts,
    parse_competitor_events,
    parse_markets,
    parse_spend,
    read_csv_bytes,
    reference_churn_features,
    reference_funnel,
    save_rate,
    warning_decisions,
)

D = Decimal


def test_an_accounts_churn_features_use_only_what_was_known_before_the_snapshot() -> None:
    """Account 1 (华东, 制造) bought ¥100,000 on 2025-03-01 and ¥60,000 on 2024-02-01, paid the
    first 40 days late, complained on 2025-09-10 and again after the snapshot, rated 40 and
    80, was visited on 2025-10-20; its renewal of ¥100,000 falls due on 2026-01-15."""
    snap = churn_snapshot(date(2025, 12, 1), 90)
    accounts = [AccountFact(1, 7, "制造", "华东")]
    orders = [
        OrderFact(1, 1, 7, None, date(2025, 3, 1), "active", D("100000.00"), date(2025, 3, 31)),
        OrderFact(2, 1, 7, None, date(2024, 2, 1), "active", D("60000.00")),
    ]
    payments = [PaymentFact(1, 1, D("100000.00"), date(2025, 5, 10))]
    activities = [ActivityFact(1, 1, 7, date(2025, 10, 20))]
    feedback = [
        FeedbackFact(1, 1, date(2025, 9, 10), 40, True),
        FeedbackFact(2, 1, date(2025, 4, 1), 80, False),
        FeedbackFact(3, 1, date(2025, 12, 5), 10, True),  # after the snapshot: unknown then
    ]
    renewals = [RenewalFact(1, 1, date(2026, 1, 15), "churned", D("100000.00"))]
    [f] = reference_churn_features([snap], accounts, orders, payments, activities, feedback, renewals, training=True)
    assert (f.days_to_renewal, f.renewal_amount, f.tenure_days) == (45, D("100000.00"), 669)
    assert (f.orders_12m, f.revenue_12m, f.revenue_prev_12m, f.revenue_trend) == (
        1, D("100000.00"), D("60000.00"), D("0.6667"))
    assert (f.activities_90d, f.days_since_activity) == (1, 42)
    assert (f.complaints_90d, f.complaints_12m, f.satisfaction_avg) == (1, 1, D("60.0"))
    assert (f.late_payments_12m, f.overdue_orders) == (1, 0)
    assert f.churned is True
    assert f.model_row()["revenue_12m"] == 100000.0 and f.model_row()["churned"] == "1"
    # scoring looks at renewals still pending: this one is decided, so nothing to score
    assert reference_churn_features([snap], accounts, orders, payments, activities, feedback, renewals,
                                    training=False) == []


def test_a_warning_is_raised_once_per_episode_and_refreshed_while_it_is_open() -> None:
    new, refresh = warning_decisions([(1, 0.81), (2, 0.49), (3, 0.5), (4, 0.9)], 0.5, active=[4, 2])
    assert (new, refresh) == ([1, 3], [2, 4])
    with pytest.raises(InsightInputError, match="between 0 and 1"):
        warning_decisions([], 1.5, [])


def test_the_save_rate_counts_closed_warnings_only() -> None:
    assert save_rate(["saved", "lost", "saved", "open", "in_progress"]) == (2, 1, D("0.6667"))
    assert save_rate(["open"]) == (0, 0, None)


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_the_funnel_of_three_deals() -> None:
    """A: prospecting → discovery → proposal → won (¥90,000, 20 days); B: prospecting →
    discovery → lost (价格过高, ¥50,000); C: still in discovery. Moves at 09:00."""
    deals = [
        OpportunityFact(1, 7, None, None, "won", "won", D("90000.00"), date(2026, 3, 1), date(2026, 3, 21)),
        OpportunityFact(2, 7, None, None, "lost", "lost", D("50000.00"), date(2026, 3, 2), date(2026, 3, 6),
                        "价格过高"),
        OpportunityFact(3, 8, None, None, "open", "discovery", D("30000.00"), date(2026, 3, 3), None),
    ]
    moves = [
        StageChangeFact(1, 1, "prospecting", _at(1)), StageChangeFact(2, 1, "discovery", _at(3)),
        StageChangeFact(3, 1, "proposal", _at(11)), StageChangeFact(4, 1, "won", _at(21)),
        StageChangeFact(5, 2, "prospecting", _at(2)), StageChangeFact(6, 2, "discovery", _at(4)),
        StageChangeFact(7, 2, "lost", _at(6)), StageChangeFact(8, 3, "discovery", _at(3)),
    ]
    [g] = reference_funnel(deals, moves, [PersonFact(7, 1), PersonFact(8, 1)], [], date(2026, 3, 1),
                           date(2026, 4, 1))
    assert [(s.stage, s.reached, s.conversion_to_next, s.avg_days) for s in g.stages] == [
        ("prospecting", 3, D("1.0000"), D("2.0")),
        ("discovery", 3, D("0.3333"), D("5.0")),  # stays of 8 and 2 days
        ("proposal", 1, D("1.0000"), D("10.0")),
        ("negotiation", 1, D("1.0000"), None),  # won skipped negotiation: reached, never stayed
        ("won", 1, None, None),
    ]
    assert (g.won, g.lost, g.open, g.win_rate, g.avg_cycle_days) == (1, 1, 1, D("0.5000"), D("20.0"))
    # velocity = 1 open deal × ¥90,000 average won × 50 % ÷ 20 days
    assert g.velocity_per_day == D("2250.00")
    assert [(r.reason, r.lost, r.amount) for r in g.leakage] == [("价格过高", 1, D("50000.00"))]
    assert g.lost_at_stage == {"discovery": 1}


def test_the_forecast_adds_open_deals_to_what_is_already_won() -> None:
    """Owner 7 won ¥100,000 in 2026-Q1 before 02-15 and has a negotiation deal of ¥200,000
    expected in March; deal 3 was still in proposal on 02-15 and won later (a replay)."""
    q1 = FiscalCalendar().parse("2026-Q1")
    deals = [
        OpportunityFact(1, 7, None, None, "won", "won", D("100000.00"), date(2025, 12, 1), date(2026, 2, 1)),
        OpportunityFact(2, 7, None, None, "open", "negotiation", D("200000.00"), date(2026, 1, 5), None,
                        expected_close=date(2026, 3, 20)),
        OpportunityFact(3, 8, None, None, "won", "won", D("80000.00"), date(2026, 1, 10), date(2026, 3, 1)),
        OpportunityFact(4, 8, None, None, "lost", "lost", D("10000.00"), date(2025, 11, 1), date(2026, 1, 2)),
    ]
    probabilities = {"prospecting": 0.1, "discovery": 0.25, "proposal": 0.5, "negotiation": 0.75}
    rows = owner_forecasts(deals, q1, date(2026, 2, 15), probabilities, stages_on={3: "proposal"})
    by_owner = {r.owner_id: r for r in rows}
    assert (by_owner[7].won_to_date, by_owner[7].pipeline_weighted, by_owner[7].open_deals) == (
        D("100000.00"), D("250000.00"), 1)
    assert (by_owner[8].won_to_date, by_owner[8].pipeline_weighted) == (D("0.00"), D("40000.00"))
    assert by_owner[7].history_based >= by_owner[7].won_to_date


def test_market_rows_report_every_problem_with_its_row_and_column() -> None:
    rows = [
        {"大区": "华东", "行业": "制造", "可触达客户数": "1,200"},
        {"大区": "华东", "行业": "制造", "可触达客户数": "5"},
        {"大区": "", "行业": "零售", "可触达客户数": "-3"},
    ]
    result = parse_markets(rows, "m.csv")
    assert result.value is None
    assert [(i.code, i.row, i.column) for i in result.issues] == [
        ("market.duplicate", 3, "industry"), ("market.region", 4, "region"), ("import.negative", 4,
                                                                              "addressable_accounts")]
    missing = parse_markets([{"region": "华东"}], "m.csv")
    assert [i.column for i in missing.issues] == ["industry", "addressable_accounts"]
    ok = parse_markets(rows[:1], "m.csv")
    assert ok.value is not None and ok.value[0].addressable_accounts == 1200


def test_spend_and_competitor_rows_accept_chinese_headers_and_words() -> None:
    spend = parse_spend([{"月份": "2026/3", "渠道": "百度推广", "金额": "¥10,000.5"},
                         {"month": "2026-04-15", "channel": "展会", "amount": "8000", "campaign": "春季展"}])
    assert spend.value is not None
    assert [(s.month, s.channel, s.amount, s.campaign) for s in spend.value] == [
        (date(2026, 3, 1), "百度推广", D("10000.50"), None), (date(2026, 4, 1), "展会", D("8000.00"), "春季展")]
    events = parse_competitor_events([{"竞争对手": "云帆CRM", "日期": "2026-03-12", "类型": "降价", "描述": "降价20%"},
                                      {"竞争对手": "海纳科技", "日期": "2026-03-40", "类型": "收购", "描述": "x"}])
    assert [(i.row, i.column) for i in events.issues] == [(3, "happened_on"), (3, "kind")]


def test_uploaded_csv_may_be_gb18030_and_tab_separated() -> None:
    data = "大区\t行业\t可触达客户数\n华北\t能源\t12\n".encode("gb18030")
    assert read_csv_bytes(data) == [{"大区": "华北", "行业": "能源", "可触达客户数": "12"}]


def test_demand_clusters_are_named_after_the_coaching_topic_most_members_raise() -> None:
    price = ["价格太贵了超出预算", "报价太高价格超出预算", "预算有限价格能不能再优惠", "你们的价格比预算高不少"]
    delivery = ["交付周期太长我们等不了", "担心交付延期影响上线", "实施周期和交付时间要多久", "交付团队什么时候能进场"]
    clusters = cluster_demands(price + delivery, k=2)
    assert sorted((c.name, c.size) for c in clusters) == [("交付担忧", 4), ("价格敏感", 4)]
    assert {frozenset(c.members) for c in clusters} == {frozenset(range(4)), frozenset(range(4, 8))}
