"""The insight API end to end (both stores): sales ops enter and import the market facts,
leaders read saturation, ROI and the war room, and errors come back as data."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chanli.crm import model as crm
from chanli.crm import service as crm_service
from tests.e2e.api.conftest import Api, api  # noqa: F401 - the fixture is shared with the API suite
from tests.factories import create_opportunity

CSV_BAD = "大区,行业,可触达客户数\n华东,制造,很多\n".encode()
CSV_GOOD = "大区,行业,可触达客户数\n华东,制造,40\n华北,零售,25\n".encode("gb18030")


def test_sales_ops_import_market_facts_and_leaders_read_saturation_roi_and_the_war_room(api: Api) -> None:  # noqa: F811
    c, o = api.client, api.org
    ops, mgr, rep = api.token("ops"), api.token("east_mgr"), api.token("sh1")
    store = c.app.state.container  # type: ignore[attr-defined]
    with store.uow() as uow:
        deal = create_opportunity(uow, o.sh1, o.acc_sh1, amount="120000", stage="negotiation",
                                  created_on=date(2026, 9, 1))
        crm_service.upsert_calls(uow, [crm.CallRecordDraft(
            o.sh1, datetime(2026, 10, 9, 2, tzinfo=UTC), 300, account_id=o.acc_sh1, opportunity_id=deal,
            transcript="销售：您好。\n客户：价格太贵了，我们很失望。", external_id="CALL-1")])
        uow.commit()

    bad = c.post("/api/v1/insight/markets/import", files={"file": ("markets.csv", CSV_BAD, "text/csv")}, headers=ops)
    assert bad.status_code == 422
    assert [(i["row"], i["column"]) for i in bad.json()["issues"]] == [(2, "addressable_accounts")]
    good = c.post("/api/v1/insight/markets/import", files={"file": ("markets.csv", CSV_GOOD, "text/csv")},
                  headers=ops)
    assert good.json() == {"changed": 2}
    assert c.post("/api/v1/insight/markets/import", files={"file": ("m.csv", CSV_GOOD, "text/csv")},
                  headers=rep).status_code == 403
    assert c.put("/api/v1/insight/spend", json=[{"month": "2026-10-01", "channel": "百度推广", "amount": "8000.00"}],
                 headers=ops).json() == {"changed": 1}

    sat = c.get("/api/v1/insight/saturation?as_of=2026-11-01", headers=ops).json()
    east = next(r for r in sat["rows"] if r["region"] == "华东")
    assert (east["addressable"], east["customers"]) == (40, 0)  # the Org's accounts have no region
    roi_ops = c.get("/api/v1/insight/roi?period=2026", headers=ops).json()
    assert roi_ops["available"] is True
    assert [(r["channel"], r["spend"]) for r in roi_ops["rows"] if r["spend"] != "0.00"] == [("百度推广", "8000.00")]
    assert c.get("/api/v1/insight/roi?period=2026", headers=mgr).json() == {
        "start": "2026-01-01", "end": "2027-01-01", "available": False, "rows": []}

    analysed = c.post("/api/v1/insight/calls/analyse", json={}, headers=ops).json()
    assert analysed["analysed"] == 1
    [call] = c.get("/api/v1/insight/calls", headers=rep).json()
    assert (call["emotion"], call["topics"][0]) == ("消极", "价格敏感")
    assert c.get("/api/v1/insight/calls", headers=api.token("bj1")).json() == []
    detail = c.get(f"/api/v1/insight/calls/{call['call_id']}", headers=mgr).json()
    assert [u["role"] for u in detail["utterances"]] == ["rep", "customer"]

    funnel = c.get("/api/v1/insight/funnel?period=2026&by=rep", headers=mgr).json()
    assert [(g["key"], g["deals"]) for g in funnel["groups"]] == [(str(o.sh1), 1)]
    assert funnel["names"][str(o.sh1)] == "张三"

    no_model = c.post("/api/v1/insight/churn/train", json={"as_of": "2026-11-01"}, headers=ops)
    assert no_model.status_code == 400
    assert "need at least 20" in no_model.json()["detail"]
    assert c.get("/api/v1/insight/models/churn/card", headers=ops).status_code == 404

    room = c.get("/api/v1/insight/warroom?as_of=2026-11-15", headers=mgr)
    assert room.status_code == 200, room.text
    body = room.json()
    assert set(body) >= {"pacing", "funnel", "forecast", "churn", "calls", "demand", "saturation", "competitors",
                         "roi"}
    assert body["quarter"] == "2026-Q4" and body["roi"] is None
    assert [f["owner_id"] for f in body["forecast"]] == [o.sh1]
    assert c.get("/api/v1/insight/warroom", headers=rep).status_code == 403
