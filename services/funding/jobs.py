"""Funding jobs for the command line and the Kubernetes CronJob (deploy/k8s/base/funding-cronjobs)::

    seedbed funding expire-vouchers [--today 2027-01-01]

``expire-vouchers`` expires the innovation vouchers (创新券) whose last day has passed and returns their unspent value
to their rounds (a ``released`` ledger entry each; services/funding/service/vouchers.py). Idempotent: a second run
finds nothing. Settings come from the environment (``SEEDBED_FUNDING_*``), as for the API. Exit status: 0 done,
2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date

from services.funding.models import bus
from services.funding.service.vouchers import expire_vouchers
from services.funding.settings import Settings
from shared.clock import programme_today
from shared.db import create_engine, session_factory
from shared.uow import Work


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seedbed funding", description="funding jobs")
    jobs = p.add_subparsers(dest="job", required=True)
    e = jobs.add_parser("expire-vouchers", help="expire vouchers past their last day; their rest returns to the round")
    # Optional so that a CronJob (no shell to compute a date) acts on today (Asia/Shanghai).
    e.add_argument("--today", type=date.fromisoformat, default=None,
                   help="act as on this day (default: today, Asia/Shanghai); a last day before it has passed")
    return p


async def run_expiry(settings: Settings, today: date) -> int:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        expired = await expire_vouchers(Work(session_factory(engine), settings, bus, bus.outbox.metadata), None, today)
    finally:
        await engine.dispose()
    print(f"vouchers past their last day before {today.isoformat()}: {expired} expired")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``argv`` starts with the job name: ``["expire-vouchers", "--today", "2027-01-01"]``."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(run_expiry(Settings(), args.today or programme_today()))


# `seedbed funding <job> [args]` (shared/cli.py) runs these; the Kubernetes CronJob calls them by these names.
JOBS = {"expire-vouchers": lambda argv: main(["expire-vouchers", *argv])}


if __name__ == "__main__":
    sys.exit(main())
