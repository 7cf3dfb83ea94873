"""Challenge API models (揭榜挂帅 榜单): ChallengeCreate / ChallengeUpdate / ChallengeRead and the stage command.
The rules (the bounty's split, indicators with units, eligibility, IP terms, the review's weights) are the
domain's (``services.scenarios.domain.challenges``); these types refuse what no rule could read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scenarios.domain.challenges import (
    AFTER_PUBLICATION,
    ChallengeCommand,
    ChallengeStage,
    Comparison,
    FundingClass,
    IpOwnership,
    Verification,
)
from services.scenarios.domain.eligibility import Pool, SizeClass, Tier
from services.scenarios.schemas.scenarios import (
    Cluster,
    DistrictCode,
    LongText,
    PublicPublisherRead,
    PublisherIn,
    PublisherRead,
    Sector,
    Tags,
    Title,
)
from shared.types import Date, Fen, Line, Text, decimal_between, integer_between

Stage = Literal[tuple(ChallengeStage)]  # type: ignore[valid-type]
Command = Annotated[Line, Field(min_length=1, max_length=40, description="one of: " + ", ".join(ChallengeCommand))]
Target = decimal_between(-10**12, 10**12, 6, description="the indicator's target value, exact (\"95\", \"0.05\")")
Weight = decimal_between(0, 1, 4, description="a criterion's weight; the weights add up to exactly 1")
ScoreBound = decimal_between(0, 1000, 2)
ShortLine = Annotated[Line, Field(min_length=1, max_length=100)]
Note = Annotated[Text, Field(max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IndicatorIn(_In):
    """技术指标: quantified, so a target and its unit; and how acceptance verifies it."""

    name: ShortLine = Field(examples=["拉伸强度"])
    target: Target
    unit: Annotated[Line, Field(min_length=1, max_length=20, examples=["MPa", "%"])]
    verification: Literal[tuple(Verification)]  # type: ignore[valid-type]
    comparison: Literal[tuple(Comparison)] = "at_least"  # type: ignore[valid-type]
    method: Annotated[Line, Field(max_length=200)] | None = None


class BountyIn(_In):
    """榜额 in fen, and who pays it: the issuing firm and public funds add up to it exactly."""

    total_fen: Fen
    issuer_fen: Fen
    public_fen: Fen


class IpTermsIn(_In):
    ownership: Literal[tuple(IpOwnership)]  # type: ignore[valid-type]
    note: Note | None = None


class EligibilityIn(_In):
    """申报条件: each field one rule; leave it out for no restriction."""

    min_tier: Literal[tuple(Tier)] | None = None  # type: ignore[valid-type]
    also_accepted_tiers: Annotated[list[Literal[tuple(Tier)]], Field(max_length=10)] | None = None  # type: ignore[valid-type]
    areas: Annotated[list[Annotated[Line, Field(max_length=40)]], Field(max_length=20)] | None = Field(
        None, description="district codes or functional zones (nantaihu)")
    sectors: Annotated[list[Sector], Field(max_length=10)] | None = None
    clusters: Annotated[list[Cluster], Field(max_length=20)] | None = None
    size_classes: Annotated[list[Literal[tuple(SizeClass)]], Field(max_length=4)] | None = None  # type: ignore[valid-type]
    pools: Annotated[list[Literal[tuple(Pool)]], Field(max_length=2)] | None = None  # type: ignore[valid-type]


class CriterionIn(_In):
    """评审指标: experts score it from ``min_score`` to ``max_score``; it counts for ``weight`` of the total."""

    key: Annotated[Line, Field(min_length=1, max_length=40)]
    name: ShortLine
    weight: Weight
    max_score: ScoreBound = Decimal(10)
    min_score: ScoreBound = Decimal(0)


Indicators = Annotated[list[IndicatorIn], Field(max_length=30)]
Criteria = Annotated[list[CriterionIn], Field(min_length=1, max_length=20)]
DurationMonths = integer_between(1, 120, description="研发周期 in months")
MaxTeams = integer_between(1, 20, description="1: a single winner; more: 赛马 (teams in parallel)")


class ChallengeCreate(_In):
    issuer: PublisherIn
    title: Title = Field(examples=["高性能碳纤维复合材料电池包壳体"])
    background: LongText
    sector: Sector
    cluster: Cluster | None = None
    industry_chain: Annotated[Line, Field(max_length=200)] | None = None
    capability_tags: Tags = []
    district_code: DistrictCode
    indicators: Indicators
    bounty: BountyIn
    funding_class: Literal[tuple(FundingClass)] = "standard"  # type: ignore[valid-type]
    duration_months: DurationMonths
    application_deadline: Date
    ip_terms: IpTermsIn
    eligibility: EligibilityIn = EligibilityIn()
    max_teams: MaxTeams = 1
    allow_consortium: bool = True
    review_criteria: Criteria | None = Field(None, description="default: the programme's template")


class ChallengeUpdate(_In):
    """A partial update of a draft: only the fields sent change. The issuer does not change."""

    title: Title | None = None
    background: LongText | None = None
    sector: Sector | None = None
    cluster: Cluster | None = None
    industry_chain: Annotated[Line, Field(max_length=200)] | None = None
    capability_tags: Tags | None = None
    district_code: DistrictCode | None = None
    indicators: Indicators | None = None
    bounty: BountyIn | None = None
    funding_class: Literal[tuple(FundingClass)] | None = None  # type: ignore[valid-type]
    duration_months: DurationMonths | None = None
    application_deadline: Date | None = None
    ip_terms: IpTermsIn | None = None
    eligibility: EligibilityIn | None = None
    max_teams: MaxTeams | None = None
    allow_consortium: bool | None = None
    review_criteria: Criteria | None = None


REQUIRED_FIELDS = frozenset({"title", "background", "sector", "capability_tags", "district_code", "indicators",
                             "bounty", "funding_class", "duration_months", "application_deadline", "ip_terms",
                             "eligibility", "max_teams", "allow_consortium", "review_criteria"})


class ChallengeTransition(_In):
    """A stage command (domain.challenges.TRANSITIONS): ``reason`` where the step needs one (return_to_drafting,
    cancel, fail_acceptance); ``passed_teams`` (application ids) when passing acceptance."""

    command: Command
    reason: Annotated[Text, Field(max_length=2000)] | None = None
    passed_teams: Annotated[list[uuid.UUID], Field(max_length=20)] | None = None


class BountyRead(BaseModel):
    total_fen: int
    issuer_fen: int
    public_fen: int


class IpTermsRead(BaseModel):
    ownership: str
    note: str | None


class ChallengeRead(BaseModel):
    id: uuid.UUID
    issuer: PublisherRead
    title: str
    background: str
    sector: str
    cluster: str | None
    industry_chain: str | None
    capability_tags: list[str]
    district_code: str
    indicators: list[dict[str, Any]]
    bounty: BountyRead
    funding_class: str
    duration_months: int
    application_deadline: date
    ip_terms: IpTermsRead
    eligibility: dict[str, Any]
    max_teams: int
    allow_consortium: bool
    review_criteria: list[dict[str, Any]]
    status: str
    status_reason: str | None
    published_at: datetime | None
    closed_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


# --- the public view (no token) -------------------------------------------------------------------------------------

# The stages a caller without a token may filter by: those of a challenge that has been on the list.
PublicStage = Literal[tuple(sorted(AFTER_PUBLICATION | {ChallengeStage.CLOSED}))]  # type: ignore[valid-type]


class PublicChallengeRead(BaseModel):
    """A challenge as anyone sees it without a token: the call as published and how far it got; none of who
    worked it (no user ids, no reasons officers wrote). A challenge holds no personal data."""

    id: uuid.UUID
    issuer: PublicPublisherRead
    title: str
    background: str
    sector: str
    cluster: str | None
    industry_chain: str | None
    capability_tags: list[str]
    district_code: str
    indicators: list[dict[str, Any]]
    bounty: BountyRead
    funding_class: str
    duration_months: int
    application_deadline: date
    ip_terms: IpTermsRead
    eligibility: dict[str, Any]
    max_teams: int
    allow_consortium: bool
    review_criteria: list[dict[str, Any]]
    status: str
    published_at: datetime | None
    closed_at: datetime | None
