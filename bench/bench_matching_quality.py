"""Ranking quality on the matching evaluation set (tests/matching/data): our engine against plain BM25, same run.

For every demand of the set, each ranker returns firm USCCs best first; the figures are nDCG@10, recall@10 (of
firms graded ≥ 2) and MRR, averaged over the demands that some firm can answer, as tests/matching/evaluation.py
defines them. Demands nobody in the set can answer are counted apart: a ranker abstains correctly there when it
returns nothing.

"unjudged in top 10" is the share of top-10 places filled by firms nobody judged (they count 0): if it grows
for a ranker, its figures are under-stated and the pools need widening (tests/matching/data/LABELLING.md).

Rankers (all in one run, on the same set):
* ``bm25``: tantivy BM25 over rjieba words of name + products + capabilities, query = title + description, nothing
  else (bench/_matching_baseline.py); ``bm25-publisher``: the same, the demand's publisher filtered out;
* ``e5``: the cosine of the demand's and each firm's e5 embedding alone (services/matching/semantic.py), publisher
  out;
* ``bm25+e5 (z)``: z-scored BM25 + z-scored cosine over all firms, summed (the hybrid of ../shared/notes), publisher
  out;
* ``ours-text``: the engine with the formula's weights of before the semantic signal (:data:`TEXT_ONLY_WEIGHTS`);
* ``ours``: ``services.matching.quality.build_ranker(firms)``: the engine as it ships, semantic signal included.

Held-out checks (the set is small and its author could see it): the semantic weight of ``ours`` (others scaled to
keep the sum 1) and the cosine weight of ``bm25+e5`` are chosen on one half of the demands and measured on the
other, both ways, over the odd/even split and :data:`SPLITS` seeded random halves. 95 % paired bootstrap
intervals (demands resampled) of the nDCG@10 differences. Then the "no strong candidate" verdict: its confusion on
answerable vs unanswerable demands as shipped, and the thresholds chosen on one half, measured on the other.

    .venv/bin/python bench/bench_matching_quality.py [--per-demand] [--show D14 ...] [--fresh-vectors]

Embeddings of the set are kept in var/cache/matching-eval-vectors.json (keyed by model and text: an edited record
is re-embedded); ``--fresh-vectors`` recomputes them all and prints the cost.

A benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import random
import resource
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench._matching_baseline import build_bm25, build_bm25_scores
from services.matching.domain import ranking
from services.matching.quality import Vectors, build_lister
from tests.matching.evaluation import K, evaluate, judge, load_demands, load_firms, load_qrels, paired_bootstrap

METRICS = (f"ndcg@{K}", f"recall@{K}", "mrr")
VECTORS = Path(__file__).resolve().parent.parent / "var/cache/matching-eval-vectors.json"
# The formula before the semantic signal (as on main until then): "ours-text".
TEXT_ONLY_WEIGHTS = {"text": 0.73, "semantic": 0.0, "tags": 0.12, "cluster": 0.02, "sector": 0.01, "industry": 0.02,
                     "district": 0.02, "tier": 0.02, "pool": 0.01, "feedback": 0.05}
SEMANTIC_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
Z_GRID = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
SPLITS = 20
Ranker = Callable[[dict[str, Any]], list[str]]


def with_semantic(weight: float) -> dict[str, float]:
    """The shipped formula's weights with the semantic signal at ``weight``, the others scaled to sum to 1."""
    rest = 1 - ranking.WEIGHTS["semantic"]
    return {s: weight if s == "semantic" else w * (1 - weight) / rest for s, w in ranking.WEIGHTS.items()}


def show(demand: dict[str, Any], rankers: dict[str, Ranker], firms: dict[str, dict[str, Any]],
         judged: dict[str, int]) -> None:
    print(f"\n{demand['id']} {demand['title']} (grade ≥ 2: "
          f"{', '.join(firms[u]['name'] for u, g in judged.items() if g >= 2) or 'none'})")
    for name, ranker in rankers.items():
        print(f"  {name}:")
        for place, uscc in enumerate(ranker(dict(demand))[:K], start=1):
            grade = judged.get(uscc, "-")
            publisher = "  (publisher)" if uscc == demand.get("publisher_uscc") else ""
            print(f"    {place:>2}. [{grade}] {firms[uscc]['name']}: {(firms[uscc]['main_products'] or '')[:40]}"
                  f"{publisher}")


def run(name: str, ranker: Ranker, demands: list[dict[str, Any]], qrels: dict[str, dict[str, int]],
        built: float = 0.0) -> dict[str, Any]:
    started = time.perf_counter()
    summary = evaluate(ranker, demands=demands, qrels=qrels)
    summary["build_s"] = built
    summary["query_ms"] = (time.perf_counter() - started) * 1000 / max(len(demands), 1)
    summary["name"] = name
    return summary


def line(summary: dict[str, Any]) -> str:
    figures = "  ".join(f"{m} {summary[m]:.3f}" for m in METRICS)
    return (f"{summary['name']:<15} {figures}  | unanswerable {summary['unanswerable']}: abstained "
            f"{summary['abstained_correctly']}, named firms {summary['false_alarms']}"
            f"  | unjudged in top {K} {summary[f'unjudged@{K}']:.1%}"
            f"  | build {summary['build_s']:.2f} s, {summary['query_ms']:.1f} ms/demand")


def zscored(values: np.ndarray) -> np.ndarray:
    sd = values.std()
    return (values - values.mean()) / (sd if sd > 0 else 1.0)


class Dense:
    """e5 alone and the z-scored BM25 + e5 hybrid, over every firm of the set (publisher out)."""

    def __init__(self, firms: list[dict[str, Any]], vectors: Vectors) -> None:
        self.keys = [f["uscc"] for f in firms]
        self.matrix = np.stack([vectors.firm(f) for f in firms]).astype(np.float32)
        self.vectors = vectors
        self.bm25 = build_bm25_scores(firms)

    def ranker(self, bm25_weight: float, cosine_weight: float) -> Ranker:
        def rank(demand: dict[str, Any]) -> list[str]:
            cosine = self.matrix @ self.vectors.demand(demand).astype(np.float32)
            mixed = cosine_weight * zscored(cosine)
            if bm25_weight:
                found = self.bm25(demand)
                mixed = mixed + bm25_weight * zscored(np.array([found.get(k, 0.0) for k in self.keys]))
            publisher = demand.get("publisher_uscc")
            return [self.keys[i] for i in np.argsort(-mixed, kind="stable") if self.keys[i] != publisher][:50]
        return rank


def ndcg_on(ranker: Ranker, demands: Sequence[dict[str, Any]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """nDCG@10 of each answerable demand."""
    out = {}
    for d in demands:
        judged = qrels.get(d["id"], {})
        result = judge(ranker(dict(d)), d["id"], judged)
        if result.answerable:
            out[d["id"]] = result.ndcg
    return out


def halves(ids: list[str]) -> list[tuple[set[str], set[str]]]:
    """Odd/even, then SPLITS seeded random halves; each pair used both ways."""
    pairs = [(set(ids[0::2]), set(ids[1::2]))]
    rnd = random.Random(20261203)
    for _ in range(SPLITS):
        shuffled = ids[:]
        rnd.shuffle(shuffled)
        pairs.append((set(shuffled[: len(ids) // 2]), set(shuffled[len(ids) // 2:])))
    return [p for a, b in pairs for p in ((a, b), (b, a))]


def held_out(name: str, grid: Sequence[Any], per_demand: Mapping[Any, Mapping[str, float]],
             reference: Mapping[str, Mapping[str, float]], splits: list[tuple[set[str], set[str]]]) -> None:
    """Choose the grid point on one half (mean nDCG@10), report it on the other, against the references there."""
    def mean(figures: Mapping[str, float], ids: set[str]) -> float:
        kept = [v for k, v in figures.items() if k in ids]
        return sum(kept) / len(kept)

    chosen, tested, refs = [], [], {r: [] for r in reference}
    for tune, test in splits:
        best = max(grid, key=lambda p: (mean(per_demand[p], tune), -grid.index(p)))
        chosen.append(best)
        tested.append(mean(per_demand[best], test))
        for r, figures in reference.items():
            refs[r].append(mean(figures, test))
    first = f"odd/even: chose {chosen[0]} → {tested[0]:.3f}, reverse chose {chosen[1]} → {tested[1]:.3f}"
    print(f"  {name}: {first}")
    gains = "  ".join(f"vs {r} {np.mean(tested) - np.mean(v):+.3f} (worst split {min(t - x for t, x in zip(tested, v, strict=True)):+.3f})"
                      for r, v in refs.items())
    print(f"    over {len(splits)} held-out halves: mean nDCG@{K} {np.mean(tested):.3f} [{min(tested):.3f}…{max(tested):.3f}]  "
          f"{gains}; chosen: {sorted(set(chosen))}")


def verdicts(lister: Callable[[Mapping[str, Any]], Any], demands: list[dict[str, Any]],
             qrels: dict[str, dict[str, int]], splits: list[tuple[set[str], set[str]]]) -> None:
    """"No strong candidate" on answerable vs unanswerable demands: as shipped, and thresholds chosen on halves."""
    tops = {}
    for d in demands:
        ranked = lister(d)
        best = ranked.results[0][0] if ranked.results else None
        tops[d["id"]] = (any(g >= 2 for g in qrels.get(d["id"], {}).values()), ranked.verdict, best)

    def confusion(says_strong: Callable[[Any], bool], ids: set[str] | None = None) -> tuple[int, int, int, int]:
        a_strong = a_weak = u_strong = u_weak = 0
        for i, (ans, _, best) in tops.items():
            if ids is not None and i not in ids:
                continue
            strong = best is not None and says_strong(best)
            if ans:
                a_strong, a_weak = a_strong + strong, a_weak + (not strong)
            else:
                u_strong, u_weak = u_strong + strong, u_weak + (not strong)
        return a_strong, a_weak, u_strong, u_weak

    a_s, a_w, u_s, u_w = confusion(lambda best: best.strong)
    print(f"verdict as shipped (strong = score ≥ {ranking.STRONG_SCORE} and text ≥ {ranking.STRONG_TEXT}): answerable "
          f"→ strong {a_s}, no strong candidate {a_w}; unanswerable → strong {u_s}, no strong candidate {u_w}")
    # The score threshold is chosen; the text floor stays as shipped (fewer knobs to fit to 5 unanswerable demands).
    grid = [(s / 100, ranking.STRONG_TEXT) for s in range(18, 46)]

    def rule(p: tuple[float, float]) -> Callable[[Any], bool]:
        return lambda best: best.score >= p[0] and best.signals["text"] >= p[1]

    def balanced(c: tuple[int, int, int, int]) -> float:
        a_s, a_w, u_s, u_w = c
        return (a_s / max(a_s + a_w, 1) + u_w / max(u_s + u_w, 1)) / 2

    totals = [0, 0, 0, 0]
    chosen = []
    for tune, test in splits:
        best = max(grid, key=lambda p: (balanced(confusion(rule(p), tune)), -abs(p[0] - ranking.STRONG_SCORE)))
        chosen.append(best)
        totals = [x + y for x, y in zip(totals, confusion(rule(best), test), strict=True)]
    print(f"  thresholds (score, text) chosen on one half, judged on the other, summed over {len(splits)} halves: "
          f"answerable → strong {totals[0]}, no strong {totals[1]} ({totals[1] / max(totals[0] + totals[1], 1):.0%}); "
          f"unanswerable → strong {totals[2]}, no strong {totals[3]} ({totals[3] / max(totals[2] + totals[3], 1):.0%} "
          f"caught); chosen: {sorted(set(chosen))[:8]}…")
    for p in ((0.25, 0.20), (0.28, 0.10), (0.30, 0.0), (0.30, 0.10), (0.30, 0.15), (0.30, 0.20), (0.32, 0.10)):
        print(f"  score ≥ {p[0]}, text ≥ {p[1]} on all 60: answerable → strong / no strong {confusion(rule(p))[:2]}, "
              f"unanswerable → strong / no strong {confusion(rule(p))[2:]}")


def main(argv: list[str]) -> int:
    firms, demands, qrels = load_firms(), load_demands(), load_qrels()
    print(f"evaluation set: {len(firms)} firms, {len(demands)} demands, "
          f"{sum(len(j) for j in qrels.values())} judgements")
    vectors = Vectors(None if "--fresh-vectors" in argv else VECTORS)
    vectors.path = VECTORS
    started, rss = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for firm in firms:
        vectors.firm(firm)
    firm_s = time.perf_counter() - started
    started = time.perf_counter()
    for demand in demands:
        vectors.demand(demand)
    demand_s = time.perf_counter() - started
    vectors.save()
    print(f"embeddings: firms {firm_s * 1000 / len(firms):.1f} ms each, demands {demand_s * 1000 / len(demands):.1f} "
          f"ms each (0 when cached in {VECTORS.name}); max RSS {rss // 1024} → "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")

    rankers: dict[str, Ranker] = {}
    timed: dict[str, float] = {}

    def build(name: str, make: Callable[[], Ranker]) -> Ranker:
        started = time.perf_counter()
        rankers[name] = make()
        timed[name] = time.perf_counter() - started
        return rankers[name]

    dense = Dense(firms, vectors)
    text_lister = build_lister(firms, weights=TEXT_ONLY_WEIGHTS)
    ours_lister = build_lister(firms, vectors=vectors)
    build("bm25", lambda: build_bm25(firms))
    build("bm25-publisher", lambda: build_bm25(firms, exclude_publisher=True))
    build("e5", lambda: dense.ranker(0.0, 1.0))
    build("bm25+e5 (z)", lambda: dense.ranker(1.0, 1.0))
    build("ours-text", lambda: lambda d: [s.key for s, _ in text_lister(d).results])
    build("ours", lambda: lambda d: [s.key for s, _ in ours_lister(d).results])
    results = {name: run(name, r, demands, qrels, timed[name]) for name, r in rankers.items()}
    print(f"(averages over the {results['bm25']['answerable']} answerable demands)")
    for summary in results.values():
        print(line(summary))
    answerable = [d["id"] for d in demands if results["bm25"]["per_demand"][d["id"]].answerable]
    for a, b in (("ours", "bm25"), ("ours", "ours-text"), ("ours", "e5"), ("ours", "bm25+e5 (z)"),
                 ("ours-text", "bm25"), ("e5", "bm25")):
        mean, low, high = paired_bootstrap([results[a]["per_demand"][i].ndcg for i in answerable],
                                           [results[b]["per_demand"][i].ndcg for i in answerable])
        print(f"{a} − {b}:".ljust(24) + f"nDCG@{K} {mean:+.3f}, 95 % bootstrap interval over demands "
              f"[{low:+.3f}, {high:+.3f}]")

    ids = [d["id"] for d in demands]
    splits = halves(ids)
    print(f"\nheld out (chosen on one half of the demands, measured on the other; nDCG@{K}):")
    engine = ours_lister.engine  # type: ignore[attr-defined]
    per_weight = {}
    for w in SEMANTIC_GRID:
        engine.weights = with_semantic(w)
        per_weight[w] = ndcg_on(lambda d: [s.key for s, _ in ours_lister(d).results], demands, qrels)
    engine.weights = ranking.WEIGHTS
    refs = {name: {i: r.ndcg for i, r in results[name]["per_demand"].items() if r.answerable}
            for name in ("bm25", "ours-text")}
    held_out("ours, semantic weight", list(SEMANTIC_GRID), per_weight, refs, splits)
    per_z = {w: ndcg_on(dense.ranker(1.0, w), demands, qrels) for w in Z_GRID}
    held_out("bm25+e5 (z), cosine weight", list(Z_GRID), per_z, refs, splits)
    print("  ours by semantic weight on all demands: "
          + "  ".join(f"{w}: {np.mean(list(f.values())):.3f}" for w, f in per_weight.items()))
    late = [i for i in answerable if i >= "D53"]
    print(f"  on D53–D60 (written last, before the engine ran on them; {len(late)} answerable): "
          + "  ".join(f"{n} {np.mean([results[n]['per_demand'][i].ndcg for i in late]):.3f}"
                      for n in ("bm25", "e5", "ours-text", "ours")))
    print()
    verdicts(ours_lister, demands, qrels, splits)

    if "--per-demand" in argv:
        print("\nper demand, nDCG@10 (unanswerable demands: how many firms each ranker named):  "
              + "  ".join(results))
        for demand in demands:
            judged = [r["per_demand"][demand["id"]] for r in results.values()]
            if judged[0].answerable:
                cells = "  ".join(f"{j.ndcg:.2f}" for j in judged)
            else:
                cells = "  ".join(f"n={j.returned}" for j in judged) + "  (unanswerable, not averaged)"
            print(f"{demand['id']:<5} {demand['title'][:24]:<24} {cells}")
    wanted = {argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--show"}
    by_uscc = {f["uscc"]: f for f in firms}
    for demand in demands:
        if demand["id"] in wanted:
            show(demand, rankers, by_uscc, qrels.get(demand["id"], {}))
    return 0


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
