"""Who sees what: the scope rules every page and endpoint relies on, on both stores."""

from __future__ import annotations

from chanli.core.auth import Role
from chanli.crm import queries as crm_queries
from chanli.org import queries as org_queries
from chanli.org import service as org_service
from tests.factories import Org


def _principal(store, username):  # type: ignore[no-untyped-def]
    with store.read() as s:
        return org_service.principal_for_user(s, org_queries.user_by_username(s, username))


def test_manager_sees_people_of_their_whole_subtree_and_no_one_else(store):  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    east = _principal(store, "east_mgr")
    assert east.role is Role.MANAGER
    assert east.visible_team_ids == {org.east, org.shanghai, org.hangzhou}
    with store.read() as s:
        names = {p.name for p in org_queries.list_people(s, east)}
    assert names == {"王经理", "张三", "李四", "钱五"}


def test_rep_sees_only_their_own_accounts_and_orders(store):  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    rep = _principal(store, "sh1")
    with store.read() as s:
        accounts = crm_queries.list_accounts(s, rep)
        assert [a.name for a in accounts] == ["上海客户甲"]
        assert crm_queries.get_order(s, rep, org.order_bj1) is None
        assert crm_queries.get_order(s, rep, org.order_sh1) is not None
        people = org_queries.list_people(s, rep)
    assert [p.name for p in people] == ["张三"]


def test_back_office_sees_everything_and_dashboard_totals_follow_scope(store):  # type: ignore[no-untyped-def]
    from datetime import date

    with store.uow() as uow:
        Org(uow)
        uow.commit()
    finance = _principal(store, "finance")
    north = _principal(store, "north_mgr")
    assert finance.sees_all
    with store.read() as s:
        everyone = crm_queries.dashboard(s, finance, date(2026, 1, 1), date(2027, 1, 1))
        north_only = crm_queries.dashboard(s, north, date(2026, 1, 1), date(2027, 1, 1))
    assert str(everyone.won_total) == "200000.00"
    assert str(north_only.won_total) == "80000.00"
    assert [r.name for r in north_only.top_reps] == ["孙六"]
    october = next(m for m in everyone.monthly if m.month == "2026-10")
    assert str(october.won) == "200000.00"
