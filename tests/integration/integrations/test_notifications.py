"""Notifications on a real store (SQLite and PostgreSQL): the after-commit handler registered by
``bootstrap.build`` fills the right inboxes from real use cases, a rolled-back change tells
nobody, a down robot never undoes anything, robot messages wait in the outbox for the robot job
(which retries with backoff and gives up at last), and each person reads and marks only their own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chanli.bootstrap import Container, build
from chanli.core.auth import Principal
from chanli.core.config import RobotConfig
from chanli.insight import ChurnRiskRaised
from chanli.integrations import NotFound, queries, render_notice, service
from chanli.integrations.service import MAX_ATTEMPTS, RETRY_MINUTES
from chanli.integrations.tables import RobotMessage
from chanli.jobs import run_job
from chanli.org import queries as org_queries
from chanli.org import service as org_service
from chanli.process import TrialDraft
from chanli.process import queries as process_queries
from chanli.process import service as process_service
from chanli.routing import PolicyStep, RoutingPolicy
from chanli.routing import service as routing_service
from chanli.web.i18n import translations
from tests.factories import Org, create_lead
from tests.unit.routing.test_engine import ADMIN
from tests.webhooks import Hook

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ZH = translations("zh_CN").gettext
TRIAL = TrialDraft("门店快闪", "快闪店能带来到店线索", Decimal(20_000))


def _principal(store: Container, username: str) -> Principal:
    with store.read() as s:
        user = org_queries.user_by_username(s, username)
        assert user is not None
        return org_service.principal_for_user(s, user)


def _inbox(store: Container, username: str, **kw: object) -> list[tuple[str, str, str]]:
    """(kind, zh text, link) of a user's notices, newest first."""
    with store.read() as s:
        return [(n.kind, render_notice(n.kind, n.params, ZH)[1], n.link)
                for n in queries.list_mine(s, _principal(store, username), **kw)]  # type: ignore[arg-type]


@pytest.fixture
def org(store: Container) -> Org:
    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    return org


def test_routing_tells_the_rep_and_an_sla_reroute_tells_the_manager(store: Container, org: Org) -> None:
    with store.uow() as uow:
        org_service.upsert_territory(uow, code="EAST", name="华东", team_id=org.east, provinces=["上海"])
        routing_service.save_policy(uow, ADMIN, RoutingPolicy(steps=(PolicyStep.TERRITORY, PolicyStep.ROUND_ROBIN)))
        [lead] = [create_lead(uow, province="上海", received_at=NOW - timedelta(minutes=5))]
        uow.commit()
    with store.uow() as uow:
        [first] = routing_service.assign_leads(uow, now=NOW, lead_ids=[lead]).assignments
        uow.commit()
    with store.uow() as uow:
        [breach] = routing_service.sweep_sla(uow, now=NOW + timedelta(hours=25))
        uow.commit()
    names = {org.sh1: "张三", org.sh2: "李四", org.hz1: "钱五"}
    previous, new = names[first.person_id], names[breach.new_owner_id]  # type: ignore[index]
    assert _inbox(store, "east_mgr") == [
        ("lead_sla", f"线索 #{lead} 在 24 小时内未被 {previous} 首次联系，已改派给 {new}。", "/leads?status=new")]
    times = [first.person_id, breach.new_owner_id].count(org.sh1)  # only 张三 of the reps has a login
    assert _inbox(store, "sh1") == [("leads_assigned", "您有 1 条新线索待联系。", "/leads?status=new")] * times


def test_a_request_tells_the_assignee_and_the_decision_tells_the_requester(store: Container, org: Org) -> None:
    sh1, east_mgr = _principal(store, "sh1"), _principal(store, "east_mgr")
    with store.uow() as uow:
        process_service.propose_trial(uow, sh1, TRIAL, now=NOW)
        uow.commit()
    with store.read() as s:
        [req] = process_queries.list_approvals(s, sh1)
    assert _inbox(store, "east_mgr") == [
        ("approval_requested", f"{sh1.display_name} 提交了待您审批的申请：{req.title}（创新试错基金）。",
         "/process/approvals")]
    with store.uow() as uow:
        process_service.decide(uow, east_mgr, req.id, approve=False, now=NOW, comment="预算不足")
        uow.commit()
    assert _inbox(store, "sh1") == [
        ("approval_decided",
         f"您的申请「{req.title}」（创新试错基金）已被 {east_mgr.display_name} 驳回。 意见：预算不足",
         "/process/approvals?status=all")]


def test_a_churn_warning_reaches_the_owner(store: Container, org: Org) -> None:
    """The handler on a real store, given the event the churn scoring queues (training a model
    here would cost seconds; tests/integration/insight covers that the event is queued)."""
    with store.uow() as uow:
        uow.queue(ChurnRiskRaised(3, org.acc_sh1, "上海客户甲", org.sh1, 0.81, ("近90天无拜访",), date(2026, 12, 1)))
        uow.commit()
    assert _inbox(store, "sh1") == [
        ("churn_risk", "上海客户甲 存在流失风险：81%。主要原因：近90天无拜访。 续约日期 2026-12-01。",
         "/insight/churn/3")]
    assert _inbox(store, "bj1") == []


def test_a_rolled_back_change_tells_nobody(store: Container, org: Org) -> None:
    sh1 = _principal(store, "sh1")
    with store.uow() as uow:
        process_service.propose_trial(uow, sh1, TRIAL, now=NOW)
        uow.queue(ChurnRiskRaised(3, org.acc_sh1, "上海客户甲", org.sh1, 0.81, (), None))
        # no commit: the unit of work rolls back on exit
    assert _inbox(store, "east_mgr") == []
    assert _inbox(store, "sh1") == []


def test_a_robot_that_is_down_never_undoes_the_change_nor_the_inbox(store: Container, org: Org) -> None:
    settings = store.settings.model_copy(update={
        "robots": [RobotConfig(kind="dingtalk", url="http://127.0.0.1:9/robot/send", secret="SEC")],
        "robot_timeout_s": 0.5})
    container = build(settings, engine=store.engine, session_factory=store.session_factory)
    with container.uow() as uow:
        uow.queue(ChurnRiskRaised(3, org.acc_sh1, "上海客户甲", org.sh1, 0.81, (), None))
        uow.commit()
    assert [kind for kind, _text, _link in _inbox(store, "sh1")] == ["churn_risk"]



def _with_robot(store: Container, url: str) -> Container:
    settings = store.settings.model_copy(update={"robots": [RobotConfig(kind="dingtalk", url=url)],
                                                 "robot_timeout_s": 0.5})
    return build(settings, engine=store.engine, session_factory=store.session_factory)


def _outbox(store: Container) -> list[tuple[int, bool, bool, str | None]]:
    """(attempts, sent, failed, last_error) of every robot message, oldest first."""
    with store.read() as s:
        return [(m.attempts, m.sent_at is not None, m.failed_at is not None, m.last_error)
                for m in s.query(RobotMessage).order_by(RobotMessage.id)]


def _warn_about_sh1(container: Container, org: Org) -> None:
    with container.uow() as uow:
        uow.queue(ChurnRiskRaised(3, org.acc_sh1, "上海客户甲", org.sh1, 0.81, (), None))
        uow.commit()


def test_robot_messages_wait_in_the_outbox_and_the_job_posts_each_once(store: Container, org: Org, hook: Hook) -> None:
    container = _with_robot(store, hook.url)
    woken: list[int] = []
    assert container.notifier is not None
    container.notifier.wake = lambda: woken.append(1)
    _warn_about_sh1(container, org)
    now = datetime.now(UTC)  # the outbox row was written at the real time
    assert hook.received == [] and woken == [1]  # the commit waited for no robot; the job was woken
    assert _outbox(store) == [(0, False, False, None)]
    assert run_job(container, "integrations.robots", now) == {"sent": 1, "retrying": 0, "failed": 0}
    [(_path, body)] = hook.received
    assert "· 张三：" in body["text"]["content"] and "上海客户甲" in body["text"]["content"]  # the rep, by name
    assert run_job(container, "integrations.robots", now) == {"sent": 0, "retrying": 0, "failed": 0}
    assert len(hook.received) == 1 and _outbox(store) == [(1, True, False, None)]


def test_a_refused_message_is_retried_after_its_backoff_until_the_robot_accepts_it(
    store: Container, org: Org, hook: Hook
) -> None:
    container = _with_robot(store, hook.url)
    hook.answer = {"errcode": 310000, "errmsg": "keywords not in content"}
    _warn_about_sh1(container, org)
    now = datetime.now(UTC)  # the outbox row was written at the real time
    assert run_job(container, "integrations.robots", now)["retrying"] == 1
    [(attempts, sent, failed, error)] = _outbox(store)
    assert (attempts, sent, failed) == (1, False, False) and "keywords not in content" in (error or "")
    early = now + timedelta(minutes=RETRY_MINUTES[0]) - timedelta(seconds=1)
    assert run_job(container, "integrations.robots", early) == {"sent": 0, "retrying": 0, "failed": 0}
    hook.answer = {"errcode": 0, "errmsg": "ok"}
    assert run_job(container, "integrations.robots", early + timedelta(seconds=1))["sent"] == 1
    assert _outbox(store) == [(2, True, False, None)]
    assert len(hook.received) == 2


def test_a_robot_that_stays_down_is_given_up_after_the_last_attempt(store: Container, org: Org) -> None:
    container = _with_robot(store, "http://127.0.0.1:9/robot/send")
    _warn_about_sh1(container, org)
    now = datetime.now(UTC)  # the outbox row was written at the real time
    at = now
    for wait in RETRY_MINUTES:
        assert run_job(container, "integrations.robots", at) == {"sent": 0, "retrying": 1, "failed": 0}
        at += timedelta(minutes=wait)
    assert run_job(container, "integrations.robots", at) == {"sent": 0, "retrying": 0, "failed": 1}
    [(attempts, sent, failed, error)] = _outbox(store)
    assert (attempts, sent, failed) == (MAX_ATTEMPTS, False, True) and (error or "").startswith("unreachable")
    assert run_job(container, "integrations.robots", at + timedelta(days=1))["failed"] == 0  # never again


def test_a_message_for_a_robot_no_longer_configured_is_given_up_at_once(store: Container, org: Org) -> None:
    _warn_about_sh1(_with_robot(store, "https://oapi.dingtalk.com/robot/send?access_token=old"), org)
    now = datetime.now(UTC)
    assert run_job(store, "integrations.robots", now) == {"sent": 0, "retrying": 0, "failed": 1}
    assert _outbox(store) == [(1, False, True, "robot no longer configured")]

def test_each_person_reads_and_marks_only_their_own(store: Container, org: Org) -> None:
    with store.uow() as uow:
        for i in range(3):
            uow.queue(ChurnRiskRaised(i + 1, org.acc_sh1, f"客户{i + 1}", org.sh1, 0.8, (), None))
        uow.queue(ChurnRiskRaised(9, org.acc_bj1, "北京客户乙", org.bj1, 0.8, (), None))
        uow.commit()
    sh1, bj1, admin = _principal(store, "sh1"), _principal(store, "bj1"), _principal(store, "admin")
    with store.read() as s:
        newest_first = queries.list_mine(s, sh1)
        assert [n.params["account"] for n in newest_first] == ["客户3", "客户2", "客户1"]
        assert [n.params["account"] for n in queries.list_mine(s, sh1, limit=2, offset=1)] == ["客户2", "客户1"]
        assert (queries.unread_count(s, sh1), queries.unread_count(s, bj1), queries.unread_count(s, admin)) == (3, 1, 0)
        assert queries.list_mine(s, admin) == []  # a login without a person has no inbox
        [theirs] = queries.list_mine(s, bj1)
    with store.uow() as uow, pytest.raises(NotFound):
        service.mark_read(uow, sh1, theirs.id, now=NOW)
    with store.uow() as uow:
        service.mark_read(uow, sh1, newest_first[0].id, now=NOW)
        service.mark_read(uow, sh1, newest_first[0].id, now=NOW + timedelta(hours=1))  # idempotent
        uow.commit()
    with store.read() as s:
        assert [n.params["account"] for n in queries.list_mine(s, sh1, unread_only=True)] == ["客户2", "客户1"]
        assert queries.get_mine(s, sh1, newest_first[0].id).read_at == NOW  # type: ignore[union-attr]
        assert queries.get_mine(s, sh1, theirs.id) is None
    with store.uow() as uow:
        assert service.mark_all_read(uow, sh1, now=NOW) == 2
        uow.commit()
    with store.read() as s:
        assert (queries.unread_count(s, sh1), queries.unread_count(s, bj1)) == (0, 1)
