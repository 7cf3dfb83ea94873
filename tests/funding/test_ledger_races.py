"""The ledger under concurrency on PostgreSQL (service.ledger.append_entries, the one way money moves): many
commitments racing for one round's budget never overspend it, and a disbursement retried at once with one key
pays once; the round's running sums reconcile with the fold of its entries."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from services.funding.domain.ledger import Entry, EntryKind, fold
from services.funding.models import LedgerEntry
from services.funding.service.ledger import append_entries, entry_of
from shared.db import create_engine, session_factory
from shared.errors import Conflict
from tests.funding.support import TODAY, balance, open_round
from tests.support import pg_url, running_app, service_work, settings_for, truncate

pytestmark = pytest.mark.usefixtures("postgres")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    await truncate("funding")
    async with running_app("funding", settings_for("funding", pg_url("funding"))) as client:
        client.database_url = pg_url("funding")  # type: ignore[attr-defined]
        yield client


@pytest.fixture
async def work() -> AsyncIterator[object]:
    engine = create_engine(pg_url("funding"), pool_size=20)
    try:
        yield service_work("funding", session_factory(engine))
    finally:
        await engine.dispose()


async def _append(work: object, round_: dict[str, str], entry: Entry) -> str:
    try:
        async with work(None, system_actor="race-test") as uow:  # type: ignore[operator]
            appended = await append_entries(uow, uuid.UUID(round_["id"]), [entry])
            uow.audit("ledger.test", "round", round_["id"], {"key": entry.key})
        return "replayed" if appended.was_retry else "written"
    except Conflict as refusal:
        return str(refusal.extra.get("code"))


async def _entries(round_id: str) -> list[Entry]:
    engine = create_engine(pg_url("funding"))
    try:
        async with session_factory(engine)() as session:
            rows = (await session.scalars(select(LedgerEntry).where(LedgerEntry.round_id == uuid.UUID(round_id))
                                          .order_by(LedgerEntry.id))).all()
            return [entry_of(r) for r in rows]
    finally:
        await engine.dispose()


async def test_500_commitments_of_one_unit_against_a_budget_of_100_commit_exactly_100(
        client: httpx.AsyncClient, work: object) -> None:
    round_ = await open_round(client, budget_fen=100, cap_fen=100)

    def commitment(i: int) -> Entry:
        reference = str(uuid.uuid4())
        return Entry(EntryKind.COMMITTED, 1, round_["programme_id"], round_["id"], reference,
                     f"application:{reference}:committed", TODAY)

    started = time.perf_counter()
    outcomes = Counter(await asyncio.gather(*(_append(work, round_, commitment(i)) for i in range(500))))
    elapsed = time.perf_counter() - started
    print(f"\n500 racing commitments: {dict(outcomes)} in {elapsed:.2f}s")
    assert outcomes == {"written": 100, "budget_exhausted": 400}
    b = await balance(client, round_["id"])
    assert (b["committed_fen"], b["available_fen"], b["reconciled"]) == (100, 0, True)
    entries = await _entries(round_["id"])
    assert fold(entries).committed == 100 and fold(entries).available_fen == 0


async def test_one_disbursement_retried_at_once_with_one_key_pays_once(client: httpx.AsyncClient, work: object) -> None:
    round_ = await open_round(client, budget_fen=10_000)
    reference = str(uuid.uuid4())
    key = f"application:{reference}:committed"
    assert await _append(work, round_, Entry(EntryKind.COMMITTED, 6_000, round_["programme_id"], round_["id"],
                                             reference, key, TODAY)) == "written"
    tranche = Entry(EntryKind.DISBURSED, 2_500, round_["programme_id"], round_["id"], reference,
                    f"application:{reference}:disbursed:0", TODAY)
    outcomes = Counter(await asyncio.gather(*(_append(work, round_, tranche) for _ in range(50))))
    assert outcomes == {"written": 1, "replayed": 49}
    b = await balance(client, round_["id"])
    assert (b["disbursed_fen"], b["reserved_fen"], b["available_fen"], b["reconciled"]) == (2_500, 3_500, 4_000, True)
    engine = create_engine(pg_url("funding"))
    try:
        async with engine.connect() as conn:
            paid = await conn.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.key == tranche.key))
    finally:
        await engine.dispose()
    assert paid == 1
    # The same key for another movement is refused, and a payment beyond the reservation too.
    other = Entry(EntryKind.DISBURSED, 100, round_["programme_id"], round_["id"], reference, tranche.key, TODAY)
    assert await _append(work, round_, other) == "key_reused"
    beyond = Entry(EntryKind.DISBURSED, 3_501, round_["programme_id"], round_["id"], reference,
                   f"application:{reference}:disbursed:1", TODAY)
    assert await _append(work, round_, beyond) == "beyond_reservation"
    assert (await balance(client, round_["id"]))["reconciled"] is True
