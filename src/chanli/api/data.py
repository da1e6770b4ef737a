"""Import and export endpoints: upload a spreadsheet, download one.

``POST /imports/{entity}`` takes a multipart file (and optionally a ``mapping`` file),
validates all of it and applies all of it or nothing; a bad file answers 422 with every
issue. ``GET /exports/{entity}`` streams CSV or .xlsx in the columns the import reads,
limited to the rows the caller may see.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from chanli.api.deps import CurrentPrincipal, get_container, uow_for
from chanli.core.auth import require
from chanli.exchange import ENTITIES, csv_chunks, entity_spec, export_table, import_file, write_xlsx
from chanli.exchange.readers import FileProblem, load_mapping

router = APIRouter(tags=["data"])

Entity = StrEnum("Entity", {name: name for name in ENTITIES})  # type: ignore[misc]


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MAX_UPLOAD = 512 * 1024 * 1024
CHUNK = 1 << 20


def _save(upload: UploadFile, folder: Path, fallback: str) -> Path:
    name = Path(upload.filename or fallback).name or fallback
    path = folder / name
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, CHUNK)
    return path


@router.post(
    "/imports/{entity}",
    summary="Import a CSV or .xlsx file (all rows or none)",
    responses={422: {"description": "the file has errors; every issue is listed, nothing was written"},
               409: {"description": "the store refused the data; nothing was written"}},
)
def import_upload(
    entity: Entity,
    request: Request,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030/GBK) or .xlsx")],
    mapping: Annotated[UploadFile | None, File(description='JSON or YAML {"file header": "field"}')] = None,
    dry_run: Annotated[bool, Query(description="validate only")] = False,
) -> JSONResponse:
    require(principal, "data.import")
    with tempfile.TemporaryDirectory(prefix="chanli-upload-") as tmp:
        folder = Path(tmp)
        path = _save(file, folder, f"upload-{entity.value}.csv")
        if path.stat().st_size > MAX_UPLOAD:
            return JSONResponse({"detail": "the file is larger than 512 MiB; use the CLI"}, status_code=413)
        custom = None
        if mapping is not None:
            mapping_dir = folder / "mapping"
            mapping_dir.mkdir()
            try:
                custom = load_mapping(_save(mapping, mapping_dir, "mapping.json"))
            except FileProblem as problem:
                return JSONResponse({"detail": str(problem), "issues": [problem.issue.as_dict()]}, status_code=422)
        with uow_for(request, principal) as uow:
            report = import_file(uow, entity.value, path, mapping=custom, dry_run=dry_run,
                                 display_name=file.filename or path.name)
            committed = report.ok and not dry_run
            if committed:
                uow.commit()
    body = {**report.as_dict(), "committed": committed}
    if report.failed:
        return JSONResponse({"detail": "the store refused the import; nothing was written", **body}, status_code=409)
    if report.errors:
        first = "; ".join(str(i) for i in report.errors[:3])
        return JSONResponse({"detail": f"{len(report.errors)} errors, nothing was written: {first}", **body},
                            status_code=422)
    return JSONResponse(body)


@router.get("/exports/{entity}", summary="Download an entity as CSV or .xlsx (re-importable)")
def export_download(
    entity: Entity,
    request: Request,
    principal: CurrentPrincipal,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.CSV,
    field_names: Annotated[bool, Query(description="English field names and codes instead of Chinese")] = False,
) -> StreamingResponse:
    require(principal, "data.export")
    container = get_container(request)
    spec = entity_spec(entity.value)
    style = "field" if field_names else "zh"
    filename = f"{spec.name}.{fmt.value}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt is ExportFormat.XLSX:
        spooled = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - closed by the stream
        with container.read() as s:
            head, rows = export_table(s, spec.name, principal, style=style, for_xlsx=True)
            write_xlsx(head, rows, spooled, spec.label)
        spooled.seek(0)

        def chunks() -> Iterator[bytes]:
            try:
                while block := spooled.read(CHUNK):
                    yield block
            finally:
                spooled.close()

        return StreamingResponse(
            chunks(), headers=headers,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def lines() -> Iterator[bytes]:
        """The CSV produced while it is sent, inside one read session."""
        with container.read() as s:
            head, rows = export_table(s, spec.name, principal, style=style)
            for piece in csv_chunks(head, rows):
                yield piece.encode("utf-8")

    return StreamingResponse(lines(), headers=headers, media_type="text/csv; charset=utf-8")
