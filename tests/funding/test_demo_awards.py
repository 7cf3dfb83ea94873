"""The fund-pool demo (`make run`) loads through the API: a programme for each money instrument with an open
round, applications of the firms in each state, a 免申即享 run; the ledger reconciles; a second run adds nothing."""

from __future__ import annotations

import httpx

from services.funding.demo_awards import JOURNEYS, PROGRAMMES, load
from services.funding.domain.reference_data import REWARD_AMOUNTS
from tests.funding.resources_support import add_firms
from tests.funding.support import ADMIN
from tests.support import count_rows, make_uscc

FIRMS = [make_uscc(8300 + i) for i in range(5)]


async def test_the_fund_pool_demo_loads_each_state_once(funding_client: httpx.AsyncClient) -> None:
    url = funding_client.database_url  # type: ignore[attr-defined]
    await add_firms(url, FIRMS)
    tally = await load(funding_client, FIRMS)
    assert tally.refused == [], tally.refused
    assert tally.done["programme"] == len(PROGRAMMES) and tally.done["round"] == len(PROGRAMMES)
    assert tally.done["dated amount"] == len(REWARD_AMOUNTS)
    applications = (await funding_client.get("/v1/applications", params={"limit": 200, "origin": "application"},
                                             headers=ADMIN)).json()["items"]
    assert sorted(a["status"] for a in applications) == sorted(state for state, _ in JOURNEYS)
    for round_ in (await funding_client.get("/v1/rounds", headers=ADMIN)).json()["items"]:
        balance = (await funding_client.get(f"/v1/rounds/{round_['id']}/balance", headers=ADMIN)).json()
        assert balance["reconciled"] is True
    counts = {t: await count_rows(url, t) for t in ("applications", "ledger_entries", "programmes")}
    again = await load(funding_client, FIRMS)
    assert again.refused == [] and not again.done
    assert {t: await count_rows(url, t) for t in counts} == counts
