"""The domain layer stays pure (DESIGN §3): importing every module of services.scenarios.domain loads no web
framework, no ORM, no broker or HTTP client, so the rules run anywhere and their tests need nothing running."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parents[3] / "services/scenarios/domain").glob("*.py")
                 if p.stem != "__init__")
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "pydantic", "aiokafka", "httpx", "alembic")


def test_every_module_imports_without_io_frameworks() -> None:
    assert {"scenarios", "challenges", "applications", "reviews", "eligibility"} <= set(MODULES)
    imports = "; ".join(f"import services.scenarios.domain.{name}" for name in MODULES)
    probe = f"import sys; {imports}; print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    # A fresh interpreter: this one has pytest's plugins (and the rest of the suite) loaded already.
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[3]).stdout.strip()
    assert found == "", f"the domain layer loads {found}"
