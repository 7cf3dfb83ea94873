"""Matching's view of the registered enterprises."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class EnterpriseProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: uuid.UUID
    uscc: str
    name: str
    short_name: str | None
    district_code: str
    functional_zone: str | None
    industry_code: str | None
    sector: str | None
    cluster: str | None
    established_on: date | None
    main_products: str | None
    product_tags: list[str]
    technical_capabilities: str | None
    capability_tags: list[str]
    platform_id: uuid.UUID | None
    size_class: str | None
    pool: str | None
    held_tiers: list[str]
    updated_at: datetime
