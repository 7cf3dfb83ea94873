"""Payloads of the events the licensing service publishes (``seedbed.licensing.*``).

Event-carried state: a patent's events carry what matching indexes (title, abstract, IPC classes, holder, the modes
offered); a licence's carry what the registry needs to count the IP a firm gained (the licensee's USCC, the
patent's number, type, title and grant date, the kind of right and when it holds). Inventors' and contacts' personal
data never travel. Money in fen (分).
"""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.catalog import LICENSING_EQUITY, LICENSING_LICENCE, LICENSING_PATENT
from shared.events.envelope import EventPayload, register_event


class PatentState(EventPayload):
    """A patent as the list shows it, as of the event."""

    patent_id: uuid.UUID
    application_number: str  # canonical, e.g. 202110182616.5
    patent_number: str  # 专利号: ZL + the application number
    patent_type: str  # invention | utility_model | design
    title: str
    abstract: str
    ipc_classes: list[str] = []
    holder_institute_id: str
    holder_name: str
    legal_status: str
    granted_on: date | None = None
    modes_offered: list[str] = []
    open_licence: bool = False  # an open-licence declaration is in force
    version: int | None = None


@register_event
class PatentListed(PatentState):
    """A patent went on the list (挂牌), or its listing changed (modes offered, open licence): the state is whole."""

    event_type = "seedbed.licensing.patent.listed.v1"
    topic = LICENSING_PATENT.name


@register_event
class PatentDelisted(PatentState):
    """A patent left the list (withdrawn by its holder, transferred, or no longer in force)."""

    event_type = "seedbed.licensing.patent.delisted.v1"
    topic = LICENSING_PATENT.name

    reason: str | None = None


class OpenLicenceState(PatentState):
    declaration_id: uuid.UUID
    royalty_mode: str
    lump_sum_fen: int | None = None
    entry_fee_fen: int | None = None
    royalty_rate: str | None = None  # a Decimal fraction as text, e.g. "0.03"
    royalty_basis: str | None = None
    term_start: date
    term_end: date | None = None


@register_event
class OpenLicenceDeclared(OpenLicenceState):
    """开放许可声明 published: anyone may obtain an ordinary licence by written notice and payment."""

    event_type = "seedbed.licensing.patent.open_licence_declared.v1"
    topic = LICENSING_PATENT.name


@register_event
class OpenLicenceWithdrawn(OpenLicenceState):
    """The declaration was withdrawn (published); licences already obtained are untouched."""

    event_type = "seedbed.licensing.patent.open_licence_withdrawn.v1"
    topic = LICENSING_PATENT.name


class LicenceState(EventPayload):
    """A licence (or transfer) as the registry and matching need it."""

    licence_id: uuid.UUID
    patent_id: uuid.UUID
    patent_number: str
    patent_type: str
    patent_title: str
    patent_granted_on: date | None = None
    holder_institute_id: str
    licensee_uscc: str
    kind: str  # transfer | exclusive | sole | ordinary | open | trial
    status: str
    territory: list[str] = []
    term_start: date
    term_end: date | None = None
    effective_on: date | None = None
    # 先用后转: the conversion agreed up front.
    conversion_mode: str | None = None
    version: int | None = None


@register_event
class LicenceGranted(LicenceState):
    """A licence or transfer took effect for the licensee (an open licence once notice and payment both hold; a
    trial licence when its free trial starts)."""

    event_type = "seedbed.licensing.licence.granted.v1"
    topic = LICENSING_LICENCE.name


@register_event
class TrialEnding(LicenceState):
    """A free trial (先用后转) ends soon: for a notification back end to remind both parties."""

    event_type = "seedbed.licensing.licence.trial_ending.v1"
    topic = LICENSING_LICENCE.name

    trial_end: date
    days_left: int


@register_event
class LicenceConverted(LicenceState):
    """A trial converted on payment into the agreed transfer, licence or equity contribution."""

    event_type = "seedbed.licensing.licence.converted.v1"
    topic = LICENSING_LICENCE.name

    converted_on: date
    amount_fen: int


@register_event
class LicenceLapsed(LicenceState):
    """A trial ended without conversion: the firm's right to use the patent ended with it."""

    event_type = "seedbed.licensing.licence.lapsed.v1"
    topic = LICENSING_LICENCE.name

    lapsed_on: date


@register_event
class LicenceTerminated(LicenceState):
    """A licence ended before its term (rescinded or by agreement)."""

    event_type = "seedbed.licensing.licence.terminated.v1"
    topic = LICENSING_LICENCE.name

    terminated_on: date
    reason: str | None = None


@register_event
class EquityRegistered(EventPayload):
    """作价入股 completed: the patent's transfer to the company is registered, for shares."""

    event_type = "seedbed.licensing.equity.registered.v1"
    topic = LICENSING_EQUITY.name

    contribution_id: uuid.UUID
    patent_id: uuid.UUID
    patent_number: str
    patent_type: str
    patent_title: str
    patent_granted_on: date | None = None
    holder_institute_id: str
    target_uscc: str
    share_ratio: str  # a Decimal fraction as text
    appraisal_amount_fen: int
    registration_no: str
    registered_on: date
