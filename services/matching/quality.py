"""The evaluation's entry to matching's real engine (tests/matching/evaluation.py, bench/bench_matching_quality.py).

``build_ranker(firms)`` indexes the given firms exactly as the API's engine does (same analyser, dictionary, tantivy
index and formula, domain/ranking.py) and returns ``ranker(demand) -> [uscc, …]``: the firms the candidates route
would list for that demand, best first, without filters. Firms below the formula's floor are not listed (the
"no strong candidate" answer may be an empty list). No feedback is involved: the evaluation set has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from services.matching.index import Engine, demand_need, put_firm

# How deep the ranker lists: enough for recall@10 and nDCG@10, and for a reader of the bench's failures.
DEPTH = 50


def build_ranker(firms: Iterable[Mapping[str, Any]], depth: int = DEPTH) -> Callable[[Mapping[str, Any]], list[str]]:
    engine = Engine()
    for firm in firms:
        put_firm(engine, firm)
    engine.refresh()

    def ranker(demand: Mapping[str, Any]) -> list[str]:
        ranked = engine.candidates(demand_need(engine, demand), k=depth)
        return [scored.key for scored, _ in ranked.results]

    return ranker
