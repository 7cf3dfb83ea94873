"""The annual re-evaluation split over processes: every firm evaluated exactly once, and a second run finds
nothing changed."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.evaluation_jobs import id_ranges, reevaluate_in_processes
from tests.registry.figures_support import register
from tests.support import count_rows, settings_for


@given(parts=st.integers(min_value=1, max_value=8), value=st.uuids())
def test_every_id_falls_in_exactly_one_range(parts: int, value: uuid.UUID) -> None:
    inside = [(lo is None or value > lo) and (hi is None or value < hi) for lo, hi in id_ranges(parts)]
    assert inside.count(True) == 1


@pytest.mark.parametrize("registry_client", ["postgres"], indirect=True)
async def test_two_processes_evaluate_every_firm_once(registry_client: httpx.AsyncClient) -> None:
    for n in range(8):
        await register(registry_client, 700 + n)
    settings = settings_for("registry", registry_client.database_url)  # type: ignore[attr-defined]
    on = date(2026, 6, 30)
    first = await reevaluate_in_processes(settings, 2, evaluation_date=on, tiers=["tech_sme"])
    assert (first.enterprises, first.evaluated, first.failed) == (8, 8, 0)
    assert await count_rows(settings.database_url, "evaluations") == 8
    assert await count_rows(settings.database_url, "outbox", "WHERE event_type = 'seedbed.registry.enterprise.evaluated.v1'") == 8
    again = await reevaluate_in_processes(settings, 2, evaluation_date=on, tiers=["tech_sme"])
    assert (again.evaluated, again.unchanged) == (0, 8)
