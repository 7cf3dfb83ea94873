"""Licence use cases: the holder's negotiated grants (transfer, exclusive, sole, ordinary), the open licence a firm
obtains by written notice + payment, 先用后转 trials with their conversion or lapse, payments, termination, and the
daily trial job (reminders before the end, lapse after it).

Every grant takes the patent row's lock first (``FOR UPDATE`` on PostgreSQL, the write lock on SQLite) and checks
the licences already on the patent under it (``domain.licences.check_grant``), so that of concurrent overlapping
exclusive grants exactly one passes. Grants, payments and conversions take an ``Idempotency-Key``: a retry gets the
first answer and grants nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.licensing.domain import trials as trial_domain
from services.licensing.domain.licences import IN_FORCE, Grant, LicenceKind, LicenceStatus, check_grant
from services.licensing.domain.open_licences import DeclarationStatus, check_takeable, effective_on
from services.licensing.domain.royalties import Instalment, Paid, reconcile, schedule
from services.licensing.domain.values import Term, Territory, fraction_text
from services.licensing.models import EnterpriseProfile, Licence, OpenLicenceDeclaration, Patent, Payment
from services.licensing.schemas import licences as schemas
from services.licensing.service.patents import (
    PATENTS,
    declaration_in_force,
    delist,
    grants_on,
    locked_patent,
    royalty_of,
    standing_of,
)
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.db import hold_write_lock
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.licensing import LicenceConverted, LicenceGranted, LicenceLapsed, LicenceTerminated, TrialEnding
from shared.http import cursor_datetime, cursor_uuid, etag
from shared.idempotency import Idempotency, IdempotentResponse
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, InDistrict, OwnInstitute, OwnUscc, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]

# Readers: the holder institution, the licensee firm, officers of the licensee's district, admins and services.
# Managers: the holder and admins (grant, terminate); the licensee for what it does itself (pay, convert its trial).
LICENCE_SCOPE = ScopeRule(
    noun="licence",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.INSTITUTE: OwnInstitute(Licence.institute_id),
             Role.ENTERPRISE: OwnUscc(Licence.licensee_uscc), Role.OFFICER: InDistrict(Licence.licensee_district)},
    managers={Role.ADMIN: EVERYWHERE, Role.INSTITUTE: OwnInstitute(Licence.institute_id),
              Role.ENTERPRISE: OwnUscc(Licence.licensee_uscc)},
)
LICENCES = Records(Licence, LICENCE_SCOPE)


def read_model(licence: Licence) -> schemas.LicenceRead:
    return schemas.LicenceRead(**{c.key: getattr(licence, c.key) for c in Licence.__table__.columns
                                  if c.key in schemas.LicenceRead.model_fields})


def payment_read(payment: Payment, licence: Licence) -> schemas.PaymentRead:
    return schemas.PaymentRead(licence_status=licence.status, licence_effective_on=licence.effective_on,
                               **{c.key: getattr(payment, c.key) for c in Payment.__table__.columns
                                  if c.key in schemas.PaymentRead.model_fields})


def licence_state(licence: Licence, patent: Patent) -> dict[str, Any]:
    return {"licence_id": licence.id, "patent_id": patent.id, "patent_number": f"ZL{patent.application_number}",
            "patent_type": patent.patent_type, "patent_title": patent.title, "patent_granted_on": patent.granted_on,
            "holder_institute_id": patent.institute_id, "licensee_uscc": licence.licensee_uscc, "kind": licence.kind,
            "status": licence.status, "territory": list(licence.territory), "term_start": licence.term_start,
            "term_end": licence.term_end, "effective_on": licence.effective_on,
            "conversion_mode": licence.conversion_mode, "version": licence.version}


async def licensee_profile(session: AsyncSession, uscc: str) -> EnterpriseProfile:
    """A licensee is a firm the registry knows (licensing keeps their profiles from registry events)."""
    profile = (await session.scalars(select(EnterpriseProfile).where(EnterpriseProfile.uscc == uscc))).first()
    if profile is None:
        raise InvalidInput(f"no enterprise with USCC {uscc} is registered in the programme", field="licensee_uscc")
    return profile


def _licensee_of(actor: Actor, given: str | None) -> str:
    """An enterprise acts for its own USCC; an admin names the firm."""
    if actor.principal.role == Role.ENTERPRISE:
        if given not in (None, actor.principal.uscc):
            raise PermissionDenied("an enterprise takes licences only for itself", field="licensee_uscc")
        return actor.principal.uscc or ""
    if given is None:
        raise InvalidInput("name the licensee", field="licensee_uscc")
    return given


async def _respond(uow: UnitOfWork, idempotency: Idempotency, licence: Licence) -> IdempotentResponse:
    await uow.flush()
    return await idempotency.respond(uow.session, 201, read_model(licence),
                                     headers={"Location": f"/v1/licences/{licence.id}", "ETag": etag(licence.version)})


# --- negotiated grants ----------------------------------------------------------------------------------------------

async def grant_licence(work: Work, actor: Actor, patent_id: uuid.UUID, data: schemas.GrantCreate,
                        idempotency: Idempotency) -> IdempotentResponse:
    kind = LicenceKind(data.kind)
    territory, term = Territory.of(data.territory), Term(data.term_start, data.term_end)
    async with work(actor) as uow:
        if (earlier := await idempotency.claim(uow.session)) is not None:
            return earlier
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id)
        standing_of(patent).ensure_exploitable()
        profile = await licensee_profile(uow.session, data.licensee_uscc)
        check_grant(Grant(kind, data.licensee_uscc, territory, term), await grants_on(uow.session, patent.id),
                    open_licence_in_force=await declaration_in_force(uow.session, patent.id) is not None)
        licence = Licence(
            patent_id=patent.id, institute_id=patent.institute_id, licensee_uscc=data.licensee_uscc,
            licensee_district=profile.district_code, kind=kind.value, status=LicenceStatus.ACTIVE.value,
            territory=list(territory.regions), term_start=term.start, term_end=term.end, contract_no=data.contract_no,
            fee_fen=data.fee_fen, due_fen=0, paid_fen=0, effective_on=term.start, created_by=actor.principal.subject)
        uow.session.add(licence)
        changed: dict[str, Any] = {}
        if kind is LicenceKind.TRANSFER:
            changed = apply_changes(patent, {"transferred_to_uscc": data.licensee_uscc})
            changed |= delist(uow, patent, f"transferred to {data.licensee_uscc}")
        await uow.flush()
        uow.emit(LicenceGranted(**licence_state(licence, patent)), subject=str(licence.id))
        uow.audit(f"licence.grant.{kind.value}", "licence", str(licence.id),
                  {**data.model_dump(mode="json"), "patent_id": str(patent.id), "patent": changed})
        return await _respond(uow, idempotency, licence)


# --- the open licence: notice + payment -----------------------------------------------------------------------------

async def give_notice(work: Work, actor: Actor, patent_id: uuid.UUID, data: schemas.NoticeCreate,
                      idempotency: Idempotency) -> IdempotentResponse:
    """书面通知 under the open licence: a pending ordinary licence, in effect at once when the up-front amount is paid
    with it (or none is due), otherwise once a payment completes it."""
    licensee = _licensee_of(actor, data.licensee_uscc)
    async with work(actor) as uow:
        if (earlier := await idempotency.claim(uow.session)) is not None:
            return earlier
        patent = await locked_patent(uow.session, actor, patent_id)
        declaration = await declaration_in_force(uow.session, patent.id)
        if declaration is None:
            raise Conflict("this patent has no open licence in force", field="patent")
        term = Term(declaration.term_start, declaration.term_end)
        check_takeable(DeclarationStatus(declaration.status), term, data.notice_on)
        standing_of(patent).ensure_exploitable()
        profile = await licensee_profile(uow.session, licensee)
        existing = await grants_on(uow.session, patent.id)
        if any(g.kind is LicenceKind.OPEN and g.licensee == licensee and g.in_force for g in existing):
            raise Conflict("this firm already holds (or has asked for) the open licence of this patent",
                           field="licensee_uscc")
        own = Grant(LicenceKind.OPEN, licensee, Territory.of(["CN"]), Term(data.notice_on, declaration.term_end))
        check_grant(own, existing, open_licence_in_force=True)
        due = royalty_of(declaration).upfront_fen
        payments = [(data.payment.paid_on, data.payment.amount_fen)] if data.payment else []
        effective = effective_on(data.notice_on, payments, due)
        licence = Licence(
            patent_id=patent.id, institute_id=patent.institute_id, licensee_uscc=licensee,
            licensee_district=profile.district_code, kind=LicenceKind.OPEN.value,
            status=(LicenceStatus.ACTIVE if effective else LicenceStatus.PENDING).value, territory=["CN"],
            term_start=data.notice_on, term_end=declaration.term_end, declaration_id=declaration.id, due_fen=due,
            paid_fen=sum(a for _, a in payments), notice_on=data.notice_on, effective_on=effective,
            created_by=actor.principal.subject)
        uow.session.add(licence)
        await uow.flush()
        if data.payment:
            uow.session.add(Payment(licence_id=licence.id, institute_id=patent.institute_id, licensee_uscc=licensee,
                                    kind="upfront", amount_fen=data.payment.amount_fen, paid_on=data.payment.paid_on,
                                    reference=data.payment.reference, recorded_by=actor.principal.subject))
        if effective:
            uow.emit(LicenceGranted(**licence_state(licence, patent)), subject=str(licence.id))
        uow.audit("licence.open.notice", "licence", str(licence.id),
                  {**data.model_dump(mode="json"), "licensee_uscc": licensee, "patent_id": str(patent.id),
                   "declaration_id": str(declaration.id), "due_fen": due, "status": licence.status})
        return await _respond(uow, idempotency, licence)


async def record_payment(work: Work, actor: Actor, licence_id: uuid.UUID, data: schemas.PaymentCreate,
                         idempotency: Idempotency) -> IdempotentResponse:
    """A payment under a licence; a pending open licence takes effect when this payment completes what is due."""
    async with work(actor) as uow:
        if (earlier := await idempotency.claim(uow.session)) is not None:
            return earlier
        licence = await LICENCES.get_for_change(uow.session, actor, licence_id)
        status = LicenceStatus(licence.status)
        if status not in IN_FORCE:
            raise Conflict(f"the licence is {status.value}: no payment is recorded against it", field="status")
        if status is LicenceStatus.TRIAL:
            raise Conflict("a trial is free; its payment is the conversion (POST …/conversion)", field="status")
        if data.kind == "royalty" and (data.period_start is None or data.period_end is None):
            raise InvalidInput("a royalty payment names its period", field="period_start")
        # The payments before this one (read before it is added: the session would flush it into the answer).
        earlier_payments = (await uow.session.execute(select(Payment.paid_on, Payment.amount_fen).where(
            Payment.licence_id == licence.id))).all()
        payment = Payment(licence_id=licence.id, institute_id=licence.institute_id,
                          licensee_uscc=licence.licensee_uscc, kind=data.kind, amount_fen=data.amount_fen,
                          paid_on=data.paid_on, reference=data.reference, period_start=data.period_start,
                          period_end=data.period_end, basis_fen=data.basis_fen, recorded_by=actor.principal.subject)
        uow.session.add(payment)
        values: dict[str, Any] = {"paid_fen": licence.paid_fen + data.amount_fen}
        if status is LicenceStatus.PENDING:
            effective = effective_on(licence.notice_on, [*((p, a) for p, a in earlier_payments),
                                                         (data.paid_on, data.amount_fen)], licence.due_fen)
            if effective:
                values.update(status=LicenceStatus.ACTIVE.value, effective_on=effective)
        changed = apply_changes(licence, values)
        await uow.flush()
        if changed.get("status"):
            patent = await uow.session.get(Patent, licence.patent_id)
            assert patent is not None
            uow.emit(LicenceGranted(**licence_state(licence, patent)), subject=str(licence.id))
        uow.audit("licence.payment", "licence", str(licence.id),
                  {"payment": str(payment.id), **data.model_dump(mode="json"), **changed})
        return await idempotency.respond(uow.session, 201, payment_read(payment, licence),
                                         headers={"Location": f"/v1/licences/{licence.id}/payments"})


# --- 先用后转 ---------------------------------------------------------------------------------------------------------

async def start_trial(work: Work, actor: Actor, patent_id: uuid.UUID, data: schemas.TrialCreate,
                      idempotency: Idempotency) -> IdempotentResponse:
    territory, trial = Territory.of(data.territory), Term(data.trial_start, data.trial_end)
    terms = trial_domain.TrialTerms(trial_domain.ConversionMode(data.conversion_mode), trial, data.price_fen,
                                    data.price_formula, data.insurance_policy_no)
    terms.check()
    async with work(actor) as uow:
        if (earlier := await idempotency.claim(uow.session)) is not None:
            return earlier
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id)
        standing_of(patent).ensure_exploitable()
        profile = await licensee_profile(uow.session, data.licensee_uscc)
        check_grant(Grant(LicenceKind.TRIAL, data.licensee_uscc, territory, trial),
                    await grants_on(uow.session, patent.id), open_licence_in_force=False)
        licence = Licence(
            patent_id=patent.id, institute_id=patent.institute_id, licensee_uscc=data.licensee_uscc,
            licensee_district=profile.district_code, kind=LicenceKind.TRIAL.value, status=LicenceStatus.TRIAL.value,
            territory=list(territory.regions), term_start=trial.start, term_end=trial.end, contract_no=data.contract_no,
            due_fen=0, paid_fen=0, effective_on=trial.start, conversion_mode=terms.conversion_mode.value,
            price_fen=data.price_fen, price_formula=data.price_formula, insurance_policy_no=data.insurance_policy_no,
            created_by=actor.principal.subject)
        uow.session.add(licence)
        await uow.flush()
        uow.emit(LicenceGranted(**licence_state(licence, patent)), subject=str(licence.id))
        uow.audit("licence.trial.start", "licence", str(licence.id),
                  {**data.model_dump(mode="json"), "patent_id": str(patent.id)})
        return await _respond(uow, idempotency, licence)


async def convert_trial(work: Work, actor: Actor, licence_id: uuid.UUID, data: schemas.ConversionCreate,
                        idempotency: Idempotency) -> IdempotentResponse:
    """有偿转化: on or before the trial's last day, paying the agreed price. A transfer moves the patent to the firm;
    a licence continues as an ordinary licence to the patent's expiry; equity is then contributed
    (POST …/equity-contributions naming this trial)."""
    async with work(actor) as uow:
        if (earlier := await idempotency.claim(uow.session)) is not None:
            return earlier
        # The patent's lock first, as every grant takes it, then the licence's. Only the patent's id is read before
        # the locks: a licence row loaded earlier in the session would be stale once a concurrent conversion commits.
        patent_id = await uow.session.scalar(select(Licence.patent_id).where(Licence.id == licence_id))
        if patent_id is None:
            raise NotFound(f"no licence {licence_id}")
        patent = await uow.session.get(Patent, patent_id, with_for_update=True, populate_existing=True)
        licence = await LICENCES.get_for_change(uow.session, actor, licence_id)
        assert patent is not None
        if licence.kind != LicenceKind.TRIAL.value:
            raise Conflict("only a trial (先用后转) is converted", field="kind")
        today = programme_today()
        assert licence.term_end is not None
        trial_domain.check_convertible(LicenceStatus(licence.status), licence.term_end, today,
                                       price_fen=licence.price_fen, paid_fen=data.amount_fen)
        if data.paid_on > today:
            raise InvalidInput("a conversion is recorded once paid: paid_on is not in the future", field="paid_on")
        mode = trial_domain.ConversionMode(licence.conversion_mode)
        values: dict[str, Any] = {"status": LicenceStatus.CONVERTED.value, "converted_on": today,
                                  "paid_fen": licence.paid_fen + data.amount_fen,
                                  "contract_no": data.contract_no or licence.contract_no}
        patent_changes: dict[str, Any] = {}
        if mode is trial_domain.ConversionMode.TRANSFER:
            if patent.transferred_to_uscc:
                raise Conflict(f"the patent was transferred to {patent.transferred_to_uscc} already", field="patent")
            patent_changes = apply_changes(patent, {"transferred_to_uscc": licence.licensee_uscc})
            patent_changes |= delist(uow, patent, f"transferred to {licence.licensee_uscc} (先用后转)")
        elif mode is trial_domain.ConversionMode.LICENCE:
            # The licence now runs to the patent's expiry, beside the others as an ordinary licence.
            others = [g for g in await grants_on(uow.session, patent.id) if g.id != licence.id]
            check_grant(Grant(LicenceKind.ORDINARY, licence.licensee_uscc, Territory(tuple(licence.territory)),
                              Term(licence.term_start, None)), others, open_licence_in_force=False)
            values["term_end"] = None
        changed = apply_changes(licence, values)
        payment = Payment(licence_id=licence.id, institute_id=licence.institute_id,
                          licensee_uscc=licence.licensee_uscc, kind="conversion", amount_fen=data.amount_fen,
                          paid_on=data.paid_on, reference=data.reference, recorded_by=actor.principal.subject)
        uow.session.add(payment)
        await uow.flush()
        uow.emit(LicenceConverted(**licence_state(licence, patent), converted_on=today, amount_fen=data.amount_fen),
                 subject=str(licence.id))
        uow.audit("licence.trial.convert", "licence", str(licence.id),
                  {**data.model_dump(mode="json"), **changed, "patent": patent_changes})
        return await _respond(uow, idempotency, licence)


# --- ending ---------------------------------------------------------------------------------------------------------

async def terminate_licence(work: Work, actor: Actor, licence_id: uuid.UUID, data: schemas.Termination,
                            if_match: str | None) -> schemas.LicenceRead:
    if actor.principal.role == Role.ENTERPRISE:
        raise PermissionDenied("the holder (or an admin) records a licence's termination", field="licence")
    async with work(actor) as uow:
        licence = await LICENCES.get_for_change(uow.session, actor, licence_id, if_match=if_match)
        status = LicenceStatus(licence.status)
        if status not in IN_FORCE or licence.kind == LicenceKind.TRANSFER.value:
            raise Conflict(f"a {licence.kind} licence in status {status.value} is not terminated", field="status")
        if data.terminated_on < licence.term_start:
            raise InvalidInput("a licence is terminated after it starts", field="terminated_on")
        changed = apply_changes(licence, {"status": LicenceStatus.TERMINATED.value,
                                          "terminated_on": data.terminated_on, "termination_reason": data.reason})
        patent = await uow.session.get(Patent, licence.patent_id)
        assert patent is not None
        await uow.flush()
        uow.emit(LicenceTerminated(**licence_state(licence, patent), terminated_on=data.terminated_on,
                                   reason=data.reason), subject=str(licence.id))
        uow.audit("licence.terminate", "licence", str(licence.id), changed)
        read = read_model(licence)
    return read


async def run_trial_job(work: Work, today: date | None = None,
                        policy: trial_domain.TrialPolicy = trial_domain.DEFAULT_TRIAL_POLICY) -> dict[str, int]:
    """The daily job: a reminder (``licence.trial_ending``) for each trial within ``policy.reminder_days`` of its
    last day, once; a lapse (``licence.lapsed``) for each trial whose last day has passed. Idempotent: a second run
    on the same day finds nothing to do. Each trial in its own transaction, under its row's lock."""
    today = today or programme_today()
    async with work.sessions() as session:
        candidates = (await session.scalars(select(Licence.id).where(
            Licence.kind == LicenceKind.TRIAL.value, Licence.status == LicenceStatus.TRIAL.value))).all()
    counts = {"reminded": 0, "lapsed": 0}
    for licence_id in candidates:
        async with work(None, system_actor="job:licensing-trials") as uow:
            # The patent's lock first, as a conversion takes it, then the trial's: a conversion and a lapse of the
            # same trial run one after the other, and the second sees what the first did.
            patent_id = (await uow.session.execute(select(Licence.patent_id).where(Licence.id == licence_id))).scalar_one()
            await hold_write_lock(uow.session, Licence.__table__)
            patent = await uow.session.get(Patent, patent_id, with_for_update=True)
            licence = await uow.session.get(Licence, licence_id, with_for_update=True, populate_existing=True)
            assert patent is not None and licence is not None and licence.term_end is not None
            status = LicenceStatus(licence.status)
            if trial_domain.lapse_due(status, licence.term_end, today):
                lapsed_on = trial_domain.lapses_on(licence.term_end)
                changed = apply_changes(licence, {"status": LicenceStatus.LAPSED.value, "lapsed_on": lapsed_on})
                await uow.flush()
                uow.emit(LicenceLapsed(**licence_state(licence, patent), lapsed_on=lapsed_on), subject=str(licence.id))
                uow.audit("licence.trial.lapse", "licence", str(licence.id), changed)
                counts["lapsed"] += 1
            elif trial_domain.reminder_due(status, licence.term_end, licence.reminded_on, today, policy):
                changed = apply_changes(licence, {"reminded_on": today})
                await uow.flush()
                uow.emit(TrialEnding(**licence_state(licence, patent), trial_end=licence.term_end,
                                     days_left=(licence.term_end - today).days), subject=str(licence.id))
                uow.audit("licence.trial.remind", "licence", str(licence.id), changed)
                counts["reminded"] += 1
    return counts


# --- reads ----------------------------------------------------------------------------------------------------------

async def get_licence(sessions: Sessions, actor: Actor, licence_id: uuid.UUID) -> schemas.LicenceRead:
    async with sessions() as session:
        return read_model(await LICENCES.get(session, actor, licence_id))


_ORDER = (Key(Licence.created_at, cursor_datetime), Key(Licence.id, cursor_uuid))


async def list_licences(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                        patent_id: uuid.UUID | None, status: str | None, kind: str | None,
                        licensee_uscc: str | None) -> tuple[list[schemas.LicenceRead], str | None]:
    query = LICENCES.select(actor)
    for column, value in ((Licence.patent_id, patent_id), (Licence.status, status), (Licence.kind, kind),
                          (Licence.licensee_uscc, licensee_uscc)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [read_model(licence) for licence in page], next_cursor


async def list_payments(sessions: Sessions, actor: Actor, licence_id: uuid.UUID) -> list[schemas.PaymentRead]:
    async with sessions() as session:
        licence = await LICENCES.get(session, actor, licence_id)
        rows = (await session.scalars(select(Payment).where(Payment.licence_id == licence.id)
                                      .order_by(Payment.paid_on, Payment.created_at))).all()
        return [payment_read(p, licence) for p in rows]


async def royalty_schedule(sessions: Sessions, actor: Actor, licence_id: uuid.UUID, *,
                           period_months: int) -> list[schemas.InstalmentRead]:
    """What falls due under the licence's royalty (an open licence's declaration; a negotiated fee at the start)."""
    async with sessions() as session:
        licence = await LICENCES.get(session, actor, licence_id)
        if licence.declaration_id is not None:
            declaration = await session.get(OpenLicenceDeclaration, licence.declaration_id)
            assert declaration is not None
            horizon = licence.term_end or date(licence.term_start.year + 20, 12, 31)
            items = schedule(royalty_of(declaration), Term(licence.effective_on or licence.term_start,
                                                            licence.term_end), period_months=period_months,
                             horizon=horizon)
        elif licence.fee_fen:
            items = [Instalment(licence.term_start, "lump_sum", amount_fen=licence.fee_fen)]
        elif licence.price_fen:
            items = [Instalment(licence.term_end or licence.term_start, "conversion", amount_fen=licence.price_fen)]
        else:
            raise NotFound(f"licence {licence_id} has no royalty on record")
        paid = [Paid(p.kind, p.paid_on, p.amount_fen, p.period_start, p.period_end) for p in (await session.scalars(
            select(Payment).where(Payment.licence_id == licence.id))).all()]
    return [schemas.InstalmentRead(due_on=i.due_on, kind=i.kind, amount_fen=i.amount_fen,
                                   rate=None if i.rate is None else fraction_text(i.rate), period_start=i.period_start,
                                   period_end=i.period_end, status=st.status, paid_fen=st.paid_fen)
            for st in reconcile(items, paid, programme_today()) for i in (st.instalment,)]

