"""/v1/imports and /v1/exports: bulk import of enterprises and annual figures (批量导入), XLSX export (导出)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from services.registry.schemas import imports as schemas
from services.registry.service import imports as service
from shared.app import Sessions, Settings, UploadBody, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.clock import PROGRAMME_ZONE
from shared.errors import InvalidInput
from shared.http import MULTIPART_OVERHEAD_BYTES, problem_response


@asynccontextmanager
async def _background_imports(app: FastAPI) -> AsyncIterator[None]:
    """The app's background imports: started after the app's engine, stopped before it (FastAPI nests a router's
    lifespan in the app's)."""
    jobs = service.ImportJobs(app.state.work, owner=socket.gethostname())
    await jobs.start()
    app.state.import_jobs = jobs
    try:
        yield
    finally:
        await jobs.stop()


router = APIRouter(tags=["imports"], lifespan=_background_imports)

Importer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
Exporter = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER)]

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
    202: {"model": schemas.ImportJobRead,
          "description": f"More than {service.BACKGROUND_ROWS:,} rows: the import runs in the background; poll the "
                         "Location (GET /v1/imports/{import_id}) for its report"},
    413: {"description": f"The upload exceeds the upload limit ({service.MAX_UPLOAD_BYTES // (1024 * 1024)} MiB "
                         "unless configured otherwise), or the file exceeds a limit of what it may hold or unpack to, "
                         "named in `limit` (problem+json)"},
    422: {"description": "The file as a whole cannot be read (not UTF-8, not XLSX, unknown or missing columns, a "
                         "cell or a row beyond a limit)"},
    503: {"description": "This server holds as many background imports as it may: retry after Retry-After seconds"},
}


class _TooLarge(Exception):
    pass


async def _read_upload(request: Request, max_bytes: int) -> tuple[str, bytes]:
    """The uploaded file's name and bytes. Refuses an oversized upload from its Content-Length before reading it,
    and again after reading when the client sent no length (shared.http.BodyLimitMiddleware counts the bytes as
    they come, too)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes + MULTIPART_OVERHEAD_BYTES:
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
        content = await upload.read(max_bytes + 1)
    finally:
        await form.close()
    if len(content) > max_bytes:
        raise _TooLarge()
    # The name is the client's words: control characters (NUL, which PostgreSQL refuses) are dropped.
    name = "".join(ch for ch in upload.filename or "" if ch.isprintable()) or "upload"
    return name, content


def _too_large(max_bytes: int) -> JSONResponse:
    return problem_response(413, "Upload too large",
                            f"an import file may hold at most {max_bytes} bytes ({max_bytes / (1024 * 1024):g} MiB); "
                            "split it into several files",
                            errors=[{"field": "file", "reason": "too large"}],
                            limit={"name": "max_upload_bytes", "value": max_bytes})


async def _import(request: Request, actor: Actor, work: WorkOf, settings: Settings, kind: service.Kind) -> Any:
    try:
        file_name, content = await _read_upload(request, settings.max_upload_bytes)
    except _TooLarge:
        return _too_large(settings.max_upload_bytes)
    try:
        outcome = await service.start_import(work, request.app.state.import_jobs, actor, kind, file_name, content)
    except service.FileTooLarge as exc:
        return problem_response(413, exc.title, exc.detail, errors=[{"field": "file", "reason": exc.detail}],
                                **exc.extra)
    except service.ImportsBusy as exc:
        return problem_response(503, "Service unavailable", str(exc), headers={"Retry-After": "60"})
    if isinstance(outcome, schemas.ImportJobRead):
        return JSONResponse(outcome.model_dump(mode="json"), status_code=202,
                            headers={"Location": f"/v1/imports/{outcome.id}", "Retry-After": "5"})
    return outcome


@router.post("/v1/imports/enterprises", response_model=schemas.ImportReport, responses=_IMPORT_RESPONSES,
             openapi_extra=_UPLOAD_BODY, dependencies=[UploadBody],
             summary="Import enterprises from CSV or XLSX (upsert by USCC)")
async def import_enterprises(request: Request, actor: Importer, work: WorkOf, settings: Settings) -> Any:
    """Each valid row registers a firm (new USCC) or updates it; rows are validated as `POST /v1/enterprises`
    validates a body. Accepted rows commit even when others are rejected; a rejected row writes nothing. Importing
    the same file again changes nothing. Officers may import only firms of their districts. A file of more than
    5,000 rows is imported in the background (202: poll the Location)."""
    return await _import(request, actor, work, settings, "enterprises")


@router.post("/v1/imports/figures", response_model=schemas.ImportReport, responses=_IMPORT_RESPONSES,
             openapi_extra=_UPLOAD_BODY, dependencies=[UploadBody],
             summary="Import annual figures from CSV or XLSX (upsert by USCC and year)")
async def import_figures(request: Request, actor: Importer, work: WorkOf, settings: Settings) -> Any:
    """Each valid row reports or corrects one firm's figures (年报) for one year. The firm must be registered.
    R&D expense above operating revenue is accepted and listed under `flags`. A file of more than 5,000 rows is
    imported in the background (202: poll the Location)."""
    return await _import(request, actor, work, settings, "figures")


@router.get("/v1/imports/{import_id}", response_model=schemas.ImportJobRead,
            responses={404: {"description": "No background import with this id was started by the caller"}},
            summary="A background import: its status, and its report once done")
async def import_job(import_id: uuid.UUID, request: Request, actor: Importer) -> schemas.ImportJobRead:
    """Poll until `status` is `done` (`report` holds the report) or `failed` (`problem` says why). Visible to the
    one who started the import, and to admins."""
    return await request.app.state.import_jobs.get(actor, import_id)


@router.get("/v1/imports/enterprises/columns", response_model=schemas.ImportFormat,
            summary="The columns an enterprise import file may have")
async def enterprise_import_columns(actor: Importer, settings: Settings) -> schemas.ImportFormat:
    return service.enterprise_columns().doc(settings.max_upload_bytes)


@router.get("/v1/imports/figures/columns", response_model=schemas.ImportFormat,
            summary="The columns an annual-figures import file may have")
async def figure_import_columns(actor: Importer, settings: Settings) -> schemas.ImportFormat:
    return service.figure_columns().doc(settings.max_upload_bytes)


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
