"""The demo loader (`make run`) against the real registry app in process: every tier's three outcomes are exercised,
and a second run changes nothing."""

from __future__ import annotations

import httpx

from services.registry import demo
from shared.auth import Role
from tests.support import count_rows, token

OUTCOMES = ("eligible", "not_eligible", "needs_review")
TIERS = ("tech_sme", "innovative_sme", "srdi_sme", "little_giant", "hnte")


def test_the_plans_cover_every_district_sector_and_archetype() -> None:
    firms = demo.plans(300)
    assert {p.profile["district_code"] for p in firms} == set(demo.DISTRICTS)
    assert sum(p.profile["functional_zone"] == "nantaihu" for p in firms) == 50
    assert {p.profile["sector"] for p in firms} == {"advanced_manufacturing", "strategic_emerging",
                                                   "future_industries", "digital_services"}
    assert {p.profile["cluster"] for p in firms} == set(demo.CLUSTERS)
    assert {p.expected for p in firms if p.expected} == {(t, o) for t in TIERS for o in OUTCOMES}
    assert all(sorted(p.figures) == list(demo.YEARS) for p in firms)
    assert len({p.profile["uscc"] for p in firms}) == 300


async def test_the_demo_exercises_every_tier_outcome_and_is_idempotent(registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    registry_client.headers.update(token(Role.ADMIN, subject="demo-loader"))
    count = len(demo.ARCHETYPES) + 5  # one firm per archetype, and a few varied ones
    tally = await demo.load(registry_client, count)

    assert not tally.refused and not tally.skipped and not tally.unexpected, demo.summary(tally, count)
    assert all(tally.outcomes[(tier, outcome)] >= 1 for tier in TIERS for outcome in OUTCOMES), tally.outcomes
    assert await count_rows(url, "enterprises") == count
    assert await count_rows(url, "annual_figures") == 3 * count
    # Eligible archetypes are certified (认定).
    designed_eligible = sum(1 for p in demo.plans(count) if p.expected and p.expected[1] == "eligible")
    assert await count_rows(url, "certifications", "WHERE evaluation_id IS NOT NULL") == designed_eligible
    evaluations = await count_rows(url, "evaluations")
    outbox = await count_rows(url, "outbox")

    again = await demo.load(registry_client, count)
    assert again.done["firm already loaded"] == count and not again.outcomes
    assert await count_rows(url, "evaluations") == evaluations
    assert await count_rows(url, "outbox") == outbox
    assert "firm already loaded" in demo.summary(again, count)
