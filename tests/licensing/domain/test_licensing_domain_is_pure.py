"""The licensing domain layer stays pure (DESIGN §3): importing every module of services.licensing.domain loads no
web framework, no ORM, no broker or HTTP client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parents[3] / "services/licensing/domain").glob("*.py")
                 if p.stem != "__init__")
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "pydantic", "aiokafka", "httpx", "alembic")


def test_every_module_imports_without_io_frameworks() -> None:
    assert {"patents", "licences", "open_licences", "trials", "equity", "royalties", "values"} <= set(MODULES)
    imports = "; ".join(f"import services.licensing.domain.{name}" for name in MODULES)
    probe = f"import sys; {imports}; print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[3]).stdout.strip()
    assert found == "", f"the domain layer loads {found}"
