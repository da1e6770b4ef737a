"""Who is told what: each event maps to the notices of the product promise, with the link
where the recipient acts, and nothing for an event that names nobody."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from chanli.compensation import service as comp_service
from chanli.insight import ChurnRiskRaised
from chanli.integrations import Context, Notice, NoticeKind, notices_for
from chanli.process import ApprovalDecided, ApprovalEscalated, ApprovalRequested, GradeChanged
from chanli.routing import LeadsAssigned, LeadSlaBreached


def test_a_churn_warning_tells_the_account_owner_with_the_top_three_reasons() -> None:
    ev = ChurnRiskRaised(7, 42, "上海客户甲", 11, 0.7234, ("近90天无拜访", "回款逾期", "投诉增加", "降级"),
                         date(2026, 12, 31))
    assert notices_for(ev) == [Notice(11, NoticeKind.CHURN_RISK, {
        "warning_id": 7, "account_id": 42, "account": "上海客户甲", "probability": 0.7234,
        "reasons": ["近90天无拜访", "回款逾期", "投诉增加"], "renewal_due_on": "2026-12-31",
    }, "/insight/churn/7")]


def test_a_churn_warning_on_an_unowned_account_tells_nobody() -> None:
    assert notices_for(ChurnRiskRaised(7, 42, "无主客户", None, 0.9, (), None)) == []


def test_an_sla_reroute_tells_the_manager_with_names_and_the_new_owner_of_the_lead() -> None:
    ev = LeadSlaBreached(lead_id=5, previous_owner_id=21, new_owner_id=22, manager_id=20, hours=24)
    ctx = Context(names={21: "张三", 22: "李四"})
    assert notices_for(ev, ctx) == [
        Notice(20, NoticeKind.LEAD_SLA, {"lead_id": 5, "hours": 24, "previous": "张三", "new": "李四"},
               "/leads?status=new"),
        Notice(22, NoticeKind.LEADS_ASSIGNED, {"count": 1}, "/leads?status=new"),
    ]


def test_an_sla_reroute_nobody_could_take_tells_only_the_manager() -> None:
    ev = LeadSlaBreached(lead_id=5, previous_owner_id=21, new_owner_id=None, manager_id=20, hours=24)
    assert [(n.person_id, n.params["new"]) for n in notices_for(ev, Context(names={21: "张三"}))] == [(20, None)]


def test_routed_leads_tell_each_rep_how_many_they_got() -> None:
    ev = LeadsAssigned({22: 3, 21: 1, 23: 0}, automated=2, unrouted=1)
    assert [(n.person_id, n.kind, n.params) for n in notices_for(ev)] == [
        (21, NoticeKind.LEADS_ASSIGNED, {"count": 1}), (22, NoticeKind.LEADS_ASSIGNED, {"count": 3})]


def test_an_approval_request_tells_its_assignee_and_a_back_office_request_nobody() -> None:
    ev = ApprovalRequested(9, "discount", "上海客户甲 折扣 15%", 20, "张三")
    assert notices_for(ev) == [Notice(20, NoticeKind.APPROVAL_REQUESTED, {
        "request_id": 9, "approval": "discount", "title": "上海客户甲 折扣 15%", "requested_by": "张三"},
        "/process/approvals")]
    assert notices_for(ApprovalRequested(9, "discount", "x", None, "张三")) == []


def test_a_decision_tells_the_requester_with_the_title_looked_up() -> None:
    ev = ApprovalDecided(9, "discount", "rejected", "王经理", "价格太低", 21)
    assert notices_for(ev, Context(approval_titles={9: "折扣申请"})) == [Notice(21, NoticeKind.APPROVAL_DECIDED, {
        "request_id": 9, "approval": "discount", "title": "折扣申请", "status": "rejected", "decided_by": "王经理",
        "comment": "价格太低"}, "/process/approvals?status=all")]


def test_an_escalation_tells_the_new_assignee_only() -> None:
    ev = ApprovalEscalated(9, "discount", from_person_id=20, to_person_id=30, level="director")
    [n] = notices_for(ev, Context(names={20: "王经理"}, approval_titles={9: "折扣申请"}))
    assert (n.person_id, n.kind, n.params["from"], n.params["title"], n.link) == (
        30, NoticeKind.APPROVAL_ESCALATED, "王经理", "折扣申请", "/process/approvals")
    assert notices_for(ApprovalEscalated(9, "discount", 20, None, "admin")) == []


def test_an_approved_run_tells_each_person_with_a_statement_once() -> None:
    ev = comp_service.RunApproved(3, "sales-2026", "2026-10", Decimal("12345.00"), 3)
    notices = notices_for(ev, Context(run_people=(22, 21, 22)))
    assert [(n.person_id, n.kind, n.params, n.link) for n in notices] == [
        (21, NoticeKind.STATEMENT_READY, {"run_id": 3, "period": "2026-10", "plan": "sales-2026"}, "/comp/me"),
        (22, NoticeKind.STATEMENT_READY, {"run_id": 3, "period": "2026-10", "plan": "sales-2026"}, "/comp/me"),
    ]


def test_events_nobody_is_promised_tell_nobody() -> None:
    """A nightly regrade moves many grades; the account list shows them, the inbox does not."""
    assert notices_for(GradeChanged(1, "B", "A", 21)) == []
    assert notices_for("something else") == []
