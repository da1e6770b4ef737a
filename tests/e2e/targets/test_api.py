"""The targets API end to end, as the planner, the manager and the rep use it (both stores)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.e2e.api.conftest import Api, api  # noqa: F401 - the fixture is shared with the API suite


def test_a_manager_plans_the_region_edits_a_month_and_hq_approves_and_activates_it(api: Api) -> None:  # noqa: F811
    c, o = api.client, api.org
    mgr, admin, rep = api.token("east_mgr"), api.token("admin"), api.token("sh1")

    # the manager previews two methods, then saves a capacity split of the region's Q4
    body = {
        "metric": "won_revenue",
        "period": "2026-Q4",
        "value": "300000",
        "owner": f"team:{o.east}",
        "owner_method": "capacity",
        "grains": ["month"],
    }
    preview = c.post("/api/v1/targets/plans/preview", json=body, headers=mgr).json()
    assert preview["plan_id"] is None
    created = c.post("/api/v1/targets/plans", json=body, headers=mgr)
    assert created.status_code == 201, created.text
    plan_id = created.json()["plan_id"]
    assert {r["name"]: r["values"]["2026-Q4"] for r in created.json()["rows"]} == {
        "华东大区": "300000.00",
        "上海一组": "159999.99",
        "张三": "99999.99",
        "李四": "60000.00",
        "杭州组": "140000.01",
        "钱五": "140000.01",
    }  # 1.6 : 1.4 and 1 : 0.6, month by month, to the fen

    # … moves 5,000 of 张三's October to 李四
    grid = c.get(f"/api/v1/targets/plans/{plan_id}", headers=mgr).json()
    assert [col["label"] for col in grid["columns"]] == ["2026-Q4", "2026-10", "2026-11", "2026-12"]
    zhang = next(r for r in grid["rows"] if r["name"] == "张三")
    october = zhang["cells"][1]
    assert (october["value"], october["editable"]) == ("33333.33", True)
    edit = c.patch(
        f"/api/v1/targets/cells/{october['target_id']}", json={"value": "28333.33", "reason": "调岗"}, headers=mgr
    )
    assert edit.status_code == 200 and len(edit.json()["changed"]) == 4
    assert c.patch(f"/api/v1/targets/cells/{october['target_id']}", json={"value": "1"}, headers=rep).status_code == 403

    # HQ approves and activates; the manager may not
    assert c.post(f"/api/v1/targets/plans/{plan_id}/approve", headers=mgr).status_code == 403
    approved = c.post(f"/api/v1/targets/plans/{plan_id}/approve", json={"reason": "Q4 会议"}, headers=admin)
    assert approved.json()["status"] == "approved"
    assert c.post(f"/api/v1/targets/plans/{plan_id}/activate", headers=admin).json()["status"] == "active"
    changes = c.get(f"/api/v1/targets/plans/{plan_id}/history", headers=admin).json()
    assert [ch["action"] for ch in changes][:2] == ["plan.active", "plan.approved"]
    assert changes[0]["version"] == 4

    # the rep sees their own pacing (120,000 signed on 15 October against 28,333.33)
    mine = c.get("/api/v1/targets/progress?period=2026-10&as_of=2026-10-20", headers=rep).json()
    assert [(r["owner_name"], r["target"], r["actual"], r["status"]) for r in mine] == [
        ("张三", "28333.33", "120000.00", "ahead")
    ]
    me = c.get("/api/v1/targets/me?as_of=2026-10-20", headers=rep).json()
    assert [(m["metric_code"], m["month"]["target"], m["quarter"]["target"]) for m in me["metrics"]] == [
        ("won_revenue", "28333.33", "94999.99")
    ]
    assert [p["target"] for p in me["metrics"][0]["trend"][9:]] == ["28333.33", "33333.33", "33333.33"]
    assert c.get(f"/api/v1/targets/progress?period=2026-10&owner=person:{o.bj1}", headers=rep).status_code == 404

    # the board shows the manager's region, worst first
    board = c.get("/api/v1/targets/board?period=2026-10&as_of=2026-10-20", headers=mgr).json()
    assert board["team"]["owner_name"] == "华东大区"
    assert [(r["name"], r["progress"]["status"]) for r in board["rows"]] == [
        ("杭州组", "at_risk"),
        ("上海一组", "ahead"),
    ]


def test_an_excel_upload_with_bad_cells_is_refused_with_every_location_and_a_clean_one_applies(api: Api) -> None:  # noqa: F811
    c, admin = api.client, api.token("admin")
    body = {"metric": "orders", "period": "2027-Q1", "value": "120", "grains": ["month"]}
    plan_id = c.post("/api/v1/targets/plans", json=body, headers=admin).json()["plan_id"]
    exported = c.get(f"/api/v1/targets/plans/{plan_id}/export", headers=admin)
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(exported.content))
    ws = wb.worksheets[0]
    rows = {ws.cell(row=r, column=1).value: r for r in range(5, ws.max_row + 1)}
    zhang, li = rows[f"person:{api.org.sh1}"], rows[f"person:{api.org.sh2}"]
    ws.cell(row=zhang, column=4).value = 7.5  # orders are whole numbers
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("Q1.xlsx", buf.getvalue(), "application/octet-stream")}
    refused = c.post(f"/api/v1/targets/plans/{plan_id}/import", files=files, headers=admin)
    assert refused.status_code == 422
    assert [(i["row"], i["column"], i["code"]) for i in refused.json()["issues"]] == [
        (zhang, "D (2027-01)", "workbook.quantum")
    ]
    ws.cell(row=zhang, column=4).value = 10
    ws.cell(row=li, column=4).value = 5
    buf = io.BytesIO()
    wb.save(buf)
    done = c.post(
        f"/api/v1/targets/plans/{plan_id}/import",
        headers=admin,
        files={"file": ("Q1.xlsx", buf.getvalue(), "application/octet-stream")},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["applied"], done.json()["total_before"], done.json()["total_after"]) == (True, "120", "125")
    assert [i["code"] for i in done.json()["issues"]] == ["workbook.total_changed"]
