"""Scheduled jobs of the evaluation work, run as ``seedbed registry <job>`` (services/registry/jobs.py JOBS):

    seedbed registry expire-certifications [--today 2027-01-01]
        daily: mark certifications whose validity ended as expired (enterprise.tier_changed, change=expired)
    seedbed registry reevaluate-all [--date 2027-06-01] [--tier srdi_sme ...]
        annual: re-run every firm's latest evaluations (or evaluate every firm for --tier) in batches

Both are idempotent: a second run finds nothing to expire, and re-evaluations whose inputs did not change are
skipped. Settings come from the environment (SEEDBED_REGISTRY_*), as for the API.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

from services.registry.service.evaluations import ReevaluationSummary, expire_certifications, reevaluate_all
from services.registry.settings import Settings
from shared.db import create_engine, session_factory


async def _expire(settings: Settings, today: date | None) -> int:
    engine = create_engine(settings.database_url, settings.database_pool_size)
    try:
        expired = await expire_certifications(session_factory(engine), settings, today)
    finally:
        await engine.dispose()
    print(f"certifications expired: {len(expired)}")
    return 0


def id_ranges(parts: int) -> list[tuple[uuid.UUID | None, uuid.UUID | None]]:
    """``parts`` disjoint ranges (after, below) covering every UUID: enterprise ids are random, so each range
    holds about the same number of firms."""
    bounds = [uuid.UUID(int=i * (1 << 128) // parts) for i in range(1, parts)]
    lows: list[uuid.UUID | None] = [None, *(uuid.UUID(int=b.int - 1) for b in bounds)]
    highs: list[uuid.UUID | None] = [*bounds, None]
    return list(zip(lows, highs, strict=True))


async def _reevaluate_range(settings: Settings, id_range: tuple[uuid.UUID | None, uuid.UUID | None],
                            **kwargs: Any) -> ReevaluationSummary:
    engine = create_engine(settings.database_url, settings.database_pool_size)
    try:
        return await reevaluate_all(session_factory(engine), settings, id_range=id_range, **kwargs)
    finally:
        await engine.dispose()


def _reevaluate_range_in_process(settings: Settings, id_range: tuple[uuid.UUID | None, uuid.UUID | None],
                                 kwargs: dict[str, Any]) -> ReevaluationSummary:
    return asyncio.run(_reevaluate_range(settings, id_range, **kwargs))


async def reevaluate_in_processes(settings: Settings, processes: int, **kwargs: Any) -> ReevaluationSummary:
    """reevaluate_all over ``processes`` disjoint ranges of enterprises, each in its own process with its own
    database connection: the whole pipeline (load, engine, store) runs in parallel, not only the engine, so
    nothing large crosses between processes."""
    if processes <= 1:
        return await _reevaluate_range(settings, (None, None), **kwargs)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = await asyncio.gather(*(loop.run_in_executor(pool, _reevaluate_range_in_process, settings, r, kwargs)
                                       for r in id_ranges(processes)))
    total = ReevaluationSummary()
    for part in parts:
        for name in ("enterprises", "considered", "evaluated", "unchanged", "failed"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
        total.outcomes.update(part.outcomes)
    return total


async def _reevaluate(settings: Settings, on: date | None, tiers: list[str] | None, batch_size: int,
                      processes: int) -> int:
    summary = await reevaluate_in_processes(settings, processes, evaluation_date=on, tiers=tiers,
                                            batch_size=batch_size)
    print(f"enterprises: {summary.enterprises}; questions: {summary.considered}; evaluated: {summary.evaluated}; "
          f"unchanged: {summary.unchanged}; failed: {summary.failed}; outcomes: {dict(summary.outcomes)}")
    return 0 if summary.failed == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seedbed registry")
    commands = parser.add_subparsers(dest="command", required=True)
    expire = commands.add_parser("expire-certifications", help="expire certifications whose validity ended")
    expire.add_argument("--today", type=date.fromisoformat, help="default: today in Asia/Shanghai")
    again = commands.add_parser("reevaluate-all", help="re-run the evaluations of every enterprise")
    again.add_argument("--date", type=date.fromisoformat, help="evaluation date (default: each evaluation's own, "
                       "or today with --tier)")
    again.add_argument("--tier", action="append", help="evaluate every enterprise for this tier (repeatable)")
    again.add_argument("--batch-size", type=int, default=1000)
    again.add_argument("--processes", type=int, default=1,
                       help="run disjoint ranges of enterprises in this many processes (see bench_screening.py)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    if args.command == "expire-certifications":
        return asyncio.run(_expire(settings, args.today))
    return asyncio.run(_reevaluate(settings, args.date, args.tier, args.batch_size, args.processes))


if __name__ == "__main__":
    sys.exit(main())
