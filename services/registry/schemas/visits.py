"""Guidance-visit API models (跟踪辅导): VisitCreate / VisitRead, follow-ups and their closing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.registry.schemas.enterprises import Tags
from shared.types import Date, Name, Text


def _texts(values: list[str]) -> list[str]:
    # Each entry is a sentence: blank ones are dropped, the officer's order is kept.
    return [v.strip() for v in values if v.strip()]


def _some_topic(values: list[str]) -> list[str]:
    if not values:
        raise ValueError("a visit has at least one topic")
    return values


Topics = Annotated[Tags, AfterValidator(_some_topic)]
Problems = Annotated[list[Annotated[Text, Field(max_length=2000)]], Field(max_length=50), AfterValidator(_texts)]


class FollowUpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: Text = Field(min_length=1, max_length=2000, examples=["协助对接浙江大学湖州研究院检测平台"])
    owner: Name = Field(min_length=1, max_length=100, examples=["吴兴区经信局 王科长"],
                        description="who must act: a person, a department or the enterprise itself")
    due_on: Date


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    enterprise_id: uuid.UUID
    visited_on: Date
    topics: Topics = Field(examples=[["研发投入", "专精特新申报"]])
    problems_raised: Problems = []
    summary: Text | None = Field(default=None, max_length=4000)
    internal_notes: Text | None = Field(default=None, max_length=4000,
                                       description="for officers only; never shown to the enterprise")
    follow_ups: list[FollowUpCreate] = Field(default=[], max_length=50)


class FollowUpRead(BaseModel):
    id: uuid.UUID
    visit_id: uuid.UUID
    description: str
    owner: str
    due_on: date
    status: str
    overdue: bool
    closed_on: date | None
    closed_by: str | None
    resolution: str | None


class VisitRead(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    visited_on: date
    officer: str
    topics: list[str]
    problems_raised: list[str]
    summary: str | None
    # Left out of the response altogether for the enterprise role (routes exclude unset fields).
    internal_notes: str | None = Field(default=None, description="officers only: absent for the enterprise role")
    follow_ups: list[FollowUpRead]
    created_at: datetime


class OpenFollowUpRead(FollowUpRead):
    """A follow-up in an officer's or a district's to-do list, with the visit and the firm it belongs to."""

    enterprise_id: uuid.UUID
    enterprise_name: str
    district_code: str
    officer: str
    visited_on: date


class FollowUpClose(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    closed_on: Date | None = Field(default=None, description="defaults to today (Asia/Shanghai)")
    resolution: Text | None = Field(default=None, max_length=2000)


FollowUpStatus = Literal["open", "done"]
