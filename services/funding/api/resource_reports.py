"""/v1/resource-reports: usage of the innovation-resource pool and its vouchers, per provider, district and sector,
as JSON or as an XLSX workbook."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder

from services.funding.schemas import resource_reports as schemas
from services.funding.service import resource_reports as service
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor
from shared.types import Date

router = APIRouter(prefix="/v1/resource-reports", tags=["resource reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Officers (their districts), providers (their own resources), admins and services (everything).
Reporter = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.INSTITUTE, Role.PARK_OPERATOR, Role.SERVICE)]
FirstDay = Annotated[Date | None, Query(alias="from", description="first civil date (Asia/Shanghai), inclusive")]
LastDay = Annotated[Date | None, Query(alias="to", description="last civil date, inclusive")]
Format = Annotated[schemas.ReportFormat, Query(description="json, or xlsx for a workbook")]
FILES = {200: {"content": {"application/json": {}, XLSX: {}}, "description": "the report, or its workbook"}}


def _answer(report: schemas.UsageReport | schemas.VoucherReport, format: str, name: str) -> Response:
    if format == "xlsx":
        return Response(service.workbook(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return Response(orjson.dumps(jsonable_encoder(report)), media_type="application/json")


@router.get("/usage", response_model=schemas.UsageReport, responses=FILES,  # type: ignore[arg-type]
            summary="Bookings, hours, fees and voucher payments per provider, district, sector or resource kind")
async def usage(actor: Reporter, sessions: Sessions,
                by: Annotated[schemas.UsageDimension, Query()] = "provider", first_day: FirstDay = None,
                last_day: LastDay = None, format: Format = "json") -> Response:
    report = await service.usage_report(sessions, actor, by=by, first_day=first_day, last_day=last_day)
    return _answer(report, format, f"resource-usage-by-{by}")


@router.get("/vouchers", response_model=schemas.VoucherReport, responses=FILES,  # type: ignore[arg-type]
            summary="Vouchers issued, released and redeemed per provider, district, sector or round")
async def vouchers(actor: Reporter, sessions: Sessions,
                   by: Annotated[schemas.VoucherDimension, Query()] = "district", first_day: FirstDay = None,
                   last_day: LastDay = None, format: Format = "json") -> Response:
    report = await service.voucher_report(sessions, actor, by=by, first_day=first_day, last_day=last_day)
    return _answer(report, format, f"vouchers-by-{by}")
