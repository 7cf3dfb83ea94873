"""Application use cases (揭榜申报): an enterprise applies to a challenge, alone or leading a consortium, once
(an Idempotency-Key makes a retry safe; one application per challenge and lead enterprise is a unique key), if it
meets every eligibility rule (checked against this service's enterprise read model, each failing rule named);
enterprises read their own applications, officers of the challenge's district all of them, a reviewer those
assigned to them; officers shortlist, review and turn applicants away with a structured reason."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.applications import (
    ApplicationCommand,
    ApplicationContent,
    ApplicationStatus,
    check_application,
    partner,
    team_member,
    transition,
)
from services.scenarios.domain.challenges import ChallengeStage
from services.scenarios.domain.eligibility import evaluate
from services.scenarios.domain.lifecycle import Role as Part
from services.scenarios.models import Challenge, ChallengeApplication, EnterpriseProfile, ReviewerAssignment
from services.scenarios.schemas import applications as schemas
from services.scenarios.service.challenges import CHALLENGE_SCOPE, CHALLENGES, eligibility_of, row_values, terms_of
from services.scenarios.settings import rules_of
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.db import utcnow
from shared.enterprise_facts import EnterpriseFacts
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.scenarios import ChallengeApplicationSubmitted
from shared.http import cursor_datetime, cursor_uuid, etag
from shared.idempotency import Idempotency, IdempotentResponse
from shared.pagination import Key, paginate
from shared.personal_data import mask_name
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, InDistrict, OwnUscc, ScopeRule
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]

# Readers: admins and services; officers of the challenge's district; the lead enterprise (partners apply through
# their lead and do not read the file). Reviewers read what they are assigned (``_ensure_assigned``), nothing else.
APPLICATION_SCOPE = ScopeRule(
    noun="application",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE,
             Role.OFFICER: InDistrict(ChallengeApplication.district_code),
             Role.ENTERPRISE: OwnUscc(ChallengeApplication.lead_uscc)},
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(ChallengeApplication.district_code),
              Role.ENTERPRISE: OwnUscc(ChallengeApplication.lead_uscc)},
)
APPLICATIONS = Records(ChallengeApplication, APPLICATION_SCOPE)

# The challenge stages in which an officer may give each command to an application: formal review (形式审查)
# while applications come in and after; expert review once it has started; a refusal at any point before the end.
STAGES_FOR = {
    ApplicationCommand.SHORTLIST: frozenset({ChallengeStage.APPLICATIONS_OPEN, ChallengeStage.SHORTLISTING}),
    ApplicationCommand.REJECT: frozenset({ChallengeStage.APPLICATIONS_OPEN, ChallengeStage.SHORTLISTING}),
    ApplicationCommand.START_REVIEW: frozenset({ChallengeStage.EXPERT_REVIEW}),
}


def parts_of(actor: Actor) -> frozenset[Part]:
    role = actor.principal.role
    if role == Role.ENTERPRISE:
        return frozenset({Part.APPLICANT})
    if role in (Role.ADMIN, Role.OFFICER):
        return frozenset({Part.OFFICER})
    return frozenset()


def sees_personal_data(actor: Actor, application: ChallengeApplication) -> bool:
    """Team members' names are shown to those who work the case: admins, officers of the district, the lead
    enterprise and the reviewers assigned (who reach the file only when assigned)."""
    principal = actor.principal
    if principal.role in (Role.ADMIN, Role.REVIEWER):
        return True
    if principal.role == Role.ENTERPRISE:
        return principal.uscc == application.lead_uscc
    if principal.role == Role.OFFICER:
        return principal.can_see_district(application.district_code)
    return False


def read_model(actor: Actor, application: ChallengeApplication) -> schemas.ApplicationRead:
    masked = not sees_personal_data(actor, application)
    team = application.team
    if masked:
        team = [{**member, "name": mask_name(member["name"])} for member in team]
    return schemas.ApplicationRead(
        team=team, personal_data_masked=masked,
        **{f: getattr(application, f) for f in (
            "id", "challenge_id", "district_code", "lead_uscc", "lead_name", "summary", "technical_route",
            "budget_fen", "requested_fen", "partners", "commitment_signed", "status", "reason_code", "reason_text",
            "decided_at", "award_fen", "appointed_at", "acceptance", "created_at", "updated_at", "version")})


def content_of(lead_uscc: str, data: schemas.ApplicationCreate) -> ApplicationContent:
    return ApplicationContent(
        lead_uscc=lead_uscc, summary=data.summary, technical_route=data.technical_route,
        budget_fen=data.budget_fen, requested_fen=data.requested_fen, commitment_signed=data.commitment_signed,
        partners=tuple(partner(i, **p.model_dump()) for i, p in enumerate(data.partners)),
        team=tuple(team_member(i, **m.model_dump()) for i, m in enumerate(data.team)))


class NotRegistered(InvalidInput):
    title = "Not eligible"


async def _facts(session: AsyncSession, uscc: str) -> tuple[EnterpriseFacts, str]:
    """What this service knows of an enterprise from the registry's events, and its name."""
    profile = (await session.execute(select(EnterpriseProfile).where(EnterpriseProfile.uscc == uscc))).scalar_one_or_none()
    if profile is None:
        raise NotRegistered(f"{uscc} is not known to the programme's registry: an enterprise registers there before "
                            "it applies (if it just did, retry in a moment)", field="lead_uscc",
                            failed_rules=[{"rule": "registered", "reason": "not in the registry", "required": [],
                                           "actual": []}])
    return EnterpriseFacts.of(profile), profile.name


def _ensure_not_the_issuer(challenge: Challenge, content: ApplicationContent) -> None:
    """The issuing firm (发榜方) poses the problem and pays its part of the bounty: it does not take its own
    challenge, neither leading nor as a partner."""
    if challenge.issuer_uscc is None:
        return
    if content.lead_uscc == challenge.issuer_uscc:
        raise InvalidInput("the issuing firm does not apply to its own challenge", field="lead_uscc")
    for index, uscc in enumerate(content.partner_usccs):
        if uscc == challenge.issuer_uscc:
            raise InvalidInput("the issuing firm is not a partner in an application to its own challenge",
                               field=f"partners.{index}.uscc")


async def submit_application(work: Work, actor: Actor, challenge_id: uuid.UUID, data: schemas.ApplicationCreate,
                             idempotency: Idempotency) -> IdempotentResponse:
    lead_uscc = actor.principal.uscc
    if not lead_uscc:
        raise PermissionDenied("an enterprise applies with its own USCC; this token carries none")
    content = content_of(lead_uscc, data)
    async with work(actor) as uow:
        if (earlier := await idempotency.claim(uow.session)) is not None:
            return earlier  # a retry: the first answer, nothing done again
        # Read under a share lock: a concurrent close of the window waits for this application, or this one sees
        # the window closed (SQLite writes one at a time anyway).
        challenge = await uow.session.get(Challenge, challenge_id, with_for_update={"read": True})
        if challenge is None:
            raise NotFound(f"no challenge {challenge_id}")
        CHALLENGE_SCOPE.ensure_readable(actor, challenge, challenge_id)
        _ensure_not_the_issuer(challenge, content)
        facts, name = await _facts(uow.session, lead_uscc)
        check_application(content, terms=terms_of(row_values(challenge)), stage=challenge.status,
                          today=programme_today(), eligibility=evaluate(eligibility_of(challenge.eligibility), facts),
                          rules=rules_of(uow.settings)[0])
        application = ChallengeApplication(
            challenge_id=challenge.id, district_code=challenge.district_code, lead_uscc=lead_uscc, lead_name=name,
            summary=content.summary, technical_route=content.technical_route, budget_fen=content.budget_fen,
            requested_fen=content.requested_fen, commitment_signed=content.commitment_signed,
            partners=[{"uscc": p.uscc, "name": p.name, "role": p.role.value, "responsibility": p.responsibility}
                      for p in content.partners],
            team=[{"name": m.name, "role": m.role.value, "organisation_uscc": m.organisation_uscc, "title": m.title}
                  for m in content.team],
            status=ApplicationStatus.SUBMITTED.value, submitted_by=actor.principal.subject)
        uow.session.add(application)
        await uow.flush()  # one application per challenge and lead: the unique key answers 409 here
        uow.emit(ChallengeApplicationSubmitted(
            challenge_id=challenge.id, application_id=application.id, lead_uscc=lead_uscc,
            partner_usccs=list(content.partner_usccs), requested_fen=content.requested_fen,
            district_code=challenge.district_code), subject=str(challenge.id))
        uow.audit("application.submit", "challenge_application", str(application.id),
                  {"challenge_id": str(challenge.id), "lead_uscc": lead_uscc,
                   "partners": list(content.partner_usccs), "requested_fen": content.requested_fen})
        read = read_model(actor, application)
        return await idempotency.respond(uow.session, 201, read, headers={
            "Location": f"/v1/challenges/{challenge.id}/applications/{application.id}",
            "ETag": etag(application.version)})


async def _ensure_assigned(session: AsyncSession, actor: Actor, application_id: uuid.UUID) -> None:
    assigned = await session.scalar(select(exists().where(
        ReviewerAssignment.application_id == application_id,
        ReviewerAssignment.reviewer_id == actor.principal.subject)))
    if not assigned:
        raise NotFound(f"no application {application_id}")


async def load(session: AsyncSession, actor: Actor, challenge_id: uuid.UUID,
               application_id: uuid.UUID) -> ChallengeApplication:
    """One application of one challenge as the caller may read it (a reviewer: only when assigned)."""
    if actor.principal.role == Role.REVIEWER:
        await _ensure_assigned(session, actor, application_id)
        application = await session.get(ChallengeApplication, application_id)
    else:
        application = await APPLICATIONS.get(session, actor, application_id)
    if application is None or application.challenge_id != challenge_id:
        raise NotFound(f"no application {application_id}")
    return application


async def get_application(sessions: Sessions, actor: Actor, challenge_id: uuid.UUID,
                          application_id: uuid.UUID) -> schemas.ApplicationRead:
    async with sessions() as session:
        return read_model(actor, await load(session, actor, challenge_id, application_id))


_ORDER = (Key(ChallengeApplication.created_at, cursor_datetime), Key(ChallengeApplication.id, cursor_uuid))


async def list_applications(sessions: Sessions, actor: Actor, challenge_id: uuid.UUID, *, limit: int,
                            cursor: str | None, status: str | None) -> tuple[list[schemas.ApplicationRead], str | None]:
    """A challenge's applications the caller may read, oldest first (the order they came in)."""
    async with sessions() as session:
        await CHALLENGES.get(session, actor, challenge_id)  # 404 for a challenge the caller cannot see
        query = APPLICATIONS.select(actor).where(ChallengeApplication.challenge_id == challenge_id)
        if status is not None:
            query = query.where(ChallengeApplication.status == status)
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor)
    return [read_model(actor, a) for a in page], next_cursor


def decision_values(actor: Actor | None, to_state: ApplicationStatus, *, code: Any = None, text: str | None = None,
                    by: str | None = None) -> dict[str, Any]:
    """The columns a decision on an application sets: its status, and who turned it away and why."""
    values: dict[str, Any] = {"status": to_state.value}
    if to_state in (ApplicationStatus.NOT_SHORTLISTED, ApplicationStatus.NOT_APPOINTED):
        values.update(reason_code=str(code) if code is not None else None, reason_text=text,
                      decided_by=by or (actor.principal.subject if actor else "system"), decided_at=utcnow())
    return values


async def transition_application(work: Work, actor: Actor, challenge_id: uuid.UUID, application_id: uuid.UUID,
                                 data: schemas.ApplicationTransition, if_match: str | None) -> schemas.ApplicationRead:
    if data.command == ApplicationCommand.APPOINT:
        raise InvalidInput("teams are appointed with POST /v1/challenges/{id}/appointments", field="command")
    async with work(actor) as uow:
        # The challenge as it stands: the stage decides which commands an officer may give now.
        challenge = await CHALLENGES.get(uow.session, actor, challenge_id)
        application = await APPLICATIONS.get_for_change(uow.session, actor, application_id, if_match=if_match)
        if application.challenge_id != challenge.id:
            raise NotFound(f"no application {application_id}")
        change = transition(application.status, data.command, parts_of(actor), reason=data.reason,
                            reason_code=data.reason_code)
        stages = STAGES_FOR.get(change.command)  # type: ignore[call-overload]
        if stages is not None and ChallengeStage(challenge.status) not in stages:
            raise Conflict(f"{change.command} is given while the challenge is in {' or '.join(sorted(stages))}; it "
                           f"is in {challenge.status}", field="status", current_status=challenge.status)
        changed = apply_changes(application, decision_values(actor, change.to_state, code=change.outcome,
                                                             text=change.reason))
        await uow.flush()
        uow.audit(f"application.{change.command.value}", "challenge_application", str(application.id),
                  {**changed, "acting_as": change.role.value})
        read = read_model(actor, application)
    return read
