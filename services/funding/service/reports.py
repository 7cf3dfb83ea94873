"""Funding reports: budget use per programme, round, district and tier, and the open award data (360Giving-like,
docs/open-award-data.md) as JSON pages and as an XLSX workbook.

Budget by programme and round comes from the rounds' ledger sums (what the ledger holds, reconciled); by district and
tier from the awards: a firm's district and tiers as recorded when it applied (an automatic award: when it was
made), so that a firm moving later does not move last year's money. A firm holding several tiers counts under
each: tier groups add up to more than the total. Officers see their districts' numbers (and the rounds they read).
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain.applications import ApplicationStatus as S
from services.funding.domain.money import yuan
from services.funding.models import Application, FundingRound, FundPool, Programme
from services.funding.schemas import reports as schemas
from services.funding.service.applications import APPLICATION_SCOPE
from services.funding.service.ledger import BALANCE_FIELDS, LEDGER_SCOPE, balance_of
from shared.auth import Actor
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate

Sessions = async_sessionmaker[AsyncSession]

# Awards that stand or stood: approved and after (a clawed-back award still shows what was paid and recovered).
AWARDED = [s.value for s in (S.APPROVED, S.AGREEMENT, S.DISBURSING, S.CLOSED, S.CLAWED_BACK)]
MONEY = ("committed_fen", "disbursed_fen", "released_fen", "clawed_back_fen")


def _ledger_group(key: str | None, label: str | None, sums: dict[str, int]) -> schemas.BudgetGroup:
    reserved = sums["committed"] + sums["voucher_issued"] - sums["disbursed"] - sums["voucher_redeemed"] - \
        sums["released"]
    paid = sums["disbursed"] + sums["voucher_redeemed"]
    return schemas.BudgetGroup(key=key, label=label, budget_fen=sums["allocated"], committed_fen=sums["committed"],
                               disbursed_fen=sums["disbursed"], released_fen=sums["released"],
                               clawed_back_fen=sums["clawed_back"], voucher_issued_fen=sums["voucher_issued"],
                               voucher_redeemed_fen=sums["voucher_redeemed"],
                               available_fen=sums["allocated"] - reserved - paid, awards=None, firms=None)


async def _by_ledger(session: AsyncSession, actor: Actor, by: str) -> schemas.BudgetUseRead:
    rows = (await session.execute(select(FundingRound, Programme.name).join(
        Programme, Programme.id == FundingRound.programme_id).where(LEDGER_SCOPE.readable(actor))
        .order_by(Programme.name, FundingRound.name, FundingRound.id))).all()
    groups: dict[str, tuple[str, dict[str, int]]] = {}
    totals: dict[str, int] = dict.fromkeys(BALANCE_FIELDS, 0)
    for round_, programme_name in rows:
        key, label = (str(round_.programme_id), programme_name) if by == "programme" else (
            str(round_.id), f"{programme_name} · {round_.name}")
        sums = groups.setdefault(key, (label, dict.fromkeys(BALANCE_FIELDS, 0)))[1]
        balance = balance_of(round_)
        for name in BALANCE_FIELDS:
            sums[name] += getattr(balance, name)
            totals[name] += getattr(balance, name)
    return schemas.BudgetUseRead(by=by, groups=[_ledger_group(k, label, sums) for k, (label, sums) in groups.items()],
                                 totals=_ledger_group(None, None, totals))


async def _by_awards(session: AsyncSession, actor: Actor, by: str) -> schemas.BudgetUseRead:
    rows = (await session.execute(select(
        Application.enterprise_id, Application.district_code, Application.held_tiers, Application.approved_fen,
        Application.disbursed_fen, Application.released_fen, Application.clawed_back_fen)
        .where(APPLICATION_SCOPE.readable(actor), Application.status.in_(AWARDED)))).all()
    sums: dict[str | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MONEY, 0))
    firms: dict[str | None, set[Any]] = defaultdict(set)
    awards: dict[str | None, int] = defaultdict(int)
    totals = dict.fromkeys(MONEY, 0)
    for row in rows:
        keys: list[str | None] = [row.district_code] if by == "district" else (sorted(row.held_tiers) or [None])
        amounts = {"committed_fen": row.approved_fen or 0, "disbursed_fen": row.disbursed_fen,
                   "released_fen": row.released_fen, "clawed_back_fen": row.clawed_back_fen}
        for key in keys:
            for name, value in amounts.items():
                sums[key][name] += value
            firms[key].add(row.enterprise_id)
            awards[key] += 1
        for name, value in amounts.items():
            totals[name] += value

    def group(key: str | None, values: dict[str, int], n: int, f: int) -> schemas.BudgetGroup:
        return schemas.BudgetGroup(key=key, label=None, budget_fen=None, available_fen=None, awards=n, firms=f,
                                   **values)

    ordered = sorted(sums, key=lambda k: (k is None, k or ""))
    return schemas.BudgetUseRead(
        by=by, groups=[group(k, sums[k], awards[k], len(firms[k])) for k in ordered],
        totals=group(None, totals, len(rows), len({r.enterprise_id for r in rows})))


async def budget_use(sessions: Sessions, actor: Actor, by: str) -> schemas.BudgetUseRead:
    async with sessions() as session:
        if by in ("programme", "round"):
            return await _by_ledger(session, actor, by)
        return await _by_awards(session, actor, by)


# --- open award data -------------------------------------------------------------------------------------------------

def _open_query(year: int | None) -> Any:
    # The page's keys as labelled columns: a row of four entities has no ``created_at`` of its own.
    query = select(Application, Programme, FundingRound, FundPool, Application.created_at.label("award_created_at"),
                   Application.id.label("award_id")).join(
        Programme, Programme.id == Application.programme_id).join(
        FundingRound, FundingRound.id == Application.round_id).join(
        FundPool, FundPool.id == Programme.pool_id).where(Application.status.in_(AWARDED))
    if year is not None:
        query = query.where(Application.approved_on >= date(year, 1, 1), Application.approved_on <= date(year, 12, 31))
    return query


def open_award(app: Application, programme: Programme, round_: FundingRound, pool: FundPool) -> schemas.OpenAward:
    amount = app.approved_fen or 0
    return schemas.OpenAward(
        id=f"seedbed-huzhou-{app.id}", award_id=app.id, title=app.project_title,
        amount_awarded=yuan(amount).removesuffix("元"), amount_awarded_fen=amount,
        amount_disbursed_fen=app.disbursed_fen, amount_clawed_back_fen=app.clawed_back_fen,
        award_date=app.approved_on or app.created_at.date(), award_mode=app.origin, status=app.status,
        recipient_organization=[schemas.OrganisationRef(id=f"CN-USCC-{app.uscc}", name=app.enterprise_name,
                                                        district_code=app.district_code)],
        funding_organization=[schemas.FunderRef(name=pool.issuer, level=pool.issuer_level)],
        grant_programme=[schemas.ProgrammeRef(code=str(programme.id), title=programme.name,
                                              instrument=programme.instrument, round_id=str(round_.id),
                                              round_title=round_.name)],
        date_modified=app.updated_at)


_OPEN_ORDER = (Key(Application.created_at, cursor_datetime, "award_created_at"),
               Key(Application.id, cursor_uuid, "award_id"))


async def open_awards(sessions: Sessions, *, limit: int, cursor: str | None,
                      year: int | None) -> tuple[list[schemas.OpenAward], str | None]:
    """Awards as open data (公示), newest first: no token needed, nothing personal (a firm and its USCC are public
    registry facts; people are never named)."""
    async with sessions() as session:
        rows, next_cursor = await paginate(session, _open_query(year), keys=_OPEN_ORDER, limit=limit, cursor=cursor,
                                           descending=True)
    return [open_award(*row[:4]) for row in rows], next_cursor


XLSX_COLUMNS = (("id", "标识 id"), ("title", "项目名称 title"), ("recipient", "受资助企业 recipientOrganization"),
                ("uscc", "统一社会信用代码"), ("district", "区县 districtCode"), ("funder", "资助方 fundingOrganization"),
                ("programme", "资金项目 grantProgramme"), ("instrument", "方式 instrument"), ("round", "批次 round"),
                ("amount", "资助金额（元）amountAwarded"), ("amount_fen", "资助金额（分）amountAwardedFen"),
                ("disbursed_fen", "已拨付（分）amountDisbursedFen"), ("clawed_back_fen", "已追回（分）amountClawedBackFen"),
                ("date", "资助日期 awardDate"), ("mode", "方式 awardMode"), ("status", "状态 status"))


async def open_awards_xlsx(sessions: Sessions, *, year: int) -> bytes:
    """One year's awards as a workbook (sheet 资助公示), the same fields as the JSON."""
    async with sessions() as session:
        rows = (await session.execute(_open_query(year).order_by(Application.approved_on, Application.id))).all()
    book = Workbook()
    sheet = book.active
    sheet.title = "资助公示"
    sheet.append([heading for _, heading in XLSX_COLUMNS])
    for row in rows:
        award = open_award(*row[:4])
        recipient = award.recipient_organization[0]
        values = {"id": award.id, "title": award.title, "recipient": recipient.name,
                  "uscc": recipient.id.removeprefix("CN-USCC-"), "district": recipient.district_code,
                  "funder": award.funding_organization[0].name, "programme": award.grant_programme[0].title,
                  "instrument": award.grant_programme[0].instrument, "round": award.grant_programme[0].round_title,
                  "amount": award.amount_awarded, "amount_fen": award.amount_awarded_fen,
                  "disbursed_fen": award.amount_disbursed_fen, "clawed_back_fen": award.amount_clawed_back_fen,
                  "date": award.award_date, "mode": award.award_mode, "status": award.status}
        sheet.append([values[name] for name, _ in XLSX_COLUMNS])
        for cell in sheet[sheet.max_row]:
            # A title that starts with "=" is text, never a formula a spreadsheet would run (formula injection).
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
