"""The semantic signal's vectors: computed by the worker when a text arrives, stored by text, read by every index.

Why in the worker and not in the API: embedding a profile costs ~36–130 ms of CPU (services/matching/semantic.py);
done once at ingest and stored (models/embeddings.py), an API replica only reads it at start-up and on its poll.
Why a consumer of its own (``embeddings``) and not inside the read models' handlers: a registry change reaches the
index as soon as its row is written (freshness: the text signal ranks it at once); its vector follows a moment
later, when this consumer has run the model, and the index then re-ranks with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import semantic
from services.matching.models import TextEmbedding
from shared.db import is_postgres


def firm_text(firm: Mapping[str, Any]) -> tuple[str, str]:
    """A firm's (role, text) as stored."""
    return semantic.PASSAGE, semantic.firm_text(firm)


def demand_text(demand: Mapping[str, Any]) -> tuple[str, str]:
    """A demand's (or listed patent's) (role, text): what is asked, embedded as a query."""
    return semantic.QUERY, semantic.demand_text(demand)


async def store(session: AsyncSession, texts: Iterable[tuple[str, str]]) -> int:
    """Make sure each text has its vector stored; the number computed (0 for texts seen before). The model runs in
    a thread: the worker's event loop (its other consumers, its relay) goes on meanwhile."""
    wanted = {semantic.text_key(role, text): (role, text) for role, text in texts if text.strip()}
    if not wanted:
        return 0
    known = set((await session.scalars(select(TextEmbedding.text_key).where(
        TextEmbedding.text_key.in_(list(wanted))))).all())
    missing = [(key, wanted[key]) for key in wanted if key not in known]
    for key, (role, text) in missing:
        vector = await asyncio.to_thread(semantic.embed, role, text)
        dialect = postgresql if is_postgres(session) else sqlite
        # Two workers may embed the same text at once: the first row stands (the vectors are the same).
        await session.execute(dialect.insert(TextEmbedding).values(
            text_key=key, vector=semantic.to_bytes(vector)).on_conflict_do_nothing(index_elements=["text_key"]))
    return len(missing)
