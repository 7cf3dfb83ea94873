"""Registry jobs for the command line (and, later, Kubernetes CronJobs)::

    seedbed registry screening [--year 2026] [--figures-year 2025] [--quota 330502=20 ...] [--weight financing=0.2 ...]

``screening`` runs the annual screening (年度遴选) of the seedling pool, exactly as POST /v1/pools/screenings does,
with the database named by the registry's settings (``SEEDBED_REGISTRY_DATABASE_URL``). It is idempotent per
year: run again, it prints the earlier run and changes nothing. Exit status: 0 done (or already done), 2 refused
(bad arguments, no quotas for the year …), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from decimal import Decimal, InvalidOperation

from services.registry import evaluation_jobs
from services.registry.domain import pools as domain
from services.registry.service import pools as service
from services.registry.service import work_of
from services.registry.settings import Settings
from shared.auth import Actor, Principal, Role
from shared.clock import programme_today
from shared.db import create_engine, session_factory
from shared.errors import DomainError
from shared.ids import InvalidIdentifier, validate_district

JOB_SUBJECT = "job:registry-screening"


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, number = value.partition("=")
        if not sep or not key or not number:
            raise ValueError(f"{option} expects NAME=VALUE, got {value!r}")
        pairs[key.strip()] = number.strip()
    return pairs


def _quotas(values: list[str]) -> dict[str, int] | None:
    if not values:
        return None
    quotas = {}
    for district, number in _pairs(values, "--quota").items():
        try:
            quotas[validate_district(district)] = int(number)
        except InvalidIdentifier as exc:
            raise ValueError(f"--quota {district}: {exc}") from None
        if quotas[district] < 0:
            raise ValueError(f"--quota {district}: a quota must not be negative")
    return quotas


def _weights(values: list[str]) -> domain.GrowthWeights:
    known = set(domain.GrowthWeights.__dataclass_fields__)
    given = _pairs(values, "--weight")
    unknown = set(given) - known
    if unknown:
        raise ValueError(f"--weight: unknown component {sorted(unknown)}; one of {sorted(known)}")
    try:
        return domain.GrowthWeights(**{name: Decimal(w) for name, w in given.items()})
    except InvalidOperation:
        raise ValueError("--weight values must be decimal numbers") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seedbed registry", description="registry jobs")
    jobs = p.add_subparsers(dest="job", required=True)
    s = jobs.add_parser("screening", help="the annual screening: promote the top seedlings of each district to 培育库")
    # Optional so that a CronJob (no shell to compute a date) screens the current programme year.
    s.add_argument("--year", type=int, default=None, help="the screening year (default: this year, Asia/Shanghai)")
    s.add_argument("--figures-year", type=int, help="financial year scored (default: year − 1)")
    s.add_argument("--quota", action="append", default=[], metavar="DISTRICT=N",
                   help="replace the year's quota of a district (repeat per district); default: the stored quotas")
    s.add_argument("--weight", action="append", default=[], metavar="COMPONENT=W",
                   help="growth-score weight: rd_intensity, revenue_growth, ip_growth, financing (defaults: "
                        "0.35, 0.30, 0.20, 0.15)")
    return p


async def screening(settings: Settings, args: argparse.Namespace) -> int:
    if args.year is None:
        args.year = programme_today().year
    quotas = _quotas(args.quota)
    scoring = domain.GrowthScoring(weights=_weights(args.weight))
    actor = Actor(Principal(subject=JOB_SUBJECT, role=Role.SERVICE), request_id=f"job-{uuid.uuid4().hex}")
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        outcome = await service.run_screening(work_of(session_factory(engine), settings), actor, args.year,
                                              figures_year=args.figures_year, quotas=quotas, scoring=scoring)
    finally:
        await engine.dispose()
    run = outcome.run
    if not outcome.created:
        print(f"screening {run.year}: already run at {run.started_at.isoformat()} (run {run.id}); nothing changed")
        return 0
    print(f"screening {run.year}: {run.candidates} seedlings, {run.ranked} ranked on {run.figures_year} figures, "
          f"{run.promoted} promoted to the cultivation pool (run {run.id})")
    for d in run.districts:
        print(f"  {d['district_code']}: quota {d['quota']}, ranked {d['ranked']}, promoted {d['promoted']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``argv`` starts with the job name: ``["screening", "--year", "2026"]``."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(screening(Settings(), args))
    except (DomainError, ValueError) as exc:
        field = f" ({exc.field})" if isinstance(exc, DomainError) and exc.field else ""
        print(f"screening refused{field}: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 2


# `seedbed registry <job> [args]` (shared/cli.py) runs these; the Kubernetes CronJobs call them by these names.
JOBS = {
    "screening": lambda argv: main(["screening", *argv]),
    "expire-certifications": lambda argv: evaluation_jobs.main(["expire-certifications", *argv]),
    "reevaluate-all": lambda argv: evaluation_jobs.main(["reevaluate-all", *argv]),
}


if __name__ == "__main__":
    sys.exit(main())
