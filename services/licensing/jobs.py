"""Licensing jobs for the command line and the Kubernetes CronJob::

    seedbed licensing trials [--today 2026-12-03]

``trials`` is the daily 先用后转 job: a ``licence.trial_ending`` event (for a notification back end) for each free
trial within ``SEEDBED_LICENSING_TRIAL_REMINDER_DAYS`` of its last day, once; a ``licence.lapsed`` event for each
trial whose last day has passed unconverted. Idempotent: run twice on a day, the second run finds nothing to do.
Exit status: 0 done, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date

from services.licensing.domain.trials import TrialPolicy
from services.licensing.service import work_of
from services.licensing.service.licences import run_trial_job
from services.licensing.settings import Settings
from shared.db import create_engine, session_factory


async def trials(settings: Settings, today: date | None) -> int:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        counts = await run_trial_job(work_of(session_factory(engine), settings), today,
                                     TrialPolicy(reminder_days=settings.trial_reminder_days))
    finally:
        await engine.dispose()
    print(f"trials: {counts['reminded']} reminded, {counts['lapsed']} lapsed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seedbed licensing trials", description="the daily 先用后转 job")
    parser.add_argument("--today", type=date.fromisoformat, help="default: today in Asia/Shanghai")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(trials(Settings(), args.today))


# `seedbed licensing <job> [args]` (shared/cli.py) runs these; the Kubernetes CronJob calls them by these names.
JOBS = {"trials": main}


if __name__ == "__main__":
    sys.exit(main())
