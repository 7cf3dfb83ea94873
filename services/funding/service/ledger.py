"""The fund ledger (资金台账) as stored: entries appended under the round's row lock, balances kept as the round's
running sums and derived again from the entries to reconcile (``domain.ledger``).

The one way to move money is :func:`append_entries`. It locks the round's row (``SELECT … FOR UPDATE`` on
PostgreSQL, the write lock on SQLite), so that concurrent movements of one round run one after the other and each
sees what the previous one wrote; then, for each entry, a key already in the ledger is a retry (the same movement:
nothing is written again) or a reuse (409), and a new entry must pass ``domain.ledger.check_entry`` against the
round's balance and its reference's own entries. The invariant committed + disbursed ≤ budget therefore holds
whatever the concurrency; the database's CHECK on the round's sums and the unique key are the last guard.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain import ledger as domain
from services.funding.models import FundingRound, LedgerEntry, Programme
from services.funding.service.refusals import as_http
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.db import hold_write_lock
from shared.errors import Conflict, NotFound
from shared.http import cursor_int
from shared.pagination import Key, paginate
from shared.scope import EVERYWHERE, InDistrict, ScopeRule
from shared.uow import UnitOfWork

Sessions = async_sessionmaker[AsyncSession]

# Who reads a round's ledger: programme staff of the issuer (city-level money: city-wide officers), admins and
# services. Nobody changes entries: they are appended by the use cases that move money.
LEDGER_SCOPE = ScopeRule(
    noun="round",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(FundingRound.district_code)},
    managers={},
)

BALANCE_FIELDS = tuple(f.name for f in fields(domain.Balance))


def balance_of(round_: FundingRound) -> domain.Balance:
    """The round's recorded balance: its running sums."""
    return domain.Balance(**{name: getattr(round_, f"{name}_fen") for name in BALANCE_FIELDS})


# Built once (it is on every movement's path); populate_existing: a row this session read before is refreshed from
# the locked read, never stale. FOR NO KEY UPDATE, as the kit's Records.get_for_change: every movement of the round's
# money still queues here, while applications and entries naming the round (their foreign key check) do not.
_LOCK_ROUND = (select(FundingRound).where(FundingRound.id == bindparam("round_id")).with_for_update(key_share=True)
               .execution_options(populate_existing=True))


async def lock_round(session: AsyncSession, round_id: uuid.UUID) -> FundingRound:
    """The round's row, locked to the end of the transaction (every movement of its money takes this lock first).
    No scope check: the caller has decided already that its actor may move this money."""
    await hold_write_lock(session, FundingRound.__table__)
    round_ = await session.scalar(_LOCK_ROUND, {"round_id": round_id})
    if round_ is None:
        raise NotFound(f"no round {round_id}", field="round_id")
    return round_


async def _reference_entries(session: AsyncSession, round_id: uuid.UUID, reference: str) -> list[LedgerEntry]:
    """The reference's own entries in the round: its balance, and the keys it used (one query, under the lock)."""
    return list((await session.scalars(select(LedgerEntry).where(LedgerEntry.round_id == round_id,
                                                                 LedgerEntry.reference == reference))).all())


def _same_movement(row: LedgerEntry, entry: domain.Entry) -> bool:
    return (row.kind, row.amount_fen, str(row.round_id), row.reference) == (
        entry.kind.value, entry.amount_fen, entry.round_id, entry.reference)


@dataclass(frozen=True)
class Appended:
    """What :func:`append_entries` did: the entries written now, the keys that were already in the ledger (a
    retry: nothing written), and the round's balance afterwards."""

    written: tuple[domain.Entry, ...]
    replayed: tuple[domain.Entry, ...]
    balance: domain.Balance

    @property
    def was_retry(self) -> bool:
        return not self.written and bool(self.replayed)


async def append_entries(uow: UnitOfWork, round_id: uuid.UUID, entries: Sequence[domain.Entry], *,
                         round_: FundingRound | None = None, first_for_reference: bool = False) -> Appended:
    """Append ``entries`` (in order) to round ``round_id``'s ledger under the round's row lock, in ``uow``'s
    transaction. The service-level entry point for every movement of money, vouchers included:

        round_ = await lock_round(uow.session, round_id)      # first, so the balance read below is current
        voucher, entry = vouchers.issue(terms, ..., round_available_fen=balance_of(round_).available_fen)
        appended = await append_entries(uow, round_id, [entry], round_=round_)

    * ``round_``: the round's row if the caller has already locked it with :func:`lock_round` in this unit of
      work (it is locked here otherwise).
    * ``first_for_reference``: the caller knows that the entries' references have no entry in the ledger yet (an
      application's one commitment: its state machine approves once), so their entries are not read (a round trip
      under the round's lock). Nothing is replayed then: a key used before is refused by its unique index at the
      flush (409 naming ``key``).
    * Each entry's ``programme_id``/``round_id`` must be the round's (as strings); ``reference`` names what the
      money is for (the application's or the voucher's id, as the domain makes it); ``key`` (unique in the whole ledger) makes a retry
      the same entry.
    * An entry whose key is already in the ledger with the same movement (kind, amount, round, reference) is a
      retry: it is skipped and listed in ``replayed``. The same key with another movement is 409 ``key_reused``.
    * A new entry that breaks a ledger rule is 409 with the rule's ``code`` (``budget_exhausted``,
      ``beyond_reservation``, ``nothing_reserved``, ``beyond_paid``, ``kind_mismatch``); nothing of the call is
      then written (the caller's unit of work rolls back on the error).

    The caller records the audit entry of its own change (``uow.audit``); this function writes rows only.
    """
    session = uow.session
    if round_ is None:
        round_ = await lock_round(session, round_id)
    created_by = uow.actor.principal.subject if uow.actor is not None else uow.system_actor
    references: dict[str, tuple[domain.Balance, dict[str, LedgerEntry]]] = {}
    balance = balance_of(round_)
    written: list[domain.Entry] = []
    replayed: list[domain.Entry] = []
    for entry in entries:
        if (entry.programme_id, entry.round_id) != (str(round_.programme_id), str(round_.id)):
            raise Conflict(f"the entry is for {entry.programme_id}/{entry.round_id}, not round {round_.id}",
                           field="round_id", code="wrong_round")
        if entry.reference is not None and entry.reference not in references:
            rows = [] if first_for_reference else await _reference_entries(session, round_.id, entry.reference)
            references[entry.reference] = (domain.fold(entry_of(r) for r in rows), {r.key: r for r in rows if r.key})
        reference, keys = references.get(entry.reference or "", (domain.Balance(), {}))
        earlier = keys.get(entry.key) if entry.key is not None else None
        if earlier is None and entry.key is not None and entry.reference is None:
            earlier = await session.scalar(select(LedgerEntry).where(LedgerEntry.key == entry.key))
        if earlier is not None:
            if not _same_movement(earlier, entry):
                raise Conflict(f"ledger key {entry.key} was used for another movement", field="key",
                               code="key_reused")
            replayed.append(entry)
            continue
        # (A key used by another reference is refused by its unique index at the flush: 409 naming ``key``.)
        verdict = domain.check_entry(balance, entry, reference)
        if not verdict.accepted:
            raise as_http(domain.EntryRefused(verdict.code or "refused", verdict.detail, field="amount_fen"))
        row = LedgerEntry(programme_id=round_.programme_id, round_id=round_.id, kind=entry.kind.value,
                          amount_fen=entry.amount_fen, reference=entry.reference, key=entry.key,
                          entry_date=entry.on or programme_today(), note=entry.note or None, created_by=created_by)
        session.add(row)
        balance = balance.add(entry)
        if entry.reference is not None:
            references[entry.reference] = (reference.add(entry), {**keys, **({entry.key: row} if entry.key else {})})
        written.append(entry)
    for name in BALANCE_FIELDS:
        setattr(round_, f"{name}_fen", getattr(balance, name))
    return Appended(tuple(written), tuple(replayed), balance)


# --- reads --------------------------------------------------------------------------------------------------------

def entry_of(row: LedgerEntry) -> domain.Entry:
    return domain.Entry(domain.EntryKind(row.kind), row.amount_fen, str(row.programme_id), str(row.round_id),
                        row.reference, row.key, row.entry_date, row.note or "")


async def derived_balance(session: AsyncSession, round_id: uuid.UUID) -> domain.Balance:
    """The fold of the round's entries, summed by the database (the same sums ``domain.ledger.fold`` makes)."""
    rows = await session.execute(select(LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
                                 .where(LedgerEntry.round_id == round_id).group_by(LedgerEntry.kind))
    return domain.Balance(**{kind: int(total) for kind, total in rows})


def balance_view(balance: domain.Balance) -> dict[str, int]:
    return {**{f"{name}_fen": getattr(balance, name) for name in BALANCE_FIELDS},
            "budget_fen": balance.budget_fen, "reserved_fen": balance.reserved_fen, "paid_fen": balance.paid_fen,
            "available_fen": balance.available_fen}


async def round_balance(sessions: Sessions, actor: Actor, round_id: uuid.UUID) -> dict[str, Any]:
    """The round's recorded balance, the balance derived from its entries, and where they differ (nothing, unless
    a row was changed behind the ledger's back)."""
    async with sessions() as session:
        round_ = await session.get(FundingRound, round_id)
        if round_ is None:
            raise NotFound(f"no round {round_id}")
        LEDGER_SCOPE.ensure_readable(actor, round_, round_id)
        recorded = balance_of(round_)
        derived = await derived_balance(session, round_id)
    discrepancies = [{"field": f.name, "recorded": getattr(recorded, f.name), "derived": getattr(derived, f.name)}
                     for f in fields(domain.Balance) if getattr(recorded, f.name) != getattr(derived, f.name)]
    return {"round_id": round_id, "programme_id": round_.programme_id, **balance_view(recorded),
            "reconciled": not discrepancies, "discrepancies": discrepancies}


async def programme_balance(sessions: Sessions, actor: Actor, programme_id: uuid.UUID) -> dict[str, Any]:
    """The programme's balance: the sum of its rounds' (``domain.ledger.balances_by_programme``)."""
    async with sessions() as session:
        programme = await session.get(Programme, programme_id)
        if programme is None:
            raise NotFound(f"no programme {programme_id}")
        rounds = (await session.scalars(select(FundingRound).where(FundingRound.programme_id == programme_id))).all()
    # Rounds share their programme's district (the pool's): one check covers them all.
    LEDGER_SCOPE.ensure_readable(actor, programme, programme_id)
    total = domain.Balance()
    for round_ in rounds:
        total = total + balance_of(round_)
    return {"programme_id": programme_id, "budget_fen_of_programme": programme.budget_fen, **balance_view(total)}


_ENTRY_ORDER = (Key(LedgerEntry.id, cursor_int),)


async def list_entries(sessions: Sessions, actor: Actor, round_id: uuid.UUID, *, limit: int, cursor: str | None,
                       reference: str | None) -> tuple[list[LedgerEntry], str | None]:
    """The round's entries in the order they were appended."""
    async with sessions() as session:
        round_ = await session.get(FundingRound, round_id)
        if round_ is None:
            raise NotFound(f"no round {round_id}")
        LEDGER_SCOPE.ensure_readable(actor, round_, round_id)
        query = select(LedgerEntry).where(LedgerEntry.round_id == round_id)
        if reference is not None:
            query = query.where(LedgerEntry.reference == reference)
        return await paginate(session, query, keys=_ENTRY_ORDER, limit=limit, cursor=cursor)
