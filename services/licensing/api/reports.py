"""/v1/reports/institutes: per institute and year, income, licences by mode and firms reached, as JSON or XLSX."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder

from services.licensing.schemas import reports as schemas
from services.licensing.service import reports as service
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor
from shared.clock import programme_today
from shared.types import Line, Year

router = APIRouter(prefix="/v1/reports", tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Reporter = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.INSTITUTE, Role.SERVICE)]
FILES = {200: {"content": {"application/json": {}, XLSX: {}}, "description": "the report, or its workbook"}}


@router.get("/institutes", response_model=schemas.InstituteReport, responses=FILES,  # type: ignore[arg-type]
            summary="Per institute and year: income, licences by mode, firms reached, equity registered")
async def institutes(actor: Reporter, sessions: Sessions,
                     year: Annotated[Year | None, Query(description="default: this year (Asia/Shanghai)")] = None,
                     institute_id: Annotated[Line | None, Query(max_length=100)] = None,
                     format: Annotated[schemas.ReportFormat, Query(description="json, or xlsx")] = "json") -> Response:
    year = year or programme_today().year
    report = await service.institute_report(sessions, actor, year=year, institute_id=institute_id)
    if format == "xlsx":
        return Response(service.workbook(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="licensing-{year}.xlsx"'})
    return Response(orjson.dumps(jsonable_encoder(report)), media_type="application/json")
