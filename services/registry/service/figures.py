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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain.size_class import InvalidIndustryCode, SizeClassUndetermined, classify_size
from services.registry.models import Enterprise, bus
from services.registry.models.figures import AnnualFigures, EnterpriseDeclarations, Honour, IpHolding
from services.registry.schemas import figures as schemas
from services.registry.service.access import load_enterprise
from services.registry.service.clock import programme_today
from services.registry.service.evaluations import (
    get_of_enterprise,
    list_of_enterprise,
    load_enterprise_for_change,
    owned_by,
    reevaluate_enterprise,
)
from shared.auth import Actor
from shared.bus.outbox import audit, emit
from shared.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from shared.events.registry import EnterpriseFiguresReported
from shared.http import check_if_match, cursor_int, decode_cursor, encode_cursor
from shared.settings import ServiceSettings

Sessions = async_sessionmaker[AsyncSession]

RD_ABOVE_REVENUE = "rd_expense_above_revenue"


def _row_values(body: BaseModel) -> dict[str, Any]:
    """The body's fields as column values: enum members become their plain string values."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in body.model_dump().items()}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _apply_changes(row: Any, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Set the columns whose value differs from ``before`` and count a new version (the ETag); the columns
    changed, none (and no new version) when the same values come again."""
    changed = {k: v for k, v in after.items() if before[k] != v}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        row.version += 1
    return changed


def _refuse_version_of_absent(if_match: str | None, absent: str) -> None:
    """A first write may come without If-Match, or with ``*``; one naming a version of what does not exist yet
    is stale (412)."""
    if if_match is not None and if_match.strip() != "*":
        raise PreconditionFailed(f"{absent}; If-Match names a version that does not exist")


async def _record_change(session: AsyncSession, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, *,
                         action: str, entity_type: str, changes: dict[str, Any]) -> None:
    """The audit entry of a change to what the enterprise reports, and the re-run of the evaluations it may move."""
    await audit(session, bus, actor, action=action, entity_type=entity_type, entity_id=str(enterprise_id),
                changes=changes)
    await reevaluate_enterprise(session, settings, enterprise_id, actor=actor)


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
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, year: int,
    body: schemas.AnnualFiguresWrite, if_match: str | None,
) -> tuple[AnnualFigures, bool]:
    """Create or correct one year's figures; returns the row and whether it was created. Correcting needs the
    ETag read (If-Match: 428 without, 412 when stale)."""
    today = programme_today()
    if year > today.year:
        raise InvalidInput(f"year {year} is in the future", field="year")
    values = body.model_dump()
    async with sessions.begin() as session:
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
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
            _refuse_version_of_absent(if_match, f"no figures for {year} yet")
            row = AnnualFigures(enterprise_id=enterprise.id, year=year, flags=flags, source="api", **values)
            session.add(row)
            changes: dict[str, Any] = {"year": year, **body.model_dump(mode="json"), "flags": flags}
        else:
            check_if_match(if_match, row.version)
            before = _columns(row, schemas.FIGURE_FIELDS)
            changed = _apply_changes(row, before, values)
            if not changed:
                return row, False  # the same figures again: no new version, no event
            row.flags = flags
            changes = {"year": year, **_diff(before, changed)}
        try:
            await session.flush()
        except IntegrityError:
            # Another request created the same year between our read and our insert.
            raise Conflict(f"figures for {year} were just reported by someone else; read them and retry",
                           field="year") from None
        size_class = await refresh_size_class(session, enterprise)
        await emit(session, bus, settings, EnterpriseFiguresReported(
            enterprise_id=enterprise.id, year=year, employees=row.employees, rd_staff=row.rd_staff,
            operating_revenue_fen=row.operating_revenue_fen, rd_expense_fen=row.rd_expense_fen,
            net_profit_fen=row.net_profit_fen, size_class=size_class, tech_staff=row.tech_staff,
            main_business_revenue_fen=row.main_business_revenue_fen, total_assets_fen=row.total_assets_fen,
            equity_financing_fen=row.equity_financing_fen, flags=list(row.flags), corrected=not created,
        ), subject=str(enterprise.id), actor=actor)
        await _record_change(session, settings, actor, enterprise.id,
                             action="figures.report" if created else "figures.correct", entity_type="annual_figures",
                             changes=changes)
    return row, created


async def get_figures(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, year: int) -> AnnualFigures:
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        row = await session.scalar(
            select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise_id, AnnualFigures.year == year)
        )
    if row is None:
        raise NotFound(f"no figures for {year}")
    return row


async def list_figures(
    sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[AnnualFigures], str | None]:
    """The years reported, latest first."""
    query = select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise_id)
    if cursor:
        (year,) = decode_cursor(cursor, cursor_int)
        query = query.where(AnnualFigures.year < year)
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        rows = list((await session.scalars(query.order_by(AnnualFigures.year.desc()).limit(limit + 1))).all())
    if len(rows) > limit:
        return rows[:limit], encode_cursor([rows[limit - 1].year])
    return rows, None


# --------------------------------------------------------------------------------------------------------------
# IP holdings and honours: an enterprise holds many of each, corrected and removed one by one
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holdings:
    """What tells IP holdings and honours apart in the use cases they share (correct, remove, list, read one)."""

    model: Any
    noun: str  # in NotFound messages
    entity: str  # the audit entity type, the prefix of its actions and of the row's id in their changes
    fields: tuple[str, ...]  # the columns a write body sets
    removal_columns: tuple[str, ...]  # what the audit entry of a removal keeps of the row
    # Refuses a body that would clash with another row of the enterprise (Conflict); ``except_id`` is the row
    # being corrected.
    ensure_no_clash: Callable[[AsyncSession, uuid.UUID, Any, uuid.UUID | None], Awaitable[None]]
    derived: Callable[[Any], dict[str, Any]]  # columns computed from the body rather than given in it


async def replace_holding(
    holdings: Holdings, sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID,
    row_id: uuid.UUID, body: BaseModel, if_match: str | None,
) -> Any:
    """Correct one IP holding or honour (If-Match required); the same values again change nothing."""
    async with sessions.begin() as session:
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        row = await owned_by(session, holdings.model, enterprise.id, row_id, holdings.noun)
        check_if_match(if_match, row.version)
        await holdings.ensure_no_clash(session, enterprise.id, body, row.id)
        before = _columns(row, holdings.fields)
        after = _row_values(body)
        if not _apply_changes(row, before, after):
            return row
        for key, value in holdings.derived(body).items():
            setattr(row, key, value)
        await session.flush()
        # Compared as column values (dates as dates), so that the audit names only what really changed.
        changes = {f"{holdings.entity}_id": str(row.id), **_diff(before, after)}
        await _record_change(session, settings, actor, enterprise.id, action=f"{holdings.entity}.update",
                             entity_type=holdings.entity, changes=changes)
    return row


async def remove_holding(
    holdings: Holdings, sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID,
    row_id: uuid.UUID, if_match: str | None,
) -> None:
    """Remove one IP holding or honour (lapsed, recorded in error); If-Match optional."""
    async with sessions.begin() as session:
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        row = await owned_by(session, holdings.model, enterprise.id, row_id, holdings.noun)
        if if_match is not None:
            check_if_match(if_match, row.version)
        await session.delete(row)
        await session.flush()
        changes = {f"{holdings.entity}_id": str(row.id), **_columns(row, holdings.removal_columns)}
        await _record_change(session, settings, actor, enterprise.id, action=f"{holdings.entity}.remove",
                             entity_type=holdings.entity, changes=changes)


async def list_holdings(
    holdings: Holdings, sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None,
    kind: str | None = None,
) -> tuple[list[Any], str | None]:
    """Newest first."""
    return await list_of_enterprise(sessions, actor, holdings.model, enterprise_id, limit=limit, cursor=cursor,
                                    kind=kind)


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


IP_HOLDINGS = Holdings(model=IpHolding, noun="IP holding", entity="ip_holding",
                       fields=tuple(schemas.IpHoldingWrite.model_fields), removal_columns=("reference", "kind"),
                       ensure_no_clash=_ensure_unique_reference, derived=lambda body: {})


async def add_ip_holding(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, body: schemas.IpHoldingWrite
) -> IpHolding:
    async with sessions.begin() as session:
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        await _ensure_unique_reference(session, enterprise.id, body)
        row = IpHolding(enterprise_id=enterprise.id, **_row_values(body))
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(f"{body.reference} is already recorded for this enterprise", field="reference") from None
        await _record_change(session, settings, actor, enterprise.id, action="ip_holding.add", entity_type="ip_holding",
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


HONOURS = Holdings(model=Honour, noun="honour", entity="honour", fields=tuple(schemas.HonourWrite.model_fields),
                   removal_columns=("kind", "name", "number"), ensure_no_clash=_ensure_one_score_per_year,
                   derived=lambda body: {"warnings": _honour_warnings(body)})


async def add_honour(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, body: schemas.HonourWrite
) -> Honour:
    async with sessions.begin() as session:
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        await _ensure_one_score_per_year(session, enterprise.id, body)
        row = Honour(enterprise_id=enterprise.id, warnings=_honour_warnings(body), **_row_values(body))
        session.add(row)
        await session.flush()
        await _record_change(session, settings, actor, enterprise.id, action="honour.add", entity_type="honour",
                             changes={"honour_id": str(row.id), **body.model_dump(mode="json", exclude_none=True)})
    return row


# --------------------------------------------------------------------------------------------------------------
# Compliance declarations
# --------------------------------------------------------------------------------------------------------------

DECLARATION_FIELDS = tuple(schemas.DeclarationsWrite.model_fields)


async def put_declarations(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID,
    body: schemas.DeclarationsWrite, if_match: str | None,
) -> tuple[EnterpriseDeclarations, bool]:
    values = body.model_dump(mode="json")
    # Dates stay dates in their own column; the incidents list is JSON with ISO dates.
    values["niche_market_since"] = body.niche_market_since
    async with sessions.begin() as session:
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        row = await session.get(EnterpriseDeclarations, enterprise.id, with_for_update=True)
        created = row is None
        if row is None:
            _refuse_version_of_absent(if_match, "no declarations yet")
            row = EnterpriseDeclarations(enterprise_id=enterprise.id, **values)
            session.add(row)
            changes = body.model_dump(mode="json")
        else:
            check_if_match(if_match, row.version)
            before = _columns(row, DECLARATION_FIELDS)
            changed = _apply_changes(row, before, values)
            if not changed:
                return row, False
            changes = _diff(before, changed)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict("the declarations were just made by someone else; read them and retry") from None
        await _record_change(session, settings, actor, enterprise.id, action="declarations.put",
                             entity_type="declarations", changes=changes)
    return row, created


async def get_declarations(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID) -> EnterpriseDeclarations:
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        row = await session.get(EnterpriseDeclarations, enterprise_id)
    if row is None:
        raise NotFound("no declarations made yet")
    return row
