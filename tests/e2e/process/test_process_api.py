"""Process through the API on both stores: gates answer with what is missing, managers
override with a reason, orders go through the discount authority matrix and the compliance
review, and the innovation trial fund tracks spend against its budget."""

from __future__ import annotations

from decimal import Decimal

from chanli.core.audit import entries
from tests.e2e.process.conftest import ProcessApi

SPIN_ALL = {"s1": "现用 Excel，月处理 3 万单", "p1": "对账慢且常出错", "i1": "每月多花 20 人天，回款延迟",
            "n1": "对账提速 80%"}


def _move(api: ProcessApi, opp: int, to: str, user: str = "sh1", **extra: str):  # type: ignore[no-untyped-def]
    return api.client.post(f"/api/v1/process/opportunities/{opp}/move", json={"to_stage": to, **extra},
                           headers=api.h(user))


def test_moving_forward_without_the_deliverable_is_refused_with_the_list_of_what_is_missing(papi: ProcessApi) -> None:
    r = _move(papi, papi.p.sh_platform, "proposal")
    assert r.status_code == 422
    issues = r.json()["issues"]
    assert [(i["code"], i["column"]) for i in issues] == [
        ("gate.deliverable", "needs_analysis"),
        ("gate.spin", "situation"), ("gate.spin", "problem"), ("gate.spin", "implication"),
        ("gate.spin", "need_payoff"),
    ]
    assert issues[0]["message"] == "缺少交付物《客户需求分析模板》（需求挖掘）"
    detail = papi.client.get(f"/api/v1/opportunities/{papi.p.sh_platform}", headers=papi.h("sh1")).json()
    assert detail["opportunity"]["stage"] == "discovery"


def test_with_the_deliverable_and_spin_answers_the_deal_moves_and_the_crm_stage_follows(papi: ProcessApi) -> None:
    opp = papi.p.sh_platform
    h = papi.h("sh1")
    r = papi.client.post(f"/api/v1/process/opportunities/{opp}/checklist", headers=h, json={
        "stage_key": "discovery", "item_kind": "deliverable", "item_key": "needs_analysis", "note": "见附件"})
    assert r.json() == {"changed": True}
    assert papi.client.put(f"/api/v1/process/opportunities/{opp}/spin", headers=h,
                           json={"answers": SPIN_ALL}).json() == {"changed": 4}
    gate = papi.client.get(f"/api/v1/process/opportunities/{opp}/gate?to_stage=proposal", headers=h).json()
    assert gate == {"from_stage": "discovery", "to_stage": "proposal", "ok": True, "missing": []}
    r = _move(papi, opp, "proposal")
    assert r.status_code == 200, r.text
    assert r.json() == {"opportunity_id": opp, "from_stage": "discovery", "to_stage": "proposal",
                        "crm_stage": "proposal", "overridden": False, "missing": []}
    detail = papi.client.get(f"/api/v1/opportunities/{opp}", headers=h).json()
    assert detail["opportunity"]["stage"] == "proposal"
    view = papi.client.get(f"/api/v1/process/opportunities/{opp}", headers=h).json()
    assert view["stage_key"] == "proposal"
    assert [m["key"] for m in view["next_gate"]["missing"]] == ["product_id", "solution_proposal"]


def test_a_manager_overrides_a_gate_with_a_reason_and_the_audit_keeps_what_was_missing(papi: ProcessApi) -> None:
    opp = papi.p.sh_platform
    refused = _move(papi, opp, "proposal", "sh1", override_reason="客户催得急")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "role rep may not process.override (only managers may skip a gate)"
    no_reason = _move(papi, opp, "proposal", "east_mgr", override_reason=" ")
    assert no_reason.status_code == 422
    r = _move(papi, opp, "proposal", "east_mgr", override_reason="客户已口头确认需求，补材料中")
    assert r.status_code == 200, r.text
    assert r.json()["overridden"] is True
    assert [m["key"] for m in r.json()["missing"]] == ["needs_analysis", "situation", "problem", "implication",
                                                       "need_payoff"]
    with papi.store.read() as s:
        entry = entries(s, object_type="opportunity", object_id=str(opp), limit=5)[0]
        assert entry.action == "opportunity.gate_override"
        assert entry.reason == "客户已口头确认需求，补材料中"
        assert entry.actor_name == "east_mgr"
        assert len(entry.after["missing"]) == 5


def test_a_deal_can_be_lost_from_any_stage_but_needs_a_reason(papi: ProcessApi) -> None:
    opp = papi.p.hz_stores
    assert _move(papi, opp, "lost", "admin").status_code == 422
    r = _move(papi, opp, "lost", "admin", lost_reason="预算取消")
    assert r.status_code == 200
    assert r.json()["crm_stage"] == "lost"
    assert _move(papi, opp, "proposal", "admin").json()["detail"] == f"opportunity {opp} is already lost"


def test_a_rep_cannot_move_a_deal_outside_their_scope(papi: ProcessApi) -> None:
    r = _move(papi, papi.p.bj_group, "contract", "sh1")
    assert r.status_code == 404


def test_the_kanban_puts_each_open_deal_in_its_playbook_column(papi: ProcessApi) -> None:
    board = papi.client.get("/api/v1/process/pipeline", headers=papi.h("admin")).json()
    assert board["playbook"] == "标准销售流程"
    assert [(c["name"], [x["name"] for x in c["cards"]]) for c in board["columns"]] == [
        ("线索获取", []), ("客户分级", []), ("需求挖掘", ["上海数据平台"]), ("方案", ["杭州门店系统"]),
        ("商务谈判", ["北京集团采购"]), ("签约", []),
    ]
    mine = papi.client.get("/api/v1/process/pipeline", headers=papi.h("sh1")).json()
    assert sum(len(c["cards"]) for c in mine["columns"]) == 1


# --- orders through the authority matrix ------------------------------------------------------


def _order(api: ProcessApi, user: str, price: str, rate: str, **extra: object):  # type: ignore[no-untyped-def]
    body = {"account_id": api.p.org.acc_sh1, "owner_id": api.p.org.sh1, "signed_on": "2026-11-20",
            "lines": [{"quantity": "1", "list_price": price, "discount_rate": rate}], **extra}
    return api.client.post("/api/v1/process/orders", json=body, headers=api.h(user))


def test_an_order_within_the_reps_own_authority_is_created_at_once(papi: ProcessApi) -> None:
    r = _order(papi, "sh1", "100000.00", "0.05")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] is True
    assert body["authority"]["level"] == "rep"
    assert Decimal(body["authority"]["concession"]) == Decimal("5000.00")
    assert Decimal(body["authority"]["net_amount"]) == Decimal("95000.00")


def test_a_bigger_discount_waits_for_the_regional_manager_and_only_they_may_approve(papi: ProcessApi) -> None:
    r = _order(papi, "sh1", "400000.00", "0.12")
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["created"] is False
    assert out["authority"]["level"] == "manager"
    assert out["authority"]["reasons"][0] == "concession ¥48,000.00 exceeds the rep limit ¥20,000"
    [approval_id] = out["approval_ids"]
    approval = papi.client.get(f"/api/v1/process/approvals/{approval_id}", headers=papi.h("east_mgr")).json()
    assert approval["assignee_person_id"] == papi.p.org.east_mgr
    assert approval["level"] == "manager"
    assert approval["status"] == "pending"

    own = papi.client.post(f"/api/v1/process/approvals/{approval_id}/approve", headers=papi.h("sh1"))
    assert own.status_code == 403
    other = papi.client.post(f"/api/v1/process/approvals/{approval_id}/approve", headers=papi.h("north_mgr"))
    assert other.status_code == 404  # another region's request is not even visible
    no_comment = papi.client.post(f"/api/v1/process/approvals/{approval_id}/reject", headers=papi.h("east_mgr"))
    assert no_comment.status_code == 422
    ok = papi.client.post(f"/api/v1/process/approvals/{approval_id}/approve", headers=papi.h("east_mgr"),
                          json={"comment": "战略客户，同意"})
    assert ok.status_code == 200, ok.text
    assert [(x["action"], x["actor_name"], x["comment"]) for x in ok.json()["steps"]] == [
        ("submit", "sh1", None), ("approve", "east_mgr", "战略客户，同意")]
    orders = papi.client.get(f"/api/v1/accounts/{papi.p.org.acc_sh1}", headers=papi.h("admin"))
    assert orders.status_code in (200, 404)  # the account endpoint is not the point; the order is:
    with papi.store.read() as s:
        from chanli.crm import queries as crm_queries

        rows = [r for r in crm_queries.export_rows(s, "order") if r["account_id"] == papi.p.org.acc_sh1]
    assert sorted(Decimal(r["net_amount"]) for r in rows) == [Decimal("120000.00"), Decimal("352000.00")]


def test_a_discount_above_every_level_is_refused_with_the_reasons(papi: ProcessApi) -> None:
    r = _order(papi, "sh1", "100000.00", "0.35")
    assert r.status_code == 422
    assert [i["message"] for i in r.json()["issues"]] == [
        "concession ¥35,000.00 exceeds the rep limit ¥20,000",
        "discount 35% on a line exceeds the rep limit 5%",
        "discount 35% on a line exceeds the manager limit 15%",
        "discount 35% on a line exceeds the director limit 30%",
        "no level of the authority matrix may grant this discount",
    ]


def test_an_order_above_the_compliance_threshold_needs_a_delivery_review_first(papi: ProcessApi) -> None:
    r = _order(papi, "sh1", "1200000.00", "0")
    assert r.status_code == 202
    [review_id] = r.json()["approval_ids"]
    review = papi.client.get(f"/api/v1/process/approvals/{review_id}", headers=papi.h("admin")).json()
    assert review["kind"] == "compliance_review"
    assert review["title"] == "交付/技术可行性评审：订单金额 ¥1,200,000.00"
    assert papi.client.post(f"/api/v1/process/approvals/{review_id}/approve", headers=papi.h("admin"),
                            json={"comment": "交付可行"}).status_code == 200
    with papi.store.read() as s:
        from chanli.crm import queries as crm_queries

        nets = sorted(Decimal(r["net_amount"]) for r in crm_queries.export_rows(s, "order"))
    assert Decimal("1200000.00") in nets


def test_overdue_approvals_escalate_to_the_next_level(papi: ProcessApi) -> None:
    from datetime import timedelta

    from chanli.core.db import utcnow
    from chanli.process import service

    out = _order(papi, "sh1", "400000.00", "0.12").json()
    [approval_id] = out["approval_ids"]
    with papi.store.uow() as uow:
        moved = service.escalate_overdue(uow, now=utcnow() + timedelta(hours=49))
        uow.commit()
    assert moved == [approval_id]
    row = papi.client.get(f"/api/v1/process/approvals/{approval_id}", headers=papi.h("admin")).json()
    assert row["level"] == "admin"  # no director above 王经理 in this company: the back office decides
    assert [s["action"] for s in row["steps"]] == ["submit", "escalate"]


# --- innovation trial fund --------------------------------------------------------------------


def test_a_trial_is_approved_spends_within_its_budget_and_closes_with_a_write_up(papi: ProcessApi) -> None:
    h = papi.h("sh1")
    trial = papi.client.post("/api/v1/process/trials", headers=h, json={
        "title": "抖音直播获客", "hypothesis": "直播能带来中小客户线索", "budget": "30000.00"}).json()
    assert trial["status"] == "proposed"
    inbox = papi.client.get("/api/v1/process/approvals?mine=true&status=pending", headers=papi.h("east_mgr")).json()
    [req] = [a for a in inbox if a["kind"] == "trial_fund"]
    early = papi.client.post(f"/api/v1/process/trials/{trial['id']}/spend", headers=h,
                             json={"amount": "1000.00", "spent_on": "2026-11-21"})
    assert early.status_code == 422
    assert papi.client.post(f"/api/v1/process/approvals/{req['id']}/approve", headers=papi.h("east_mgr"),
                            json={}).status_code == 200
    spent = papi.client.post(f"/api/v1/process/trials/{trial['id']}/spend", headers=h,
                             json={"amount": "25000.00", "spent_on": "2026-11-21", "note": "投放"}).json()
    assert Decimal(spent["spent"]) == Decimal("25000.00")
    over = papi.client.post(f"/api/v1/process/trials/{trial['id']}/spend", headers=h,
                            json={"amount": "6000.00", "spent_on": "2026-11-22"})
    assert over.status_code == 422
    assert over.json()["issues"][0]["message"] == (
        "spending ¥6,000.00 would exceed the budget: ¥5,000.00 of ¥30,000.00 left")
    closed = papi.client.post(f"/api/v1/process/trials/{trial['id']}/close", headers=h,
                              json={"outcome": "failed", "write_up": "线索量大但转化低，不再继续直播"}).json()
    assert (closed["status"], closed["outcome"]) == ("closed", "failed")
