"""Fund pools (配套基金池), programmes (资金项目), rounds (批次) and the issuers' dated amounts.

Calls for applications are public: every authenticated role reads pools, programmes and rounds. They are managed
by admins and by the officers of the issuing district (city-level money, ``district_code`` None, by city-wide
officers). A programme fits its pool and a round its programme (``domain.programmes.check_programme`` /
``check_round``) under the parent's row lock, so that two concurrent children cannot together overrun it. A
round's budget is what its ledger allocated: its first allocation is written with it, top-ups are further
``allocated`` entries (``allocate``), never an edited number.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain import ledger as ledger_domain
from services.funding.domain import programmes as domain
from services.funding.domain.eligibility import EligibilityRule, RuleKind
from services.funding.models import DatedAmount, FundingRound, FundPool, LedgerEntry, Programme
from services.funding.schemas import programmes as schemas
from services.funding.schemas.common import RuleIn, RuleRead
from services.funding.service.ledger import append_entries, balance_of, lock_round
from services.funding.service.refusals import refusals
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.errors import InvalidInput, NotFound
from shared.http import cursor_datetime, cursor_uuid
from shared.idempotency import Idempotency, IdempotentResponse
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, InDistrict, ScopeRule
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]


def _public_managed_by_issuer(noun: str, model: Any) -> ScopeRule:
    return ScopeRule(noun=noun, readers={role: EVERYWHERE for role in Role},
                     managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(model.district_code)})


POOL_SCOPE = _public_managed_by_issuer("fund pool", FundPool)
PROGRAMME_SCOPE = _public_managed_by_issuer("programme", Programme)
ROUND_SCOPE = _public_managed_by_issuer("round", FundingRound)
POOLS, PROGRAMMES, ROUNDS = Records(FundPool, POOL_SCOPE), Records(Programme, PROGRAMME_SCOPE), \
    Records(FundingRound, ROUND_SCOPE)


# --- rules as data -------------------------------------------------------------------------------------------------

def rules_of(stored: Sequence[dict[str, Any]]) -> tuple[EligibilityRule, ...]:
    return tuple(EligibilityRule(RuleKind(r["kind"]), frozenset(r.get("values") or ()), r.get("label") or "",
                                 years=int(r.get("years", 1))) for r in stored)


def stored_rules(rules: Sequence[RuleIn], field: str) -> list[dict[str, Any]]:
    """The rules as stored, each checked by the domain first (a rule without values cannot be evaluated)."""
    stored = []
    for index, rule in enumerate(rules):
        with refusals():
            try:
                checked = EligibilityRule(RuleKind(rule.kind), frozenset(rule.values), rule.label, years=rule.years)
            except domain.FundingRuleError as error:
                error.field = f"{field}.{index}.{error.field or 'kind'}"
                raise
        stored.append({"kind": checked.kind.value, "values": sorted(checked.values), "label": checked.label,
                       "years": checked.years})
    return stored


def rules_read(stored: Sequence[dict[str, Any]]) -> list[RuleRead]:
    return [RuleRead(kind=rule.kind.value, values=sorted(rule.values), label=rule.label, years=rule.years,
                     requirement=rule.requirement()) for rule in rules_of(stored)]


def changes_of(data: Any, clearable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH sent; a field that may be changed but not cleared refused when sent as null."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in clearable:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    return changes


# --- rows as domain values -----------------------------------------------------------------------------------------

def pool_of(row: FundPool) -> domain.FundPool:
    return domain.FundPool(str(row.id), row.name, row.issuer, row.budget_fen, row.opens_on, row.closes_on)


def programme_of(row: Programme) -> domain.Programme:
    return domain.Programme(str(row.id), str(row.pool_id), row.name, domain.Instrument(row.instrument), row.issuer,
                            domain.IssuerLevel(row.issuer_level), row.budget_fen, row.per_enterprise_cap_fen,
                            row.opens_on, row.closes_on, domain.AwardMode(row.mode), rules_of(row.eligibility),
                            row.conflict_group, row.source or "")


def round_of(row: FundingRound) -> domain.Round:
    # A round's budget is what its ledger allocated; a round created with a budget always has an allocation.
    return domain.Round(str(row.id), str(row.programme_id), row.name, max(row.allocated_fen, 1), row.opens_on,
                        row.closes_on, row.per_enterprise_cap_fen, rules_of(row.eligibility))


# --- read models ---------------------------------------------------------------------------------------------------

def pool_read(row: FundPool) -> schemas.PoolRead:
    return schemas.PoolRead.model_validate(row, from_attributes=True)


def programme_read(row: Programme) -> schemas.ProgrammeRead:
    values = {c.key: getattr(row, c.key) for c in Programme.__table__.columns}
    return schemas.ProgrammeRead(**{**values, "eligibility": rules_read(row.eligibility)})


def round_read(row: FundingRound, programme: Programme) -> schemas.RoundRead:
    balance = balance_of(row)
    cap = row.per_enterprise_cap_fen
    return schemas.RoundRead(
        id=row.id, programme_id=row.programme_id, name=row.name, district_code=row.district_code,
        budget_fen=balance.budget_fen, available_fen=balance.available_fen,
        per_enterprise_cap_fen=programme.per_enterprise_cap_fen if cap is None else min(cap, programme.per_enterprise_cap_fen),
        opens_on=row.opens_on, closes_on=row.closes_on,
        phase=domain.phase(row.opens_on, row.closes_on, programme_today()).value,
        eligibility=rules_read([*programme.eligibility, *row.eligibility]),
        pays_challenge_bounties=row.pays_challenge_bounties, created_at=row.created_at, version=row.version)


# --- pools ---------------------------------------------------------------------------------------------------------

async def create_pool(work: Work, actor: Actor, data: schemas.PoolCreate) -> schemas.PoolRead:
    values = data.model_dump()
    POOL_SCOPE.ensure_manageable(actor, values)
    with refusals():
        domain.FundPool("new", data.name, data.issuer, data.budget_fen, data.opens_on, data.closes_on)
    async with work(actor) as uow:
        pool = FundPool(**values, created_by=actor.principal.subject)
        uow.session.add(pool)
        await uow.flush()
        uow.audit("fund_pool.create", "fund_pool", str(pool.id), data.model_dump(mode="json"))
    return pool_read(pool)


async def get_pool(sessions: Sessions, actor: Actor, pool_id: uuid.UUID) -> schemas.PoolRead:
    async with sessions() as session:
        return pool_read(await POOLS.get(session, actor, pool_id))


async def update_pool(work: Work, actor: Actor, pool_id: uuid.UUID, data: schemas.PoolUpdate,
                      if_match: str | None) -> schemas.PoolRead:
    """A pool's name, budget or dates changed under If-Match. Under the pool's lock (which setting up a programme
    takes too), its programmes must still fit: their budgets, what the pool has committed, within the new budget, and
    their dates inside the new ones (``domain.programmes.check_children_fit``)."""
    changes = changes_of(data)
    async with work(actor) as uow:
        pool = await POOLS.get_for_change(uow.session, actor, pool_id, if_match=if_match)
        programmes = (await uow.session.scalars(select(Programme).where(Programme.pool_id == pool.id))).all()
        changed = apply_changes(pool, changes)
        with refusals():
            domain.FundPool(str(pool.id), pool.name, pool.issuer, pool.budget_fen, pool.opens_on, pool.closes_on)
            domain.check_children_fit(pool_of(pool), [programme_of(p) for p in programmes])
        if changed:
            await uow.flush()
            uow.audit("fund_pool.update", "fund_pool", str(pool.id), changed)
        read = pool_read(pool)
    return read


_NEWEST = (Key(FundPool.created_at, cursor_datetime), Key(FundPool.id, cursor_uuid))


async def list_pools(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None) -> tuple[list[schemas.PoolRead], str | None]:
    async with sessions() as session:
        rows, next_cursor = await paginate(session, POOLS.select(actor), keys=_NEWEST, limit=limit, cursor=cursor,
                                           descending=True)
    return [pool_read(r) for r in rows], next_cursor


# --- programmes ----------------------------------------------------------------------------------------------------

async def create_programme(work: Work, actor: Actor, data: schemas.ProgrammeCreate) -> schemas.ProgrammeRead:
    eligibility = stored_rules(data.eligibility, "eligibility")
    async with work(actor) as uow:
        # The pool locked: its programmes' budgets are checked against it and must not be overtaken.
        pool = await POOLS.get_for_change(uow.session, actor, data.pool_id)
        siblings = (await uow.session.scalars(select(Programme).where(Programme.pool_id == pool.id))).all()
        values = {**data.model_dump(exclude={"eligibility"}), "eligibility": eligibility, "issuer": pool.issuer,
                  "issuer_level": pool.issuer_level, "district_code": pool.district_code}
        programme = Programme(id=uuid.uuid4(), **values, created_by=actor.principal.subject)
        with refusals():
            domain.check_programme(programme_of(programme), pool_of(pool), [programme_of(s) for s in siblings])
        uow.session.add(programme)
        await uow.flush()
        uow.audit("programme.create", "programme", str(programme.id), data.model_dump(mode="json"))
    return programme_read(programme)


async def get_programme(sessions: Sessions, actor: Actor, programme_id: uuid.UUID) -> schemas.ProgrammeRead:
    async with sessions() as session:
        return programme_read(await PROGRAMMES.get(session, actor, programme_id))


async def update_programme(work: Work, actor: Actor, programme_id: uuid.UUID, data: schemas.ProgrammeUpdate,
                           if_match: str | None) -> schemas.ProgrammeRead:
    """A programme's terms changed under If-Match: name, budget, cap, dates, rules as data. The pool's lock first,
    then the programme's (the order setting up a programme or a round takes them in), so that no sibling and no
    round is added meanwhile; the result must fit the pool as a new programme would, and hold its rounds: their
    allocations (what the programme has committed) within its budget, their caps within its cap, their dates
    inside its own (``domain.programmes.check_programme`` / ``check_round``)."""
    changes = changes_of(data, clearable=frozenset({"conflict_group", "source"}))
    if "eligibility" in changes:
        changes["eligibility"] = stored_rules(data.eligibility or [], "eligibility")
    async with work(actor) as uow:
        session = uow.session
        # Only the pool's id is read before the locks: a programme row loaded here and again under its lock, changed
        # in between by a concurrent PATCH, would be a stale object (SQLAlchemy's version check) instead of a 412.
        pool_id = await session.scalar(select(Programme.pool_id).where(Programme.id == programme_id))
        if pool_id is None:
            raise NotFound(f"no programme {programme_id}")
        pool = await POOLS.get_for_change(session, actor, pool_id)
        programme = await PROGRAMMES.get_for_change(session, actor, programme_id, if_match=if_match)
        siblings = (await session.scalars(select(Programme).where(Programme.pool_id == pool.id,
                                                                  Programme.id != programme.id))).all()
        rounds = (await session.scalars(select(FundingRound).where(FundingRound.programme_id == programme.id))).all()
        changed = apply_changes(programme, changes)
        with refusals():
            checked = programme_of(programme)  # the programme's own rules (a cap within its budget …)
            domain.check_programme(checked, pool_of(pool), [programme_of(p) for p in siblings])
            for round_ in rounds:
                domain.check_round(round_of(round_), checked, [round_of(r) for r in rounds])
        if changed:
            await uow.flush()
            uow.audit("programme.update", "programme", str(programme.id), changed)
        read = programme_read(programme)
    return read


_PROGRAMME_ORDER = (Key(Programme.created_at, cursor_datetime), Key(Programme.id, cursor_uuid))


async def list_programmes(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                          pool_id: uuid.UUID | None, instrument: str | None) -> tuple[list[schemas.ProgrammeRead], str | None]:
    query = PROGRAMMES.select(actor)
    if pool_id is not None:
        query = query.where(Programme.pool_id == pool_id)
    if instrument is not None:
        query = query.where(Programme.instrument == instrument)
    async with sessions() as session:
        rows, next_cursor = await paginate(session, query, keys=_PROGRAMME_ORDER, limit=limit, cursor=cursor,
                                           descending=True)
    return [programme_read(r) for r in rows], next_cursor


# --- rounds --------------------------------------------------------------------------------------------------------

def _allocation(round_: FundingRound, amount_fen: int, key: str, note: str | None) -> ledger_domain.Entry:
    return ledger_domain.Entry(ledger_domain.EntryKind.ALLOCATED, amount_fen, str(round_.programme_id),
                               str(round_.id), None, key, programme_today(), note or "")


async def _allocated_to_rounds(session: AsyncSession, programme_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(FundingRound.allocated_fen), 0))
                                    .where(FundingRound.programme_id == programme_id)) or 0)


async def create_round(work: Work, actor: Actor, programme_id: uuid.UUID,
                       data: schemas.RoundCreate) -> schemas.RoundRead:
    eligibility = stored_rules(data.eligibility, "eligibility")
    async with work(actor) as uow:
        session = uow.session
        # The programme locked: its rounds' allocations are checked against its budget.
        programme = await PROGRAMMES.get_for_change(session, actor, programme_id)
        siblings = (await session.scalars(select(FundingRound).where(FundingRound.programme_id == programme.id))).all()
        round_ = FundingRound(programme_id=programme.id, name=data.name, district_code=programme.district_code,
                              per_enterprise_cap_fen=data.per_enterprise_cap_fen, opens_on=data.opens_on,
                              closes_on=data.closes_on, eligibility=eligibility,
                              pays_challenge_bounties=data.pays_challenge_bounties, created_by=actor.principal.subject)
        session.add(round_)
        await uow.flush()
        with refusals():
            candidate = domain.Round(str(round_.id), str(programme.id), data.name, data.budget_fen, data.opens_on,
                                     data.closes_on, data.per_enterprise_cap_fen, rules_of(eligibility))
            domain.check_round(candidate, programme_of(programme), [round_of(s) for s in siblings])
        await append_entries(uow, round_.id, [_allocation(round_, data.budget_fen, f"round:{round_.id}:allocated:0",
                                                          "initial budget")], round_=round_)
        await uow.flush()
        uow.audit("round.create", "round", str(round_.id), data.model_dump(mode="json"))
        read = round_read(round_, programme)
    return read


async def update_round(work: Work, actor: Actor, round_id: uuid.UUID, data: schemas.RoundUpdate,
                       if_match: str | None) -> schemas.RoundRead:
    """A round's terms changed under If-Match (the ETag read): dates, cap, rules, name, whether it pays challenge
    bounties. The result must still fit its programme (``domain.programmes.check_round``)."""
    changes = changes_of(data, clearable=frozenset({"per_enterprise_cap_fen"}))
    if "eligibility" in changes:
        changes["eligibility"] = stored_rules(data.eligibility or [], "eligibility")
    async with work(actor) as uow:
        session = uow.session
        round_ = await ROUNDS.get_for_change(session, actor, round_id, if_match=if_match)
        programme = await session.get(Programme, round_.programme_id)
        assert programme is not None
        siblings = (await session.scalars(select(FundingRound).where(
            FundingRound.programme_id == programme.id, FundingRound.id != round_.id))).all()
        changed = apply_changes(round_, changes)
        with refusals():
            domain.check_round(round_of(round_), programme_of(programme), [round_of(s) for s in siblings])
        if changed:
            await uow.flush()
            uow.audit("round.update", "round", str(round_.id), changed)
        read = round_read(round_, programme)
    return read


async def get_round(sessions: Sessions, actor: Actor, round_id: uuid.UUID) -> schemas.RoundRead:
    async with sessions() as session:
        round_ = await ROUNDS.get(session, actor, round_id)
        programme = await session.get(Programme, round_.programme_id)
        assert programme is not None
        return round_read(round_, programme)


_ROUND_ORDER = (Key(FundingRound.created_at, cursor_datetime), Key(FundingRound.id, cursor_uuid))


async def list_rounds(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                      programme_id: uuid.UUID | None) -> tuple[list[schemas.RoundRead], str | None]:
    query = ROUNDS.select(actor)
    if programme_id is not None:
        query = query.where(FundingRound.programme_id == programme_id)
    async with sessions() as session:
        rows, next_cursor = await paginate(session, query, keys=_ROUND_ORDER, limit=limit, cursor=cursor,
                                           descending=True)
        programmes = {p.id: p for p in (await session.scalars(
            select(Programme).where(Programme.id.in_({r.programme_id for r in rows})))).all()}
    return [round_read(r, programmes[r.programme_id]) for r in rows], next_cursor


async def allocate(work: Work, actor: Actor, round_id: uuid.UUID, data: schemas.AllocationCreate,
                   idempotency: Idempotency) -> IdempotentResponse:
    """A top-up of the round's budget: an ``allocated`` entry, within the programme's budget (the programme's row
    locked first, then the round's: the order every use case takes them in)."""
    async with work(actor) as uow:
        session = uow.session
        if (earlier := await idempotency.claim(session)) is not None:
            return earlier
        # Only the round's programme is read before the locks: the round itself is read once, under its lock (a
        # change of its terms meanwhile moves its version, which is no reason to refuse a top-up).
        programme_id = await session.scalar(select(FundingRound.programme_id).where(FundingRound.id == round_id))
        if programme_id is None:
            raise NotFound(f"no round {round_id}")
        programme = await PROGRAMMES.get_for_change(session, actor, programme_id)
        round_ = await lock_round(session, round_id)
        allocated = await _allocated_to_rounds(session, programme.id)
        with refusals():
            ledger_domain.check_allocation(programme.budget_fen, allocated, data.amount_fen).raise_if_refused()
        # Allocations of a round are numbered: the key of the next one is the count so far (under the lock).
        sequence = await session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.round_id == round_.id, LedgerEntry.kind == ledger_domain.EntryKind.ALLOCATED.value)) or 0
        await append_entries(uow, round_.id, [_allocation(round_, data.amount_fen,
                                                          f"round:{round_.id}:allocated:{sequence}", data.note)],
                             round_=round_)
        await uow.flush()
        uow.audit("round.allocate", "round", str(round_.id), data.model_dump(mode="json"))
        read = round_read(round_, programme)
        return await idempotency.respond(session, 201, read, headers={"Location": f"/v1/rounds/{round_.id}"})


# --- dated amounts -------------------------------------------------------------------------------------------------

AMOUNT_SCOPE = ScopeRule(noun="dated amount", readers={role: EVERYWHERE for role in Role},
                         managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: EVERYWHERE})


async def create_dated_amount(work: Work, actor: Actor, data: schemas.DatedAmountCreate) -> schemas.DatedAmountRead:
    AMOUNT_SCOPE.ensure_manageable(actor, {})
    with refusals():
        domain.DatedAmount(data.issuer, data.item, data.amount_fen, data.effective_from, data.effective_until,
                           data.ceiling, data.source or "", data.confidence)
    async with work(actor) as uow:
        row = DatedAmount(**data.model_dump(), created_by=actor.principal.subject)
        uow.session.add(row)
        await uow.flush()
        uow.audit("dated_amount.create", "dated_amount", str(row.id), data.model_dump(mode="json"))
    return schemas.DatedAmountRead.model_validate(row, from_attributes=True)


_AMOUNT_ORDER = (Key(DatedAmount.created_at, cursor_datetime), Key(DatedAmount.id, cursor_uuid))


async def list_dated_amounts(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                             issuer: str | None, item: str | None) -> tuple[list[schemas.DatedAmountRead], str | None]:
    query = select(DatedAmount).where(AMOUNT_SCOPE.readable(actor))
    if issuer is not None:
        query = query.where(DatedAmount.issuer == issuer)
    if item is not None:
        query = query.where(DatedAmount.item == item)
    async with sessions() as session:
        rows, next_cursor = await paginate(session, query, keys=_AMOUNT_ORDER, limit=limit, cursor=cursor,
                                           descending=True)
    return [schemas.DatedAmountRead.model_validate(r, from_attributes=True) for r in rows], next_cursor


def dated_amount_of(row: DatedAmount) -> domain.DatedAmount:
    return domain.DatedAmount(row.issuer, row.item, row.amount_fen, row.effective_from, row.effective_until,
                              row.ceiling, row.source or "", row.confidence)
