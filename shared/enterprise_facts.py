"""What a service's rules read of one enterprise: the eligibility fields of its enterprise read model
(``shared/read_models/enterprises.py``) as a plain value, so that pure domain code (scenarios' and funding's
eligibility) reads them without the database. Standard library only.

``None`` is "not known", never "none of them"; ``held_tiers`` is known (empty: the firm holds no tier). What a
rule makes of an unknown fact is the rule's own business (scenarios fail it closed, funding sends it to review).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EnterpriseFacts:
    enterprise_id: str = ""
    uscc: str = ""
    name: str = ""
    district_code: str | None = None
    functional_zone: str | None = None
    sector: str | None = None
    cluster: str | None = None
    size_class: str | None = None
    pool: str | None = None
    held_tiers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "held_tiers", frozenset(str(t) for t in self.held_tiers))

    @classmethod
    def of(cls, profile: Any) -> EnterpriseFacts:
        """From a read-model row (or anything with its attribute names): the service's own copy of the registry's
        data, never a call to the registry."""
        return cls(enterprise_id=str(profile.enterprise_id), uscc=profile.uscc or "", name=profile.name or "",
                   district_code=profile.district_code, functional_zone=profile.functional_zone,
                   sector=profile.sector, cluster=profile.cluster, size_class=profile.size_class, pool=profile.pool,
                   held_tiers=frozenset(profile.held_tiers or ()))
