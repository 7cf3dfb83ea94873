"""The licensing demo loader (`make run`) against the real licensing app in process, with the registry's demo firms
in its read model: every mode is exercised without a refusal, and a second run changes nothing."""

from __future__ import annotations

import httpx

from services.licensing import demo
from tests.licensing.licensing_support import add_firms
from tests.registry.pools_support import database_url
from tests.support import count_rows


async def test_the_demo_loads_every_mode_and_is_idempotent(licensing_client: httpx.AsyncClient) -> None:
    url = database_url(licensing_client)
    await add_firms(url, *((uscc, uscc[2:8]) for uscc in demo.FIRMS.values()))
    tally = await demo.load(licensing_client, wait=0)
    assert not tally.refused, demo.summary(tally)
    assert tally.done["patent"] == len(demo.PATENTS)
    for kind, expected in (("open", 2), ("exclusive", 1), ("trial", 2), ("transfer", 1)):
        assert await count_rows(url, "licences", "WHERE kind = :k", k=kind) == expected, kind
    # The utility model's open licence is lump sum with nothing paid yet: pending until its payment.
    assert await count_rows(url, "licences", "WHERE kind = 'open' AND status = 'pending'") == 1
    assert await count_rows(url, "licences", "WHERE status = 'converted'") == 1
    assert await count_rows(url, "equity_contributions", "WHERE status = 'registered'") == 1
    assert await count_rows(url, "open_licence_declarations") == 2
    assert await count_rows(url, "patents", "WHERE listing = 'listed'") == 4
    again = await demo.load(licensing_client, wait=0)
    assert again.already == len(demo.PATENTS) and not again.refused and not again.done
    assert await count_rows(url, "licences") == 6


def test_the_licensees_are_registry_demo_firms() -> None:
    from services.registry import demo as registry_demo

    firms = {p.profile["uscc"] for p in registry_demo.plans(300)}
    assert set(demo.FIRMS.values()) <= firms and len(set(demo.FIRMS.values())) == len(demo.FIRMS)
