"""One row: typed values with each problem located, the rules across a row's cells, order
lines, and how a row is completed from its stored version."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from chanli.exchange.fields import entity_spec
from chanli.exchange.headers import map_headers
from chanli.exchange.rows import ParseContext, complete, order_level_differences, order_line, parse_row

CTX = ParseContext(time_zone="Asia/Shanghai", currency="CNY")


def _parse(entity: str, headers: list[str], cells: list[object], row: int = 7):  # type: ignore[no-untyped-def]
    spec = entity_spec(entity)
    header, _ = map_headers(spec, headers)
    return parse_row(spec, header, row, cells, CTX, "f.csv")  # type: ignore[arg-type]


def test_a_row_becomes_typed_values_with_references_as_key_text() -> None:
    parsed, issues = _parse("people", ["工号", "姓名", "职级", "入职日期", "团队", "在职"],
                            ["P1", "张三", "骨干", "2024年3月1日", "上海一组", "是"])
    assert issues == []
    assert parsed is not None
    assert dict(parsed.values) == {"external_id": "P1", "name": "张三", "tier": "core",
                                   "hire_date": date(2024, 3, 1), "team": "上海一组", "active": True}


def test_every_bad_cell_of_a_row_is_reported_with_row_column_and_value() -> None:
    _, issues = _parse("people", ["姓名", "职级", "入职日期", "邮箱"], ["", "大师", "2024/13/1", "nobody"])
    assert [(i.row, i.column, i.value, i.code) for i in issues] == [
        (7, "姓名", "", "value.required"),
        (7, "职级", "大师", "value.choice"),
        (7, "入职日期", "2024/13/1", "value.date"),
        (7, "邮箱", "nobody", "value.email"),
    ]
    assert issues[1].message == "tier: unknown tier; use one of new (新人), core (骨干), elite (精英)"


def test_a_blank_row_is_skipped_silently() -> None:
    assert _parse("people", ["姓名"], ["  "]) == (None, [])


def test_rules_across_cells_are_checked() -> None:
    _, people = _parse("people", ["姓名", "入职日期", "离职日期"], ["张三", "2025-01-01", "2024-12-31"])
    _, opp = _parse("opportunities", ["名称", "创建日期", "阶段", "状态"], ["x", "2026-01-01", "赢单", "输单"])
    _, pay = _parse("payments", ["订单", "金额", "回款日期"], ["O1", "0", "2026-01-01"])
    assert [(i.column, i.message) for i in people] == [("离职日期", "leave date is before hire date")]
    assert [(i.column, i.message) for i in opp] == [("状态", "status lost contradicts stage won"),
                                                   ("阶段", "stage won contradicts status lost")]
    assert [(i.column, i.message) for i in pay] == [("金额", "payment amount must be positive")]


def test_an_order_line_is_quantity_times_price_less_discount_rounded_half_up_once() -> None:
    assert order_line({"quantity": Decimal(3), "list_price": Decimal("33.33"), "discount_rate": Decimal("0.15")},
                      "CNY") == (Decimal(3), Decimal("33.33"), Decimal("0.15"))
    mismatch = order_line({"quantity": Decimal(3), "list_price": Decimal("33.33"), "discount_rate": Decimal("0.15"),
                           "amount": Decimal("85.00")}, "CNY")
    assert mismatch == "amount 85.00 does not equal quantity × unit price × (1 − discount) = 84.99"


def test_an_order_line_from_an_amount_alone_is_one_unit_of_it() -> None:
    assert order_line({"amount": Decimal("1200.50")}, "CNY") == (Decimal(1), Decimal("1200.50"), Decimal(0))
    assert order_line({"amount": Decimal("100"), "quantity": Decimal(3)}, "CNY") == (
        "amount 100 ÷ quantity 3 is not a whole number of fen; give 单价 (unit price)")
    assert order_line({"amount": Decimal("90"), "discount_rate": Decimal("0.1")}, "CNY") == (
        "with a discount, give 单价 (the unit price) rather than only 金额")
    assert order_line({"product": "P1"}, "CNY") is None


def test_later_lines_may_leave_order_columns_blank_but_not_contradict_them() -> None:
    spec = entity_spec("orders")
    first = {"external_id": "O1", "account": "A1", "signed_on": date(2026, 1, 5)}
    assert order_level_differences(spec, first, {"external_id": "O1", "account": None}) == []
    assert order_level_differences(spec, first, {"external_id": "O1", "account": "A2"}) == ["account"]


def test_columns_the_file_lacks_keep_their_stored_values() -> None:
    stored = {"id": 4, "external_id": "P1", "name": "张三", "email": "z@x.cn", "tier": "elite", "job_role": "rep",
              "active": True, "team_id": 2, "manager_id": None, "phone": "138", "hire_date": date(2024, 1, 1),
              "leave_date": None}
    record = complete(entity_spec("people"), {"external_id": "P1", "name": "张三", "email": None, "tier": None},
                      stored, CTX)
    assert record["email"] is None  # a blank optional cell clears
    assert record["tier"] == "elite"  # a blank required cell keeps
    assert record["phone"] == "138"  # an absent column keeps
    assert record["team_id"] == 2


def test_a_new_row_gets_defaults_and_a_blank_external_id_never_clears_the_stored_one() -> None:
    assert complete(entity_spec("people"), {"name": "新人"}, None, CTX)["tier"] == "new"
    record = complete(entity_spec("accounts"), {"name": "客户", "external_id": None},
                      {"id": 1, "external_id": "A1", "name": "客户", "lifecycle_status": "active"}, CTX)
    assert record["external_id"] == "A1"
    assert record["lifecycle_status"] == "active"


def test_an_opportunity_status_follows_its_stage_and_probability_its_default_unless_given() -> None:
    spec = entity_spec("opportunities")
    won = complete(spec, {"name": "x", "created_on": date(2026, 1, 1), "stage": "won"}, None, CTX)
    assert (won["status"], won["probability"], won["currency"]) == ("won", Decimal("1"), "CNY")
    kept = complete(spec, {"name": "x", "stage": "proposal"},
                    {"stage": "proposal", "probability": Decimal("0.62"), "currency": "USD", "status": "open"}, CTX)
    assert (kept["status"], kept["probability"], kept["currency"]) == ("open", Decimal("0.62"), "USD")
    moved = complete(spec, {"name": "x", "stage": "negotiation"},
                     {"stage": "proposal", "probability": Decimal("0.62"), "currency": "USD", "status": "open"}, CTX)
    assert moved["probability"] == Decimal("0.75")
