"""Matching API response models."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class EnterpriseProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: uuid.UUID
    uscc: str
    name: str
    district_code: str
    industry_code: str | None
    established_on: date | None
    main_products: str | None
    updated_at: datetime
