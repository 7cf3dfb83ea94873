"""Large imports run in the background: 202 with a status resource to poll, the row-level report at the end; jobs
are the caller's own, and a job whose process stopped is marked failed (at the next start, or once it went quiet)."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from services.registry.service import imports as import_service
from shared.auth import Role
from shared.db import create_engine, utcnow
from tests.registry.xlsx_support import sheet_xml, workbook
from tests.support import count_rows, make_uscc, pg_url, running_app, settings_for, token, truncate

ADMIN = token(Role.ADMIN, subject="admin-1")
OFFICER = token(Role.OFFICER, subject="officer-1", districts=["330502"])
HEADER = "uscc,name,district_code,industry_code\n"


@pytest.fixture
async def client(postgres: None) -> AsyncIterator[httpx.AsyncClient]:
    await truncate("registry")
    async with running_app("registry", settings_for("registry")) as client:
        yield client


def _firms(count: int, start: int = 0, district: str = "330502") -> str:
    return "".join(f"{make_uscc(n, district)},湖州批量{n:05d}有限公司,{district},C3981\n" for n in range(start, start + count))


async def _post(client: httpx.AsyncClient, body: bytes, name: str = "firms.csv", headers=ADMIN,  # type: ignore[no-untyped-def]
                kind: str = "enterprises") -> httpx.Response:
    return await client.post(f"/v1/imports/{kind}", files={"file": (name, body, "text/csv")}, headers=headers)


async def _poll(client: httpx.AsyncClient, location: str, headers=ADMIN, timeout: float = 120) -> dict:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    seen = set()
    while True:
        response = await client.get(location, headers=headers)
        assert response.status_code == 200, response.text
        job = response.json()
        seen.add(job["status"])
        if job["status"] in ("done", "failed"):
            job["seen"] = seen
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.2)


async def _sql(sql: str, **params):  # type: ignore[no-untyped-def]
    engine = create_engine(pg_url("registry"))
    try:
        async with engine.begin() as conn:
            return (await conn.execute(text(sql), params)).all() if sql.lstrip().upper().startswith("SELECT") \
                else (await conn.execute(text(sql), params))
    finally:
        await engine.dispose()


async def test_a_file_of_more_than_5000_rows_is_imported_in_the_background_with_its_report_at_the_end(
        client: httpx.AsyncClient) -> None:
    url = pg_url("registry")
    rows = import_service.BACKGROUND_ROWS + 5
    bad = "914403001922038217,坏代码有限公司,330502,C3981\n"  # REFERENCE §4: check character should be 6
    body = (HEADER + _firms(100) + bad + _firms(rows - 101, start=100)).encode()
    response = await _post(client, body)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/imports/{job['id']}"
    assert response.headers["cache-control"] == "no-store"
    assert (job["status"], job["kind"], job["file_name"], job["rows"]) == ("queued", "enterprises", "firms.csv", rows)
    assert job["report"] is None and job["problem"] is None

    finished = await _poll(client, response.headers["location"])
    assert finished["status"] == "done", finished
    report = finished["report"]
    assert report["import_id"] == job["id"]
    assert (report["rows"], report["created"], report["rejected"]) == (rows, rows - 1, 1)
    assert report["rejections"] == [{"line": 102, "field": "uscc", "reason": report["rejections"][0]["reason"],
                                     "uscc": "914403001922038217"}]
    assert "should be 6" in report["rejections"][0]["reason"]
    assert finished["started_at"] and finished["finished_at"] >= finished["started_at"]

    assert await count_rows(url, "enterprises") == rows - 1
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.registry.enterprise.registered.v1'") == rows - 1
    # Audited as a request's import is, under the job's id, from the request that started it.
    (changes, request_id), = await _sql("SELECT changes, request_id FROM audit_log WHERE entity_type = 'import' "
                                        "AND entity_id = :id", id=job["id"])
    changes = json.loads(changes) if isinstance(changes, str) else changes
    assert changes["created"] == rows - 1 and request_id == response.headers["x-request-id"]
    # The same file again: nothing changes, reported the same way.
    again = await _post(client, body)
    assert again.status_code == 202
    report = (await _poll(client, again.headers["location"]))["report"]
    assert (report["created"], report["unchanged"]) == (0, rows - 1)


async def test_a_file_at_the_threshold_is_imported_in_the_request(client: httpx.AsyncClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "BACKGROUND_ROWS", 20)
    at = await _post(client, (HEADER + _firms(20)).encode())
    assert at.status_code == 200 and at.json()["created"] == 20
    over = await _post(client, (HEADER + _firms(21, start=100)).encode())
    assert over.status_code == 202
    assert (await _poll(client, over.headers["location"]))["report"]["created"] == 21
    assert await count_rows(pg_url("registry"), "import_jobs") == 1


async def test_figures_go_to_the_background_too(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "BACKGROUND_ROWS", 3)
    assert (await _post(client, (HEADER + _firms(4)).encode())).status_code == 202
    await asyncio.sleep(0)  # the enterprises job first
    jobs = await _sql("SELECT id FROM import_jobs")
    await _poll(client, f"/v1/imports/{jobs[0][0]}")
    figures = "uscc,year,employees\n" + "".join(f"{make_uscc(n)},2024,{10 + n}\n" for n in range(4))
    response = await _post(client, figures.encode(), kind="figures")
    assert response.status_code == 202 and response.json()["kind"] == "figures"
    assert (await _poll(client, response.headers["location"]))["report"]["created"] == 4
    assert await count_rows(pg_url("registry"), "annual_figures") == 4


async def test_a_large_xlsx_is_checked_in_the_job_and_its_fault_fails_the_job(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # A large XLSX is only inspected in the request (opening it takes seconds): an unknown column fails the job.
    monkeypatch.setattr(import_service, "BACKGROUND_XLSX_CELLS", 5)
    content = workbook(sheet_xml([["uscc", "name", "district_code", "注册资本"], [make_uscc(1), "甲", "330502", "1"]]))
    response = await client.post("/v1/imports/enterprises", files={"file": ("big.xlsx", content, "x")}, headers=ADMIN)
    assert response.status_code == 202, response.text
    failed = await _poll(client, response.headers["location"])
    assert failed["status"] == "failed" and failed["report"] is None
    problem = failed["problem"]
    assert (problem["status"], problem["title"]) == (422, "Invalid input")
    assert "注册资本" in problem["detail"] and problem["unknown_columns"] == ["注册资本"]
    assert problem["errors"] == [{"field": "file", "reason": problem["detail"]}]
    assert await count_rows(pg_url("registry"), "enterprises") == 0


async def test_a_job_is_the_callers_own(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "BACKGROUND_ROWS", 2)
    response = await _post(client, (HEADER + _firms(3)).encode(), headers=OFFICER)
    location = response.headers["location"]
    await _poll(client, location, headers=OFFICER)
    # Another officer (even of the same district) does not see it; an admin does; other roles may not ask.
    other = token(Role.OFFICER, subject="officer-2", districts=["330502"])
    assert (await client.get(location, headers=other)).status_code == 404
    assert (await client.get(location, headers=ADMIN)).status_code == 200
    assert (await client.get(location, headers=token(Role.REVIEWER))).status_code == 403
    assert (await client.get(location)).status_code == 401
    assert (await client.get(f"/v1/imports/{uuid.uuid4()}", headers=ADMIN)).status_code == 404


async def test_jobs_wait_their_turn_and_a_full_queue_answers_503(client: httpx.AsyncClient,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "BACKGROUND_ROWS", 2)
    jobs: import_service.ImportJobs = client._transport.app.state.import_jobs  # type: ignore[attr-defined]
    async with jobs._turn:  # an import is running
        accepted = [await _post(client, (HEADER + _firms(3, start=10 * n)).encode())
                    for n in range(import_service.MAX_WAITING_IMPORTS + 1)]
        assert [r.status_code for r in accepted] == [202] * (import_service.MAX_WAITING_IMPORTS + 1)
        busy = await _post(client, (HEADER + _firms(3, start=100)).encode())
        assert busy.status_code == 503 and busy.headers["retry-after"] == "60"
        assert busy.headers["content-type"] == "application/problem+json"
        assert (await client.get(accepted[0].headers["location"], headers=ADMIN)).json()["status"] == "queued"
    for response in accepted:
        assert (await _poll(client, response.headers["location"]))["status"] == "done"


async def test_a_job_interrupted_by_a_restart_is_marked_failed_on_the_next_start(postgres: None) -> None:
    await truncate("registry")
    now = utcnow()
    jobs = {
        "ours, running": (socket.gethostname(), "running", now),
        "ours, queued": (socket.gethostname(), "queued", now),
        "another pod's, alive": ("registry-api-other", "running", now),
        "another pod's, gone quiet": ("registry-api-gone", "running", now - timedelta(minutes=5)),
        "ours, done": (socket.gethostname(), "done", now),
    }
    ids = {name: uuid.uuid4() for name in jobs}
    for name, (owner, status, heartbeat) in jobs.items():
        await _sql("INSERT INTO import_jobs (id, kind, file_name, status, rows, created_by, created_by_role, owner, "
                   "heartbeat_at, created_at) VALUES (:id, 'enterprises', 'f.csv', :status, 6000, 'admin-1', 'admin', "
                   ":owner, :heartbeat, :heartbeat)", id=ids[name], status=status, owner=owner, heartbeat=heartbeat)
    async with running_app("registry", settings_for("registry")) as client:
        statuses = {name: (await client.get(f"/v1/imports/{ids[name]}", headers=ADMIN)).json() for name in jobs}
    assert {name: job["status"] for name, job in statuses.items()} == {
        "ours, running": "failed", "ours, queued": "failed", "another pod's, alive": "running",
        "another pod's, gone quiet": "failed", "ours, done": "done"}
    problem = statuses["ours, running"]["problem"]
    assert (problem["status"], problem["title"]) == (503, "Interrupted") and "import the file again" in problem["detail"]


async def test_a_poll_finds_a_job_whose_process_went_quiet_failed(client: httpx.AsyncClient) -> None:
    job_id = uuid.uuid4()
    await _sql("INSERT INTO import_jobs (id, kind, file_name, status, rows, created_by, created_by_role, owner, "
               "heartbeat_at, created_at) VALUES (:id, 'figures', 'f.csv', 'running', 6000, 'admin-1', 'admin', "
               "'registry-api-gone', :old, :old)", id=job_id, old=utcnow() - import_service.STALE_AFTER * 2)
    job = (await client.get(f"/v1/imports/{job_id}", headers=ADMIN)).json()
    assert job["status"] == "failed" and job["problem"]["title"] == "Interrupted"


async def test_stopping_the_api_fails_the_jobs_it_holds(postgres: None, monkeypatch: pytest.MonkeyPatch) -> None:
    await truncate("registry")
    monkeypatch.setattr(import_service, "BACKGROUND_ROWS", 2)
    async with running_app("registry", settings_for("registry")) as client:
        jobs: import_service.ImportJobs = client._transport.app.state.import_jobs  # type: ignore[attr-defined]
        await jobs._turn.acquire()  # another import is running when the process is told to stop
        response = await _post(client, (HEADER + _firms(3)).encode())
        assert response.status_code == 202
    (status, problem), = await _sql("SELECT status, problem FROM import_jobs")
    problem = json.loads(problem) if isinstance(problem, str) else problem
    assert status == "failed" and problem["title"] == "Interrupted"
    assert await count_rows(pg_url("registry"), "enterprises") == 0
