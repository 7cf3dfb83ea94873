"""Usage and voucher reports of the innovation-resource pool (创新要素供给池), per provider, district and sector, as
JSON and as an XLSX workbook.

Each report reads only the rows its caller may read (the bookings', vouchers' and redemptions' scopes): an officer
sees the bookings of resources in its districts and the vouchers of firms there, a provider its own resources, an
admin or a service everything. District and sector are the firm's, as funding knew it when it booked or was issued
the voucher; a firm funding had no profile of counts under "未知".
"""

from __future__ import annotations

import io
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain.resources import ResourceKind
from services.funding.models import Booking, FundingRound, Voucher, VoucherRedemption
from services.funding.schemas import resource_reports as schemas
from services.funding.service.bookings import BOOKING_SCOPE
from services.funding.service.vouchers import VOUCHER_SCOPE
from shared.auth import Actor, Role
from shared.classification import SECTORS
from shared.clock import PROGRAMME_ZONE
from shared.errors import InvalidInput
from shared.ids import HUZHOU_DISTRICTS
from shared.scope import EVERYWHERE, InDistrict, OnPlatform, OwnInstitute, ScopeRule

Sessions = async_sessionmaker[AsyncSession]

# A redemption is read by the parties of its booking (service.bookings.BOOKING_SCOPE), through its own columns.
REDEMPTION_SCOPE = ScopeRule(
    noun="redemption",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(VoucherRedemption.district_code),
             Role.INSTITUTE: OwnInstitute(VoucherRedemption.owner_institute_id),
             Role.PARK_OPERATOR: OnPlatform(VoucherRedemption.owner_platform_id)},
    managers={},
)

UNKNOWN = "未知"
KIND_LABELS = {ResourceKind.INSTRUMENT: "大型科学仪器", ResourceKind.FACILITY: "科研设施", ResourceKind.TESTING_SERVICE: "检验检测服务",
               ResourceKind.DATA_SET: "数据集", ResourceKind.COMPUTE: "算力"}


def _label(by: str, key: str | None, rounds: dict[str, str] | None = None) -> str:
    if key is None:
        return UNKNOWN
    if by == "district":
        return HUZHOU_DISTRICTS.get(key, key)
    if by == "sector":
        return SECTORS.get(key, key)
    if by == "kind":
        return KIND_LABELS.get(key, key)  # type: ignore[call-overload]
    if by == "round" and rounds is not None:
        return rounds.get(key, key)
    return key


def _span(first_day: date | None, last_day: date | None) -> tuple[datetime | None, datetime | None]:
    """The civil dates as instants: [first day 00:00, the day after the last 00:00) in Huzhou."""
    if first_day is not None and last_day is not None and last_day < first_day:
        raise InvalidInput(f"the span ends on {last_day} before it starts on {first_day}", field="to")
    start = datetime.combine(first_day, time(0), PROGRAMME_ZONE) if first_day else None
    end = datetime.combine(last_day + timedelta(days=1), time(0), PROGRAMME_ZONE) if last_day else None
    return start, end


def _within(column: Any, start: Any, end: Any) -> list[ColumnElement[bool]]:
    return [c for c in ((column >= start) if start is not None else None,
                        (column < end) if end is not None else None) if c is not None]


# --- usage --------------------------------------------------------------------------------------------------------

_USAGE_KEY = {"provider": Booking.provider_name, "district": Booking.enterprise_district_code,
              "sector": Booking.enterprise_sector, "kind": Booking.resource_kind}


@dataclass
class _Usage:
    bookings: int = 0
    delivered: int = 0
    cancelled: int = 0
    seconds: float = 0
    fee_fen: int = 0
    voucher_paid_fen: int = 0
    firms: set[str] = field(default_factory=set)

    def row(self, key: str | None, label: str) -> schemas.UsageRow:
        return schemas.UsageRow(key=key, label=label, bookings=self.bookings, delivered=self.delivered,
                                cancelled=self.cancelled, hours=int(self.seconds // 3600), fee_fen=self.fee_fen,
                                voucher_paid_fen=self.voucher_paid_fen, firms=len(self.firms))


async def usage_report(sessions: Sessions, actor: Actor, *, by: str, first_day: date | None,
                       last_day: date | None) -> schemas.UsageReport:
    start, end = _span(first_day, last_day)
    key = _USAGE_KEY[by].label("key")
    query = (select(key, Booking.id, Booking.status, Booking.starts_at, Booking.ends_at, Booking.fee_fen,
                    Booking.enterprise_uscc)
             .where(BOOKING_SCOPE.readable(actor), *_within(Booking.starts_at, start, end)))
    async with sessions() as session:
        rows = (await session.execute(query)).all()
        paid = dict((await session.execute(
            select(VoucherRedemption.booking_id, func.sum(VoucherRedemption.amount_fen))
            .join(Booking, Booking.id == VoucherRedemption.booking_id)
            .where(BOOKING_SCOPE.readable(actor), *_within(Booking.starts_at, start, end))
            .group_by(VoucherRedemption.booking_id))).all())
    groups: dict[str | None, _Usage] = defaultdict(_Usage)
    total = _Usage()
    for row in rows:
        for usage in (groups[row.key], total):
            if row.status == "cancelled":
                usage.cancelled += 1
                continue
            usage.bookings += 1
            usage.delivered += row.status == "delivered"
            usage.seconds += (row.ends_at - row.starts_at).total_seconds()
            usage.fee_fen += row.fee_fen
            usage.voucher_paid_fen += int(paid.get(row.id, 0))
            usage.firms.add(row.enterprise_uscc)
    ordered = sorted(groups.items(), key=lambda item: (-item[1].fee_fen, item[0] or "\uffff"))
    return schemas.UsageReport(by=by, first_day=first_day, last_day=last_day,
                               rows=[usage.row(k, _label(by, k)) for k, usage in ordered],
                               total=total.row(None, "合计"))


# --- vouchers -----------------------------------------------------------------------------------------------------

_ISSUED_KEY = {"district": Voucher.enterprise_district_code, "sector": Voucher.enterprise_sector,
               "round": Voucher.round_id}
_REDEEMED_KEY = {"provider": VoucherRedemption.provider_name, "district": VoucherRedemption.enterprise_district_code,
                 "sector": VoucherRedemption.enterprise_sector, "round": VoucherRedemption.round_id}


@dataclass
class _Vouchers:
    vouchers_issued: int = 0
    issued_fen: int = 0
    released_fen: int = 0
    redemptions: int = 0
    redeemed_fen: int = 0
    firms: set[str] = field(default_factory=set)

    def row(self, key: str | None, label: str) -> schemas.VoucherRow:
        return schemas.VoucherRow(key=key, label=label, vouchers_issued=self.vouchers_issued,
                                  issued_fen=self.issued_fen, released_fen=self.released_fen,
                                  redemptions=self.redemptions, redeemed_fen=self.redeemed_fen, firms=len(self.firms))


def _key(value: Any) -> str | None:
    return None if value is None else str(value)


async def voucher_report(sessions: Sessions, actor: Actor, *, by: str, first_day: date | None,
                         last_day: date | None) -> schemas.VoucherReport:
    _span(first_day, last_day)
    groups: dict[str | None, _Vouchers] = defaultdict(_Vouchers)
    total = _Vouchers()
    async with sessions() as session:
        if by in _ISSUED_KEY:  # a voucher names no provider: per provider, only redemptions count
            issued = await session.execute(
                select(_ISSUED_KEY[by].label("key"), Voucher.face_value_fen, Voucher.released_fen)
                .where(VOUCHER_SCOPE.readable(actor), *_within(Voucher.issued_on, first_day, _after(last_day))))
            for row in issued:
                for tally in (groups[_key(row.key)], total):
                    tally.vouchers_issued += 1
                    tally.issued_fen += row.face_value_fen
                    tally.released_fen += row.released_fen
        redeemed = await session.execute(
            select(_REDEEMED_KEY[by].label("key"), VoucherRedemption)
            .where(REDEMPTION_SCOPE.readable(actor),
                   *_within(VoucherRedemption.service_date, first_day, _after(last_day)))
            .order_by(VoucherRedemption.service_date, VoucherRedemption.created_at, VoucherRedemption.id))
        lines = []
        for key, redemption in redeemed:
            for tally in (groups[_key(key)], total):
                tally.redemptions += 1
                tally.redeemed_fen += redemption.amount_fen
                tally.firms.add(redemption.enterprise_uscc)
            lines.append(schemas.RedemptionLine.model_validate(redemption, from_attributes=True))
        rounds = await _round_names(session, [k for k in groups if k is not None]) if by == "round" else None
    ordered = sorted(groups.items(), key=lambda item: (-item[1].redeemed_fen, -item[1].issued_fen,
                                                       item[0] or "\uffff"))
    return schemas.VoucherReport(by=by, first_day=first_day, last_day=last_day,
                                 rows=[tally.row(k, _label(by, k, rounds)) for k, tally in ordered],
                                 total=total.row(None, "合计"), redemptions=lines)


def _after(last_day: date | None) -> date | None:
    return None if last_day is None else last_day + timedelta(days=1)


async def _round_names(session: AsyncSession, ids: Iterable[str]) -> dict[str, str]:
    wanted = [uuid.UUID(i) for i in ids]
    if not wanted:
        return {}
    rows = await session.execute(select(FundingRound.id, FundingRound.name).where(FundingRound.id.in_(wanted)))
    return {str(i): name for i, name in rows}


# --- workbooks ----------------------------------------------------------------------------------------------------

USAGE_COLUMNS = (("key", "代码"), ("label", "名称"), ("bookings", "预约数"), ("delivered", "已完成"),
                 ("cancelled", "已取消"), ("hours", "机时（小时）"), ("fee_fen", "服务费（分）"),
                 ("voucher_paid_fen", "创新券支付（分）"), ("firms", "企业数"))
VOUCHER_COLUMNS = (("key", "代码"), ("label", "名称"), ("vouchers_issued", "发放张数"), ("issued_fen", "发放金额（分）"),
                   ("released_fen", "收回金额（分）"), ("redemptions", "兑付笔数"), ("redeemed_fen", "兑付金额（分）"),
                   ("firms", "企业数"))
REDEMPTION_COLUMNS = (("service_date", "服务日期"), ("voucher_id", "创新券"), ("booking_id", "预约"),
                      ("enterprise_uscc", "企业统一社会信用代码"), ("provider_name", "服务机构"), ("resource_kind", "资源类型"),
                      ("amount_fen", "兑付金额（分）"), ("evidence", "服务凭证"))
BY_NAMES = {"provider": "服务机构", "district": "区县", "sector": "行业", "kind": "资源类型", "round": "批次"}


def workbook(report: schemas.UsageReport | schemas.VoucherReport) -> bytes:
    """One sheet: the span and dimension in its first rows, a header in Chinese, a row per group, then the total.
    Money stays in fen (integers), as everywhere in the API."""
    usage = isinstance(report, schemas.UsageReport)
    columns = USAGE_COLUMNS if usage else VOUCHER_COLUMNS
    book = Workbook()
    sheet = book.active
    sheet.title = "资源使用" if usage else "创新券"
    sheet.append(["统计维度", BY_NAMES[report.by]])
    sheet.append(["起止日期", report.first_day.isoformat() if report.first_day else "",
                  report.last_day.isoformat() if report.last_day else ""])
    sheet.append([heading for _, heading in columns])
    for row in [*report.rows, report.total]:
        values = row.model_dump()
        sheet.append([values[name] for name, _ in columns])
    if not usage:
        # The redemptions one by one, with the provider's evidence of delivery (text cells: never a formula).
        detail = book.create_sheet("兑付明细")
        detail.append([heading for _, heading in REDEMPTION_COLUMNS])
        for line in report.redemptions:  # type: ignore[union-attr]
            values = line.model_dump(mode="json")
            detail.append([values[name] for name, _ in REDEMPTION_COLUMNS])
            evidence = detail.cell(row=detail.max_row, column=len(REDEMPTION_COLUMNS))
            if isinstance(evidence.value, str) and evidence.value.startswith("="):
                evidence.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
