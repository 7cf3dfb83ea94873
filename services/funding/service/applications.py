"""Applications (申报) and awards: created with an Idempotency-Key, moved along ``domain.applications.TRANSITIONS``
under the row's lock and If-Match, with the money of each step appended to the round's ledger under the round's
lock (``service.ledger.append_entries``) in the same transaction.

* Creating and submitting check the round is open, the amount within the firm's cap, and the firm's eligibility
  against the round's rules and funding's copy of the registry's data (``enterprise_profiles``): an ineligible firm
  is refused at creation naming the failing rules; at submission the check is recorded rule by rule (a firm whose
  data changed since is rejected with the reasons, one whose data are incomplete goes to review with the open
  rules listed).
* Approving commits the amount: the cap and the round's budget are checked once without a lock (an early
  refusal) and again under the round's row lock, last, where they count: that lock serialises every movement of the
  round's money, so 500 concurrent approvals against a budget of 100 commit exactly 100, and two approvals of one
  firm cannot both pass its cap. The approval also compares the project with the firm's other awards
  (``domain.double_support``) and stores a flag for each similar title, for officers to review.
* Disbursing pays the next tranche (ledger key ``application:<id>:disbursed:<n>``: a retry pays once), closing
  releases the unpaid rest, clawing back releases it and records the money recovered.

Events: application.submitted / approved / rejected, fund.disbursed / clawed_back (shared/events/funding.py).
Money-moving steps are the issuer's: an officer must manage the round as well as the application.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain import applications as domain
from services.funding.domain import double_support
from services.funding.domain.actors import Actor as Part
from services.funding.domain.eligibility import EligibilityResult, ExistingAward, evaluate
from services.funding.domain.ledger import Tranche, TrancheCondition, TrancheSpec, plan_tranches
from services.funding.domain.programmes import enterprise_cap, require_open, rules_for
from services.funding.models import (
    Application,
    DoubleSupportFlag,
    EnterpriseProfile,
    FundingRound,
    FundPool,
    Programme,
    ReviewDeclaration,
    ReviewerAssignment,
    ReviewerDeclaration,
)
from services.funding.schemas import applications as schemas
from services.funding.service.ledger import append_entries, balance_of, lock_round
from services.funding.service.programmes import ROUND_SCOPE, changes_of, programme_of, round_of
from services.funding.service.refusals import refusals
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.conflicts import check_assignment
from shared.db import utcnow
from shared.enterprise_facts import EnterpriseFacts
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.funding import (
    ApplicationApproved,
    ApplicationRejected,
    ApplicationSubmitted,
    FundClawedBack,
    FundDisbursed,
)
from shared.http import cursor_datetime, cursor_uuid
from shared.idempotency import Idempotency, IdempotentResponse
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.reviewers import declared, reviewer_of
from shared.scope import EVERYWHERE, Assigned, InDistrict, OwnUscc, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]
S = domain.ApplicationStatus

# Readers: the applicant firm, officers of the firm's district (city-wide officers: all), admins and services;
# reviewers what an officer assigned them (reviewer_assignments). Managers: the firm (its own steps), officers, admins, services (the
# domain's transition table says which step is whose; money-moving steps also need the round: _ensure_issuer).
APPLICATION_SCOPE = ScopeRule(
    noun="application",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(Application.district_code),
             Role.ENTERPRISE: OwnUscc(Application.uscc),
             Role.REVIEWER: Assigned(Application.id, ReviewerAssignment.application_id,
                                     ReviewerAssignment.reviewer_id)},
    managers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(Application.district_code),
              Role.ENTERPRISE: OwnUscc(Application.uscc)},
)
APPLICATIONS = Records(Application, APPLICATION_SCOPE)

MONEY_ACTIONS = frozenset({domain.Action.APPROVE, domain.Action.DISBURSE, domain.Action.CLOSE,
                           domain.Action.CLAW_BACK, domain.Action.DECLINE})
# The states in which an award stands (for the cap, double support and "recently funded" rules).
STANDING = frozenset({S.APPROVED, S.AGREEMENT, S.DISBURSING, S.CLOSED})


def part_of(actor: Actor) -> Part | None:
    """The part the caller plays in the domain's transition table."""
    return {Role.ENTERPRISE: Part.ENTERPRISE, Role.OFFICER: Part.OFFICER, Role.ADMIN: Part.OFFICER,
            Role.SERVICE: Part.SYSTEM}.get(actor.principal.role)


# --- rows and domain values ----------------------------------------------------------------------------------------

def _tranche_of(t: dict[str, Any]) -> Tranche:
    return Tranche(int(t["index"]), t["milestone"], int(t["amount_fen"]), TrancheCondition(t["condition"]),
                   date.fromisoformat(t["planned_on"]) if t.get("planned_on") else None,
                   date.fromisoformat(t["paid_on"]) if t.get("paid_on") else None)


def _tranche_row(t: Tranche) -> dict[str, Any]:
    return {"index": t.index, "milestone": t.milestone, "amount_fen": t.amount_fen, "condition": t.condition.value,
            "planned_on": t.planned_on.isoformat() if t.planned_on else None,
            "paid_on": t.paid_on.isoformat() if t.paid_on else None}


def app_of(row: Application) -> domain.Application:
    rejection = None
    if row.rejection:
        rejection = domain.RejectionReason(domain.RejectionCode(row.rejection["code"]), row.rejection["detail"],
                                           tuple(row.rejection.get("rules") or ()))
    return domain.Application(
        str(row.id), str(row.enterprise_id), str(row.programme_id), str(row.round_id), row.project_title,
        row.requested_fen, S(row.status), domain.Origin(row.origin), row.approved_fen,
        tuple(_tranche_of(t) for t in row.tranches), rejection, tuple(row.open_checks), row.released_fen,
        row.clawed_back_fen, row.note or "")


def store(row: Application, app: domain.Application) -> dict[str, Any]:
    """Write the domain's application onto its row; the changed columns (the audit entry's shape)."""
    values = {
        "status": app.status.value, "approved_fen": app.approved_fen, "tranches": [_tranche_row(t) for t in app.tranches],
        "rejection": None if app.rejection is None else {"code": app.rejection.code.value,
                                                         "detail": app.rejection.detail,
                                                         "rules": list(app.rejection.rules)},
        "open_checks": list(app.open_checks), "released_fen": app.released_fen,
        "clawed_back_fen": app.clawed_back_fen, "disbursed_fen": app.disbursed_fen, "note": app.note or None,
    }
    changed = {}
    for name, value in values.items():
        if getattr(row, name) != value:
            changed[name] = {"from": getattr(row, name), "to": value}
            setattr(row, name, value)
    if changed:
        row.version += 1
    return changed


def eligibility_rows(result: EligibilityResult) -> list[dict[str, Any]]:
    return [{"rule": r.code, "met": r.met, "facts": dict(r.facts), "reason": r.reason} for r in result.results]


def read_model(actor: Actor, row: Application, reviews: schemas.ReviewSummary | None = None) -> schemas.ApplicationRead:
    values = {c.key: getattr(row, c.key) for c in Application.__table__.columns}
    part = part_of(actor)
    allowed = [] if part is None else [r.action.value for r in domain.allowed(S(row.status), part)
                                       if r.action not in (domain.Action.CONFIRM_ELIGIBLE,
                                                           domain.Action.REFUSE_INELIGIBLE)]
    return schemas.ApplicationRead(**{**values, "allowed_actions": allowed, "reviews": reviews})


def event_state(row: Application, programme: Programme) -> dict[str, Any]:
    return {"application_id": row.id, "enterprise_id": row.enterprise_id, "uscc": row.uscc,
            "programme_id": row.programme_id, "round_id": row.round_id, "programme_name": programme.name,
            "instrument": programme.instrument, "project_title": row.project_title, "origin": row.origin,
            "status": row.status, "requested_fen": row.requested_fen}


# --- reads the rules need ------------------------------------------------------------------------------------------

# The approve path's reads, built once (building a statement costs about as much as sending it). ``excluding``
# None is passed as the nil UUID, which no application has.
_NO_APPLICATION = uuid.UUID(int=0)
_AWARDED_IN_ROUND = select(func.coalesce(func.sum(Application.approved_fen - Application.released_fen), 0)).where(
    Application.round_id == bindparam("round_id"), Application.enterprise_id == bindparam("enterprise_id"),
    Application.status.in_([s.value for s in (*STANDING, S.CLAWED_BACK)]), Application.id != bindparam("excluding"))
_STANDING_AWARDS = select(Application).where(
    Application.enterprise_id == bindparam("enterprise_id"), Application.status.in_([s.value for s in STANDING]),
    Application.id != bindparam("excluding"))
_PROGRAMME_AND_ROUND = select(Programme, FundingRound).join(FundingRound, FundingRound.programme_id == Programme.id
                                                            ).where(FundingRound.id == bindparam("round_id"))


async def awarded_in_round(session: AsyncSession, round_id: uuid.UUID, enterprise_id: uuid.UUID,
                           excluding: uuid.UUID | None = None) -> int:
    """What the round has awarded the firm and not released (approved less released, standing awards)."""
    return int(await session.scalar(_AWARDED_IN_ROUND, {
        "round_id": round_id, "enterprise_id": enterprise_id, "excluding": excluding or _NO_APPLICATION}) or 0)


async def standing_awards(session: AsyncSession, enterprise_id: uuid.UUID,
                          excluding: uuid.UUID | None = None) -> list[Application]:
    return list((await session.scalars(_STANDING_AWARDS, {
        "enterprise_id": enterprise_id, "excluding": excluding or _NO_APPLICATION})).all())


def existing_awards(rows: Sequence[Application]) -> list[ExistingAward]:
    return [ExistingAward(str(r.id), str(r.programme_id), r.approved_on or r.created_at.date(), r.project_title)
            for r in rows]


async def _profile(session: AsyncSession, enterprise_id: uuid.UUID) -> EnterpriseProfile:
    profile = await session.get(EnterpriseProfile, enterprise_id)
    if profile is None:
        raise NotFound(f"no enterprise {enterprise_id} known to funding (registry events not received yet?)",
                       field="enterprise_id")
    return profile


async def _evaluate(session: AsyncSession, profile: EnterpriseProfile, programme: Programme, round_: FundingRound,
                    project_title: str, excluding: uuid.UUID | None = None) -> EligibilityResult:
    awards = existing_awards(await standing_awards(session, profile.enterprise_id, excluding))
    return evaluate(rules_for(programme_of(programme), round_of(round_)), EnterpriseFacts.of(profile),
                    on=programme_today(), awards=awards, project_title=project_title)


def _limits(programme: Programme, round_: FundingRound, awarded: int, available: int | None = None) -> domain.AmountLimits:
    return domain.AmountLimits(enterprise_cap(programme_of(programme), round_of(round_)), awarded, available)


async def _check_request(session: AsyncSession, profile: EnterpriseProfile, programme: Programme,
                         round_: FundingRound, requested_fen: int, project_title: str,
                         excluding: uuid.UUID | None = None) -> None:
    """What a draft must satisfy when written or changed: the round open, the amount within the firm's remaining
    cap (422 naming ``requested_fen``), the firm eligible (422 ``not_eligible`` naming the failing rules)."""
    awarded = await awarded_in_round(session, round_.id, profile.enterprise_id, excluding)
    with refusals():
        require_open(round_of(round_), programme_today())
        try:
            domain.check_amount(requested_fen, _limits(programme, round_, awarded))
        except domain.AmountRefused as refused:  # the request itself is at fault here: 422 naming it
            raise InvalidInput(refused.detail, field="requested_fen", code=refused.code,
                               **{k: v for k, v in refused.extra.items() if k != "field"}) from None
    result = await _evaluate(session, profile, programme, round_, project_title, excluding)
    if result.failed:
        raise InvalidInput("the enterprise is not eligible: " + result.summary(), field="eligibility",
                           code="not_eligible", rules=[r.code for r in result.failed],
                           eligibility=eligibility_rows(result))


# --- create, read, list --------------------------------------------------------------------------------------------

async def create_application(work: Work, actor: Actor, data: schemas.ApplicationCreate,
                             idempotency: Idempotency) -> IdempotentResponse:
    async with work(actor) as uow:
        session = uow.session
        if (earlier := await idempotency.claim(session)) is not None:
            return earlier
        if actor.principal.role == Role.ENTERPRISE:
            profile = await session.scalar(select(EnterpriseProfile).where(
                EnterpriseProfile.uscc == actor.principal.uscc))
            if profile is None or (data.enterprise_id is not None and data.enterprise_id != profile.enterprise_id):
                raise PermissionDenied("an enterprise applies only for itself", field="enterprise_id")
        else:
            if data.enterprise_id is None:
                raise InvalidInput("name the enterprise the application is for", field="enterprise_id")
            profile = await _profile(session, data.enterprise_id)
        APPLICATION_SCOPE.ensure_manageable(actor, {"uscc": profile.uscc, "district_code": profile.district_code})
        round_ = await session.get(FundingRound, data.round_id)
        if round_ is None:
            raise NotFound(f"no round {data.round_id}", field="round_id")
        programme = await session.get(Programme, round_.programme_id)
        assert programme is not None
        await _check_request(session, profile, programme, round_, data.requested_fen, data.project_title)
        row = Application(id=uuid.uuid4(), enterprise_id=profile.enterprise_id, uscc=profile.uscc,
                          enterprise_name=profile.name, district_code=profile.district_code,
                          held_tiers=sorted(profile.held_tiers or ()), programme_id=programme.id, round_id=round_.id,
                          project_title=data.project_title, summary=data.summary, requested_fen=data.requested_fen,
                          status=S.DRAFT.value, origin=domain.Origin.APPLICATION.value,
                          created_by=actor.principal.subject)
        session.add(row)
        await uow.flush()
        uow.audit("application.create", "application", str(row.id), data.model_dump(mode="json"))
        read = read_model(actor, row)
        return await idempotency.respond(session, 201, read, headers={"Location": f"/v1/applications/{row.id}",
                                                                      "ETag": f'"{row.version}"'})


async def update_application(work: Work, actor: Actor, application_id: uuid.UUID, data: schemas.ApplicationUpdate,
                             if_match: str | None) -> schemas.ApplicationRead:
    """The applicant firm's change of its draft under If-Match (title, summary, amount asked for), checked as when
    it was written; once submitted an application is not edited (withdraw it and apply again)."""
    changes = changes_of(data, clearable=frozenset({"summary"}))
    async with work(actor) as uow:
        session = uow.session
        row = await APPLICATIONS.get_for_change(session, actor, application_id, if_match=if_match)
        if row.status != S.DRAFT.value:
            raise Conflict(f"the application is {row.status}; only a draft is changed (withdraw it and apply again)",
                           field="status", current_status=row.status)
        round_ = await session.get(FundingRound, row.round_id)
        programme = await session.get(Programme, row.programme_id)
        assert round_ is not None and programme is not None
        changed = apply_changes(row, changes)
        if changed:
            await _check_request(session, await _profile(session, row.enterprise_id), programme, round_,
                                 row.requested_fen, row.project_title, row.id)
            await uow.flush()
            uow.audit("application.update", "application", str(row.id), changed)
        read = read_model(actor, row)
    return read


async def _review_summary(session: AsyncSession, actor: Actor, application_id: uuid.UUID) -> schemas.ReviewSummary:
    """How the review stands. A reviewer sees the others' scores only once they have declared on it themselves, so
    that no one scores with the panel's mean in view (as scenarios' score sheets)."""
    rows = (await session.scalars(select(ReviewDeclaration).where(
        ReviewDeclaration.application_id == application_id))).all()
    scores = [r.score for r in rows if r.score is not None]
    assigned = await session.scalar(select(func.count()).select_from(ReviewerAssignment).where(
        ReviewerAssignment.application_id == application_id)) or 0
    if actor.principal.role == Role.REVIEWER and not any(r.reviewer == actor.principal.subject for r in rows):
        scores = []
    return schemas.ReviewSummary(assigned=assigned, declarations=len(rows),
                                 conflicts_of_interest=sum(r.conflict_of_interest for r in rows),
                                 scores=len(scores), mean_score=sum(scores) / len(scores) if scores else None)


async def get_application(sessions: Sessions, actor: Actor, application_id: uuid.UUID) -> schemas.ApplicationRead:
    async with sessions() as session:
        row = await APPLICATIONS.get(session, actor, application_id)
        return read_model(actor, row, await _review_summary(session, actor, row.id))


_ORDER = (Key(Application.created_at, cursor_datetime), Key(Application.id, cursor_uuid))


async def list_applications(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                            round_id: uuid.UUID | None, status: str | None, enterprise_id: uuid.UUID | None,
                            origin: str | None) -> tuple[list[schemas.ApplicationRead], str | None]:
    query = APPLICATIONS.select(actor)
    for column, value in ((Application.round_id, round_id), (Application.status, status),
                          (Application.enterprise_id, enterprise_id), (Application.origin, origin)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        rows, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [read_model(actor, r) for r in rows], next_cursor


# --- transitions ---------------------------------------------------------------------------------------------------

def _tranches(data: schemas.ApplicationTransition, approved_fen: int | None) -> tuple[Tranche, ...]:
    if not data.tranches:
        return ()
    specs = [TrancheSpec(t.milestone, Decimal(t.share), TrancheCondition(t.condition), t.planned_on)
             for t in data.tranches]
    return plan_tranches(approved_fen or 0, specs)


def _ensure_issuer(actor: Actor, round_: FundingRound) -> None:
    """Money-moving steps are for those who manage the round's money (an officer of the issuing district)."""
    if actor.principal.role == Role.OFFICER:
        ROUND_SCOPE.ensure_manageable(actor, round_)


async def _programme_and_round(session: AsyncSession, round_id: uuid.UUID) -> tuple[Programme, FundingRound]:
    """The round and its programme, read (not locked) in one statement: every step needs both."""
    programme, round_ = (await session.execute(_PROGRAMME_AND_ROUND, {"round_id": round_id})).one()
    return programme, round_


async def _commit_approval(uow: UnitOfWork, row: Application, programme: Programme,
                           entries: Sequence[Any]) -> None:
    """An approval's money, under the round's row lock (taken here, last, so that it is held only from here to the
    commit): the firm's cap and the round's budget checked against what the lock makes current, then the
    commitment appended."""
    session = uow.session
    round_ = await lock_round(session, row.round_id)
    # Every approval, award and release of this round's money holds this lock: the firm's sum below cannot change
    # before the commit (a lock per firm would add a round trip and protect nothing more).
    awarded = await awarded_in_round(session, round_.id, row.enterprise_id, row.id)
    with refusals():
        domain.check_amount(row.approved_fen, _limits(programme, round_, awarded, balance_of(round_).available_fen))
    # The application's first and only commitment (its state machine approves once): no earlier entry to read.
    await append_entries(uow, round_.id, entries, round_=round_, first_for_reference=True)


async def emit_money(uow: UnitOfWork, row: Application, programme: Programme, entries: Sequence[Any]) -> None:
    """The events of the ledger entries a step wrote: fund.disbursed per tranche, fund.clawed_back."""
    if not any(entry.kind.value in ("disbursed", "clawed_back") for entry in entries):
        return
    issuer = (await uow.session.get(FundPool, programme.pool_id)).issuer  # type: ignore[union-attr]
    common = {"application_id": row.id, "enterprise_id": row.enterprise_id, "uscc": row.uscc,
              "programme_id": row.programme_id, "round_id": row.round_id, "programme_name": programme.name,
              "instrument": programme.instrument, "issuer": issuer, "project_title": row.project_title}
    for entry in entries:
        if entry.kind.value == "disbursed":
            index = int(entry.key.rsplit(":", 1)[1])
            tranche = next(t for t in row.tranches if t["index"] == index)
            uow.emit(FundDisbursed(**common, amount_fen=entry.amount_fen, on=entry.on, entry_key=entry.key,
                                   tranche_index=index, milestone=tranche["milestone"],
                                   disbursed_total_fen=row.disbursed_fen), subject=str(row.id))
        elif entry.kind.value == "clawed_back":
            uow.emit(FundClawedBack(**common, amount_fen=entry.amount_fen, on=entry.on, entry_key=entry.key,
                                    clawed_back_total_fen=row.clawed_back_fen, reason=row.note or ""),
                     subject=str(row.id))


async def transition_application(work: Work, actor: Actor, application_id: uuid.UUID,
                                 data: schemas.ApplicationTransition, if_match: str | None,
                                 idempotency: Idempotency) -> IdempotentResponse:
    part = part_of(actor)
    if part is None:
        raise PermissionDenied(f"role {actor.principal.role.value} takes no step of an application")
    action = domain.Action(data.action)
    async with work(actor) as uow:
        session = uow.session
        if (earlier := await idempotency.claim(session)) is not None:
            return earlier
        row = await APPLICATIONS.get_for_change(session, actor, application_id, if_match=if_match)
        # Read, not locked: money is checked again under the round's lock when it is appended, last.
        programme, round_ = await _programme_and_round(session, row.round_id)
        today = programme_today()
        if action in MONEY_ACTIONS:
            _ensure_issuer(actor, round_)
        before = app_of(row)
        command = domain.Command(action, part, today, note=data.note, amount_fen=data.amount_fen)
        with refusals():
            if action == domain.Action.SUBMIT:
                require_open(round_of(round_), today)
                command = replace(command, limits=_limits(programme, round_, await awarded_in_round(
                    session, round_.id, row.enterprise_id, row.id)))
            elif action == domain.Action.APPROVE:
                # An early refusal on what was read without a lock (the amount above the cap itself, a budget
                # already spent); the firm's other awards and the budget count under the lock (_commit_approval).
                command = replace(command, limits=_limits(programme, round_, 0, balance_of(round_).available_fen))
            elif action == domain.Action.REJECT:
                if data.rejection is None:
                    raise InvalidInput("a rejection says why", field="rejection")
                command = replace(command, rejection=domain.RejectionReason(
                    domain.RejectionCode(data.rejection.code), data.rejection.detail))
            elif action == domain.Action.SIGN_AGREEMENT:
                command = replace(command, tranches=_tranches(data, row.approved_fen))
            elif action == domain.Action.DISBURSE:
                if data.tranche_index is None:
                    raise InvalidInput("name the tranche whose milestone was met", field="tranche_index")
                command = replace(command, tranche_index=data.tranche_index)
            moved = domain.transition(before, command)
            app, entries = moved.application, list(moved.entries)
            eligibility = None
            if action == domain.Action.SUBMIT:
                # The eligibility check follows at once, by the system, on the data funding holds now.
                profile = await _profile(session, row.enterprise_id)
                eligibility = await _evaluate(session, profile, programme, round_, row.project_title, row.id)
                checked = domain.transition(app, domain.eligibility_command(eligibility, Part.SYSTEM, today))
                app = checked.application
                row.held_tiers = sorted(profile.held_tiers or ())
        changed = store(row, app)
        now = utcnow()
        if eligibility is not None:
            row.eligibility, row.eligibility_outcome = eligibility_rows(eligibility), eligibility.outcome.value
            row.submitted_at = now
        if action == domain.Action.APPROVE:
            row.approved_on, row.decided_at = today, now
        if app.status == S.REJECTED:
            row.decided_at = now
        await uow.flush()
        state = event_state(row, programme)
        if action == domain.Action.SUBMIT:
            uow.emit(ApplicationSubmitted(**{**state, "status": S.SUBMITTED.value}), subject=str(row.id))
        if action == domain.Action.APPROVE:
            uow.emit(ApplicationApproved(**state, approved_fen=row.approved_fen, approved_on=today),
                     subject=str(row.id))
            # Before the round's lock, not under it: a flag's foreign key waits on the other award's row lock,
            # which a step of that award (a payment in the same round) holds while it waits for the round's lock.
            await flag_double_support(uow, row)
        if app.status == S.REJECTED and before.status != S.REJECTED:
            assert app.rejection is not None
            uow.emit(ApplicationRejected(**state, reason_code=app.rejection.code.value, reason=app.rejection.detail,
                                         rules=list(app.rejection.rules)), subject=str(row.id))
        await emit_money(uow, row, programme, entries)
        uow.audit(f"application.{action.value}", "application", str(row.id),
                  {**changed, "entries": [e.key for e in entries], "note": data.note or None})
        read = read_model(actor, row)
        response = await idempotency.respond(session, 200, read, headers={"ETag": f'"{row.version}"'})
        # Last, so that the round's lock is held only from here to the commit: the authoritative check of the money
        # and its write. A refusal here rolls back everything above.
        if action == domain.Action.APPROVE:
            await _commit_approval(uow, row, programme, entries)
        elif entries:
            await append_entries(uow, row.round_id, entries)
        return response



# --- double support ------------------------------------------------------------------------------------------------

async def flag_double_support(uow: UnitOfWork, row: Application) -> list[DoubleSupportFlag]:
    """On approval: a flag for each standing award of the same firm whose project title is similar (REFERENCE
    §13.4, ``domain.double_support``), stored for officers to review; the approval itself stands."""
    session = uow.session
    others = await standing_awards(session, row.enterprise_id, row.id)
    project = double_support.FundedProject(str(row.id), str(row.enterprise_id), str(row.programme_id),
                                           row.project_title)
    funded = [double_support.FundedProject(str(o.id), str(o.enterprise_id), str(o.programme_id), o.project_title)
              for o in others]
    flags = []
    for found in double_support.find_double_support(project, funded):
        flag = DoubleSupportFlag(application_id=row.id, other_application_id=uuid.UUID(found.other.reference),
                                 enterprise_id=row.enterprise_id, district_code=row.district_code,
                                 similarity=str(found.similarity), identical=found.identical, reason=found.reason())
        session.add(flag)
        flags.append(flag)
    if flags:
        await uow.flush()
        uow.audit("application.double_support_flagged", "application", str(row.id),
                  {"flags": [{"other": str(f.other_application_id), "similarity": f.similarity} for f in flags]})
    return flags


FLAG_SCOPE = ScopeRule(
    noun="double-support flag",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(DoubleSupportFlag.district_code)},
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(DoubleSupportFlag.district_code)},
)
FLAGS = Records(DoubleSupportFlag, FLAG_SCOPE)
_FLAG_ORDER = (Key(DoubleSupportFlag.created_at, cursor_datetime), Key(DoubleSupportFlag.id, cursor_uuid))


async def list_flags(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                     status: str | None) -> tuple[list[DoubleSupportFlag], str | None]:
    query = select(DoubleSupportFlag).where(FLAG_SCOPE.readable(actor))
    if status is not None:
        query = query.where(DoubleSupportFlag.status == status)
    async with sessions() as session:
        return await paginate(session, query, keys=_FLAG_ORDER, limit=limit, cursor=cursor, descending=True)


async def resolve_flag(work: Work, actor: Actor, flag_id: uuid.UUID,
                       data: schemas.DoubleSupportResolve) -> DoubleSupportFlag:
    """An officer's finding on a flag: cleared (two projects after all) or confirmed (one project funded twice:
    the award is then closed or clawed back through its own transitions)."""
    async with work(actor) as uow:
        flag = await FLAGS.get_for_change(uow.session, actor, flag_id)
        if flag.status != "open":
            raise Conflict(f"the flag is {flag.status} already", field="status")
        flag.status, flag.resolution = data.decision, data.resolution
        flag.resolved_by, flag.resolved_at = actor.principal.subject, utcnow()
        await uow.flush()
        uow.audit(f"double_support.{data.decision}", "double_support_flag", str(flag.id),
                  {"resolution": data.resolution})
    return flag


# --- reviewers and reviews ----------------------------------------------------------------------------------------

# Reviewers are assigned once the firm's eligibility is checked, before or during the review.
ASSIGNABLE = frozenset({S.ELIGIBILITY_CHECKED.value, S.UNDER_REVIEW.value})


def assignment_read(row: ReviewerAssignment) -> schemas.AssignmentRead:
    return schemas.AssignmentRead.model_validate(row, from_attributes=True)


async def assign_reviewer(work: Work, actor: Actor, application_id: uuid.UUID,
                          data: schemas.AssignmentCreate) -> schemas.AssignmentRead:
    """An officer who manages the application assigns a reviewer who has declared their interests and is tied to
    no party of it (回避: the refusal names every tie, ``shared.reviewers``). Once per reviewer and application."""
    async with work(actor) as uow:
        # Locked: a concurrent step of the application waits, so that no reviewer is assigned to a closed file.
        row = await APPLICATIONS.get_for_change(uow.session, actor, application_id)
        if row.status not in ASSIGNABLE:
            raise Conflict(f"the application is {row.status}; reviewers are assigned once its eligibility is checked "
                           "and until it is decided", field="status", current_status=row.status)
        check_assignment(await declared(uow.session, ReviewerDeclaration, data.reviewer_id), row.uscc)
        assignment = ReviewerAssignment(application_id=row.id, reviewer_id=data.reviewer_id,
                                        assigned_by=actor.principal.subject)
        uow.session.add(assignment)
        await uow.flush()  # one assignment per reviewer and application: a concurrent second one is 409 here
        uow.audit("application.reviewer_assigned", "application", str(row.id),
                  {"reviewer_id": data.reviewer_id, "assignment_id": str(assignment.id)})
        read = assignment_read(assignment)
    return read


async def list_assignments(sessions: Sessions, actor: Actor, application_id: uuid.UUID) -> list[schemas.AssignmentRead]:
    async with sessions() as session:
        row = await APPLICATIONS.get(session, actor, application_id)
        rows = (await session.scalars(select(ReviewerAssignment).where(ReviewerAssignment.application_id == row.id)
                                      .order_by(ReviewerAssignment.assigned_at, ReviewerAssignment.id))).all()
    return [assignment_read(r) for r in rows]


async def declare_review(work: Work, actor: Actor, application_id: uuid.UUID,
                         data: schemas.ReviewCreate) -> ReviewDeclaration:
    """An assigned reviewer's declaration on an application under review: a conflict of interest (回避) and no
    score, or no conflict and (optionally) a score. Once per reviewer and application. A score is refused, naming
    the ties, when the reviewer's declaration of interests ties them to the applicant (declared since the
    assignment: the rule is checked again here)."""
    if data.conflict_of_interest and data.score is not None:
        raise InvalidInput("a reviewer with a conflict of interest gives no score", field="score")
    async with work(actor) as uow:
        row = await APPLICATIONS.get(uow.session, actor, application_id)  # 404 unless assigned to this reviewer
        if row.status != S.UNDER_REVIEW.value:
            raise Conflict(f"the application is {row.status}; reviewers declare while it is under review",
                           field="status")
        if not data.conflict_of_interest:
            declaration = await uow.session.get(ReviewerDeclaration, actor.principal.subject)
            if declaration is not None:
                check_assignment(reviewer_of(declaration), row.uscc)
        review = ReviewDeclaration(application_id=row.id, reviewer=actor.principal.subject,
                                   conflict_of_interest=data.conflict_of_interest, statement=data.statement,
                                   score=data.score)
        uow.session.add(review)
        await uow.flush()
        uow.audit("application.review_declared", "application", str(row.id), data.model_dump(mode="json"))
    return review


async def list_reviews(sessions: Sessions, actor: Actor, application_id: uuid.UUID) -> list[ReviewDeclaration]:
    async with sessions() as session:
        row = await APPLICATIONS.get(session, actor, application_id)
        query = select(ReviewDeclaration).where(ReviewDeclaration.application_id == row.id)
        if actor.principal.role == Role.REVIEWER:  # a reviewer sees its own declaration, not the others' scores
            query = query.where(ReviewDeclaration.reviewer == actor.principal.subject)
        return list((await session.scalars(query.order_by(ReviewDeclaration.declared_at))).all())
