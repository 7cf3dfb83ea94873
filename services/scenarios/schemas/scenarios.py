"""Scenario API models (产业链场景应用清单 entries): ScenarioCreate / ScenarioUpdate / ScenarioRead and the
transition command. The content rules (sector, cluster, district, budget range, tags) are the domain's
(``services.scenarios.domain.scenarios.ScenarioContent``); these types refuse what no rule could read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.scenarios.domain.scenarios import (
    VISIBLE_TO_PUBLIC,
    ScenarioCommand,
    ScenarioKind,
    ScenarioOutcome,
    ScenarioStatus,
)
from services.scenarios.domain.values import PublisherKind
from shared.classification import CLUSTERS, SECTORS
from shared.ids import FUNCTIONAL_ZONES, validate_district
from shared.types import USCC, Date, Fen, Line, Name, Text


def _one_of(vocabulary: object, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in vocabulary:  # type: ignore[operator]
            raise ValueError(f"unknown {what} {value!r}; one of: {', '.join(vocabulary)}")  # type: ignore[call-overload]
        return value

    return AfterValidator(check)


DistrictCode = Annotated[str, Field(examples=["330502"], description="GB/T 2260 code of a Huzhou district or county"),
                         AfterValidator(validate_district)]
Sector = Annotated[str, Field(max_length=40, description="四业: " + ", ".join(SECTORS)), _one_of(SECTORS, "sector")]
Cluster = Annotated[str, Field(max_length=40, description='"4210" cluster: ' + ", ".join(CLUSTERS)),
                    _one_of(CLUSTERS, "cluster")]
FunctionalZone = Annotated[str, Field(max_length=40, description="functional zone: " + ", ".join(FUNCTIONAL_ZONES)),
                           _one_of(FUNCTIONAL_ZONES, "functional zone")]
Tags = Annotated[list[Annotated[Line, Field(max_length=40)]], Field(max_length=30)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9\- ]{5,19}$", examples=["13857212345", "0572-2345678"])]
Title = Annotated[Line, Field(min_length=1, max_length=200)]
LongText = Annotated[Text, Field(min_length=1, max_length=20000)]
Status = Literal[tuple(ScenarioStatus)]  # type: ignore[valid-type]
Command = Annotated[Line, Field(min_length=1, max_length=40, description="one of: " + ", ".join(ScenarioCommand))]
Outcome = Annotated[Line, Field(max_length=40, description="closing only; one of: " + ", ".join(ScenarioOutcome))]
Kind = Literal[tuple(ScenarioKind)]  # type: ignore[valid-type]


class PublisherIn(BaseModel):
    """发布方: a firm by its USCC, or a government department by its name (an officer publishes for it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal[tuple(PublisherKind)]  # type: ignore[valid-type]
    uscc: USCC | None = None
    department: Annotated[Name, Field(max_length=200)] | None = None


class BudgetIn(BaseModel):
    """预算区间 in fen; equal bounds are a fixed budget. No budget at all: 面议."""

    model_config = ConfigDict(extra="forbid")

    min_fen: Fen
    max_fen: Fen


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScenarioCreate(_Content):
    publisher: PublisherIn
    title: Title = Field(examples=["纺织印染车间智能验布场景"])
    description: LongText
    industry_chain: Annotated[Line, Field(max_length=200)] | None = None
    kind: Kind | None = None
    sector: Sector
    cluster: Cluster | None = None
    capability_tags: Tags = []
    deliverable: LongText
    budget: BudgetIn | None = None
    district_code: DistrictCode
    functional_zone: FunctionalZone | None = None
    deadline: Date
    contact_name: Annotated[Name, Field(max_length=100)] | None = None
    contact_phone: Phone | None = None


class ScenarioUpdate(_Content):
    """A partial update of a draft: only the fields sent change; ``null`` clears an optional field. The publisher
    does not change."""

    title: Title | None = None
    description: LongText | None = None
    industry_chain: Annotated[Line, Field(max_length=200)] | None = None
    kind: Kind | None = None
    sector: Sector | None = None
    cluster: Cluster | None = None
    capability_tags: Tags | None = None
    deliverable: LongText | None = None
    budget: BudgetIn | None = None
    district_code: DistrictCode | None = None
    functional_zone: FunctionalZone | None = None
    deadline: Date | None = None
    contact_name: Annotated[Name, Field(max_length=100)] | None = None
    contact_phone: Phone | None = None


REQUIRED_FIELDS = frozenset({"title", "description", "sector", "capability_tags", "deliverable", "district_code",
                             "deadline"})


class ScenarioTransition(BaseModel):
    """A lifecycle command (domain.scenarios.TRANSITIONS): ``reason`` where the step needs one (reject, withdraw,
    close), ``outcome`` when closing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    command: Command
    reason: Annotated[Text, Field(max_length=2000)] | None = None
    outcome: Outcome | None = None
    supplier_uscc: Annotated[USCC | None, Field(
        description="start_pilot only: the firm that runs the trial, one of those that expressed interest")] = None


class PublisherRead(BaseModel):
    kind: str
    uscc: str | None
    department: str | None


class BudgetRead(BaseModel):
    min_fen: int
    max_fen: int


class ScenarioRead(BaseModel):
    id: uuid.UUID
    publisher: PublisherRead
    title: str
    description: str
    industry_chain: str | None
    kind: str | None
    sector: str
    cluster: str | None
    capability_tags: list[str]
    deliverable: str
    budget: BudgetRead | None = Field(description="None: 面议 (to be negotiated)")
    district_code: str
    functional_zone: str | None
    deadline: date
    contact_name: str | None
    contact_phone: str | None
    personal_data_masked: bool = False
    status: str
    supplier_uscc: str | None = Field(description="the firm running the trial (from start_pilot on)")
    outcome: str | None
    closing_reason: str | None
    closed_by: str | None
    closed_at: datetime | None
    published_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


# --- the public view (no token) -------------------------------------------------------------------------------------

PublicStatus = Literal[tuple(sorted(VISIBLE_TO_PUBLIC))]  # type: ignore[valid-type]


class PublicPublisherRead(BaseModel):
    kind: str
    uscc: str | None
    department: str | None
    name: str | None = Field(description="the firm's name as the registry publishes it (None until it is known here)")


class PublicScenarioRead(BaseModel):
    """A scenario as anyone sees it without a token: what is on the list, the contact masked, and none of who
    worked the case (no user ids, no closing reason)."""

    id: uuid.UUID
    publisher: PublicPublisherRead
    title: str
    description: str
    industry_chain: str | None
    kind: str | None
    sector: str
    cluster: str | None
    capability_tags: list[str]
    deliverable: str
    budget: BudgetRead | None = Field(description="None: 面议 (to be negotiated)")
    district_code: str
    functional_zone: str | None
    deadline: date
    contact_name: str | None = Field(description="masked")
    contact_phone: str | None = Field(description="masked")
    status: str
    supplier_uscc: str | None = Field(description="the firm running the trial (from start_pilot on)")
    outcome: str | None
    published_at: datetime | None
    closed_at: datetime | None
