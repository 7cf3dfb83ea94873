"""Support a firm received (资金支持), kept from funding's events: ``fund.disbursed`` adds a payment, ``fund.clawed_back``
a recovery; the firm's record shows them (``GET /v1/enterprises/{id}/support``) and the statistics count them.

Each handler runs in the consumer's inbox transaction, so a redelivered event applies nothing twice; the row is
keyed by funding's ledger entry key, so a movement republished under another event id (or replayed after the inbox
is purged) is recorded once too. A firm the registry does not know is skipped (logged), not retried: funding only
pays firms it learnt of from the registry, so such an event names a firm removed since.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.models import Enterprise
from services.registry.models.support import SupportReceived
from services.registry.service.access import ENTERPRISE_SCOPE, ENTERPRISES
from shared.auth import Actor
from shared.events.envelope import CloudEvent
from shared.events.funding import FundClawedBack, FundDisbursed, FundMovement
from shared.scope import DistrictScope
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]


async def _record(uow: UnitOfWork, event: CloudEvent, payload: FundMovement, kind: str) -> None:
    session = uow.session
    if await session.get(Enterprise, payload.enterprise_id) is None:
        log.warning("%s for enterprise %s: not in the registry; skipped", event.type, payload.enterprise_id)
        return
    if await session.scalar(select(SupportReceived.id).where(SupportReceived.entry_key == payload.entry_key)):
        return  # recorded already under another event id
    row = SupportReceived(enterprise_id=payload.enterprise_id, entry_key=payload.entry_key, kind=kind,
                          amount_fen=payload.amount_fen, application_id=payload.application_id,
                          programme_id=payload.programme_id, programme_name=payload.programme_name[:200],
                          instrument=payload.instrument, issuer=payload.issuer[:100],
                          project_title=payload.project_title[:200], moved_on=payload.on, source_event_id=event.id)
    session.add(row)
    await uow.flush()
    uow.audit(f"support.{kind}", "enterprise", str(payload.enterprise_id),
              {"support_received_id": str(row.id), "amount_fen": payload.amount_fen, "entry_key": payload.entry_key,
               "programme": payload.programme_name})


async def on_fund_disbursed(uow: UnitOfWork, event: CloudEvent) -> None:
    await _record(uow, event, event.payload(FundDisbursed), "disbursed")


async def on_fund_clawed_back(uow: UnitOfWork, event: CloudEvent) -> None:
    await _record(uow, event, event.payload(FundClawedBack), "clawed_back")


HANDLERS = {FundDisbursed.event_type: on_fund_disbursed, FundClawedBack.event_type: on_fund_clawed_back}


# --- reads ---------------------------------------------------------------------------------------------------------

def _net() -> Any:
    return func.coalesce(func.sum(case((SupportReceived.kind == "disbursed", SupportReceived.amount_fen),
                                       else_=-SupportReceived.amount_fen)), 0)


async def support_of(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID) -> dict[str, Any]:
    """The firm's support: every movement (a firm has tens, not thousands), and the totals by programme."""
    async with sessions() as session:
        await ENTERPRISES.get(session, actor, enterprise_id)
        rows = (await session.scalars(select(SupportReceived).where(SupportReceived.enterprise_id == enterprise_id)
                                      .order_by(SupportReceived.moved_on, SupportReceived.recorded_at))).all()
    disbursed = sum(r.amount_fen for r in rows if r.kind == "disbursed")
    clawed_back = sum(r.amount_fen for r in rows if r.kind == "clawed_back")
    programmes: dict[uuid.UUID, dict[str, Any]] = {}
    for r in rows:
        entry = programmes.setdefault(r.programme_id, {"programme_id": r.programme_id, "programme_name": r.programme_name,
                                                       "instrument": r.instrument, "issuer": r.issuer, "net_fen": 0})
        entry["net_fen"] += r.amount_fen if r.kind == "disbursed" else -r.amount_fen
    return {"enterprise_id": enterprise_id, "disbursed_fen": disbursed, "clawed_back_fen": clawed_back,
            "net_fen": disbursed - clawed_back, "programmes": list(programmes.values()),
            "movements": rows}


async def support_statistics(sessions: Sessions, actor: Actor, district_code: str | None = None) -> dict[str, Any]:
    """Support received by the firms the caller may read: net fen and firms supported, by instrument and district."""
    scope = DistrictScope(ENTERPRISE_SCOPE, Enterprise.district_code, actor, district_code)
    async with sessions() as session:
        base = select(Enterprise.district_code, SupportReceived.instrument, _net().label("net_fen"),
                      func.count(func.distinct(SupportReceived.enterprise_id)).label("firms")).join(
            Enterprise, Enterprise.id == SupportReceived.enterprise_id)
        rows = (await session.execute(scope.apply(base).group_by(Enterprise.district_code, SupportReceived.instrument)
                                      .order_by(Enterprise.district_code, SupportReceived.instrument))).all()
        totals = (await session.execute(scope.apply(
            select(_net(), func.count(func.distinct(SupportReceived.enterprise_id))).join(
                Enterprise, Enterprise.id == SupportReceived.enterprise_id)))).one()
    return {"net_fen": int(totals[0] or 0), "firms_supported": int(totals[1] or 0),
            "groups": [{"district_code": r.district_code, "instrument": r.instrument, "net_fen": int(r.net_fen),
                        "firms": int(r.firms)} for r in rows]}
