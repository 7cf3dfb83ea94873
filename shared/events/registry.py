"""Payloads of the events the registry publishes (``seedbed.registry.*``).

Event-carried state: each event holds what consumers need to keep their read models without calling back, not
the whole row. Personal data (contacts) never travels in events.
"""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.catalog import REGISTRY_ENTERPRISE, REGISTRY_PLATFORM
from shared.events.envelope import EventPayload, register_event


class EnterpriseState(EventPayload):
    """The public profile of an enterprise as of the event (shared by registered and updated)."""

    enterprise_id: uuid.UUID
    uscc: str
    name: str
    district_code: str
    industry_code: str | None = None
    established_on: date | None = None
    main_products: str | None = None
    short_name: str | None = None
    functional_zone: str | None = None
    sector: str | None = None
    cluster: str | None = None
    product_tags: list[str] = []
    technical_capabilities: str | None = None
    capability_tags: list[str] = []
    platform_id: uuid.UUID | None = None
    size_class: str | None = None
    pool: str | None = None
    version: int | None = None


@register_event
class EnterpriseRegistered(EnterpriseState):
    """A firm entered the programme's book of record."""

    event_type = "seedbed.registry.enterprise.registered.v1"
    topic = REGISTRY_ENTERPRISE.name


@register_event
class EnterpriseUpdated(EnterpriseState):
    """A firm's profile changed; ``changed_fields`` names what changed, the rest is the current state."""

    event_type = "seedbed.registry.enterprise.updated.v1"
    topic = REGISTRY_ENTERPRISE.name

    changed_fields: list[str] = []


@register_event
class EnterpriseFiguresReported(EventPayload):
    """A firm's annual figures (年报) for a year were reported or corrected. Money in fen (分)."""

    event_type = "seedbed.registry.enterprise.figures_reported.v1"
    topic = REGISTRY_ENTERPRISE.name

    enterprise_id: uuid.UUID
    year: int
    employees: int | None = None
    rd_staff: int | None = None
    operating_revenue_fen: int | None = None
    rd_expense_fen: int | None = None
    net_profit_fen: int | None = None
    size_class: str | None = None
    tech_staff: int | None = None
    main_business_revenue_fen: int | None = None
    total_assets_fen: int | None = None
    equity_financing_fen: int | None = None
    flags: list[str] = []  # warnings accepted with the figures, e.g. rd_expense_above_revenue
    corrected: bool = False  # True when the year had been reported before


@register_event
class EnterpriseEvaluated(EventPayload):
    """An evaluation against a tier's rule set was run (e.g. 专精特新 2026). Outcome: eligible, not_eligible,
    needs_review."""

    event_type = "seedbed.registry.enterprise.evaluated.v1"
    topic = REGISTRY_ENTERPRISE.name

    enterprise_id: uuid.UUID
    evaluation_id: uuid.UUID
    tier: str
    rule_set: str
    outcome: str
    total_score: str | None = None
    evaluated_on: date
    purpose: str | None = None  # application | re_review (复核)
    score_min: int | None = None
    score_max: int | None = None
    direct_route: str | None = None
    rerun_of: uuid.UUID | None = None  # set when figures, IP or honours changed and the evaluation was re-run


@register_event
class EnterpriseTierChanged(EventPayload):
    """A firm gained, renewed, lost or let expire a tier (certification). ``held_tiers`` lists the tiers it holds
    after the change, so a consumer need not keep history to know the current ladder position."""

    event_type = "seedbed.registry.enterprise.tier_changed.v1"
    topic = REGISTRY_ENTERPRISE.name

    enterprise_id: uuid.UUID
    tier: str
    change: str  # certified | expired | revoked
    certificate_no: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    held_tiers: list[str] = []
    certification_id: uuid.UUID | None = None
    evaluation_id: uuid.UUID | None = None  # the evaluation an officer confirmed (change=certified)


@register_event
class EnterprisePoolChanged(EventPayload):
    """A firm entered, moved between or left the seedling pool (种苗库) and cultivation pool (培育库)."""

    event_type = "seedbed.registry.enterprise.pool_changed.v1"
    topic = REGISTRY_ENTERPRISE.name

    enterprise_id: uuid.UUID
    from_pool: str | None = None
    to_pool: str | None = None
    year: int | None = None
    reason: str
    move: str | None = None  # entry | promotion | demotion | exit
    basis: str | None = None  # rule | decision | screening
    category: str | None = None  # seed (种子) | good_seedling (好苗子), for an entry by rule
    district_code: str | None = None


class PlatformState(EventPayload):
    """The public profile of a platform (播种平台) as of the event."""

    platform_id: uuid.UUID
    name: str
    platform_type: str
    district_code: str
    operator_name: str | None = None
    positioning: list[str] = []
    longitude: float | None = None
    latitude: float | None = None
    capacity: int | None = None
    occupied: int | None = None
    flagship: bool = False
    version: int | None = None
    functional_zone: str | None = None
    services_offered: list[str] = []
    # Every year the platform is on the flagship list: ``flagship`` is "listed this year", which changes at the
    # turn of the year without an event, so consumers that care about dates read this.
    flagship_years: list[int] = []


@register_event
class PlatformRegistered(PlatformState):
    """A platform (incubator, science park, micro-enterprise park, …) was registered."""

    event_type = "seedbed.registry.platform.registered.v1"
    topic = REGISTRY_PLATFORM.name


@register_event
class PlatformUpdated(PlatformState):
    """A platform's profile, occupancy or flagship status changed."""

    event_type = "seedbed.registry.platform.updated.v1"
    topic = REGISTRY_PLATFORM.name

    changed_fields: list[str] = []
    # Set when a tenancy changed the occupancy: the enterprise that entered, graduated or left, so that a read
    # model of enterprises can follow its platform_id without an enterprise.updated event.
    tenant_enterprise_id: uuid.UUID | None = None
    tenancy_change: str | None = None  # entered | graduated | left
