"""Reports per institute and year (domain.royalties.yearly_figures): income received, licences that took effect by
mode, firms reached, equity contributions registered; as JSON or an XLSX workbook. An institute reads its own row;
admins, officers and services read every institute's."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.licensing.domain.royalties import LicenceFact, PaymentFact, yearly_figures
from services.licensing.models import EquityContribution, Licence, Patent, Payment
from services.licensing.schemas import reports as schemas
from shared.auth import Actor, Role
from shared.errors import PermissionDenied

Sessions = async_sessionmaker[AsyncSession]

MODE_NAMES = {"transfer": "转让", "exclusive": "独占许可", "sole": "排他许可", "ordinary": "普通许可",
              "open": "开放许可", "trial": "先用后转"}


async def institute_report(sessions: Sessions, actor: Actor, *, year: int,
                           institute_id: str | None) -> schemas.InstituteReport:
    if actor.principal.role == Role.INSTITUTE:
        if institute_id not in (None, actor.principal.institute_id):
            raise PermissionDenied("an institute reads its own report", field="institute_id")
        institute_id = actor.principal.institute_id or ""
    first, last = date(year, 1, 1), date(year, 12, 31)
    async with sessions() as session:
        licences = select(Licence.institute_id, Licence.kind, Licence.licensee_uscc, Licence.effective_on).where(
            Licence.effective_on.between(first, last))
        payments = select(Payment.institute_id, Payment.paid_on, Payment.amount_fen).where(
            Payment.paid_on.between(first, last))
        equity = select(EquityContribution.institute_id).where(and_(
            EquityContribution.registered_on.between(first, last)))
        names = select(Patent.institute_id, Patent.holder_name).distinct()
        if institute_id is not None:
            licences = licences.where(Licence.institute_id == institute_id)
            payments = payments.where(Payment.institute_id == institute_id)
            equity = equity.where(EquityContribution.institute_id == institute_id)
            names = names.where(Patent.institute_id == institute_id)
        figures = yearly_figures([LicenceFact(*row) for row in (await session.execute(licences)).all()],
                                 [PaymentFact(*row) for row in (await session.execute(payments)).all()], year)
        registered: dict[str, int] = {}
        for (owner,) in (await session.execute(equity)).all():
            registered[owner] = registered.get(owner, 0) + 1
        holder_names = dict((await session.execute(names)).all())
    by_institute = {f.institute_id: f.as_dict() for f in figures}
    for owner in registered:
        by_institute.setdefault(owner, {"institute_id": owner, "year": year, "income_fen": 0, "payments": 0,
                                        "licences_by_mode": {}, "licences": 0, "firms_reached": 0})
    rows = [schemas.InstituteYear(**values, holder_name=holder_names.get(key),  # type: ignore[arg-type]
                                  equity_registered=registered.get(key, 0))
            for key, values in sorted(by_institute.items())]
    modes: dict[str, int] = {}
    for row in rows:
        for mode, count in row.licences_by_mode.items():
            modes[mode] = modes.get(mode, 0) + count
    total = schemas.InstituteYear(
        institute_id="*", holder_name="合计", year=year, income_fen=sum(r.income_fen for r in rows),
        payments=sum(r.payments for r in rows), licences=sum(r.licences for r in rows),
        licences_by_mode=dict(sorted(modes.items())),
        # A firm licensed by two institutes is one firm reached: counted again over all the rows.
        firms_reached=len({f for fig in figures for f in fig.firms_reached}),
        equity_registered=sum(registered.values()))
    return schemas.InstituteReport(year=year, rows=rows, total=total)


def workbook(report: schemas.InstituteReport) -> bytes:
    """One sheet: a header in Chinese, a row per institute, then the total; a column per licence mode. Money in fen,
    as everywhere in the API."""
    modes = [m for m in MODE_NAMES if m in report.total.licences_by_mode]
    book = Workbook()
    sheet = book.active
    sheet.title = f"{report.year}年成果转化"
    sheet.append(["机构账号", "机构名称", "年度", "收入(分)", "付款笔数", "许可/转让数", *(MODE_NAMES[m] for m in modes),
                  "覆盖企业数", "作价入股登记数"])
    for row in [*report.rows, report.total]:
        sheet.append([row.institute_id, row.holder_name or "", row.year, row.income_fen, row.payments, row.licences,
                      *(row.licences_by_mode.get(m, 0) for m in modes), row.firms_reached, row.equity_registered])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
