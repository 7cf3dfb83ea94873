"""Approvals per second under contention for one round's budget, next to a plain insert rate measured in the same
run, through the same HTTP stack and the same server; and the overspend check (500 approvals racing for a budget
of 100).

Every approval (POST /v1/applications/{id}/transitions, action approve, 1 fen) takes the application's row lock,
then appends its commitment to the round's ledger under the round's row lock (service.ledger.append_entries), so
approvals of one round queue on that lock.

* The funding API runs as deployed (``python -m shared.cli funding api``, ``--workers`` uvicorn processes) on the
  PostgreSQL database ``seedbed_bench_funding``, migrated afresh. The pool, programme and rounds are set up through
  the API; the applications under review are written straight into the table (as the earlier steps leave them),
  so that only approvals are measured.
* **approvals**: ``--approvals`` approvals of applications of ONE round (its budget covers them all), sent over
  ``--connections`` keep-alive connections at once.
* **plain insert, over HTTP** (the baseline the issue asks for): as many ``POST /v1/dated-amounts``, the cheapest
  create route of the same server: the same middleware, token check, body validation and unit of work, and one
  INSERT (with its audit row, which every write has), nothing else. A route added only for the bench would be an
  endpoint to secure and document in production; this one costs what "one audited insert" costs here. The ratio
  approvals / plain inserts is what an approval costs beyond the cheapest write the stack can do.
* **plain insert, database only**: as many single-row INSERTs of ledger-like rows (a copy of ``ledger_entries``
  with its indexes) sent straight with asyncpg over ``--connections`` connections, each its own transaction: what
  PostgreSQL alone does on this machine, for scale.
* Each is run ``--repeats`` times, in turn; the medians and the ratio are printed. Each configuration listed in
  ``--workers`` (``SEEDBED_FUNDING_HTTP_WORKERS``: uvicorn worker processes) is started and measured in turn, and
  its figures are printed under its name. ``--uncontended`` adds the same
  approvals spread over ``--connections`` rounds (no two requests in flight wait on the same round).
* **overspend**: 500 approvals racing for a round whose budget covers 100 of them: exactly 100 must be approved,
  the rest refused with budget_exhausted, and the round's balance must reconcile with its entries.

    .venv/bin/python bench/bench_funding.py [--approvals 1000] [--connections 16] [--repeats 3] [--workers 1,2]

The CPU time the API processes and their PostgreSQL backends spent per request is printed too (from /proc): on a
shared machine it is the figure other load inflates least, and it bounds what two dedicated cores could do. The SQL
statements of one approval are counted in-process (the same app, a SQLAlchemy event) before the load starts.

Only 127.0.0.1 is used. The load generator is a small asyncio HTTP/1.1 client (raw streams: far cheaper per request
than a full client, so that the API process gets the CPU).
"""


from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import database_url  # noqa: E402
from shared.auth import Role, issue_token  # noqa: E402
from shared.db import create_engine, utcnow  # noqa: E402
from shared.settings import LOCAL_JWT_SECRET  # noqa: E402
from tests.support import PG_SERVER, empty_schema, ensure_database  # noqa: E402

DATABASE_NAME = "seedbed_bench_funding"
HOST = "127.0.0.1"
PORT = 18201
AIM_APPROVALS_PER_SECOND = 300
TOKEN = issue_token(secret=LOCAL_JWT_SECRET, role=Role.OFFICER, subject="bench-officer", districts=["*"])


# --- the database and the API ----------------------------------------------------------------------------------------

async def fresh_database() -> str:
    from shared.migrations import upgrade

    url = database_url(DATABASE_NAME)
    await ensure_database(PG_SERVER, DATABASE_NAME)
    await empty_schema(url)
    await asyncio.to_thread(upgrade, "funding", url)
    return url


def start_api(url: str, workers: int) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {**os.environ, "SEEDBED_FUNDING_DATABASE_URL": url, "SEEDBED_FUNDING_HTTP_HOST": HOST,
           "SEEDBED_FUNDING_HTTP_PORT": str(PORT), "SEEDBED_FUNDING_ENVIRONMENT": "local",
           "SEEDBED_FUNDING_KAFKA_TOPIC_PREFIX": "bench.", "SEEDBED_FUNDING_DATABASE_POOL_SIZE": "20",
           "SEEDBED_FUNDING_HTTP_WORKERS": str(workers)}
    process = subprocess.Popen([sys.executable, "-m", "shared.cli", "funding", "api"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{PORT}/healthz", timeout=1).status_code == 200:
                if workers > 1:
                    time.sleep(3)  # the first answer came from one worker; give the others time to start
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the funding API did not start: {process.stderr.read().decode() if process.stderr else ''}")


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


async def setup_rounds(count: int, budget_fen: int) -> list[dict[str, str]]:
    """A pool, a programme and ``count`` open rounds of ``budget_fen`` each, through the API."""
    today = date.today()
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{PORT}", headers={"Authorization": f"Bearer {TOKEN}"},
                                 timeout=60) as client:
        total = budget_fen * count
        pool = (await client.post("/v1/fund-pools", json={
            "name": "基准资金池", "issuer": "湖州市", "issuer_level": "city", "budget_fen": total,
            "opens_on": (today - timedelta(days=30)).isoformat(),
            "closes_on": (today + timedelta(days=365)).isoformat()})).raise_for_status().json()
        programme = (await client.post("/v1/programmes", json={
            "pool_id": pool["id"], "name": "基准项目", "instrument": "grant", "budget_fen": total,
            "per_enterprise_cap_fen": budget_fen, "opens_on": (today - timedelta(days=10)).isoformat(),
            "closes_on": (today + timedelta(days=300)).isoformat()})).raise_for_status().json()
        rounds = []
        for n in range(count):
            rounds.append((await client.post(f"/v1/programmes/{programme['id']}/rounds", json={
                "name": f"基准批次{n}", "budget_fen": budget_fen, "opens_on": (today - timedelta(days=5)).isoformat(),
                "closes_on": (today + timedelta(days=60)).isoformat()})).raise_for_status().json())
    return rounds


async def under_review(url: str, round_: dict[str, str], count: int) -> list[str]:
    from services.funding.models import Application

    ids = [uuid.uuid4() for _ in range(count)]
    now = utcnow()
    rows = [{"id": i, "enterprise_id": uuid.uuid4(), "uscc": f"91330502{n:010d}", "enterprise_name": f"基准企业{n}",
             "district_code": "330502", "held_tiers": [], "programme_id": uuid.UUID(round_["programme_id"]),
             "round_id": uuid.UUID(round_["id"]), "project_title": f"基准项目{n}", "requested_fen": 1,
             "status": "under_review", "origin": "application", "disbursed_fen": 0, "released_fen": 0,
             "clawed_back_fen": 0, "tranches": [], "open_checks": [], "created_by": "bench", "created_at": now,
             "updated_at": now, "version": 1} for n, i in enumerate(ids)]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(Application.__table__.insert(), rows)
    finally:
        await engine.dispose()
    return [str(i) for i in ids]


async def statements_per_approval(url: str, round_: dict[str, str]) -> list[str]:
    """The SQL statements of one approval, counted in this process on the same app and database (the server's own
    statements are not visible from outside without pg_stat_statements)."""
    from sqlalchemy import event

    from services.funding.app import create_app
    from services.funding.settings import Settings

    (application_id,) = await under_review(url, round_, 1)
    app = create_app(Settings(environment="local", database_url=url, kafka_topic_prefix="bench."))
    statements: list[str] = []
    async with app.router.lifespan_context(app):
        event.listen(app.state.engine.sync_engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_: statements.append(" ".join(statement.split())))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            response = await client.post(f"/v1/applications/{application_id}/transitions", json=APPROVE,
                                         headers={"If-Match": '"1"', "Idempotency-Key": str(uuid.uuid4())})
            assert response.status_code == 200, response.text
    return statements


# --- CPU time: a figure the machine's other load does not inflate ------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes)."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
        frontier += [int(c) for c in children]
    return found


async def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the bench database (the API's pool)."""
    from sqlalchemy import text

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [int(p) for p in (await conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": DATABASE_NAME})).scalars()]
    finally:
        await engine.dispose()


class CpuMeter:
    """CPU seconds spent by the API's processes and the database's backends between start() and stop()."""

    def __init__(self, api_pid: int, url: str) -> None:
        self.api_pid, self.url = api_pid, url

    async def start(self) -> None:
        self.api = {p: cpu_seconds(p) for p in process_tree(self.api_pid)}
        self.db = {p: cpu_seconds(p) for p in await backend_pids(self.url)}

    async def stop(self) -> tuple[float, float]:
        api = sum(cpu_seconds(p) - self.api.get(p, 0.0) for p in process_tree(self.api_pid))
        db = sum(cpu_seconds(p) - self.db.get(p, 0.0) for p in await backend_pids(self.url))
        return api, db


# --- the load --------------------------------------------------------------------------------------------------------

APPROVE = {"action": "approve", "amount_fen": 1}
APPROVE_BODY = json.dumps(APPROVE).encode()


def approval(application_id: str) -> bytes:
    return (f"POST /v1/applications/{application_id}/transitions HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(APPROVE_BODY)}\r\nIf-Match: \"1\"\r\n"
            f"Idempotency-Key: {uuid.uuid4()}\r\n\r\n").encode() + APPROVE_BODY


def plain_insert(item: str) -> bytes:
    body = json.dumps({"issuer": "基准", "item": item, "amount_fen": 100, "effective_from": "2026-01-01"}).encode()
    return (f"POST /v1/dated-amounts HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def send_all(shares: list[list[bytes]]) -> tuple[float, Counter[str], list[float]]:
    """Each share's requests sent in order over its own keep-alive connection, all connections at once. Returns the
    elapsed seconds, the answers (status, and the problem's code) and the latencies."""
    answers: Counter[str] = Counter()
    latencies: list[float] = []

    async def connection(share: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(HOST, PORT)
        try:
            for request in share:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n")
                              if h.lower().startswith(b"content-length"))
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                status = head.split(b" ", 2)[1].decode()
                answers[status if status < "300" else f"{status} {json.loads(body).get('code')}"] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(share) for share in shares))
    return time.perf_counter() - started, answers, latencies


def spread(items: list[bytes], connections: int) -> list[list[bytes]]:
    return [items[n::connections] for n in range(connections)]


async def raw_inserts(url: str, count: int, connections: int) -> float:
    """``count`` single-row INSERTs of ledger-like rows over ``connections`` asyncpg connections (each its own
    transaction); the elapsed seconds."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute("CREATE TABLE IF NOT EXISTS bench_plain_inserts "
                            "(LIKE ledger_entries INCLUDING DEFAULTS INCLUDING INDEXES)")
    finally:
        await setup.close()
    programme_id, round_id = uuid.uuid4(), uuid.uuid4()
    insert = ("INSERT INTO bench_plain_inserts (programme_id, round_id, kind, amount_fen, reference, key, entry_date,"
              " created_by, created_at) VALUES ($1, $2, 'committed', 1, $3, $4, current_date, 'bench', now())")
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    try:
        async def connection(share: int) -> None:
            async with pool.acquire() as conn:
                statement = await conn.prepare(insert)
                for _ in range(share):
                    reference = str(uuid.uuid4())
                    await statement.fetch(programme_id, round_id, reference, f"application:{reference}:committed")

        started = time.perf_counter()
        await asyncio.gather(*(connection(count // connections + (n < count % connections))
                               for n in range(connections)))
        return time.perf_counter() - started
    finally:
        await pool.close()


async def balance(round_id: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{PORT}", headers={"Authorization": f"Bearer {TOKEN}"},
                                 timeout=60) as client:
        return (await client.get(f"/v1/rounds/{round_id}/balance")).raise_for_status().json()  # type: ignore[no-any-return]


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


async def measure(url: str, workers: int, approvals: int, connections: int, repeats: int,
                  uncontended: bool) -> dict[str, object]:
    """One configuration of the API (``workers`` uvicorn processes): every scenario ``repeats`` times in turn, then
    the overspend check. Prints each run; returns what the summary needs."""
    process = start_api(url, workers)
    meter = CpuMeter(process.pid, url)
    scenarios = ["approvals", *(["uncontended"] if uncontended else []), "plain insert (HTTP)"]
    rates: dict[str, list[float]] = {s: [] for s in [*scenarios, "plain insert (database)"]}
    cpu: dict[str, list[tuple[float, float]]] = {s: [] for s in scenarios}
    latency: dict[str, list[float]] = {s: [] for s in scenarios}
    loads: list[float] = []
    try:
        for repeat in range(repeats):
            for scenario in scenarios:
                rounds = []
                if scenario == "approvals":
                    (round_,) = await setup_rounds(1, approvals)
                    rounds = [round_]
                    shares = spread([approval(i) for i in await under_review(url, round_, approvals)], connections)
                elif scenario == "uncontended":
                    rounds = await setup_rounds(connections, approvals)
                    per_round = approvals // connections
                    shares = [[approval(i) for i in await under_review(url, r, per_round)] for r in rounds]
                else:
                    shares = spread([plain_insert(f"bench_{workers}_{repeat}_{n}") for n in range(approvals)],
                                    connections)
                await meter.start()
                elapsed, answers, latencies = await send_all(shares)
                api_s, db_s = await meter.stop()
                done = sum(answers[s] for s in ("200", "201"))
                assert done == sum(len(s) for s in shares), (scenario, answers)
                for r in rounds:
                    b = await balance(r["id"])
                    assert b["reconciled"] and b["committed_fen"] <= b["budget_fen"], b
                rates[scenario].append(done / elapsed)
                cpu[scenario].append((api_s * 1000 / done, db_s * 1000 / done))
                latency[scenario].extend(latencies)
                loads.append(os.getloadavg()[0])
                print(f"{workers} worker(s), run {repeat + 1} {scenario:>23}: {done} in {elapsed:.2f}s = "
                      f"{done / elapsed:.0f}/s (p50 {statistics.median(latencies) * 1000:.1f} ms; CPU/request API "
                      f"{api_s * 1000 / done:.1f} ms, PostgreSQL {db_s * 1000 / done:.1f} ms)", flush=True)
            elapsed = await raw_inserts(url, approvals, connections)
            rates["plain insert (database)"].append(approvals / elapsed)
            print(f"{workers} worker(s), run {repeat + 1} {'plain insert (database)':>23}: {approvals} in "
                  f"{elapsed:.2f}s = {approvals / elapsed:.0f}/s", flush=True)

        # The overspend check: 500 racing for 100.
        (tight,) = await setup_rounds(1, 100)
        ids = await under_review(url, tight, 500)
        _, answers, _ = await send_all(spread([approval(i) for i in ids], connections))
        b = await balance(tight["id"])
    finally:
        stop(process)
    return {"rates": rates, "cpu": cpu, "latency": latency, "loads": loads, "overspend": (answers, b)}


def summary(workers: int, result: dict[str, Any], statements: list[str]) -> bool:
    """Prints one configuration's medians; whether its overspend check passed."""
    rates, cpu, latency = result["rates"], result["cpu"], result["latency"]
    median = {s: statistics.median(r) for s, r in rates.items()}
    print(f"\n{workers} uvicorn worker process{'es' if workers > 1 else ''} (SEEDBED_FUNDING_HTTP_WORKERS={workers}):")
    for scenario in rates:
        line = f"  {scenario:<24} {median[scenario]:8.0f}/s"
        if scenario in latency:
            api_ms = statistics.median(a for a, _ in cpu[scenario])
            db_ms = statistics.median(d for _, d in cpu[scenario])
            line += (f"   p50 {p(latency[scenario], 50):6.1f} ms  p99 {p(latency[scenario], 99):6.1f} ms   CPU per "
                     f"request: API {api_ms:4.1f} ms + PostgreSQL {db_ms:3.1f} ms")
        print(line)
    print(f"  ratio approvals / plain insert (HTTP)       {median['approvals'] / median['plain insert (HTTP)']:.2f}")
    print(f"  ratio approvals / plain insert (database)   {median['approvals'] / median['plain insert (database)']:.3f}")
    if "uncontended" in median:
        print(f"  ratio approvals on one round / spread over rounds  {median['approvals'] / median['uncontended']:.2f}")
    api_ms = statistics.median(a for a, _ in cpu["approvals"])
    db_ms = statistics.median(d for _, d in cpu["approvals"])
    print(f"  an approval: {len(statements)} SQL statements (besides BEGIN and COMMIT); CPU {api_ms + db_ms:.1f} ms "
          f"(on 2 cores of its own: at most ~{2000 / (api_ms + db_ms):.0f} approvals/s)")
    print(f"  load average (1 min) while measuring, the machine being shared: median "
          f"{statistics.median(result['loads']):.1f}, max {max(result['loads']):.1f}")
    print(f"  aim: at least {AIM_APPROVALS_PER_SECOND} approvals/s under contention: "
          f"{'met' if median['approvals'] >= AIM_APPROVALS_PER_SECOND else 'NOT met'}")
    answers, b = result["overspend"]
    overspend = b["committed_fen"] - b["budget_fen"]
    print(f"  overspend check, 500 racing for a budget of 100: {dict(answers)}; committed {b['committed_fen']} of "
          f"{b['budget_fen']}, reconciled {b['reconciled']}, overspend {overspend}")
    return bool(answers == Counter({"200": 100, "409 budget_exhausted": 400}) and overspend == 0 and b["reconciled"])


async def main(approvals: int, connections: int, repeats: int, workers: list[int], uncontended: bool) -> None:
    url = await fresh_database()
    process = start_api(url, 1)
    try:
        (counted_round,) = await setup_rounds(1, 10)
    finally:
        stop(process)
    statements = await statements_per_approval(url, counted_round)
    results = {n: await measure(url, n, approvals, connections, repeats, uncontended) for n in workers}
    print(f"\n{approvals} requests per run, {connections} connections, {repeats} runs each (medians); the API as "
          "`python -m shared.cli funding api` on PostgreSQL, this machine's 2 cores shared with the load generator, "
          "PostgreSQL and whatever else runs")
    passed = [summary(n, results[n], statements) for n in workers]
    if os.environ.get("BENCH_SHOW_STATEMENTS"):
        print("the statements of one approval:", *(f"  {s[:160]}" for s in statements), sep="\n")
    assert all(passed), "overspend check failed"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--approvals", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", default="1,2", help="uvicorn worker processes of the API: each configuration "
                                                        "listed (comma-separated) is measured in turn")
    parser.add_argument("--uncontended", action="store_true", help="also approvals spread over as many rounds as "
                                                                   "connections")
    args = parser.parse_args()
    asyncio.run(main(args.approvals, args.connections, args.repeats, [int(n) for n in args.workers.split(",")],
                     args.uncontended))
