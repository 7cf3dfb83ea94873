"""/v1/statistics: programme progress, counts, the ladder funnel and digital-ladder coverage (officers: their
districts' numbers only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.domain.figures import FEN_PER_WAN
from services.registry.schemas import statistics as schemas
from services.registry.service import statistics as service
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor
from shared.types import FEN_LIMIT, integer_between

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])

Staff = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
District = Annotated[str | None, Query(pattern=r"^\d{6}$", description="narrow to one district (GB/T 2260 code)")]
FiguresYear = Annotated[int | None, Query(ge=2000, le=2100, description="financial year; default: the latest reported")]
# In fen (× 1 000 000) the line stays within the bound of every money figure, and of BIGINT.
RevenueLine = Annotated[integer_between(0, FEN_LIMIT // FEN_PER_WAN), Query(description="above-scale revenue line in 万元")]
IndustryDoors = Annotated[str, Query(pattern=r"^[A-T](,[A-T])*$", description="GB/T 4754 doors counted as industry")]


@router.get("/progress", response_model=schemas.ProgressRead,
            summary="Firms registered toward the programme's 3,000-firm target, by year")
async def progress(actor: Staff, sessions: Sessions, district_code: District = None) -> schemas.ProgressRead:
    return schemas.ProgressRead(**await service.progress(sessions, actor, district_code))


@router.get("/counts", response_model=schemas.CountsRead,
            summary="Firms by tier held, pool, district, sector or size class")
async def counts(actor: Staff, sessions: Sessions, by: schemas.Dimension,
                 district_code: District = None) -> schemas.CountsRead:
    return schemas.CountsRead(**await service.counts(sessions, actor, by, district_code))


@router.get("/funnel", response_model=schemas.FunnelRead,
            summary="The ladder funnel: registered → 科技和创新型 → 专精特新 → 小巨人, with HNTE beside it")
async def funnel(actor: Staff, sessions: Sessions, district_code: District = None) -> schemas.FunnelRead:
    return schemas.FunnelRead(**await service.funnel(sessions, actor, district_code))


@router.get("/digital-coverage", response_model=schemas.DigitalCoverageRead,
            summary="Digital-ladder coverage of above-scale (规上) industrial firms")
async def digital_coverage(
    actor: Staff, sessions: Sessions, district_code: District = None,
    year: FiguresYear = None, min_revenue_wan: RevenueLine = service.ABOVE_SCALE_REVENUE_WAN,
    industry_doors: IndustryDoors = ",".join(service.INDUSTRIAL_DOORS),
) -> schemas.DigitalCoverageRead:
    doors = tuple(sorted(set(industry_doors.split(","))))
    return schemas.DigitalCoverageRead(**await service.digital_coverage(
        sessions, actor, district_code, year=year, min_revenue_wan=min_revenue_wan,
        industry_doors=doors))
