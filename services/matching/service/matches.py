"""Matches: candidates for a demand, opportunities for a firm, free-text search. Reads only: the records come from
the database (existence and scope), the ranking from the process's live index."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching import semantic
from services.matching.index import KIND_CHALLENGE, KIND_PATENT, KIND_SCENARIO, Collection, Filters, Ranked, demand_need
from services.matching.models import ChallengeRecord, EnterpriseProfile, ScenarioRecord
from services.matching.service.enterprises import PROFILES
from services.matching.service.indexing import LiveIndex, challenge_demand, demand_key, scenario_demand
from shared.auth import Actor, Role
from shared.errors import InvalidInput
from shared.repository import Records
from shared.scope import EVERYWHERE, OwnUscc, ScopeRule

# A demand's candidates: officers of every district (a lead firm's need in one district is met by firms of any
# other, and officers bring their firms to it), admins and other services (scenarios invites the candidates), and
# the enterprise that published it. Other enterprises see published demands in the scenarios service, not the
# list of their competitors.
SCENARIOS = Records(ScenarioRecord, ScopeRule(
    noun="scenario",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: EVERYWHERE,
             Role.ENTERPRISE: OwnUscc(ScenarioRecord.publisher_uscc)},
    managers={},  # kept from scenarios' events only
))
CHALLENGES = Records(ChallengeRecord, ScopeRule(
    noun="challenge",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: EVERYWHERE,
             Role.ENTERPRISE: OwnUscc(ChallengeRecord.issuer_uscc)},
    managers={},
))

# Programme firms: in one of the two pools (种苗库, 培育库) or holding one of the ladder's tiers.
PROGRAMME_FACETS = ("pool:seedling_pool", "pool:cultivation_pool", "tier:tech_sme", "tier:innovative_sme",
                    "tier:tech_innovative_sme", "tier:srdi_sme", "tier:little_giant", "tier:hnte")
# The tier ladder, for a challenge's minimum tier (as the scenarios service's eligibility reads it; HNTE is beside
# the ladder and meets only itself).
LADDER = {"tech_sme": 1, "innovative_sme": 1, "tech_innovative_sme": 1, "srdi_sme": 2, "little_giant": 3}

KINDS = (KIND_SCENARIO, KIND_CHALLENGE, KIND_PATENT)


@dataclass(frozen=True)
class CandidateFilters:
    district_codes: Sequence[str] = ()
    tiers: Sequence[str] = ()
    size_classes: Sequence[str] = ()
    eligible_only: bool = False

    def facets(self, eligibility: Mapping[str, Any] | None = None) -> Filters:
        filters = Filters().require("district", self.district_codes).require("tier", self.tiers)
        filters.require("size", self.size_classes)
        if self.eligible_only:
            if eligibility:
                eligible_facets(filters, eligibility)
            else:
                filters.any_of.append(PROGRAMME_FACETS)
        return filters


def eligible_facets(filters: Filters, rule: Mapping[str, Any]) -> Filters:
    """A challenge's 申报条件 as filters: each condition given is one more group a firm must meet."""
    if rule.get("min_tier"):
        floor = rule["min_tier"]
        meeting = {t for t, rung in LADDER.items() if floor in LADDER and rung >= LADDER[floor]} | {floor}
        filters.require("tier", sorted(meeting | set(rule.get("also_accepted_tiers") or ())))
    if rule.get("areas") is not None:
        areas = rule["areas"]
        filters.any_of.append(tuple(f"district:{a}" for a in areas) + tuple(f"zone:{a}" for a in areas) or ("none",))
    for name, prefix in (("sectors", "sector"), ("clusters", "cluster"), ("size_classes", "size"), ("pools", "pool")):
        if rule.get(name) is not None:
            filters.any_of.append(tuple(f"{prefix}:{v}" for v in rule[name]) or ("none",))
    return filters


@dataclass(frozen=True)
class Candidates:
    kind: str
    demand_id: uuid.UUID
    title: str
    ranked: Ranked
    indexed: bool = False            # the demand was read from the index (its list may be remembered)


async def demand_candidates(sessions: async_sessionmaker[AsyncSession], live: LiveIndex, actor: Actor, kind: str,
                            demand_id: uuid.UUID, filters: CandidateFilters, *, k: int) -> Candidates:
    """The candidates of a scenario or a challenge, open or closed (a closed one's list stays readable).

    An open demand is in the process's index with everything this needs (its need, title, publisher for the scope,
    a challenge's eligibility): it is answered without a database round trip (measured: the row read was ~1.5 ms
    of a ~4 ms request). A demand the index does not hold (closed, or published in the last poll interval) is read
    from the database, as before."""
    engine = live.engine
    key = demand_key(kind, demand_id)
    records = SCENARIOS if kind == KIND_SCENARIO else CHALLENGES
    entry = engine.demands.get(key)
    if entry is not None and entry.need is not None:
        scope_column = "publisher_uscc" if kind == KIND_SCENARIO else "issuer_uscc"
        records.scope.ensure_readable(actor, {scope_column: entry.need.publisher_uscc}, demand_id)
        ranked = engine.candidates(entry.need, k=k, filters=filters.facets(entry.info.get("eligibility")))
        return Candidates(kind, demand_id, entry.info.get("title") or "", ranked, indexed=True)
    eligibility = None
    async with sessions() as session:
        if kind == KIND_SCENARIO:
            row: Any = await SCENARIOS.get(session, actor, demand_id)
            demand = scenario_demand(row)
        else:
            row = await CHALLENGES.get(session, actor, demand_id)
            demand = challenge_demand(row, issuer_uscc=row.issuer_uscc, indicators=row.indicators)
            eligibility = row.eligibility
    ranked = engine.candidates(demand_need(engine, demand, key), k=k, filters=filters.facets(eligibility),
                               vector=live.vector_of(semantic.QUERY, semantic.demand_text(demand)))
    return Candidates(kind, demand_id, row.title, ranked)


async def firm_opportunities(sessions: async_sessionmaker[AsyncSession], live: LiveIndex, actor: Actor,
                             enterprise_id: uuid.UUID, kinds: Sequence[str], *, k: int) -> tuple[EnterpriseProfile, Ranked]:
    async with sessions() as session:
        firm = await PROFILES.get(session, actor, enterprise_id)
    return firm, live.engine.opportunities(firm.uscc, k=k, kinds=kinds or KINDS)


def search(live: LiveIndex, actor: Actor, collection: str, text: str, *, k: int, kinds: Sequence[str] = (),
           vector: Any = None) -> Ranked:
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
    return engine.search(target, text, k=k, filters=filters, vector=vector)
