"""Pool use cases (两库): entry by rule or by decision, demotion and exit, history, entry-criteria versions,
per-district quotas and the annual screening that promotes seedlings (种苗库) to the cultivation pool (培育库).

The screening reads every seedling with its figures and IP in one set query, and writes its effects in bulk (one
UPDATE per 500 promoted firms; history, events and audit entries by executemany; every firm's result by COPY on
PostgreSQL), all in one transaction: 100,000 firms take about 10 s on the 2-core dev machine
(bench/bench_screening.py), against an aim of well under a minute.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, and_, case, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain import pools as domain
from services.registry.domain.evaluation import Outcome
from services.registry.domain.plain import from_plain, to_plain
from services.registry.models import Enterprise
from services.registry.models.figures import AnnualFigures, IpHolding
from services.registry.models.pools import PoolChange, PoolEntryCriteria, PoolQuota, ScreeningResult, ScreeningRun
from services.registry.service.access import ENTERPRISES, FIGURES
from shared.auth import Actor, Role
from shared.bus.outbox import audit_row, event_row
from shared.clock import programme_today
from shared.db import is_postgres, utcnow
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.registry import EnterprisePoolChanged
from shared.http import cursor_datetime, cursor_int, cursor_uuid
from shared.pagination import Key, paginate
from shared.repository import apply_changes
from shared.scope import EVERYWHERE, DistrictScope, InDistrict, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]

# IP kinds that are never Ⅰ类 or Ⅱ类 (REFERENCE §1.1) do not count as IP growth.
_NOT_COUNTED_IP_KINDS = ("trademark", "other")

# SQLite allows 32,766 bound parameters per statement; chunks keep IN lists far below it on every backend.
_CHUNK = 500

# Who reads a screening's ranking: programme staff, officers by the district the firm was ranked in (the run's,
# not where the firm may have moved since). Results are written by the screening run alone, never changed.
SCREENING_RESULTS = ScopeRule(
    noun="screening result",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(ScreeningResult.district_code)},
    managers={},
)


def _ensure_city_wide(actor: Actor, what: str) -> None:
    """Quotas and screenings are city business: admins, services, and city-wide officers."""
    p = actor.principal
    if p.role in (Role.ADMIN, Role.SERVICE) or (p.role == Role.OFFICER and p.city_wide):
        return
    raise PermissionDenied(f"{what} is for city-wide programme officers")


def _ensure_not_future(year: int, field: str) -> None:
    if year > programme_today().year:
        raise InvalidInput(f"{year} is in the future", field=field)


# --- entry criteria ----------------------------------------------------------------------------------------------


async def _stored_criteria(session: AsyncSession) -> list[domain.EntryCriteria]:
    rows = (await session.scalars(select(PoolEntryCriteria))).all()
    return [from_plain(domain.EntryCriteria, row.parameters) for row in rows]


async def list_criteria(sessions: Sessions) -> list[tuple[domain.EntryCriteria, bool, bool]]:
    """Every version (built-in default first), each with (built_in, in_force today)."""
    async with sessions() as session:
        stored = await _stored_criteria(session)
    in_force = domain.select_criteria(stored, programme_today())
    versions = [domain.DEFAULT_ENTRY_CRITERIA, *sorted(stored, key=lambda c: (c.effective_from, c.version))]
    return [(c, c is domain.DEFAULT_ENTRY_CRITERIA, c.version == in_force.version) for c in versions]


async def publish_criteria(work: Work, actor: Actor, criteria: domain.EntryCriteria) -> bool:
    """Store a new version; returns whether it is the one in force today."""
    if actor.principal.role != Role.ADMIN:
        raise PermissionDenied("only an administrator publishes entry criteria")
    if criteria.seed is None and criteria.good_seedling is None:
        raise InvalidInput("a criteria version needs at least one category (seed or good_seedling)", field="seed")
    if criteria.version == domain.DEFAULT_ENTRY_CRITERIA.version:
        raise Conflict(f"{criteria.version} is the built-in version", field="version")
    async with work(actor) as uow:
        session = uow.session
        # Criteria are public to every reader: naming the existing version reveals nothing.
        if await session.get(PoolEntryCriteria, criteria.version) is not None:
            raise Conflict(f"criteria version {criteria.version} already exists; publish a new version",
                           field="version", existing=f"/v1/pools/criteria/{criteria.version}")
        parameters = to_plain(criteria)
        session.add(PoolEntryCriteria(version=criteria.version, effective_from=criteria.effective_from,
                                      parameters=parameters, created_by=actor.principal.subject))
        await uow.flush()
        uow.audit("pool.criteria.publish", "pool_entry_criteria", criteria.version, parameters)
        in_force = domain.select_criteria(await _stored_criteria(session), programme_today())
    return in_force.version == criteria.version


# --- entry assessment --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    result: domain.EntryAssessment
    figures_year: int | None


async def _assess(session: AsyncSession, enterprise: Enterprise, *, year: int, valuation_fen: int | None,
                  version: str | None) -> Assessment:
    """The entry rule on the firm's latest figures of a year up to ``year``; financing cumulated to that year."""
    today = programme_today()
    try:
        criteria = domain.select_criteria(await _stored_criteria(session), today, version)
    except LookupError as exc:
        raise InvalidInput(str(exc), field="criteria_version") from None
    latest = await session.scalar(
        select(AnnualFigures).where(AnnualFigures.enterprise_id == enterprise.id, AnnualFigures.year <= year)
        .order_by(AnnualFigures.year.desc()).limit(1)
    )
    financing = None
    if latest is not None:
        financing = await session.scalar(
            select(func.sum(AnnualFigures.equity_financing_fen))
            .where(AnnualFigures.enterprise_id == enterprise.id, AnnualFigures.year <= latest.year)
        )
    facts = domain.EntryFacts(
        assessed_on=today,
        figures_year=latest.year if latest else None,
        established_on=enterprise.established_on,
        employees=latest.employees if latest else None,
        rd_staff=latest.rd_staff if latest else None,
        operating_revenue_fen=latest.operating_revenue_fen if latest else None,
        rd_expense_fen=latest.rd_expense_fen if latest else None,
        cumulative_financing_fen=None if financing is None else int(financing),
        valuation_fen=valuation_fen,
    )
    return Assessment(domain.assess_entry(criteria, facts), facts.figures_year)


async def assess_entry(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, valuation_fen: int | None = None,
                       version: str | None = None) -> Assessment:
    async with sessions() as session:
        enterprise = await FIGURES.get(session, actor, enterprise_id)
        return await _assess(session, enterprise, year=programme_today().year, valuation_fen=valuation_fen,
                             version=version)


# --- pool changes ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolChangeRequest:
    to_pool: domain.Pool | None
    basis: domain.ChangeBasis
    reason: str | None = None
    year: int | None = None
    valuation_fen: int | None = None
    criteria_version: str | None = None


async def change_pool(work: Work, actor: Actor, enterprise_id: uuid.UUID, request: PoolChangeRequest,
                      if_match: str | None = None) -> tuple[PoolChange, Assessment | None]:
    """Entry (by rule or decision), promotion by decision, demotion or exit, with its history row, event and audit
    entry in one transaction. ``If-Match`` is optional: the move itself is guarded by the pool the firm is in, read
    under the firm's lock, so that of two concurrent moves of one firm the second sees the first's pool (409)."""
    if actor.principal.role == Role.ENTERPRISE:
        raise PermissionDenied("an enterprise cannot move itself between pools")
    year = request.year or programme_today().year
    _ensure_not_future(year, "year")
    reason = (request.reason or "").strip()
    if request.basis == domain.ChangeBasis.DECISION and len(reason) < 2:
        raise InvalidInput("an officer's decision needs a reason", field="reason")
    if request.basis == domain.ChangeBasis.RULE and request.to_pool != domain.Pool.SEEDLING:
        raise InvalidInput("the entry rule only admits firms to the seedling pool; other moves are decisions",
                           field="basis")
    if request.basis == domain.ChangeBasis.SCREENING:
        raise InvalidInput("promotions by screening are made by the annual screening run", field="basis")
    async with work(actor) as uow:
        session = uow.session
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id, if_match=if_match,
                                                      optional_if_match=True)
        from_pool = domain.Pool(enterprise.pool) if enterprise.pool else None
        try:
            move = domain.classify_move(from_pool, request.to_pool)
        except domain.PoolTransitionError as exc:
            raise Conflict(str(exc), field="to_pool", current_pool=enterprise.pool) from None
        assessment = None
        category = criteria_version = None
        if request.basis == domain.ChangeBasis.RULE:
            assessment = await _assess(session, enterprise, year=year, valuation_fen=request.valuation_fen,
                                       version=request.criteria_version)
            result = assessment.result
            if result.outcome != Outcome.ELIGIBLE:
                raise InvalidInput(result.summary(), field="basis", assessment=_plain_assessment(assessment))
            category, criteria_version = result.category, result.criteria_version
            reason = f"{result.summary()}, figures of {assessment.figures_year}" + (f"; {reason}" if reason else "")
        to_pool = request.to_pool.value if request.to_pool else None
        changed = apply_changes(enterprise, {"pool": to_pool})
        change = PoolChange(
            enterprise_id=enterprise.id, from_pool=from_pool.value if from_pool else None, to_pool=to_pool,
            move=move.value, year=year, basis=request.basis.value, category=category.value if category else None,
            reason=reason, criteria_version=criteria_version, actor=actor.principal.subject,
            actor_role=actor.principal.role.value, changed_at=utcnow(),
        )
        session.add(change)
        uow.emit(_event(change, enterprise.district_code), subject=str(enterprise.id))
        uow.audit(f"pool.{move.value}", "enterprise", str(enterprise.id),
                  {**changed, "year": year, "basis": change.basis, "category": change.category, "reason": reason,
                   "criteria_version": criteria_version})
    return change, assessment


def _event(change: PoolChange, district_code: str) -> EnterprisePoolChanged:
    return EnterprisePoolChanged(
        enterprise_id=change.enterprise_id, from_pool=change.from_pool, to_pool=change.to_pool, year=change.year,
        reason=change.reason, move=change.move, basis=change.basis, category=change.category,
        district_code=district_code,
    )


def _plain_assessment(assessment: Assessment) -> dict[str, Any]:
    plain = to_plain(assessment.result)
    return {**plain, "figures_year": assessment.figures_year, "summary": assessment.result.summary()}


async def pool_history(sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int,
                       cursor: str | None) -> tuple[list[PoolChange], str | None]:
    """The firm's pool changes, oldest first."""
    async with sessions() as session:
        await ENTERPRISES.get(session, actor, enterprise_id)
        return await paginate(session, select(PoolChange).where(PoolChange.enterprise_id == enterprise_id),
                              keys=(Key(PoolChange.changed_at, cursor_datetime), Key(PoolChange.id, cursor_uuid)),
                              limit=limit, cursor=cursor)


# --- quotas ------------------------------------------------------------------------------------------------------


async def _quotas(session: AsyncSession, year: int) -> dict[str, int]:
    rows = (await session.execute(select(PoolQuota.district_code, PoolQuota.quota).where(PoolQuota.year == year))).all()
    return {district: quota for district, quota in rows}


async def _replace_quotas(uow: UnitOfWork, actor: Actor, year: int, quotas: Mapping[str, int]) -> None:
    session = uow.session
    before = await _quotas(session, year)
    await session.execute(PoolQuota.__table__.delete().where(PoolQuota.year == year))
    now = utcnow()
    session.add_all(PoolQuota(year=year, district_code=d, quota=q, updated_by=actor.principal.subject, updated_at=now)
                    for d, q in sorted(quotas.items()))
    # Inserted by the unit of work's flush, where a concurrent replacement that took the same (year, district) keys
    # first is answered 409 (pool_quotas' key), not left to fail as a 500 in some later autoflush.
    await uow.flush()
    uow.audit("pool.quotas.set", "pool_quotas", str(year), {"from": before, "to": dict(quotas)})


async def _screened(session: AsyncSession, year: int) -> bool:
    return await session.scalar(select(ScreeningRun.id).where(ScreeningRun.year == year)) is not None


async def set_quotas(work: Work, actor: Actor, year: int, quotas: Mapping[str, int]) -> dict[str, int]:
    """Replace a year's per-district quotas. Refused once that year was screened: the run used them."""
    _ensure_city_wide(actor, "setting quotas")
    async with work(actor) as uow:
        # A year's quotas are replaced as a whole, and never after its screening read them: replacements and the
        # screening of one year take turns (two replacements naming different districts must not merge).
        await uow.lock("pool_quotas", year)
        if await _screened(uow.session, year):
            raise Conflict(f"{year} was already screened with its quotas; they can no longer change", field="year",
                           screening=f"/v1/pools/screenings/{year}")
        await _replace_quotas(uow, actor, year, quotas)
    return dict(quotas)


async def get_quotas(sessions: Sessions, year: int) -> tuple[dict[str, int], bool]:
    async with sessions() as session:
        return await _quotas(session, year), await _screened(session, year)


# --- annual screening --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningOutcome:
    run: ScreeningRun
    created: bool  # False: the year had been screened before; nothing changed


async def run_screening(work: Work, actor: Actor, year: int, *,
                        figures_year: int | None = None, quotas: Mapping[str, int] | None = None,
                        scoring: domain.GrowthScoring | None = None) -> ScreeningOutcome:
    """The annual screening (年度遴选) of ``year``: rank every seedling with figures for ``figures_year`` (default
    ``year − 1``, the last closed financial year) by growth-potential score within its district and promote the
    top ``quota`` of each district to the cultivation pool.

    Idempotent per year: the run row is unique per year, so a second call returns the first run and changes
    nothing (two concurrent calls: one wins, the other gets 409). ``quotas``, when given, replace the year's
    stored quotas for the run.
    """
    _ensure_city_wide(actor, "the annual screening")
    _ensure_not_future(year, "year")
    figures_year = year - 1 if figures_year is None else figures_year
    if figures_year > year:
        raise InvalidInput("the figures scored cannot be later than the screening year", field="figures_year")
    scoring = scoring or domain.GrowthScoring()
    async with work(actor) as uow:
        session = uow.session
        existing = await session.scalar(select(ScreeningRun).where(ScreeningRun.year == year))
        if existing is not None:
            return ScreeningOutcome(existing, created=False)
        run = ScreeningRun(year=year, figures_year=figures_year, parameters={}, candidates=0, ranked=0, promoted=0,
                           districts=[], actor=actor.principal.subject, actor_role=actor.principal.role.value,
                           started_at=utcnow())
        session.add(run)
        # Claims the year before anything else is written: a concurrent run of the same year waits here and is
        # then answered 409 by the year's unique key (screening_runs.year).
        await uow.flush()
        # Then the year's quotas, which no replacement may change between this read and this run's commit.
        await uow.lock("pool_quotas", year)
        if quotas is not None:
            await _replace_quotas(uow, actor, year, quotas)
        year_quotas = dict(quotas) if quotas is not None else await _quotas(session, year)
        if not year_quotas:
            raise InvalidInput(f"no quotas are set for {year}: set them (PUT /v1/pools/quotas/{year}) or pass them "
                               "with the screening", field="quotas")
        run.parameters = to_plain(domain.ScreeningParameters(year, figures_year, year_quotas, scoring))

        seedlings, candidates = await _load_candidates(session, figures_year)
        outcome = domain.screen(candidates, year_quotas, scoring)
        promoted = await _promote(uow, actor, run, outcome.promoted, seedlings)
        await _write_results(session, run, outcome, promoted)

        run.candidates = len(seedlings)
        run.ranked = len(outcome.ranked)
        run.promoted = len(promoted)
        run.districts = [
            {"district_code": d.district_code, "quota": d.quota, "ranked": d.ranked,
             "promoted": sum(1 for r in outcome.promoted if r.candidate.district_code == d.district_code
                             and uuid.UUID(r.candidate.key) in promoted)}
            for d in outcome.districts
        ]
        run.finished_at = utcnow()
        uow.audit("pool.screening.run", "screening_run", str(run.id),
                  {"parameters": run.parameters, "candidates": run.candidates, "ranked": run.ranked,
                   "promoted": run.promoted})
    return ScreeningOutcome(run, created=True)


@dataclass(frozen=True)
class _Seedling:
    uscc: str
    district_code: str


async def _load_candidates(session: AsyncSession,
                           figures_year: int) -> tuple[dict[str, _Seedling], list[domain.Candidate]]:
    """Every seedling with its figures for ``figures_year`` and the year before and its IP gained in
    ``figures_year``: ONE set query whatever the number of firms (outer joins, so a seedling without figures is
    still counted as a candidate, just not ranked). Keys are the enterprise ids as text: turning 100,000 ids into
    UUID objects costs more than the query, and only the promoted few are ever needed as UUIDs."""
    firms, figures, ip = Enterprise.__table__, AnnualFigures.__table__, IpHolding.__table__
    current, previous = figures.alias("current_year"), figures.alias("previous_year")
    # IP gained during the figures year: the transfer's registration, or the grant of self-developed IP.
    gained_on = func.coalesce(ip.c.acquired_on, ip.c.granted_on)
    counted = and_(gained_on >= date(figures_year, 1, 1), gained_on <= date(figures_year, 12, 31),
                   ip.c.kind.not_in(_NOT_COUNTED_IP_KINDS))
    ip_gained = (select(ip.c.enterprise_id, func.sum(case((counted, 1), else_=0)).label("gained"))
                 .group_by(ip.c.enterprise_id).subquery("ip_gained"))
    query = (
        select(cast(firms.c.id, String).label("key"), firms.c.uscc, firms.c.district_code,
               current.c.id.is_not(None).label("reported"), current.c.operating_revenue_fen,
               current.c.rd_expense_fen, current.c.equity_financing_fen,
               previous.c.operating_revenue_fen.label("previous_revenue_fen"), ip_gained.c.gained)
        .select_from(
            firms.outerjoin(current, and_(current.c.enterprise_id == firms.c.id, current.c.year == figures_year))
            .outerjoin(previous, and_(previous.c.enterprise_id == firms.c.id, previous.c.year == figures_year - 1))
            .outerjoin(ip_gained, ip_gained.c.enterprise_id == firms.c.id))
        .where(firms.c.pool == domain.Pool.SEEDLING.value)
    )
    seedlings: dict[str, _Seedling] = {}
    candidates = []
    # Core, not ORM: no identity map or entity loading for rows that are only read once.
    for row in await (await session.connection()).execute(query):
        seedlings[row.key] = _Seedling(row.uscc, row.district_code)
        if not row.reported:
            continue  # no figures for the year: nothing to score, not ranked this year
        candidates.append(domain.Candidate(
            key=row.key, uscc=row.uscc, district_code=row.district_code,
            facts=domain.GrowthFacts(
                revenue_fen=row.operating_revenue_fen, previous_revenue_fen=row.previous_revenue_fen,
                rd_expense_fen=row.rd_expense_fen, equity_financing_fen=row.equity_financing_fen,
                # A firm without any IP recorded has no IP input (None); either way its IP component is 0.
                ip_gained=None if row.gained is None else int(row.gained),
            ),
        ))
    return seedlings, candidates


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def _promote(uow: UnitOfWork, actor: Actor, run: ScreeningRun, winners: Sequence[domain.Ranked],
                   seedlings: Mapping[str, _Seedling]) -> set[uuid.UUID]:
    """Move the winners to 培育库 in bulk; returns the ids actually moved (a firm an officer moved meanwhile is
    left alone). History rows are written with executemany; events and audit entries go to the unit of work,
    which writes them the same way at commit."""
    session, settings = uow.session, uow.settings
    ids = [uuid.UUID(r.candidate.key) for r in winners]
    now = utcnow()
    moved: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        result = await session.execute(
            update(Enterprise)
            .where(Enterprise.id.in_(chunk), Enterprise.pool == domain.Pool.SEEDLING.value)
            .values(pool=domain.Pool.CULTIVATION.value, version=Enterprise.version + 1, updated_at=now)
            .returning(Enterprise.id)
            .execution_options(synchronize_session=False)
        )
        moved.update(result.scalars())
    if not moved:
        return moved
    changes, events, audits = [], [], []
    for ranked in winners:
        enterprise_id = uuid.UUID(ranked.candidate.key)
        if enterprise_id not in moved:
            continue
        reason = ranked.reason(run.year)
        change = {
            "id": uuid.uuid4(), "enterprise_id": enterprise_id, "from_pool": domain.Pool.SEEDLING.value,
            "to_pool": domain.Pool.CULTIVATION.value, "move": domain.PoolMove.PROMOTION.value, "year": run.year,
            "basis": domain.ChangeBasis.SCREENING.value, "category": None, "reason": reason, "criteria_version": None,
            "screening_run_id": run.id, "actor": actor.principal.subject, "actor_role": actor.principal.role.value,
            "changed_at": now,
        }
        changes.append(change)
        payload = EnterprisePoolChanged(
            enterprise_id=enterprise_id, from_pool=change["from_pool"], to_pool=change["to_pool"], year=run.year,
            reason=reason, move=change["move"], basis=change["basis"],
            district_code=seedlings[ranked.candidate.key].district_code,
        )
        events.append(event_row(settings, payload, subject=str(enterprise_id), actor=actor, causation_id=str(run.id),
                                created_at=now))
        audits.append(audit_row(actor, action="pool.promotion", entity_type="enterprise", entity_id=str(enterprise_id),
                                occurred_at=now, changes={
            "pool": {"from": change["from_pool"], "to": change["to_pool"]}, "year": run.year, "basis": "screening",
            "screening_run_id": str(run.id), "rank": ranked.rank, "score": str(ranked.score.score),
            "quota": ranked.district_quota, "reason": reason,
        }))
    await session.execute(PoolChange.__table__.insert(), changes)
    uow.event_rows(events)
    uow.audit_rows(audits)
    return moved


def _measures(score: domain.GrowthScore) -> dict[str, Any]:
    return {"rd_intensity": to_plain(score.rd_intensity), "revenue_growth": to_plain(score.revenue_growth),
            "ip_gained": score.ip_gained, "equity_financing_fen": score.equity_financing_fen}


async def _write_results(session: AsyncSession, run: ScreeningRun, outcome: domain.ScreeningOutcome,
                         moved: set[uuid.UUID]) -> None:
    """Every ranked firm's result. On PostgreSQL through COPY on the transaction's own connection: 100,000 rows
    take a fraction of a second that way, against several seconds as an INSERT executemany."""
    # Keys are the database's own text form of the id (dashed on PostgreSQL, bare hex on SQLite).
    moved_keys = {r.candidate.key for r in outcome.promoted if uuid.UUID(r.candidate.key) in moved}
    if is_postgres(session):
        records = [(run.id, r.candidate.key, r.candidate.district_code, r.rank, r.score.score,
                    json.dumps(_measures(r.score)), r.candidate.key in moved_keys) for r in outcome.ranked]
        raw = await (await session.connection()).get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            ScreeningResult.__tablename__, records=records,
            columns=["run_id", "enterprise_id", "district_code", "rank", "score", "measures", "promoted"])
        return
    rows = [{"run_id": run.id, "enterprise_id": uuid.UUID(r.candidate.key), "district_code": r.candidate.district_code,
             "rank": r.rank, "score": r.score.score, "measures": _measures(r.score),
             "promoted": r.candidate.key in moved_keys} for r in outcome.ranked]
    if rows:
        await session.execute(ScreeningResult.__table__.insert(), rows)


async def get_screening(sessions: Sessions, year: int) -> ScreeningRun:
    async with sessions() as session:
        run = await session.scalar(select(ScreeningRun).where(ScreeningRun.year == year))
    if run is None:
        raise NotFound(f"{year} has not been screened")
    return run


async def list_screenings(sessions: Sessions, *, limit: int,
                          cursor: str | None) -> tuple[list[ScreeningRun], str | None]:
    """Runs, latest year first (a year has one run: the year alone orders them)."""
    async with sessions() as session:
        return await paginate(session, select(ScreeningRun), keys=(Key(ScreeningRun.year, cursor_int),),
                              limit=limit, cursor=cursor, descending=True)


async def screening_results(sessions: Sessions, actor: Actor, year: int, *, district_code: str | None,
                            promoted: bool | None, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """A run's ranking by district and rank. Officers see their districts' firms only."""
    scope = DistrictScope(SCREENING_RESULTS, ScreeningResult.district_code, actor, district_code)
    async with sessions() as session:
        run = await session.scalar(select(ScreeningRun).where(ScreeningRun.year == year))
        if run is None:
            raise NotFound(f"{year} has not been screened")
        query = (
            select(ScreeningResult.enterprise_id, Enterprise.uscc, Enterprise.name, ScreeningResult.district_code,
                   ScreeningResult.rank, ScreeningResult.score, ScreeningResult.measures, ScreeningResult.promoted)
            .join(Enterprise, Enterprise.id == ScreeningResult.enterprise_id)
            .where(ScreeningResult.run_id == run.id)
        )
        query = scope.apply(query)
        if promoted is not None:
            query = query.where(ScreeningResult.promoted == promoted)
        # A rank is unique within a run's district: (district, rank) orders the ranking without ties.
        return await paginate(session, query, keys=(Key(ScreeningResult.district_code, str),
                                                    Key(ScreeningResult.rank, cursor_int)),
                              limit=limit, cursor=cursor)
