"""Invitations (邀约): matching's ``match.recommended`` names the strong candidates of a newly published scenario or
challenge; this service invites each of them to answer (domain.invitations), and the firm reads and answers its
invitations here.

* Recording (:func:`on_match_recommended`, the ``recommendations`` consumer): one invitation per demand and firm,
  with matching's reasons (score, matched terms and tags, each signal's share). The handler runs in the consumer's
  inbox transaction, so a redelivered event applies nothing twice; the unique key (demand, firm) makes a
  recommendation republished under another event id record nothing new either.
* Reading: a firm its own invitations; officers those of the demands of their districts, with the firms' answers;
  admins and services all.
* Answering (:func:`answer_invitation`): accept or decline, once. Accepting a scenario's invitation records the
  firm's interest (意向) through the interests path (service/interests.py), in the same transaction; accepting a
  challenge's points the firm to its application (揭榜申报 needs the application itself, under an Idempotency-Key).

Nothing here is personal data: firms by USCC, matching's reasons, a firm's answer in its own words.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.invitations import (
    DeclineCode,
    DemandKind,
    InvitationCommand,
    InvitationStatus,
    answer,
    ensure_takes_invitations,
    takes_invitations,
)
from services.scenarios.domain.lifecycle import Role as Part
from services.scenarios.models import Challenge, Invitation, Scenario
from services.scenarios.schemas import invitations as schemas
from services.scenarios.service.interests import firm_of, raced_to_the_same_interest, record_interest
from services.scenarios.service.scenarios import publisher_names
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput
from shared.events.envelope import CloudEvent
from shared.events.matching import MatchRecommended
from shared.http import cursor_datetime, cursor_uuid
from shared.ids import InvalidIdentifier, validate_uscc
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, InDistrict, OwnUscc, ScopeRule
from shared.uow import UnitOfWork, Work

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]

# Readers: the invited firm; officers of the demand's district (they work the demand); admins and services.
# Only the invited firm answers.
INVITATION_SCOPE = ScopeRule(
    noun="invitation",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(Invitation.district_code),
             Role.ENTERPRISE: OwnUscc(Invitation.enterprise_uscc)},
    managers={Role.ENTERPRISE: OwnUscc(Invitation.enterprise_uscc)},
)
INVITATIONS = Records(Invitation, INVITATION_SCOPE)

Demand = Scenario | Challenge


async def _demand(session: AsyncSession, kind: DemandKind, demand_id: uuid.UUID) -> Demand | None:
    model: type[Demand] = Scenario if kind is DemandKind.SCENARIO else Challenge
    return await session.get(model, demand_id)


def _deadline(demand: Demand) -> Any:
    return demand.application_deadline if isinstance(demand, Challenge) else demand.deadline


def _publisher(demand: Demand) -> str | None:
    return demand.issuer_uscc if isinstance(demand, Challenge) else demand.publisher_uscc


# --- recording: the consumer of match.recommended ------------------------------------------------------------------

async def on_match_recommended(uow: UnitOfWork, event: CloudEvent) -> None:
    """Invite each recommended firm not invited to this demand yet."""
    p = event.payload(MatchRecommended)
    try:
        kind = DemandKind(p.demand_kind)
    except ValueError:
        log.warning("%s %s: demand kind %r has no invitations here; skipped", event.type, event.id, p.demand_kind)
        return
    session = uow.session
    demand = await _demand(session, kind, p.demand_id)
    if demand is None:
        # Matching recommends only what this service published, so the row is here unless it was removed since.
        log.warning("%s %s: no %s %s here; skipped", event.type, event.id, kind, p.demand_id)
        return
    if not takes_invitations(kind, demand.status, _deadline(demand), programme_today()):
        # Matching recommends at publication; the recommendation may arrive much later (matching lagging behind,
        # or republishing after a rebuild), when the scenario is already in its trial or withdrawn, or the
        # challenge's window has closed. An invitation then would ask firms for an answer they can no longer give
        # (accepting would be refused), so nothing is recorded; the demand never reopens.
        log.info("%s %s: the %s %s is %s; no invitations", event.type, event.id, kind, demand.id, demand.status)
        return
    invited = set((await session.scalars(select(Invitation.enterprise_uscc).where(
        Invitation.demand_id == demand.id))).all())
    publisher = _publisher(demand)
    rows = []
    for firm in p.candidates:
        try:
            uscc = validate_uscc(firm.uscc)
        except InvalidIdentifier:
            # Matching names firms the registry published, so this is a corrupt candidate: it alone is left out
            # (failing the event would hold back the other firms' invitations, and a retry would fail the same).
            log.warning("%s %s: a candidate's USCC is not one; left out", event.type, event.id)
            continue
        # A firm is not invited to answer its own demand (nor twice: the key is the demand and the firm).
        if uscc in invited or uscc == publisher:
            continue
        invited.add(uscc)
        rows.append(Invitation(
            demand_kind=kind.value, demand_id=demand.id, title=demand.title[:200], district_code=demand.district_code,
            enterprise_uscc=uscc, enterprise_id=firm.enterprise_id, score=firm.score,
            matched_terms=list(firm.matched_terms), matched_tags=list(firm.matched_tags),
            contributions=dict(firm.contributions), recommended_at=event.time, source_event_id=event.id,
            status=InvitationStatus.PENDING.value))
    if not rows:
        return
    uow.session.add_all(rows)
    await uow.flush()
    for row in rows:
        uow.audit("invitation.recorded", "invitation", str(row.id),
                  {"demand_kind": row.demand_kind, "demand_id": str(row.demand_id),
                   "enterprise_uscc": row.enterprise_uscc, "score": row.score, "matched_terms": row.matched_terms,
                   "source_event_id": row.source_event_id})


# --- reading -------------------------------------------------------------------------------------------------------

def _href(invitation: Invitation) -> str:
    return f"/v1/{invitation.demand_kind}s/{invitation.demand_id}"


async def _taking_answers(session: AsyncSession, invitations: list[Invitation]) -> set[uuid.UUID]:
    """The demands, among those of these pending invitations, that still take answers (read now: a demand that
    moved on since its invitation was recorded leaves it pending, and no longer answerable)."""
    wanted: dict[DemandKind, set[uuid.UUID]] = {}
    for invitation in invitations:
        if invitation.status == InvitationStatus.PENDING:
            wanted.setdefault(DemandKind(invitation.demand_kind), set()).add(invitation.demand_id)
    today, open_ = programme_today(), set()
    for kind, ids in wanted.items():
        model, deadline = ((Scenario, Scenario.deadline) if kind is DemandKind.SCENARIO
                           else (Challenge, Challenge.application_deadline))
        rows = await session.execute(select(model.id, model.status, deadline).where(model.id.in_(sorted(ids))))
        open_ |= {row[0] for row in rows if takes_invitations(kind, row[1], row[2], today)}
    return open_


def read_model(invitation: Invitation, names: dict[str, str], taking_answers: set[uuid.UUID]) -> schemas.InvitationRead:
    accepted_challenge = (invitation.status == InvitationStatus.ACCEPTED
                          and invitation.demand_kind == DemandKind.CHALLENGE)
    return schemas.InvitationRead(
        id=invitation.id, demand_kind=invitation.demand_kind, demand_id=invitation.demand_id, title=invitation.title,
        district_code=invitation.district_code, demand_href=_href(invitation),
        enterprise_uscc=invitation.enterprise_uscc, enterprise_name=names.get(invitation.enterprise_uscc),
        reasons=schemas.Reasons(score=invitation.score, matched_terms=invitation.matched_terms,
                                matched_tags=invitation.matched_tags, contributions=invitation.contributions),
        recommended_at=invitation.recommended_at, status=invitation.status,
        answerable=invitation.status == InvitationStatus.PENDING and invitation.demand_id in taking_answers,
        decline_code=invitation.decline_code,
        decline_reason=invitation.decline_reason, interest_id=invitation.interest_id,
        apply_href=f"{_href(invitation)}/applications" if accepted_challenge else None,
        answered_by=invitation.answered_by, answered_at=invitation.answered_at, created_at=invitation.created_at,
        version=invitation.version)


async def _read(session: AsyncSession, invitation: Invitation) -> schemas.InvitationRead:
    return read_model(invitation, await publisher_names(session, {invitation.enterprise_uscc}),
                      await _taking_answers(session, [invitation]))


async def get_invitation(sessions: Sessions, actor: Actor, invitation_id: uuid.UUID) -> schemas.InvitationRead:
    async with sessions() as session:
        return await _read(session, await INVITATIONS.get(session, actor, invitation_id))


_ORDER = (Key(Invitation.created_at, cursor_datetime), Key(Invitation.id, cursor_uuid))


def _filtered(query: Select[Any], **equal_to: Any) -> Select[Any]:
    """``query`` narrowed to the invitations whose columns equal the values given (None: not narrowed)."""
    for name, value in equal_to.items():
        if value is not None:
            query = query.where(getattr(Invitation, name) == value)
    return query


async def list_invitations(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None, status: str | None,
                           demand_kind: str | None, demand_id: uuid.UUID | None,
                           ) -> tuple[list[schemas.InvitationRead], str | None]:
    """The invitations the caller may read, newest first: a firm's own; a district's, for its officers."""
    query = _filtered(INVITATIONS.select(actor), status=status, demand_kind=demand_kind, demand_id=demand_id)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
        names = await publisher_names(session, {i.enterprise_uscc for i in page})
        taking_answers = await _taking_answers(session, page)
    return [read_model(i, names, taking_answers) for i in page], next_cursor


async def summarise_invitations(sessions: Sessions, actor: Actor, *, demand_kind: str | None,
                                demand_id: uuid.UUID | None) -> schemas.InvitationSummary:
    """How the invited firms answered, over the invitations the caller may read: counts by status, and the
    declines by reason code (how recommendations miss)."""
    query = _filtered(select(Invitation.status, Invitation.decline_code, func.count())
                      .where(INVITATION_SCOPE.readable(actor)), demand_kind=demand_kind, demand_id=demand_id)
    async with sessions() as session:
        rows = (await session.execute(query.group_by(Invitation.status, Invitation.decline_code))).all()
    by_status = dict.fromkeys(InvitationStatus, 0)
    declined_by_code = dict.fromkeys(DeclineCode, 0)
    for status, code, count in rows:
        by_status[InvitationStatus(status)] += count
        if code is not None:
            declined_by_code[DeclineCode(code)] += count
    return schemas.InvitationSummary(total=sum(by_status.values()), by_status=by_status,
                                     declined_by_code=declined_by_code)


# --- answering -----------------------------------------------------------------------------------------------------

async def _accept(uow: UnitOfWork, actor: Actor, invitation: Invitation, note: str | None) -> dict[str, Any]:
    """What accepting sets besides the status: for a scenario, the interest it records."""
    kind = DemandKind(invitation.demand_kind)
    if kind is DemandKind.CHALLENGE and note is not None:
        raise InvalidInput("a challenge is answered by applying to it (apply_href); the note is for scenarios",
                           field="note")
    demand = await _demand(uow.session, kind, invitation.demand_id)
    if demand is None:
        raise Conflict(f"the {kind} of this invitation is no longer here; the invitation can only be declined",
                       field="demand_id")
    ensure_takes_invitations(kind, demand.status, _deadline(demand), programme_today())
    if not isinstance(demand, Scenario):
        return {}
    interest, _ = await record_interest(uow, actor, demand, invitation.enterprise_uscc, note)
    return {"interest_id": interest.id}


async def _answer_once(work: Work, actor: Actor, invitation_id: uuid.UUID, data: schemas.InvitationAnswer,
                       if_match: str | None) -> schemas.InvitationRead:
    async with work(actor) as uow:
        invitation = await INVITATIONS.get_for_change(uow.session, actor, invitation_id, if_match=if_match,
                                                      optional_if_match=True)
        change = answer(invitation.status, data.command, Part.INVITEE, reason_code=data.reason_code,
                        reason=data.reason)
        if data.note is not None and change.command is not InvitationCommand.ACCEPT:
            raise InvalidInput("the note goes with an acceptance; a decline gives its reason", field="note")
        values: dict[str, Any] = {"status": change.to_state.value, "answered_by": actor.principal.subject,
                                  "answered_at": utcnow()}
        if change.command is InvitationCommand.ACCEPT:
            values.update(await _accept(uow, actor, invitation, data.note))
        else:
            values.update(decline_code=str(change.outcome), decline_reason=change.reason)
        changed = apply_changes(invitation, values)
        await uow.flush()
        uow.audit(f"invitation.{change.command.value}", "invitation", str(invitation.id), changed)
        read = await _read(uow.session, invitation)
    return read


async def answer_invitation(work: Work, actor: Actor, invitation_id: uuid.UUID, data: schemas.InvitationAnswer,
                            if_match: str | None) -> schemas.InvitationRead:
    """The firm's answer, once: under the invitation's row lock, the first answer moves it out of pending and any
    other finds it answered (409). If-Match, when sent, must name the current version (412)."""
    firm_of(actor)
    try:
        return await _answer_once(work, actor, invitation_id, data, if_match)
    except Conflict as conflict:
        if not raced_to_the_same_interest(conflict):
            raise
    # The firm's own expression of interest, sent at the same moment, recorded the interest first (and this
    # transaction was rolled back): answering again finds that interest and links it (record_interest).
    return await _answer_once(work, actor, invitation_id, data, if_match)
