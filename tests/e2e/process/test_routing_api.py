"""Routing through the API on both stores: a web-form lead is routed at once with its
explanation, policies and rep settings are configurable, and the simulator previews a
draft policy without writing anything."""

from __future__ import annotations

from tests.e2e.process.conftest import ProcessApi


def _lead(api: ProcessApi, user: str = "ops", **body: object):  # type: ignore[no-untyped-def]
    return api.client.post("/api/v1/routing/leads", json={"company_name": "浦东新线索", **body}, headers=api.h(user))


def test_a_high_score_lead_from_shanghai_goes_to_the_elite_rep_of_east_china_with_the_reason(papi: ProcessApi) -> None:
    r = _lead(papi, province="上海", score="90")
    assert r.status_code == 201, r.text
    a = r.json()["assignment"]
    assert a["person_id"] == papi.p.org.hz1
    assert a["outcome"] == "assigned"
    assert a["queue"] == f"team:{papi.p.org.east}"
    assert a["explanation"] == "匹配区域 华东；线索评分 90.00 ≥ 80，优先精英销售；负载最低 0/40"
    assert a["explanation_en"] == "matched territory 华东, score 90.00 ≥ 80 → elite reps first, lowest load 0/40"
    lead = papi.client.get("/api/v1/leads", headers=papi.h("admin")).json()
    assert [x["owner_id"] for x in lead if x["id"] == r.json()["lead_id"]] == [papi.p.org.hz1]


def test_a_lead_of_an_existing_customer_goes_to_the_customers_owner(papi: ProcessApi) -> None:
    a = _lead(papi, province="上海", account_id=papi.p.org.acc_bj1).json()["assignment"]
    assert (a["person_id"], a["outcome"], a["explanation"]) == (papi.p.org.bj1, "owner", "老客户，归属负责人 孙六")


def test_a_low_score_lead_is_parked_in_the_automated_outreach_queue(papi: ProcessApi) -> None:
    a = _lead(papi, province="北京", score="10").json()["assignment"]
    assert (a["person_id"], a["outcome"], a["queue"]) == (None, "automated", "automated_outreach")
    assert a["explanation"] == "匹配区域 华北；线索评分 10.00 < 20，进入自动培育队列"


def test_people_on_leave_are_skipped(papi: ProcessApi) -> None:
    r = papi.client.post("/api/v1/routing/leaves", headers=papi.h("east_mgr"), json={
        "person_id": papi.p.org.hz1, "first_day": "2020-01-01", "last_day": "2099-12-31", "reason": "产假"})
    assert r.status_code == 201
    a = _lead(papi, province="上海", score="90").json()["assignment"]
    assert a["person_id"] in (papi.p.org.sh1, papi.p.org.sh2)
    assert "无可用精英销售，放宽" in a["explanation"]


def test_a_rep_may_not_route_or_configure(papi: ProcessApi) -> None:
    assert _lead(papi, "sh1", province="上海").status_code == 403
    assert papi.client.put("/api/v1/routing/policies", json={"sla_hours": 4}, headers=papi.h("east_mgr")
                           ).status_code == 403


def test_the_simulator_previews_a_draft_policy_without_writing(papi: ProcessApi) -> None:
    before = papi.client.get("/api/v1/leads", headers=papi.h("admin")).json()
    r = papi.client.post("/api/v1/routing/simulate", headers=papi.h("ops"), json={
        "start": "2026-10-01", "end": "2026-11-01", "policy": {"steps": ["territory", "round_robin"]}})
    assert r.status_code == 200, r.text
    sim = r.json()
    assert sim["leads"] == 2
    assert sim["by_outcome"] == {"assigned": 2}
    assert papi.client.get("/api/v1/leads", headers=papi.h("admin")).json() == before


def test_policies_round_trip_and_version(papi: ProcessApi) -> None:
    h = papi.h("ops")
    body = {"steps": ["account_owner", "territory", "round_robin"], "sla_hours": 4, "team_id": papi.p.org.east}
    assert papi.client.put("/api/v1/routing/policies", json=body, headers=h).json() == {"version": 1}
    assert papi.client.put("/api/v1/routing/policies", json=body, headers=h).json() == {"version": 2}
    saved = papi.client.get("/api/v1/routing/policies", headers=h).json()
    assert [(p["team_id"], p["steps"], p["sla_hours"]) for p in saved] == [
        (None, ["account_owner", "territory", "score", "industry", "product", "capacity"], 24),
        (papi.p.org.east, ["account_owner", "territory", "round_robin"], 4),
    ]
    bad = papi.client.put("/api/v1/routing/policies", json={"low_score": 90, "high_score": 10}, headers=h)
    assert bad.status_code == 400
    assert bad.json()["detail"] == "scores must satisfy 0 ≤ low ≤ high ≤ 100"
