"""exchange — CSV/Excel import and export (导入导出) for every capability's facts.

Imports stream a file twice (validate, then apply all-or-nothing in the caller's unit of
work), upsert by external id, and report every bad cell with its row and column. Exports
write the same columns, so an export imports back unchanged. A built-in recipe loads the
public Maven "CRM Sales Opportunities" dataset. See ``docs.md``.
"""

from __future__ import annotations

from chanli.exchange.bench import run_import_bench
from chanli.exchange.exporter import SYSTEM_PRINCIPAL, HeaderStyle, csv_chunks, export_table, write_csv, write_xlsx
from chanli.exchange.fields import ENTITIES, EntitySpec, FieldSpec, Kind, entity_spec
from chanli.exchange.importer import BATCH, Progress, import_file
from chanli.exchange.maven import import_maven_crm
from chanli.exchange.report import EntityCounts, ImportReport, write_issues_csv

__all__ = [
    "BATCH",
    "ENTITIES",
    "SYSTEM_PRINCIPAL",
    "EntityCounts",
    "EntitySpec",
    "FieldSpec",
    "HeaderStyle",
    "ImportReport",
    "Kind",
    "Progress",
    "csv_chunks",
    "entity_spec",
    "export_table",
    "import_file",
    "import_maven_crm",
    "run_import_bench",
    "write_csv",
    "write_issues_csv",
    "write_xlsx",
]
