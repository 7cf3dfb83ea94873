"""What the semantic signal costs matching (in process, no HTTP): the model's time per text, and at 100,000 firms
the memory of the vectors and the time they add to ranking a candidate list afresh.

    .venv/bin/python -m bench.bench_matching_vectors [--firms 100000] [--lists 400] [--texts 40] [--load]

Firms and demands are bench_matching's synthetic ones. Their vectors are random unit vectors (float16, as stored):
embedding 100,000 texts takes ~1–3 hours of one core, and what is measured here — memory, and the cosine of a
demand with its ~100 retrieved firms — does not depend on the values. The model's own cost is measured on real
texts of the kind (``--texts`` firms and demands). Ranking with and without vectors alternates over the same lists
in the same run (ratios are what to read on a shared machine).

``--load``: an API process's start-up from PostgreSQL (database ``seedbed_bench_vectors`` + SEEDBED_TEST_DB_SUFFIX):
the firms' rows are written, then a fresh process loads the index (``LiveIndex.catch_up``, as the app's lifespan
does) without stored vectors, the vectors are written, and another fresh process loads it with them; each prints
its load time and RSS. A benchmark: it always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from bench.bench_matching import industries, synthetic_firm, synthetic_scenario
from services.matching import semantic
from services.matching.index import Engine, demand_need, put_firm
from services.matching.service.indexing import scenario_demand


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


DB = "seedbed_bench_vectors" + os.environ.get("SEEDBED_TEST_DB_SUFFIX", "")


def random_vectors(count: int, seed: int) -> np.ndarray:
    unit = np.random.default_rng(seed).standard_normal((count, semantic.DIMENSIONS)).astype(np.float32)
    return (unit / np.linalg.norm(unit, axis=1, keepdims=True)).astype(semantic.STORED_DTYPE)


async def load_once(url: str) -> dict[str, float]:
    """One start-up's index load, in this (fresh) process."""
    from services.matching.service.indexing import LiveIndex
    from shared.db import create_engine, session_factory

    before = rss_mib()
    engine = create_engine(url)
    started = time.perf_counter()
    live = LiveIndex()
    async with session_factory(engine)() as session:
        await live.catch_up(session)
    seconds = time.perf_counter() - started
    await engine.dispose()
    return {"seconds": seconds, "rss_mib": rss_mib(), "index_mib": rss_mib() - before,
            "vectors": len(live.vectors), "firms": len(live.engine.firms)}


async def load_bench(args: argparse.Namespace, firms: list[dict[str, object]]) -> None:
    from sqlalchemy import insert

    from bench._support import fresh_database
    from bench.bench_matching import seed
    from services.matching.models import TextEmbedding
    from shared.db import create_engine

    url = await fresh_database(DB, service="matching")
    await seed(url, firms, [synthetic_scenario(0, industries(), random.Random(1))])

    def start_up(label: str) -> None:
        out = subprocess.run([sys.executable, "-m", "bench.bench_matching_vectors", "--load-from", url],
                             capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"start-up load of {figures['firms']:,} firms, {label}: {figures['seconds']:.1f} s, index "
              f"+{figures['index_mib']:.0f} MiB, process RSS {figures['rss_mib']:.0f} MiB "
              f"({figures['vectors']:,} vectors)")

    start_up("no vectors stored")
    vectors = random_vectors(len(firms), 9)
    rows = [{"text_key": semantic.text_key(semantic.PASSAGE, semantic.firm_text(f)), "vector": v.tobytes()}
            for f, v in zip(firms, vectors, strict=True)]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for i in range(0, len(rows), 5000):
                await conn.execute(insert(TextEmbedding.__table__), rows[i:i + 5000])
    finally:
        await engine.dispose()
    start_up("every firm's vector stored")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--lists", type=int, default=400)
    parser.add_argument("--texts", type=int, default=40)
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--load-from", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_from:
        print(json.dumps(asyncio.run(load_once(args.load_from))))
        return 0
    rng = random.Random(7)
    vocab = industries()
    firms = [synthetic_firm(n, vocab, rng) for n in range(args.firms)]
    if args.load:
        asyncio.run(load_bench(args, firms))
        return 0
    demands = [scenario_demand(SimpleNamespace(**{"cluster": None, "industry_chain": None, "publisher_uscc": None} | s)) for s in
               (synthetic_scenario(n, vocab, rng) for n in range(200))]

    # The model: load, then real texts of the kind.
    before = rss_mib()
    started = time.perf_counter()
    semantic.model()
    load_s = time.perf_counter() - started
    sample = firms[: args.texts]
    started, cpu = time.perf_counter(), time.process_time()
    for firm in sample:
        semantic.embed_passages([semantic.firm_text(firm)])
    passage_ms = (time.perf_counter() - started) * 1000 / len(sample)
    passage_cpu = (time.process_time() - cpu) * 1000 / len(sample)
    started, cpu = time.perf_counter(), time.process_time()
    for demand in demands[: args.texts]:
        semantic.embed_query(semantic.demand_text(demand))
    query_ms = (time.perf_counter() - started) * 1000 / args.texts
    query_cpu = (time.process_time() - cpu) * 1000 / args.texts
    started = time.perf_counter()
    semantic.embed_passages([semantic.firm_text(f) for f in sample])
    batch_ms = (time.perf_counter() - started) * 1000 / len(sample)
    model_mib = rss_mib() - before  # the weights are mapped: their pages count once the model has run
    print(f"model: load {load_s:.2f} s, +{model_mib:.0f} MiB RSS; a firm's profile {passage_ms:.1f} ms wall, "
          f"{passage_cpu:.1f} ms CPU (batched {batch_ms:.1f} ms wall), a demand {query_ms:.1f} ms wall, "
          f"{query_cpu:.1f} ms CPU; one thread")

    # The index without vectors, then the same firms given vectors.
    before = rss_mib()
    engine = Engine()
    engine.remember = 0
    started = time.perf_counter()
    for firm in firms:
        put_firm(engine, firm)
    engine.refresh()
    build_s, index_mib = time.perf_counter() - started, rss_mib() - before
    before = rss_mib()
    started = time.perf_counter()
    vectors = {semantic.text_key(semantic.PASSAGE, str(i)): v for i, v in enumerate(random_vectors(len(firms), 7))}
    for firm, (key, vector) in zip(firms, vectors.items(), strict=True):
        engine.firms.get(firm["uscc"]).text_key = key  # type: ignore[union-attr]
        engine.firms.give_vector(firm["uscc"], key, vector)
    attach_s, vectors_mib = time.perf_counter() - started, rss_mib() - before
    print(f"index of {len(firms):,} firms: built in {build_s:.1f} s, +{index_mib:.0f} MiB RSS; their vectors "
          f"(float16, kept by text key as the live index keeps them): +{vectors_mib:.0f} MiB RSS, attached in "
          f"{attach_s:.1f} s")

    needs = [demand_need(engine, d, f"scenario:{d['id']}") for d in demands]
    demand_vectors = [v.astype(semantic.STORED_DTYPE) for v in
                      np.random.default_rng(8).standard_normal((len(needs), semantic.DIMENSIONS)).astype(np.float32)
                      / np.sqrt(semantic.DIMENSIONS)]
    timings: dict[str, list[float]] = {"words only": [], "with vectors": []}
    for i in range(args.lists):
        j = i % len(needs)
        order = (("words only", None), ("with vectors", demand_vectors[j]))
        for name, vector in order if i % 2 == 0 else reversed(order):
            started = time.perf_counter()
            engine.candidates(needs[j], k=10, afresh=True, vector=vector)
            timings[name].append((time.perf_counter() - started) * 1000)
    base = statistics.median(timings["words only"])
    for name, values in timings.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"Engine.candidates(k=10) afresh, {name:<12}: p50 {p50:.2f} ms, p95 {p95:.2f} ms "
              f"(p50 ×{p50 / base:.2f})")
    print(f"process RSS at the end: {rss_mib():.0f} MiB")
    engine.close()
    return 0


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
