"""Awards without an application: 免申即享 runs and challenge bounties (揭榜挂帅).

* **免申即享** (REFERENCE §13.3): an officer runs a rule (eligibility as data + the issuer's dated amount) over
  funding's copy of the registry's enterprises; ``domain.awards.run`` proposes the awards, each explained (which
  rule, which facts, which amount), and they are written as pre-approved applications whose commitments are
  appended to the round's ledger under its lock, in the same transaction: the budget is checked there once more,
  so a run never overspends even beside concurrent approvals. Running a rule twice pays once (the award key
  ``automatic:<rule>:<enterprise>`` is unique).
* **Challenge bounties**: when scenarios reports a challenge's acceptance passed, the public share of each passed
  team's award is committed and paid in one tranche from the round configured for challenge bounties
  (``pays_challenge_bounties``), once whatever the redeliveries: the consumer's inbox absorbs a repeated event,
  and the award key ``challenge:<challenge>:<team application>`` plus the ledger's keys absorb a republished one.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import extract, func, select

from services.funding.domain import applications as app_domain
from services.funding.domain import awards as domain
from services.funding.domain.applications import ApplicationStatus as S
from services.funding.domain.eligibility import EligibilityResult
from services.funding.domain.ledger import single_tranche
from services.funding.domain.programmes import enterprise_cap, require_open
from services.funding.models import Application, DatedAmount, EnterpriseProfile, FundingRound, Programme
from services.funding.schemas import applications as schemas
from services.funding.service.applications import (
    STANDING,
    eligibility_rows,
    emit_money,
    event_state,
    existing_awards,
    flag_double_support,
    store,
)
from services.funding.service.ledger import append_entries, balance_of, lock_round
from services.funding.service.programmes import (
    PROGRAMMES,
    ROUND_SCOPE,
    dated_amount_of,
    programme_of,
    round_of,
    stored_rules,
)
from services.funding.service.programmes import rules_of as stored_rules_of
from services.funding.service.refusals import refusals
from shared.auth import Actor
from shared.clock import programme_today
from shared.db import utcnow
from shared.enterprise_facts import EnterpriseFacts
from shared.errors import NotFound
from shared.events.envelope import CloudEvent
from shared.events.funding import ApplicationApproved
from shared.events.scenarios import ChallengeAccepted
from shared.idempotency import Idempotency, IdempotentResponse
from shared.uow import UnitOfWork, Work


def _award_row(*, award: app_domain.Application, profile: EnterpriseProfile, programme: Programme, key: str,
               explanation: str, created_by: str, eligibility: EligibilityResult | None) -> Application:
    row = Application(id=uuid.UUID(award.id), enterprise_id=profile.enterprise_id, uscc=profile.uscc,
                      enterprise_name=profile.name, district_code=profile.district_code,
                      held_tiers=sorted(profile.held_tiers or ()), programme_id=programme.id,
                      round_id=uuid.UUID(award.round_id), project_title=award.project_title, summary=None,
                      requested_fen=award.requested_fen, status=award.status.value, origin=award.origin.value,
                      approved_fen=award.approved_fen, tranches=[], open_checks=[], award_key=key,
                      explanation=explanation, approved_on=programme_today(), decided_at=utcnow(),
                      eligibility=eligibility_rows(eligibility) if eligibility else None,
                      eligibility_outcome=eligibility.outcome.value if eligibility else None,
                      created_by=created_by, version=1)
    return row


# --- 免申即享 ------------------------------------------------------------------------------------------------------

async def run_automatic_awards(work: Work, actor: Actor, round_id: uuid.UUID, data: schemas.AutomaticAwardRunCreate,
                               idempotency: Idempotency) -> IdempotentResponse:
    eligibility = stored_rules(data.eligibility, "eligibility")
    today = programme_today()
    async with work(actor) as uow:
        session = uow.session
        if (earlier := await idempotency.claim(session)) is not None:
            return earlier
        round_ = await session.get(FundingRound, round_id)
        if round_ is None:
            raise NotFound(f"no round {round_id}")
        ROUND_SCOPE.ensure_manageable(actor, round_)
        programme = await PROGRAMMES.get(session, actor, round_.programme_id)
        # The round locked from here: the budget the run reads is the budget it spends.
        round_ = await lock_round(session, round_id)
        rule = domain.AutomaticAwardRule(data.code, data.title, str(programme.id), str(round_.id),
                                         stored_rules_of(eligibility), data.issuer, data.amount_item,
                                         programme.conflict_group)
        amounts = [dated_amount_of(r) for r in (await session.scalars(select(DatedAmount).where(
            DatedAmount.issuer == data.issuer, DatedAmount.item == data.amount_item))).all()]
        profiles = (await session.scalars(select(EnterpriseProfile))).all()
        prefix = f"automatic:{data.code}:"
        awarded_keys = (await session.scalars(select(Application.award_key).where(
            Application.award_key.startswith(prefix, autoescape=True)))).all()
        in_round = dict((await session.execute(
            select(Application.enterprise_id, func.sum(Application.approved_fen - Application.released_fen))
            .where(Application.round_id == round_.id, Application.status.in_([s.value for s in STANDING]))
            .group_by(Application.enterprise_id))).all())
        group_received: dict[str, int] = {}
        if programme.conflict_group:
            # 从高不重复: what each firm received this year from programmes of the same conflict group.
            rows = await session.execute(
                select(Application.enterprise_id, func.sum(Application.approved_fen - Application.released_fen))
                .join(Programme, Programme.id == Application.programme_id)
                .where(Programme.conflict_group == programme.conflict_group,
                       Application.status.in_([s.value for s in STANDING]),
                       extract("year", Application.approved_on) == today.year)
                .group_by(Application.enterprise_id))
            group_received = {str(k): int(v) for k, v in rows}
        standing = (await session.scalars(select(Application).where(
            Application.status.in_([s.value for s in STANDING])))).all()
        by_firm: dict[str, list[Application]] = {}
        for row in standing:
            by_firm.setdefault(str(row.enterprise_id), []).append(row)
        with refusals():
            require_open(round_of(round_), today)
            proposed = domain.run(
                rule, [EnterpriseFacts.of(p) for p in profiles], amounts=amounts, on=today,
                round_available_fen=balance_of(round_).available_fen,
                per_enterprise_cap_fen=enterprise_cap(programme_of(programme), round_of(round_)),
                awarded_keys=awarded_keys, awarded_in_round={str(k): int(v) for k, v in in_round.items()},
                group_received=group_received,
                existing_awards={k: existing_awards(v) for k, v in by_firm.items()})
        profile_of = {str(p.enterprise_id): p for p in profiles}
        made = []
        entries = []
        for award in proposed.awards:
            awarded_before = int(in_round.get(uuid.UUID(award.enterprise_id), 0))
            with refusals():
                moved = award.approve(id=str(uuid.uuid4()), on=today, limits=app_domain.AmountLimits(
                    enterprise_cap(programme_of(programme), round_of(round_)), awarded_before))
            row = _award_row(award=moved.application, profile=profile_of[award.enterprise_id], programme=programme,
                             key=award.key, explanation=award.explanation(), created_by=actor.principal.subject,
                             eligibility=award.eligibility)
            session.add(row)
            entries.extend(moved.entries)
            made.append(schemas.AwardMade(application_id=row.id, enterprise_id=row.enterprise_id, uscc=row.uscc,
                                          amount_fen=award.amount_fen, explanation=row.explanation or ""))
        await uow.flush()
        await append_entries(uow, round_.id, entries, round_=round_)
        for award_made in made:
            row = await session.get(Application, award_made.application_id)
            assert row is not None
            uow.emit(ApplicationApproved(**event_state(row, programme), approved_fen=award_made.amount_fen,
                                         approved_on=today), subject=str(row.id))
            await flag_double_support(uow, row)
        result = schemas.AutomaticAwardRunRead(
            rule_code=data.code, round_id=round_.id, on=today, amount_fen=proposed.amount.amount_fen,
            amount_source=f"{proposed.amount.issuer} {proposed.amount.item} from "
                          f"{proposed.amount.effective_from.isoformat()}" +
                          (f" ({proposed.amount.source})" if proposed.amount.source else ""),
            awards=made,
            skipped=[schemas.AwardSkipped(enterprise_id=uuid.UUID(s.enterprise_id), uscc=s.uscc, reason=s.reason.value,
                                          detail=s.detail) for s in proposed.skipped],
            not_eligible=proposed.not_eligible, total_fen=proposed.total_fen)
        uow.audit("automatic_awards.run", "round", str(round_.id),
                  {"rule": data.model_dump(mode="json"), "awards": len(made), "total_fen": proposed.total_fen,
                   "skipped": len(proposed.skipped), "not_eligible": proposed.not_eligible})
        return await idempotency.respond(session, 201, result)


# --- challenge bounties --------------------------------------------------------------------------------------------

class NoBountyRound(LookupError):
    """No round is configured to pay challenge bounties: the event is retried, then dead-lettered, for an officer to
    set one up and replay it (never dropped)."""


async def pay_challenge_bounties(uow: UnitOfWork, event: CloudEvent) -> None:
    """Handler of ``seedbed.scenarios.challenge.accepted.v1``: each passed team's public share, committed and paid
    in one tranche, once (module docstring)."""
    accepted = event.payload(ChallengeAccepted)
    session = uow.session
    today = programme_today()
    due = [team for team in accepted.passed_teams if team.public_fen > 0]
    if not due:
        return
    round_id = await session.scalar(select(FundingRound.id).where(FundingRound.pays_challenge_bounties.is_(True)))
    if round_id is None:
        raise NoBountyRound("no round pays challenge bounties (set pays_challenge_bounties on one)")
    round_ = await lock_round(session, round_id)
    programme = await session.get(Programme, round_.programme_id)
    assert programme is not None
    for team in due:
        key = f"challenge:{accepted.challenge_id}:{team.application_id}"
        if await session.scalar(select(Application.id).where(Application.award_key == key)) is not None:
            continue  # paid already (a republished event): the award key says so
        profile = await session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.uscc == team.lead_uscc))
        if profile is None:
            raise LookupError(f"no enterprise with USCC {team.lead_uscc} known to funding yet")
        title = f"揭榜挂帅：{accepted.title}"
        moved = app_domain.pre_approved(
            id=str(uuid.uuid4()), enterprise_id=str(profile.enterprise_id), programme_id=str(programme.id),
            round_id=str(round_.id), title=title[:200], amount_fen=team.public_fen,
            on=today, limits=app_domain.AmountLimits(team.public_fen, 0, balance_of(round_).available_fen))
        # The acceptance (验收通过) is the agreement and its one milestone: the public share is paid on it.
        agreed = replace(moved.application, status=S.AGREEMENT,
                         tranches=single_tranche(team.public_fen, "验收通过 (challenge accepted)"))
        paid = app_domain.transition(agreed, app_domain.Command(app_domain.Action.DISBURSE, app_domain.Actor.SYSTEM,
                                                                today, tranche_index=0))
        award = replace(paid.application, status=S.CLOSED, note="paid in full on acceptance")
        assert not app_domain.invariant_violations(award), app_domain.invariant_violations(award)
        explanation = (f"揭榜挂帅 challenge {accepted.challenge_id} 「{accepted.title}」 passed acceptance; team "
                       f"application {team.application_id} led by {team.lead_uscc}: public share "
                       f"{team.public_fen} fen of an award of {team.award_fen} fen (issuer's share {team.issuer_fen})")
        row = _award_row(award=moved.application, profile=profile, programme=programme, key=key,
                         explanation=explanation, created_by=uow.system_actor, eligibility=None)
        session.add(row)
        await uow.flush()
        store(row, award)
        entries = [*moved.entries, *paid.entries]
        await append_entries(uow, round_.id, entries, round_=round_)
        await uow.flush()
        uow.emit(ApplicationApproved(**event_state(row, programme), approved_fen=team.public_fen, approved_on=today),
                 subject=str(row.id))
        await emit_money(uow, row, programme, paid.entries)
        uow.audit("application.challenge_bounty_paid", "application", str(row.id),
                  {"challenge_id": str(accepted.challenge_id), "team_application_id": str(team.application_id),
                   "public_fen": team.public_fen, "entries": [e.key for e in entries]})

