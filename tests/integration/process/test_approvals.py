"""Approval routing up the org tree on both stores: the right person decides at each level,
nobody decides their own request, and undecided requests climb to the director.

    产力科技 (manager 周总监, director) ─ 华东大区 (王经理; 吴方案, solution) ─ 上海一组 (张三)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chanli.bootstrap import Container
from chanli.core.auth import Forbidden
from chanli.crm import model as crm
from chanli.org import JobRole
from chanli.org import queries as org_queries
from chanli.org import service as org_service
from chanli.process import ApprovalRequested, TrialDraft, service
from tests.factories import Org, create_person

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _principal(store: Container, username: str):  # type: ignore[no-untyped-def]
    with store.read() as s:
        return org_service.principal_for_user(s, org_queries.user_by_username(s, username))  # type: ignore[arg-type]


def _order(price: str, rate: str, org: Org) -> crm.OrderDraft:
    return crm.OrderDraft(account_id=org.acc_sh1, owner_id=org.sh1, signed_on=date(2026, 11, 20),
                          lines=(crm.OrderLineDraft(Decimal(1), Decimal(price), Decimal(rate)),))


@pytest.fixture
def org(store: Container) -> tuple[Org, int, int]:
    with store.uow() as uow:
        org = Org(uow)
        director = create_person(uow, org.company, "周总监", job_role=JobRole.DIRECTOR)
        solution = create_person(uow, org.east, "吴方案", job_role=JobRole.SOLUTION)
        uow.commit()
    return org, director, solution


def test_each_level_is_routed_to_the_right_person(store: Container, org: tuple[Org, int, int]) -> None:
    o, director, solution = org
    sh1 = _principal(store, "sh1")
    told: list[ApprovalRequested] = []
    store.bus.register(ApprovalRequested, told.append)
    with store.uow() as uow:
        big_discount = service.create_order(uow, sh1, _order("4000000.00", "0.15", o), now=NOW)
        big_order = service.create_order(uow, sh1, _order("1200000.00", "0.10", o), now=NOW)
        uow.commit()
    with store.read() as s:
        from chanli.process import queries

        by_id = {a.id: a for a in queries.list_approvals(s, sh1)}
    assert [(by_id[i].kind, by_id[i].level, by_id[i].assignee_person_id) for i in big_discount.approval_ids] == [
        ("discount", "director", director), ("compliance_review", "delivery", solution)]
    assert [(by_id[i].kind, by_id[i].level, by_id[i].assignee_person_id) for i in big_order.approval_ids] == [
        ("discount", "manager", o.east_mgr), ("compliance_review", "delivery", solution)]
    assert sorted(e.assignee_person_id for e in told) == sorted([director, solution, o.east_mgr, solution])


def test_nobody_decides_their_own_request(store: Container, org: tuple[Org, int, int]) -> None:
    _, director, _ = org
    east_mgr = _principal(store, "east_mgr")
    with store.uow() as uow:
        trial = service.propose_trial(uow, east_mgr, TrialDraft("门店快闪", "快闪店能带来到店线索", Decimal(30_000)),
                                      now=NOW)
        uow.commit()
    with store.read() as s:
        from chanli.process import queries

        [req] = queries.list_approvals(s, east_mgr)
    assert (req.level, req.assignee_person_id) == ("manager", director)  # his own manager is above him
    with store.uow() as uow, pytest.raises(Forbidden, match="cannot be decided by the person who filed it"):
        service.decide(uow, east_mgr, req.id, approve=True, now=NOW)
    assert trial.status == "proposed"


def test_an_undecided_request_climbs_to_the_director_then_the_back_office(
    store: Container, org: tuple[Org, int, int]
) -> None:
    o, director, _ = org
    with store.uow() as uow:
        out = service.create_order(uow, _principal(store, "sh1"), _order("400000.00", "0.12", o), now=NOW)
        uow.commit()
    [req_id] = out.approval_ids
    levels = []
    for hours in (49, 98, 147):
        with store.uow() as uow:
            service.escalate_overdue(uow, now=NOW + timedelta(hours=hours))
            uow.commit()
        with store.read() as s:
            from chanli.process import queries

            row = queries.get_approval(s, _principal(store, "admin"), req_id)
            assert row is not None
            levels.append((row.level, row.assignee_person_id))
    assert levels == [("director", director), ("admin", None), ("admin", None)]
    with store.uow() as uow, pytest.raises(Forbidden, match="assigned to someone else"):
        service.decide(uow, _principal(store, "east_mgr"), req_id, approve=True, now=NOW)
