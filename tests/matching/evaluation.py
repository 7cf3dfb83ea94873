"""The matching evaluation set (tests/matching/data) and the metrics that judge a ranking against it.

A *ranker* is any callable taking one demand (a dict as in demands.jsonl) and returning firm USCCs, best first. It
may return an empty list: that is its way of saying "no strong candidate" (see below).

Metrics, per demand, over the ranking as returned (a USCC repeated later in the list counts once, at its first
place; a USCC the judges never saw counts as grade 0, as in TREC):

* nDCG@k: DCG = Σ_{i=1..k} grade_i / log2(i + 1) (linear gain, the trec_eval ``ndcg_cut`` form); the ideal DCG is
  that of all the demand's judged grades sorted from best, so a ranker is measured against every relevant firm,
  not only those it happened to find.
* recall@k: the share of the demand's firms of grade ≥ 2 (relevant or ideal) found in the top k.
* reciprocal rank: 1 / the place of the first firm of grade ≥ 2 in the whole returned list (0 if none).

Demands with no firm of grade ≥ 2 ("unanswerable": nobody in the set can do it) have no ideal ranking, so they are
left out of all three averages; they are reported on their own. On them a ranker *abstains correctly* when it
returns nothing, and *false alarms* when it returns names (how many of its top k are graded 0 is shown too). On an
answerable demand, an empty answer simply scores 0 in every metric.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
RELEVANT = 2  # grade from which a firm counts for recall and MRR (2 relevant, 3 ideal)
K = 10

Ranker = Callable[[dict[str, Any]], list[str]]
Qrels = dict[str, dict[str, int]]  # demand id → {uscc: grade}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_firms(data: Path = DATA) -> list[dict[str, Any]]:
    return _jsonl(data / "firms.jsonl")


def load_demands(data: Path = DATA) -> list[dict[str, Any]]:
    return _jsonl(data / "demands.jsonl")


def load_qrels(data: Path = DATA) -> Qrels:
    qrels: Qrels = {}
    with (data / "qrels.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["demand_id"], {})[row["uscc"]] = int(row["grade"])
    return qrels


def _distinct(ranking: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ranking))


def dcg(grades: Sequence[int], k: int = K) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(grades[:k]))


def ndcg_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int = K) -> float:
    """nDCG@k of one ranking; 0.0 when the demand has no firm of grade > 0 (no ideal to compare with)."""
    ideal = dcg(sorted(judged.values(), reverse=True), k)
    if ideal == 0:
        return 0.0
    return dcg([judged.get(uscc, 0) for uscc in _distinct(ranking)], k) / ideal


def recall_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int = K) -> float:
    relevant = {uscc for uscc, g in judged.items() if g >= RELEVANT}
    if not relevant:
        return 0.0
    return len(relevant & set(_distinct(ranking)[:k])) / len(relevant)


def reciprocal_rank(ranking: Sequence[str], judged: Mapping[str, int]) -> float:
    for place, uscc in enumerate(_distinct(ranking), start=1):
        if judged.get(uscc, 0) >= RELEVANT:
            return 1.0 / place
    return 0.0


def answerable(judged: Mapping[str, int]) -> bool:
    return any(g >= RELEVANT for g in judged.values())


@dataclass(frozen=True)
class DemandResult:
    demand_id: str
    answerable: bool
    returned: int
    ndcg: float
    recall: float
    rr: float
    zeros_in_top_k: int  # returned firms in the top k judged (or left) 0: noise shown to the reader
    unjudged_in_top_k: int = 0  # returned firms in the top k nobody judged: many means the pools need widening


def judge(ranking: Sequence[str], demand_id: str, judged: Mapping[str, int], k: int = K) -> DemandResult:
    distinct = _distinct(ranking)
    return DemandResult(demand_id=demand_id, answerable=answerable(judged), returned=len(distinct),
                        ndcg=ndcg_at_k(distinct, judged, k), recall=recall_at_k(distinct, judged, k),
                        rr=reciprocal_rank(distinct, judged),
                        zeros_in_top_k=sum(1 for u in distinct[:k] if judged.get(u, 0) == 0),
                        unjudged_in_top_k=sum(1 for u in distinct[:k] if u not in judged))


def summarise(results: Sequence[DemandResult], k: int = K) -> dict[str, Any]:
    scored = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return {
        f"ndcg@{k}": mean([r.ndcg for r in scored]),
        f"recall@{k}": mean([r.recall for r in scored]),
        "mrr": mean([r.rr for r in scored]),
        "answerable": len(scored),
        "unanswerable": len(unanswerable),
        "abstained_correctly": sum(1 for r in unanswerable if r.returned == 0),
        "false_alarms": sum(1 for r in unanswerable if r.returned > 0),
        "empty_on_answerable": sum(1 for r in scored if r.returned == 0),
        # share of the top-k places (over all demands) filled by firms nobody judged (they count 0)
        f"unjudged@{k}": (sum(r.unjudged_in_top_k for r in results) / sum(min(r.returned, k) for r in results)
                         if any(r.returned for r in results) else 0.0),
        "per_demand": {r.demand_id: r for r in results},
    }


def evaluate(ranker: Ranker, *, demands: list[dict[str, Any]] | None = None, qrels: Qrels | None = None,
             k: int = K) -> dict[str, Any]:
    """Runs ``ranker`` on every demand of the set and averages as the module docstring says."""
    demands = load_demands() if demands is None else demands
    qrels = load_qrels() if qrels is None else qrels
    return summarise([judge(ranker(dict(d)), d["id"], qrels.get(d["id"], {}), k) for d in demands], k)


def paired_bootstrap(a: Sequence[float], b: Sequence[float], *, resamples: int = 2000,
                     seed: int = 20261203) -> tuple[float, float, float]:
    """Mean of a − b over paired per-demand figures, with a 95 % percentile bootstrap interval (demands resampled
    with replacement): how sure a difference between two rankers on this small set is."""
    if len(a) != len(b) or not a:
        raise ValueError("paired figures of the same, non-empty demands are needed")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    rnd = random.Random(seed)
    means = sorted(sum(rnd.choice(diffs) for _ in diffs) / len(diffs) for _ in range(resamples))
    return sum(diffs) / len(diffs), means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]
