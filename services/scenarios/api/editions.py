"""List editions (清单, 第N批): /v1/lists/{kind}/editions to publish one (city-wide officers), and the public reads
and exports under /v1/public/lists/{kind}/editions (an edition is published: anyone may read it, without a token)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder

from services.scenarios.api.scenarios import PUBLIC_CACHE, Public, PublicLimit
from services.scenarios.domain.editions import ListKind
from services.scenarios.schemas import editions as schemas
from services.scenarios.service import editions as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page
from shared.types import Year, integer_between

router = APIRouter(prefix="/v1/lists/{kind}/editions", tags=["list editions"])
public_router = APIRouter(prefix="/v1/public/lists/{kind}/editions", tags=["public"])

# Admins and city-wide officers (a district officer is refused: service._ensure_city_wide).
Publisher = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
Number = integer_between(1, 10_000)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("", status_code=201, response_model=schemas.EditionRead,
             summary="Publish the next edition of a list: a snapshot of it as it stands, with its differences",
             responses={403: {"description": "only admins and city-wide officers publish the city's lists"}})
async def publish_edition(kind: schemas.Kind, body: schemas.EditionCreate, actor: Publisher, work: WorkOf,
                          response: Response) -> schemas.EditionRead:
    edition = await service.publish_edition(work, actor, ListKind(kind), body)
    response.headers["Location"] = f"/v1/public/lists/{kind}/editions/{edition.year}/{edition.number}"
    return edition


@public_router.get("", response_model=Page[schemas.EditionSummary],
                   summary="A list's editions, the latest first (no token)")
async def list_editions(kind: schemas.Kind, _: Public, sessions: Sessions, response: Response,
                        year: Annotated[Year | None, Query()] = None, limit: PublicLimit = 20,
                        cursor: str | None = None) -> Page[schemas.EditionSummary]:
    items, next_cursor = await service.list_editions(sessions, ListKind(kind), year=year, limit=limit, cursor=cursor)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return Page(items=items, next_cursor=next_cursor)


@public_router.get("/{year}/{number}", response_model=schemas.EditionRead,
                   summary="One edition: its entries as they stood, and its differences from the one before (no token)")
async def get_edition(kind: schemas.Kind, year: Year, number: Number, _: Public, sessions: Sessions,
                      response: Response) -> schemas.EditionRead:
    edition = service.read_model(await service.get_edition(sessions, ListKind(kind), year, number))
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return edition


@public_router.get("/{year}/{number}/export", summary="One edition as a file: XLSX (sheets 清单 and 变化) or JSON",
                   response_class=Response,
                   responses={200: {"content": {XLSX: {}, "application/json": {}},
                                    "description": "the edition as an attachment"}})
async def export_edition(kind: schemas.Kind, year: Year, number: Number, _: Public, sessions: Sessions,
                         format: Annotated[schemas.ExportFormat, Query()] = "xlsx") -> Response:
    edition = await service.get_edition(sessions, ListKind(kind), year, number)
    name = f"{kind}-{year}-{number}.{format}"
    if format == "xlsx":
        content, media_type = await service.workbook_of(edition), XLSX
    else:
        content = orjson.dumps(jsonable_encoder(service.read_model(edition)))
        media_type = "application/json"
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": PUBLIC_CACHE})
