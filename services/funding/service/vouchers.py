"""Innovation-voucher use cases (创新券): a voucher round's terms; issuing a voucher to a firm; the provider's
redemption (兑付) for a delivered booking; revocation.

Money moves only through the round's ledger (``service.ledger.append_entries``, under the round's row lock): an
issue reserves the face value (``voucher_issued``), a redemption pays from that reservation (``voucher_redeemed``),
a revocation returns the rest (``released``). A voucher is never spent twice, past its expiry or by another firm:
each redemption holds the booking's row and then the voucher's (``FOR UPDATE``; SQLite: its write lock), decides
with ``domain.vouchers.redeem`` on what it read there, and the database's CHECK ``redeemed + released ≤ face value``
and the unique (voucher, booking) pair stand behind it. Locks are taken in one order — booking, voucher, round —
so that concurrent redemptions, revocations and issues never wait on each other in a circle.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain import eligibility as eligibility_domain
from services.funding.domain import programmes as programmes_domain
from services.funding.domain import vouchers as domain
from services.funding.domain.actors import Actor as Part
from services.funding.domain.money import yuan
from services.funding.domain.programmes import Instrument
from services.funding.models import (
    Booking,
    EnterpriseProfile,
    FundingRound,
    Programme,
    Voucher,
    VoucherRedemption,
    VoucherTerms,
)
from services.funding.schemas import vouchers as schemas
from services.funding.service.bookings import BOOKINGS, acts_as_provider
from services.funding.service.ledger import append_entries, balance_of, lock_round
from services.funding.service.programmes import ROUND_SCOPE, programme_of, round_of
from services.funding.service.refusals import refusals
from shared.auth import Actor, Role
from shared.clock import PROGRAMME_ZONE, programme_today
from shared.db import hold_write_lock
from shared.enterprise_facts import EnterpriseFacts
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.funding import VoucherIssued, VoucherRedeemed
from shared.http import check_if_match, cursor_datetime, cursor_uuid, etag
from shared.idempotency import Idempotency, IdempotentResponse
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes, refuse_version_of_absent
from shared.scope import EVERYWHERE, InDistrict, OwnUscc, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]

# A firm reads its own vouchers, officers those of firms in their districts. Issuing and revoking are the round's
# issuer's (service.programmes.ROUND_SCOPE), checked on the round.
VOUCHER_SCOPE = ScopeRule(
    noun="voucher",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(Voucher.enterprise_district_code),
             Role.ENTERPRISE: OwnUscc(Voucher.enterprise_uscc)},
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Voucher.enterprise_district_code)},
)
VOUCHERS = Records(Voucher, VOUCHER_SCOPE)


def _reference(voucher_id: uuid.UUID | str) -> str:
    """What a voucher's ledger entries are for (service.ledger: ``voucher:<id>``)."""
    return f"voucher:{voucher_id}"


# --- terms --------------------------------------------------------------------------------------------------------

def stored_coverage(rules: list[schemas.CoverageRuleIn]) -> list[dict[str, Any]]:
    return [{**r.model_dump(mode="json"), "share": str(r.share)} for r in rules]


def coverage_of(stored: list[dict[str, Any]]) -> domain.CoverageTable:
    return domain.CoverageTable(tuple(
        domain.CoverageRule(Decimal(r["share"]), frozenset(r.get("resource_kinds") or ()),
                            frozenset(r.get("size_classes") or ()), r.get("full_below_fen"),
                            r.get("max_per_booking_fen"), r.get("source") or "") for r in stored))


def terms_of(row: VoucherTerms) -> domain.VoucherTerms:
    return domain.VoucherTerms(row.face_value_fen, row.per_enterprise_annual_cap_fen, row.validity_days,
                               frozenset(row.allowed_kinds), coverage_of(row.coverage))


def _coverage_read(stored: list[dict[str, Any]]) -> list[schemas.CoverageRuleRead]:
    return [schemas.CoverageRuleRead(share=Decimal(r["share"]), resource_kinds=r.get("resource_kinds") or [],
                                     size_classes=r.get("size_classes") or [], full_below_fen=r.get("full_below_fen"),
                                     max_per_booking_fen=r.get("max_per_booking_fen"), source=r.get("source") or "")
            for r in stored]


def terms_read(row: VoucherTerms) -> schemas.VoucherTermsRead:
    return schemas.VoucherTermsRead(coverage=_coverage_read(row.coverage), **{f: getattr(row, f) for f in (
        "round_id", "programme_id", "face_value_fen", "per_enterprise_annual_cap_fen", "validity_days",
        "allowed_kinds", "updated_by", "updated_at", "version")})


async def _voucher_programme(session: AsyncSession, round_: FundingRound) -> Programme:
    programme = await session.get(Programme, round_.programme_id)
    assert programme is not None  # a foreign key
    if programme.instrument != Instrument.INNOVATION_VOUCHER:
        raise Conflict(f"round {round_.name} belongs to a {programme.instrument} programme, not an innovation voucher "
                       "programme", field="round_id", code="not_a_voucher_round")
    return programme


async def set_terms(work: Work, actor: Actor, round_id: uuid.UUID, data: schemas.VoucherTermsIn,
                    if_match: str | None) -> tuple[schemas.VoucherTermsRead, bool]:
    """Set (or replace, with If-Match) a voucher round's terms; True when they were created."""
    try:
        domain.VoucherTerms(data.face_value_fen, data.per_enterprise_annual_cap_fen, data.validity_days,
                            frozenset(data.allowed_kinds), coverage_of(stored_coverage(data.coverage)))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(str(exc), field="coverage") from None
    if data.face_value_fen > data.per_enterprise_annual_cap_fen:
        raise InvalidInput("a voucher's face value is above the firm's yearly cap", field="face_value_fen")
    values = {"face_value_fen": data.face_value_fen, "per_enterprise_annual_cap_fen": data.per_enterprise_annual_cap_fen,
              "validity_days": data.validity_days, "allowed_kinds": sorted(data.allowed_kinds),
              "coverage": stored_coverage(data.coverage), "updated_by": actor.principal.subject}
    async with work(actor) as uow:
        round_ = await uow.session.get(FundingRound, round_id)
        if round_ is None:
            raise NotFound(f"no round {round_id}")
        ROUND_SCOPE.ensure_manageable(actor, round_)
        await _voucher_programme(uow.session, round_)
        await hold_write_lock(uow.session, VoucherTerms.__table__)
        terms = await uow.session.get(VoucherTerms, round_id, with_for_update=True, populate_existing=True)
        created = terms is None
        if terms is None:
            refuse_version_of_absent(if_match, f"round {round_id} has no voucher terms yet")
            terms = VoucherTerms(round_id=round_id, programme_id=round_.programme_id, **values)
            uow.session.add(terms)
            await uow.flush()
            uow.audit("voucher_terms.create", "round", str(round_id), data.model_dump(mode="json"))
        else:
            check_if_match(if_match, terms.version)
            changed = apply_changes(terms, values)
            if changed:
                await uow.flush()
                uow.audit("voucher_terms.update", "round", str(round_id), changed)
        read = terms_read(terms)
    return read, created


async def get_terms(sessions: Sessions, actor: Actor, round_id: uuid.UUID) -> schemas.VoucherTermsRead:
    async with sessions() as session:
        terms = await session.get(VoucherTerms, round_id)
        if terms is None:
            raise NotFound(f"round {round_id} has no voucher terms")
        return terms_read(terms)


# --- vouchers -----------------------------------------------------------------------------------------------------

def remaining(voucher: Voucher) -> int:
    return voucher.face_value_fen - voucher.redeemed_fen - voucher.released_fen


def redemption_read(row: VoucherRedemption, voucher_remaining: int | None = None) -> schemas.RedemptionRead:
    return schemas.RedemptionRead(voucher_remaining_fen=voucher_remaining, **{f: getattr(row, f) for f in (
        "id", "voucher_id", "booking_id", "resource_id", "resource_kind", "provider_name", "enterprise_uscc",
        "amount_fen", "fee_fen", "service_date", "evidence", "redeemed_by", "created_at")})


def read_model(voucher: Voucher, redemptions: list[VoucherRedemption] | None = None) -> schemas.VoucherRead:
    return schemas.VoucherRead(
        remaining_fen=remaining(voucher), coverage=_coverage_read(voucher.coverage),
        redemptions=None if redemptions is None else [redemption_read(r) for r in redemptions],
        **{f: getattr(voucher, f) for f in (
            "id", "programme_id", "round_id", "enterprise_id", "enterprise_uscc", "face_value_fen", "redeemed_fen",
            "released_fen", "issued_on", "expires_on", "allowed_kinds", "status", "note", "issued_by", "created_at",
            "updated_at", "version")})


def _state(voucher: Voucher) -> dict[str, Any]:
    return {"voucher_id": voucher.id, "programme_id": voucher.programme_id, "round_id": voucher.round_id,
            "enterprise_id": voucher.enterprise_id, "enterprise_uscc": voucher.enterprise_uscc,
            "face_value_fen": voucher.face_value_fen, "redeemed_fen": voucher.redeemed_fen,
            "remaining_fen": remaining(voucher), "issued_on": voucher.issued_on, "expires_on": voucher.expires_on,
            "status": voucher.status}


def domain_voucher(voucher: Voucher, redemptions: list[VoucherRedemption]) -> domain.Voucher:
    return domain.Voucher(
        str(voucher.id), str(voucher.programme_id), str(voucher.round_id), voucher.enterprise_uscc,
        voucher.face_value_fen, voucher.issued_on, voucher.expires_on, frozenset(voucher.allowed_kinds),
        coverage_of(voucher.coverage), voucher.status,
        tuple(domain.Redemption(str(r.booking_id), r.provider_name, r.amount_fen, r.fee_fen, r.service_date)
              for r in redemptions),
        voucher.released_fen)


async def _issued_this_year(session: AsyncSession, uscc: str, on: date) -> int:
    """What the firm was granted in vouchers in ``on``'s year (revoked ones were never its to spend)."""
    total = await session.scalar(select(func.coalesce(func.sum(Voucher.face_value_fen), 0)).where(
        Voucher.enterprise_uscc == uscc, Voucher.status != domain.VoucherStatus.REVOKED.value,
        Voucher.issued_on >= date(on.year, 1, 1), Voucher.issued_on <= date(on.year, 12, 31)))
    return int(total or 0)


async def issue_voucher(work: Work, actor: Actor, data: schemas.VoucherIssue,
                        idempotency: Idempotency) -> IdempotentResponse:
    async with work(actor) as uow:
        session = uow.session
        if (earlier := await idempotency.claim(session)) is not None:
            return earlier
        round_ = await lock_round(session, data.round_id)
        ROUND_SCOPE.ensure_manageable(actor, round_)
        programme = await _voucher_programme(session, round_)
        terms = await session.get(VoucherTerms, round_.id)
        if terms is None:
            raise Conflict(f"round {round_.name} has no voucher terms yet", field="round_id", code="no_terms")
        today = programme_today()
        with refusals():
            programmes_domain.require_open(round_of(round_), today)
        profile = await session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.uscc == data.enterprise_uscc))
        if profile is None:
            raise NotFound(f"funding knows no enterprise with USCC {data.enterprise_uscc}", field="enterprise_uscc")
        with refusals():
            verdict = eligibility_domain.evaluate(programmes_domain.rules_for(programme_of(programme), round_of(round_)),
                                                  EnterpriseFacts.of(profile), on=today)
        if verdict.outcome == eligibility_domain.EligibilityOutcome.NOT_ELIGIBLE:
            raise InvalidInput(verdict.summary(), field="enterprise_uscc", code="not_eligible",
                               failed=[{"rule": r.code, "reason": r.reason} for r in verdict.failed])
        if verdict.outcome == eligibility_domain.EligibilityOutcome.NEEDS_REVIEW:
            # A rule that cannot be decided on what funding knows (a fact missing) is not waved through by hand: the
            # firm's record is completed in the registry first, and the issue asked again.
            raise InvalidInput("the enterprise's eligibility needs review, a voucher is not issued on it: "
                               + verdict.summary(), field="enterprise_uscc", code="needs_review",
                               failed=[{"rule": r.code, "reason": r.reason} for r in verdict.open])
        # The yearly cap spans rounds: two issues to one firm from two rounds are decided one after the other.
        await uow.lock("voucher_yearly_cap", profile.uscc, today.year)
        voucher_id = uuid.uuid4()
        with refusals():
            issued, entry = domain.issue(
                terms_of(terms), id=str(voucher_id), programme_id=str(round_.programme_id), round_id=str(round_.id),
                enterprise_id=profile.uscc, on=today,
                issued_this_year_fen=await _issued_this_year(session, profile.uscc, today),
                round_available_fen=balance_of(round_).available_fen, face_value_fen=data.face_value_fen)
        # What one firm may receive from the round in all (the programme's and round's cap) holds for vouchers too.
        cap = programmes_domain.enterprise_cap(programme_of(programme), round_of(round_))
        from_round = int(await session.scalar(select(func.coalesce(func.sum(Voucher.face_value_fen), 0)).where(
            Voucher.round_id == round_.id, Voucher.enterprise_uscc == profile.uscc,
            Voucher.status != domain.VoucherStatus.REVOKED.value)) or 0)
        if from_round + issued.face_value_fen > cap:
            raise Conflict(f"the firm may receive {yuan(max(cap - from_round, 0))} more from this round (cap {yuan(cap)})",
                           field="face_value_fen", code="above_enterprise_cap", remaining_fen=max(cap - from_round, 0))
        await append_entries(uow, round_.id, [replace(entry, reference=_reference(voucher_id))], round_=round_)
        voucher = Voucher(
            id=voucher_id, programme_id=round_.programme_id, round_id=round_.id, enterprise_id=profile.enterprise_id,
            enterprise_uscc=profile.uscc, enterprise_district_code=profile.district_code,
            enterprise_sector=profile.sector, face_value_fen=issued.face_value_fen, redeemed_fen=0, released_fen=0,
            issued_on=issued.issued_on, expires_on=issued.expires_on, allowed_kinds=sorted(issued.allowed_kinds),
            coverage=terms.coverage, status=issued.status.value, note="", issued_by=actor.principal.subject)
        session.add(voucher)
        await uow.flush()
        uow.emit(VoucherIssued(**_state(voucher), allowed_kinds=voucher.allowed_kinds), subject=str(voucher.id))
        uow.audit("voucher.issue", "voucher", str(voucher.id),
                  {**data.model_dump(mode="json"), "face_value_fen": voucher.face_value_fen,
                   "expires_on": voucher.expires_on.isoformat(), "eligibility": verdict.summary()})
        read = read_model(voucher)
        return await idempotency.respond(session, 201, read, headers={"Location": f"/v1/vouchers/{voucher.id}",
                                                                      "ETag": etag(voucher.version)})


async def get_voucher(sessions: Sessions, actor: Actor, voucher_id: uuid.UUID) -> schemas.VoucherRead:
    async with sessions() as session:
        voucher = await VOUCHERS.get(session, actor, voucher_id)
        redemptions = (await session.scalars(select(VoucherRedemption).where(VoucherRedemption.voucher_id == voucher.id)
                                             .order_by(VoucherRedemption.created_at))).all()
    return read_model(voucher, list(redemptions))


_ORDER = (Key(Voucher.created_at, cursor_datetime), Key(Voucher.id, cursor_uuid))


async def list_vouchers(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None, round_id: uuid.UUID | None,
                        enterprise_uscc: str | None, status: str | None) -> tuple[list[schemas.VoucherRead], str | None]:
    query = VOUCHERS.select(actor)
    for column, value in ((Voucher.round_id, round_id), (Voucher.enterprise_uscc, enterprise_uscc),
                          (Voucher.status, status)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [read_model(v) for v in page], next_cursor


async def _lock_voucher(session: AsyncSession, voucher_id: uuid.UUID, field: str | None = None) -> Voucher:
    await hold_write_lock(session, Voucher.__table__)
    voucher = await session.get(Voucher, voucher_id, with_for_update=True, populate_existing=True)
    if voucher is None:
        raise NotFound(f"no voucher {voucher_id}", field=field)
    return voucher


async def _redemptions_of(session: AsyncSession, voucher_id: uuid.UUID) -> list[VoucherRedemption]:
    return list((await session.scalars(select(VoucherRedemption).where(VoucherRedemption.voucher_id == voucher_id)
                                       .order_by(VoucherRedemption.created_at))).all())


async def redeem(work: Work, actor: Actor, booking_id: uuid.UUID, data: schemas.RedemptionCreate,
                 idempotency: Idempotency) -> IdempotentResponse:
    """The provider of a delivered booking is paid from a voucher the firm named for it (兑付)."""
    async with work(actor) as uow:
        session = uow.session
        if (earlier := await idempotency.claim(session)) is not None:
            return earlier
        booking: Booking = await BOOKINGS.get_for_change(session, actor, booking_id)
        if not acts_as_provider(actor, booking):
            raise PermissionDenied("the booking's provider redeems its vouchers (an officer only for a resource "
                                   "listed without a provider account)", field="booking_id")
        if booking.status != "delivered":
            raise Conflict(f"the booking is {booking.status}: a voucher pays for a delivered service", field="status",
                           code="not_delivered")
        if str(data.voucher_id) not in booking.voucher_ids:
            raise Conflict(f"the firm did not name voucher {data.voucher_id} to pay for this booking (it named: "
                           f"{', '.join(booking.voucher_ids) or 'none'})", field="voucher_id", code="voucher_not_named")
        voucher = await _lock_voucher(session, data.voucher_id, "voucher_id")
        redemptions = await _redemptions_of(session, voucher.id)
        paid_by_others = await session.scalar(select(func.coalesce(func.sum(VoucherRedemption.amount_fen), 0)).where(
            VoucherRedemption.booking_id == booking.id, VoucherRedemption.voucher_id != voucher.id))
        size_class = await session.scalar(select(EnterpriseProfile.size_class)
                                          .where(EnterpriseProfile.uscc == booking.enterprise_uscc))
        service_date = booking.starts_at.astimezone(PROGRAMME_ZONE).date()
        request = domain.RedemptionRequest(
            booking_id=str(booking.id), enterprise_id=booking.enterprise_uscc, provider_id=booking.provider_name,
            resource_kind=booking.resource_kind, fee_fen=booking.fee_fen, service_date=service_date,
            size_class=size_class, paid_by_other_vouchers_fen=int(paid_by_others or 0), amount_fen=data.amount_fen)
        with refusals():
            moved, entries = domain.transition(domain_voucher(voucher, redemptions),
                                               domain.VoucherCommand(domain.VoucherAction.REDEEM, Part.PROVIDER,
                                                                     programme_today(), request))
        amount = moved.redemptions[-1].amount_fen
        await append_entries(uow, voucher.round_id, [replace(e, reference=_reference(voucher.id)) for e in entries])
        apply_changes(voucher, {"redeemed_fen": voucher.redeemed_fen + amount})
        redemption = VoucherRedemption(
            voucher_id=voucher.id, booking_id=booking.id, programme_id=voucher.programme_id, round_id=voucher.round_id,
            enterprise_uscc=booking.enterprise_uscc, enterprise_district_code=booking.enterprise_district_code,
            enterprise_sector=booking.enterprise_sector, resource_id=booking.resource_id,
            resource_kind=booking.resource_kind, provider_name=booking.provider_name,
            owner_institute_id=booking.owner_institute_id, owner_platform_id=booking.owner_platform_id,
            district_code=booking.district_code, amount_fen=amount, fee_fen=booking.fee_fen, service_date=service_date,
            evidence=data.evidence, redeemed_by=actor.principal.subject)
        session.add(redemption)
        await uow.flush()
        uow.emit(VoucherRedeemed(**_state(voucher), redemption_id=redemption.id, booking_id=booking.id,
                                 resource_id=booking.resource_id, resource_kind=booking.resource_kind,
                                 provider_name=booking.provider_name, amount_fen=amount, fee_fen=booking.fee_fen,
                                 service_date=service_date), subject=str(voucher.id))
        uow.audit("voucher.redeem", "voucher", str(voucher.id),
                  {"booking_id": str(booking.id), "amount_fen": amount, "fee_fen": booking.fee_fen,
                   "redeemed_fen": {"from": voucher.redeemed_fen - amount, "to": voucher.redeemed_fen}})
        read = redemption_read(redemption, remaining(voucher))
        return await idempotency.respond(session, 201, read)


async def _release(uow: UnitOfWork, voucher: Voucher, command: domain.VoucherCommand) -> dict[str, Any]:
    """Expire or revoke: the unspent value goes back to the round (a ``released`` entry)."""
    with refusals():
        moved, entries = domain.transition(domain_voucher(voucher, await _redemptions_of(uow.session, voucher.id)),
                                           command)
    await append_entries(uow, voucher.round_id, [replace(e, reference=_reference(voucher.id)) for e in entries])
    return apply_changes(voucher, {"status": moved.status.value, "released_fen": moved.released_fen,
                                   "note": moved.note})


async def revoke_voucher(work: Work, actor: Actor, voucher_id: uuid.UUID, data: schemas.VoucherRevocation,
                         if_match: str | None) -> schemas.VoucherRead:
    """An officer of the round's issuer withdraws a voucher (作废); its unspent value returns to the round."""
    async with work(actor) as uow:
        voucher = await _lock_voucher(uow.session, voucher_id)
        VOUCHER_SCOPE.ensure_readable(actor, voucher, voucher_id)
        round_ = await uow.session.get(FundingRound, voucher.round_id)
        ROUND_SCOPE.ensure_manageable(actor, round_)
        if if_match is not None:
            check_if_match(if_match, voucher.version)
        changed = await _release(uow, voucher, domain.VoucherCommand(
            domain.VoucherAction.REVOKE, Part.OFFICER, programme_today(), note=data.note))
        await uow.flush()
        uow.audit("voucher.revoke", "voucher", str(voucher.id), changed)
        read = read_model(voucher)
    return read


async def expire_vouchers(work: Work, actor: Actor | None, today: date | None = None, *,
                          system_actor: str = "job:funding-voucher-expiry") -> int:
    """Every active voucher whose last day is before ``today`` (default: today, Asia/Shanghai) expires; its unspent
    value returns to its round. Run daily by the CronJob (``seedbed funding expire-vouchers``, no actor) or through
    the API by an admin or a service; returns how many expired. Each voucher in a unit of work of its own, under its
    row lock and re-checked there: a voucher being redeemed holds back only its own expiry, and a second or
    concurrent run expires nothing twice."""
    today = today or programme_today()
    async with work.sessions() as session:
        ids = (await session.scalars(select(Voucher.id).where(
            Voucher.status == domain.VoucherStatus.ACTIVE.value, Voucher.expires_on < today)
            .order_by(Voucher.id))).all()
    expired = 0
    for voucher_id in ids:
        async with work(actor, system_actor=system_actor) as uow:
            voucher = await _lock_voucher(uow.session, voucher_id)
            if voucher.status != domain.VoucherStatus.ACTIVE.value:
                continue
            changed = await _release(uow, voucher, domain.VoucherCommand(
                domain.VoucherAction.EXPIRE, Part.SYSTEM, today))
            await uow.flush()
            uow.audit("voucher.expire", "voucher", str(voucher.id), changed)
            expired += 1
    return expired
