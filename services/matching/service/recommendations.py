"""match.recommended: the strong candidates of a newly published demand, sent once per publication."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.matching import semantic
from services.matching.index import demand_need
from services.matching.service import embeddings
from services.matching.service.indexing import LiveIndex, demand_key
from shared.events.matching import MatchRecommended, RecommendedFirm
from shared.uow import UnitOfWork

# At most this many firms in one recommendation: a notification, not a list to browse (the candidates route is).
RECOMMENDED = 10


async def recommend(uow: UnitOfWork, live: LiveIndex, kind: str, demand_id: uuid.UUID,
                    demand: Mapping[str, Any], *, embed: bool = True) -> MatchRecommended | None:
    """Emit match.recommended if the demand has strong candidates among the firms known now; None if it has none
    (a demand nobody registered can do is not advertised to weak candidates)."""
    # Its vector now (stored for the index too), if the embeddings consumer has not run yet: recommended firms are
    # ranked as the candidates route will rank them.
    role, text = embeddings.demand_text(demand)
    if embed:
        await embeddings.store(uow.session, [(role, text)])
    await live.catch_up(uow.session)
    engine = live.engine
    ranked = engine.candidates(demand_need(engine, demand, demand_key(kind, demand_id)), k=RECOMMENDED,
                               vector=live.vector_of(role, semantic.demand_text(demand)))
    strong = [(s, e) for s, e in ranked.results if s.strong]
    if not strong:
        return None
    payload = MatchRecommended(
        demand_kind=kind, demand_id=demand_id, title=str(demand.get("title") or ""),
        district_code=demand.get("district_code"), publisher_uscc=demand.get("publisher_uscc"),
        candidates=[RecommendedFirm(enterprise_id=e.info.get("enterprise_id"), uscc=s.key, name=e.info.get("name") or "",
                                    score=s.score, matched_terms=list(s.matched_terms[:8]),
                                    matched_tags=list(s.matched_tags), contributions=s.contributions())
                    for s, e in strong])
    uow.emit(payload, subject=str(demand_id))
    return payload
