"""GET /v1/enterprises/{id} from the notified row cache (PostgreSQL): it answers from the cache, every committed
change is seen (this process's at once, another replica's on its notification), and scope and masking still apply
to every reader."""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from services.registry.service import enterprises as service
from shared.auth import Actor, Principal, Role
from shared.db import create_engine
from shared.row_cache import start_row_cache
from tests.support import make_uscc, token, wait_for

pytestmark = pytest.mark.parametrize("registry_client", ["postgres"], indirect=True)

OFFICER = token(Role.OFFICER, districts=["330502"])
OFFICER_ACTOR = Actor(principal=Principal(subject="officer", role=Role.OFFICER, districts=("330502",)), request_id=None)
VALID = {"name": "湖州缓存示例科技有限公司", "district_code": "330502", "industry_code": "C3981",
         "established_on": "2019-05-20", "main_products": "工业视觉检测设备", "contact_phone": "13857212345",
         "legal_representative": "王小明"}


async def metric(client: httpx.AsyncClient, name: str) -> float:
    body = (await client.get("/metrics")).text
    found = re.search(rf'^{name}\{{table="enterprises"\}} (\S+)$', body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def registered(client: httpx.AsyncClient, n: int) -> str:
    async def live() -> bool:
        return await metric(client, "row_cache_live") == 1.0

    await wait_for(live, timeout=10)
    response = await client.post("/v1/enterprises", json={"uscc": make_uscc(n), **VALID}, headers=OFFICER)
    assert response.status_code == 201, response.text
    return f"/v1/enterprises/{response.json()['id']}"


async def change_unannounced(database_url: str, sql: str) -> None:
    """Change the row with the triggers off (session_replication_role): nothing tells the caches."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def test_reads_are_answered_from_the_cache_and_no_cache_reads_the_database(
    registry_client: httpx.AsyncClient,
) -> None:
    url = await registered(registry_client, 1)
    first = await registry_client.get(url, headers=OFFICER)
    hits = await metric(registry_client, "row_cache_hits_total")
    again = await registry_client.get(url, headers=OFFICER)
    assert again.content == first.content and again.headers["etag"] == '"1"'
    assert await metric(registry_client, "row_cache_hits_total") == hits + 1

    await change_unannounced(registry_client.database_url,  # type: ignore[attr-defined]
                             "UPDATE enterprises SET name = '暗改名称有限公司'")
    # The cache still holds what it read (which shows that reads come from it) ...
    assert (await registry_client.get(url, headers=OFFICER)).json()["name"] == VALID["name"]
    # ... and a caller who must see the database says so; the answer refreshes the cache too.
    fresh = await registry_client.get(url, headers={**OFFICER, "Cache-Control": "no-cache"})
    assert fresh.json()["name"] == "暗改名称有限公司"
    assert (await registry_client.get(url, headers=OFFICER)).json()["name"] == "暗改名称有限公司"


async def test_every_committed_change_is_seen(registry_client: httpx.AsyncClient) -> None:
    url = await registered(registry_client, 2)
    assert (await registry_client.get(url, headers=OFFICER)).json()["version"] == 1

    # Through this process: the very next read sees it.
    patched = await registry_client.patch(url, json={"short_name": "缓存示例"},
                                          headers={**OFFICER, "If-Match": '"1"'})
    assert patched.status_code == 200, patched.text
    read = await registry_client.get(url, headers=OFFICER)
    assert read.json()["short_name"] == "缓存示例" and read.headers["etag"] == '"2"'

    # Through another replica (another connection, another engine): seen once its notification arrives.
    other = create_engine(registry_client.database_url)  # type: ignore[attr-defined]
    try:
        async with other.begin() as conn:
            await conn.execute(text("UPDATE enterprises SET short_name = '别处改的', version = version + 1"))
    finally:
        await other.dispose()

    async def seen() -> bool:
        response = await registry_client.get(url, headers=OFFICER)
        return response.json()["short_name"] == "别处改的" and response.headers["etag"] == '"3"'

    await wait_for(seen, timeout=5, interval=0.02)


async def test_scope_and_masking_apply_to_every_reader_of_a_cached_row(registry_client: httpx.AsyncClient) -> None:
    url = await registered(registry_client, 3)
    officer_view = (await registry_client.get(url, headers=OFFICER)).json()  # now cached
    assert officer_view["contact_phone"] == "13857212345" and officer_view["personal_data_masked"] is False
    reviewer_view = (await registry_client.get(url, headers=token(Role.REVIEWER))).json()
    assert reviewer_view["personal_data_masked"] is True and reviewer_view["contact_phone"] != "13857212345"
    assert (await registry_client.get(url, headers=OFFICER)).json() == officer_view
    elsewhere = await registry_client.get(url, headers=token(Role.OFFICER, districts=["330521"]))
    assert elsewhere.status_code == 404
    stranger = await registry_client.get(url, headers=token(Role.ENTERPRISE, uscc=make_uscc(99)))
    assert stranger.status_code == 404
    own = await registry_client.get(url, headers=token(Role.ENTERPRISE, uscc=make_uscc(3)))
    assert own.status_code == 200 and own.json()["personal_data_masked"] is False


async def test_a_poller_holding_the_current_version_gets_304(registry_client: httpx.AsyncClient) -> None:
    url = await registered(registry_client, 4)
    held = (await registry_client.get(url, headers=OFFICER)).headers["etag"]
    unchanged = await registry_client.get(url, headers={**OFFICER, "If-None-Match": held})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == held
    await registry_client.patch(url, json={"short_name": "新简称"}, headers={**OFFICER, "If-Match": held})
    changed = await registry_client.get(url, headers={**OFFICER, "If-None-Match": held})
    assert changed.status_code == 200 and changed.json()["short_name"] == "新简称" and changed.headers["etag"] == '"2"'
    # Knowing a version does not open a record outside the caller's scope.
    elsewhere = await registry_client.get(url, headers={**token(Role.OFFICER, districts=["330521"]),
                                                        "If-None-Match": '"2"'})
    assert elsewhere.status_code == 404


async def test_no_stale_answer_outlives_a_storm_of_reads_and_writes(registry_client: httpx.AsyncClient) -> None:
    """Reads through the cache race with writes from this process and from another replica; once the writes stop
    (and their notifications have arrived) every cached answer equals the database's."""
    urls = [await registered(registry_client, 10 + n) for n in range(8)]
    other = create_engine(registry_client.database_url)  # type: ignore[attr-defined]
    rng = random.Random(5)

    async def reader() -> None:
        for _ in range(150):
            response = await registry_client.get(rng.choice(urls), headers=OFFICER)
            assert response.status_code == 200

    async def other_replica() -> None:
        for n in range(60):
            enterprise_id = rng.choice(urls).rsplit("/", 1)[1]
            async with other.begin() as conn:
                await conn.execute(text("UPDATE enterprises SET short_name = :s, version = version + 1 WHERE id = :id"),
                                   {"s": f"别处{n}", "id": enterprise_id})
            await asyncio.sleep(0)

    async def this_process() -> None:
        for n in range(30):
            url = rng.choice(urls)
            current = await registry_client.get(url, headers={**OFFICER, "Cache-Control": "no-cache"})
            await registry_client.patch(url, json={"short_name": f"本处{n}"},
                                        headers={**OFFICER, "If-Match": current.headers["etag"]})

    try:
        await asyncio.gather(reader(), reader(), reader(), other_replica(), this_process())
        # Then only the other replica writes (this process's own writes flush its whole cache, which would hide a
        # missed notification).
        await asyncio.gather(reader(), reader(), other_replica())

        async def all_current() -> bool:
            # Compared with the database itself: a no-cache read would refresh the very entry under test.
            async with other.connect() as conn:
                rows = {str(r.id): r for r in await conn.execute(text("SELECT id, version, short_name FROM enterprises"))}
            for url in urls:
                cached = await registry_client.get(url, headers=OFFICER)
                row = rows[url.rsplit("/", 1)[1]]
                if cached.headers["etag"] != f'"{row.version}"' or cached.json()["short_name"] != row.short_name:
                    return False
            return True

        # The last notifications may still be on their way; a stale entry that survived them would fail here.
        await wait_for(all_current, timeout=5, interval=0.05)
        # And it holds: nothing re-cached an old row behind the last eviction.
        await asyncio.sleep(0.3)
        assert await all_current()
    finally:
        await other.dispose()


async def test_a_read_overtaken_by_a_commit_does_not_store_its_stale_row(registry_client: httpx.AsyncClient) -> None:
    """The race, made to happen: another replica commits (and its notification arrives) after the read fetched the
    row and before the answer is stored. Stored anyway, that stale row would be served until the next change."""
    url = await registered(registry_client, 30)
    enterprise_id = uuid.UUID(url.rsplit("/", 1)[1])
    database_url = registry_client.database_url  # type: ignore[attr-defined]
    engine, other = create_engine(database_url), create_engine(database_url)
    started = await start_row_cache(engine, "enterprises", 100, CollectorRegistry(), uuid.UUID)
    assert started is not None
    cache, listener = started
    await asyncio.wait_for(listener.listening.wait(), 10)

    class OvertakenReads:
        """The read's engine, with the other replica's commit slipped in between the fetch and the store."""

        @asynccontextmanager
        async def connect(self):  # type: ignore[no-untyped-def]
            async with engine.connect() as conn:
                yield self.Overtaken(conn)

        class Overtaken:
            def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
                self.conn = conn

            async def execute(self, *args):  # type: ignore[no-untyped-def]
                result = await self.conn.execute(*args)
                generation = cache.generation
                async with other.begin() as writer:
                    await writer.execute(text("UPDATE enterprises SET name = '抢先改名有限公司', version = version + 1"))

                async def heard() -> bool:
                    return cache.generation != generation

                await wait_for(heard, timeout=5, interval=0.01)
                return result

    try:
        read, version = await service.read_enterprise_json(OvertakenReads(), cache, OFFICER_ACTOR,
                                                           enterprise_id)  # type: ignore[arg-type]
        assert version == 1  # the answer itself is the row as read
        assert cache.get(enterprise_id) is None  # but it was not kept
        body, version = await service.read_enterprise_json(engine, cache, OFFICER_ACTOR, enterprise_id)
        assert version == 2 and "抢先改名有限公司" in body.decode()
    finally:
        await listener.stop()
        await engine.dispose()
        await other.dispose()
