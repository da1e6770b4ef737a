"""The role × endpoint matrix, generated from one table: allowed roles get an answer,
denied roles get 403 and change nothing, anonymous callers get 401."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chanli.core.auth import PERMISSIONS, Role
from tests.e2e.api.conftest import Api

ROLE_USER = {
    Role.ADMIN: "admin",
    Role.SALES_OPS: "ops",
    Role.COMP_ADMIN: "comp",
    Role.FINANCE: "finance",
    Role.MANAGER: "east_mgr",
    Role.REP: "sh1",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    action: str
    body: Callable[[Api], dict[str, Any]] | None = None
    ok: int = 200


ENDPOINTS = [
    Endpoint("GET", "/api/v1/me", "org.read"),
    Endpoint("GET", "/api/v1/teams", "org.read"),
    Endpoint("POST", "/api/v1/teams", "org.write", lambda a: {"name": "新团队", "parent_id": a.org.east}, 201),
    Endpoint("GET", "/api/v1/people", "org.read"),
    Endpoint("POST", "/api/v1/people", "org.write", lambda a: {"name": "新人甲", "team_id": a.org.shanghai}, 201),
    Endpoint("GET", "/api/v1/mentorships", "org.read"),
    Endpoint(
        "POST",
        "/api/v1/mentorships",
        "org.write",
        lambda a: {
            "mentor_id": a.org.hz1,
            "apprentice_id": a.org.sh2,
            "start_date": "2026-01-01",
            "override_rate": "0.08",
        },
        201,
    ),
    Endpoint("GET", "/api/v1/accounts", "crm.read"),
    Endpoint("POST", "/api/v1/accounts", "crm.write", lambda a: {"name": "新客户", "grade": "B"}, 201),
    Endpoint("GET", "/api/v1/leads", "crm.read"),
    Endpoint("POST", "/api/v1/leads", "crm.write", lambda a: {"company_name": "新线索", "source": "官网"}, 201),
    Endpoint("GET", "/api/v1/opportunities", "crm.read"),
    Endpoint("GET", "/api/v1/dashboard", "dashboard.read"),
    Endpoint(
        "POST",
        "/api/v1/users",
        "users.manage",
        lambda a: {"username": "newbie", "password": "newbie-pass-1", "role": "finance"},
        201,
    ),
    Endpoint("GET", "/api/v1/audit", "audit.read"),
    Endpoint("GET", "/api/v1/targets/plans", "targets.read"),
    Endpoint(
        "POST",
        "/api/v1/targets/plans",
        "targets.plan",
        lambda a: {"metric": "won_revenue", "period": "2027", "value": "3000000", "owner": f"team:{a.org.east}"},
        201,
    ),
    Endpoint("POST", "/api/v1/targets/holidays/seed", "targets.configure"),
    Endpoint(
        "POST", "/api/v1/okr/objectives", "okr.write", lambda a: {"layer": "tactical", "title": "拜访十家标杆客户",
                                                                    "period": "2026-Q4"}, 201
    ),
    # process and routing
    Endpoint("GET", "/api/v1/process/pipeline", "process.read"),
    Endpoint("GET", "/api/v1/process/approvals", "process.read"),
    Endpoint(
        "POST", "/api/v1/process/orders", "approvals.request",
        lambda a: {"account_id": a.org.acc_sh1, "owner_id": a.org.sh1, "signed_on": "2026-11-20",
                   "lines": [{"quantity": "1", "list_price": "100000.00", "discount_rate": "0.05"}]}, 201,
    ),
    Endpoint(
        "POST",
        "/api/v1/process/trials",
        "approvals.request",
        lambda a: {"title": "社群裂变获客", "hypothesis": "老客户转介绍能带来高意向线索", "budget": "20000.00"},
        201,
    ),
    Endpoint("POST", "/api/v1/process/grading/run", "process.configure"),
    Endpoint("PUT", "/api/v1/routing/policies", "routing.configure", lambda a: {"sla_hours": 12}),
    Endpoint("POST", "/api/v1/routing/assign", "routing.assign", lambda a: {}),
    Endpoint("POST", "/api/v1/routing/leads", "routing.assign",
             lambda a: {"company_name": "表单线索", "province": "上海"}, 201),
    # compensation: actions that need a plan, a run or a line are checked before the lookup, so an
    # allowed role gets 404 for a missing object and a denied role 403 (tests/e2e/compensation
    # walks the same actions over real runs)
    Endpoint("GET", "/api/v1/comp/statements", "comp.read"),
    Endpoint("GET", "/api/v1/comp/runs", "comp.review"),
    Endpoint("GET", "/api/v1/comp/plans", "comp.review"),
    Endpoint("POST", "/api/v1/comp/plans", "comp.configure",
             lambda a: {"text": "plan: p\nversion: 1\neffective_from: 2026-01-01\ncomponents: [{kind: base_salary}]"},
             201),
    Endpoint("PUT", "/api/v1/comp/exchange-rates", "comp.facts",
             lambda a: {"period": "2026-10", "currency": "USD", "rate": "7.1"}),
    Endpoint("POST", "/api/v1/comp/runs", "comp.run", lambda a: {"plan": "no-such-plan", "period": "2026-10"}, 404),
    Endpoint("POST", "/api/v1/comp/runs/999999/approve", "comp.approve", None, 404),
    Endpoint("GET", "/api/v1/comp/payroll/exports", "comp.payroll"),
    Endpoint("POST", "/api/v1/comp/disputes", "comp.dispute",
             lambda a: {"line_id": 999999, "comment": "底薪不对"}, 404),
    Endpoint("POST", "/api/v1/comp/disputes/999999/resolve", "comp.resolve",
             lambda a: {"accept": False, "reason": "无误"}, 404),
    Endpoint("POST", "/api/v1/comp/awards", "comp.award",
             lambda a: {"person_id": 999999, "amount": "500.00", "reason": "快速响应"}, 404),
    Endpoint("POST", "/api/v1/comp/awards/999999/decide", "comp.award.approve", lambda a: {"approve": True}, 404),
    Endpoint("POST", "/api/v1/comp/redemptions", "comp.redeem", lambda a: {"item_id": 999999}, 404),
    # insight: reads are scoped; an intervention is checked before the warning is looked up
    Endpoint("GET", "/api/v1/insight/churn/warnings", "insight.read"),
    Endpoint("GET", "/api/v1/insight/warroom", "insight.warroom"),
    Endpoint("POST", "/api/v1/insight/calls/analyse", "insight.train", lambda a: {}),
    Endpoint("POST", "/api/v1/insight/competitors/events", "insight.configure",
             lambda a: {"competitor": "云帆CRM", "happened_on": "2026-10-08", "kind": "price_cut",
                        "description": "全线降价20%"}, 201),
    Endpoint("POST", "/api/v1/insight/churn/warnings/999999/interventions", "insight.intervene",
             lambda a: {"kind": "call", "note": "电话关怀"}, 404),
    # notifications: everyone has an inbox (rows: their own; a missing or foreign notice is 404)
    Endpoint("GET", "/api/v1/notifications", "notifications.read"),
    Endpoint("GET", "/api/v1/notifications/unread-count", "notifications.read"),
    Endpoint("POST", "/api/v1/notifications/read-all", "notifications.read"),
    Endpoint("POST", "/api/v1/notifications/999999/read", "notifications.read", None, 404),
]

CASES = [(e, role) for e in ENDPOINTS for role in Role]


def _audit_count(api: Api) -> int:
    return len(api.client.get("/api/v1/audit?limit=1000", headers=api.token("admin")).json())


@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e.method} {e.path} as {r.value}" for e, r in CASES])
def test_role_matrix(api: Api, endpoint: Endpoint, role: Role) -> None:
    allowed = role in PERMISSIONS[endpoint.action]
    before = _audit_count(api)
    body = endpoint.body(api) if endpoint.body else None
    r = api.client.request(endpoint.method, endpoint.path, json=body, headers=api.token(ROLE_USER[role]))
    if allowed:
        assert r.status_code == endpoint.ok, r.text
    else:
        assert r.status_code == 403, r.text
        assert "may not" in r.json()["detail"]
        assert _audit_count(api) == before, "a refused call must not change anything"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.method} {e.path}" for e in ENDPOINTS])
def test_anonymous_callers_are_asked_to_log_in(api: Api, endpoint: Endpoint) -> None:
    body = endpoint.body(api) if endpoint.body else None
    r = api.client.request(endpoint.method, endpoint.path, json=body)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
