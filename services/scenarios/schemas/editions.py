"""List-edition API models: publishing an edition (清单, 第N批) and reading one back, with its entries and its
differences from the edition before."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scenarios.domain.editions import ListKind
from shared.types import Text, Year

Kind = Literal[tuple(ListKind)]  # type: ignore[valid-type]
ExportFormat = Literal["xlsx", "json"]


class EditionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year: Year = Field(description="this year or the next", examples=[2026])
    note: Annotated[Text, Field(max_length=2000, description="公告 text published with the edition")] | None = None


class EditionRef(BaseModel):
    year: int
    number: int


class EditionSummary(BaseModel):
    id: uuid.UUID
    kind: str
    year: int
    number: int
    title: str
    note: str | None
    item_count: int
    previous: EditionRef | None = Field(description="the edition the differences are taken from")
    added: int
    removed: int
    changed: int
    published_at: datetime


class Differences(BaseModel):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]] = Field(description='{"id", label, "fields": {name: {"from", "to"}}}')


class EditionRead(EditionSummary):
    items: list[dict[str, Any]] = Field(description="the entries as they stood when the edition was published")
    differences: Differences
