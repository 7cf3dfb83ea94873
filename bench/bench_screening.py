"""Annual screening (年度遴选) of N seedling-pool firms on PostgreSQL, against raw I/O measured in the same run.

Seeds N firms (default 100,000) in the seedling pool of database ``seedbed_bench_registry`` (created and migrated
afresh), with figures for two years and IP holdings for a third of them, and quotas summing to 1 % of the firms.
Then times, on the same engine (the annual job is the screening plus the re-evaluation):

* baseline: one ``SELECT count(*)`` of the seedlings plus one bulk read of all their figures for the two years
  (the I/O any screening must do at least);
* the screening itself (service.pools.run_screening: read, score, rank, promote, write history, events, audit
  and every firm's result, in one transaction);
* a second run of the same year (idempotent: finds the run and changes nothing);
* the re-evaluation of every firm for the first rung (innovative SME), stored with inputs, events and audit.

    make bench            (or: .venv/bin/python bench/bench_screening.py [firms])
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import text

from bench._support import fresh_database
from services.registry.evaluation_jobs import reevaluate_in_processes
from services.registry.service import pools as service
from services.registry.service import work_of
from services.registry.settings import Settings
from shared.auth import Actor, Principal, Role
from shared.db import create_engine, session_factory
from shared.ids import HUZHOU_DISTRICTS
from tests.support import make_uscc

YEAR = 2026
FIGURES_YEAR = YEAR - 1
WAN = 1_000_000


async def seed(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    """COPY straight into the tables: seeding is set-up, not what is measured."""
    rnd = random.Random(20261126)
    districts = list(HUZHOU_DISTRICTS)
    now = datetime.now(UTC)
    firms, figures, ip = [], [], []
    for i in range(n):
        firm_id = uuid.uuid4()
        firms.append((firm_id, make_uscc(i + 1), f"湖州基准企业{i}有限公司", "330502", districts[i % len(districts)],
                      "C3981", "[]", "[]", now, now, 1, "seedling_pool"))
        previous = rnd.randint(0, 5000) * WAN
        current = max(previous + rnd.randint(-1000, 3000) * WAN, 0)
        for year, revenue in ((FIGURES_YEAR - 1, previous), (FIGURES_YEAR, current)):
            figures.append((uuid.uuid4(), firm_id, year, rnd.randint(5, 300), rnd.randint(0, 60), revenue,
                            revenue * rnd.randint(0, 120) // 1000, rnd.choice([None, 0, rnd.randint(1, 3000) * WAN]),
                            "[]", now, now, 1, "import"))
        if i % 3 == 0:
            for k in range(rnd.randint(1, 4)):
                granted = date(rnd.choice([FIGURES_YEAR - 1, FIGURES_YEAR]), rnd.randint(1, 12), rnd.randint(1, 28))
                ip.append((uuid.uuid4(), firm_id, "invention_patent", f"ZL{i:08d}{k}", "self_developed", granted,
                           True, False, now, now, 1))
    async with engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table("enterprises", records=firms, columns=[
            "id", "uscc", "name", "registration_division_code", "district_code", "industry_code", "product_tags",
            "capability_tags", "created_at", "updated_at", "version", "pool"])
        await raw.copy_records_to_table("annual_figures", records=figures, columns=[
            "id", "enterprise_id", "year", "employees", "rd_staff", "operating_revenue_fen", "rd_expense_fen",
            "equity_financing_fen", "flags", "reported_at", "updated_at", "version", "source"])
        await raw.copy_records_to_table("ip_holdings", records=ip, columns=[
            "id", "enterprise_id", "kind", "reference", "acquisition", "granted_on", "in_force", "disputed",
            "created_at", "updated_at", "version"])
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def baseline(engine) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    async with engine.connect() as conn:
        await conn.scalar(text("SELECT count(*) FROM enterprises WHERE pool = 'seedling_pool'"))
        rows = (await conn.execute(text(
            "SELECT f.enterprise_id, f.year, f.operating_revenue_fen, f.rd_expense_fen, f.equity_financing_fen "
            "FROM annual_figures f WHERE f.year IN (:a, :b)"), {"a": FIGURES_YEAR - 1, "b": FIGURES_YEAR})).all()
    assert rows
    return time.perf_counter() - started


async def main(n: int) -> None:
    database = await fresh_database("seedbed_bench_registry")
    engine = create_engine(database, pool_size=2)
    try:
        started = time.perf_counter()
        await seed(engine, n)
        print(f"seeded {n:,} seedlings with {2 * n:,} figure rows in {time.perf_counter() - started:.1f} s")
        per_district = max(n // 100 // len(HUZHOU_DISTRICTS), 1)
        quotas = {d: per_district for d in HUZHOU_DISTRICTS}
        settings = Settings(database_url=database)
        actor = Actor(Principal(subject="bench", role=Role.SERVICE), request_id="bench")
        work = work_of(session_factory(engine), settings)

        raw_io = min([await baseline(engine) for _ in range(2)])
        started = time.perf_counter()
        outcome = await service.run_screening(work, actor, YEAR, quotas=quotas)
        wall = time.perf_counter() - started
        started = time.perf_counter()
        again = await service.run_screening(work, actor, YEAR, quotas=quotas)
        second = time.perf_counter() - started

        run = outcome.run
        assert outcome.created and not again.created
        assert run.promoted == sum(quotas.values()), (run.promoted, quotas)
        async with engine.connect() as conn:
            events = await conn.scalar(text("SELECT count(*) FROM outbox"))
            results = await conn.scalar(text("SELECT count(*) FROM screening_results"))
        assert events == run.promoted and results == run.ranked
        print(json.dumps({"firms": n, "ranked": run.ranked, "promoted": run.promoted}))
        print(f"baseline (count + bulk read of {2 * n:,} figure rows): {raw_io:.2f} s")
        print(f"screening: {wall:.2f} s wall, {n / wall:,.0f} firms/s, {wall / raw_io:.1f}× the raw I/O baseline "
              f"(aim: under 60 s)")
        print(f"second run of {YEAR} (idempotent, nothing changed): {second * 1000:.0f} ms")

        # The annual job's other half: every firm evaluated afresh for the first rung of the ladder (创新型中小企业),
        # each result stored with its inputs, an event and an audit entry.
        # As the job runs it: disjoint ranges of firms in one process per core.
        processes = os.cpu_count() or 1
        started = time.perf_counter()
        summary = await reevaluate_in_processes(settings, processes, evaluation_date=date(YEAR, 6, 30),
                                                tiers=["innovative_sme"])
        reevaluation = time.perf_counter() - started
        assert summary.evaluated == n, summary
        print(f"re-evaluation ({processes} processes): {reevaluation:.2f} s wall, {n / reevaluation:,.0f} firms/s "
              f"({1000 * reevaluation / n:.2f} ms per firm), outcomes {dict(summary.outcomes)}")
        print(f"screening + re-evaluation: {wall + reevaluation:.1f} s (aim: at most 60 s)")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
