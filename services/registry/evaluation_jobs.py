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
import os
import sys
from datetime import date

from services.registry.service.evaluations import expire_certifications, reevaluate_all
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


async def _reevaluate(settings: Settings, on: date | None, tiers: list[str] | None, batch_size: int,
                      workers: int) -> int:
    engine = create_engine(settings.database_url, settings.database_pool_size)
    try:
        summary = await reevaluate_all(session_factory(engine), settings, evaluation_date=on, tiers=tiers,
                                       batch_size=batch_size, workers=workers)
    finally:
        await engine.dispose()
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
    again.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes running the engine")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    if args.command == "expire-certifications":
        return asyncio.run(_expire(settings, args.today))
    return asyncio.run(_reevaluate(settings, args.date, args.tier, args.batch_size, args.workers))


if __name__ == "__main__":
    sys.exit(main())
