"""Use cases for what an enterprise reports and holds: annual figures (年报), IP holdings, honours and
compliance declarations.

Every change, in its one transaction: the row, the audit entry, the enterprise's size class (from the latest
year's figures), the re-run of the evaluations whose inputs changed (``reevaluate_enterprise``) and, for figures,
an enterprise.figures_reported event. Bad input writes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain.size_class import InvalidIndustryCode, SizeClassUndetermined, classify_size
from services.registry.models import Enterprise, bus
from services.registry.models.figures import AnnualFigures, EnterpriseDeclarations, Honour, IpHolding
from services.registry.schemas import figures as schemas
from services.registry.service.access import ensure_may_manage, load_enterprise
from services.registry.service.clock import programme_today
from services.registry.service.evaluations import lock_enterprise, reevaluate_enterprise
from shared.auth import Actor
from shared.bus.outbox import audit, emit
from shared.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from shared.events.registry import EnterpriseFiguresReported
from shared.http import check_if_match, decode_cursor, encode_cursor
from shared.settings import ServiceSettings

Sessions = async_sessionmaker[AsyncSession]

RD_ABOVE_REVENUE = "rd_expense_above_revenue"


async def _load_for_change(session: AsyncSession, actor: Actor, enterprise_id: uuid.UUID) -> Enterprise:
    enterprise = await load_enterprise(session, actor, enterprise_id)
    ensure_may_manage(actor, enterprise.district_code, enterprise.uscc)
    await lock_enterprise(session, enterprise.id)
    return enterprise


def _row_values(body: BaseModel) -> dict[str, Any]:
    """The body's fields as column values: enum members become their plain string values."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in body.model_dump().items()}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}


# --------------------------------------------------------------------------------------------------------------
# Size class (统计上大中小微型企业划分办法 2017)
# --------------------------------------------------------------------------------------------------------------


async def refresh_size_class(session: AsyncSession, enterprise: Enterprise) -> str | None:
    """Recompute the enterprise's size class from its latest year's figures and its industry code; None when
    either is missing or the figures the industry's thresholds need are not reported. Call it after a change of
    figures or of the industry code."""
    latest = await session.scalar(
        select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise.id)
        .order_by(AnnualFigures.year.desc()).limit(1)
    )
    size: str | None = None
    if latest is not None and enterprise.industry_code:
        try:
            size = classify_size(enterprise.industry_code, latest.employees, latest.operating_revenue_fen,
                                 latest.total_assets_fen).value
        except (InvalidIndustryCode, SizeClassUndetermined):
            size = None
    # Derived state, not an edit of the profile: the enterprise's version (its ETag) is left alone so that an
    # officer editing the profile is not refused because figures arrived meanwhile.
    enterprise.size_class = size
    return size


# --------------------------------------------------------------------------------------------------------------
# Annual figures
# --------------------------------------------------------------------------------------------------------------

FIGURE_FIELDS = tuple(schemas.AnnualFiguresWrite.model_fields)


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
        enterprise = await _load_for_change(session, actor, enterprise_id)
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
            if if_match is not None and if_match.strip() != "*":
                raise PreconditionFailed(f"no figures for {year} yet; If-Match names a version that does not exist")
            row = AnnualFigures(enterprise_id=enterprise.id, year=year, flags=flags, source="api", **values)
            session.add(row)
            changes: dict[str, Any] = {"year": year, **body.model_dump(mode="json"), "flags": flags}
        else:
            check_if_match(if_match, row.version)
            before = {name: getattr(row, name) for name in FIGURE_FIELDS}
            changed = {k: v for k, v in values.items() if before[k] != v}
            if not changed:
                return row, False  # the same figures again: no new version, no event
            for key, value in changed.items():
                setattr(row, key, value)
            row.flags = flags
            row.version += 1
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
        await audit(session, bus, actor, action="figures.report" if created else "figures.correct",
                    entity_type="annual_figures", entity_id=str(enterprise.id), changes=changes)
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)
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
        values = decode_cursor(cursor)
        if len(values) != 1 or not isinstance(values[0], int):
            raise InvalidInput("cursor is not one this API issued", field="cursor")
        query = query.where(AnnualFigures.year < values[0])
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        rows = list((await session.scalars(query.order_by(AnnualFigures.year.desc()).limit(limit + 1))).all())
    if len(rows) > limit:
        return rows[:limit], encode_cursor([rows[limit - 1].year])
    return rows, None


# --------------------------------------------------------------------------------------------------------------
# Shared by IP holdings and honours: newest-first pages, load one, delete
# --------------------------------------------------------------------------------------------------------------


def _page_query(query, model, cursor: str | None, limit: int):  # type: ignore[no-untyped-def]
    if cursor:
        values = decode_cursor(cursor)
        try:
            created, after_id = datetime.fromisoformat(str(values[0])), uuid.UUID(str(values[1]))
        except (ValueError, IndexError):
            raise InvalidInput("cursor is not one this API issued", field="cursor") from None
        query = query.where(or_(model.created_at < created, and_(model.created_at == created, model.id < after_id)))
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def _page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    if len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], encode_cursor([last.created_at.isoformat(), str(last.id)])
    return rows, None


async def _owned(session: AsyncSession, model, enterprise_id: uuid.UUID, row_id: uuid.UUID, noun: str):  # type: ignore[no-untyped-def]
    row = await session.get(model, row_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"no {noun} {row_id} of enterprise {enterprise_id}")
    return row


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


# --------------------------------------------------------------------------------------------------------------
# IP holdings
# --------------------------------------------------------------------------------------------------------------

IP_FIELDS = tuple(schemas.IpHoldingWrite.model_fields)


async def _ensure_unique_reference(session: AsyncSession, enterprise_id: uuid.UUID, reference: str,
                                   except_id: uuid.UUID | None = None) -> None:
    existing = await session.scalar(
        select(IpHolding.id).where(IpHolding.enterprise_id == enterprise_id, IpHolding.reference == reference)
    )
    if existing is not None and existing != except_id:
        raise Conflict(f"{reference} is already recorded for this enterprise", field="reference",
                       existing=f"/v1/enterprises/{enterprise_id}/ip-holdings/{existing}")


async def add_ip_holding(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, body: schemas.IpHoldingWrite
) -> IpHolding:
    async with sessions.begin() as session:
        enterprise = await _load_for_change(session, actor, enterprise_id)
        await _ensure_unique_reference(session, enterprise.id, body.reference)
        row = IpHolding(enterprise_id=enterprise.id, **_row_values(body))
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(f"{body.reference} is already recorded for this enterprise", field="reference") from None
        await audit(session, bus, actor, action="ip_holding.add", entity_type="ip_holding",
                    entity_id=str(enterprise.id), changes={"ip_holding_id": str(row.id), **body.model_dump(mode="json")})
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)
    return row


async def replace_ip_holding(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, holding_id: uuid.UUID,
    body: schemas.IpHoldingWrite, if_match: str | None,
) -> IpHolding:
    async with sessions.begin() as session:
        enterprise = await _load_for_change(session, actor, enterprise_id)
        row = await _owned(session, IpHolding, enterprise.id, holding_id, "IP holding")
        check_if_match(if_match, row.version)
        await _ensure_unique_reference(session, enterprise.id, body.reference, except_id=row.id)
        before, after = _columns(row, IP_FIELDS), _row_values(body)
        changed = {k: v for k, v in after.items() if before[k] != v}
        if not changed:
            return row
        for key, value in changed.items():
            setattr(row, key, value)
        row.version += 1
        await session.flush()
        await audit(session, bus, actor, action="ip_holding.update", entity_type="ip_holding",
                    entity_id=str(enterprise.id),
                    changes={"ip_holding_id": str(row.id), **_diff(before, body.model_dump(mode="json"))})
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)
    return row


async def remove_ip_holding(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, holding_id: uuid.UUID,
    if_match: str | None,
) -> None:
    async with sessions.begin() as session:
        enterprise = await _load_for_change(session, actor, enterprise_id)
        row = await _owned(session, IpHolding, enterprise.id, holding_id, "IP holding")
        if if_match is not None:
            check_if_match(if_match, row.version)
        await session.delete(row)
        await session.flush()
        await audit(session, bus, actor, action="ip_holding.remove", entity_type="ip_holding",
                    entity_id=str(enterprise.id), changes={"ip_holding_id": str(row.id), "reference": row.reference,
                                                           "kind": row.kind})
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)


async def list_ip_holdings(
    sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None,
    kind: str | None = None,
) -> tuple[list[IpHolding], str | None]:
    query = select(IpHolding).where(IpHolding.enterprise_id == enterprise_id)
    if kind is not None:
        query = query.where(IpHolding.kind == kind)
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        rows = list((await session.scalars(_page_query(query, IpHolding, cursor, limit))).all())
    return _page(rows, limit)


async def get_ip_holding(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, holding_id: uuid.UUID) -> IpHolding:
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        return await _owned(session, IpHolding, enterprise_id, holding_id, "IP holding")


# --------------------------------------------------------------------------------------------------------------
# Honours and qualifications
# --------------------------------------------------------------------------------------------------------------

HONOUR_FIELDS = tuple(schemas.HonourWrite.model_fields)


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


async def add_honour(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, body: schemas.HonourWrite
) -> Honour:
    async with sessions.begin() as session:
        enterprise = await _load_for_change(session, actor, enterprise_id)
        await _ensure_one_score_per_year(session, enterprise.id, body)
        row = Honour(enterprise_id=enterprise.id, warnings=_honour_warnings(body), **_row_values(body))
        session.add(row)
        await session.flush()
        await audit(session, bus, actor, action="honour.add", entity_type="honour", entity_id=str(enterprise.id),
                    changes={"honour_id": str(row.id), **body.model_dump(mode="json", exclude_none=True)})
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)
    return row


async def replace_honour(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, honour_id: uuid.UUID,
    body: schemas.HonourWrite, if_match: str | None,
) -> Honour:
    async with sessions.begin() as session:
        enterprise = await _load_for_change(session, actor, enterprise_id)
        row = await _owned(session, Honour, enterprise.id, honour_id, "honour")
        check_if_match(if_match, row.version)
        await _ensure_one_score_per_year(session, enterprise.id, body, except_id=row.id)
        before, after = _columns(row, HONOUR_FIELDS), _row_values(body)
        changed = {k: v for k, v in after.items() if before[k] != v}
        if not changed:
            return row
        for key, value in changed.items():
            setattr(row, key, value)
        row.warnings = _honour_warnings(body)
        row.version += 1
        await session.flush()
        await audit(session, bus, actor, action="honour.update", entity_type="honour", entity_id=str(enterprise.id),
                    changes={"honour_id": str(row.id), **_diff(before, body.model_dump(mode="json"))})
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)
    return row


async def remove_honour(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, enterprise_id: uuid.UUID, honour_id: uuid.UUID,
    if_match: str | None,
) -> None:
    async with sessions.begin() as session:
        enterprise = await _load_for_change(session, actor, enterprise_id)
        row = await _owned(session, Honour, enterprise.id, honour_id, "honour")
        if if_match is not None:
            check_if_match(if_match, row.version)
        await session.delete(row)
        await session.flush()
        await audit(session, bus, actor, action="honour.remove", entity_type="honour", entity_id=str(enterprise.id),
                    changes={"honour_id": str(row.id), "kind": row.kind, "name": row.name, "number": row.number})
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)


async def list_honours(
    sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None,
    kind: str | None = None,
) -> tuple[list[Honour], str | None]:
    query = select(Honour).where(Honour.enterprise_id == enterprise_id)
    if kind is not None:
        query = query.where(Honour.kind == kind)
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        rows = list((await session.scalars(_page_query(query, Honour, cursor, limit))).all())
    return _page(rows, limit)


async def get_honour(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, honour_id: uuid.UUID) -> Honour:
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        return await _owned(session, Honour, enterprise_id, honour_id, "honour")


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
        enterprise = await _load_for_change(session, actor, enterprise_id)
        row = await session.get(EnterpriseDeclarations, enterprise.id, with_for_update=True)
        created = row is None
        if row is None:
            if if_match is not None and if_match.strip() != "*":
                raise PreconditionFailed("no declarations yet; If-Match names a version that does not exist")
            row = EnterpriseDeclarations(enterprise_id=enterprise.id, **values)
            session.add(row)
            changes = body.model_dump(mode="json")
        else:
            check_if_match(if_match, row.version)
            before = _columns(row, DECLARATION_FIELDS)
            changed = {k: v for k, v in values.items() if before[k] != v}
            if not changed:
                return row, False
            for key, value in changed.items():
                setattr(row, key, value)
            row.version += 1
            changes = _diff(before, changed)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict("the declarations were just made by someone else; read them and retry") from None
        await audit(session, bus, actor, action="declarations.put", entity_type="declarations",
                    entity_id=str(enterprise.id), changes=changes)
        await reevaluate_enterprise(session, settings, enterprise.id, actor=actor)
    return row, created


async def get_declarations(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID) -> EnterpriseDeclarations:
    async with sessions() as session:
        await load_enterprise(session, actor, enterprise_id)
        row = await session.get(EnterpriseDeclarations, enterprise_id)
    if row is None:
        raise NotFound("no declarations made yet")
    return row
