"""Scenarios jobs for the command line and the Kubernetes CronJob (deploy/k8s/base/scenarios-cronjobs)::

    seedbed scenarios close-lapsed [--today 2027-01-01]

``close-lapsed`` acts on deadlines that passed (services/scenarios/service/deadlines.py): published scenarios nobody
took up are closed (outcome need_lapsed, scenario.closed emitted), challenges whose application window passed move
on to shortlisting. Idempotent: a second run finds nothing. Settings come from the environment
(``SEEDBED_SCENARIOS_*``), as for the API. Exit status: 0 done, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date

from services.scenarios.models import bus
from services.scenarios.service.deadlines import run_deadlines
from services.scenarios.settings import Settings
from shared.clock import programme_today
from shared.db import create_engine, session_factory
from shared.uow import Work


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seedbed scenarios", description="scenarios jobs")
    jobs = p.add_subparsers(dest="job", required=True)
    c = jobs.add_parser("close-lapsed", help="close scenarios and application windows whose deadline passed")
    # Optional so that a CronJob (no shell to compute a date) acts on today (Asia/Shanghai).
    c.add_argument("--today", type=date.fromisoformat, default=None,
                   help="act as on this day (default: today, Asia/Shanghai); a deadline before it has passed")
    return p


async def close_lapsed(settings: Settings, today: date) -> int:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        run = await run_deadlines(Work(session_factory(engine), settings, bus, bus.outbox.metadata), today)
    finally:
        await engine.dispose()
    print(f"deadlines before {today.isoformat()}: {len(run.scenarios_closed)} scenarios closed (need lapsed), "
          f"{len(run.challenges_moved_on)} challenges moved on to shortlisting")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``argv`` starts with the job name: ``["close-lapsed", "--today", "2027-01-01"]``."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(close_lapsed(Settings(), args.today or programme_today()))


# `seedbed scenarios <job> [args]` (shared/cli.py) runs these; the Kubernetes CronJob calls them by these names.
JOBS = {"close-lapsed": lambda argv: main(["close-lapsed", *argv])}


if __name__ == "__main__":
    sys.exit(main())
