"""The service catalogue: Seedbed's services and their ports, written once (DESIGN §2).

Everything that needs the list reads it from here: the settings (default ports), the ``seedbed`` command line,
the contracts in docs/, the tests, the Makefile and deploy/local scripts, and deploy/k8s/gen_services.py (the
Kubernetes manifests). The topic catalogue is another thing: ``shared/events/catalog.py``.

Standard library only, so that the Makefile and the shell scripts read it with the system ``python3`` before the
virtual environment exists (run from the repository root):

    python3 -m shared.catalogue names    # registry scenarios matching funding licensing
    python3 -m shared.catalogue ports    # one "<name> <port>" line per service
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

# ServiceSettings puts a worker's own HTTP server (/healthz, /metrics) on the API port + this.
WORKER_PORT_OFFSET = 1000


@dataclass(frozen=True)
class Service:
    name: str  # the package under services/, the CLI word, the settings prefix, the database and its role
    port: int  # the API's HTTP port, locally and in the cluster
    owns: str  # what the service owns, in one line (DESIGN §2)

    @property
    def worker_port(self) -> int:
        return self.port + WORKER_PORT_OFFSET

    @property
    def settings_prefix(self) -> str:
        return f"SEEDBED_{self.name.upper()}_"


SERVICES: tuple[Service, ...] = (
    Service("registry", 8001, "enterprises, tiers, seedling/cultivation pools, platforms"),
    Service("scenarios", 8002, "scenario lists and open challenges (揭榜挂帅)"),
    Service("matching", 8003, "read models and the search index; recommendations"),
    Service("funding", 8004, "fund programmes, ledger, applications, vouchers (创新券), innovation resources"),
    Service("licensing", 8005, "patents, listings (open licence, trial-then-transfer, equity), agreements, royalties"),
)

NAMES: tuple[str, ...] = tuple(s.name for s in SERVICES)
PORTS: dict[str, int] = {s.name: s.port for s in SERVICES}


def service(name: str) -> Service:
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(f"no service {name!r} in shared/catalogue.py; known: {', '.join(NAMES)}")


def main(argv: list[str]) -> int:
    if argv == ["names"]:
        print(" ".join(NAMES))
    elif argv == ["ports"]:
        for s in SERVICES:
            print(s.name, s.port)
    else:
        print("usage: python3 -m shared.catalogue names|ports", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
