"""The evaluation's entry to matching's real engine (tests/matching/evaluation.py, bench/bench_matching_quality.py).

``build_ranker(firms)`` indexes the given firms exactly as the API's engine does (same analyser, dictionary, tantivy
index, embeddings and formula, domain/ranking.py) and returns ``ranker(demand) -> [uscc, …]``: the firms the
candidates route would list for that demand, best first, without filters. Firms below the formula's floor are not
listed (the "no strong candidate" answer may be an empty list). No feedback is involved: the evaluation set has none.

``build_lister`` returns the whole ranked list (scores, signals, verdict) for the verdict's calibration. Both take
``weights`` (default: the formula's) so that the bench can compare "ours" with and without the semantic signal,
and ``vectors``: a :class:`Vectors` cache, so that the ~25 s of embedding the set is paid once per bench run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from services.matching import semantic
from services.matching.domain import ranking
from services.matching.index import Engine, Ranked, demand_need, put_firm

# How deep the ranker lists: enough for recall@10 and nDCG@10, and for a reader of the bench's failures.
DEPTH = 50


class Vectors:
    """Embeddings by text key (semantic.text_key), computed on first need; ``path``: kept between runs."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.known: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            self.known = {k: np.asarray(v, dtype=np.float16) for k, v in json.loads(path.read_text()).items()}

    def of(self, role: str, text: str) -> np.ndarray:
        key = semantic.text_key(role, text)
        if key not in self.known:
            self.known[key] = semantic.embed(role, text).astype(semantic.STORED_DTYPE)
        return self.known[key]

    def firm(self, firm: Mapping[str, Any]) -> np.ndarray:
        return self.of(semantic.PASSAGE, semantic.firm_text(firm))

    def demand(self, demand: Mapping[str, Any]) -> np.ndarray:
        return self.of(semantic.QUERY, semantic.demand_text(demand))

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({k: v.astype(float).round(5).tolist() for k, v in self.known.items()}))


def build_lister(firms: Iterable[Mapping[str, Any]], depth: int = DEPTH, *,
                 weights: Mapping[str, float] = ranking.WEIGHTS, vectors: Vectors | None = None
                 ) -> Callable[[Mapping[str, Any]], Ranked]:
    semantic_on = weights.get("semantic", 0.0) > 0
    vectors = vectors or (Vectors() if semantic_on else None)
    engine = Engine()
    engine.weights = weights
    for firm in firms:
        put_firm(engine, firm, vector=vectors.firm(firm) if semantic_on and vectors else None)
    engine.refresh()

    def lister(demand: Mapping[str, Any]) -> Ranked:
        vector = vectors.demand(demand) if semantic_on and vectors else None
        return engine.candidates(demand_need(engine, demand), k=depth, vector=vector)

    lister.engine = engine  # type: ignore[attr-defined]  # the bench varies its weights
    return lister


def build_ranker(firms: Iterable[Mapping[str, Any]], depth: int = DEPTH, *,
                 weights: Mapping[str, float] = ranking.WEIGHTS, vectors: Vectors | None = None
                 ) -> Callable[[Mapping[str, Any]], list[str]]:
    lister = build_lister(firms, depth, weights=weights, vectors=vectors)

    def ranker(demand: Mapping[str, Any]) -> list[str]:
        return [scored.key for scored, _ in lister(demand).results]

    return ranker
