"""Equity contribution use cases (作价入股): agree a contribution of a patent to a company the registry knows, and
register the IP transfer (``equity.registered``), after which the patent is the company's.

The contribution is checked by the domain (``domain.equity``): a share ratio above 0 and at most 100% (and, with
the contributions already registered to the company, at most 100% together), the inventors' reward share at least
the default 50% unless the agreement is recorded, agreement pricing with its publicity period. Both steps take the
patent's lock, as grants do.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.licensing.domain import equity as domain
from services.licensing.domain.licences import LicenceKind, LicenceStatus
from services.licensing.domain.trials import ConversionMode
from services.licensing.domain.values import fraction_text
from services.licensing.models import EnterpriseProfile, EquityContribution, Licence
from services.licensing.schemas import equity as schemas
from services.licensing.service.patents import PATENTS, delist, standing_of
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events.licensing import EquityRegistered
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, OwnInstitute, OwnUscc, ScopeRule
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]

EQUITY_SCOPE = ScopeRule(
    noun="equity contribution",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: EVERYWHERE,
             Role.INSTITUTE: OwnInstitute(EquityContribution.institute_id),
             Role.ENTERPRISE: OwnUscc(EquityContribution.target_uscc)},
    managers={Role.ADMIN: EVERYWHERE, Role.INSTITUTE: OwnInstitute(EquityContribution.institute_id)},
)
CONTRIBUTIONS = Records(EquityContribution, EQUITY_SCOPE)


def terms_of(row: EquityContribution | schemas.ContributionCreate) -> domain.EquityTerms:
    return domain.EquityTerms(
        valuation_method=domain.ValuationMethod(row.valuation_method), appraisal_report_no=row.appraisal_report_no,
        appraisal_amount_fen=row.appraisal_amount_fen, target_uscc=row.target_uscc,
        share_ratio=Decimal(row.share_ratio), pricing_method=domain.PricingMethod(row.pricing_method),
        inventors_share=Decimal(row.inventors_share), publicity_start=row.publicity_start,
        publicity_end=row.publicity_end, reward_agreement_ref=row.reward_agreement_ref)


def read_model(row: EquityContribution) -> schemas.ContributionRead:
    return schemas.ContributionRead(
        inventors_equity_fen=domain.inventors_equity_fen(terms_of(row)),
        **{c.key: getattr(row, c.key) for c in EquityContribution.__table__.columns
           if c.key in schemas.ContributionRead.model_fields})


async def _registered_shares(session: AsyncSession, target_uscc: str) -> list[Decimal]:
    return [Decimal(r) for r in (await session.scalars(select(EquityContribution.share_ratio).where(
        EquityContribution.target_uscc == target_uscc,
        EquityContribution.status == domain.EquityStatus.REGISTERED.value))).all()]


async def agree_contribution(work: Work, actor: Actor, patent_id: uuid.UUID,
                             data: schemas.ContributionCreate) -> schemas.ContributionRead:
    terms = terms_of(data)
    terms.check()
    async with work(actor) as uow:
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id)
        standing_of(patent).ensure_exploitable()
        company = (await uow.session.scalars(select(EnterpriseProfile).where(
            EnterpriseProfile.uscc == data.target_uscc))).first()
        if company is None:
            raise InvalidInput(f"no enterprise with USCC {data.target_uscc} is registered in the programme",
                               field="target_uscc")
        domain.check_total_shares(await _registered_shares(uow.session, data.target_uscc), terms.share_ratio)
        if data.trial_licence_id is not None:
            trial = await uow.session.get(Licence, data.trial_licence_id)
            if (trial is None or trial.patent_id != patent.id or trial.kind != LicenceKind.TRIAL.value
                    or trial.status != LicenceStatus.CONVERTED.value
                    or trial.conversion_mode != ConversionMode.EQUITY.value
                    or trial.licensee_uscc != data.target_uscc):
                raise InvalidInput("not a trial of this patent converted into equity for this company",
                                   field="trial_licence_id")
        row = EquityContribution(
            patent_id=patent.id, institute_id=patent.institute_id, target_uscc=data.target_uscc,
            valuation_method=terms.valuation_method.value, appraisal_report_no=terms.appraisal_report_no,
            appraisal_amount_fen=terms.appraisal_amount_fen, share_ratio=terms.share_ratio,
            pricing_method=terms.pricing_method.value, publicity_start=terms.publicity_start,
            publicity_end=terms.publicity_end, inventors_share=terms.inventors_share,
            reward_agreement_ref=terms.reward_agreement_ref, trial_licence_id=data.trial_licence_id,
            status=domain.EquityStatus.AGREED.value, created_by=actor.principal.subject)
        uow.session.add(row)
        await uow.flush()
        uow.audit("equity.agree", "equity_contribution", str(row.id),
                  {**data.model_dump(mode="json"), "patent_id": str(patent.id)})
        read = read_model(row)
    return read


async def register_contribution(work: Work, actor: Actor, contribution_id: uuid.UUID,
                                data: schemas.Registration, if_match: str | None) -> schemas.ContributionRead:
    """著录项目变更 registered: the patent is the company's; ``equity.registered`` tells the registry."""
    async with work(actor) as uow:
        # The patent's lock first, as grants take it, then the contribution's; only the patent's id is read before
        # (a contribution row loaded earlier would be stale once a concurrent registration commits).
        patent_id = await uow.session.scalar(select(EquityContribution.patent_id).where(
            EquityContribution.id == contribution_id))
        if patent_id is None:
            raise NotFound(f"no equity contribution {contribution_id}")
        row = await CONTRIBUTIONS.get(uow.session, actor, contribution_id)  # 404 out of scope, before any lock
        uow.session.expunge(row)
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id)
        row = await CONTRIBUTIONS.get_for_change(uow.session, actor, contribution_id, if_match=if_match)
        terms = terms_of(row)
        domain.check_registrable(domain.EquityStatus(row.status), terms, programme_today(), data.registration_no)
        if data.registered_on > programme_today():
            raise InvalidInput("a registration is recorded once made: registered_on is not in the future",
                               field="registered_on")
        if patent.transferred_to_uscc:
            raise Conflict(f"the patent was transferred to {patent.transferred_to_uscc} already", field="patent")
        domain.check_total_shares(await _registered_shares(uow.session, row.target_uscc), terms.share_ratio)
        changed = apply_changes(row, {"status": domain.EquityStatus.REGISTERED.value,
                                      "registration_no": data.registration_no, "registered_on": data.registered_on})
        patent_changes = apply_changes(patent, {"transferred_to_uscc": row.target_uscc})
        patent_changes |= delist(uow, patent, f"contributed as equity to {row.target_uscc}")
        await uow.flush()
        uow.emit(EquityRegistered(
            contribution_id=row.id, patent_id=patent.id, patent_number=f"ZL{patent.application_number}",
            patent_type=patent.patent_type, patent_title=patent.title, patent_granted_on=patent.granted_on,
            holder_institute_id=patent.institute_id, target_uscc=row.target_uscc,
            share_ratio=fraction_text(Decimal(row.share_ratio)), appraisal_amount_fen=row.appraisal_amount_fen,
            registration_no=data.registration_no, registered_on=data.registered_on), subject=str(row.id))
        uow.audit("equity.register", "equity_contribution", str(row.id), {**changed, "patent": patent_changes})
        read = read_model(row)
    return read


async def get_contribution(sessions: Sessions, actor: Actor, contribution_id: uuid.UUID) -> schemas.ContributionRead:
    async with sessions() as session:
        return read_model(await CONTRIBUTIONS.get(session, actor, contribution_id))


_ORDER = (Key(EquityContribution.created_at, cursor_datetime), Key(EquityContribution.id, cursor_uuid))


async def list_contributions(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                             patent_id: uuid.UUID | None) -> tuple[list[schemas.ContributionRead], str | None]:
    query = CONTRIBUTIONS.select(actor)
    if patent_id is not None:
        query = query.where(EquityContribution.patent_id == patent_id)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [read_model(r) for r in page], next_cursor


