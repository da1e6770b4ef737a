"""Importing spreadsheets into a real store (SQLite and PostgreSQL): encodings, Excel cells,
references, upsert by external id or name, all-or-nothing with every issue reported."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from chanli.core.audit import entries
from chanli.crm import queries as crm_queries
from chanli.exchange import ImportReport
from chanli.org import queries as org_queries
from tests.integration.exchange.conftest import ADMIN, counts, export_to, run_import, write_rows

TEAMS = [["团队编号", "团队名称", "类型", "上级团队"],
         ["T1", "产力科技", "公司", ""], ["T2", "华东大区", "大区", "T1"], ["T3", "上海一组", "团队", "华东大区"]]


def _issues(report: ImportReport) -> list[tuple[Any, ...]]:
    return [(i.row, i.column, i.value, i.code) for i in report.errors]


def _people(store: Any) -> list[tuple[Any, ...]]:
    with store.read() as s:
        rows = org_queries.list_people(s, ADMIN, active=None)
    return sorted((p.name, p.team_name, p.manager_name, p.tier, p.hire_date, p.external_id) for p in rows)


def _audit_count(store: Any) -> int:
    with store.read() as s:
        return len(entries(s, limit=100_000))


def test_a_gbk_people_file_imports_with_forward_manager_references_and_again_changes_nothing(
    store: Any, tmp_path: Path
) -> None:
    teams = write_rows(tmp_path / "teams.csv", TEAMS, encoding="utf-8-sig")
    people = write_rows(tmp_path / "people.csv", [
        ["工号", "姓名", "部门", "职级", "入职日期", "直属上级"],
        ["P1", "张三", "T3", "骨干", "2024/3/1", "P9"],  # the manager is further down
        ["P2", "李四", "上海一组", "新人", "2024年5月6日", "王经理"],
        ["P9", "王经理", "T2", "精英", "2023-03-15", ""],
    ], encoding="gbk")
    assert counts(run_import(store, "teams", teams)) == (3, 0, 0)
    first = run_import(store, "people", people)
    assert first.errors == []
    assert counts(first) == (3, 0, 0)
    assert _people(store) == [
        ("张三", "上海一组", "王经理", "core", date(2024, 3, 1), "P1"),
        ("李四", "上海一组", "王经理", "new", date(2024, 5, 6), "P2"),
        ("王经理", "华东大区", None, "elite", date(2023, 3, 15), "P9"),
    ]
    audited = _audit_count(store)
    again = run_import(store, "people", people)
    assert counts(again) == (0, 0, 3)
    assert _audit_count(store) == audited


def test_an_xlsx_with_a_title_row_and_excel_number_and_date_cells_imports_exactly(store: Any, tmp_path: Path) -> None:
    run_import(store, "teams", write_rows(tmp_path / "teams.csv", TEAMS))
    people = write_rows(tmp_path / "people.xlsx", [
        ["员工花名册"],
        ["工号", "姓名", "团队", "入职日期", "在职"],
        [10023, "张三", "T3", datetime(2024, 3, 1), True],
        [10024.0, "李四", "T3", 45536, "否"],
    ])
    report = run_import(store, "people", people)
    assert report.errors == []
    assert [(i.code, i.row) for i in report.warnings] == [("file.title_rows", 1)]
    accounts = write_rows(tmp_path / "accounts.xlsx", [
        ["客户编号", "客户名称", "负责人", "年营收", "员工数"],
        ["A1", "上海客户甲", "10023", 1234567.89, 2822.0],
    ])
    assert counts(run_import(store, "accounts", accounts)) == (1, 0, 0)
    with store.read() as s:
        people_rows = org_queries.list_people(s, ADMIN, active=None)
        revenue = crm_queries.rows_by_key(s, "account", external_ids=["A1"])[0]["annual_revenue"]
        account = crm_queries.list_accounts(s, ADMIN)[0]
    assert sorted((p.external_id, p.hire_date, p.active) for p in people_rows) == [
        ("10023", date(2024, 3, 1), True), ("10024", date(2024, 9, 1), False)]
    assert revenue == Decimal("1234567.89")
    assert account.owner_name == "张三"


def test_a_bad_file_reports_every_bad_row_with_its_cell_and_commits_nothing(store: Any, tmp_path: Path) -> None:
    run_import(store, "teams", write_rows(tmp_path / "teams.csv", TEAMS))
    bad = write_rows(tmp_path / "bad.csv", [
        ["工号", "姓名", "邮箱", "团队", "职级", "入职日期", "直属上级"],
        ["P1", "张三", "zs@x.cn", "T3", "骨干", "2024-03-01", ""],  # a good row: still not written
        ["P2", "李四", "nobody", "T3", "骨干", "2024/13/1", ""],
        ["P3", "", "", "TX", "大师", "10/5/2026", "P1"],
        ["P4", "赵六", "", "T3", "新人", "2024-01-01", "P5"],
        ["P5", "孙七", "", "T3", "新人", "2024-01-01", "P4"],
        ["P1", "周八", "", "T3", "新人", "2024-01-01", "P404"],
    ])
    report = run_import(store, "people", bad)
    assert report.exit_code == 2
    assert _issues(report) == [
        (3, "邮箱", "nobody", "value.email"),
        (3, "入职日期", "2024/13/1", "value.date"),
        (4, "姓名", "", "value.required"),
        (4, "团队", "TX", "ref.missing"),
        (4, "职级", "大师", "value.choice"),
        (4, "入职日期", "10/5/2026", "value.date"),
        (5, "直属上级", "P5", "ref.cycle"),
        (6, "直属上级", "P4", "ref.cycle"),
        (7, "工号", "P1", "key.duplicate"),
        (7, "直属上级", "P404", "ref.missing"),
    ]
    assert report.errors[-1].message == (
        "no person with external id or name 'P404' in the store or this file (import people first)")
    assert _people(store) == []


def test_rows_without_external_ids_are_matched_by_name_and_only_real_edits_count(store: Any, tmp_path: Path) -> None:
    products = write_rows(tmp_path / "products.csv", [["产品名称", "系列", "标准价"],
                                                      ["标准版", "CRM", "¥9,800"], ["实施服务", "", "1500.5"]])
    assert counts(run_import(store, "products", products)) == (2, 0, 0)
    assert counts(run_import(store, "products", products)) == (0, 0, 2)
    edited = write_rows(tmp_path / "edited.csv", [["产品名称", "系列", "标准价"],
                                                  ["标准版", "CRM", "9900"], ["实施服务", "", "1500.50"]])
    assert counts(run_import(store, "products", edited)) == (0, 1, 1)
    with store.read() as s:
        prices = {r["name"]: r["list_price"] for r in crm_queries.export_rows(s, "product")}
    assert prices == {"标准版": Decimal("9900.00"), "实施服务": Decimal("1500.50")}


def test_a_file_with_fewer_columns_changes_only_those_columns(store: Any, tmp_path: Path) -> None:
    run_import(store, "teams", write_rows(tmp_path / "teams.csv", TEAMS))
    full = write_rows(tmp_path / "full.csv", [["工号", "姓名", "团队", "职级", "邮箱", "电话"],
                                              ["P1", "张三", "T3", "精英", "old@x.cn", "138"]])
    run_import(store, "people", full)
    emails = write_rows(tmp_path / "emails.csv", [["工号", "姓名", "邮箱"], ["P1", "张三", "new@x.cn"]])
    assert counts(run_import(store, "people", emails)) == (0, 1, 0)
    with store.read() as s:
        stored = org_queries.rows_by_key(s, "person", external_ids=["P1"])[0]
    assert (stored["email"], stored["tier"], stored["phone"], stored["team_id"] is not None) == (
        "new@x.cn", "elite", "138", True)


def test_orders_with_several_lines_and_their_payments_import_with_exact_amounts(store: Any, tmp_path: Path) -> None:
    run_import(store, "teams", write_rows(tmp_path / "teams.csv", TEAMS))
    run_import(store, "people", write_rows(tmp_path / "p.csv", [["工号", "姓名", "团队"], ["P1", "张三", "T3"]]))
    run_import(store, "accounts", write_rows(tmp_path / "a.csv", [["客户编号", "客户名称"], ["A1", "甲公司"]]))
    run_import(store, "products", write_rows(tmp_path / "pr.csv", [["产品编号", "产品名称"], ["SKU", "标准版"]]))
    orders = write_rows(tmp_path / "orders.csv", [
        ["合同编号", "客户", "销售", "签约日期", "产品", "数量", "单价", "折扣率", "金额"],
        ["O1", "A1", "张三", "2026-10-05", "SKU", "3", "33.33", "15%", "84.99"],
        ["O1", "", "", "", "", "1", "1500.50", "", ""],  # a second line; order cells left blank
        ["O2", "甲公司", "P1", "2026年10月6日", "", "", "", "", "¥120,000.00"],
    ])
    report = run_import(store, "orders", orders)
    assert report.errors == []
    assert [(c.rows, c.records, c.created) for c in report.entities] == [(3, 2, 2)]
    payments = write_rows(tmp_path / "payments.csv", [["回款编号", "订单编号", "回款金额", "回款日期"],
                                                      ["R1", "O1", "1,000.00", "2026-11-01"],
                                                      ["R2", "O1", "585.49", "2026-11-15"]])
    assert counts(run_import(store, "payments", payments)) == (2, 0, 0)
    assert counts(run_import(store, "orders", orders)) == (0, 0, 2)
    with store.read() as s:
        ids = crm_queries.external_ids(s, "order", ["O1", "O2"])
        o1, o2 = crm_queries.get_order(s, ADMIN, ids["O1"]), crm_queries.get_order(s, ADMIN, ids["O2"])
    assert o1 is not None and o2 is not None
    assert (o1.net_amount, o1.collected, o2.net_amount) == (Decimal("1585.49"), Decimal("1585.49"),
                                                            Decimal("120000.00"))


def test_order_lines_must_be_consecutive_and_consistent(store: Any, tmp_path: Path) -> None:
    orders = write_rows(tmp_path / "orders.csv", [
        ["合同编号", "客户", "销售", "签约日期", "金额"],
        ["O1", "A1", "P1", "2026-10-05", "100"],
        ["O1", "A2", "P1", "2026-10-05", "100"],
        ["O2", "A1", "P1", "2026-10-05", ""],
        ["O1", "A1", "P1", "2026-10-05", "5"],
    ])
    report = run_import(store, "orders", orders)
    assert [(r, c, code) for r, c, _, code in _issues(report) if code != "ref.missing"] == [
        (3, "客户", "order.lines"), (4, "金额", "order.lines"), (5, "合同编号", "key.duplicate")]


def test_a_mapping_file_names_the_columns_the_synonyms_do_not_know(store: Any, tmp_path: Path) -> None:
    accounts = write_rows(tmp_path / "accounts.csv", [["客户全称", "内部代码", "备注"], ["甲公司", "A1", "x"]])
    yaml_map = tmp_path / "map.yaml"
    yaml_map.write_text("客户全称: name\n内部代码: external_id\n备注: null\n", encoding="utf-8")
    json_map = tmp_path / "map.json"
    json_map.write_text(json.dumps({"客户全称": "name", "内部代码": "external_id", "备注": None}), encoding="utf-8")
    without = run_import(store, "accounts", accounts)
    assert [(i.code, i.column) for i in without.errors] == [("column.missing", "客户名称")]
    assert counts(run_import(store, "accounts", accounts, mapping=yaml_map)) == (1, 0, 0)
    report = run_import(store, "accounts", accounts, mapping=json_map)
    assert counts(report) == (0, 0, 1)
    assert report.warnings == []


def test_a_dry_run_says_what_is_new_and_writes_nothing(store: Any, tmp_path: Path) -> None:
    teams = write_rows(tmp_path / "teams.csv", TEAMS)
    run_import(store, "teams", write_rows(tmp_path / "one.csv", TEAMS[:2]))
    report = run_import(store, "teams", teams, dry_run=True)
    assert report.ok
    assert [(c.new, c.matched, c.created) for c in report.entities] == [(2, 1, 0)]
    with store.read() as s:
        assert [t.name for t in org_queries.list_teams(s, ADMIN)] == ["产力科技"]


def test_a_name_shared_by_two_stored_rows_must_be_referenced_by_external_id(store: Any, tmp_path: Path) -> None:
    run_import(store, "teams", write_rows(tmp_path / "teams.csv", TEAMS))
    run_import(store, "people", write_rows(tmp_path / "p.csv", [["工号", "姓名", "团队"], ["P1", "张三", "T3"],
                                                                ["P2", "张三", "T3"]]))
    accounts = write_rows(tmp_path / "a.csv", [["客户名称", "负责人"], ["甲公司", "张三"], ["乙公司", "P2"]])
    report = run_import(store, "accounts", accounts)
    assert _issues(report) == [(2, "负责人", "张三", "ref.ambiguous")]
    assert report.errors[0].message == "2 people are named '张三'; use the external id"


def test_product_names_are_unique(store: Any, tmp_path: Path) -> None:
    run_import(store, "products", write_rows(tmp_path / "p.csv", [["产品编号", "产品名称"], ["S1", "标准版"]]))
    clash = write_rows(tmp_path / "clash.csv", [["产品编号", "产品名称"], ["S2", "标准版"], ["S3", "专业版"],
                                                ["S4", "专业版"]])
    assert _issues(run_import(store, "products", clash)) == [
        (2, "产品名称", "标准版", "product.name_taken"), (4, "产品名称", "专业版", "product.name_taken")]


def test_files_that_cannot_be_read_are_one_clear_issue(store: Any, tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes([0x81, 0x30, 0x81]) * 3 + b"\xff\xfe\xfd")
    found = {p.name: [(i.code, i.message) for i in run_import(store, "people", p).errors]
             for p in (old, fake, empty, binary)}
    assert found == {
        "old.xls": [("file.format", "old Excel .xls files are not supported; save as .xlsx or CSV")],
        "fake.xlsx": [("file.format", "not a valid .xlsx file (it is not a zip archive)")],
        "empty.csv": [("file.empty", "the file is empty")],
        "binary.csv": [("file.encoding",
                        "the file is neither UTF-8 nor GB18030/GBK text; save it as 'CSV UTF-8' or .xlsx")],
    }


def test_an_export_edited_in_excel_updates_exactly_the_edited_row(store: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    run_import(store, "teams", write_rows(tmp_path / "teams.csv", TEAMS))
    run_import(store, "people", write_rows(tmp_path / "p.csv", [["工号", "姓名", "团队", "职级"],
                                                                ["P1", "张三", "T3", "新人"],
                                                                ["P2", "李四", "T3", "新人"]]))
    path = export_to(store, "people", tmp_path / "people.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    tier_col = [c.value for c in ws[1]].index("职级") + 1
    ws.cell(row=3, column=tier_col, value="骨干")
    wb.save(path)
    assert counts(run_import(store, "people", path)) == (0, 1, 1)
    assert [(p[0], p[3]) for p in _people(store)] == [("张三", "new"), ("李四", "core")]


def test_a_new_external_id_adopts_the_one_namesake_stored_without_one(store: Any, tmp_path: Path) -> None:
    from tests.factories import Org

    with store.uow() as uow:
        Org(uow)  # people entered without employee numbers
        uow.commit()
    people = write_rows(tmp_path / "people.csv", [["工号", "姓名", "职级"], ["E001", "张三", "精英"],
                                                  ["E002", "新同事", "新人"]])
    report = run_import(store, "people", people)
    assert [(c.new, c.matched, c.created, c.updated) for c in report.entities] == [(1, 1, 1, 1)]
    assert counts(run_import(store, "people", people)) == (0, 0, 2)
    found = [(p[0], p[3], p[5]) for p in _people(store) if p[5]]
    assert found == [("张三", "elite", "E001"), ("新同事", "new", "E002")]
    assert len(_people(store)) == 7
