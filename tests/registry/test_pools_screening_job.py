"""`seedbed registry screening --year`: the same screening as the API, from the command line."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.registry import jobs
from shared.clock import programme_today
from tests.registry.pools_support import ADMIN, WAN, add_figures, pools_of, register
from tests.support import count_rows

YEAR = programme_today().year


async def test_the_command_screens_once_per_year(registry_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    monkeypatch.setenv("SEEDBED_REGISTRY_DATABASE_URL", url)
    ids = []
    for n, rd_wan in ((401, 80), (402, 20), (403, 50)):
        enterprise_id = await register(registry_client, n, "330522")
        await registry_client.post(f"/v1/enterprises/{enterprise_id}/pool-changes", headers=ADMIN,
                                   json={"to_pool": "seedling_pool", "reason": "入库"})
        await add_figures(url, enterprise_id, YEAR - 1, operating_revenue_fen=1000 * WAN, rd_expense_fen=rd_wan * WAN)
        ids.append(enterprise_id)

    refused = await asyncio.to_thread(jobs.main, ["screening", "--year", str(YEAR)])
    assert refused == 2 and "no quotas are set" in capsys.readouterr().err
    assert await count_rows(url, "screening_runs") == 0
    assert await asyncio.to_thread(jobs.main, ["screening", "--year", str(YEAR), "--quota", "330590=1"]) == 2
    assert "330590" in capsys.readouterr().err

    done = await asyncio.to_thread(jobs.main, ["screening", "--year", str(YEAR), "--quota", "330522=2"])
    assert done == 0
    out = capsys.readouterr().out
    assert f"screening {YEAR}: 3 seedlings, 3 ranked on {YEAR - 1} figures, 2 promoted" in out
    assert "330522: quota 2, ranked 3, promoted 2" in out
    pools = await pools_of(url)
    assert [pools[i] for i in ids] == ["cultivation_pool", "seedling_pool", "cultivation_pool"]
    assert await count_rows(url, "audit_log", "WHERE actor = :a", a=jobs.JOB_SUBJECT) == 2 + 1 + 1

    again = await asyncio.to_thread(jobs.main, ["screening", "--year", str(YEAR), "--quota", "330522=3"])
    assert again == 0 and "nothing changed" in capsys.readouterr().out
    assert await pools_of(url) == pools
    assert await count_rows(url, "pool_changes", "WHERE basis = 'screening'") == 2
