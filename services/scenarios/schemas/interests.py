"""Expression-of-interest API models (意向): what a firm says when it answers a scenario, and how it reads back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.types import Text


class InterestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[Text, Field(max_length=2000, description="what the firm offers (能力说明)",
                                examples=["已在两家印染企业部署机器视觉验布系统，漏检率 0.5%"])] | None = None


class InterestRead(BaseModel):
    id: uuid.UUID
    scenario_id: uuid.UUID
    enterprise_uscc: str
    enterprise_name: str | None = Field(description="as the registry publishes it (None until it is known here)")
    note: str | None
    created_at: datetime
