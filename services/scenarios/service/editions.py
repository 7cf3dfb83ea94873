"""Yearly list editions (清单, 第N批): an officer publishes the scenario list, the challenge list (揭榜挂帅榜单) or the
flagship-park list as it stands, numbered within the list and year; the edition keeps its entries (no personal
data) and its differences from the edition before, and is read and exported (XLSX, JSON) by anyone.

Numbering: the unit of work holds a lock on the list (``uow.lock``) while it reads the last number and writes the
next, so that officers publishing at once get consecutive numbers; the unique key (list, year, number) is the
guard behind it."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.challenges import AFTER_PUBLICATION
from services.scenarios.domain.editions import (
    LABELS,
    ListKind,
    check_edition_year,
    differences,
    edition_title,
)
from services.scenarios.domain.scenarios import ON_THE_LIST
from services.scenarios.models import Challenge, ListEdition, PlatformProfile, Scenario
from services.scenarios.schemas import editions as schemas
from services.scenarios.service.scenarios import publisher_names
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.errors import NotFound, PermissionDenied
from shared.http import cursor_int
from shared.pagination import Key, paginate
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]


def _ensure_city_wide(actor: Actor) -> None:
    """The lists are the city's: admins and city-wide officers publish them."""
    principal = actor.principal
    if principal.role == Role.ADMIN or (principal.role == Role.OFFICER and principal.city_wide):
        return
    raise PermissionDenied("the city's lists are published by city-wide programme officers")


# --- the entries, as an edition keeps them -------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


async def scenario_entries(session: AsyncSession, year: int) -> list[dict[str, Any]]:
    """The scenarios on the list and still running, in the order they were published. No contact: an edition is
    public and permanent, and personal data has no place in it."""
    rows = (await session.scalars(select(Scenario).where(Scenario.status.in_(sorted(ON_THE_LIST)))
                                  .order_by(Scenario.published_at, Scenario.id))).all()
    names = await publisher_names(session, {s.publisher_uscc for s in rows if s.publisher_uscc})
    return [{
        "id": str(s.id), "title": s.title,
        "publisher": names.get(s.publisher_uscc) if s.publisher_uscc else s.publisher_department,
        "publisher_uscc": s.publisher_uscc, **{name: _plain(getattr(s, name)) for name in (
            "industry_chain", "kind", "sector", "cluster", "district_code", "functional_zone", "deliverable",
            "budget_min_fen", "budget_max_fen", "deadline", "status", "supplier_uscc")},
        "capability_tags": list(s.capability_tags),
    } for s in rows]


def _indicator(item: dict[str, Any]) -> str:
    """A technical indicator as the list prints it: 名称 ≥ 目标 单位."""
    sign = "≤" if item.get("comparison") == "at_most" else "≥"
    return f"{item['name']} {sign} {item['target']} {item['unit']}"


async def challenge_entries(session: AsyncSession, year: int) -> list[dict[str, Any]]:
    """The challenges on the list and running (published, not yet closed), in the order they were published."""
    rows = (await session.scalars(select(Challenge).where(Challenge.status.in_(sorted(AFTER_PUBLICATION)))
                                  .order_by(Challenge.published_at, Challenge.id))).all()
    names = await publisher_names(session, {c.issuer_uscc for c in rows if c.issuer_uscc})
    return [{
        "id": str(c.id), "title": c.title,
        "issuer": names.get(c.issuer_uscc) if c.issuer_uscc else c.issuer_department, "issuer_uscc": c.issuer_uscc,
        **{name: _plain(getattr(c, name)) for name in (
            "industry_chain", "sector", "cluster", "district_code", "bounty_total_fen", "bounty_issuer_fen",
            "bounty_public_fen", "application_deadline", "duration_months", "max_teams", "ip_ownership", "status")},
        "indicators": [_indicator(i) for i in c.indicators],
    } for c in rows]


async def flagship_park_entries(session: AsyncSession, year: int) -> list[dict[str, Any]]:
    """The platforms on the year's flagship list, as the registry's events told this service, by district."""
    rows = (await session.scalars(select(PlatformProfile).order_by(PlatformProfile.district_code,
                                                                   PlatformProfile.name,
                                                                   PlatformProfile.platform_id))).all()
    return [{"id": str(p.platform_id), "name": p.name, "platform_type": p.platform_type,
             "district_code": p.district_code, "functional_zone": p.functional_zone, "operator_name": p.operator_name}
            for p in rows if year in (p.flagship_years or [])]


ENTRIES = {ListKind.SCENARIOS: scenario_entries, ListKind.CHALLENGES: challenge_entries,
           ListKind.FLAGSHIP_PARKS: flagship_park_entries}


# --- reading -------------------------------------------------------------------------------------------------------

def _summary_fields(edition: ListEdition) -> dict[str, Any]:
    diff = edition.differences
    ref = diff.get("previous")
    return {"id": edition.id, "kind": edition.kind, "year": edition.year, "number": edition.number,
            "title": edition.title, "note": edition.note, "item_count": edition.item_count,
            "previous": schemas.EditionRef(**ref) if ref else None, "added": len(diff["added"]),
            "removed": len(diff["removed"]), "changed": len(diff["changed"]), "published_at": edition.published_at}


def summary(edition: ListEdition) -> schemas.EditionSummary:
    return schemas.EditionSummary(**_summary_fields(edition))


def read_model(edition: ListEdition) -> schemas.EditionRead:
    diff = edition.differences
    return schemas.EditionRead(**_summary_fields(edition), items=edition.items,
                               differences=schemas.Differences(added=diff["added"], removed=diff["removed"],
                                                               changed=diff["changed"]))


async def _previous(session: AsyncSession, kind: ListKind, year: int, number: int) -> ListEdition | None:
    """The edition just before (year, number) in the same list, whatever its year."""
    return await session.scalar(
        select(ListEdition).where(ListEdition.kind == kind.value,
                                  or_(ListEdition.year < year, and_(ListEdition.year == year,
                                                                    ListEdition.number < number)))
        .order_by(ListEdition.year.desc(), ListEdition.number.desc()).limit(1))


# --- use cases -----------------------------------------------------------------------------------------------------

async def publish_edition(work: Work, actor: Actor, kind: ListKind, data: schemas.EditionCreate) -> schemas.EditionRead:
    _ensure_city_wide(actor)
    year = check_edition_year(data.year, programme_today())
    async with work(actor) as uow:
        # One publication of a list at a time: the next number, and the edition the differences come from, are
        # what this one reads (the unique key would turn a lost race into a 409 rather than a gap or a repeat).
        await uow.lock("list_edition", kind.value)
        last = await uow.session.scalar(select(ListEdition.number).where(
            ListEdition.kind == kind.value, ListEdition.year == year).order_by(ListEdition.number.desc()).limit(1))
        number = (last or 0) + 1
        previous = await _previous(uow.session, kind, year, number)
        entries = await ENTRIES[kind](uow.session, year)
        diff = differences(previous.items if previous else None, entries, LABELS[kind]).as_dict()
        diff["previous"] = {"year": previous.year, "number": previous.number} if previous else None
        edition = ListEdition(kind=kind.value, year=year, number=number, title=edition_title(kind, year, number),
                              note=data.note, items=entries, item_count=len(entries), differences=diff,
                              previous_id=previous.id if previous else None, published_by=actor.principal.subject)
        uow.session.add(edition)
        await uow.flush()
        uow.audit("list_edition.publish", "list_edition", str(edition.id),
                  {"kind": kind.value, "year": year, "number": number, "items": len(entries),
                   "added": len(diff["added"]), "removed": len(diff["removed"]), "changed": len(diff["changed"])})
        read = read_model(edition)
    return read


_ORDER = (Key(ListEdition.year, cursor_int), Key(ListEdition.number, cursor_int))


async def list_editions(sessions: Sessions, kind: ListKind, *, year: int | None, limit: int,
                        cursor: str | None) -> tuple[list[schemas.EditionSummary], str | None]:
    """A list's editions, the latest first ((year, number) is unique within a list: a complete page order)."""
    query = select(ListEdition).where(ListEdition.kind == kind.value)
    if year is not None:
        query = query.where(ListEdition.year == year)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [summary(e) for e in page], next_cursor


async def get_edition(sessions: Sessions, kind: ListKind, year: int, number: int) -> ListEdition:
    async with sessions() as session:
        edition = await session.scalar(select(ListEdition).where(
            ListEdition.kind == kind.value, ListEdition.year == year, ListEdition.number == number))
    if edition is None:
        raise NotFound(f"no edition {number} of {year} of the {kind.value} list")
    return edition


# --- export --------------------------------------------------------------------------------------------------------

# The columns of each list in the spreadsheet: (entry field, heading).
COLUMNS: dict[ListKind, tuple[tuple[str, str], ...]] = {
    ListKind.SCENARIOS: (
        ("id", "编号"), ("title", "场景名称"), ("publisher", "发布单位"), ("publisher_uscc", "统一社会信用代码"),
        ("industry_chain", "产业链"), ("kind", "场景类型"), ("sector", "四业"), ("cluster", "4210产业"),
        ("district_code", "区县代码"), ("functional_zone", "功能区"), ("capability_tags", "所需能力"),
        ("deliverable", "预期成果"), ("budget_min_fen", "预算下限（分）"), ("budget_max_fen", "预算上限（分）"),
        ("deadline", "截止日期"), ("status", "状态"), ("supplier_uscc", "应用验证单位"),
    ),
    ListKind.CHALLENGES: (
        ("id", "编号"), ("title", "榜单名称"), ("issuer", "发榜单位"), ("issuer_uscc", "统一社会信用代码"),
        ("industry_chain", "产业链"), ("sector", "四业"), ("cluster", "4210产业"), ("district_code", "区县代码"),
        ("indicators", "技术指标"), ("bounty_total_fen", "榜额（分）"), ("bounty_issuer_fen", "发榜方出资（分）"),
        ("bounty_public_fen", "财政资金（分）"), ("application_deadline", "揭榜截止日期"),
        ("duration_months", "研发周期（月）"), ("max_teams", "可挂帅团队数"), ("ip_ownership", "知识产权归属"),
        ("status", "状态"),
    ),
    ListKind.FLAGSHIP_PARKS: (
        ("id", "编号"), ("name", "园区名称"), ("platform_type", "平台类型"), ("district_code", "区县代码"),
        ("functional_zone", "功能区"), ("operator_name", "运营单位"),
    ),
}
CHANGE_KINDS = {"added": "新增", "removed": "移出", "changed": "变更"}


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def edition_xlsx(edition: ListEdition) -> bytes:
    """The edition as a workbook: sheet 清单 (one row per entry, headed in Chinese) and sheet 变化 (the differences
    from the previous edition: 新增 / 移出 / 变更, a changed entry with one row per field)."""
    kind = ListKind(edition.kind)
    columns = COLUMNS[kind]
    book = Workbook()
    book.properties.title = edition.title
    entries = book.active
    entries.title = "清单"
    entries.append([heading for _, heading in columns])
    for item in edition.items:
        entries.append([_cell(item.get(name)) for name, _ in columns])
    changes = book.create_sheet("变化")
    changes.append(["变化", "编号", "名称", "字段", "原值", "新值"])
    label = LABELS[kind]
    for what in ("added", "removed"):
        for item in edition.differences[what]:
            changes.append([CHANGE_KINDS[what], item["id"], item.get(label), None, None, None])
    for item in edition.differences["changed"]:
        for field, change in item["fields"].items():
            changes.append([CHANGE_KINDS["changed"], item["id"], item.get(label), field, _cell(change["from"]),
                            _cell(change["to"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Editions never change (migration 0007 refuses an UPDATE): each process builds an edition's workbook once, off the
# event loop (1,000 entries took 0.4-0.7 s of CPU here), and keeps the latest few. Anonymous callers may ask for it.
XLSX_KEPT = 32
_workbooks: OrderedDict[uuid.UUID, bytes] = OrderedDict()


async def workbook_of(edition: ListEdition) -> bytes:
    content = _workbooks.get(edition.id)
    if content is None:
        content = await asyncio.to_thread(edition_xlsx, edition)
        _workbooks[edition.id] = content
        while len(_workbooks) > XLSX_KEPT:
            _workbooks.popitem(last=False)
    else:
        _workbooks.move_to_end(edition.id)
    return content
