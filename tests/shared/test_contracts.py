"""Contracts are files: the committed OpenAPI and AsyncAPI documents and migrations must match the code."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command

from shared.contracts import expected_files
from shared.events.catalog import ALL_TOPICS
from shared.migrations import alembic_config
from tests.support import SERVICES, pg_url


def test_committed_api_documents_match_the_code() -> None:
    stale = [str(path) for path, text in expected_files().items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"regenerate with `make docs` and commit: {stale}"


def test_asyncapi_lists_every_topic_and_every_event_type() -> None:
    import json

    import shared.events.all  # noqa: F401
    from shared.contracts import DOCS
    from shared.events.envelope import EVENT_TYPES

    document = json.loads((DOCS / "asyncapi.json").read_text(encoding="utf-8"))
    assert set(document["channels"]) == {t.name for t in ALL_TOPICS}
    assert set(document["components"]["messages"]) == set(EVENT_TYPES)


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models_on_postgres(service: str, postgres: None) -> None:
    # `alembic check` fails when the models have changes no migration captures.
    await asyncio.to_thread(command.check, alembic_config(service, pg_url(service)))
