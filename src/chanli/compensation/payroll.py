"""Files out of compensation: the payroll hand-off (Excel or CSV with configurable columns) and
the statements workbook of a run (a summary sheet and every line explained).

Why columns are configurable: every payroll system wants its own layout (工号 first, a column
per component, the bank's order). The column keys are fixed identifiers (``PAYROLL_COLUMNS``);
a ``component:<id>`` key adds a column with that component's amount. Money cells are written
as numbers with two decimals from ``Decimal`` (never through a float in our code) and the
total row is the sum of the statement totals, which are sums of their lines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chanli.compensation import facts
from chanli.compensation.tables import CompPlan, CompRun, CompStatement, CompStatementLine
from chanli.core.auth import Principal, require

__all__ = [
    "DEFAULT_COLUMNS",
    "PAYROLL_COLUMNS",
    "check_columns",
    "payroll_rows",
    "render_payroll",
    "statements_workbook",
]

PAYROLL_COLUMNS: dict[str, str] = {
    "employee_no": "工号",
    "person_id": "人员ID",
    "name": "姓名",
    "team": "团队",
    "tier": "职级",
    "period": "期间",
    "plan": "薪酬方案",
    "run": "计算批次",
    "total": "应发金额",
    "status": "状态",
}
DEFAULT_COLUMNS = ("employee_no", "name", "team", "period", "plan", "total")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_columns(columns: Sequence[str]) -> list[str]:
    """The columns, or ValueError naming the unknown ones."""
    cols = [c.strip() for c in columns if c.strip()] or list(DEFAULT_COLUMNS)
    bad = [c for c in cols if c not in PAYROLL_COLUMNS and not (c.startswith("component:") and len(c) > 10)]
    if bad:
        known = ", ".join([*PAYROLL_COLUMNS, "component:<id>"])
        raise ValueError(f"unknown payroll column(s) {', '.join(bad)}; known: {known}")
    return cols


def payroll_rows(s: Session, principal: Principal, statement_ids: Sequence[int]) -> list[dict[str, Any]]:
    """One dict per statement with every possible column (component amounts under
    ``component:<id>``), in person order."""
    require(principal, "comp.payroll")
    p, t = facts.people.c, facts.teams.c
    stmt = (
        select(CompStatement, CompPlan.key, p.external_id, t.name)
        .join(CompRun, CompRun.id == CompStatement.run_id)
        .join(CompPlan, CompPlan.id == CompRun.plan_id)
        .join(facts.people, p.id == CompStatement.person_id)
        .outerjoin(facts.teams, t.id == CompStatement.team_id)
        .where(CompStatement.id.in_(list(statement_ids)))
        .order_by(CompStatement.period_label, CompStatement.person_id)
    )
    amounts: dict[int, dict[str, Decimal]] = {}
    for sid, cid, amount in s.execute(
        select(CompStatementLine.statement_id, CompStatementLine.component_id, func.sum(CompStatementLine.amount))
        .where(CompStatementLine.statement_id.in_(list(statement_ids)))
        .group_by(CompStatementLine.statement_id, CompStatementLine.component_id)
    ):
        amounts.setdefault(sid, {})[f"component:{cid}"] = Decimal(amount)
    out = []
    for st, plan_key, external_id, team in s.execute(stmt):
        row: dict[str, Any] = {
            "employee_no": external_id or f"P{st.person_id:05d}",
            "person_id": st.person_id,
            "name": st.person_name,
            "team": team or "",
            "tier": st.tier,
            "period": st.period_label,
            "plan": plan_key,
            "run": st.run_id,
            "total": Decimal(st.total),
            "status": st.status,
            "_id": st.id,
        }
        row.update(amounts.get(st.id, {}))
        out.append(row)
    return out


def _header(column: str) -> str:
    return PAYROLL_COLUMNS.get(column, column.removeprefix("component:"))


def render_payroll(rows: Sequence[dict[str, Any]], columns: Sequence[str], file_format: str) -> bytes:
    """The payroll file: a header row, one row per statement, and a total row."""
    cols = check_columns(columns)
    total = sum((Decimal(r["total"]) for r in rows), Decimal("0.00"))
    if file_format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([_header(c) for c in cols])
        for r in rows:
            writer.writerow([_text(r.get(c, Decimal("0.00") if c.startswith("component:") else "")) for c in cols])
        writer.writerow(["合计" if i == 0 else (_text(total) if c == "total" else "") for i, c in enumerate(cols)])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")  # a BOM so Excel reads Chinese right
    if file_format != "xlsx":
        raise ValueError("payroll files are xlsx or csv")
    wb = Workbook()
    ws = wb.active
    ws.title = "工资发放"
    ws.append([_header(c) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:  # openpyxl writes a Decimal as a number, from its text
        ws.append([r.get(c, Decimal("0.00") if c.startswith("component:") else "") for c in cols])
    ws.append(["合计" if i == 0 else (total if c == "total" else None) for i, c in enumerate(cols)])
    _money_format(ws, cols)
    return _save(wb)


def _text(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _money_format(ws: Any, cols: Sequence[str]) -> None:
    for i, c in enumerate(cols, start=1):
        if c == "total" or c.startswith("component:"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "#,##0.00"


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def statements_workbook(s: Session, principal: Principal, statement_ids: Sequence[int]) -> bytes:
    """Statements (sheet 明细单) and every line with its formula, inputs and sources (sheet
    明细行), for the statements the caller may see (the shell passes scoped ids)."""
    require(principal, "comp.read")
    wb = Workbook()
    summary = wb.active
    summary.title = "明细单"
    summary.append(["明细单ID", "人员ID", "姓名", "职级", "期间", "状态", "行数", "合计"])
    detail = wb.create_sheet("明细行")
    detail.append(["明细单ID", "姓名", "序号", "组成项", "类型", "金额", "计算说明", "输入", "来源", "关联原行"])
    for ws in (summary, detail):
        for cell in ws[1]:
            cell.font = Font(bold=True)
    ids = sorted(set(statement_ids))
    statements = {st.id: st for st in s.scalars(select(CompStatement).where(CompStatement.id.in_(ids)))}
    for sid in ids:
        st = statements.get(sid)
        if st is None:
            continue
        summary.append(
            [st.id, st.person_id, st.person_name, st.tier, st.period_label, st.status, st.line_count, Decimal(st.total)]
        )
    for ln in s.scalars(
        select(CompStatementLine)
        .where(CompStatementLine.statement_id.in_(ids))
        .order_by(CompStatementLine.statement_id, CompStatementLine.seq)
    ):
        st = statements[ln.statement_id]
        detail.append(
            [
                st.id,
                st.person_name,
                ln.seq,
                ln.label,
                ln.kind,
                Decimal(ln.amount),
                ln.formula,
                json.dumps(ln.inputs, ensure_ascii=False),
                ", ".join(ln.sources or ()),
                ", ".join(str(r) for r in ln.refs or ()),
            ]
        )
    for (cell,) in summary.iter_rows(min_row=2, min_col=8, max_col=8):
        cell.number_format = "#,##0.00"
    for (cell,) in detail.iter_rows(min_row=2, min_col=6, max_col=6):
        cell.number_format = "#,##0.00"
    return _save(wb)
