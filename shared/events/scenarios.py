"""Payloads of the events the scenarios service publishes (``seedbed.scenarios.*``).

Event-carried state: what matching needs to index a scenario or a challenge, and what funding needs to pay the
public share of a challenge's bounty, without calling back. Personal data (the contact)
never travels in events. Money in fen (分).
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict

from shared.events.catalog import SCENARIOS_CHALLENGE, SCENARIOS_SCENARIO
from shared.events.envelope import EventPayload, register_event


class ScenarioState(EventPayload):
    """A scenario as the list shows it, as of the event."""

    scenario_id: uuid.UUID
    title: str
    description: str
    status: str
    publisher_kind: str
    publisher_uscc: str | None = None
    publisher_department: str | None = None
    sector: str
    cluster: str | None = None
    industry_chain: str | None = None
    capability_tags: list[str] = []
    deliverable: str | None = None
    district_code: str
    functional_zone: str | None = None
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    deadline: date
    # The firm running the trial, once a pilot started (and so the firm behind a closing outcome).
    supplier_uscc: str | None = None
    version: int | None = None


@register_event
class ScenarioPublished(ScenarioState):
    """A scenario went on the list (发布): enterprises may answer it until its deadline."""

    event_type = "seedbed.scenarios.scenario.published.v1"
    topic = SCENARIOS_SCENARIO.name


@register_event
class ScenarioClosed(ScenarioState):
    """A scenario ended with its outcome (``outcome``: domain ScenarioOutcome) and the reason given."""

    event_type = "seedbed.scenarios.scenario.closed.v1"
    topic = SCENARIOS_SCENARIO.name

    outcome: str
    reason: str | None = None


# --- challenges (揭榜挂帅) -------------------------------------------------------------------------------------------


class ChallengeIndicator(BaseModel):
    """A quantified technical indicator: the target as exact decimal text, its unit, how acceptance verifies it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    target: str
    unit: str
    verification: str
    comparison: str = "at_least"
    method: str | None = None


class ChallengeEligibility(BaseModel):
    """申报条件; a field left out (None) is no restriction (domain.eligibility.Eligibility)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    min_tier: str | None = None
    also_accepted_tiers: list[str] = []
    areas: list[str] | None = None
    sectors: list[str] | None = None
    clusters: list[str] | None = None
    size_classes: list[str] | None = None
    pools: list[str] | None = None


class ChallengeIssuer(BaseModel):
    """发榜方: a firm by its USCC, or a department by its name."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: str
    uscc: str | None = None
    department: str | None = None


class ChallengeBounty(BaseModel):
    """榜额 in fen: the issuing firm's part and public funds' part add up to the total."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    total_fen: int
    issuer_fen: int
    public_fen: int


class AppointedTeam(BaseModel):
    """An appointed team (挂帅): who leads it (USCC), its partners (USCCs), its award and the award's two payers.
    ``public_fen`` is what funding pays of it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: uuid.UUID
    lead_uscc: str
    partner_usccs: list[str] = []
    award_fen: int
    issuer_fen: int
    public_fen: int


class ChallengeRef(EventPayload):
    """What every challenge event carries: which challenge, where, who issued it, and its bounty."""

    challenge_id: uuid.UUID
    title: str
    status: str
    district_code: str
    issuer: ChallengeIssuer
    bounty: ChallengeBounty
    version: int | None = None


@register_event
class ChallengePublished(ChallengeRef):
    """A challenge went on the list (榜单公示), with what matching indexes: the problem, its indicators, where it
    belongs and who may apply."""

    event_type = "seedbed.scenarios.challenge.published.v1"
    topic = SCENARIOS_CHALLENGE.name

    background: str
    indicators: list[ChallengeIndicator]
    sector: str
    cluster: str | None = None
    industry_chain: str | None = None
    capability_tags: list[str] = []
    eligibility: ChallengeEligibility
    application_deadline: date
    duration_months: int
    max_teams: int
    allow_consortium: bool
    ip_ownership: str


@register_event
class ChallengeApplicationSubmitted(EventPayload):
    """An enterprise applied (揭榜), alone or leading a consortium. No team member travels: personal data."""

    event_type = "seedbed.scenarios.challenge.application_submitted.v1"
    topic = SCENARIOS_CHALLENGE.name

    challenge_id: uuid.UUID
    application_id: uuid.UUID
    lead_uscc: str
    partner_usccs: list[str] = []
    requested_fen: int
    district_code: str


@register_event
class ChallengeAppointed(ChallengeRef):
    """A team was appointed (挂帅): ``team`` is the one just appointed, ``teams`` every team appointed so far
    (赛马 appoints up to ``max_teams``), their awards split between the issuer and public funds."""

    event_type = "seedbed.scenarios.challenge.appointed.v1"
    topic = SCENARIOS_CHALLENGE.name

    max_teams: int
    team: AppointedTeam
    teams: list[AppointedTeam]


@register_event
class ChallengeAccepted(ChallengeRef):
    """Acceptance (验收) passed: ``passed_teams`` delivered, and funding pays each its ``public_fen`` once (the
    event id and the challenge id are its keys); teams appointed but not passed are not paid."""

    event_type = "seedbed.scenarios.challenge.accepted.v1"
    topic = SCENARIOS_CHALLENGE.name

    passed_teams: list[AppointedTeam]
    public_fen_due: int


@register_event
class ChallengeFailed(ChallengeRef):
    """Acceptance (验收) failed, for every appointed team: nothing of the public share is due."""

    event_type = "seedbed.scenarios.challenge.failed.v1"
    topic = SCENARIOS_CHALLENGE.name

    teams: list[AppointedTeam]
    reason: str
