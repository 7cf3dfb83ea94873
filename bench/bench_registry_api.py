"""GET /v1/enterprises/{id} at 32 connections: the registry API on PostgreSQL next to a bare FastAPI route that returns
the same EnterpriseRead model built in memory, measured in the same run. Aim (issue 3): at least 40% of the
baseline's throughput, p99 at most 30 ms.

* The registry runs as deployed (``seedbed registry api``: uvicorn, one worker process) on the PostgreSQL database
  ``seedbed_bench_registry_api``, migrated afresh and seeded with 10 000 firms through the bulk import.
* The baseline runs in the same uvicorn configuration: one route, no middleware, no authentication, no database.
* The registry is measured twice: as deployed, with its notified row cache (shared/row_cache.py) warmed by one
  read of every firm first (a long-running process holds them all: 20,000 entries by default), and with the cache
  turned off (``SEEDBED_REGISTRY_READ_CACHE_ENTRIES=0``: every request reads PostgreSQL). The cache's hits and
  misses during the measured window come from the registry's /metrics.
* The load: 32 keep-alive connections for 10 s per target, each request for a random one of the seeded firms, with
  an officer's token (the registry checks it; the baseline ignores it). The generator is ``wrk`` when installed
  (``apt-get install wrk``: light enough to leave the CPU to the servers), otherwise a small asyncio HTTP/1.1
  client in this file. Only 127.0.0.1 is used.

    .venv/bin/python bench/bench_registry_api.py [--seconds 10] [--connections 32] [--firms 10000] [--generator auto|wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import database_url, fresh_database, import_enterprises, registry_as_admin  # noqa: E402
from services.registry.schemas.enterprises import EnterpriseRead  # noqa: E402
from shared.auth import Role, issue_token  # noqa: E402
from shared.db import create_engine  # noqa: E402
from shared.settings import LOCAL_JWT_SECRET  # noqa: E402

DATABASE_NAME = "seedbed_bench_registry_api"
HOST = "127.0.0.1"
REGISTRY_PORT = 18101
BASELINE_PORT = 18102
AIM_RATIO = 0.40
AIM_P99_MS = 30.0


# --- the baseline server ---------------------------------------------------------------------------------------------


def baseline_app(sample: dict):  # type: ignore[no-untyped-def]
    """A bare FastAPI route returning the registry's response model, built in memory once."""
    from fastapi import FastAPI

    model = EnterpriseRead.model_validate(sample)
    app = FastAPI()

    @app.get("/v1/enterprises/{enterprise_id}", response_model=EnterpriseRead)
    async def read(enterprise_id: uuid.UUID) -> EnterpriseRead:
        return model

    return app


def serve_baseline(port: int, sample_file: str) -> None:
    import uvicorn

    sample = json.loads(Path(sample_file).read_text())
    # The same uvicorn set-up as shared.cli.run_api uses for the services.
    uvicorn.run(baseline_app(sample), host=HOST, port=port, proxy_headers=True, access_log=False, log_level="warning")


# --- preparing the registry's database -------------------------------------------------------------------------------


async def prepare(firms: int) -> tuple[list[str], dict]:
    """A fresh, migrated database with ``firms`` firms (bulk import); returns their ids and one firm's record."""
    from services.registry.demo import CLUSTERS, demo_uscc
    from shared.ids import HUZHOU_DISTRICTS

    database = await fresh_database(DATABASE_NAME)
    districts, clusters = list(HUZHOU_DISTRICTS), list(CLUSTERS)
    lines = ["uscc,name,short_name,legal_representative,contact_phone,district_code,industry_code,sector,cluster,"
             "established_on,main_products,product_tags"]
    for n in range(firms):
        district, cluster = districts[n % len(districts)], clusters[n % len(clusters)]
        sector, industry, word, products, tags = CLUSTERS[cluster]
        lines.append(f"{demo_uscc(n, district)},湖州基准{word}{n:05d}有限公司,基准{word},张三,13812345678,{district},"
                     f"{industry},{sector},{cluster},2015-03-01,{products},{';'.join(tags)}")
    async with registry_as_admin(database, timeout=300) as client:
        report = (await import_enterprises(client, "\n".join(lines).encode())).json()
        assert report["created"] == firms, report
        engine = create_engine(database)
        async with engine.connect() as conn:
            ids = [str(i) for i in (await conn.execute(text("SELECT id FROM enterprises"))).scalars()]
        await engine.dispose()
        sample = (await client.get(f"/v1/enterprises/{ids[0]}")).json()
    return ids, sample


# --- load generators -------------------------------------------------------------------------------------------------


def run_wrk(port: int, ids: list[str], token: str, seconds: int, connections: int) -> dict[str, float]:
    script = f"""
local ids = {{{",".join(f'"{i}"' for i in ids)}}}
math.randomseed(7)
request = function()
  return wrk.format("GET", "/v1/enterprises/" .. ids[math.random(#ids)], {{["Authorization"] = "Bearer {token}"}})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %f %f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    0))
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", handle.name,
                              f"http://{HOST}:{port}/"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    requests, duration_us, p50_us, p99_us, errors, _ = (float(x) for x in line.split()[1:])
    return {"rps": requests / (duration_us / 1e6), "p50_ms": p50_us / 1000, "p99_ms": p99_us / 1000,
            "requests": requests, "errors": errors}


async def run_python(port: int, ids: list[str], token: str, seconds: int, connections: int) -> dict[str, float]:
    """32 keep-alive HTTP/1.1 connections on raw asyncio streams: far cheaper per request than a full client."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    rng = random.Random(7)

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.perf_counter() < deadline:
                request = (f"GET /v1/enterprises/{rng.choice(ids)} HTTP/1.1\r\nHost: {HOST}\r\n"
                           f"Authorization: Bearer {token}\r\n\r\n").encode()
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not head.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50_ms": quantiles[49] * 1000, "p99_ms": quantiles[98] * 1000,
            "requests": len(latencies), "errors": errors}


# --- the run ---------------------------------------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], port: int, ready_path: str) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}{ready_path}", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{command} did not start: {process.stderr.read().decode() if process.stderr else ''}")


def wait_until_cache_live(port: int) -> None:
    deadline = time.time() + 30
    while 'row_cache_live{table="enterprises"} 1.0' not in httpx.get(f"http://{HOST}:{port}/metrics", timeout=5).text:
        if time.time() > deadline:
            raise RuntimeError("the registry's row cache did not start listening")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


async def read_each_once(port: int, ids: list[str], token: str, connections: int) -> None:
    """Every firm read once (the warm-up of a process that has been serving for a while)."""
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers={"Authorization": f"Bearer {token}"},
                                 limits=httpx.Limits(max_connections=connections)) as client:
        async def reader(share: list[str]) -> None:
            for enterprise_id in share:
                (await client.get(f"/v1/enterprises/{enterprise_id}")).raise_for_status()

        await asyncio.gather(*(reader(ids[n::connections]) for n in range(connections)))


def cache_counts(port: int) -> tuple[float, float]:
    body = httpx.get(f"http://{HOST}:{port}/metrics", timeout=5).text
    counts = []
    for name in ("row_cache_hits_total", "row_cache_misses_total"):
        line = next((line for line in body.splitlines() if line.startswith(name + "{")), None)
        counts.append(float(line.rsplit(" ", 1)[1]) if line else 0.0)
    return counts[0], counts[1]


def warm_up(generator: str, port: int, ids: list[str], token: str, seconds: int, connections: int) -> None:
    asyncio.run(read_each_once(port, ids, token, connections))
    # Then a short load: connections, prepared statements and caches as in steady state.
    load(generator, port, ids, token, min(2, seconds), connections)


def load(generator: str, port: int, ids: list[str], token: str, seconds: int, connections: int) -> dict[str, float]:
    if generator == "wrk":
        return run_wrk(port, ids, token, seconds, connections)
    return asyncio.run(run_python(port, ids, token, seconds, connections))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--serve-baseline", nargs=2, metavar=("PORT", "SAMPLE_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(int(args.serve_baseline[0]), args.serve_baseline[1])
        return 0
    generator = args.generator if args.generator != "auto" else ("wrk" if shutil.which("wrk") else "python")

    ids, sample = asyncio.run(prepare(args.firms))
    token = issue_token(secret=LOCAL_JWT_SECRET, role=Role.OFFICER, subject="bench-officer", city_wide=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sample, handle)
    env = {**os.environ, "SEEDBED_REGISTRY_DATABASE_URL": database_url(DATABASE_NAME), "SEEDBED_REGISTRY_HTTP_HOST": HOST,
           "SEEDBED_REGISTRY_HTTP_PORT": str(REGISTRY_PORT), "SEEDBED_REGISTRY_ENVIRONMENT": "local"}
    results: dict[str, dict[str, float]] = {}
    try:
        for name, command, port, ready_path in (
            ("baseline", [sys.executable, __file__, "--serve-baseline", str(BASELINE_PORT), handle.name], BASELINE_PORT,
             "/docs"),
            ("registry", [str(Path(sys.executable).parent / "seedbed"), "registry", "api"], REGISTRY_PORT, "/healthz"),
            ("no cache", [str(Path(sys.executable).parent / "seedbed"), "registry", "api"], REGISTRY_PORT, "/healthz"),
        ):
            run_env = {**env, "SEEDBED_REGISTRY_READ_CACHE_ENTRIES": "0"} if name == "no cache" else env
            process = start(command, run_env, port, ready_path)
            try:
                # Every measured request must be a real read: check one before the load.
                probe = httpx.get(f"http://{HOST}:{port}/v1/enterprises/{ids[0]}",
                                  headers={"Authorization": f"Bearer {token}"}, timeout=5)
                if probe.status_code != 200:
                    raise RuntimeError(f"{name} answered {probe.status_code}: {probe.text[:300]}")
                if name == "registry":
                    wait_until_cache_live(port)
                warm_up(generator, port, ids, token, args.seconds, args.connections)
                hits, misses = cache_counts(port)
                results[name] = load(generator, port, ids, token, args.seconds, args.connections)
                after = cache_counts(port)
                results[name]["hits"], results[name]["misses"] = after[0] - hits, after[1] - misses
            finally:
                stop(process)
    finally:
        os.unlink(handle.name)

    print(f"GET /v1/enterprises/{{id}}: {args.firms:,} firms on PostgreSQL, {args.connections} connections, "
          f"{args.seconds} s each, generator {generator}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    baseline = results["baseline"]["rps"]
    for name in ("baseline", "registry", "no cache"):
        r = results[name]
        looked_up = r["hits"] + r["misses"]
        cache = f", cache hits {r['hits'] / looked_up:.1%}" if name == "registry" and looked_up else ""
        print(f"  {name:<9} {r['rps']:9,.0f} req/s ({r['rps'] / baseline:4.0%})   p50 {r['p50_ms']:6.2f} ms   "
              f"p99 {r['p99_ms']:6.2f} ms   ({r['requests']:,.0f} requests, {r['errors']:.0f} errors{cache})")
    ratio = results["registry"]["rps"] / baseline
    p99 = results["registry"]["p99_ms"]
    print(f"  registry / baseline throughput: {ratio:.0%} (aim ≥ {AIM_RATIO:.0%}: {'OK' if ratio >= AIM_RATIO else 'BELOW'}); "
          f"registry p99 {p99:.1f} ms (aim ≤ {AIM_P99_MS:.0f} ms: {'OK' if p99 <= AIM_P99_MS else 'ABOVE'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
