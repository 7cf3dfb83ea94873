"""Ranking quality on the matching evaluation set (tests/matching/data): our engine against plain BM25, same run.

For every demand of the set, each ranker returns firm USCCs best first; the figures are nDCG@10, recall@10 (of
firms graded ≥ 2) and MRR, averaged over the demands that some firm can answer, as tests/matching/evaluation.py
defines them. Demands nobody in the set can answer are counted apart: a ranker abstains correctly there when it
returns nothing.

"unjudged in top 10" is the share of top-10 places filled by firms nobody judged (they count 0): if it grows
for a ranker, its figures are under-stated and the pools need widening (tests/matching/data/LABELLING.md).

With our engine present it also prints a 95 % paired bootstrap interval of the nDCG@10 difference (demands
resampled): on a set of ~50 demands, a difference whose interval contains 0 is not "clearly above".

Rankers:
* ``bm25``: tantivy BM25 over rjieba words of name + products + capabilities, query = title + description, nothing
  else (bench/_matching_baseline.py);
* ``bm25-publisher``: the same, with the demand's publisher filtered out (to see what that filter alone is worth);
* ``ours``: ``services.matching.quality.build_ranker(firms)``, when that module exists.

    .venv/bin/python bench/bench_matching_quality.py [--per-demand] [--show D14 ...]

``--show`` lists each ranker's top 10 for the demands named, with every firm's name and judged grade.

A benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from typing import Any

from bench._matching_baseline import build_bm25
from tests.matching.evaluation import K, evaluate, load_demands, load_firms, load_qrels, paired_bootstrap

METRICS = (f"ndcg@{K}", f"recall@{K}", "mrr")


def our_builder() -> tuple[Callable[[list[dict[str, Any]]], Callable[[dict[str, Any]], list[str]]] | None, str]:
    try:
        module = importlib.import_module("services.matching.quality")
    except ModuleNotFoundError as exc:
        if exc.name and "services.matching.quality".startswith(exc.name):
            return None, "services/matching/quality.py does not exist yet"
        raise
    build = getattr(module, "build_ranker", None)
    if build is None:
        return None, "services.matching.quality has no build_ranker"
    return build, ""


def show(demand: dict[str, Any], rankers: dict[str, Callable[[dict[str, Any]], list[str]]],
         firms: dict[str, dict[str, Any]], judged: dict[str, int]) -> None:
    print(f"\n{demand['id']} {demand['title']} (grade ≥ 2: "
          f"{', '.join(firms[u]['name'] for u, g in judged.items() if g >= 2) or 'none'})")
    for name, ranker in rankers.items():
        print(f"  {name}:")
        for place, uscc in enumerate(ranker(dict(demand))[:K], start=1):
            grade = judged.get(uscc, "-")
            publisher = "  (publisher)" if uscc == demand.get("publisher_uscc") else ""
            print(f"    {place:>2}. [{grade}] {firms[uscc]['name']}: {(firms[uscc]['main_products'] or '')[:40]}"
                  f"{publisher}")


def run(name: str, build: Callable[[], Callable[[dict[str, Any]], list[str]]], demands: list[dict[str, Any]],
        qrels: dict[str, dict[str, int]]) -> dict[str, Any]:
    started = time.perf_counter()
    ranker = build()
    built = time.perf_counter() - started
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


def main(argv: list[str]) -> int:
    firms, demands, qrels = load_firms(), load_demands(), load_qrels()
    print(f"evaluation set: {len(firms)} firms, {len(demands)} demands, "
          f"{sum(len(j) for j in qrels.values())} judgements")
    rankers: dict[str, Callable[[dict[str, Any]], list[str]]] = {}
    results = [run("bm25", lambda: rankers.setdefault("bm25", build_bm25(firms)), demands, qrels),
               run("bm25-publisher", lambda: build_bm25(firms, exclude_publisher=True), demands, qrels)]
    build, why_not = our_builder()
    if build is not None:
        results.append(run("ours", lambda: rankers.setdefault("ours", build(firms)), demands, qrels))
    print(f"(averages over the {results[0]['answerable']} answerable demands)")
    for summary in results:
        print(line(summary))
    if build is None:
        print(f"ours            not available: {why_not}")
    else:
        ours, base = results[-1], results[0]
        print("ours − bm25     " + "  ".join(f"{m} {ours[m] - base[m]:+.3f}" for m in METRICS))
        answerable = [d["id"] for d in demands if ours["per_demand"][d["id"]].answerable]
        mean, low, high = paired_bootstrap([ours["per_demand"][i].ndcg for i in answerable],
                                           [base["per_demand"][i].ndcg for i in answerable])
        print(f"                nDCG@{K} difference {mean:+.3f}, 95 % bootstrap interval over demands "
              f"[{low:+.3f}, {high:+.3f}]")
    if "--per-demand" in argv:
        print("\nper demand, nDCG@10 (unanswerable demands: how many firms each ranker named):  "
              + "  ".join(r["name"] for r in results))
        for demand in demands:
            judged = [r["per_demand"][demand["id"]] for r in results]
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
