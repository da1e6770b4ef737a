"""Helpers for import/export tests: write a spreadsheet, import it the way the CLI does
(commit only a clean, non-dry-run report), and export an entity to a file."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.exchange import SYSTEM_PRINCIPAL, ImportReport, export_table, import_file, write_csv, write_xlsx
from tests.factories import Org, create_lead, create_opportunity, create_payment

ADMIN = SYSTEM_PRINCIPAL
ENTITY_ORDER = ("teams", "people", "products", "accounts", "leads", "opportunities", "orders", "payments",
                "activities")


def write_rows(path: Path, rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> Path:
    """A CSV (``.csv``) or workbook (``.xlsx``) with ``rows``, the first being the header."""
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        for row in rows:
            ws.append(list(row))
        wb.save(path)
        return path
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def run_import(store: Any, entity: str, path: Path, **kw: Any) -> ImportReport:
    with store.uow() as uow:
        report = import_file(uow, entity, path, **kw)
        if report.ok and not kw.get("dry_run"):
            uow.commit()
    return report


def export_to(store: Any, entity: str, path: Path, *, style: str = "zh") -> Path:
    with store.read() as s:
        headers, rows = export_table(s, entity, ADMIN, style=style, for_xlsx=path.suffix == ".xlsx")  # type: ignore[arg-type]
        if path.suffix == ".xlsx":
            write_xlsx(headers, rows, path, entity)
        else:
            with path.open("w", encoding="utf-8-sig", newline="") as f:
                write_csv(headers, rows, f)
    return path


def counts(report: ImportReport) -> tuple[int, int, int]:
    t = report.totals()
    return t.created, t.updated, t.unchanged


def seed_everything(store: Any) -> dict[str, int]:
    """The small Org plus one or more rows of every entity; returns each entity's record count."""
    with store.uow() as uow:
        org = Org(uow)
        products = crm_service.upsert_products(uow, [
            crm.ProductDraft(name="产力 CRM 标准版", series="CRM", list_price=Decimal("9800.00"), external_id="SKU-1"),
            crm.ProductDraft(name="实施服务", list_price=Decimal("1500.50")),
        ]).ids
        create_lead(uow, org.sh1, source="官网", channel="线上", score=Decimal("87.50"))
        create_lead(uow, org.bj1, company_name="北京某公司", source="展会")
        opp = create_opportunity(uow, org.sh1, org.acc_sh1, amount="250000.00", stage="proposal")
        create_opportunity(uow, org.bj1, None, amount="0", stage="prospecting")
        crm_service.upsert_orders(uow, [crm.OrderDraft(
            account_id=org.acc_sh1, owner_id=org.sh1, signed_on=date(2026, 11, 3), opportunity_id=opp,
            is_renewal=True, payment_due_on=date(2026, 12, 31), external_id="ORD-MULTI",
            lines=(crm.OrderLineDraft(Decimal(3), Decimal("33.33"), Decimal("0.15"), products[0]),
                   crm.OrderLineDraft(Decimal(1), Decimal("1500.50"), Decimal(0), products[1])),
        )])
        create_payment(uow, org.order_sh1, "60000.00", date(2026, 11, 1))
        create_payment(uow, org.order_bj1, "80000.00", date(2026, 11, 20))
        crm_service.upsert_activities(uow, [
            crm.ActivityDraft(kind="visit", person_id=org.sh1, started_at=datetime(2026, 10, 9, 2, 30, tzinfo=UTC),
                              duration_min=90, account_id=org.acc_sh1, opportunity_id=opp, outcome="确认需求",
                              external_id="ACT-1"),
            crm.ActivityDraft(kind="call", person_id=org.bj1, started_at=datetime(2026, 10, 10, 6, 0, tzinfo=UTC),
                              external_id="ACT-2"),
        ])
        uow.commit()
    return {"teams": 6, "people": 6, "products": 2, "accounts": 2, "leads": 2, "opportunities": 2, "orders": 3,
            "payments": 2, "activities": 2}
