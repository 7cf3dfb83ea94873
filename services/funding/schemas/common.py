"""Types the funding API models share: district codes, short lines and titles, eligibility rules as data. Money is
the kit's (``shared.types.PositiveFen``, ``Fen``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.funding.domain.eligibility import RuleKind
from shared.ids import validate_district
from shared.types import Line, integer_between

DistrictCode = Annotated[str, Field(examples=["330502"], description="GB/T 2260 code of a Huzhou district or county"),
                         AfterValidator(validate_district)]
ShortLine = Annotated[Line, Field(min_length=1, max_length=100)]
Title = Annotated[Line, Field(min_length=1, max_length=200)]


class Strict_(BaseModel):
    """Request bodies: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RuleIn(Strict_):
    """One eligibility rule as data (``domain.eligibility``): ``tier_held`` (values: tiers), ``pool_membership``
    (seedling_pool, cultivation_pool), ``district`` (codes or a functional zone), ``sector``, ``cluster``,
    ``size_class``, ``no_double_support`` (no values), ``not_recently_funded`` (values: programme ids; ``years``)."""

    kind: Literal[tuple(RuleKind)]  # type: ignore[valid-type]
    values: Annotated[list[Annotated[Line, Field(min_length=1, max_length=60)]], Field(max_length=50)] = []
    label: Annotated[Line, Field(max_length=200)] = ""
    years: integer_between(0, 20) = 1  # type: ignore[valid-type]


class RuleRead(BaseModel):
    kind: str
    values: list[str]
    label: str
    years: int
    requirement: str
