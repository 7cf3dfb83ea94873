"""Rules every service's API keeps, checked over all five apps at once (DESIGN §6): each /v1 route declares the roles
it admits; each paged list takes ``limit`` and ``cursor``; and keyset pages are made in one place only
(shared/pagination.py), so that no list reads its extra row or writes its cursor its own way."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from shared.catalogue import NAMES
from shared.http import Page
from tests.support import settings_for

ROOT = Path(__file__).resolve().parents[2]


def v1_routes(service: str) -> list[APIRoute]:
    app = importlib.import_module(f"services.{service}.app").create_app(settings_for(service))
    # app.routes lists included routers as one entry each (FastAPI ≥ 0.16x): their routes are found through them.
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    return [r for r in routes if isinstance(r, APIRoute) and r.path.startswith("/v1")]


def named(route: APIRoute) -> str:
    return f"{','.join(sorted(route.methods))} {route.path}"


def dependants(dependant: Dependant) -> Iterator[Dependant]:
    """The route's dependencies, however deep (a dependency's own dependencies too)."""
    for dependency in dependant.dependencies:
        yield dependency
        yield from dependants(dependency)


def calls(dependant: Dependant) -> Iterator[Any]:
    return (d.call for d in dependants(dependant))


def query_parameters(dependant: Dependant) -> set[str]:
    """The query parameters a caller may send, the route's own and its dependencies'."""
    return {p.alias for d in (dependant, *dependants(dependant)) for p in d.query_params}


@pytest.mark.parametrize("service", NAMES)
def test_every_v1_route_declares_the_roles_it_admits(service: str) -> None:
    routes = v1_routes(service)
    if service in ("registry", "matching"):
        assert routes, f"{service} has /v1 routes"  # a rule checked over no route proves nothing
    # A route declares its roles, or that it is a public read (public_access(): shared.auth.check_public_routes
    # holds those to GETs under /v1/public/ when the app is built).
    undeclared = [named(r) for r in routes
                  if not any(hasattr(c, "admitted_roles") or getattr(c, "public", False) for c in calls(r.dependant))]
    assert undeclared == [], f"{service}: routes without require_actor(...) roles or public_access(): {undeclared}"
    # The roles are real ones: a route admitting nobody answers nobody.
    empty = [named(r) for r in routes if any(getattr(c, "admitted_roles", None) == frozenset() for c in calls(r.dependant))]
    assert empty == [], f"{service}: routes admitting no role: {empty}"


def is_page(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, Page)


@pytest.mark.parametrize("service", NAMES)
def test_every_paged_list_takes_limit_and_cursor(service: str) -> None:
    lists = [r for r in v1_routes(service) if is_page(r.response_model)]
    lacking = {}
    for route in lists:
        query = query_parameters(route.dependant)
        if not {"limit", "cursor"} <= query:
            lacking[named(route)] = sorted({"limit", "cursor"} - query)
    assert lacking == {}, f"{service}: paged lists without their paging parameters: {lacking}"


# A call of encode_cursor (not its definition), and the "one row more than the page" of a hand-made keyset page.
HAND_MADE_PAGE = re.compile(r"(?<!def )\bencode_cursor\(|\blimit\s*\+\s*1\b")
THE_ONE_PLACE = ROOT / "shared" / "pagination.py"


def source_files() -> Iterator[Path]:
    for top in ("services", "shared"):
        yield from sorted((ROOT / top).rglob("*.py"))


def test_only_shared_pagination_makes_keyset_pages() -> None:
    found = []
    for path in source_files():
        if path == THE_ONE_PLACE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]  # a comment may name them
            if HAND_MADE_PAGE.search(code):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "keyset pages made outside shared/pagination.py (use paginate):\n" + "\n".join(found)
