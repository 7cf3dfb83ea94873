"""Pools (种苗库 / 培育库): a firm's pool changes and history, its entry assessment, entry-criteria versions,
per-district quotas and the annual screening."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from services.registry.domain import pools as domain
from services.registry.domain.plain import from_plain, to_plain
from services.registry.schemas import pools as schemas
from services.registry.service import pools as service
from services.registry.service.access import FIGURE_READER_ROLES
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.errors import InvalidInput
from shared.http import Page
from shared.types import Fen

router = APIRouter(tags=["pools"])

PoolManager = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
HistoryReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.REVIEWER, Role.ENTERPRISE)]
# The assessment shows the firm's latest figures: read by who reads those figures (access.py).
AssessmentReader = Annotated[Actor, require_actor(*FIGURE_READER_ROLES)]
ProgrammeStaff = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
Administrator = Annotated[Actor, require_actor(Role.ADMIN)]
CriteriaReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.REVIEWER, Role.ENTERPRISE)]
# City-wide officers only (an officer scoped to districts is refused by the use case with 403).
CityWide = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]

Limit = Annotated[int, Query(ge=1, le=500)]
YearPath = Annotated[int, Path(ge=2000, le=2100, examples=[2026])]


def _assessment(assessment: service.Assessment) -> schemas.EntryAssessmentRead:
    result = assessment.result
    return schemas.EntryAssessmentRead(
        criteria_version=result.criteria_version, outcome=result.outcome.value,
        categories=[c.value for c in result.categories], figures_year=assessment.figures_year,
        checks=[schemas.CheckRead(category=c.category.value, criterion=c.criterion, requirement=c.requirement,
                                  actual=c.actual, met=c.met, missing=list(c.missing)) for c in result.checks],
        missing=list(result.missing), summary=result.summary(),
    )


@router.post(
    "/v1/enterprises/{enterprise_id}/pool-changes", status_code=201, response_model=schemas.PoolChangeResult,
    summary="Move a firm into, between or out of the pools",
    description="Entry to 种苗库 by rule (the entry criteria in force, applied to the latest figures) or by an "
                "officer's decision; promotion to 培育库 by decision; demotion; exit (`to_pool: null`). A decision "
                "needs a reason. `If-Match` (the enterprise's ETag) is optional.",
    responses={404: {"description": "No such enterprise in the caller's scope"},
               409: {"description": "The move is not allowed from the firm's current pool"},
               412: {"description": "If-Match names an older version of the enterprise"},
               422: {"description": "Invalid request, or the entry criteria are not met (`assessment` explains)"}},
)
async def change_pool(enterprise_id: uuid.UUID, body: schemas.PoolChangeCreate, actor: PoolManager, work: WorkOf,
                      if_match: Annotated[str | None, Header()] = None) -> schemas.PoolChangeResult:
    request = service.PoolChangeRequest(
        to_pool=body.to_pool, basis=domain.ChangeBasis(body.basis), reason=body.reason, year=body.year,
        valuation_fen=body.valuation_fen, criteria_version=body.criteria_version,
    )
    change, assessment = await service.change_pool(work, actor, enterprise_id, request, if_match)
    read = schemas.PoolChangeRead.model_validate(change)
    return schemas.PoolChangeResult(**read.model_dump(), assessment=_assessment(assessment) if assessment else None)


@router.get("/v1/enterprises/{enterprise_id}/pool-changes", response_model=Page[schemas.PoolChangeRead],
            summary="A firm's pool history (oldest first)")
async def pool_history(enterprise_id: uuid.UUID, actor: HistoryReader, sessions: Sessions, limit: Limit = 50,
                       cursor: str | None = None) -> Page[schemas.PoolChangeRead]:
    rows, next_cursor = await service.pool_history(sessions, actor, enterprise_id, limit=limit, cursor=cursor)
    return Page(items=[schemas.PoolChangeRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/v1/enterprises/{enterprise_id}/pool-assessment", response_model=schemas.EntryAssessmentRead,
            summary="Apply the seedling-pool entry criteria to a firm's latest figures (writes nothing)")
async def pool_assessment(enterprise_id: uuid.UUID, actor: AssessmentReader, sessions: Sessions,
                          valuation_fen: Annotated[Fen | None, Query()] = None,
                          criteria_version: Annotated[str | None, Query(max_length=60)] = None
                          ) -> schemas.EntryAssessmentRead:
    assessment = await service.assess_entry(sessions, actor, enterprise_id, valuation_fen=valuation_fen,
                                            version=criteria_version)
    return _assessment(assessment)


@router.get("/v1/pools/criteria", response_model=list[schemas.EntryCriteriaRead],
            summary="Seedling-pool entry criteria: every version, the one in force marked")
async def list_criteria(actor: CriteriaReader, sessions: Sessions) -> list[schemas.EntryCriteriaRead]:
    return [schemas.EntryCriteriaRead(**to_plain(c), built_in=built_in, in_force=in_force)
            for c, built_in, in_force in await service.list_criteria(sessions)]


@router.post("/v1/pools/criteria", status_code=201, response_model=schemas.EntryCriteriaRead,
             summary="Publish a new version of the seedling-pool entry criteria",
             responses={409: {"description": "The version exists already"}})
async def publish_criteria(body: schemas.EntryCriteriaBody, actor: Administrator, work: WorkOf,
                           response: Response) -> schemas.EntryCriteriaRead:
    criteria = from_plain(domain.EntryCriteria, body.model_dump(mode="json"))
    in_force = await service.publish_criteria(work, actor, criteria)
    response.headers["Location"] = "/v1/pools/criteria"
    return schemas.EntryCriteriaRead(**to_plain(criteria), built_in=False, in_force=in_force)


@router.put("/v1/pools/quotas/{year}", response_model=schemas.QuotasRead,
            summary="Set a year's per-district promotion quotas (replaces them)",
            responses={409: {"description": "The year was screened already"}})
async def set_quotas(year: YearPath, body: schemas.QuotasBody, actor: CityWide, work: WorkOf) -> schemas.QuotasRead:
    quotas = await service.set_quotas(work, actor, year, body.quotas)
    return schemas.QuotasRead(year=year, quotas=quotas, screened=False)


@router.get("/v1/pools/quotas/{year}", response_model=schemas.QuotasRead, summary="A year's promotion quotas")
async def get_quotas(year: YearPath, actor: ProgrammeStaff, sessions: Sessions) -> schemas.QuotasRead:
    quotas, screened = await service.get_quotas(sessions, year)
    return schemas.QuotasRead(year=year, quotas=quotas, screened=screened)


def _run(run, already_run: bool | None = None) -> schemas.ScreeningRead:  # type: ignore[no-untyped-def]
    return schemas.ScreeningRead(
        id=run.id, year=run.year, figures_year=run.figures_year, parameters=run.parameters, candidates=run.candidates,
        ranked=run.ranked, promoted=run.promoted, districts=run.districts, actor=run.actor, started_at=run.started_at,
        finished_at=run.finished_at, already_run=already_run,
    )


@router.post(
    "/v1/pools/screenings", status_code=201, response_model=schemas.ScreeningRead,
    summary="Run a year's screening: promote the top seedlings of each district to 培育库",
    description="Idempotent per year: when the year was screened before, answers 200 with that run and "
                "`already_run: true`, and changes nothing. Also available as `seedbed registry screening --year`.",
    responses={200: {"description": "The year had been screened already; nothing changed"},
               403: {"description": "Not a city-wide officer or administrator"},
               409: {"description": "A concurrent run screened the year"},
               422: {"description": "Invalid year, or no quotas for the year"}},
)
async def run_screening(body: schemas.ScreeningCreate, actor: CityWide, work: WorkOf,
                        response: Response) -> schemas.ScreeningRead:
    try:
        scoring = domain.GrowthScoring(
            weights=from_plain(domain.GrowthWeights, body.weights.model_dump(mode="json")) if body.weights
            else domain.GrowthWeights(),
            caps=from_plain(domain.GrowthCaps, body.caps.model_dump(mode="json")) if body.caps else domain.GrowthCaps(),
        )
    except ValueError as exc:  # e.g. weights that are all zero
        raise InvalidInput(str(exc), field="weights") from None
    outcome = await service.run_screening(work, actor, body.year, figures_year=body.figures_year,
                                          quotas=body.quotas, scoring=scoring)
    response.headers["Location"] = f"/v1/pools/screenings/{outcome.run.year}"
    if not outcome.created:
        response.status_code = 200
    return _run(outcome.run, already_run=not outcome.created)


@router.get("/v1/pools/screenings", response_model=Page[schemas.ScreeningRead], summary="Screening runs, latest first")
async def list_screenings(actor: ProgrammeStaff, sessions: Sessions, limit: Limit = 20,
                          cursor: str | None = None) -> Page[schemas.ScreeningRead]:
    runs, next_cursor = await service.list_screenings(sessions, limit=limit, cursor=cursor)
    return Page(items=[_run(r) for r in runs], next_cursor=next_cursor)


@router.get("/v1/pools/screenings/{year}", response_model=schemas.ScreeningRead, summary="A year's screening run",
            responses={404: {"description": "The year has not been screened"}})
async def get_screening(year: YearPath, actor: ProgrammeStaff, sessions: Sessions) -> schemas.ScreeningRead:
    return _run(await service.get_screening(sessions, year))


@router.get("/v1/pools/screenings/{year}/results", response_model=Page[schemas.ScreeningResultRead],
            summary="A screening's ranking by district and rank (officers: their districts)",
            responses={404: {"description": "The year has not been screened"}})
async def screening_results(year: YearPath, actor: ProgrammeStaff, sessions: Sessions,
                            district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
                            promoted: bool | None = None, limit: Limit = 100,
                            cursor: str | None = None) -> Page[schemas.ScreeningResultRead]:
    rows, next_cursor = await service.screening_results(sessions, actor, year, district_code=district_code,
                                                        promoted=promoted, limit=limit, cursor=cursor)
    return Page(items=[schemas.ScreeningResultRead.model_validate(r) for r in rows], next_cursor=next_cursor)
