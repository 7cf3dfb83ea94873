"""Types the licensing API models share: a USCC, a territory, a share, a term's dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from shared.types import Line

Region = Annotated[Line, Field(min_length=2, max_length=6, examples=["CN", "330000", "330500"])]
TerritoryIn = Annotated[list[Region], Field(min_length=1, max_length=50, description=(
    "许可地域: CN for the whole country, or GB/T 2260 region codes (a province 330000, a city 330500, a county "
    "330502)"))]
# A fraction: 0.35 = 35%. Bounded loosely here so that the domain's refusal (above 100%) names the rule.
Share = Annotated[Decimal, Field(ge=0, le=1000, max_digits=12, decimal_places=6, examples=["0.35"],
                                 description="a fraction: 0.35 = 35%")]
Reference = Annotated[Line, Field(min_length=1, max_length=100)]
ShortText = Annotated[Line, Field(min_length=1, max_length=200)]
