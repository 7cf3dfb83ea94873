"""Use cases for what an enterprise reports and holds: annual figures (年报), IP holdings, honours and
compliance declarations.

Every change, in its one transaction: the row, the audit entry, the enterprise's size class (from the latest
year's figures), the re-run of the evaluations whose inputs changed (``reevaluate_enterprise``) and, for figures,
an enterprise.figures_reported event. Bad input writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain.size_class import InvalidIndustryCode, SizeClassUndetermined, classify_size
from services.registry.models import Enterprise
from services.registry.models.figures import (
    DECLARED,
    VERIFIED,
    AnnualFigures,
    EnterpriseDeclarations,
    Honour,
    IpHolding,
)
from services.registry.schemas import figures as schemas
from services.registry.service.access import ENTERPRISES, FIGURES, VERIFIABLE, verifies
from services.registry.service.evaluations import (
    get_of_enterprise,
    list_of_enterprise,
    owned_by,
    reevaluate_enterprise,
)
from shared.auth import Actor
from shared.clock import programme_today
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events.registry import EnterpriseFiguresReported
from shared.http import check_if_match, cursor_int
from shared.pagination import Key, paginate
from shared.repository import apply_changes, refuse_version_of_absent
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]

RD_ABOVE_REVENUE = "rd_expense_above_revenue"


def _row_values(body: BaseModel) -> dict[str, Any]:
    """The body's fields as column values: enum members become their plain string values."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in body.model_dump().items()}


async def _record_change(uow: UnitOfWork, enterprise_id: uuid.UUID, *, action: str, entity_type: str,
                         changes: dict[str, Any]) -> None:
    """The audit entry of a change to what the enterprise reports, and the re-run of the evaluations it may move."""
    uow.audit(action, entity_type, str(enterprise_id), changes)
    await reevaluate_enterprise(uow, enterprise_id)


# --------------------------------------------------------------------------------------------------------------
# Size class (统计上大中小微型企业划分办法 2017)
# --------------------------------------------------------------------------------------------------------------


def size_class_of(industry_code: str | None, employees: int | None, operating_revenue_fen: int | None,
                  total_assets_fen: int | None) -> str | None:
    """The 2017 size class (REFERENCE §11), or None when the industry or the figures cannot decide it."""
    if not industry_code:
        return None
    try:
        return classify_size(industry_code, employees, operating_revenue_fen, total_assets_fen).value
    except (InvalidIndustryCode, SizeClassUndetermined):
        return None


async def refresh_size_class(session: AsyncSession, enterprise: Enterprise) -> str | None:
    """Recompute the enterprise's size class from its latest year's figures and its industry code; None when
    either is missing or the figures the industry's thresholds need are not reported. Call it after a change of
    figures or of the industry code."""
    latest = await session.scalar(
        select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise.id)
        .order_by(AnnualFigures.year.desc()).limit(1)
    )
    size = None if latest is None else size_class_of(
        enterprise.industry_code, latest.employees, latest.operating_revenue_fen, latest.total_assets_fen)
    # Derived state, not an edit of the profile: the enterprise's version (its ETag) is left alone so that an
    # officer editing the profile is not refused because figures arrived meanwhile.
    enterprise.size_class = size
    return size


# --------------------------------------------------------------------------------------------------------------
# Annual figures
# --------------------------------------------------------------------------------------------------------------



def figure_flags(values: dict[str, Any]) -> list[str]:
    """Warnings the figures are accepted with (the issue: R&D expense above revenue is accepted but flagged)."""
    flags = []
    rd, revenue = values.get("rd_expense_fen"), values.get("operating_revenue_fen")
    if rd is not None and revenue is not None and rd > revenue:
        flags.append(RD_ABOVE_REVENUE)
    return flags


async def put_figures(
    work: Work, actor: Actor, enterprise_id: uuid.UUID, year: int, body: schemas.AnnualFiguresWrite,
    if_match: str | None,
) -> tuple[AnnualFigures, bool]:
    """Create or correct one year's figures; returns the row and whether it was created. Correcting needs the
    ETag read (If-Match: 428 without, 412 when stale)."""
    today = programme_today()
    if year > today.year:
        raise InvalidInput(f"year {year} is in the future", field="year")
    values = body.model_dump()
    async with work(actor) as uow:
        session = uow.session
        # Locked (on PostgreSQL) for the rest of the transaction, here and in every change below of what the firm
        # reports: two concurrent changes must not each re-run its evaluations on half the facts.
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id)
        if enterprise.established_on is not None and year < enterprise.established_on.year:
            raise InvalidInput(f"year {year} is before the enterprise was established ({enterprise.established_on})",
                               field="year")
        row = await session.scalar(
            select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise.id, AnnualFigures.year == year)
            .with_for_update()
        )
        created = row is None
        flags = figure_flags(values)
        if row is None:
            refuse_version_of_absent(if_match, f"no figures for {year} yet")
            row = AnnualFigures(enterprise_id=enterprise.id, year=year, flags=flags, source="api", **values)
            session.add(row)
            changes: dict[str, Any] = {"year": year, **body.model_dump(mode="json"), "flags": flags}
        else:
            check_if_match(if_match, row.version)
            changed = apply_changes(row, values)
            if not changed:
                return row, False  # the same figures again: no new version, no event
            row.flags = flags
            changes = {"year": year, **changed}
        await uow.flush()
        size_class = await refresh_size_class(session, enterprise)
        uow.emit(EnterpriseFiguresReported(
            enterprise_id=enterprise.id, year=year, employees=row.employees, rd_staff=row.rd_staff,
            operating_revenue_fen=row.operating_revenue_fen, rd_expense_fen=row.rd_expense_fen,
            net_profit_fen=row.net_profit_fen, size_class=size_class, tech_staff=row.tech_staff,
            main_business_revenue_fen=row.main_business_revenue_fen, total_assets_fen=row.total_assets_fen,
            equity_financing_fen=row.equity_financing_fen, flags=list(row.flags), corrected=not created,
        ), subject=str(enterprise.id))
        await _record_change(uow, enterprise.id, action="figures.report" if created else "figures.correct",
                             entity_type="annual_figures", changes=changes)
    return row, created


async def get_figures(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, year: int) -> AnnualFigures:
    async with sessions() as session:
        await FIGURES.get(session, actor, enterprise_id)
        row = await session.scalar(
            select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise_id, AnnualFigures.year == year)
        )
    if row is None:
        raise NotFound(f"no figures for {year}")
    return row


async def list_figures(
    sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[AnnualFigures], str | None]:
    """The years reported, latest first (a year is unique within the enterprise: the one key of the order)."""
    query = select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise_id)
    async with sessions() as session:
        await FIGURES.get(session, actor, enterprise_id)
        return await paginate(session, query, keys=(Key(AnnualFigures.year, cursor_int),), limit=limit, cursor=cursor,
                              descending=True)


# --------------------------------------------------------------------------------------------------------------
# IP holdings and honours: an enterprise holds many of each, corrected and removed one by one
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holdings:
    """What tells IP holdings and honours apart in the use cases they share (correct, remove, list, read one)."""

    model: Any
    noun: str  # in NotFound messages
    entity: str  # the audit entity type, the prefix of its actions and of the row's id in their changes
    removal_columns: tuple[str, ...]  # what the audit entry of a removal keeps of the row
    # Refuses a body that would clash with another row of the enterprise (Conflict); ``except_id`` is the row
    # being corrected.
    ensure_no_clash: Callable[[AsyncSession, uuid.UUID, Any, uuid.UUID | None], Awaitable[None]]
    derived: Callable[[Any], dict[str, Any]]  # columns computed from the body rather than given in it
    # Whether a row must be vouched for before it counts (honours: what a firm declares about itself waits for an
    # officer; see _vouch).
    vouched: bool = False


async def replace_holding(
    holdings: Holdings, work: Work, actor: Actor, enterprise_id: uuid.UUID, row_id: uuid.UUID, body: BaseModel,
    if_match: str | None,
) -> Any:
    """Correct one IP holding or honour (If-Match required); the same values again change nothing."""
    async with work(actor) as uow:
        session = uow.session
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id)
        row = await owned_by(session, holdings.model, enterprise.id, row_id, holdings.noun)
        check_if_match(if_match, row.version)
        await holdings.ensure_no_clash(session, enterprise.id, body, row.id)
        # Compared as column values (dates as dates), so that the audit names only what really changed.
        changed = apply_changes(row, _row_values(body))
        if not changed:
            return row
        for key, value in holdings.derived(body).items():
            setattr(row, key, value)
        if holdings.vouched:
            # Changed content is a new claim: it stays verified only when whoever changed it verifies.
            changed.update(_vouch(row, actor))
        await uow.flush()
        await _record_change(uow, enterprise.id, action=f"{holdings.entity}.update", entity_type=holdings.entity,
                             changes={f"{holdings.entity}_id": str(row.id), **changed})
    return row


async def remove_holding(
    holdings: Holdings, work: Work, actor: Actor, enterprise_id: uuid.UUID, row_id: uuid.UUID, if_match: str | None,
) -> None:
    """Remove one IP holding or honour (lapsed, recorded in error); If-Match optional."""
    async with work(actor) as uow:
        session = uow.session
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id)
        row = await owned_by(session, holdings.model, enterprise.id, row_id, holdings.noun)
        if if_match is not None:
            check_if_match(if_match, row.version)
        await session.delete(row)
        await uow.flush()
        changes = {f"{holdings.entity}_id": str(row.id), **{name: getattr(row, name) for name in holdings.removal_columns}}
        await _record_change(uow, enterprise.id, action=f"{holdings.entity}.remove", entity_type=holdings.entity,
                             changes=changes)


async def list_holdings(
    holdings: Holdings, sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None,
    **equal_to: Any,
) -> tuple[list[Any], str | None]:
    """Newest first, narrowed to the columns ``equal_to`` names (a None value does not narrow)."""
    return await list_of_enterprise(sessions, actor, holdings.model, enterprise_id, limit=limit, cursor=cursor,
                                    **equal_to)


async def get_holding(holdings: Holdings, sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID,
                      row_id: uuid.UUID) -> Any:
    return await get_of_enterprise(sessions, actor, holdings.model, enterprise_id, row_id, holdings.noun)


# --- IP holdings ---------------------------------------------------------------------------------------------------


async def _ensure_unique_reference(session: AsyncSession, enterprise_id: uuid.UUID, body: schemas.IpHoldingWrite,
                                   except_id: uuid.UUID | None = None) -> None:
    existing = await session.scalar(
        select(IpHolding.id).where(IpHolding.enterprise_id == enterprise_id, IpHolding.reference == body.reference)
    )
    if existing is not None and existing != except_id:
        raise Conflict(f"{body.reference} is already recorded for this enterprise", field="reference",
                       existing=f"/v1/enterprises/{enterprise_id}/ip-holdings/{existing}")


IP_HOLDINGS = Holdings(model=IpHolding, noun="IP holding", entity="ip_holding", removal_columns=("reference", "kind"),
                       ensure_no_clash=_ensure_unique_reference, derived=lambda body: {})


async def add_ip_holding(work: Work, actor: Actor, enterprise_id: uuid.UUID, body: schemas.IpHoldingWrite) -> IpHolding:
    async with work(actor) as uow:
        session = uow.session
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id)
        await _ensure_unique_reference(session, enterprise.id, body)
        row = IpHolding(enterprise_id=enterprise.id, **_row_values(body))
        session.add(row)
        await uow.flush()
        await _record_change(uow, enterprise.id, action="ip_holding.add", entity_type="ip_holding",
                             changes={"ip_holding_id": str(row.id), **body.model_dump(mode="json")})
    return row


# --- honours and qualifications ------------------------------------------------------------------------------------


def _honour_warnings(body: schemas.HonourWrite) -> list[str]:
    if body.kind == "certification" and body.certification_kind == "hnte":
        return schemas.hnte_number_warnings(body.number)
    return []


async def _ensure_one_score_per_year(session: AsyncSession, enterprise_id: uuid.UUID, body: schemas.HonourWrite,
                                     except_id: uuid.UUID | None = None) -> None:
    # The engine reads one 专精特新发展评价得分 per year; a second one would make "the score of 2025" ambiguous.
    if body.kind != "development_score":
        return
    existing = await session.scalar(
        select(Honour.id).where(Honour.enterprise_id == enterprise_id, Honour.kind == "development_score",
                                Honour.year == body.year)
    )
    if existing is not None and existing != except_id:
        raise Conflict(f"a development score for {body.year} is already recorded; correct that one instead",
                       field="year", existing=f"/v1/enterprises/{enterprise_id}/honours/{existing}")


HONOURS = Holdings(model=Honour, noun="honour", entity="honour",
                   removal_columns=("kind", "name", "number"), ensure_no_clash=_ensure_one_score_per_year,
                   derived=lambda body: {"warnings": _honour_warnings(body)}, vouched=True)


def _vouch(row: Honour, actor: Actor) -> dict[str, Any]:
    """Record who vouches for the honour as it now stands: an officer's or admin's entry is verified at once (by
    them, now); a firm's own entry is declared and waits for an officer. The verification columns that changed,
    in the audit entry's shape."""
    if verifies(actor):
        values = {"verification": VERIFIED, "verified_by": actor.principal.subject, "verified_at": utcnow()}
    else:
        values = {"verification": DECLARED, "verified_by": None, "verified_at": None}
    values["verification_note"] = None
    before = row.verification
    for name, value in values.items():
        setattr(row, name, value)
    return {} if before == row.verification else {"verification": {"from": before, "to": row.verification}}


async def add_honour(work: Work, actor: Actor, enterprise_id: uuid.UUID, body: schemas.HonourWrite) -> Honour:
    async with work(actor) as uow:
        session = uow.session
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id)
        await _ensure_one_score_per_year(session, enterprise.id, body)
        row = Honour(enterprise_id=enterprise.id, warnings=_honour_warnings(body), **_row_values(body))
        _vouch(row, actor)
        session.add(row)
        await uow.flush()
        await _record_change(uow, enterprise.id, action="honour.add", entity_type="honour",
                             changes={"honour_id": str(row.id), **body.model_dump(mode="json", exclude_none=True),
                                      "verification": row.verification})
    return row


async def verify_honour(work: Work, actor: Actor, enterprise_id: uuid.UUID, honour_id: uuid.UUID,
                        body: schemas.HonourVerificationCreate, if_match: str | None) -> Honour:
    """An officer of the firm's district (or an admin) verifies or rejects the honour as it stands: If-Match names
    the version the officer examined (428 without, 412 when the firm changed it since). The same decision twice is
    409. Evaluations whose inputs change by it are re-run in the same transaction."""
    async with work(actor) as uow:
        session = uow.session
        enterprise = await VERIFIABLE.get_for_change(session, actor, enterprise_id)
        row = await owned_by(session, Honour, enterprise.id, honour_id, "honour")
        check_if_match(if_match, row.version)
        if row.verification == body.decision:
            raise Conflict(f"the honour is already {body.decision}", field="decision",
                           verified_by=row.verified_by)
        before = row.verification
        row.verification, row.verified_by, row.verified_at, row.verification_note = (
            body.decision, actor.principal.subject, utcnow(), body.note)
        row.version += 1
        await uow.flush()
        action = "honour.verify" if body.decision == VERIFIED else "honour.reject"
        await _record_change(uow, enterprise.id, action=action, entity_type="honour",
                             changes={"honour_id": str(row.id), "verification": {"from": before, "to": body.decision},
                                      "note": body.note})
    return row


# --------------------------------------------------------------------------------------------------------------
# Compliance declarations
# --------------------------------------------------------------------------------------------------------------

async def put_declarations(
    work: Work, actor: Actor, enterprise_id: uuid.UUID, body: schemas.DeclarationsWrite, if_match: str | None,
) -> tuple[EnterpriseDeclarations, bool]:
    values = body.model_dump(mode="json")
    # Dates stay dates in their own column; the incidents list is JSON with ISO dates.
    values["niche_market_since"] = body.niche_market_since
    async with work(actor) as uow:
        session = uow.session
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id)
        row = await session.get(EnterpriseDeclarations, enterprise.id, with_for_update=True)
        created = row is None
        if row is None:
            refuse_version_of_absent(if_match, "no declarations yet")
            row = EnterpriseDeclarations(enterprise_id=enterprise.id, **values)
            session.add(row)
            changes = body.model_dump(mode="json")
        else:
            check_if_match(if_match, row.version)
            changes = apply_changes(row, values)
            if not changes:
                return row, False
        await uow.flush()
        await _record_change(uow, enterprise.id, action="declarations.put", entity_type="declarations",
                             changes=changes)
    return row, created


async def get_declarations(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID) -> EnterpriseDeclarations:
    async with sessions() as session:
        await FIGURES.get(session, actor, enterprise_id)
        row = await session.get(EnterpriseDeclarations, enterprise_id)
    if row is None:
        raise NotFound("no declarations made yet")
    return row
