"""Freshness: how long after a registry change commits it shows in matching's results, through Kafka.

    .venv/bin/python -m bench.bench_matching_freshness [--changes 1000] [--firms 50] [--chains 10]

What runs, each as its own process, as in production: the registry API and worker (outbox relay), the matching
worker (consumer → read model) and the matching API (its index follows the database, service/indexing.py), on
databases and topics of the bench's own, with every setting at its default (relay idle poll 0.2 s, index poll
0.1 s). The bench registers ``--firms`` firms, waits until matching finds them all, then changes their main
products ``--changes`` times, each time to a new model number (型号FX00042), and polls matching's free-text search
for that number every 10 ms from the moment the registry answered the PATCH (its commit) until the firm is found.
``--chains`` firms change at once (each firm's changes one after the other, under If-Match).

``--through candidates``: what is polled is a published scenario's candidates (seeded into matching's read
model: 寻找碳化硅衬底代工伙伴), and each change alternately puts 碳化硅衬底 into the firm's products and takes it out
again: visible means the firm entered, or left, that candidate list. The list is read every 10 ms, so it is a
remembered one (services/matching/index.py): this measures that a change forgets it in time.

Figures: p50, p95, p99 and max of commit → visible. The target is p99 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bench._support import fresh_database
from bench.bench_matching import seed
from shared.auth import CITY_WIDE, Role, issue_token
from shared.bus.kafka import create_topics
from shared.events.catalog import ALL_TOPICS
from shared.settings import LOCAL_JWT_SECRET
from tests.support import KAFKA, free_port, make_uscc

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def start(service: str, command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "shared.cli", service, command], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def environment(service: str, url: str, prefix: str, http_port: int) -> dict[str, str]:
    p = f"SEEDBED_{service.upper()}_"
    return {**os.environ, p + "DATABASE_URL": url, p + "HTTP_PORT": str(http_port),
            p + "WORKER_HTTP_PORT": str(free_port()), p + "KAFKA_TOPIC_PREFIX": prefix, p + "ENVIRONMENT": "local",
            p + "KAFKA_BOOTSTRAP": KAFKA}


async def up(port: int, processes: list[subprocess.Popen[bytes]]) -> None:
    async with httpx.AsyncClient() as probe:
        while True:
            try:
                if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a process exited during start-up")
            await asyncio.sleep(0.2)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--firms", type=int, default=50)
    parser.add_argument("--chains", type=int, default=10)
    parser.add_argument("--through", choices=("search", "candidates"), default="search",
                        help="what shows the change: free-text search (default) or a scenario's candidates")
    args = parser.parse_args(argv)

    prefix = f"bench-fresh-{uuid.uuid4().hex[:8]}."
    await create_topics(KAFKA, ALL_TOPICS, prefix)
    suffix = os.environ.get("SEEDBED_TEST_DB_SUFFIX", "")  # each engineer's databases their own
    registry_url = await fresh_database("seedbed_bench_fresh_registry" + suffix, "registry")
    matching_url = await fresh_database("seedbed_bench_fresh_matching" + suffix, "matching")
    scenario = uuid.uuid4()
    if args.through == "candidates":
        await seed(matching_url, [], [{
            "scenario_id": scenario, "title": "寻找碳化硅衬底代工伙伴", "description": "碳化硅衬底切磨抛代工",
            "status": "published", "publisher_kind": "department", "publisher_department": "湖州市经信局",
            "sector": "advanced_manufacturing", "capability_tags": ["碳化硅衬底"], "district_code": "330502",
            "deadline": date.today() + timedelta(days=60), "source_version": 1,
            "source_event_time": datetime.now(UTC), "updated_at": datetime.now(UTC)}])
    registry_port, matching_port = free_port(), free_port()
    processes = [
        start("registry", "api", environment("registry", registry_url, prefix, registry_port)),
        start("registry", "worker", environment("registry", registry_url, prefix, 0)),
        start("matching", "worker", environment("matching", matching_url, prefix, 0)),
        start("matching", "api", environment("matching", matching_url, prefix, matching_port)),
    ]
    officer = {"Authorization": "Bearer " + issue_token(secret=LOCAL_JWT_SECRET, role=Role.OFFICER, subject="bench",
                                                        districts=[CITY_WIDE])}
    latencies: list[float] = []
    try:
        await up(registry_port, processes)
        await up(matching_port, processes)
        # No keep-alive towards the registry: a connection the server closes as a PATCH goes out would fail the
        # PATCH with no way to know whether it committed (its latency is not measured anyway).
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{registry_port}", headers=officer, timeout=30,
                                     limits=httpx.Limits(max_keepalive_connections=0)) as registry, \
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{matching_port}", headers=officer,
                                  timeout=30) as matching:
            firms = []
            for n in range(args.firms):
                created = await registry.post("/v1/enterprises", json={
                    "uscc": make_uscc(70_000 + n), "name": f"湖州伺服驱动科技有限公司{n}", "district_code": "330502",
                    "main_products": "伺服驱动器", "technical_capabilities": "运动控制算法"})
                created.raise_for_status()
                firms.append([created.json()["id"], created.headers["etag"], created.json()["uscc"]])

            async def listed(uscc: str, present: bool, deadline: float) -> bool:
                """Until the firm is among the scenario's candidates (``present``) or is not."""
                while time.perf_counter() < deadline:
                    try:
                        found = await matching.get(f"/v1/scenarios/{scenario}/candidates", params={"limit": 50})
                    except httpx.TransportError:
                        continue
                    if found.status_code == 200 and any(c["uscc"] == uscc for c in found.json()["items"]) == present:
                        return True
                    await asyncio.sleep(0.01)
                return False

            async def visible(q: str, uscc: str, deadline: float) -> bool:
                while time.perf_counter() < deadline:
                    try:
                        found = await matching.get("/v1/search/enterprises", params={"q": q, "limit": 50})
                    except httpx.TransportError:  # a closed keep-alive connection: ask again
                        continue
                    if found.status_code == 200 and any(h["key"] == uscc for h in found.json()["items"]):
                        return True
                    await asyncio.sleep(0.01)
                return False

            started = time.perf_counter()
            for _, _, uscc in firms:
                if not await visible("伺服驱动器", uscc, time.perf_counter() + 120):
                    raise RuntimeError("the firms never reached matching")
            print(f"{args.firms} firms registered and visible in matching after {time.perf_counter() - started:.1f} s")

            counter = iter(range(args.changes))

            async def chain(own: list[list[str]]) -> None:
                for i in counter:
                    firm = own[i % len(own)]
                    model = f"FX{i:05d}"
                    entering = len(firm) == 3 or not firm[3]   # candidates: in, out, in …
                    products = f"伺服驱动器，{'碳化硅衬底' if entering else ''}型号{model}"
                    answer = await registry.patch(f"/v1/enterprises/{firm[0]}", headers={"If-Match": firm[1]},
                                                  json={"main_products": products})
                    answer.raise_for_status()
                    committed = time.perf_counter()
                    firm[1] = answer.headers["etag"]
                    if args.through == "candidates":
                        firm[3:] = [entering]
                        seen = await listed(firm[2], entering, committed + 30)
                    else:
                        seen = await visible(model.lower(), firm[2], committed + 30)
                    if seen:
                        latencies.append((time.perf_counter() - committed) * 1000)
                    else:
                        latencies.append(float("inf"))

            per_chain = max(1, len(firms) // args.chains)
            await asyncio.gather(*(chain(firms[c * per_chain:(c + 1) * per_chain]) for c in range(args.chains)))
    finally:
        for p in reversed(processes):
            p.terminate()
        for p in processes:
            p.wait(30)
    lost = sum(1 for v in latencies if v == float("inf"))
    print(f"registry PATCH → matching {args.through}, {len(latencies)} changes ({args.chains} at a time), {lost} not seen "
          f"within 30 s: p50 {percentile(latencies, 50):.0f} ms  p95 {percentile(latencies, 95):.0f} ms  "
          f"p99 {percentile(latencies, 99):.0f} ms  max {max(latencies):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
