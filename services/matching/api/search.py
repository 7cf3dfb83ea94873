"""/v1/search: free text over the firms, and over open demands and listed patents (Chinese, Traditional or
Simplified, mixed with English words and model numbers)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from services.matching import semantic
from services.matching.api import Live
from services.matching.schemas import matches as schemas
from services.matching.service import matches as service
from shared.auth import Actor, Role, require_actor
from shared.types import LineRules

router = APIRouter(prefix="/v1/search", tags=["search"])


async def query_vector(q: str, live: Live) -> object:
    """The query's embedding (~18–90 ms of one core), computed in a thread so that the event loop serves other
    requests meanwhile, and remembered (a search is often repeated: a page reloaded, a popular word); None when the
    index holds no vectors (semantic signal off) or search is set to words only (settings.search_semantic)."""
    if not (live.semantic and live.search_semantic):
        return None
    vector = _REMEMBERED_QUERIES.get(q)
    if vector is None:
        vector = (await asyncio.to_thread(semantic.embed_query, q)).astype(semantic.STORED_DTYPE)
        # Kept here, in the event loop (not in the thread): one writer of the dict.
        _REMEMBERED_QUERIES[q] = vector
        if len(_REMEMBERED_QUERIES) > REMEMBERED_QUERIES:
            del _REMEMBERED_QUERIES[next(iter(_REMEMBERED_QUERIES))]
    return vector


# Query vectors by query text: 4,096 × ~1 KiB. The oldest stored goes first (a dict keeps insertion order).
_REMEMBERED_QUERIES: dict[str, object] = {}
REMEMBERED_QUERIES = 4096

FirmSearcher = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
# Published scenarios and challenges, and listed patents, are public to every role (as in the scenarios service).
DemandSearcher = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.ENTERPRISE,
                                                Role.REVIEWER, Role.PARK_OPERATOR, Role.INSTITUTE)]

# A query longer than this is a document, not a search (422 above it).
QUERY_MAX_LENGTH = 200
Q = Annotated[str, Query(min_length=1, max_length=QUERY_MAX_LENGTH,
                         description=f"the words to look for, 1–{QUERY_MAX_LENGTH} characters"), LineRules]


@router.get("/enterprises", response_model=schemas.SearchResults, summary="Search firms by what they make and can do")
async def search_enterprises(q: Q, actor: FirmSearcher, live: Live,
                             limit: Annotated[int, Query(ge=1, le=50)] = 20) -> schemas.SearchResults:
    ranked = service.search(live, actor, "enterprises", q, k=limit, vector=await query_vector(q, live))
    return schemas.SearchResults(query=q, items=[schemas.SearchHit(
        key=s.key, kind="enterprise", id=str(e.info.get("enterprise_id")), title=e.info.get("name"), score=s.score,
        text=round(s.signals["text"], 4), semantic=round(s.signals["semantic"], 4),
        matched_terms=list(s.matched_terms)) for s, e in ranked.results])


@router.get("/demands", response_model=schemas.SearchResults,
            summary="Search open scenarios and challenges, and patents listed for licensing")
async def search_demands(q: Q, actor: DemandSearcher, live: Live,
                         kind: Annotated[list[schemas.DemandKind] | None, Query(max_length=3)] = None,
                         limit: Annotated[int, Query(ge=1, le=50)] = 20) -> schemas.SearchResults:
    ranked = service.search(live, actor, "demands", q, k=limit, kinds=kind or (), vector=await query_vector(q, live))
    return schemas.SearchResults(query=q, items=[schemas.SearchHit(
        key=s.key, kind=e.info["kind"], id=str(e.info["id"]), title=e.info.get("title"), score=s.score,
        text=round(s.signals["text"], 4), semantic=round(s.signals["semantic"], 4),
        matched_terms=list(s.matched_terms)) for s, e in ranked.results])
