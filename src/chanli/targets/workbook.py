"""The planning grid as an Excel workbook: export it, edit it in Excel, import it back.

Why formulas in the export: a planner edits the reps' months; team rows and quarter/year
columns are ``=SUM(...)`` formulas, so Excel shows the new totals while they type. On
import only the reps' month cells are read as input; everything else is recomputed, and a
number typed over a formula must equal what the formula would give. Every bad cell is
reported with its row and column, and nothing is applied while any error remains.

A manager's workbook holds only their subtree, and the totals of their top rows (the
number HQ gave them) may not change: they rebalance inside it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ibis.backends import BaseBackend
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from chanli.core.auth import Principal, require
from chanli.core.db import UnitOfWork
from chanli.core.issues import Issues
from chanli.targets import queries, rules
from chanli.targets.model import MetricDef, OwnerRef, TargetStatus, metric, parse_owner

__all__ = ["MARKER", "SHEET", "ImportSummary", "export_plan", "import_plan"]

SHEET = "目标计划"
MARKER = "chanli-target-plan"
HEADER_ROW = 4
FIRST_ROW = 5
FIXED = 3  # owner key, name, kind
_INPUT = PatternFill("solid", fgColor="FFFFFF")
_DERIVED = PatternFill("solid", fgColor="EEF1F5")
_HEAD = PatternFill("solid", fgColor="C8102E")
_THIN = Side(style="thin", color="D0D5DB")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_KIND_ZH = {"company": "公司", "team": "团队", "person": "销售"}


def _number_format(m: MetricDef) -> str:
    return {"money": "#,##0.00", "count": "0", "ratio": "0.00%", "days": "0.0", "score": "0.0"}[m.unit.value]


def _columns(shape: Any) -> list[int]:
    """Leaf periods in time order, then each coarser grain (months, quarters, …, the year)."""
    leaves = shape.leaves
    coarse = [i for i in range(len(shape.periods)) if not shape.is_leaf_period(i)]
    order = {"week": 0, "month": 1, "quarter": 2, "half": 3, "year": 4}
    coarse.sort(key=lambda i: (order.get(shape.periods[i].grain.value, 9), shape.periods[i].start))
    return leaves + coarse


def export_plan(s: Session, principal: Principal, plan_id: int) -> bytes:
    """The plan's grid as .xlsx (only the rows the caller may see)."""
    require(principal, "targets.read")
    plan = queries.get_plan(s, principal, plan_id)
    if plan is None:
        from chanli.targets.service import NotFound

        raise NotFound(f"target plan {plan_id} does not exist")
    m = metric(plan.metric_code)
    shape, by_cell = queries.shape_of(queries.load_cells(s, plan_id))
    visible = queries._visible_owner_keys(s, principal, plan_id)
    owners = [o for o in shape.owners if visible is None or str(o) in visible]
    org = queries.org_snapshot(s)
    cols = _columns(shape)
    col_of = {i: FIXED + 1 + n for n, i in enumerate(cols)}
    row_of = {o: FIRST_ROW + n for n, o in enumerate(owners)}
    depth: dict[OwnerRef, int] = {}
    for o in shape.owners:
        parent = shape.owner_parent.get(o)
        depth[o] = 0 if parent is None else depth[parent] + 1
    top = min((depth[o] for o in owners), default=0)

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws["A1"] = f"产力 Chanli · {plan.name} · {m.label_zh} · {plan.period_label} · v{plan.version} ({plan.status})"
    ws["A1"].font = Font(bold=True, size=13)
    for col, value in enumerate([MARKER, plan_id, plan.version, plan.metric_code, plan.period_label], start=1):
        ws.cell(row=2, column=col, value=value).font = Font(color="9AA5B1", size=8)
    ws["A3"] = "只修改白色单元格（最底层负责人的最细周期）；灰色的汇总行与季度/年度列是公式，导入时会重新计算。"
    ws["A3"].font = Font(italic=True, color="52606D")
    heads = ["负责人编号 owner", "负责人 name", "类型 kind"] + [shape.periods[i].label for i in cols]
    for col, text in enumerate(heads, start=1):
        c = ws.cell(row=HEADER_ROW, column=col, value=text)
        c.font, c.fill, c.alignment = Font(bold=True, color="FFFFFF"), _HEAD, Alignment(horizontal="center")
    fmt = _number_format(m)
    for o in owners:
        r = row_of[o]
        ws.cell(row=r, column=1, value=str(o))
        ws.cell(row=r, column=2, value="  " * (depth[o] - top) + org.name(o))
        ws.cell(row=r, column=3, value=_KIND_ZH[o.kind.value])
        kids = [k for k in shape.owner_children(o) if k in row_of]
        for i in cols:
            c = ws.cell(row=r, column=col_of[i])
            value = queries.target_value(by_cell[(o, i)])
            derived = m.additive and (not shape.is_leaf_period(i) or bool(kids))
            if derived and not shape.is_leaf_period(i):
                leaves = shape.leaves_under(i)
                first, last = get_column_letter(col_of[leaves[0]]), get_column_letter(col_of[leaves[-1]])
                c.value = f"=SUM({first}{r}:{last}{r})"
            elif derived and len(kids) <= 200:
                letter = get_column_letter(col_of[i])
                c.value = "=SUM(" + ",".join(f"{letter}{row_of[k]}" for k in kids) + ")"
            else:
                c.value = float(value) if m.unit.value == "ratio" else value
            c.number_format, c.border = fmt, _BORDER
            c.fill = _DERIVED if derived else _INPUT
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 8
    for i in cols:
        ws.column_dimensions[get_column_letter(col_of[i])].width = 14
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=FIXED + 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class ImportSummary:
    applied: bool
    changed: int
    issues: Issues
    total_before: Decimal | None = None
    total_after: Decimal | None = None


def _as_number(value: Any) -> Decimal | str | None:
    """A cell as a Decimal; ``None`` when empty; the reason as text when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return "not a number"
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that reads back as this float: 833333.34
    text = str(value).strip()
    if text.startswith("="):
        return "formula"
    try:
        return Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return "not a number"


def import_plan(
    uow: UnitOfWork,
    principal: Principal,
    plan_id: int,
    data: bytes,
    *,
    source: str = "workbook.xlsx",
    dry_run: bool = False,
    con: BaseBackend | None = None,
) -> ImportSummary:
    """Read an edited workbook back into a draft plan; all or nothing."""
    from chanli.targets import service

    require(principal, "targets.plan")
    s = uow.session
    issues = Issues()
    plan_row = queries.get_plan(s, principal, plan_id)
    if plan_row is None:
        raise service.NotFound(f"target plan {plan_id} does not exist")
    try:
        wb = load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not .xlsx
        issues.error("workbook.unreadable", f"not an Excel .xlsx workbook ({type(exc).__name__})", source=source)
        return ImportSummary(False, 0, issues)
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    marker = [ws.cell(row=2, column=c).value for c in range(1, 4)]
    if marker[0] != MARKER:
        issues.error(
            "workbook.marker",
            "this is not a target plan exported by Chanli (cell A2)",
            source=source,
            row=2,
            column="A",
        )
        return ImportSummary(False, 0, issues)
    if str(marker[1]) != str(plan_id):
        issues.error(
            "workbook.plan",
            f"this workbook is plan {marker[1]}, not plan {plan_id}",
            source=source,
            row=2,
            column="B",
            value=str(marker[1]),
        )
    if str(marker[2]) != str(plan_row.version):
        issues.error(
            "workbook.version",
            f"exported at version {marker[2]}; the plan is now at version "
            f"{plan_row.version}: export it again and redo the edits",
            source=source,
            row=2,
            column="C",
        )
    if plan_row.status != TargetStatus.DRAFT.value:
        issues.error(
            "workbook.status", f"plan {plan_id} is {plan_row.status}: only a draft is edited from Excel", source=source
        )
    if issues.has_errors():
        return ImportSummary(False, 0, issues)

    m = metric(plan_row.metric_code)
    plan = s.get(service.TargetPlan, plan_id)
    assert plan is not None
    shape, by_cell, grid = service._load_grid(s, plan)
    visible = queries._visible_owner_keys(s, principal, plan_id)
    owners = [o for o in shape.owners if visible is None or str(o) in visible]
    label_to_index = {p.label: i for i, p in enumerate(shape.periods)}
    col_index: dict[int, int] = {}
    for col in range(FIXED + 1, ws.max_column + 1):
        head = ws.cell(row=HEADER_ROW, column=col).value
        if head is None:
            continue
        if str(head).strip() in label_to_index:
            col_index[label_to_index[str(head).strip()]] = col
        else:
            issues.error(
                "workbook.column",
                f"unknown period column {head!r}",
                source=source,
                row=HEADER_ROW,
                column=get_column_letter(col),
                value=str(head),
            )
    for i, p in enumerate(shape.periods):
        if i not in col_index:
            issues.error("workbook.column", f"the column for {p.label} is missing", source=source, row=HEADER_ROW)
    row_of: dict[OwnerRef, int] = {}
    for r in range(FIRST_ROW, ws.max_row + 1):
        key = ws.cell(row=r, column=1).value
        if key is None or not str(key).strip():
            continue
        try:
            o = parse_owner(str(key))
        except ValueError as exc:
            issues.error("workbook.owner", str(exc), source=source, row=r, column="A", value=str(key))
            continue
        if o not in owners:
            issues.error(
                "workbook.owner",
                f"{o} is not an owner of this plan you may edit",
                source=source,
                row=r,
                column="A",
                value=str(o),
            )
        elif o in row_of:
            issues.error(
                "workbook.owner",
                f"{o} appears twice (rows {row_of[o]} and {r})",
                source=source,
                row=r,
                column="A",
                value=str(o),
            )
        else:
            row_of[o] = r
    for o in owners:
        if o not in row_of:
            issues.error("workbook.row", f"the row for {o} is missing", source=source, value=str(o))
    if issues.has_errors():
        return ImportSummary(False, 0, issues)

    def where(o: OwnerRef, i: int) -> dict[str, Any]:
        col = col_index[i]
        return {"source": source, "row": row_of[o], "column": f"{get_column_letter(col)} ({shape.periods[i].label})"}

    entered: dict[tuple[OwnerRef, int], Decimal] = {}
    typed_derived: dict[tuple[OwnerRef, int], Decimal] = {}
    for o in owners:
        has_kids = bool(shape.owner_children(o))
        for i in range(len(shape.periods)):
            raw = ws.cell(row=row_of[o], column=col_index[i]).value
            value = _as_number(raw)
            derived = m.additive and (has_kids or not shape.is_leaf_period(i))
            if derived:
                if isinstance(value, Decimal):
                    typed_derived[(o, i)] = value
                elif value == "not a number":
                    issues.error("workbook.number", "not a number", value=str(raw), **where(o, i))
                continue
            if value is None:
                issues.error("workbook.empty", "empty: type 0 for no target", **where(o, i))
            elif value == "formula":
                issues.error("workbook.formula", "type a number here, not a formula", value=str(raw), **where(o, i))
            elif isinstance(value, str):
                issues.error("workbook.number", "not a number", value=str(raw), **where(o, i))
            elif value < 0:
                issues.error("workbook.negative", "a target cannot be negative", value=str(raw), **where(o, i))
            elif m.additive and value != value.quantize(m.unit.quantum):
                issues.error(
                    "workbook.quantum",
                    f"{m.label_en} is set in steps of {m.unit.quantum}",
                    value=str(raw),
                    **where(o, i),
                )
            else:  # Excel hands back 25000.00 as 25000: put the fen back
                entered[(o, i)] = value.quantize(m.unit.quantum) if m.additive else value
    if issues.has_errors():
        return ImportSummary(False, 0, issues)

    if m.additive:
        leaf_values = {
            (o, leaf): grid[(o, leaf)] for o in shape.owners for leaf in shape.leaves if not shape.owner_children(o)
        }
        leaf_values.update(entered)
        new = rules.grid_from_leaves(shape, leaf_values)
        for k, typed in typed_derived.items():
            if typed != new[k]:
                issues.error(
                    "workbook.sum",
                    f"should be {new[k]} (the sum it stands for), found {typed}: "
                    "restore the formula or fix the cells it adds up",
                    value=str(typed),
                    **where(*k),
                )
        if visible is not None:
            tops = [o for o in owners if shape.owner_parent.get(o) is None or str(shape.owner_parent[o]) not in visible]
            for o in tops:
                if new[(o, 0)] != grid[(o, 0)]:
                    issues.error(
                        "workbook.total",
                        f"the total of {o} must stay {grid[(o, 0)]} (set above you); your edits make {new[(o, 0)]}",
                        **where(o, 0),
                    )
    else:
        new = dict(grid)
        new.update(entered)
    if issues.has_errors():
        return ImportSummary(False, 0, issues)
    root = (shape.root, 0)
    if new[root] != grid[root]:
        issues.warning(
            "workbook.total_changed", f"the plan total changes from {grid[root]} to {new[root]}", source=source
        )
    if dry_run:
        changed = sum(1 for k in new if new[k] != grid[k])
        return ImportSummary(False, changed, issues, grid[root], new[root])
    ids = service._write_changes(uow, plan, by_cell, grid, new, action="target.import", reason=f"Excel: {source}")
    if ids:
        service._refresh_smart(s, con, plan, shape, by_cell, new, queries.org_snapshot(s))
    return ImportSummary(True, len(ids), issues, grid[root], new[root])
