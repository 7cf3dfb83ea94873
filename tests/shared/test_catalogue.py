"""The service catalogue (shared/catalogue.py) is the one list of services: it must match services/, and the
Makefile and shell scripts must be able to read it before the virtual environment exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from shared.catalogue import NAMES, PORTS, SERVICES, service

ROOT = Path(__file__).resolve().parents[2]


def test_every_service_package_is_in_the_catalogue_and_back() -> None:
    packages = {p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(NAMES), (
        f"services/ has {sorted(packages - set(NAMES))} that the catalogue lacks; "
        f"the catalogue has {sorted(set(NAMES) - packages)} that services/ lacks"
    )


def test_names_and_ports_are_unique_and_usable_everywhere() -> None:
    assert len(set(NAMES)) == len(NAMES)
    for s in SERVICES:
        # A Python package, a settings prefix, a database and role name, and part of Kubernetes (DNS-1123) names.
        assert re.fullmatch(r"[a-z][a-z0-9]*", s.name), s.name
        assert s.owns.strip(), f"{s.name}: say what it owns"
    ports = [s.port for s in SERVICES] + [s.worker_port for s in SERVICES]
    assert len(set(ports)) == len(ports), f"two processes would listen on one port: {ports}"
    assert all(1024 < p < 65536 for p in ports)


def test_the_default_settings_take_their_ports_from_the_catalogue() -> None:
    from tests.support import settings_for

    for name in NAMES:
        settings = settings_for(name, database_url="sqlite+aiosqlite:///:memory:", worker_http_port=0)
        assert settings.http_port == PORTS[name]
        assert settings.worker_http_port == service(name).worker_port


def test_the_system_python_reads_it_without_the_virtual_environment() -> None:
    # -S: no site-packages, so only the standard library is importable, as for the system python3 of a fresh checkout.
    def run(what: str) -> str:
        return subprocess.run([sys.executable, "-S", "-m", "shared.catalogue", what], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout

    assert run("names").split() == list(NAMES)
    assert [line.split() for line in run("ports").splitlines()] == [[s.name, str(s.port)] for s in SERVICES]
