"""An export is the template of the next import: it imports back unchanged, on both stores,
for every entity, as CSV and as .xlsx, and it rebuilds the same data in an empty store."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.exchange.conftest import ENTITY_ORDER, counts, export_to, run_import, seed_everything


@pytest.mark.parametrize("entity", ENTITY_ORDER)
def test_an_export_imports_back_creating_and_changing_nothing(store: Any, tmp_path: Path, entity: str) -> None:
    expected = seed_everything(store)[entity]
    for name, style in (("export.csv", "zh"), ("export.xlsx", "zh"), ("fields.csv", "field")):
        path = export_to(store, entity, tmp_path / name, style=style)
        report = run_import(store, entity, path)
        assert report.errors == [], name
        assert counts(report) == (0, 0, expected), name
        again = export_to(store, entity, tmp_path / f"again-{name}", style=style)
        if path.suffix == ".csv":
            assert again.read_text(encoding="utf-8-sig") == path.read_text(encoding="utf-8-sig")


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, sorted(rows)


def test_exports_of_every_entity_rebuild_the_same_data_in_an_empty_store(
    store: Any, sqlite_template: Path, tmp_path: Path
) -> None:
    from chanli.bootstrap import build
    from chanli.core.config import Settings

    shutil.copy(sqlite_template, tmp_path / "source.db")
    source = build(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'source.db'}"))
    try:
        expected = seed_everything(source)
        files = {e: export_to(source, e, tmp_path / f"{e}.csv") for e in ENTITY_ORDER}
    finally:
        source.engine.dispose()
    for entity in ENTITY_ORDER:
        report = run_import(store, entity, files[entity])
        assert report.errors == [], entity
        assert counts(report) == (expected[entity], 0, 0), entity
    for entity in ENTITY_ORDER:
        rebuilt = export_to(store, entity, tmp_path / f"rebuilt-{entity}.csv")
        assert _rows(rebuilt) == _rows(files[entity]), entity
