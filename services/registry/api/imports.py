"""/v1/imports and /v1/exports: bulk import of enterprises and annual figures (批量导入), XLSX export (导出)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from services.registry.schemas import imports as schemas
from services.registry.service import imports as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.clock import PROGRAMME_ZONE
from shared.errors import InvalidInput
from shared.http import problem_response

router = APIRouter(tags=["imports"])

Importer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
Exporter = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER)]

# Multipart overhead (boundaries, part headers) allowed above the file's own limit before Content-Length refuses.
_MULTIPART_SLACK = 64 * 1024

# The body is read by hand (see _read_upload), so the OpenAPI document is told its shape here.
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": "a CSV (UTF-8) or XLSX file with a header row"}},
        }}},
    }
}
_IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The import report: accepted rows are committed, rejected rows are listed"},
    413: {"description": f"The upload exceeds {service.MAX_UPLOAD_BYTES // (1024 * 1024)} MiB (problem+json)"},
    422: {"description": "The file as a whole cannot be read (not UTF-8, not XLSX, unknown or missing columns)"},
}


class _TooLarge(Exception):
    pass


async def _read_upload(request: Request) -> tuple[str, bytes]:
    """The uploaded file's name and bytes. Refuses an oversized upload from its Content-Length before reading it,
    and again after reading when the client sent no length."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > service.MAX_UPLOAD_BYTES + _MULTIPART_SLACK:
        raise _TooLarge()
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("send the file as multipart/form-data, in a part named 'file'", field="file")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except MultiPartException as exc:
        raise InvalidInput(f"the multipart body cannot be read: {exc.message}", field="file") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("no file part named 'file' in the upload", field="file")
    try:
        content = await upload.read(service.MAX_UPLOAD_BYTES + 1)
    finally:
        await form.close()
    if len(content) > service.MAX_UPLOAD_BYTES:
        raise _TooLarge()
    return upload.filename or "upload", content


def _too_large() -> JSONResponse:
    return problem_response(413, "Upload too large",
                            f"an import file may hold at most {service.MAX_UPLOAD_BYTES} bytes "
                            f"({service.MAX_UPLOAD_BYTES // (1024 * 1024)} MiB); split it into several files",
                            errors=[{"field": "file", "reason": "too large"}])


@router.post("/v1/imports/enterprises", response_model=schemas.ImportReport, responses=_IMPORT_RESPONSES,
             openapi_extra=_UPLOAD_BODY, summary="Import enterprises from CSV or XLSX (upsert by USCC)")
async def import_enterprises(request: Request, actor: Importer, work: WorkOf) -> Any:
    """Each valid row registers a firm (new USCC) or updates it; rows are validated as `POST /v1/enterprises`
    validates a body. Accepted rows commit even when others are rejected; a rejected row writes nothing. Importing
    the same file again changes nothing. Officers may import only firms of their districts."""
    try:
        file_name, content = await _read_upload(request)
    except _TooLarge:
        return _too_large()
    return await service.import_enterprises(work, actor, file_name, content)


@router.post("/v1/imports/figures", response_model=schemas.ImportReport, responses=_IMPORT_RESPONSES,
             openapi_extra=_UPLOAD_BODY, summary="Import annual figures from CSV or XLSX (upsert by USCC and year)")
async def import_figures(request: Request, actor: Importer, work: WorkOf) -> Any:
    """Each valid row reports or corrects one firm's figures (年报) for one year. The firm must be registered.
    R&D expense above operating revenue is accepted and listed under `flags`."""
    try:
        file_name, content = await _read_upload(request)
    except _TooLarge:
        return _too_large()
    return await service.import_figures(work, actor, file_name, content)


@router.get("/v1/imports/enterprises/columns", response_model=schemas.ImportFormat,
            summary="The columns an enterprise import file may have")
async def enterprise_import_columns(actor: Importer) -> schemas.ImportFormat:
    return service.enterprise_columns().doc()


@router.get("/v1/imports/figures/columns", response_model=schemas.ImportFormat,
            summary="The columns an annual-figures import file may have")
async def figure_import_columns(actor: Importer) -> schemas.ImportFormat:
    return service.figure_columns().doc()


@router.get("/v1/exports/enterprises.xlsx", summary="Export the filtered enterprise list as XLSX",
            response_class=FileResponse,
            responses={200: {"content": {service.XLSX_MEDIA_TYPE: {}}, "description": "An XLSX workbook"}})
async def export_enterprises(
    actor: Exporter,
    sessions: Sessions,
    district_code: Annotated[str | None, Query(description="GB/T 2260 district code")] = None,
    sector: str | None = None,
    cluster: str | None = None,
    size_class: str | None = None,
    pool: str | None = None,
    q: Annotated[str | None, Query(max_length=100, description="words in the name or the main products")] = None,
) -> FileResponse:
    """The same filters as the enterprise list. Text cells that a spreadsheet would evaluate (starting with
    = + - @ TAB CR) are prefixed with a single quote; contacts are masked for roles that may not see them. An
    officer's export holds the firms of the officer's districts."""
    filters = service.ExportFilters(district_code=district_code, sector=sector, cluster=cluster,
                                    size_class=size_class, pool=pool, q=q)
    path = await service.export_enterprises(sessions, actor, filters)
    stamp = datetime.now(PROGRAMME_ZONE).strftime("%Y%m%d-%H%M")
    return FileResponse(path, media_type=service.XLSX_MEDIA_TYPE, filename=f"enterprises-{stamp}.xlsx",
                        background=BackgroundTask(os.unlink, path))
