"""``seedbed``: one command line for every service process and set-up step.

    seedbed <service> api|worker|migrate      run a service's API, its worker, or its migrations
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

SERVICES = ("registry", "scenarios", "matching", "funding", "licensing")


def load_settings(service: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"services.{service}.settings").Settings()


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def run_api(service: str) -> None:
    import uvicorn

    settings = load_settings(service)
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, proxy_headers=True, access_log=False)


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


def create_topics(bootstrap: str | None, prefix: str | None) -> None:
    from shared.bus.kafka import create_topics as create
    from shared.events.catalog import ALL_TOPICS
    from shared.settings import ServiceSettings

    defaults = ServiceSettings.model_fields
    created = asyncio.run(
        create(bootstrap or defaults["kafka_bootstrap"].default, ALL_TOPICS, prefix or "")
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
        p.add_argument("command", choices=["api", "worker", "migrate"])
    topics = sub.add_parser("topics", help="Kafka topics")
    topics.add_argument("command", choices=["create"])
    topics.add_argument("--bootstrap")
    topics.add_argument("--prefix")
    args = parser.parse_args(argv)
    if args.target == "topics":
        create_topics(args.bootstrap, args.prefix)
    elif args.command == "api":
        run_api(args.target)
    elif args.command == "worker":
        run_worker(args.target)
    else:
        run_migrate(args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
