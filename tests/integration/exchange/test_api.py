"""The HTTP shell of import/export: uploads apply all or nothing and answer 422 with every
issue (never 500), downloads stream the rows the caller may see, and permissions hold."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, Org


class Client:
    def __init__(self, client: TestClient, org: Org) -> None:
        self.client, self.org = client, org
        self._tokens: dict[str, dict[str, str]] = {}

    def auth(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self._tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self._tokens[username]

    def upload(self, user: str, entity: str, name: str, content: bytes, **params: Any) -> Any:
        files: dict[str, Any] = {"file": (name, content)}
        if "mapping" in params:
            files["mapping"] = ("mapping.json", json.dumps(params.pop("mapping")).encode())
        return self.client.post(f"/api/v1/imports/{entity}", files=files, params=params, headers=self.auth(user))

    def download(self, user: str, entity: str, fmt: str = "csv") -> Any:
        return self.client.get(f"/api/v1/exports/{entity}", params={"format": fmt}, headers=self.auth(user))


@pytest.fixture
def api(store: Any) -> Iterator[Client]:
    from chanli.bootstrap import create_app

    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    with TestClient(create_app(store)) as client:
        yield Client(client, org)


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


PRODUCTS = [["产品编号", "产品名称", "标准价"], ["SKU-1", "标准版", "￥9,800.00"], ["SKU-2", "专业版", "19800"]]


def test_an_upload_applies_every_row_and_the_same_upload_again_changes_nothing(api: Client) -> None:
    dry = api.upload("ops", "products", "产品.csv", _csv(PRODUCTS, "gbk"), dry_run="true")
    assert dry.status_code == 200
    assert (dry.json()["committed"], dry.json()["totals"]["new"]) == (False, 2)
    first = api.upload("ops", "products", "产品.csv", _csv(PRODUCTS, "gbk"))
    assert first.status_code == 200
    assert (first.json()["committed"], first.json()["totals"]["created"]) == (True, 2)
    again = api.upload("ops", "products", "产品.csv", _csv(PRODUCTS, "gbk")).json()["totals"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_a_bad_upload_answers_422_with_every_issue_and_writes_nothing(api: Client) -> None:
    bad = _csv([["客户编号", "客户名称", "负责人", "年营收"], ["A9", "丙公司", "张三", "1,000"],
                ["A10", "", "无名氏", "12.345"]])
    r = api.upload("admin", "accounts", "客户.csv", bad)
    assert r.status_code == 422
    body = r.json()
    assert [(i["row"], i["column"], i["value"], i["code"]) for i in body["issues"]] == [
        (3, "客户名称", "", "value.required"), (3, "负责人", "无名氏", "ref.missing"),
        (3, "年营收", "12.345", "value.places")]
    assert body["committed"] is False
    names = [a["name"] for a in api.client.get("/api/v1/accounts", headers=api.auth("admin")).json()]
    assert sorted(names) == ["上海客户甲", "北京客户乙"]


@pytest.mark.parametrize(("name", "content", "code"), [
    ("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64, "file.format"),
    ("broken.xlsx", b"PK\x03\x04garbage", "file.format"),
    ("empty.csv", b"", "file.empty"),
])
def test_an_unreadable_file_is_a_422_not_a_500(api: Client, name: str, content: bytes, code: str) -> None:
    r = api.upload("admin", "people", name, content)
    assert r.status_code == 422
    assert [i["code"] for i in r.json()["issues"]] == [code]


def test_a_mapping_file_can_be_uploaded_with_the_data(api: Client) -> None:
    content = _csv([["物料号", "物料名称"], ["M1", "服务包"]])
    r = api.upload("admin", "products", "p.csv", content, mapping={"物料号": "external_id", "物料名称": "name"})
    assert r.status_code == 200, r.text
    assert r.json()["totals"]["created"] == 1


@pytest.mark.parametrize(("user", "entity", "import_status", "export_status"), [
    ("sh1", "accounts", 403, 403),  # a rep may do neither
    ("finance", "accounts", 403, 200),  # finance may export, not import
    ("east_mgr", "people", 403, 200),  # a manager may export (their subtree), not import
])
def test_import_and_export_need_their_permissions(api: Client, user: str, entity: str, import_status: int,
                                                  export_status: int) -> None:
    assert api.upload(user, entity, "x.csv", _csv([["客户名称"], ["x"]])).status_code == import_status
    assert api.download(user, entity).status_code == export_status


def test_a_manager_downloads_only_the_rows_of_their_subtree(api: Client) -> None:
    r = api.download("east_mgr", "people")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="people.csv"'
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sorted(row[1] for row in rows[1:]) == ["张三", "李四", "王经理", "钱五"]
    orders = list(csv.reader(io.StringIO(api.download("east_mgr", "orders").content.decode("utf-8-sig"))))
    assert orders[0][2] == "负责人"
    assert [row[2] for row in orders[1:]] == ["张三"]  # 孙六's order in 华北 is not theirs to see


def test_an_xlsx_download_uploads_back_unchanged(api: Client) -> None:
    r = api.download("ops", "accounts", "xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    back = api.upload("ops", "accounts", "accounts.xlsx", r.content)
    assert back.status_code == 200, back.text
    totals = back.json()["totals"]
    assert (totals["created"], totals["updated"], totals["unchanged"]) == (0, 0, 2)
