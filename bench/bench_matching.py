"""Matching at scale: top-10 candidates among 100,000 firms through the HTTP API at 16 concurrent clients, with and
without a concurrent stream of registry changes, next to the raw index query time measured in the same run; the
index build time, the API process's RSS with every firm indexed, and the replay rate of ``seedbed matching rebuild``.

    .venv/bin/python -m bench.bench_matching [--firms 100000] [--requests 12000] [--clients 16] [--repeats 3]
                                             [--changes-per-second 20] [--verify 1000] [--replay 5000]

What runs: a PostgreSQL database of its own (seedbed_bench_matching), migrated afresh; N synthetic firms written
straight into the enterprise read model (Chinese profiles composed from the domain dictionary's industries, so that
queries hit realistic posting lists) and 200 published scenarios; the matching API as its own process
(``seedbed matching api``, uvicorn, one worker), which loads its index from the database before it answers (the
build time is its start-up); the clients in this process, as an operator's load generator would be: a process
of its own, with a thin keep-alive HTTP/1.1 client (``Connection``; ``--client httpx`` for httpx, whose own CPU per
request queues 16 clients in one loop and counts as latency). On this 2-core machine the client's CPU still
competes with the server's: the figures are pessimistic. The raw figure is ``Engine.candidates`` ranked afresh on
an index of the same firms built in this process: what the API adds on top is HTTP, auth, JSON and queueing.

Each request asks for one of 200 scenarios filtered to one of five districts (1,000 distinct lists). Remembered
lists are on, as the service runs (``--remembered``, default 20,000; 0 ranks every request afresh). Each repeat
measures two runs, their order swapped every repeat, each after an unmeasured pass over the 1,000 lists (the
steady state of lists read more often than ranked):

* ``quiet``: nothing changes;
* ``changing``: ``--changes-per-second`` registry changes are written into matching's read model while the clients
  run, as the matching worker writes what it consumes (the API's index polls them in): half rewrite a firm's
  products and capabilities (words of its own trade), a quarter change its tiers or pool, a quarter change a field
  matching does not rank on (its short name: contacts, addresses and the like reach the read model the same way).

Printed per run: p50/p95/p99, throughput, and the share of answers served remembered (the API's /metrics); then
their medians over the repeats.

``--verify``: in this process, on the raw index with the 200 scenarios indexed, the 1,000 lists are remembered,
then as many changes of the same mix are applied, and every remembered list is compared with a fresh ranking
every 250 changes: stale lists are counted (they must be 0) apart from lists that differ only at the edge of their
pool of ranked firms (tantivy's top 100 by its own BM25 statistics, which drift with every change: index.Engine);
with the lists forgotten per change and the time each change costs with 1,000 lists remembered.

Before/after in the same run: ``--baseline DIR`` (a checkout of another commit, e.g. ``git archive <commit> | tar
-x -C DIR``) starts that code's API too, on the same database, and each run is measured on both in turn; the
ratios printed are this checkout's over the baseline's.

The replay: ``--replay`` registration events are produced to topics of the bench's own and replayed into the read
model with the rebuild job; the rate is reported (a full 100,000-firm replay is that rate's time).

A benchmark, not a test: figures vary ±20–50 % on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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


def registry_change(n: int, vocab: list[list[str]], rng: random.Random, firms: int) -> tuple[str, dict[str, Any]]:
    """One registry change of the bench's mix, to a random firm: its USCC and the read model's new values."""
    i = rng.randrange(firms)
    uscc = make_uscc(i, DISTRICTS[i % len(DISTRICTS)])
    roll = rng.random()
    if roll < 0.5:      # new products and capabilities, in words of its own trade
        fresh = synthetic_firm(i, vocab, rng)
        values = {k: fresh[k] for k in ("main_products", "technical_capabilities", "product_tags", "capability_tags")}
    elif roll < 0.75:   # a tier gained or lost, a pool
        values = {"held_tiers": list(rng.choice(TIERS)), "pool": rng.choice(POOLS)}
    else:               # a field matching does not rank on
        values = {"short_name": f"简称{n}"}
    return uscc, values


async def change_stream(url: str, per_second: float, stop: asyncio.Event, seed: int) -> int:
    """Registry changes written into matching's read model at ``per_second`` until ``stop``, as the matching worker
    writes what it consumes (one transaction each); how many were written."""
    from sqlalchemy import update

    from services.matching.models import EnterpriseProfile
    from shared.db import create_engine

    rng = random.Random(seed)
    vocab = industries()
    engine = create_engine(url)
    firms = await firm_count(engine)
    written = 0
    started = time.perf_counter()
    try:
        while not stop.is_set():
            uscc, values = registry_change(written, vocab, rng, firms)
            async with engine.begin() as conn:
                await conn.execute(update(EnterpriseProfile).where(EnterpriseProfile.uscc == uscc).values(
                    **values, updated_at=datetime.now(UTC)))
            written += 1
            delay = started + written / per_second - time.perf_counter()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
    finally:
        await engine.dispose()
    return written


async def firm_count(engine: Any) -> int:
    from sqlalchemy import func, select

    from services.matching.models import EnterpriseProfile

    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(EnterpriseProfile))).scalar_one())


async def served(port: int) -> dict[str, float]:
    """The API's counts of candidate lists served remembered and ranked, and forgotten (its /metrics)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    counts = {}
    for line in text.splitlines():
        for name, key in (('matching_candidate_lists_total{how="remembered"}', "remembered"),
                          ('matching_candidate_lists_total{how="ranked"}', "ranked"),
                          ("matching_remembered_lists_forgotten_total", "forgotten")):
            if line.startswith(name + " "):
                counts[key] = float(line.split()[-1])
    return counts


class Row:
    """A scenario's values as the attributes indexing.scenario_demand reads."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values, cluster=None, industry_chain=None, publisher_uscc=None)


def raw_queries(firms: list[dict[str, Any]], scenarios: list[dict[str, Any]], requests: int
                ) -> tuple[list[float], float, Any]:
    """``Engine.candidates(k=10)`` ranked afresh on an index of the firms built here: the timings, the build time,
    the engine."""
    from services.matching.index import Engine, demand_need, put_firm
    from services.matching.service.indexing import scenario_demand

    engine = Engine()
    started = time.perf_counter()
    for firm in firms:
        put_firm(engine, firm)
    engine.refresh()
    built = time.perf_counter() - started
    needs = [demand_need(engine, scenario_demand(Row(s)), str(s["scenario_id"])) for s in scenarios]
    timings = []
    for i in range(requests):
        started = time.perf_counter()
        engine.candidates(needs[i % len(needs)], k=10)
        timings.append((time.perf_counter() - started) * 1000)
    return timings, built, engine


def verify(engine: Any, firms: list[dict[str, Any]], scenarios: list[dict[str, Any]], changes: int,
           asks_per_change: int, seed: int = 99, compare_every: int = 250) -> dict[str, float]:
    """Remembered lists against fresh rankings through ``changes`` changes of the bench's mix (see the module's
    docstring): stale lists and lists that differ at their pool's edge only, the share of ``asks_per_change`` requests per change served remembered, and
    what a change costs the index (its analysis, the forgetting, tantivy's refresh) with the lists remembered."""
    from services.matching.index import KIND_SCENARIO, Filters, put_demand, put_firm
    from services.matching.service.indexing import scenario_demand

    for scenario in scenarios:
        put_demand(engine, KIND_SCENARIO, scenario_demand(Row(scenario)))
    engine.refresh()
    needs = [engine.demands.get(f"{KIND_SCENARIO}:{s['scenario_id']}").need for s in scenarios]
    lists = [(need, district) for district in DISTRICTS for need in needs]

    def ask(i: int, afresh: bool = False) -> Any:
        need, district = lists[i % len(lists)]
        return engine.candidates(need, k=10, filters=Filters().require("district", [district]), afresh=afresh)

    def shown(ranked: Any) -> list[Any]:
        return [(s.key, s.score, dict(s.signals), dict(s.matched), s.matched_tags) for s, _ in ranked.results]

    def at_pool_edge(answer: Any, fresh: Any, since: int) -> bool:
        """Differs only at the pool's edge, which tantivy's own statistics decide (see index.Engine): the same
        count, the same values for the firms both list, and the firms only the fresh one lists were outside the
        remembered pool and unchanged since it was ranked."""
        kept = next(k for k in engine.remembered.values() if k.ranked is answer)
        mine = {row[0]: row for row in shown(answer)}
        theirs = {row[0]: row for row in shown(fresh)}
        return (answer.considered == fresh.considered and all(mine[k] == theirs[k] for k in mine.keys() & theirs.keys())
                and all(k not in kept.pool and changed_at.get(k, -1) < since for k in theirs.keys() - mine.keys()))

    first_seen: dict[int, tuple[Any, int]] = {}
    changed_at: dict[str, int] = {}
    for i in range(len(lists)):
        ranked = ask(i)
        first_seen[id(ranked)] = (ranked, -1)
    current = {firm["uscc"]: firm for firm in firms}
    rng, vocab = random.Random(seed), industries()
    hook, forgetting = engine.firms.on_change, [0.0]

    def timed(*args: Any) -> None:
        started = time.perf_counter()
        hook(*args)
        forgetting[0] += time.perf_counter() - started

    engine.firms.on_change = timed
    stale = edge = compared = asked = remembered = 0
    counted = dict(engine.counts)
    change_ms = []
    for n in range(changes):
        uscc, values = registry_change(n, vocab, rng, len(firms))
        current[uscc] = current[uscc] | values
        changed_at[uscc] = n
        started = time.perf_counter()
        put_firm(engine, current[uscc])
        engine.refresh()
        change_ms.append((time.perf_counter() - started) * 1000)
        before = engine.counts["remembered"]
        for i in range(n * asks_per_change, (n + 1) * asks_per_change):
            ranked = ask(i)
            first_seen.setdefault(id(ranked), (ranked, n))
        asked += asks_per_change
        remembered += engine.counts["remembered"] - before
        if (n + 1) % compare_every == 0 or n + 1 == changes:
            for i in range(len(lists)):
                answer, fresh = ask(i), ask(i, afresh=True)
                since = first_seen.setdefault(id(answer), (answer, n))[1]
                compared += 1
                if (answer.verdict, answer.considered, shown(answer)) != (fresh.verdict, fresh.considered,
                                                                          shown(fresh)):
                    if at_pool_edge(answer, fresh, since):
                        edge += 1
                    else:
                        stale += 1
    forgotten = {k: engine.counts[k] - counted[k] for k in ("forgotten", "figures")}
    return {"stale": stale, "edge": edge, "compared": compared, "hit_rate": remembered / asked if asked else 0.0,
            "forgotten_per_change": forgotten["forgotten"] / changes if changes else 0.0,
            "figures_per_change": forgotten["figures"] / changes if changes else 0.0,
            "change_ms_p50": percentile(change_ms, 50), "change_ms_p95": percentile(change_ms, 95),
            "forgetting_ms": forgetting[0] * 1000 / changes if changes else 0.0}


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


def uptime() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=12_000, help="requests per measured run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the quiet and the changing run")
    parser.add_argument("--changes-per-second", type=float, default=20.0,
                        help="registry changes per second during the changing runs (0: quiet runs only)")
    parser.add_argument("--verify", type=int, default=1000,
                        help="changes applied in process while remembered lists are compared with fresh ones")
    parser.add_argument("--replay", type=int, default=5000)
    parser.add_argument("--baseline", help="another checkout of the code (e.g. `git worktree add /tmp/base <commit>`): "
                                           "its API is measured too, taking turns with this one's, on the same data")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="the load generator's HTTP client (default: a thin keep-alive one, see Connection)")
    parser.add_argument("--remembered", type=int, default=20_000,
                        help="the API's remembered candidate lists (the service's default, 20,000; 0: every request "
                             "is ranked afresh)")
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
    modes = ["quiet"] + (["changing"] if args.changes_per_second else [])
    runs: list[dict[str, Any]] = []
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
        ids = [s["scenario_id"] for s in scenarios]
        for repeat in range(args.repeats):
            for mode in (modes if repeat % 2 == 0 else list(reversed(modes))):
                for name in (list(servers) if repeat % 2 == 0 else list(reversed(servers))):
                    port = servers[name][1]
                    # The steady state: every list asked once, unmeasured (remembered from then on, until a change
                    # forgets it).
                    await api_load(port, ids, 1000, args.clients, 0, args.client)
                    stop = asyncio.Event()
                    stream = None
                    if mode == "changing":
                        stream = asyncio.create_task(change_stream(url, args.changes_per_second, stop,
                                                                   seed=1000 * repeat + len(runs)))
                        await asyncio.sleep(2)  # lists forgotten and ranked again at the stream's pace
                    before, load = await served(port), uptime()
                    loaded = time.perf_counter()
                    measured, failed = await api_load(port, ids, args.requests, args.clients, 0, args.client)
                    busy = time.perf_counter() - loaded
                    after = await served(port)
                    stop.set()
                    written = await stream if stream is not None else 0
                    counts = {k: after.get(k, 0) - before.get(k, 0) for k in ("remembered", "ranked", "forgotten")}
                    answered = counts["remembered"] + counts["ranked"]
                    runs.append({
                        "server": name, "mode": mode, "repeat": repeat, "errors": failed, "load": load,
                        "p50": percentile(measured, 50), "p95": percentile(measured, 95),
                        "p99": percentile(measured, 99), "rps": len(measured) / busy,
                        "hit": counts["remembered"] / answered if answered else float("nan"),
                        "forgotten": counts["forgotten"], "changes": written})
                    run = runs[-1]
                    print(f"  [{name}] repeat {repeat} {mode:8}: p50 {run['p50']:.1f}  p95 {run['p95']:.1f}  p99 "
                          f"{run['p99']:.1f} ms  {run['rps']:.0f} req/s  remembered {run['hit']:.1%}  "
                          f"forgotten {run['forgotten']:.0f}  changes {written}  errors {failed}  load {load}",
                          flush=True)
        rss_after = {name: rss_mib(process.pid) for name, (process, _) in servers.items()}
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(30)

    raw, built, engine = raw_queries(firms, scenarios, 3000)
    for name in servers:
        print(f"[{name} = {roots[name]}] API start-up with {len(firms):,} firms (load from PostgreSQL + analyse + "
              f"index): {ready[name]:.1f} s; RSS {rss_loaded[name]:.0f} MiB after the load, {rss_after[name]:.0f} MiB "
              "after the runs")
    print(f"index build in process (analyse + tantivy): {built:.1f} s")
    print(f"HTTP GET /v1/scenarios/{{id}}/candidates?limit=10&district_code=…, {args.clients} clients, "
          f"{args.requests} requests per run, remembered lists {args.remembered or 'off'}, client {args.client}, "
          f"changes {args.changes_per_second:g}/s in the changing runs; medians over {args.repeats} repeats:")
    medians: dict[tuple[str, str], dict[str, float]] = {}
    for name in servers:
        for mode in modes:
            mine = [r for r in runs if r["server"] == name and r["mode"] == mode]
            medians[name, mode] = {k: statistics.median(r[k] for r in mine) for k in ("p50", "p95", "p99", "rps",
                                                                                      "hit")}
            m = medians[name, mode]
            print(f"[{name}] {mode:8}: p50 {m['p50']:.1f} ms  p95 {m['p95']:.1f} ms  p99 {m['p99']:.1f} ms  "
                  f"{m['rps']:.0f} requests/s  remembered {m['hit']:.1%}")
    if "baseline" in servers:
        for mode in modes:
            this, base = medians["this", mode], medians["baseline", mode]
            print(f"this ÷ baseline, {mode}: " + "  ".join(f"{p} {this[p] / base[p]:.2f}" for p in ("p50", "p95", "p99"))
                  + f"  throughput {this['rps'] / base['rps']:.2f}")
    print(f"raw   Engine.candidates(k=10) ranked afresh, one caller: p50 {percentile(raw, 50):.2f} ms  "
          f"p95 {percentile(raw, 95):.2f} ms  p99 {percentile(raw, 99):.2f} ms")
    if args.verify:
        # As many requests per change as the changing runs served (their throughput over the change rate).
        rate = statistics.median(r["rps"] for r in runs if r["server"] == "this")
        per_change = max(1, round(rate / args.changes_per_second)) if args.changes_per_second else 50
        found = verify(engine, firms, scenarios, args.verify, per_change)
        print(f"verify: {args.verify} changes in process, {per_change} requests per change: remembered "
              f"{found['hit_rate']:.1%}; of {found['compared']} remembered lists compared with a fresh ranking, "
              f"{found['stale']} were stale, {found['edge']} differed at the pool's edge only; lists forgotten per change {found['forgotten_per_change']:.1f} (of them "
              f"{found['figures_per_change']:.1f} because a rounded corpus figure moved); a change costs p50 {found['change_ms_p50']:.1f} ms, p95 "
              f"{found['change_ms_p95']:.1f} ms (analysis + forgetting + tantivy refresh), the forgetting "
              f"{found['forgetting_ms']:.2f} ms of it")
    engine.close()
    if args.replay:
        seconds, rate = await replay_rate(args.replay, database_url(DB))
        print(f"replay: {args.replay:,} registrations in {seconds:.1f} s ({rate:,.0f} events/s; "
              f"{args.firms:,} firms ≈ {args.firms / rate:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
