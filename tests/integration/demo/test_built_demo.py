"""The default demo as the app sees it, on SQLite and PostgreSQL: every planned row is there,
money adds up to the fen, and the patterns analytics should find are in the data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from chanli.core.audit import AuditEntry
from chanli.core.auth import Role, User, verify_password
from chanli.crm import queries as crm_queries
from chanli.crm.tables import (
    Account,
    Activity,
    CallRecord,
    Contact,
    Feedback,
    Lead,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    Product,
    Renewal,
    StageChange,
)
from chanli.demo import DEMO_LOGINS, DEMO_PASSWORD, store_is_empty
from chanli.org import queries as org_queries
from chanli.org import service as org_service
from chanli.org.tables import Mentorship, Person, Team, Territory
from tests.integration.demo.conftest import TODAY, Built

START = date(2025, 1, 1)
TABLES = {
    "teams": Team, "people": Person, "territories": Territory, "mentorships": Mentorship, "users": User,
    "products": Product, "accounts": Account, "contacts": Contact, "leads": Lead, "opportunities": Opportunity,
    "stage_changes": StageChange, "activities": Activity, "orders": Order, "order_lines": OrderLine,
    "payments": Payment, "renewals": Renewal, "feedback": Feedback, "call_records": CallRecord,
}


def test_the_store_holds_exactly_the_planned_rows_and_builds_in_under_a_minute(built: Built) -> None:
    with built.store.read() as s:
        counts = {name: s.scalar(select(func.count()).select_from(table)) for name, table in TABLES.items()}
        counts["cancelled_orders"] = s.scalar(select(func.count()).where(Order.status == "cancelled"))
        stage_audits = s.scalar(select(func.count()).where(AuditEntry.action == "opportunity.stage"))
        assert not store_is_empty(s)
    assert counts == built.summary.counts
    assert stage_audits == counts["stage_changes"] - counts["opportunities"]  # every move after creation
    assert counts["people"] == 79 and counts["teams"] == 12 and counts["users"] == 9
    assert counts["orders"] > 500 and counts["activities"] > 5000 and counts["call_records"] > 300
    assert built.seconds < 60


def test_money_in_the_store_matches_the_plan_to_the_fen(built: Built) -> None:
    with built.store.read() as s:
        won = s.scalar(select(func.sum(Order.net_amount)).where(
            Order.status == "active", Order.signed_on >= START, Order.signed_on < TODAY))
        collected = s.scalar(select(func.sum(Payment.amount)).where(
            Payment.received_on >= START, Payment.received_on < TODAY))
        # compared in Python: SQLite keeps NUMERIC as REAL, so SQL sums there are not exact
        lines: dict[int, Decimal] = defaultdict(Decimal)
        for order_id, net in s.execute(select(OrderLine.order_id, OrderLine.net_amount)):
            lines[order_id] += net
        paid: dict[int, Decimal] = defaultdict(Decimal)
        for order_id, amount in s.execute(select(Payment.order_id, Payment.amount)):
            paid[order_id] += amount
        orders = dict(s.execute(select(Order.id, Order.net_amount)).all())
    assert Decimal(won).quantize(Decimal("0.01")) == built.summary.won_revenue
    assert Decimal(collected).quantize(Decimal("0.01")) == built.summary.collected
    assert lines == orders
    assert all(paid[order_id] <= net for order_id, net in orders.items())


def test_elite_reps_win_clearly_more_often_than_new_hires(built: Built) -> None:
    with built.store.read() as s:
        rows = s.execute(
            select(Person.tier, Opportunity.status, func.count())
            .join(Person, Person.id == Opportunity.owner_id)
            .where(Opportunity.status.in_(("won", "lost")))
            .group_by(Person.tier, Opportunity.status)
        ).all()
    decided: dict[str, dict[str, int]] = defaultdict(dict)
    for tier, status, n in rows:
        decided[tier][status] = n
    rate = {tier: v["won"] / (v["won"] + v["lost"]) for tier, v in decided.items()}
    assert rate["elite"] > rate["core"] > rate["new"]
    assert rate["elite"] - rate["new"] > 0.25


def test_renewals_churn_far_more_often_after_a_complaint(built: Built) -> None:
    with built.store.read() as s:
        complained = (select(Feedback.id).where(Feedback.account_id == Renewal.account_id,
                                                Feedback.is_complaint.is_(True),
                                                Feedback.received_on < Renewal.due_on).exists())
        rows = s.execute(select(complained.label("complained"), Renewal.status, func.count())
                         .where(Renewal.status.in_(("renewed", "churned")))
                         .group_by(complained, Renewal.status)).all()
    outcome: dict[bool, dict[str, int]] = defaultdict(dict)
    for has_complaint, status, n in rows:
        outcome[bool(has_complaint)][status] = n
    churn = {k: v.get("churned", 0) / (v.get("churned", 0) + v.get("renewed", 0)) for k, v in outcome.items()}
    assert churn[True] > 3 * churn[False]
    assert churn[True] - churn[False] > 0.3


def test_the_dashboard_shows_q4_and_march_peaks_and_a_february_dip(built: Built) -> None:
    with built.store.read() as s:
        finance = org_service.principal_for_user(s, org_queries.user_by_username(s, "finance"))
        board = crm_queries.dashboard(s, finance, START, TODAY)
    won = {m.month: m.won for m in board.monthly}
    assert list(won) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert board.won_total == built.summary.won_revenue
    mean = board.won_total / 12
    assert won["2025-02"] < Decimal("0.6") * mean
    assert won["2025-03"] > Decimal("1.2") * mean
    assert won["2025-12"] > Decimal("1.5") * mean
    quarters = [sum(won[f"2025-{m:02d}"] for m in range(q, q + 3)) for q in (1, 4, 7, 10)]
    assert quarters[3] == max(quarters)


def test_demo_logins_work_and_each_sees_their_part_of_the_company(built: Built) -> None:
    with built.store.read() as s:
        principals = {}
        for login in DEMO_LOGINS:
            user = org_queries.user_by_username(s, login.username)
            assert user is not None and user.role == login.role.value
            assert verify_password(user.password_hash, DEMO_PASSWORD)
            principals[login.username] = org_service.principal_for_user(s, user)
        east = {t.name for t in org_queries.list_teams(s, principals["mgr_east"])}
        south = {t.name for t in org_queries.list_teams(s, principals["mgr_south"])}
        rep = principals["rep_sh"]
        rep_accounts = crm_queries.list_accounts(s, rep, limit=1000)
        everyone = crm_queries.list_accounts(s, principals["ops"], limit=5000)
    assert east == {"华东大区", "上海一组", "上海二组", "杭州组"}
    assert south == {"华南大区", "广州组", "深圳组"}
    assert all(p.role is not Role.MANAGER or p.visible_team_ids for p in principals.values())
    assert rep_accounts and {a.owner_id for a in rep_accounts} == {rep.person_id}
    assert len(everyone) == built.summary.counts["accounts"]


def test_stage_history_runs_forward_and_closed_deals_close_on_their_last_move(built: Built) -> None:
    with built.store.read() as s:
        last = (select(StageChange.opportunity_id, func.max(StageChange.changed_at).label("at"),
                       func.count().label("n"))
                .group_by(StageChange.opportunity_id).subquery())
        rows = s.execute(select(Opportunity.status, Opportunity.stage, Opportunity.closed_on, Opportunity.lost_reason,
                                last.c.at, last.c.n).join(last, last.c.opportunity_id == Opportunity.id)).all()
    assert len(rows) == built.summary.counts["opportunities"]
    for status, stage, closed_on, lost_reason, at, n in rows:
        if status == "won":
            assert stage == "won" and n == 5 and at.date() == closed_on and lost_reason is None
        elif status == "lost":
            assert stage == "lost" and 2 <= n <= 5 and at.date() == closed_on and lost_reason
        else:
            assert closed_on is None and 1 <= n <= 4
