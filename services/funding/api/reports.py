"""/v1/funding-reports/budget: budget use per programme, round, district and tier (programme staff);
/v1/public/awards and /v1/public/awards.xlsx: the open award data (资助公示), without a token
(docs/open-award-data.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.funding.schemas import reports as schemas
from services.funding.service import reports as service
from shared.app import Sessions
from shared.auth import Actor, Role, Visitor, public_access, require_actor
from shared.clock import programme_today
from shared.http import Page
from shared.types import integer_between

router = APIRouter(tags=["reports"])

Staff = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
Public = Annotated[Visitor, public_access()]
PublicLimit = Annotated[int, Query(ge=1, le=50)]
AwardYear = Annotated[integer_between(2000, 2100), Query(description="the year awarded (Asia/Shanghai)")]
# Open data holds nothing personal: a shared cache may keep it a minute.
PUBLIC_CACHE = "public, max-age=60"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/v1/funding-reports/budget", response_model=schemas.BudgetUseRead,
            summary="Budget use by programme or round (the ledger), or by the firms' district or tier (the awards)")
async def budget_use(actor: Staff, sessions: Sessions,
                     by: Annotated[schemas.BudgetDimension, Query()] = "programme") -> schemas.BudgetUseRead:
    return await service.budget_use(sessions, actor, by)


@router.get("/v1/public/awards", response_model=Page[schemas.OpenAward], response_model_by_alias=True,
            summary="Open award data (资助公示) in the documented schema (docs/open-award-data.md)")
async def open_awards(_: Public, sessions: Sessions, response: Response, limit: PublicLimit = 20,
                      cursor: str | None = None, year: AwardYear | None = None) -> Page[schemas.OpenAward]:
    items, next_cursor = await service.open_awards(sessions, limit=limit, cursor=cursor, year=year)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/public/awards.xlsx", response_class=Response,
            summary="One year's open award data as XLSX (default: this year)",
            responses={200: {"content": {XLSX: {}}, "description": "the awards as an attachment"}})
async def open_awards_xlsx(_: Public, sessions: Sessions, year: AwardYear | None = None) -> Response:
    year = year or programme_today().year
    content = await service.open_awards_xlsx(sessions, year=year)
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="huzhou-awards-{year}.xlsx"', "Cache-Control": PUBLIC_CACHE})
