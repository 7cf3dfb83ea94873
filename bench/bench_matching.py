"""Matching at scale: top-10 candidates among 100,000 firms through the HTTP API at 16 concurrent clients, next to
the raw index query time measured in the same run; the index build time, the API process's RSS with every firm
indexed, and the replay rate of ``seedbed matching rebuild``.

    .venv/bin/python -m bench.bench_matching [--firms 100000] [--requests 3000] [--clients 16] [--replay 5000]

What runs: a PostgreSQL database of its own (seedbed_bench_matching), migrated afresh; N synthetic firms written
straight into the enterprise read model (Chinese profiles composed from the domain dictionary's industries, so that
queries hit realistic posting lists) and 200 published scenarios; the matching API as its own process
(``seedbed matching api``, uvicorn, one worker), which loads its index from the database before it answers (the
build time is its start-up); the clients in this process, as an operator's load generator would be: a process
of its own, with a thin keep-alive HTTP/1.1 client (``Connection``; ``--client httpx`` for httpx, whose own CPU per
request queues 16 clients in one loop and counts as latency). On this 2-core machine the client's CPU still
competes with the server's: the figures are pessimistic. The raw figure is ``Engine.candidates`` on an index of the same firms built in this process: what
the API adds on top is HTTP, auth and JSON.

Each request asks for one of 200 scenarios filtered to one of five districts (1,000 distinct lists), so with
``--remembered`` on, the first request of each list is ranked and later ones are remembered.

Before/after in the same run: ``--baseline DIR`` (a checkout of another commit, e.g. ``git archive <commit> | tar
-x -C DIR``) starts that code's API too, on the same database, and the two take turns (``--rounds``, order swapped
each round); the ratios printed are this checkout's over the baseline's.

The replay: ``--replay`` registration events are produced to topics of the bench's own and replayed into the read
model with the rebuild job; the rate is reported (a full 100,000-firm replay is that rate's time).

A benchmark, not a test: figures vary ±20–50 % on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from bench._support import database_url, fresh_database
from shared.auth import Role, issue_token
from shared.settings import LOCAL_JWT_SECRET
from tests.support import KAFKA, free_port, make_uscc

ROOT = Path(__file__).resolve().parents[1]
DB = "seedbed_bench_matching" + os.environ.get("SEEDBED_TEST_DB_SUFFIX", "")
DISTRICTS = ("330502", "330503", "330521", "330522", "330523")
TIERS = ((), (), (), ("tech_sme",), ("srdi_sme",), ("hnte",), ("little_giant", "srdi_sme"))
POOLS = (None, None, "seedling_pool", "cultivation_pool")
GLUE = ("研发生产", "设计制造", "提供", "及配套服务", "检测", "定制加工", "系统集成", "销售与售后")


def industries() -> list[list[str]]:
    """The dictionary's sections (one per industry) as vocabularies."""
    sections: list[list[str]] = []
    for line in (ROOT / "services/matching/data/dictionary.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# ---"):
            sections.append([])
        elif line.strip() and not line.startswith("#") and sections:
            sections[-1].append(line.strip())
    return [s for s in sections if len(s) > 20]


def synthetic_firm(n: int, vocab: list[list[str]], rng: random.Random) -> dict[str, Any]:
    trade = vocab[n % len(vocab)]
    products = rng.sample(trade, 3)
    capability = rng.sample(trade, 2) + rng.sample(vocab[rng.randrange(len(vocab))], 1)
    district = DISTRICTS[n % len(DISTRICTS)]
    return {
        "enterprise_id": uuid.UUID(int=n + 1), "uscc": make_uscc(n, district), "name": f"湖州{products[0]}科技有限公司{n}",
        "district_code": district, "industry_code": f"C{30 + n % 10}{n % 9}{n % 7}",
        "sector": "advanced_manufacturing", "cluster": f"cluster_{n % len(vocab)}",
        "main_products": "、".join(products) + rng.choice(GLUE),
        "technical_capabilities": f"具备{capability[0]}与{capability[1]}能力，{rng.choice(GLUE)}{capability[2]}",
        "product_tags": products[:2], "capability_tags": capability[:2], "held_tiers": list(rng.choice(TIERS)),
        "pool": rng.choice(POOLS), "size_class": rng.choice(("micro", "small", "medium")), "registry_version": 1,
        "source_event_time": datetime.now(UTC), "updated_at": datetime.now(UTC),
    }


def synthetic_scenario(n: int, vocab: list[list[str]], rng: random.Random) -> dict[str, Any]:
    trade = vocab[n % len(vocab)]
    need = rng.sample(trade, 2)
    return {"scenario_id": uuid.UUID(int=10**9 + n), "title": f"寻找{need[0]}合作伙伴",
            "description": f"我司计划开展{need[0]}与{need[1]}项目，需要具备相关能力的本地企业联合攻关。",
            "status": "published", "publisher_kind": "department", "publisher_department": "湖州市经信局",
            "sector": "advanced_manufacturing", "capability_tags": [need[1]], "district_code": DISTRICTS[n % 5],
            "deadline": date.today() + timedelta(days=60), "source_version": 1,
            "source_event_time": datetime.now(UTC), "updated_at": datetime.now(UTC)}


async def seed(url: str, firms: list[dict[str, Any]], scenarios: list[dict[str, Any]]) -> None:
    from services.matching.models import EnterpriseProfile, ScenarioRecord
    from shared.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for i in range(0, len(firms), 5000):
                await conn.execute(insert(EnterpriseProfile.__table__), firms[i:i + 5000])
            await conn.execute(insert(ScenarioRecord.__table__), scenarios)
    finally:
        await engine.dispose()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def wait_ready(server: subprocess.Popen[bytes], port: int, started: float) -> float:
    """Seconds from ``started`` until the API answers its health check (it loads its index first)."""
    async with httpx.AsyncClient() as probe:
        while True:
            try:
                if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise RuntimeError("the matching API exited during start-up")
            await asyncio.sleep(0.2)


class Connection:
    """One keep-alive HTTP/1.1 connection, as thin as a load generator's: the request's bytes out; the status line,
    the headers and a Content-Length body in. Why not httpx here: it costs the client ~1-2 ms of CPU per request,
    and 16 clients in one event loop queue behind each other for it, time the latencies then counted as the
    server's (``--client httpx`` measures that way, for comparison)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: dict[str, str]) -> None:
        self.reader, self.writer = reader, writer
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    @classmethod
    async def open(cls, port: int, headers: dict[str, str]) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port), headers)

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.headers}\r\n".encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        await self.reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


async def api_load(port: int, scenario_ids: list[uuid.UUID], requests: int, clients: int, start: int = 0,
                   client_kind: str = "raw") -> tuple[list[float], int]:
    """``requests`` requests from ``clients`` concurrent clients, each on its own keep-alive connection: request i
    (counted from ``start``) asks for scenario i mod 200 in district (i div 200) mod 5, so 1,000 requests ask for
    1,000 distinct lists."""
    token = issue_token(secret=LOCAL_JWT_SECRET, role=Role.OFFICER, subject="bench", city_wide=True)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(start, start + requests):
        scenario, district = scenario_ids[i % len(scenario_ids)], DISTRICTS[i // len(scenario_ids) % len(DISTRICTS)]
        queue.put_nowait(f"/v1/scenarios/{scenario}/candidates?limit=10&district_code={district}")
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits,
                                 timeout=30) as client:
        connections = [await Connection.open(port, headers) for _ in range(clients)]
        for n, connection in enumerate(connections):  # warm-up: connections, first allocations
            await connection.get(f"/v1/scenarios/{scenario_ids[n]}/candidates?limit=10&tier=hnte")

        async def get(connection: Connection, path: str) -> int:
            return await connection.get(path) if client_kind == "raw" else (await client.get(path)).status_code

        async def worker(connection: Connection) -> None:
            nonlocal errors
            while not queue.empty():
                path = queue.get_nowait()
                started = time.perf_counter()
                try:
                    status = await get(connection, path)
                except (httpx.TransportError, ConnectionError, asyncio.IncompleteReadError):  # counted, not fatal
                    errors += 1
                    connection.close()
                    connection = await Connection.open(port, headers)
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                errors += status != 200

        try:
            await asyncio.gather(*(worker(c) for c in connections))
        finally:
            for connection in connections:
                connection.close()
    return latencies, errors


def raw_queries(firms: list[dict[str, Any]], scenarios: list[dict[str, Any]], requests: int) -> tuple[list[float], float]:
    from services.matching.index import Engine, demand_need, put_firm
    from services.matching.service.indexing import scenario_demand

    engine = Engine()
    started = time.perf_counter()
    for firm in firms:
        put_firm(engine, firm)
    engine.refresh()
    built = time.perf_counter() - started

    class Row:
        def __init__(self, values: dict[str, Any]) -> None:
            self.__dict__.update(values, cluster=None, industry_chain=None, publisher_uscc=None)

    needs = [demand_need(engine, scenario_demand(Row(s)), str(s["scenario_id"])) for s in scenarios]
    timings = []
    for i in range(requests):
        started = time.perf_counter()
        engine.candidates(needs[i % len(needs)], k=10)
        timings.append((time.perf_counter() - started) * 1000)
    return timings, built


async def replay_rate(count: int, url: str) -> tuple[float, float]:
    """Produce ``count`` registrations to topics of the bench's own, replay them with the rebuild job: seconds and
    events per second."""
    from services.matching.jobs import replay
    from services.matching.models import EnterpriseProfile
    from services.matching.settings import Settings
    from shared.bus.kafka import create_topics, new_producer
    from shared.events.catalog import REGISTRY_ENTERPRISE
    from shared.events.envelope import CloudEvent
    from shared.events.registry import EnterpriseRegistered
    from shared.read_models.enterprises import enterprise_subscription

    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    await create_topics(KAFKA, [REGISTRY_ENTERPRISE], prefix)
    producer = new_producer(KAFKA, "bench-matching")
    await producer.start()
    rng = random.Random(7)
    vocab = industries()
    try:
        for n in range(count):
            firm = synthetic_firm(500_000 + n, vocab, rng)
            payload = EnterpriseRegistered(**{k: firm[k] for k in (
                "enterprise_id", "uscc", "name", "district_code", "industry_code", "sector", "cluster",
                "main_products", "product_tags", "technical_capabilities", "capability_tags", "size_class", "pool")},
                version=1)
            event = CloudEvent.of(payload, service="registry", subject=str(firm["enterprise_id"]))
            await producer.send(prefix + REGISTRY_ENTERPRISE.name, value=event.kafka_value(),
                                key=str(firm["enterprise_id"]).encode(), headers=event.kafka_headers())
        await producer.flush()
    finally:
        await producer.stop()
    settings = Settings(environment="local", database_url=url, kafka_topic_prefix=prefix, kafka_bootstrap=KAFKA)
    done = await replay(settings, enterprise_subscription(EnterpriseProfile))
    return done.seconds, done.applied / done.seconds if done.seconds else float("nan")


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--replay", type=int, default=5000)
    parser.add_argument("--baseline", help="another checkout of the code (e.g. `git worktree add /tmp/base <commit>`): "
                                           "its API is measured too, taking turns with this one's, on the same data")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="the load generator's HTTP client (default: a thin keep-alive one, see Connection)")
    parser.add_argument("--warm", action="store_true", help="ask for every list once, unmeasured, first")
    parser.add_argument("--rounds", type=int, default=1, help="turns each API takes (with --baseline: several)")
    parser.add_argument("--remembered", type=int, default=0,
                        help="the API's remembered candidate lists (default 0: every request is ranked afresh; the "
                             "service's default is 20,000)")
    args = parser.parse_args(argv)

    rng = random.Random(2026)
    vocab = industries()
    firms = [synthetic_firm(n, vocab, rng) for n in range(args.firms)]
    scenarios = [synthetic_scenario(n, vocab, rng) for n in range(200)]
    url = await fresh_database(DB, service="matching")
    started = time.perf_counter()
    await seed(url, firms, scenarios)
    print(f"seeded {len(firms):,} firms and {len(scenarios)} scenarios in {time.perf_counter() - started:.1f} s")

    env = {**os.environ, "SEEDBED_MATCHING_DATABASE_URL": url, "SEEDBED_MATCHING_ENVIRONMENT": "local",
           "SEEDBED_MATCHING_KAFKA_BOOTSTRAP": KAFKA, "SEEDBED_MATCHING_REMEMBERED_LISTS": str(args.remembered)}
    roots = {"this": ROOT} | ({"baseline": Path(args.baseline).resolve()} if args.baseline else {})
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    started = time.perf_counter()
    try:
        for name, root in roots.items():
            port = free_port()
            log = open(f"/tmp/bench_matching_api_{name}.log", "wb")  # noqa: SIM115 - the server's output
            # cwd=root: ``python -m`` puts the checkout first on sys.path, so each server runs its own code.
            servers[name] = (subprocess.Popen([sys.executable, "-m", "shared.cli", "matching", "api"], cwd=root,
                                              env=env | {"SEEDBED_MATCHING_HTTP_PORT": str(port)}, stdout=log,
                                              stderr=subprocess.STDOUT), port)
        ready = {name: await wait_ready(process, port, started) for name, (process, port) in servers.items()}
        rss_loaded = {name: rss_mib(process.pid) for name, (process, _) in servers.items()}
        latencies: dict[str, list[float]] = {name: [] for name in servers}
        errors = dict.fromkeys(servers, 0)
        busy = dict.fromkeys(servers, 0.0)
        ids = [s["scenario_id"] for s in scenarios]
        if args.warm:  # one unmeasured pass over the 1,000 lists: with --remembered, every measured one is
            for name in servers:   # served remembered (the steady state of lists read more often than ranked)
                await api_load(servers[name][1], ids, 1000, args.clients, 0, args.client)
        # With a baseline, the servers take turns, round by round (the order swapped every round): both see the
        # same requests under the same load of the machine, so their ratio holds even when absolute figures drift.
        for round_ in range(args.rounds):
            for name in (list(servers) if round_ % 2 == 0 else list(reversed(servers))):
                loaded = time.perf_counter()
                per_round = args.requests // args.rounds
                measured, failed = await api_load(servers[name][1], ids, per_round, args.clients, round_ * per_round,
                                                  args.client)
                busy[name] += time.perf_counter() - loaded
                latencies[name] += measured
                errors[name] += failed
        rss_after = {name: rss_mib(process.pid) for name, (process, _) in servers.items()}
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(30)

    raw, built = raw_queries(firms, scenarios, args.requests)
    for name in servers:
        print(f"[{name} = {roots[name]}] API start-up with {len(firms):,} firms (load from PostgreSQL + analyse + "
              f"index): {ready[name]:.1f} s; RSS {rss_loaded[name]:.0f} MiB after the load, {rss_after[name]:.0f} MiB "
              "after the run")
    print(f"index build in process (analyse + tantivy): {built:.1f} s")
    for name in servers:
        got = latencies[name]
        print(f"[{name}] HTTP GET /v1/scenarios/{{id}}/candidates?limit=10, {args.clients} clients, {len(got)} "
              f"requests, {errors[name]} errors, remembered lists {'off' if not args.remembered else 'on'}, "
              f"client {args.client}: "
              f"p50 {percentile(got, 50):.1f} ms  p95 {percentile(got, 95):.1f} ms  p99 {percentile(got, 99):.1f} ms  "
              f"mean {statistics.fmean(got):.1f} ms  ({len(got) / busy[name]:.0f} requests/s)")
    if "baseline" in servers:
        this, base = latencies["this"], latencies["baseline"]
        print("this ÷ baseline: " + "  ".join(f"p{p} {percentile(this, p) / percentile(base, p):.2f}"
                                                for p in (50, 95, 99))
              + f"  throughput {len(this) / busy['this'] / (len(base) / busy['baseline']):.2f}")
    print(f"raw   Engine.candidates(k=10), one caller:                   p50 {percentile(raw, 50):.2f} ms  "
          f"p95 {percentile(raw, 95):.2f} ms  p99 {percentile(raw, 99):.2f} ms")
    if args.replay:
        seconds, rate = await replay_rate(args.replay, database_url(DB))
        print(f"replay: {args.replay:,} registrations in {seconds:.1f} s ({rate:,.0f} events/s; "
              f"{args.firms:,} firms ≈ {args.firms / rate:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
