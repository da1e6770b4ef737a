"""Feature inference and encoding: column kinds from the data, bad values counted and reported."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from chanli.insight.ml.errors import InsightInputError
from chanli.insight.ml.features import (
    BLANK,
    MALFORMED,
    OTHER,
    ColumnKind,
    default_id_column,
    encode_rows,
    infer_spec,
    parse_binary_label,
    parse_date,
    parse_number,
)


def _rows(n: int = 40) -> list[dict[str, object]]:
    """Accounts with one of each column kind; every 10th charge is blank, one is text."""
    rows: list[dict[str, object]] = []
    for i in range(n):
        rows.append(
            {
                "account_id": f"A{i:03d}",
                "contract": ["月付", "年付"][i % 2],
                "charges": " " if i % 10 == 0 else f"{100 + i}.5",
                "signed_on": f"2025-{1 + i % 12:02d}-15",
                "region": "华东",
                "churned": "Yes" if i % 3 == 0 else "No",
            }
        )
    rows[7]["charges"] = "n/a?"
    return rows


def test_parse_number_reads_grouped_currency_and_percent_text() -> None:
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("¥30") == 30.0
    assert parse_number("12%") == pytest.approx(0.12)
    assert parse_number(7) == 7.0


def test_parse_number_separates_blank_from_malformed() -> None:
    assert parse_number(" ") is BLANK
    assert parse_number(None) is BLANK
    assert parse_number("N/A") is BLANK
    assert parse_number("abc") is MALFORMED
    assert parse_number(float("inf")) is MALFORMED


def test_parse_date_accepts_iso_text_with_time_and_slashes() -> None:
    assert parse_date("2018-02-26 19:58:54") == date(2018, 2, 26)
    assert parse_date("2018/02/26") == date(2018, 2, 26)
    assert parse_date("") is BLANK
    assert parse_date("26.02.2018") is MALFORMED


def test_binary_labels_accept_yes_no_one_zero_and_chinese() -> None:
    labels = parse_binary_label(["Yes", "no", "1", "0", "是", "否", "positive", True], "Churn")
    assert labels.tolist() == [1, 0, 1, 0, 1, 0, 1, 1]


def test_unreadable_labels_are_named_with_their_rows() -> None:
    with pytest.raises(InsightInputError, match=r"label column 'Churn'.*row 2: 'maybe'"):
        parse_binary_label(["Yes", "maybe", "No"], "Churn")


def test_single_class_label_is_refused() -> None:
    with pytest.raises(InsightInputError, match="only one class"):
        parse_binary_label(["No", "No"], "Churn")


def test_default_id_column_is_first_name_ending_in_id() -> None:
    assert default_id_column(["gender", "customerID", "mql_id"]) == "customerID"
    assert default_id_column(["gender", "tenure"]) is None


def test_column_kinds_are_inferred_and_constant_columns_dropped() -> None:
    spec = infer_spec(_rows(), "churned", "account_id")
    kinds = {c.name: c.kind for c in spec.columns}
    assert kinds == {"contract": ColumnKind.CATEGORICAL, "charges": ColumnKind.NUMERIC, "signed_on": ColumnKind.DATE}
    assert spec.dropped == (("region", "a single value in every row"),)
    assert spec.input_names == ["contract", "charges", "signed_on.month", "signed_on.weekday"]
    assert spec.categorical_inputs == [0]


def test_identifier_like_text_columns_are_dropped_with_reason() -> None:
    rows = [{"note": f"备注{i}", "x": str(i % 5), "y": str(i % 2)} for i in range(120)]
    spec = infer_spec(rows, "y", None)
    assert [c.name for c in spec.columns] == ["x"]
    assert spec.dropped == (("note", "120 distinct values in 120 rows: an identifier or free text"),)


def test_blank_and_malformed_numbers_are_reported_and_left_missing() -> None:
    rows = _rows()
    spec = infer_spec(rows, "churned", "account_id")
    matrix, reports = encode_rows(rows, spec)
    assert len(reports) == 1
    report = reports[0]
    assert (report.column, report.blank, report.malformed) == ("charges", 4, 1)
    assert str(report).startswith("charges: 5 blank/malformed values imputed as missing")
    charges = matrix[:, 1]
    assert int(np.isnan(charges).sum()) == 5
    assert charges[1] == 101.5


def test_dates_become_month_and_weekday() -> None:
    rows = _rows()
    spec = infer_spec(rows, "churned", "account_id")
    matrix, _ = encode_rows(rows, spec)
    assert matrix[0, 2] == 1  # 2025-01-15
    assert matrix[0, 3] == date(2025, 1, 15).weekday()


def test_unseen_categories_map_to_other_when_rare_levels_were_pooled() -> None:
    rows = [{"channel": "电话" if i % 2 else "官网", "y": str(i % 2)} for i in range(40)]
    rows += [{"channel": "展会", "y": "1"}]  # fewer than 5 rows: pooled into OTHER
    spec = infer_spec(rows, "y", None)
    assert spec.columns[0].levels == ("官网", "电话", OTHER)
    matrix, _ = encode_rows([{"channel": "抖音", "y": "1"}], spec)
    assert matrix[0, 0] == 2


def test_missing_label_column_error_names_the_columns_found() -> None:
    with pytest.raises(InsightInputError) as caught:
        infer_spec(_rows(), "Churn", "account_id")
    assert str(caught.value) == (
        "label column 'Churn' not found; columns found: account_id, contract, charges, signed_on, region, churned"
    )


def test_scoring_rows_without_a_feature_column_are_refused() -> None:
    spec = infer_spec(_rows(), "churned", "account_id")
    with pytest.raises(InsightInputError, match="feature column 'contract' not found"):
        encode_rows([{"account_id": "A1", "charges": "1"}], spec)


def test_in_memory_values_of_python_types_are_accepted() -> None:
    rows = [
        {
            "id": i,
            "recency": i % 30,
            "score": None if i == 3 else math.pi * i,
            "day": date(2025, 1, 1 + i % 28),
            "vip": i % 4 == 0,
            "y": i % 2,
        }
        for i in range(40)
    ]
    spec = infer_spec(rows, "y", "id")
    assert [(c.name, c.kind) for c in spec.columns] == [
        ("recency", ColumnKind.NUMERIC),
        ("score", ColumnKind.NUMERIC),
        ("day", ColumnKind.DATE),
        ("vip", ColumnKind.NUMERIC),
    ]
    _, reports = encode_rows(rows, spec)
    assert [(r.column, r.blank) for r in reports] == [("score", 1)]
