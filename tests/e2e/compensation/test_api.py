"""The compensation API as comp admin, finance, a manager and a rep use it (SQLite store)."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from chanli.compensation.sample import SAMPLE_PLAN
from tests.e2e.compensation.conftest import Site


def test_plan_text_is_validated_with_every_problem_at_its_key_path(site: Site):
    bad = SAMPLE_PLAN.replace("rate: 3%", "rate: -3%").replace("upper: 110%, rate", "upper: 105%, rate")
    r = site.client.post("/api/v1/comp/plans/validate", json={"text": bad}, headers=site.token("comp"))
    assert r.status_code == 200
    assert [(i["column"], i["message"]) for i in r.json()["issues"]] == [
        ("components[2].tiers[1].lower", "leaves a gap after the previous band (105%)"),
        ("components[2].tiers[0].rate", "must not be negative"),
    ]
    saved = site.client.post("/api/v1/comp/plans", json={"text": bad}, headers=site.token("comp"))
    assert saved.status_code == 422
    assert [i["column"] for i in saved.json()["issues"]] == [
        "components[2].tiers[1].lower",
        "components[2].tiers[0].rate",
    ]


def test_a_run_goes_from_comp_admin_to_finance_and_the_rep_reads_every_line(site: Site):
    comp, finance = site.token("comp"), site.token("finance")
    run = site.client.post("/api/v1/comp/runs", json={"plan": "sales-standard", "period": "2026-10"}, headers=comp)
    assert run.status_code == 201, run.text
    body = run.json()
    assert (body["status"], body["statements"], body["total"], body["errors"]) == ("draft", 4, "50800.00", 0)
    run_id = body["run_id"]
    assert site.client.get("/api/v1/comp/statements", headers=site.token("sh1")).json() == []  # not approved yet
    assert site.client.post(f"/api/v1/comp/runs/{run_id}/approve", headers=comp).status_code == 403
    assert site.client.post(f"/api/v1/comp/runs/{run_id}/submit", headers=comp).json()["status"] == "submitted"
    assert site.client.post(f"/api/v1/comp/runs/{run_id}/approve", headers=finance).json()["status"] == "approved"
    again = site.client.post("/api/v1/comp/runs", json={"plan": "sales-standard", "period": "2026-10"}, headers=comp)
    assert again.status_code == 409  # a state conflict, not bad input
    assert "is locked" in again.json()["detail"]
    mine = site.client.get("/api/v1/comp/statements", headers=site.token("sh1")).json()
    assert [(s["person_name"], s["total"]) for s in mine] == [("张三", "12800.00")]
    detail = site.client.get(f"/api/v1/comp/statements/{mine[0]['id']}", headers=site.token("sh1")).json()
    assert [(ln["label"], ln["amount"]) for ln in detail["lines"]] == [
        ("基本工资", "12000.00"),
        ("绩效奖金", "0.00"),
        ("阶梯提成", "800.00"),
    ]
    assert sum(Decimal(ln["amount"]) for ln in detail["lines"]) == Decimal(detail["statement"]["total"])
    other = site.client.get("/api/v1/comp/statements", headers=finance).json()
    bj1 = next(s for s in other if s["person_name"] == "孙六")
    assert site.client.get(f"/api/v1/comp/statements/{bj1['id']}", headers=site.token("sh1")).status_code == 404
    review = site.client.get(f"/api/v1/comp/runs/{run_id}", headers=finance).json()
    assert [c["component_id"] for c in review["components"]] == ["base", "bonus", "over_quota"]
    book = load_workbook(io.BytesIO(site.client.get(f"/api/v1/comp/runs/{run_id}/export", headers=finance).content))
    assert book.sheetnames == ["明细单", "明细行"]
    assert book["明细行"].max_row == 1 + 12


def test_the_maker_cannot_approve_their_own_run_over_the_api(site: Site):
    admin = site.token("admin")
    run_id = site.client.post(
        "/api/v1/comp/runs", json={"plan": "sales-standard", "period": "2026-10"}, headers=admin
    ).json()["run_id"]
    site.client.post(f"/api/v1/comp/runs/{run_id}/submit", headers=admin)
    refused = site.client.post(f"/api/v1/comp/runs/{run_id}/approve", headers=admin)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"maker-checker: admin prepared run #{run_id}, so a different person must approve it "
        "(you may not approve your own run)"
    )


def test_a_rep_disputes_a_line_and_payroll_receives_the_chosen_columns(site: Site):
    comp, finance = site.token("comp"), site.token("finance")
    run_id = site.client.post(
        "/api/v1/comp/runs", json={"plan": "sales-standard", "period": "2026-10"}, headers=comp
    ).json()["run_id"]
    site.client.post(f"/api/v1/comp/runs/{run_id}/submit", headers=comp)
    site.client.post(f"/api/v1/comp/runs/{run_id}/approve", headers=finance)
    mine = site.client.get("/api/v1/comp/statements", headers=site.token("sh1")).json()[0]
    line = site.client.get(f"/api/v1/comp/statements/{mine['id']}", headers=site.token("sh1")).json()["lines"][1]
    opened = site.client.post(
        "/api/v1/comp/disputes",
        json={"line_id": line["id"], "comment": "回款已到，奖金应发"},
        headers=site.token("sh1"),
    )
    assert opened.status_code == 201
    resolved = site.client.post(
        f"/api/v1/comp/disputes/{opened.json()['id']}/resolve",
        json={"accept": True, "amount": "7200.00", "reason": "回款记录补录"},
        headers=comp,
    )
    assert resolved.json()["status"] == "accepted"
    paid = site.client.post(
        "/api/v1/comp/payroll/exports",
        json={"run_id": run_id, "columns": ["employee_no", "name", "total"], "format": "xlsx"},
        headers=finance,
    )
    assert paid.status_code == 201
    sheet = load_workbook(io.BytesIO(paid.content)).active
    assert [c.value for c in sheet[1]] == ["工号", "姓名", "应发金额"]
    assert sheet.max_row == 1 + 4 + 1
    exports = site.client.get("/api/v1/comp/payroll/exports", headers=finance).json()
    assert [(e["id"], e["statements"], e["status"]) for e in exports] == [(int(paid.headers["x-export-id"]), 4, "sent")]
