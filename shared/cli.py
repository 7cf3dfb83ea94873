"""``seedbed``: one command line for every service process and set-up step.

    seedbed <service> api|worker|migrate      run a service's API, its worker, or its migrations
    seedbed <service> <job> [args]            run one of the service's jobs (services/<service>/jobs.py JOBS),
                                              e.g. seedbed registry screening --year 2026
    seedbed <service> dlq list|replay TOPIC    read dead letters, re-publish chosen ones (shared/bus/dead_letters.py)
    seedbed topics create                     create every topic of the catalogue (idempotent)
    seedbed token --role officer ...          print a local development token
    seedbed docs                              regenerate docs/openapi/*.json and docs/asyncapi.json

The container image runs exactly these commands; ``make run`` does too.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from typing import Any

from shared.catalogue import NAMES as SERVICES


def load_settings(service: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"services.{service}.settings").Settings()


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def run_api(service: str) -> None:
    import uvicorn

    settings = load_settings(service)
    options: dict[str, Any] = {"host": settings.http_host, "port": settings.http_port, "proxy_headers": True,
               "forwarded_allow_ips": settings.forwarded_allow_ips, "access_log": False}
    if settings.http_workers > 1:
        # Each worker process builds its own app from the same environment (the factory reads the settings).
        uvicorn.run(f"services.{service}.app:create_app", factory=True, workers=settings.http_workers, **options)
    else:
        uvicorn.run(importlib.import_module(f"services.{service}.app").create_app(settings), **options)


def run_worker(service: str) -> None:
    from shared.worker import install_signal_handlers

    settings = load_settings(service)
    worker = importlib.import_module(f"services.{service}.worker")

    async def main() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await worker.run(settings, stop)

    asyncio.run(main())


def run_migrate(service: str) -> None:
    from shared.migrations import upgrade

    upgrade(service, load_settings(service).database_url)


def create_topics(bootstrap: str | None, prefix: str | None, replication_factor: int) -> None:
    from shared.bus.kafka import create_topics as create
    from shared.events.catalog import ALL_TOPICS
    from shared.settings import ServiceSettings

    defaults = ServiceSettings.model_fields
    created = asyncio.run(
        create(bootstrap or defaults["kafka_bootstrap"].default, ALL_TOPICS, prefix or "", replication_factor)
    )
    print(f"topics: {len(created)} created, {len(ALL_TOPICS) - len(created)} already there")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _configure_logging()
    if argv[:1] == ["token"]:
        from shared.auth import main as token_main

        return token_main(argv[1:])
    if argv[:1] == ["docs"]:
        from shared.contracts import write_all

        for path in write_all():
            print(f"wrote {path}")
        return 0
    parser = argparse.ArgumentParser(prog="seedbed", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="target", required=True)
    for service in SERVICES:
        p = sub.add_parser(service, help=f"the {service} service")
        p.add_argument("command", help="api, worker, migrate, dlq, or one of the service's jobs")
        p.add_argument("args", nargs=argparse.REMAINDER, help="the job's own arguments")
    topics = sub.add_parser("topics", help="Kafka topics")
    topics.add_argument("command", choices=["create"])
    topics.add_argument("--bootstrap")
    topics.add_argument("--prefix")
    topics.add_argument("--replication-factor", type=int, default=1,
                        help="1 for a single local broker; 3 for a production cluster")
    args = parser.parse_args(argv)
    if args.target == "topics":
        create_topics(args.bootstrap, args.prefix, args.replication_factor)
    elif args.command == "api":
        run_api(args.target)
    elif args.command == "worker":
        run_worker(args.target)
    elif args.command == "migrate":
        run_migrate(args.target)
    elif args.command == "dlq":
        from shared.bus.dead_letters import main as dead_letters

        return dead_letters(load_settings(args.target), args.args)
    else:
        return run_job(args.target, args.command, args.args)
    return 0


def run_job(service: str, name: str, argv: list[str]) -> int:
    try:
        jobs = importlib.import_module(f"services.{service}.jobs").JOBS
    except ModuleNotFoundError:
        jobs = {}
    if name not in jobs:
        known = ", ".join(["api", "worker", "migrate", "dlq", *sorted(jobs)])
        print(f"seedbed {service}: unknown command {name!r}; one of: {known}", file=sys.stderr)
        return 2
    return int(jobs[name](argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
