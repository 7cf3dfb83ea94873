"""Matches: candidates for a demand, opportunities for a firm, free-text search. Reads only: the records come from
the database (existence and scope), the ranking from the process's live index."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching.domain.ranking import Need
from services.matching.index import KIND_CHALLENGE, KIND_PATENT, KIND_SCENARIO, Collection, Filters, Ranked, demand_need
from services.matching.models import EnterpriseProfile, ScenarioRecord
from services.matching.service.enterprises import PROFILES
from services.matching.service.indexing import LiveIndex, demand_key, scenario_demand
from shared.auth import Actor, Role
from shared.errors import InvalidInput
from shared.repository import Records
from shared.scope import EVERYWHERE, OwnUscc, ScopeRule

# A scenario's candidates: officers of every district (a lead firm's need in one district is met by firms of any
# other, and officers bring their firms to it), admins and other services (scenarios invites the candidates), and
# the enterprise that published it. Other enterprises see published scenarios in the scenarios service, not the
# list of their competitors.
SCENARIO_SCOPE = ScopeRule(
    noun="scenario",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: EVERYWHERE,
             Role.ENTERPRISE: OwnUscc(ScenarioRecord.publisher_uscc)},
    managers={},  # kept from scenarios' events only
)
SCENARIOS = Records(ScenarioRecord, SCENARIO_SCOPE)

# Programme firms: in one of the two pools (种苗库, 培育库) or holding one of the ladder's tiers.
PROGRAMME_FACETS = ("pool:seedling_pool", "pool:cultivation_pool", "tier:tech_sme", "tier:innovative_sme",
                    "tier:tech_innovative_sme", "tier:srdi_sme", "tier:little_giant", "tier:hnte")

KINDS = (KIND_SCENARIO, KIND_CHALLENGE, KIND_PATENT)


@dataclass(frozen=True)
class CandidateFilters:
    district_codes: Sequence[str] = ()
    tiers: Sequence[str] = ()
    size_classes: Sequence[str] = ()
    eligible_only: bool = False

    def facets(self) -> Filters:
        filters = Filters().require("district", self.district_codes).require("tier", self.tiers)
        filters.require("size", self.size_classes)
        if self.eligible_only:
            filters.any_of.append(PROGRAMME_FACETS)
        return filters


@dataclass(frozen=True)
class Candidates:
    kind: str
    demand_id: uuid.UUID
    title: str
    ranked: Ranked


async def scenario_candidates(sessions: async_sessionmaker[AsyncSession], live: LiveIndex, actor: Actor,
                              scenario_id: uuid.UUID, filters: CandidateFilters, *, k: int) -> Candidates:
    async with sessions() as session:
        row = await SCENARIOS.get(session, actor, scenario_id)
    engine = live.engine
    key = demand_key(KIND_SCENARIO, scenario_id)
    entry = engine.demands.get(key)
    # An open scenario's need is in the index already; a closed one's is analysed now (its list stays readable).
    need: Need = entry.need if entry is not None and entry.need is not None else demand_need(
        engine, scenario_demand(row), key)
    return Candidates(KIND_SCENARIO, scenario_id, row.title, engine.candidates(need, k=k, filters=filters.facets()))


async def firm_opportunities(sessions: async_sessionmaker[AsyncSession], live: LiveIndex, actor: Actor,
                             enterprise_id: uuid.UUID, kinds: Sequence[str], *, k: int) -> tuple[EnterpriseProfile, Ranked]:
    async with sessions() as session:
        firm = await PROFILES.get(session, actor, enterprise_id)
    return firm, live.engine.opportunities(firm.uscc, k=k, kinds=kinds or KINDS)


def search(live: LiveIndex, actor: Actor, collection: str, text: str, *, k: int, kinds: Sequence[str] = ()
           ) -> Ranked:
    """Free text over firms (``collection="enterprises"``: an officer's districts only, as the firm list) or over
    open demands and listed patents (``"demands"``, optionally of some kinds)."""
    engine = live.engine
    if not engine.analyser.analyse(text).terms and not text.strip():
        raise InvalidInput("must contain a word to search for", field="q")
    filters = Filters()
    target: Collection
    if collection == "enterprises":
        target = engine.firms
        principal = actor.principal
        if principal.role is Role.OFFICER and not principal.city_wide:
            filters.require("district", principal.districts or ("none",))
    else:
        target = engine.demands
        filters.require("kind", kinds)
    return engine.search(target, text, k=k, filters=filters)
