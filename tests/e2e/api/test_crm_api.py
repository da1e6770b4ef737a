"""CRM through the API: scope answers 404, bad input answers 4xx with a message, and money
changes leave an audit trail."""

from __future__ import annotations

from tests.e2e.api.conftest import Api


def test_a_rep_cannot_see_or_touch_another_teams_records(api: Api) -> None:
    rep = api.token("sh1")
    theirs = api.org.order_bj1
    assert (
        api.client.post(
            f"/api/v1/orders/{theirs}/cancel", json={"on": "2026-10-20", "reason": "test"}, headers=rep
        ).status_code
        == 404
    )
    assert (
        api.client.post(
            "/api/v1/payments", json={"order_id": theirs, "amount": "10.00", "received_on": "2026-10-20"}, headers=rep
        ).status_code
        == 404
    )
    r = api.client.post("/api/v1/accounts", json={"name": "给别人建的客户", "owner_id": api.org.bj1}, headers=rep)
    assert r.status_code == 404
    assert [a["name"] for a in api.client.get("/api/v1/accounts", headers=rep).json()] == ["上海客户甲"]


def test_order_created_through_the_api_is_exact_and_its_cancellation_is_audited(api: Api) -> None:
    mgr = api.token("east_mgr")
    body = {
        "account_id": api.org.acc_sh1,
        "owner_id": api.org.sh1,
        "signed_on": "2026-10-21",
        "lines": [{"quantity": "3", "list_price": "33.33", "discount_rate": "0.125"}],
    }
    r = api.client.post("/api/v1/orders", json=body, headers=mgr)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["net_amount"] == "87.49"
    r = api.client.post(
        f"/api/v1/orders/{order['id']}/cancel", json={"on": "2026-10-25", "reason": "客户撤单"}, headers=mgr
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    again = api.client.post(
        f"/api/v1/orders/{order['id']}/cancel", json={"on": "2026-10-26", "reason": "重复"}, headers=mgr
    )
    assert again.status_code == 422
    assert "already cancelled" in again.json()["detail"]
    trail = api.client.get(
        f"/api/v1/audit?object_type=order&object_id={order['id']}", headers=api.token("finance")
    ).json()
    assert trail[0]["action"] == "order.cancel"
    assert trail[0]["before"] == {"status": "active", "cancelled_on": None}
    assert trail[0]["after"] == {"status": "cancelled", "cancelled_on": "2026-10-25"}
    assert trail[0]["actor_name"] == "east_mgr" and trail[0]["reason"] == "客户撤单"


def test_invalid_input_gets_a_4xx_naming_the_field_never_a_500(api: Api) -> None:
    admin = api.token("admin")
    bad_rate = api.client.post(
        "/api/v1/mentorships",
        json={
            "mentor_id": api.org.hz1,
            "apprentice_id": api.org.sh2,
            "start_date": "2026-01-01",
            "override_rate": "0.2",
        },
        headers=admin,
    )
    assert bad_rate.status_code == 422 and "outside 0.05–0.10" in bad_rate.json()["detail"]
    no_lines = api.client.post(
        "/api/v1/orders",
        json={"account_id": api.org.acc_sh1, "owner_id": api.org.sh1, "signed_on": "2026-10-21", "lines": []},
        headers=admin,
    )
    assert no_lines.status_code == 422 and "lines" in no_lines.json()["detail"]
    bad_date = api.client.post(
        "/api/v1/payments",
        json={"order_id": api.org.order_sh1, "amount": "1", "received_on": "2026-02-30"},
        headers=admin,
    )
    assert bad_date.status_code == 422 and "received_on" in bad_date.json()["detail"]
    missing_parent = api.client.post("/api/v1/teams", json={"name": "孤儿", "parent_id": 99999}, headers=admin)
    assert missing_parent.status_code == 404 and "99999" in missing_parent.json()["detail"]
    dup_user = api.client.post(
        "/api/v1/users", json={"username": "sh1", "password": "whatever-123", "role": "finance"}, headers=admin
    )
    assert dup_user.status_code == 422 and "already exists" in dup_user.json()["detail"]
    not_json = api.client.post("/api/v1/teams", content=b"{nope", headers={**admin, "content-type": "application/json"})
    assert not_json.status_code == 422
    lost_without_reason = api.client.post(
        "/api/v1/opportunities", json={"name": "商机A", "owner_id": api.org.sh1, "amount": "50000"}, headers=admin
    )
    assert lost_without_reason.status_code == 201
    opp = lost_without_reason.json()["id"]
    r = api.client.post(f"/api/v1/opportunities/{opp}/stage", json={"to_stage": "lost"}, headers=admin)
    assert r.status_code == 422 and "lost reason" in r.json()["detail"]


def test_moving_an_opportunity_keeps_its_stage_history(api: Api) -> None:
    rep = api.token("sh1")
    r = api.client.post("/api/v1/opportunities", json={"name": "上海大单", "amount": "300000.00"}, headers=rep)
    opp = r.json()["id"]
    assert r.json()["owner_id"] == api.org.sh1
    for stage in ("discovery", "proposal", "won"):
        assert (
            api.client.post(f"/api/v1/opportunities/{opp}/stage", json={"to_stage": stage}, headers=rep).status_code
            == 200
        )
    detail = api.client.get(f"/api/v1/opportunities/{opp}", headers=rep).json()
    assert [(h["from_stage"], h["to_stage"]) for h in detail["stage_history"]] == [
        (None, "prospecting"),
        ("prospecting", "discovery"),
        ("discovery", "proposal"),
        ("proposal", "won"),
    ]
    assert detail["opportunity"]["status"] == "won" and detail["opportunity"]["probability"] == "1.000000"
    assert api.client.get(f"/api/v1/opportunities/{opp}", headers=api.token("bj1")).status_code == 404


def test_a_revoked_login_stops_working_and_the_login_endpoint_refuses_bad_passwords(api: Api) -> None:
    r = api.client.post("/api/v1/auth/token", data={"username": "sh1", "password": "nope-nope"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong username or password"
    forged = {"Authorization": "Bearer abc.def"}
    assert api.client.get("/api/v1/me", headers=forged).status_code == 401
    me = api.client.get("/api/v1/me", headers=api.token("east_mgr")).json()
    assert me["role"] == "manager" and me["visible_team_ids"] == sorted(
        [api.org.east, api.org.shanghai, api.org.hangzhou]
    )


def test_dashboard_figures_follow_the_callers_scope(api: Api) -> None:
    q = "?start=2026-01-01&end=2027-01-01"
    north = api.client.get("/api/v1/dashboard" + q, headers=api.token("north_mgr")).json()
    admin = api.client.get("/api/v1/dashboard" + q, headers=api.token("admin")).json()
    assert (north["won_total"], admin["won_total"]) == ("80000.00", "200000.00")
    bad = api.client.get("/api/v1/dashboard?start=2027-01-01&end=2026-01-01", headers=api.token("admin"))
    assert bad.status_code == 400 and "end must be after start" in bad.json()["detail"]
