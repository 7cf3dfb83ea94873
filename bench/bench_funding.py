"""Approvals per second under contention for one round's budget, next to the same approvals without contention,
measured in the same run; and the overspend check (500 approvals racing for a budget of 100).

Every approval (POST /v1/applications/{id}/transitions, action approve, 1 fen) takes the application's row lock,
then appends its commitment to the round's ledger under the round's row lock (service.ledger.append_entries), so
approvals of one round queue on that lock; approvals of different rounds do not.

* The funding API runs as deployed (uvicorn, one worker process: ``python -m shared.cli funding api``) on the
  PostgreSQL database ``seedbed_bench_funding``, migrated afresh. The pool, programme and rounds are set up through
  the API; the applications under review are written straight into the table (as the earlier steps leave them),
  so that only approvals are measured.
* **contended**: ``--approvals`` approvals of applications of ONE round (its budget covers them all), sent over
  ``--connections`` keep-alive connections at once.
* **uncontended**: as many approvals spread over ``--connections`` rounds, each connection approving only its own
  round's applications: no two requests in flight wait on the same round.
* Each is run ``--repeats`` times, alternating; the medians and their ratio are printed.
* **overspend**: 500 approvals racing for a round whose budget covers 100 of them: exactly 100 must be approved,
  the rest refused with budget_exhausted, and the round's balance must reconcile with its entries.

    .venv/bin/python bench/bench_funding.py [--approvals 1000] [--connections 16] [--repeats 3]

The CPU time the API process and its PostgreSQL backends spent per approval is printed too (from /proc): on a
shared machine it is the figure other load inflates least, and it bounds what two dedicated cores could do.

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


def start_api(url: str) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {**os.environ, "SEEDBED_FUNDING_DATABASE_URL": url, "SEEDBED_FUNDING_HTTP_HOST": HOST,
           "SEEDBED_FUNDING_HTTP_PORT": str(PORT), "SEEDBED_FUNDING_ENVIRONMENT": "local",
           "SEEDBED_FUNDING_KAFKA_TOPIC_PREFIX": "bench.", "SEEDBED_FUNDING_DATABASE_POOL_SIZE": "20"}
    process = subprocess.Popen([sys.executable, "-m", "shared.cli", "funding", "api"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{PORT}/healthz", timeout=1).status_code == 200:
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


# --- CPU time: a figure the machine's other load does not inflate ------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


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


# --- the load --------------------------------------------------------------------------------------------------------

BODY = json.dumps({"action": "approve", "amount_fen": 1}).encode()


async def approve_all(shares: list[list[str]]) -> tuple[float, Counter[str], list[float]]:
    """Each share approved in order over its own keep-alive connection, all connections at once. Returns the
    elapsed seconds, the answers (status and code) and the latencies."""
    answers: Counter[str] = Counter()
    latencies: list[float] = []

    async def connection(share: list[str]) -> None:
        reader, writer = await asyncio.open_connection(HOST, PORT)
        try:
            for application_id in share:
                request = (f"POST /v1/applications/{application_id}/transitions HTTP/1.1\r\nHost: {HOST}\r\n"
                           f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(BODY)}\r\nIf-Match: \"1\"\r\n"
                           f"Idempotency-Key: {uuid.uuid4()}\r\n\r\n").encode() + BODY
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n")
                              if h.lower().startswith(b"content-length"))
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                status = head.split(b" ", 2)[1].decode()
                answers[status if status == "200" else f"{status} {json.loads(body).get('code')}"] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(share) for share in shares))
    return time.perf_counter() - started, answers, latencies


async def balance(round_id: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{PORT}", headers={"Authorization": f"Bearer {TOKEN}"},
                                 timeout=60) as client:
        return (await client.get(f"/v1/rounds/{round_id}/balance")).raise_for_status().json()  # type: ignore[no-any-return]


async def main(approvals: int, connections: int, repeats: int) -> None:
    url = await fresh_database()
    process = start_api(url)
    try:
        results: dict[str, list[float]] = {"contended": [], "uncontended": []}
        cpu: dict[str, list[tuple[float, float]]] = {"contended": [], "uncontended": []}
        latency: dict[str, list[float]] = {"contended": [], "uncontended": []}
        for repeat in range(repeats):
            for scenario in ("contended", "uncontended"):
                if scenario == "contended":
                    (round_,) = await setup_rounds(1, approvals)
                    ids = await under_review(url, round_, approvals)
                    shares = [ids[n::connections] for n in range(connections)]
                    rounds = [round_]
                else:
                    rounds = await setup_rounds(connections, approvals)
                    per_round = approvals // connections
                    shares = [await under_review(url, r, per_round) for r in rounds]
                pids = await backend_pids(url)
                api_before, db_before = cpu_seconds(process.pid), {p: cpu_seconds(p) for p in pids}
                elapsed, answers, latencies = await approve_all(shares)
                api_ms = (cpu_seconds(process.pid) - api_before) * 1000
                pids_after = await backend_pids(url)
                db_ms = sum(cpu_seconds(p) - db_before.get(p, 0.0) for p in pids_after) * 1000
                approved = answers["200"]
                assert approved == sum(len(s) for s in shares), (scenario, answers)
                for r in rounds:
                    b = await balance(r["id"])
                    assert b["reconciled"] and b["committed_fen"] <= b["budget_fen"], b
                rate = approved / elapsed
                results[scenario].append(rate)
                cpu[scenario].append((api_ms / approved, db_ms / approved))
                latency[scenario].extend(latencies)
                print(f"run {repeat + 1} {scenario:>11}: {approved} approvals in {elapsed:.2f}s = {rate:.0f}/s "
                      f"(p50 {statistics.median(latencies) * 1000:.1f} ms)", flush=True)

        # The overspend check: 500 racing for 100.
        (tight,) = await setup_rounds(1, 100)
        ids = await under_review(url, tight, 500)
        _, answers, _ = await approve_all([ids[n::connections] for n in range(connections)])
        b = await balance(tight["id"])
        overspend = b["committed_fen"] - b["budget_fen"]  # type: ignore[operator]
    finally:
        stop(process)

    contended, uncontended = statistics.median(results["contended"]), statistics.median(results["uncontended"])
    print()
    print(f"approvals, {approvals} per run, {connections} connections, {repeats} runs each (medians):")
    print(f"  contended (one round)        {contended:8.0f} approvals/s   p50 "
          f"{statistics.median(latency['contended']) * 1000:6.1f} ms   p99 "
          f"{statistics.quantiles(latency['contended'], n=100)[98] * 1000:6.1f} ms")
    print(f"  uncontended ({connections} rounds)     {uncontended:8.0f} approvals/s   p50 "
          f"{statistics.median(latency['uncontended']) * 1000:6.1f} ms   p99 "
          f"{statistics.quantiles(latency['uncontended'], n=100)[98] * 1000:6.1f} ms")
    print(f"  ratio contended / uncontended  {contended / uncontended:.2f}")
    for scenario in ("contended", "uncontended"):
        api_ms = statistics.median(a for a, _ in cpu[scenario])
        db_ms = statistics.median(d for _, d in cpu[scenario])
        print(f"  CPU per approval, {scenario:>11}: API {api_ms:.1f} ms + PostgreSQL {db_ms:.1f} ms "
              f"(on 2 cores of its own: at most ~{2000 / (api_ms + db_ms):.0f} approvals/s)")
    print(f"  load average while measuring (the machine is shared): {os.getloadavg()[0]:.1f}")
    print(f"  aim: at least {AIM_APPROVALS_PER_SECOND} approvals/s under contention: "
          f"{'met' if contended >= AIM_APPROVALS_PER_SECOND else 'NOT met'}")
    print(f"overspend check, 500 racing for a budget of 100: {dict(answers)}; committed {b['committed_fen']} of "
          f"{b['budget_fen']}, reconciled {b['reconciled']}, overspend {overspend}")
    assert answers == Counter({"200": 100, "409 budget_exhausted": 400}) and overspend == 0 and b["reconciled"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--approvals", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.approvals, args.connections, args.repeats))
