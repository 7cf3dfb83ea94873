"""Appointment (挂帅) and what follows: officers appoint one application at a time, under the challenge's row
lock, up to the challenge's ``max_teams`` (1: a single winner; more: 赛马), each team with its own milestones; the
challenge's later steps decide the applications left (each told why), and acceptance (验收) passes or fails the
teams. ``challenge.appointed`` / ``accepted`` / ``failed`` carry each team's USCCs and the public share of its
award, so that funding pays without calling back."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.applications import (
    ApplicationCommand,
    ApplicationStatus,
    NotChosen,
    check_appointment,
    decline,
    reasons_not_chosen,
    reasons_on_cancellation,
)
from services.scenarios.domain.applications import transition as application_transition
from services.scenarios.domain.challenges import (
    ChallengeCommand,
    ChallengeStage,
    MilestoneStatus,
    check_acceptance,
    check_awards,
    check_milestone_plan,
    equal_awards,
    milestone_transition,
    split_awards,
    team_standing,
    tranche_amounts,
)
from services.scenarios.domain.challenges import (
    Milestone as PlannedMilestone,
)
from services.scenarios.domain.challenges import transition as challenge_transition
from services.scenarios.domain.lifecycle import Change
from services.scenarios.domain.lifecycle import Role as Part
from services.scenarios.domain.values import within
from services.scenarios.models import Challenge, ChallengeApplication, Milestone
from services.scenarios.schemas import teams as schemas
from services.scenarios.service import applications, reviews
from services.scenarios.service.challenges import CHALLENGES, event_ref, parts_of, row_values, terms_of
from services.scenarios.settings import rules_of
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events.scenarios import AppointedTeam, ChallengeAccepted, ChallengeAppointed, ChallengeFailed
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, InDistrict, OwnUscc, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]

# A team's milestones: the lead enterprise reads and submits its own; officers of the district decide them.
MILESTONE_SCOPE = ScopeRule(
    noun="milestone",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(Milestone.district_code),
             Role.ENTERPRISE: OwnUscc(Milestone.lead_uscc)},
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Milestone.district_code),
              Role.ENTERPRISE: OwnUscc(Milestone.lead_uscc)},
)
MILESTONES = Records(Milestone, MILESTONE_SCOPE)
_OFFICER = frozenset({Part.OFFICER})


def milestone_read(row: Milestone) -> schemas.MilestoneRead:
    return schemas.MilestoneRead(**{f: getattr(row, f) for f in schemas.MilestoneRead.model_fields})


async def _appointed(session: AsyncSession, challenge_id: uuid.UUID) -> list[ChallengeApplication]:
    """The challenge's appointed teams, in the order they were appointed."""
    return list((await session.scalars(select(ChallengeApplication).where(
        ChallengeApplication.challenge_id == challenge_id,
        ChallengeApplication.status == ApplicationStatus.APPOINTED.value,
    ).order_by(ChallengeApplication.appointed_at, ChallengeApplication.id))).all())


def teams_of(challenge: Challenge, appointed: list[ChallengeApplication]) -> list[AppointedTeam]:
    """The teams as events carry them: each award split between the issuer and public funds, the public parts of
    awards that use the whole bounty adding up exactly to its public funds (``domain.challenges.split_awards``)."""
    terms = terms_of(row_values(challenge))
    splits = split_awards(terms.bounty, [a.award_fen or 0 for a in appointed])
    return [AppointedTeam(application_id=a.id, lead_uscc=a.lead_uscc, partner_usccs=[p["uscc"] for p in a.partners],
                          award_fen=split.award_fen, issuer_fen=split.issuer_fen, public_fen=split.public_fen)
            for a, split in zip(appointed, splits, strict=True)]


async def appoint(work: Work, actor: Actor, challenge_id: uuid.UUID, data: schemas.AppointmentIn) -> schemas.TeamRead:
    async with work(actor) as uow:
        # The challenge row's lock serialises appointments: two officers appointing at once are answered in turn,
        # and the second sees the first's team (a single winner stays single).
        challenge = await CHALLENGES.get_for_change(uow.session, actor, challenge_id)
        challenge_rules, review_rules = rules_of(uow.settings)
        ranking, statuses, rows = await reviews.ranking_of(uow.session, challenge.id, review_rules)
        key = str(data.application_id)
        application = rows.get(key)
        if application is None:
            raise NotFound(f"no application {key} to this challenge")
        appointed = await _appointed(uow.session, challenge.id)
        check_appointment(key, stage=challenge.status, max_teams=challenge.max_teams,
                          appointed={str(a.id) for a in appointed}, ranking=ranking, statuses=statuses,
                          reason=data.reason, rules=review_rules)
        change = application_transition(application.status, ApplicationCommand.APPOINT, _OFFICER)
        terms = terms_of(row_values(challenge))
        award = data.award_fen
        if award is None:
            award = terms.bounty.total_fen if challenge.max_teams == 1 else \
                equal_awards(terms.bounty.total_fen, challenge.max_teams)[len(appointed)]
        try:
            check_awards(terms.bounty, [a.award_fen or 0 for a in appointed] + [award], challenge.max_teams)
        except InvalidInput as exc:
            exc.field = "award_fen"  # the one award the caller sent is what breaks the sum
            raise
        plan = []
        for index, item in enumerate(data.milestones):
            with within(f"milestones.{index}"):
                plan.append(PlannedMilestone(seq=index + 1, title=item.title, due_on=item.due_on,
                                             tranche_share=item.tranche_share, indicators=tuple(item.indicators)))
        check_milestone_plan(plan, start_on=programme_today(), duration_months=terms.duration_months,
                             indicator_names=terms.indicator_names, rules=challenge_rules)
        if ChallengeStage(challenge.status) is ChallengeStage.EXPERT_REVIEW:
            moved = challenge_transition(challenge.status, ChallengeCommand.APPOINT, parts_of(actor, challenge))
            apply_changes(challenge, {"status": moved.to_state.value})
        changed = apply_changes(application, {"status": change.to_state.value, "award_fen": award,
                                              "appointed_at": utcnow(), "appointment_reason": data.reason})
        milestones = [Milestone(challenge_id=challenge.id, application_id=application.id,
                                district_code=application.district_code, lead_uscc=application.lead_uscc,
                                seq=m.seq, title=m.title, due_on=m.due_on, tranche_share=m.tranche_share,
                                tranche_fen=fen, indicators=list(m.indicators), status=MilestoneStatus.PENDING.value)
                      for m, fen in zip(plan, tranche_amounts(award, plan), strict=True)]
        uow.session.add_all(milestones)
        await uow.flush()
        teams = teams_of(challenge, [*appointed, application])
        uow.emit(ChallengeAppointed(**event_ref(challenge), max_teams=challenge.max_teams, team=teams[-1],
                                    teams=teams), subject=str(challenge.id))
        uow.audit("application.appoint", "challenge_application", str(application.id),
                  {**changed, "challenge_status": challenge.status,
                   "milestones": [{"seq": m.seq, "due_on": m.due_on.isoformat(), "tranche_fen": m.tranche_fen}
                                  for m in milestones]})
        read = schemas.TeamRead(challenge_status=challenge.status,
                                application=applications.read_model(actor, application),
                                milestones=[milestone_read(m) for m in milestones])
    return read


async def list_milestones(sessions: Sessions, actor: Actor, challenge_id: uuid.UUID) -> list[schemas.MilestoneRead]:
    """A challenge's milestones the caller may read (a team reads its own), by team and number."""
    async with sessions() as session:
        await CHALLENGES.get(session, actor, challenge_id)
        rows = (await session.scalars(MILESTONES.select(actor).where(Milestone.challenge_id == challenge_id)
                                      .order_by(Milestone.application_id, Milestone.seq))).all()
    return [milestone_read(m) for m in rows]


async def transition_milestone(work: Work, actor: Actor, challenge_id: uuid.UUID, milestone_id: uuid.UUID,
                               data: schemas.MilestoneTransition, if_match: str | None) -> schemas.MilestoneRead:
    async with work(actor) as uow:
        challenge = await CHALLENGES.get(uow.session, actor, challenge_id)
        milestone = await MILESTONES.get_for_change(uow.session, actor, milestone_id, if_match=if_match)
        if milestone.challenge_id != challenge.id:
            raise NotFound(f"no milestone {milestone_id}")
        if challenge.status != ChallengeStage.MILESTONES:
            raise Conflict(f"milestones are assessed while the challenge is in {ChallengeStage.MILESTONES}; it is in "
                           f"{challenge.status}", field="status", current_status=challenge.status)
        parts = frozenset({Part.APPLICANT}) if actor.principal.role == Role.ENTERPRISE else _OFFICER
        change = milestone_transition(milestone.status, data.command, parts, reason=data.reason)
        values: dict[str, Any] = {"status": change.to_state.value, "reason": change.reason}
        if change.to_state in (MilestoneStatus.PASSED, MilestoneStatus.FAILED, MilestoneStatus.WAIVED):
            values.update(decided_by=actor.principal.subject, decided_at=utcnow())
        changed = apply_changes(milestone, values)
        await uow.flush()
        uow.audit(f"milestone.{change.command.value}", "challenge_milestone", str(milestone.id),
                  {**changed, "acting_as": change.role.value})
        read = milestone_read(milestone)
    return read


# --- what a challenge's step does to its applications -------------------------------------------------------------

def _turn_away(uow: UnitOfWork, actor: Actor, application: ChallengeApplication, code: Any, text: str) -> str:
    """Turn an open application away with its structured reason (domain ``decline``), audited."""
    change = decline(application.status, NotChosen(code, text))
    changed = apply_changes(application, applications.decision_values(actor, change.to_state, code=change.outcome,
                                                                      text=change.reason))
    uow.audit(f"application.{change.command.value}", "challenge_application", str(application.id), changed)
    return str(application.id)


async def on_challenge_step(uow: UnitOfWork, actor: Actor, challenge: Challenge, change: Change,
                            passed_teams: list[uuid.UUID] | None) -> dict[str, Any]:
    """Apply what the challenge's step (already applied to its row) does to its applications, and emit the
    acceptance events; returns what the challenge's audit entry records of it. A refusal rolls everything back."""
    session = uow.session
    command = change.command
    rows = list((await session.scalars(select(ChallengeApplication).where(
        ChallengeApplication.challenge_id == challenge.id).order_by(ChallengeApplication.created_at))).all())
    if command is ChallengeCommand.START_EXPERT_REVIEW:
        undecided = [str(a.id) for a in rows if a.status == ApplicationStatus.SUBMITTED]
        if undecided:
            raise Conflict(f"shortlist or reject every application before the expert review; still submitted: "
                           f"{', '.join(undecided)}", field="status", undecided=undecided)
        moved = []
        for application in rows:
            if application.status == ApplicationStatus.SHORTLISTED:
                step = application_transition(application.status, ApplicationCommand.START_REVIEW, _OFFICER)
                uow.audit("application.start_review", "challenge_application", str(application.id),
                          apply_changes(application, {"status": step.to_state.value}))
                moved.append(str(application.id))
        return {"under_review": moved}
    if command is ChallengeCommand.START_MILESTONES:
        review_rules = rules_of(uow.settings)[1]
        ranking, statuses, by_id = await reviews.ranking_of(session, challenge.id, review_rules)
        appointed = {key for key, status in statuses.items() if status == ApplicationStatus.APPOINTED}
        reasons = reasons_not_chosen(ranking, appointed, statuses, review_rules)
        return {"not_chosen": [_turn_away(uow, actor, by_id[key], why.code, why.text) for key, why in reasons.items()]}
    if command is ChallengeCommand.CANCEL:
        statuses = {str(a.id): a.status for a in rows}
        reasons = reasons_on_cancellation(statuses, change.reason or "")
        by_id = {str(a.id): a for a in rows}
        return {"not_chosen": [_turn_away(uow, actor, by_id[key], why.code, why.text) for key, why in reasons.items()]}
    if command in (ChallengeCommand.PASS_ACCEPTANCE, ChallengeCommand.FAIL_ACCEPTANCE):
        return await _acceptance(uow, challenge, change, passed_teams)
    return {}


async def _acceptance(uow: UnitOfWork, challenge: Challenge, change: Change,
                      passed_teams: list[uuid.UUID] | None) -> dict[str, Any]:
    appointed = await _appointed(uow.session, challenge.id)
    milestones = (await uow.session.scalars(select(Milestone).where(Milestone.challenge_id == challenge.id))).all()
    by_team: dict[str, list[str]] = {str(a.id): [] for a in appointed}
    for milestone in milestones:
        by_team.setdefault(str(milestone.application_id), []).append(milestone.status)
    teams = teams_of(challenge, appointed)
    if change.command is ChallengeCommand.PASS_ACCEPTANCE:
        passed = {str(t) for t in passed_teams or ()}
        rules = rules_of(uow.settings)[0]
        check_acceptance(passed, {team: team_standing(statuses, rules) for team, statuses in by_team.items()})
    else:
        passed = set()
    for application in appointed:
        result = "passed" if str(application.id) in passed else "failed"
        uow.audit(f"application.acceptance_{result}", "challenge_application", str(application.id),
                  apply_changes(application, {"acceptance": result}))
    if change.command is ChallengeCommand.PASS_ACCEPTANCE:
        paid = [t for t in teams if str(t.application_id) in passed]
        uow.emit(ChallengeAccepted(**event_ref(challenge), passed_teams=paid,
                                   public_fen_due=sum(t.public_fen for t in paid)), subject=str(challenge.id))
    else:
        uow.emit(ChallengeFailed(**event_ref(challenge), teams=teams, reason=change.reason or ""),
                 subject=str(challenge.id))
    return {"passed_teams": sorted(passed)}
