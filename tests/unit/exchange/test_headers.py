"""Which column feeds which field: Chinese and English synonyms per entity, a mapping file
that overrides them, and clear messages for missing, doubled or unknown columns."""

from __future__ import annotations

import pytest

from chanli.exchange.fields import ENTITIES, entity_spec
from chanli.exchange.headers import map_headers
from chanli.exchange.values import normalise_token


def _fields(entity: str, headers: list[str], custom: dict[str, str | None] | None = None) -> list[str]:
    header, _ = map_headers(entity_spec(entity), headers, custom)
    return [f for _, f in header.columns]


@pytest.mark.parametrize(
    ("entity", "headers", "fields"),
    [
        ("people", ["姓名", "邮箱", "部门", "职级", "入职日期", "工号", "直属上级"],
         ["name", "email", "team", "tier", "hire_date", "external_id", "manager"]),
        ("people", ["Name", "E-mail", "Team", "Tier", "Hire Date", "External ID", "Reports To"],
         ["name", "email", "team", "tier", "hire_date", "external_id", "manager"]),
        ("people", ["名字", "团队", "编号"], ["name", "team", "external_id"]),
        ("accounts", ["客户名称", "负责人", "行业", "年营收"], ["name", "owner", "industry", "annual_revenue"]),
        ("orders", ["合同编号", "客户", "销售", "签约日期", "金额"],
         ["external_id", "account", "owner", "signed_on", "amount"]),
        ("payments", ["回款编号", "订单编号", "回款金额", "回款日期"],
         ["external_id", "order", "amount", "received_on"]),
        ("opportunities", ["商机名称", "客户", "阶段", "预计金额", "创建日期"],
         ["name", "account", "stage", "amount", "created_on"]),
        ("activities", ["类型", "销售", "时间", "时长（分钟）"], ["kind", "person", "started_at", "duration_min"]),
        ("teams", ["团队名称", "上级团队", "类型"], ["name", "parent", "kind"]),
    ],
)
def test_built_in_synonyms_map_chinese_and_english_headers(entity: str, headers: list[str], fields: list[str]) -> None:
    assert _fields(entity, headers) == fields


def test_one_header_means_different_fields_in_different_entities() -> None:
    assert _fields("accounts", ["客户"]) == ["name"]
    assert _fields("orders", ["客户"]) == ["account"]
    assert _fields("teams", ["团队"]) == ["name"]
    assert _fields("people", ["团队"]) == ["team"]


def test_case_spaces_and_full_width_do_not_matter() -> None:
    assert _fields("people", ["ＮＡＭＥ", " hire_date ", "入职日期*"]) == ["name", "hire_date"]


def test_no_header_means_two_fields_within_one_entity() -> None:
    for entity in ENTITIES.values():
        seen: dict[str, str] = {}
        for f in entity.fields:
            for text in (f.name, f.label, *f.synonyms):
                token = normalise_token(text)
                assert seen.setdefault(token, f.name) == f.name, f"{entity.name}: {text!r}"


def test_a_mapping_overrides_synonyms_and_can_ignore_a_column() -> None:
    custom: dict[str, str | None] = {"客户全称": "name", "对接销售": "owner", "备注": None}
    header, issues = map_headers(entity_spec("accounts"), ["客户全称", "对接销售", "备注"], custom)
    assert [f for _, f in header.columns] == ["name", "owner"]
    assert header.label("owner") == "对接销售"
    assert list(issues) == []


def test_a_mapping_to_an_unknown_field_is_an_error_and_an_unused_entry_a_warning() -> None:
    _, issues = map_headers(entity_spec("people"), ["姓名"], {"Salary": "salary", "Missing": "email"})
    assert [(i.severity.value, i.code, i.column) for i in issues] == [
        ("error", "mapping.field", "Salary"),
        ("warning", "mapping.unused", "Salary"),
        ("warning", "mapping.unused", "Missing"),
    ]


def test_a_missing_required_column_is_reported_on_the_header_row() -> None:
    _, issues = map_headers(entity_spec("payments"), ["回款编号", "金额"])
    assert [(i.code, i.row, i.column, i.message) for i in issues.errors] == [
        ("column.missing", 1, "订单", "required column for order is missing (e.g. '订单' or 'order')"),
        ("column.missing", 1, "回款日期",
         "required column for received_on is missing (e.g. '回款日期' or 'received_on')"),
    ]


def test_two_columns_for_one_field_are_an_error_and_unknown_columns_a_warning() -> None:
    _, issues = map_headers(entity_spec("people"), ["姓名", "名字", "工资"])
    assert [(i.severity.value, i.code, i.column) for i in issues] == [
        ("error", "column.duplicate", "名字"),
        ("warning", "column.unused", "工资"),
    ]
