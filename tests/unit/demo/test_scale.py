"""Benchmark data in Parquet: exact money in integer fen, chunked, reproducible, self-checking."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chanli.crm.model import line_net_amount
from chanli.demo.scale import MONEY, ScaleSpec, decimal_array, generate_scale, line_net_fen


@given(quantity=st.integers(0, 2000), price_fen=st.integers(0, 100_000_000), bp=st.integers(0, 10_000))
def test_integer_line_net_equals_the_decimal_rule(quantity: int, price_fen: int, bp: int) -> None:
    expected = line_net_amount(Decimal(quantity), Decimal(price_fen) / 100, Decimal(bp) / 10000)
    got = line_net_fen(np.array([quantity]), np.array([price_fen]), np.array([bp]))[0]
    assert Decimal(int(got)) / 100 == expected


def test_decimal_arrays_are_built_exactly_from_fen_including_negatives() -> None:
    arr = decimal_array(np.array([12345, -5, 0, 999_999_999_999_999_999]), MONEY)
    assert arr.type == pa.decimal128(18, 2)
    assert arr.to_pylist() == [Decimal("123.45"), Decimal("-0.05"), Decimal("0.00"), Decimal("9999999999999999.99")]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale")
    generate_scale(ScaleSpec(reps=20, lines=5003, today=date(2026, 1, 1), chunk_lines=1000), out)
    return out


def test_exactly_the_requested_lines_are_written_in_chunks_with_the_documented_schema(small: Path) -> None:
    lines = pq.ParquetFile(small / "order_lines.parquet")
    assert lines.metadata.num_rows == 5003
    assert lines.metadata.num_row_groups == 6
    schema = pq.read_schema(small / "order_lines.parquet")
    assert [(f.name, str(f.type)) for f in schema] == [
        ("id", "int64"), ("order_id", "int64"), ("owner_id", "int64"), ("product_id", "int64"),
        ("signed_on", "date32[day]"), ("quantity", "decimal128(14, 3)"), ("list_price", "decimal128(18, 2)"),
        ("discount_rate", "decimal128(12, 6)"), ("net_amount", "decimal128(18, 2)"),
    ]
    assert [f.name for f in pq.read_schema(small / "orders.parquet")] == [
        "id", "account_id", "owner_id", "signed_on", "status", "currency", "net_amount", "is_renewal"]
    assert [f.name for f in pq.read_schema(small / "people.parquet")] == [
        "id", "team_id", "manager_id", "tier", "hire_date", "active"]


def test_the_manifest_counts_and_sums_match_the_files(small: Path) -> None:
    manifest = json.loads((small / "manifest.json").read_text(encoding="utf-8"))
    for name, rows in manifest["rows"].items():
        assert pq.ParquetFile(small / f"{name}.parquet").metadata.num_rows == rows
    orders = pq.read_table(small / "orders.parquet")
    lines = pq.read_table(small / "order_lines.parquet")
    payments = pq.read_table(small / "payments.parquet")
    assert manifest["rows"]["people"] == 20 + 3 + 1  # reps, three team managers, one director
    assert str(pc.sum(orders["net_amount"]).as_py()) == manifest["sums"]["orders.net_amount"]
    assert str(pc.sum(lines["net_amount"]).as_py()) == manifest["sums"]["order_lines.net_amount"]
    assert str(pc.sum(payments["amount"]).as_py()) == manifest["sums"]["payments.amount"]
    active = orders.filter(pc.equal(orders["status"], "active"))
    assert str(pc.sum(active["net_amount"]).as_py()) == manifest["sums"]["orders.net_amount[status=active]"]
    assert manifest["seed"] == 88 and manifest["today"] == "2026-01-01"


def test_each_order_net_is_the_sum_of_its_lines_and_payments_never_exceed_it(small: Path) -> None:
    orders = pq.read_table(small / "orders.parquet").to_pylist()
    lines = pq.read_table(small / "order_lines.parquet").to_pylist()
    paid: dict[int, Decimal] = {}
    for p in pq.read_table(small / "payments.parquet").to_pylist():
        paid[p["order_id"]] = paid.get(p["order_id"], Decimal(0)) + p["amount"]
    by_order: dict[int, Decimal] = {}
    for ln in lines:
        assert ln["net_amount"] == line_net_amount(ln["quantity"], ln["list_price"], ln["discount_rate"])
        by_order[ln["order_id"]] = by_order.get(ln["order_id"], Decimal(0)) + ln["net_amount"]
    for o in orders:
        assert o["net_amount"] == by_order[o["id"]]
        assert paid.get(o["id"], Decimal(0)) <= o["net_amount"]
        if o["status"] == "cancelled":
            assert o["id"] not in paid
        assert date(2025, 1, 1) <= o["signed_on"] < date(2026, 1, 1)


def test_the_same_seed_writes_the_same_data(small: Path, tmp_path: Path) -> None:
    generate_scale(ScaleSpec(reps=20, lines=5003, today=date(2026, 1, 1), chunk_lines=1000), tmp_path)
    assert (tmp_path / "manifest.json").read_text() == (small / "manifest.json").read_text()
    for name in ("orders", "order_lines", "payments", "people", "accounts"):
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(pq.read_table(small / f"{name}.parquet"))
    generate_scale(ScaleSpec(reps=20, lines=5003, today=date(2026, 1, 1), seed=7, chunk_lines=1000),
                   tmp_path / "other")
    assert not pq.read_table(tmp_path / "other" / "order_lines.parquet").equals(
        pq.read_table(small / "order_lines.parquet"))
