"""Patent use cases: enter a patent, read and list in scope, change its standing and description (If-Match), list
it (挂牌) with the modes offered and delist it, and declare or withdraw an open licence (开放许可, arts. 50–52).

Every change that touches what is offered takes the patent row's lock (``get_for_change``), so that a grant, a
declaration and a standing change on one patent run one after the other. Listing, delisting and the declaration
emit ``patent.*`` events with what matching indexes.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.licensing.domain import open_licences as open_domain
from services.licensing.domain.licences import Grant, LicenceKind, LicenceStatus
from services.licensing.domain.patents import (
    FeeStatus,
    LegalStatus,
    Mode,
    PatentContent,
    Patentee,
    PatentType,
    PledgeStatus,
    Standing,
    check_ipc,
    check_listable,
    check_modes,
    check_patentees,
    check_publication_numbers,
    patent_type_of,
)
from services.licensing.domain.values import Term, Territory, application_number, fraction_text
from services.licensing.models import Licence, OpenLicenceDeclaration, Patent
from services.licensing.schemas import patents as schemas
from shared.auth import Actor, Role
from shared.db import hold_write_lock, utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events.licensing import OpenLicenceDeclared, OpenLicenceWithdrawn, PatentDelisted, PatentListed
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, AnyOf, InStates, OwnInstitute, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]

LISTED, UNLISTED, DELISTED = "listed", "unlisted", "delisted"

# Readers: once listed, every authenticated role; before and after, the holder institution (and admins, services).
_PUBLIC = InStates(Patent.listing, frozenset({LISTED}))
PATENT_SCOPE = ScopeRule(
    noun="patent",
    readers={**{role: _PUBLIC for role in Role}, Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE,
             Role.INSTITUTE: AnyOf((OwnInstitute(Patent.institute_id), _PUBLIC))},
    managers={Role.ADMIN: EVERYWHERE, Role.INSTITUTE: OwnInstitute(Patent.institute_id)},
)
PATENTS = Records(Patent, PATENT_SCOPE)


# --- the row as the domain sees it ----------------------------------------------------------------------------------

def patentees_of(values: list[dict[str, Any]]) -> tuple[Patentee, ...]:
    return tuple(Patentee(p["name"], bool(p.get("consented")), _day(p.get("consented_on"))) for p in values)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def standing_of(patent: Patent) -> Standing:
    return Standing(legal_status=LegalStatus(patent.legal_status), patentees=patentees_of(patent.patentees),
                    pledge_status=PledgeStatus(patent.pledge_status), pledgee_consented=patent.pledgee_consented,
                    fee_status=FeeStatus(patent.fee_status), transferred=patent.transferred_to_uscc is not None)


def grant_of(licence: Licence) -> Grant:
    return Grant(LicenceKind(licence.kind), licence.licensee_uscc, Territory(tuple(licence.territory)),
                 Term(licence.term_start, licence.term_end), LicenceStatus(licence.status), licence.id)


async def grants_on(session: AsyncSession, patent_id: uuid.UUID) -> list[Grant]:
    rows = (await session.scalars(select(Licence).where(Licence.patent_id == patent_id))).all()
    return [grant_of(r) for r in rows]


async def declaration_in_force(session: AsyncSession, patent_id: uuid.UUID) -> OpenLicenceDeclaration | None:
    return (await session.scalars(select(OpenLicenceDeclaration).where(
        OpenLicenceDeclaration.patent_id == patent_id,
        OpenLicenceDeclaration.status == open_domain.DeclarationStatus.IN_FORCE.value))).first()


def _patentees_json(patentees: list[schemas.PatenteeIn] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [p if isinstance(p, dict) else p.model_dump(mode="json") for p in patentees]
    return [{"name": r["name"], "consented": bool(r.get("consented")),
             "consented_on": (r["consented_on"].isoformat() if isinstance(r.get("consented_on"), date)
                              else r.get("consented_on"))} for r in rows]


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """The columns of a patent's values (a request's, or a change merged over a row's), checked by the domain."""
    number = application_number(values["application_number"])
    kind = patent_type_of(number)
    patentees = _patentees_json(values["patentees"])
    check_patentees(patentees_of(patentees), values["holder_name"])
    legal = LegalStatus(values["legal_status"])
    PatentContent(values["title"], values["abstract"], values["holder_name"], tuple(values["inventors"]),
                  granted_on=values.get("granted_on"), legal_status=legal, filed_on=values.get("filed_on"))
    if values.get("pledge_status") == PledgeStatus.NONE.value and values.get("pledgee_consented"):
        raise InvalidInput("a pledgee's consent is recorded only for a pledged patent", field="pledgee_consented")
    return {
        "application_number": number.canonical, "patent_type": kind.value,
        "publication_numbers": list(check_publication_numbers(values.get("publication_numbers") or [], kind)),
        "title": values["title"].strip(), "abstract": values["abstract"].strip(),
        "ipc_classes": list(check_ipc(values.get("ipc_classes") or [])),
        "inventors": [i.strip() for i in values["inventors"]], "patentees": patentees, "legal_status": legal.value,
        "filed_on": values.get("filed_on"), "granted_on": values.get("granted_on"),
        "pledge_status": values.get("pledge_status") or PledgeStatus.NONE.value, "pledgee": values.get("pledgee"),
        "pledgee_consented": bool(values.get("pledgee_consented")),
        "fee_status": values.get("fee_status") or FeeStatus.PAID.value,
    }


def read_model(patent: Patent, open_licence_id: uuid.UUID | None = None) -> schemas.PatentRead:
    return schemas.PatentRead(
        patent_number=f"ZL{patent.application_number}", open_licence_id=open_licence_id,
        patentees=[schemas.PatenteeRead(name=p["name"], consented=bool(p.get("consented")),
                                        consented_on=_day(p.get("consented_on"))) for p in patent.patentees],
        **{c: getattr(patent, c) for c in (
            "id", "institute_id", "holder_name", "application_number", "patent_type", "publication_numbers", "title",
            "abstract", "ipc_classes", "inventors", "legal_status", "filed_on", "granted_on", "pledge_status",
            "pledgee", "pledgee_consented", "fee_status", "modes_offered", "listing", "listed_at",
            "transferred_to_uscc", "created_by", "created_at", "updated_at", "version")})


def patent_state(patent: Patent, *, open_licence: bool) -> dict[str, Any]:
    """The patent as events carry it (no inventors: matching indexes the content, not the people)."""
    return {"patent_id": patent.id, "application_number": patent.application_number,
            "patent_number": f"ZL{patent.application_number}", "patent_type": patent.patent_type,
            "title": patent.title, "abstract": patent.abstract, "ipc_classes": list(patent.ipc_classes),
            "holder_institute_id": patent.institute_id, "holder_name": patent.holder_name,
            "legal_status": patent.legal_status, "granted_on": patent.granted_on,
            "modes_offered": list(patent.modes_offered), "open_licence": open_licence, "version": patent.version}


async def _open_id(session: AsyncSession, patent: Patent) -> uuid.UUID | None:
    declaration = await declaration_in_force(session, patent.id)
    return declaration.id if declaration else None


async def locked_patent(session: AsyncSession, actor: Actor, patent_id: uuid.UUID) -> Patent:
    """The patent under its lock for a caller that may read it but acts as a licensee (a firm taking an open licence
    or paying): the same lock the holder's grants take, without the holder's managing rights."""
    await hold_write_lock(session, Patent.__table__)
    patent = await session.get(Patent, patent_id, with_for_update=True, populate_existing=True)
    if patent is None:
        raise NotFound(f"no patent {patent_id}")
    PATENT_SCOPE.ensure_readable(actor, patent, patent_id)
    return patent


def delist(uow: UnitOfWork, patent: Patent, reason: str) -> dict[str, Any]:
    """Take a listed patent off the list (its holder asked, or it may no longer be exploited): the change, with
    ``patent.delisted`` emitted."""
    if patent.listing != LISTED:
        return {}
    changed = apply_changes(patent, {"listing": DELISTED, "modes_offered": []})
    uow.emit(PatentDelisted(**patent_state(patent, open_licence=False), reason=reason), subject=str(patent.id))
    return changed


# --- use cases ------------------------------------------------------------------------------------------------------

async def create_patent(work: Work, actor: Actor, data: schemas.PatentCreate) -> schemas.PatentRead:
    values = data.model_dump()
    if actor.principal.role == Role.INSTITUTE:
        if data.institute_id not in (None, actor.principal.institute_id):
            raise InvalidInput("an institute enters patents under its own account", field="institute_id")
        institute_id = actor.principal.institute_id
    else:
        institute_id = data.institute_id
    if not institute_id:
        raise InvalidInput("name the holder's institute account", field="institute_id")
    columns = _checked(values)
    PATENT_SCOPE.ensure_manageable(actor, {"institute_id": institute_id})
    async with work(actor) as uow:
        patent = Patent(**columns, institute_id=institute_id, holder_name=data.holder_name.strip(),
                        modes_offered=[], listing=UNLISTED, created_by=actor.principal.subject)
        uow.session.add(patent)
        await uow.flush()
        uow.audit("patent.create", "patent", str(patent.id), data.model_dump(mode="json"))
        read = read_model(patent)
    return read


async def get_patent(sessions: Sessions, actor: Actor, patent_id: uuid.UUID) -> schemas.PatentRead:
    async with sessions() as session:
        patent = await PATENTS.get(session, actor, patent_id)
        return read_model(patent, await _open_id(session, patent))


_ORDER = (Key(Patent.created_at, cursor_datetime), Key(Patent.id, cursor_uuid))


async def list_patents(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None, listing: str | None,
                       institute_id: str | None, mode: str | None,
                       ipc: str | None) -> tuple[list[schemas.PatentRead], str | None]:
    query = PATENTS.select(actor)
    if listing is not None:
        query = query.where(Patent.listing == listing)
    if institute_id is not None:
        query = query.where(Patent.institute_id == institute_id)
    async with sessions() as session:
        if mode is not None or ipc is not None:
            # JSON lists are filtered here, not in SQL (the same on both backends); the pages stay cursor-stable.
            wanted = [row.id for row in (await session.execute(query.with_only_columns(
                Patent.id, Patent.modes_offered, Patent.ipc_classes))).all()
                if (mode is None or mode in row.modes_offered)
                and (ipc is None or any(c.startswith(ipc.upper()) for c in row.ipc_classes))]
            query = query.where(Patent.id.in_(wanted))
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
        reads = [read_model(p, await _open_id(session, p)) for p in page]
    return reads, next_cursor


async def update_patent(work: Work, actor: Actor, patent_id: uuid.UUID, data: schemas.PatentUpdate,
                        if_match: str | None) -> schemas.PatentRead:
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "abstract", "inventors", "patentees", "legal_status", "pledge_status", "fee_status",
                 "pledgee_consented"):
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    async with work(actor) as uow:
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id, if_match=if_match)
        row = {c.key: getattr(patent, c.key) for c in Patent.__table__.columns}
        columns = _checked({**row, **changes})
        changed = apply_changes(patent, {k: v for k, v in columns.items() if k in changes})
        declaration = await declaration_in_force(uow.session, patent.id)
        if changed and patent.listing == LISTED:
            if standing_of(patent).refusal_to_exploit():
                changed |= delist(uow, patent, "the patent may no longer be exploited: "
                                  + (standing_of(patent).refusal_to_exploit() or ("", ""))[0])
            else:
                uow.emit(PatentListed(**patent_state(patent, open_licence=declaration is not None)),
                         subject=str(patent.id))
        if changed:
            await uow.flush()
            uow.audit("patent.update", "patent", str(patent.id), changed)
        read = read_model(patent, declaration.id if declaration else None)
    return read


async def list_patent(work: Work, actor: Actor, patent_id: uuid.UUID, data: schemas.Listing,
                      if_match: str | None) -> schemas.PatentRead:
    modes = check_modes(data.modes)
    async with work(actor) as uow:
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id, if_match=if_match)
        check_listable(standing_of(patent), modes)
        declaration = await declaration_in_force(uow.session, patent.id)
        if Mode.OPEN_LICENCE in modes and declaration is None:
            raise Conflict("declare the open licence first (POST …/open-licence): its royalty is what the listing "
                           "offers", field="modes")
        if declaration is not None and Mode.OPEN_LICENCE not in modes:
            modes = (Mode.OPEN_LICENCE, *modes)  # a declaration in force is on offer until it is withdrawn
        was = patent.listing
        changed = apply_changes(patent, {"listing": LISTED, "modes_offered": [m.value for m in modes],
                                         **({"listed_at": utcnow()} if was != LISTED else {})})
        if changed:
            await uow.flush()
            uow.emit(PatentListed(**patent_state(patent, open_licence=declaration is not None)),
                     subject=str(patent.id))
            uow.audit("patent.list", "patent", str(patent.id), changed)
        read = read_model(patent, declaration.id if declaration else None)
    return read


async def delist_patent(work: Work, actor: Actor, patent_id: uuid.UUID, data: schemas.Delisting,
                        if_match: str | None) -> schemas.PatentRead:
    async with work(actor) as uow:
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id, if_match=if_match)
        if patent.listing != LISTED:
            raise Conflict(f"the patent is {patent.listing}, not listed", field="listing")
        if await declaration_in_force(uow.session, patent.id) is not None:
            raise Conflict("an open licence is declared: withdraw it (published) before delisting", field="listing")
        changed = delist(uow, patent, data.reason)
        await uow.flush()
        uow.audit("patent.delist", "patent", str(patent.id), {**changed, "reason": data.reason})
        read = read_model(patent)
    return read


# --- open licence ---------------------------------------------------------------------------------------------------

def declaration_read(declaration: OpenLicenceDeclaration) -> schemas.DeclarationRead:
    return schemas.DeclarationRead(upfront_fen=royalty_of(declaration).upfront_fen, **{
        c: getattr(declaration, c) for c in (
            "id", "patent_id", "royalty_mode", "lump_sum_fen", "entry_fee_fen", "royalty_rate", "royalty_basis",
            "standard", "term_start", "term_end", "evaluation_report_no", "warnings", "status", "declared_by",
            "declared_at", "withdrawn_at", "withdrawal_reason", "version")})


def royalty_of(declaration: OpenLicenceDeclaration) -> open_domain.Royalty:
    return open_domain.Royalty(
        open_domain.RoyaltyMode(declaration.royalty_mode), lump_sum_fen=declaration.lump_sum_fen,
        entry_fee_fen=declaration.entry_fee_fen, rate=declaration.royalty_rate,
        basis=open_domain.RoyaltyBasis(declaration.royalty_basis) if declaration.royalty_basis else None)


def _declaration_state(patent: Patent, declaration: OpenLicenceDeclaration, *, in_force: bool) -> dict[str, Any]:
    return {**patent_state(patent, open_licence=in_force), "declaration_id": declaration.id,
            "royalty_mode": declaration.royalty_mode, "lump_sum_fen": declaration.lump_sum_fen,
            "entry_fee_fen": declaration.entry_fee_fen,
            "royalty_rate": None if declaration.royalty_rate is None else fraction_text(declaration.royalty_rate),
            "royalty_basis": declaration.royalty_basis, "term_start": declaration.term_start,
            "term_end": declaration.term_end}


async def declare_open_licence(work: Work, actor: Actor, patent_id: uuid.UUID,
                               data: schemas.DeclarationCreate) -> schemas.DeclarationRead:
    with_field = data.royalty.model_dump()
    royalty = _royalty(with_field)
    term = Term(data.term_start, data.term_end)
    declaration = open_domain.Declaration(royalty, data.standard, term, data.evaluation_report_no)
    async with work(actor) as uow:
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id)
        if await declaration_in_force(uow.session, patent.id) is not None:
            raise Conflict("an open licence is already declared for this patent; withdraw it to declare another",
                           field="patent")
        warnings = open_domain.check_declarable(declaration, standing_of(patent), PatentType(patent.patent_type),
                                                await grants_on(uow.session, patent.id))
        row = OpenLicenceDeclaration(
            patent_id=patent.id, institute_id=patent.institute_id, royalty_mode=royalty.mode.value,
            lump_sum_fen=royalty.lump_sum_fen, entry_fee_fen=royalty.entry_fee_fen, royalty_rate=royalty.rate,
            royalty_basis=royalty.basis.value if royalty.basis else None, standard=data.standard,
            term_start=term.start, term_end=term.end, evaluation_report_no=data.evaluation_report_no,
            warnings=warnings, status=open_domain.DeclarationStatus.IN_FORCE.value,
            declared_by=actor.principal.subject)
        uow.session.add(row)
        # The declaration puts the patent on the list with the open licence offered.
        modes = [Mode.OPEN_LICENCE.value, *(m for m in patent.modes_offered if m != Mode.OPEN_LICENCE.value)]
        changed = apply_changes(patent, {"listing": LISTED, "modes_offered": modes,
                                         **({"listed_at": utcnow()} if patent.listing != LISTED else {})})
        await uow.flush()
        uow.emit(OpenLicenceDeclared(**_declaration_state(patent, row, in_force=True)), subject=str(patent.id))
        uow.emit(PatentListed(**patent_state(patent, open_licence=True)), subject=str(patent.id))
        uow.audit("patent.open_licence.declare", "patent", str(patent.id),
                  {"declaration": str(row.id), **data.model_dump(mode="json"), "warnings": warnings, **changed})
        read = declaration_read(row)
    return read


def _royalty(values: dict[str, Any]) -> open_domain.Royalty:
    return open_domain.Royalty(
        open_domain.RoyaltyMode(values["mode"]), lump_sum_fen=values.get("lump_sum_fen"),
        entry_fee_fen=values.get("entry_fee_fen"), rate=values.get("rate"),
        basis=open_domain.RoyaltyBasis(values["basis"]) if values.get("basis") else None)


async def withdraw_open_licence(work: Work, actor: Actor, patent_id: uuid.UUID,
                                data: schemas.Withdrawal) -> schemas.DeclarationRead:
    """Withdrawal is published (``open_licence_withdrawn`` and the listing without the mode); the licences obtained
    under the declaration stay as they are (art. 50)."""
    async with work(actor) as uow:
        patent = await PATENTS.get_for_change(uow.session, actor, patent_id)
        declaration = await declaration_in_force(uow.session, patent.id)
        if declaration is None:
            raise Conflict("no open licence is in force for this patent", field="patent")
        apply_changes(declaration, {"status": open_domain.DeclarationStatus.WITHDRAWN.value,
                                    "withdrawn_at": utcnow(), "withdrawal_reason": data.reason})
        modes = [m for m in patent.modes_offered if m != Mode.OPEN_LICENCE.value]
        changed = apply_changes(patent, {"modes_offered": modes})
        await uow.flush()
        uow.emit(OpenLicenceWithdrawn(**_declaration_state(patent, declaration, in_force=False)),
                 subject=str(patent.id))
        if modes:
            uow.emit(PatentListed(**patent_state(patent, open_licence=False)), subject=str(patent.id))
        else:
            changed |= delist(uow, patent, "open licence withdrawn: " + data.reason)
        uow.audit("patent.open_licence.withdraw", "patent", str(patent.id),
                  {"declaration": str(declaration.id), "reason": data.reason, **changed})
        read = declaration_read(declaration)
    return read


async def get_open_licence(sessions: Sessions, actor: Actor, patent_id: uuid.UUID) -> schemas.DeclarationRead:
    async with sessions() as session:
        patent = await PATENTS.get(session, actor, patent_id)
        declaration = (await session.scalars(select(OpenLicenceDeclaration).where(
            OpenLicenceDeclaration.patent_id == patent.id).order_by(OpenLicenceDeclaration.declared_at.desc()))).first()
        if declaration is None:
            raise NotFound(f"patent {patent_id} has no open-licence declaration")
        return declaration_read(declaration)
