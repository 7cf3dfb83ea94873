"""IP a firm gains through licensing (licence, transfer, 先用后转 conversion, 作价入股), kept from licensing's events:
the firm's IP holdings change and its evaluations are re-run, so a firm that takes a patent can move up the ladder.

* ``licence.granted`` — a licence (exclusive, sole, ordinary, open) adds the patent as ``licensed_in``; a transfer
  as ``transferred_in``. A free trial (先用后转) adds nothing: it is conditional and not yet a conversion (REFERENCE
  §6.2).
* ``licence.converted`` — a trial converted into a transfer adds ``transferred_in``, into a licence ``licensed_in``;
  into equity, nothing yet (``equity.registered`` follows).
* ``licence.lapsed`` / ``licence.terminated`` — a licence that ends removes the ``licensed_in`` holding it brought
  (a transfer, once registered, is the firm's and stays).
* ``equity.registered`` — the company the patent was contributed to holds it, ``transferred_in``.

How each rule set counts the holding (Ⅰ类/Ⅱ类 by the patent's type, acquired rather than self-developed, a transfer
less than a year old not yet, a licence at all) is the evaluation engine's (domain.evaluation.ip). A firm licensing
does not know is skipped (logged), not retried: licensing only checks its own copy of the registry's firms. Each
handler runs in the consumer's inbox transaction, so a redelivered event applies nothing twice; the holding itself
is keyed by (firm, patent number), so a replay after the inbox is purged finds it in place.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from sqlalchemy import select

from services.registry.domain.figures import AcquisitionMethod, IpKind
from services.registry.models import Enterprise
from services.registry.models.figures import IpHolding
from services.registry.service.evaluations import reevaluate_enterprise
from shared.events.envelope import CloudEvent
from shared.events.licensing import (
    EquityRegistered,
    LicenceConverted,
    LicenceGranted,
    LicenceLapsed,
    LicenceState,
    LicenceTerminated,
)
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

KIND_OF_PATENT = {"invention": IpKind.INVENTION_PATENT, "utility_model": IpKind.UTILITY_MODEL,
                  "design": IpKind.DESIGN_PATENT}


async def _enterprise_id(uow: UnitOfWork, uscc: str, event: CloudEvent) -> uuid.UUID | None:
    found = (await uow.session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc))).scalar_one_or_none()
    if found is None:
        log.warning("%s for %s: no such enterprise in the registry; skipped", event.type, uscc)
    return found


async def _gain(uow: UnitOfWork, event: CloudEvent, *, uscc: str, reference: str, patent_type: str, title: str,
                granted_on: date | None, acquisition: AcquisitionMethod, acquired_on: date | None) -> None:
    enterprise_id = await _enterprise_id(uow, uscc, event)
    if enterprise_id is None:
        return
    holding = (await uow.session.scalars(select(IpHolding).where(
        IpHolding.enterprise_id == enterprise_id, IpHolding.reference == reference))).first()
    values = {"kind": KIND_OF_PATENT[patent_type].value, "title": title[:300], "granted_on": granted_on,
              "acquisition": acquisition.value, "acquired_on": acquired_on, "in_force": True}
    if holding is None:
        holding = IpHolding(enterprise_id=enterprise_id, reference=reference, **values)
        uow.session.add(holding)
        action = "ip_holding.acquired"
    else:
        if holding.acquisition == AcquisitionMethod.TRANSFERRED_IN.value \
                and acquisition is AcquisitionMethod.LICENSED_IN:
            return  # the firm owns it already: a licence adds nothing
        for name, value in values.items():
            setattr(holding, name, value)
        holding.version += 1
        action = "ip_holding.acquisition_changed"
    await uow.flush()
    uow.audit(action, "ip_holding", str(enterprise_id), {
        "ip_holding_id": str(holding.id), "reference": reference, "acquisition": acquisition.value,
        "acquired_on": acquired_on.isoformat() if acquired_on else None, "source_event": event.type})
    await reevaluate_enterprise(uow, enterprise_id, causation_id=event.id)


async def _lose(uow: UnitOfWork, event: CloudEvent, payload: LicenceState) -> None:
    enterprise_id = await _enterprise_id(uow, payload.licensee_uscc, event)
    if enterprise_id is None:
        return
    holding = (await uow.session.scalars(select(IpHolding).where(
        IpHolding.enterprise_id == enterprise_id, IpHolding.reference == payload.patent_number,
        IpHolding.acquisition == AcquisitionMethod.LICENSED_IN.value))).first()
    if holding is None:
        return
    await uow.session.delete(holding)
    await uow.flush()
    uow.audit("ip_holding.licence_ended", "ip_holding", str(enterprise_id),
              {"ip_holding_id": str(holding.id), "reference": payload.patent_number, "source_event": event.type})
    await reevaluate_enterprise(uow, enterprise_id, causation_id=event.id)


async def on_licence_granted(uow: UnitOfWork, event: CloudEvent) -> None:
    payload = event.payload(LicenceGranted)
    if payload.kind == "trial":
        return
    acquisition = AcquisitionMethod.TRANSFERRED_IN if payload.kind == "transfer" else AcquisitionMethod.LICENSED_IN
    await _gain(uow, event, uscc=payload.licensee_uscc, reference=payload.patent_number,
                patent_type=payload.patent_type, title=payload.patent_title, granted_on=payload.patent_granted_on,
                acquisition=acquisition, acquired_on=payload.effective_on or payload.term_start)


async def on_licence_converted(uow: UnitOfWork, event: CloudEvent) -> None:
    payload = event.payload(LicenceConverted)
    acquisition = {"transfer": AcquisitionMethod.TRANSFERRED_IN,
                   "licence": AcquisitionMethod.LICENSED_IN}.get(payload.conversion_mode or "")
    if acquisition is None:
        return  # equity: the company gains it when the contribution is registered
    await _gain(uow, event, uscc=payload.licensee_uscc, reference=payload.patent_number,
                patent_type=payload.patent_type, title=payload.patent_title, granted_on=payload.patent_granted_on,
                acquisition=acquisition, acquired_on=payload.converted_on)


async def on_licence_ended(uow: UnitOfWork, event: CloudEvent) -> None:
    payload = event.payload(LicenceLapsed if event.type == LicenceLapsed.event_type else LicenceTerminated)
    await _lose(uow, event, payload)


async def on_equity_registered(uow: UnitOfWork, event: CloudEvent) -> None:
    payload = event.payload(EquityRegistered)
    await _gain(uow, event, uscc=payload.target_uscc, reference=payload.patent_number,
                patent_type=payload.patent_type, title=payload.patent_title, granted_on=payload.patent_granted_on,
                acquisition=AcquisitionMethod.TRANSFERRED_IN, acquired_on=payload.registered_on)


HANDLERS = {
    LicenceGranted.event_type: on_licence_granted,
    LicenceConverted.event_type: on_licence_converted,
    LicenceLapsed.event_type: on_licence_ended,
    LicenceTerminated.event_type: on_licence_ended,
    EquityRegistered.event_type: on_equity_registered,
}
