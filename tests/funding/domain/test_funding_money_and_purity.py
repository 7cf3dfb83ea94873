"""Money helpers (services.funding.domain.money) and the domain's purity: it imports only the standard library and
itself (DESIGN §3: no FastAPI, no SQLAlchemy, no I/O)."""

from __future__ import annotations

import ast
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funding.domain.errors import FundingRuleError
from services.funding.domain.money import require_fen, require_share, share_of, wan, yuan

DOMAIN = Path(__file__).resolve().parents[3] / "services" / "funding" / "domain"


def test_wan_is_exact() -> None:
    assert wan(20) == 20_000_000 and wan("0.5") == 500_000 and wan(Decimal("0.0001")) == 100
    with pytest.raises(ValueError):
        wan("0.00000001")
    with pytest.raises(TypeError):
        wan(0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1.0, "1", Decimal(1), True, None])
def test_require_fen_refuses_what_is_not_an_integer(value: object) -> None:
    with pytest.raises(TypeError):
        require_fen(value, "amount_fen")


def test_require_fen_bounds() -> None:
    assert require_fen(0, "x") == 0
    with pytest.raises(ValueError):
        require_fen(0, "x", positive=True)
    with pytest.raises(ValueError):
        require_fen(-1, "x")


def test_shares() -> None:
    assert require_share(Decimal("0.3"), "s") == Decimal("0.3")
    for bad in (Decimal("-0.1"), Decimal("1.01")):
        with pytest.raises(ValueError):
            require_share(bad, "s")
    for bad in (0.3, Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(TypeError):
            require_share(bad, "s")


def test_yuan() -> None:
    assert yuan(0) == "0.00元" and yuan(5) == "0.05元" and yuan(wan(20)) == "200000.00元" and yuan(-150) == "-1.50元"


@given(st.integers(0, 10**15), st.integers(0, 10_000))
def test_share_of_rounds_down_and_never_exceeds_the_share(amount: int, basis_points: int) -> None:
    share = Decimal(basis_points) / 10_000
    part = share_of(amount, share)
    assert part <= amount * share < part + 1


def test_a_refusal_carries_code_field_and_extra() -> None:
    error = FundingRuleError("budget_exhausted", "the round has 0.00元 left", field="amount_fen", available_fen=0)
    assert (error.code, error.field, error.extra, str(error)) == ("budget_exhausted", "amount_fen",
                                                                 {"available_fen": 0}, "the round has 0.00元 left")
    assert isinstance(error, ValueError)


PURE_SHARED = ("shared.enterprise_facts",)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", sorted(p.name for p in DOMAIN.glob("*.py")))
def test_the_domain_imports_only_the_standard_library_and_itself(module: str) -> None:
    for name in _imports(DOMAIN / module):
        top = name.split(".")[0]
        # The shared kit's pure values (standard library only themselves) are allowed.
        assert top in sys.stdlib_module_names or name.startswith(("services.funding.domain", *PURE_SHARED)), (
            f"{module}: {name}")


@pytest.mark.parametrize("module", sorted(p.name for p in DOMAIN.glob("*.py")))
def test_the_domain_does_no_io_and_uses_no_float(module: str) -> None:
    tree = ast.parse((DOMAIN / module).read_text(encoding="utf-8"))
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not calls & {"open", "print", "input", "float"}, module
    assert not any(isinstance(node, ast.Constant) and isinstance(node.value, float) for node in ast.walk(tree)), module
