"""Expert review use cases (专家评审): reviewers declare their ties, officers assign reviewers to applications
(refused, naming every tie, when the reviewer is tied to the applicant or a partner), reviewers score what they are
assigned once per application, and see the other sheets only after submitting their own; the ranking is the
trimmed mean of the sheets (``domain.reviews.rank``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.applications import ApplicationStatus
from services.scenarios.domain.challenges import ChallengeStage
from services.scenarios.domain.reviews import (
    Ranking,
    ReviewRules,
    Scored,
    check_submission,
    rank,
    score_sheet,
    visible_sheets,
)
from services.scenarios.domain.reviews import ScoreSheet as Sheet
from services.scenarios.models import (
    Challenge,
    ChallengeApplication,
    ReviewerAssignment,
    ReviewerDeclaration,
    ScoreSheet,
)
from services.scenarios.schemas import reviews as schemas
from services.scenarios.service import applications
from services.scenarios.service.challenges import CHALLENGE_SCOPE, CHALLENGES, template_of
from services.scenarios.settings import rules_of
from shared.auth import Actor, Role
from shared.conflicts import check_assignment
from shared.errors import Conflict, NotFound
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.reviewers import declared, reviewer_of
from shared.settings import ServiceSettings
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]

# Reviewers are assigned while the applications are being shortlisted or reviewed, and score once review started.
ASSIGNING = frozenset({ChallengeStage.SHORTLISTING, ChallengeStage.EXPERT_REVIEW})
REVIEWABLE = frozenset({ApplicationStatus.SHORTLISTED, ApplicationStatus.UNDER_REVIEW})
# What the ranking covers: applications in review and those already appointed from it.
RANKED = frozenset({ApplicationStatus.UNDER_REVIEW.value, ApplicationStatus.APPOINTED.value})


def _parties(application: ChallengeApplication) -> tuple[str, list[str]]:
    return application.lead_uscc, [p["uscc"] for p in application.partners]


# --- assignments --------------------------------------------------------------------------------------------------

def _assignment_read(row: ReviewerAssignment, scored: bool = False) -> schemas.AssignmentRead:
    return schemas.AssignmentRead(id=row.id, challenge_id=row.challenge_id, application_id=row.application_id,
                                  reviewer_id=row.reviewer_id, assigned_by=row.assigned_by,
                                  assigned_at=row.assigned_at, scored=scored)


async def assign_reviewer(work: Work, actor: Actor, challenge_id: uuid.UUID, application_id: uuid.UUID,
                          data: schemas.AssignmentIn) -> schemas.AssignmentRead:
    async with work(actor) as uow:
        challenge = await CHALLENGES.get_for_change(uow.session, actor, challenge_id)
        if ChallengeStage(challenge.status) not in ASSIGNING:
            raise Conflict(f"reviewers are assigned while the challenge is in {' or '.join(sorted(ASSIGNING))}; it "
                           f"is in {challenge.status}", field="status", current_status=challenge.status)
        application = await applications.load(uow.session, actor, challenge_id, application_id)
        if ApplicationStatus(application.status) not in REVIEWABLE:
            raise Conflict(f"an application {application.status} is not reviewed", field="application_id",
                           current_status=application.status)
        lead, partners = _parties(application)
        # 回避: every tie named; a reviewer who has not declared is not assigned.
        check_assignment(await declared(uow.session, ReviewerDeclaration, data.reviewer_id), lead, partners)
        row = ReviewerAssignment(challenge_id=challenge.id, application_id=application.id,
                                 district_code=application.district_code, reviewer_id=data.reviewer_id,
                                 assigned_by=actor.principal.subject)
        uow.session.add(row)
        await uow.flush()  # one assignment per reviewer and application: 409 here
        uow.audit("review.assign", "challenge_application", str(application.id),
                  {"reviewer_id": data.reviewer_id, "assignment_id": str(row.id)})
        read = _assignment_read(row)
    return read


_ASSIGNMENT_ORDER = (Key(ReviewerAssignment.assigned_at, cursor_datetime), Key(ReviewerAssignment.id, cursor_uuid))


async def my_assignments(sessions: Sessions, actor: Actor, *, limit: int,
                         cursor: str | None) -> tuple[list[schemas.AssignmentRead], str | None]:
    """What the calling reviewer is assigned, oldest first, and whether they have scored it."""
    query = select(ReviewerAssignment).where(ReviewerAssignment.reviewer_id == actor.principal.subject)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ASSIGNMENT_ORDER, limit=limit, cursor=cursor)
        scored = set((await session.scalars(select(ScoreSheet.application_id).where(
            ScoreSheet.reviewer_id == actor.principal.subject,
            ScoreSheet.application_id.in_([a.application_id for a in page])))).all())
    return [_assignment_read(a, a.application_id in scored) for a in page], next_cursor


# --- score sheets -------------------------------------------------------------------------------------------------

def _sheet_read(row: ScoreSheet) -> schemas.ScoreSheetRead:
    return schemas.ScoreSheetRead(id=row.id, challenge_id=row.challenge_id, application_id=row.application_id,
                                  reviewer_id=row.reviewer_id, scores=row.scores, total=row.total,
                                  comment=row.comment, submitted_at=row.submitted_at)


def _as_sheet(row: ScoreSheet) -> Sheet:
    return Sheet(row.reviewer_id, str(row.application_id), {k: Decimal(v) for k, v in row.scores.items()},
                 Decimal(row.total), row.comment)


async def submit_sheet(work: Work, actor: Actor, challenge_id: uuid.UUID, application_id: uuid.UUID,
                       data: schemas.ScoreSheetIn) -> schemas.ScoreSheetRead:
    reviewer_id = actor.principal.subject
    async with work(actor) as uow:
        challenge = await uow.session.get(Challenge, challenge_id)
        assigned = await uow.session.scalar(select(exists().where(
            ReviewerAssignment.application_id == application_id, ReviewerAssignment.reviewer_id == reviewer_id,
            ReviewerAssignment.challenge_id == challenge_id)))
        application = await uow.session.get(ChallengeApplication, application_id) if assigned else None
        if challenge is None or application is None:
            raise NotFound(f"no application {application_id} assigned to reviewer {reviewer_id}")
        if challenge.status != ChallengeStage.EXPERT_REVIEW:
            raise Conflict(f"score sheets are submitted during expert review; the challenge is in {challenge.status}",
                           field="status", current_status=challenge.status)
        if application.status != ApplicationStatus.UNDER_REVIEW:
            raise Conflict(f"the application is {application.status}, not under review", field="application_id",
                           current_status=application.status)
        # A tie declared since the assignment keeps the reviewer off it too.
        declaration = await uow.session.get(ReviewerDeclaration, reviewer_id)
        if declaration is not None:
            check_assignment(reviewer_of(declaration), *_parties(application))
        sheet = score_sheet(template_of(challenge.review_criteria), reviewer_id, str(application_id), data.scores,
                            data.comment, rules_of(uow.settings)[1])
        earlier = (await uow.session.scalars(select(ScoreSheet).where(
            ScoreSheet.application_id == application_id, ScoreSheet.reviewer_id == reviewer_id))).all()
        check_submission(sheet, {(reviewer_id, str(application_id))}, [_as_sheet(r) for r in earlier])
        row = ScoreSheet(challenge_id=challenge_id, application_id=application_id, reviewer_id=reviewer_id,
                         scores={k: str(v) for k, v in sheet.scores.items()}, total=sheet.total,
                         comment=sheet.comment)
        uow.session.add(row)
        await uow.flush()  # one sheet per reviewer and application: a concurrent second one is 409 here
        uow.audit("review.score", "challenge_application", str(application_id),
                  {"reviewer_id": reviewer_id, "total": str(sheet.total), "sheet_id": str(row.id)})
        read = _sheet_read(row)
    return read


async def list_sheets(sessions: Sessions, actor: Actor, challenge_id: uuid.UUID,
                      application_id: uuid.UUID) -> list[schemas.ScoreSheetRead]:
    """An application's score sheets: officers of the district and admins see them all; an assigned reviewer sees
    none before submitting their own (``domain.reviews.visible_sheets``), all of them afterwards."""
    async with sessions() as session:
        await applications.load(session, actor, challenge_id, application_id)  # 404 outside the caller's reach
        rows = (await session.scalars(select(ScoreSheet).where(ScoreSheet.application_id == application_id)
                                      .order_by(ScoreSheet.submitted_at, ScoreSheet.id))).all()
    if actor.principal.role == Role.REVIEWER:
        visible = {s.reviewer_id for s in visible_sheets(actor.principal.subject, [_as_sheet(r) for r in rows])}
        rows = [r for r in rows if r.reviewer_id in visible]
    return [_sheet_read(r) for r in rows]


# --- ranking ------------------------------------------------------------------------------------------------------

async def ranking_of(session: AsyncSession, challenge_id: uuid.UUID, rules: ReviewRules
                     ) -> tuple[Ranking, dict[str, str], dict[str, ChallengeApplication]]:
    """The challenge's ranking over the applications in review or appointed, every application's status, and the
    rows by id."""
    rows = (await session.scalars(select(ChallengeApplication).where(
        ChallengeApplication.challenge_id == challenge_id))).all()
    by_id = {str(a.id): a for a in rows}
    totals: dict[str, list[Decimal]] = {key: [] for key, a in by_id.items() if a.status in RANKED}
    for application_id, total in (await session.execute(select(ScoreSheet.application_id, ScoreSheet.total).where(
            ScoreSheet.challenge_id == challenge_id))).all():
        if str(application_id) in totals:
            totals[str(application_id)].append(Decimal(total))
    ranking = rank((Scored(key, by_id[key].lead_uscc, tuple(values)) for key, values in totals.items()), rules)
    return ranking, {key: a.status for key, a in by_id.items()}, by_id


async def get_ranking(sessions: Sessions, settings: ServiceSettings, actor: Actor,
                      challenge_id: uuid.UUID) -> schemas.RankingRead:
    async with sessions() as session:
        challenge = await CHALLENGES.get(session, actor, challenge_id)
        # The ranking is the officers' working paper: those who manage the challenge read it.
        CHALLENGE_SCOPE.ensure_manageable(actor, challenge)
        ranking, statuses, _ = await ranking_of(session, challenge_id, rules_of(settings)[1])
    return ranking_read(challenge_id, ranking, statuses)


def ranking_read(challenge_id: uuid.UUID, ranking: Ranking, statuses: dict[str, str]) -> schemas.RankingRead:
    return schemas.RankingRead(
        challenge_id=challenge_id, unranked=list(ranking.unranked),
        entries=[schemas.RankedRead(application_id=e.application_id, lead_uscc=e.lead_uscc, rank=e.rank,
                                    score=e.score, plain_mean=e.plain_mean, sheets=e.sheets, trimmed=e.trimmed,
                                    tie_broken=e.tie_broken, status=statuses[e.application_id])
                 for e in ranking.entries])
