"""What the registry benchmarks share: a PostgreSQL database of their own, migrated afresh for every run, and the
registry app in process with an admin's token (to seed firms through the bulk import)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from shared.auth import Role, issue_token
from shared.settings import LOCAL_JWT_SECRET
from tests.support import PG_SERVER, empty_schema, ensure_database

# The migrations and the registry app are imported inside the functions that use them: the API benchmark's baseline
# server imports this module too, and stays a bare FastAPI app.


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


async def fresh_database(name: str, service: str = "registry") -> str:
    """The URL of database ``name``, created if missing, emptied and migrated to ``service``'s latest schema."""
    from shared.migrations import upgrade

    url = database_url(name)
    await ensure_database(PG_SERVER, name)
    await empty_schema(url)
    await asyncio.to_thread(upgrade, service, url)
    return url


@asynccontextmanager
async def registry_as_admin(url: str, *, timeout: float) -> AsyncIterator[httpx.AsyncClient]:
    """The registry app on database ``url``, running in this process (its lifespan included), called as an admin."""
    from services.registry.app import create_app
    from services.registry.settings import Settings

    app = create_app(Settings(environment="local", database_url=url, kafka_topic_prefix="bench."))
    token = issue_token(secret=LOCAL_JWT_SECRET, role=Role.ADMIN, subject="bench")
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                     headers={"Authorization": f"Bearer {token}"}, timeout=timeout) as client:
            yield client


async def import_enterprises(client: httpx.AsyncClient, content: bytes) -> httpx.Response:
    """One CSV through POST /v1/imports/enterprises, as an upload of ``bench.csv``. A file of more than 5,000 rows
    is imported in the background (202): it is polled until done, and answered with its report as a 200 would."""
    response = await client.post("/v1/imports/enterprises", files={"file": ("bench.csv", content, "text/csv")})
    if response.status_code != 202:
        return response
    while True:
        await asyncio.sleep(0.1)
        job = (await client.get(response.headers["Location"])).raise_for_status().json()
        if job["status"] == "done":
            return httpx.Response(200, json=job["report"], request=response.request)
        if job["status"] == "failed":
            raise RuntimeError(f"the import failed: {job['problem']}")
