"""Programme statistics (统计): progress toward the 3,000-firm target, counts by dimension, the ladder funnel and
the digital-ladder coverage of above-scale (规上) firms. Read-only; every number counts the firms the caller may
read (ENTERPRISE_SCOPE: officers see their districts' numbers only), optionally narrowed to one district.

Definitions (the numbers mean exactly this):

* **registered**: enterprises in the registry, counted in the year (Asia/Shanghai) their record was created.
* **held tier**: a certification (认定) with status ``active`` whose validity covers today, or, for HNTE, a
  valid HNTE certificate recorded as an honour (HNTE is certified by the science ministry's process and may be
  recorded either way) and verified: a certificate a firm declares about itself counts once an officer of its
  district has verified it.
* **ladder funnel**: registered → 科技和创新型中小企业 (holding tech_sme, innovative_sme or the merged
  tech_innovative_sme) → 专精特新中小企业 → 专精特新"小巨人". A stage counts the firms that reached it: those holding
  its tier or a higher one (a little giant is also counted at the SRDI stage). HNTE stands beside the ladder.
* **above-scale (规上)**: industrial firms (GB/T 4754 doors B, C, D: the size-class table's 工业) whose operating
  revenue in the year is at least 2000万元 (国家统计局's 规模以上工业企业 line). Door list and revenue line are
  request parameters; the year defaults to the latest year with reported figures.
* **digital-ladder coverage**: among above-scale firms, those with a digital-ladder honour (数字化车间 → 智能工厂 →
  未来工厂) awarded in or before the year and not expired before it began, and verified (as above); a firm counts
  at its highest stage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import String, cast, func, literal, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain.figures import FEN_PER_WAN, DigitalLadder, Tier
from services.registry.domain.pools import Pool
from services.registry.domain.size_class import INDUSTRY_GROUP_BY_PREFIX, IndustryGroup, SizeClass
from services.registry.models import Enterprise
from services.registry.models.evaluations import Certification
from services.registry.models.figures import VERIFIED, AnnualFigures, Honour
from services.registry.service.access import ENTERPRISE_SCOPE
from shared.auth import Actor
from shared.classification import SECTORS
from shared.clock import programme_today
from shared.db import is_postgres
from shared.errors import InvalidInput
from shared.ids import HUZHOU_DISTRICTS
from shared.scope import DistrictScope

Sessions = async_sessionmaker[AsyncSession]


def _firms_of(actor: Actor, district_code: str | None) -> DistrictScope:
    """The firms a caller's statistics count, by the district the firm is registered in."""
    return DistrictScope(ENTERPRISE_SCOPE, Enterprise.district_code, actor, district_code)


@dataclass(frozen=True)
class ProgrammeTarget:
    """播种计划 2025–2027: more than 3,000 innovative small and micro firms (DESIGN §1)."""

    firms: int = 3000
    first_year: int = 2025
    last_year: int = 2027


PROGRAMME_TARGET = ProgrammeTarget()

# The ladder, lowest stage first; each stage is reached by holding any of its tiers or a higher stage's.
LADDER: tuple[tuple[str, frozenset[str]], ...] = (
    ("tech_innovative_sme", frozenset({Tier.TECH_SME, Tier.INNOVATIVE_SME, Tier.TECH_INNOVATIVE_SME})),
    ("srdi_sme", frozenset({Tier.SRDI_SME})),
    ("little_giant", frozenset({Tier.LITTLE_GIANT})),
)
DIGITAL_LADDER = tuple(DigitalLadder)  # lowest first
# 规上 industry: the doors the size-class table files under 工业 (B 采矿业, C 制造业, D 电力热力燃气及水).
INDUSTRIAL_DOORS = tuple(sorted(p for p, g in INDUSTRY_GROUP_BY_PREFIX.items() if g == IndustryGroup.INDUSTRY))
ABOVE_SCALE_REVENUE_WAN = 2000

DIMENSIONS = ("tier", "pool", "district", "sector", "size_class")
# The keys each dimension always reports (with 0 when no firm has them), so dashboards get a stable shape.
_KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "tier": tuple(t.value for t in Tier),
    "pool": tuple(p.value for p in Pool),
    "district": tuple(HUZHOU_DISTRICTS),
    "sector": tuple(SECTORS),
    "size_class": tuple(s.value for s in SizeClass),
}
_COLUMNS = {"pool": Enterprise.pool, "district": Enterprise.district_code, "sector": Enterprise.sector,
            "size_class": Enterprise.size_class}


def ratio(part: int, whole: int) -> Decimal | None:
    """A share as a 4-decimal fraction; None when there is nothing to divide by."""
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _registration_year(session: AsyncSession) -> Any:
    # Years are Huzhou years: a firm registered at 2026-01-01 03:00 in Huzhou is a 2026 firm, not a 2025 one.
    if is_postgres(session):
        return func.extract("year", func.timezone("Asia/Shanghai", Enterprise.created_at))
    # SQLite keeps naive UTC text; China has had no DST since 1991, so +8 hours is exact.
    return func.strftime("%Y", Enterprise.created_at, "+8 hours")


async def progress(sessions: Sessions, actor: Actor, district_code: str | None = None,
                   target: ProgrammeTarget = PROGRAMME_TARGET) -> dict[str, Any]:
    scope = _firms_of(actor, district_code)
    async with sessions() as session:
        year = _registration_year(session)
        rows = (await session.execute(scope.apply(select(year.label("year"), func.count()).select_from(Enterprise)
                                                  .group_by(year)))).all()
    by_year = {int(y): n for y, n in rows}
    this_year = programme_today().year
    first = min([target.first_year, *by_year])
    years, cumulative = [], 0
    for y in range(first, max(this_year, *by_year, first) + 1):
        cumulative += by_year.get(y, 0)
        years.append({"year": y, "registered": by_year.get(y, 0), "cumulative": cumulative,
                      "share_of_target": ratio(cumulative, target.firms)})
    return {"target": target.firms, "first_year": target.first_year, "last_year": target.last_year,
            "registered": cumulative, "share_of_target": ratio(cumulative, target.firms),
            "remaining": max(target.firms - cumulative, 0), "years": years}


async def _held_tiers(session: AsyncSession, scope: DistrictScope, on: date) -> set[tuple[Any, str]]:
    """(enterprise id, tier) for every tier held on ``on`` by a firm in scope."""
    certified = scope.apply(
        select(Certification.enterprise_id, Certification.tier)
        .join(Enterprise, Enterprise.id == Certification.enterprise_id)
        .where(Certification.status == "active", Certification.valid_from <= on, Certification.valid_until >= on)
    )
    hnte_honours = scope.apply(
        select(Honour.enterprise_id, cast(literal(Tier.HNTE.value), String).label("tier"))
        .join(Enterprise, Enterprise.id == Honour.enterprise_id)
        .where(Honour.kind == "certification", Honour.certification_kind == Tier.HNTE.value,
               Honour.verification == VERIFIED,
               or_(Honour.valid_from.is_(None), Honour.valid_from <= on),
               or_(Honour.valid_until.is_(None), Honour.valid_until >= on))
    )
    return {(row[0], row[1]) for row in await session.execute(union(certified, hnte_honours))}


async def _total(session: AsyncSession, scope: DistrictScope) -> int:
    return int(await session.scalar(scope.apply(select(func.count()).select_from(Enterprise))) or 0)


async def counts(sessions: Sessions, actor: Actor, by: str, district_code: str | None = None) -> dict[str, Any]:
    """Firms per value of one dimension. ``key: null`` counts the firms without a value (no pool, no tier …).
    Tiers: a firm holding several counts under each, so tier counts add up to more than the total."""
    scope = _firms_of(actor, district_code)
    async with sessions() as session:
        total = await _total(session, scope)
        found: Counter[str | None] = Counter()
        if by == "tier":
            held = await _held_tiers(session, scope, programme_today())
            found.update(tier for _, tier in held)
            found[None] = total - len({enterprise_id for enterprise_id, _ in held})
        else:
            column = _COLUMNS[by]
            rows = await session.execute(scope.apply(select(column, func.count()).group_by(column)))
            found.update({key: n for key, n in rows})
    keys: list[str | None] = list(_KNOWN_KEYS[by])
    if by == "district":
        keys = [k for k in keys if k is not None and scope.covers(k)]
    keys += sorted(k for k in found if k is not None and k not in keys)
    groups = [{"key": k, "count": found.get(k, 0)} for k in keys]
    groups.append({"key": None, "count": found.get(None, 0)})
    return {"by": by, "total": total, "groups": groups}


async def funnel(sessions: Sessions, actor: Actor, district_code: str | None = None) -> dict[str, Any]:
    scope = _firms_of(actor, district_code)
    async with sessions() as session:
        total = await _total(session, scope)
        held = await _held_tiers(session, scope, programme_today())
    tiers_of: dict[Any, set[str]] = {}
    for enterprise_id, tier in held:
        tiers_of.setdefault(enterprise_id, set()).add(tier)
    stages = [{"stage": "registered", "tiers": [], "reached": total, "holding": total,
               "share_of_previous": None, "share_of_registered": ratio(total, total)}]
    previous = total
    for index, (stage, tiers) in enumerate(LADDER):
        at_or_above = frozenset().union(*(t for _, t in LADDER[index:]))
        reached = sum(1 for held_tiers in tiers_of.values() if held_tiers & at_or_above)
        holding = sum(1 for held_tiers in tiers_of.values() if held_tiers & tiers)
        stages.append({"stage": stage, "tiers": sorted(tiers), "reached": reached, "holding": holding,
                       "share_of_previous": ratio(reached, previous), "share_of_registered": ratio(reached, total)})
        previous = reached
    hnte = sum(1 for held_tiers in tiers_of.values() if Tier.HNTE.value in held_tiers)
    return {"registered": total, "stages": stages,
            "hnte": {"holding": hnte, "share_of_registered": ratio(hnte, total)}}


async def digital_coverage(sessions: Sessions, actor: Actor, district_code: str | None = None, *,
                           year: int | None, min_revenue_wan: int = ABOVE_SCALE_REVENUE_WAN,
                           industry_doors: tuple[str, ...] = INDUSTRIAL_DOORS) -> dict[str, Any]:
    scope = _firms_of(actor, district_code)
    if year is not None and year > programme_today().year:
        raise InvalidInput(f"{year} is in the future", field="year")
    min_revenue_fen = min_revenue_wan * FEN_PER_WAN
    async with sessions() as session:
        if year is None:
            year = await session.scalar(scope.apply(
                select(func.max(AnnualFigures.year)).join(Enterprise, Enterprise.id == AnnualFigures.enterprise_id)))
        above_scale: set[Any] = set()
        stage_of: dict[Any, int] = {}
        if year is not None:
            door = func.substr(Enterprise.industry_code, 1, 1)
            above_scale = set((await session.scalars(scope.apply(
                select(Enterprise.id).join(AnnualFigures, AnnualFigures.enterprise_id == Enterprise.id)
                .where(AnnualFigures.year == year, AnnualFigures.operating_revenue_fen >= min_revenue_fen,
                       door.in_(industry_doors))))).all())
            rank = {stage.value: i for i, stage in enumerate(DIGITAL_LADDER)}
            honours = await session.execute(scope.apply(
                select(Honour.enterprise_id, Honour.stage).join(Enterprise, Enterprise.id == Honour.enterprise_id)
                .where(Honour.kind == "digital_ladder", Honour.stage.in_(list(rank)), Honour.verification == VERIFIED,
                       or_(Honour.year.is_(None), Honour.year <= year),
                       or_(Honour.valid_until.is_(None), Honour.valid_until >= date(year, 1, 1)))))
            for enterprise_id, stage in honours:
                if enterprise_id in above_scale:
                    stage_of[enterprise_id] = max(stage_of.get(enterprise_id, -1), rank[stage])
    n = len(above_scale)
    highest = Counter(stage_of.values())
    stages = []
    for i, stage in enumerate(DIGITAL_LADDER):
        at_least = sum(count for level, count in highest.items() if level >= i)
        stages.append({"stage": stage.value, "highest": highest.get(i, 0), "at_least": at_least,
                       "coverage": ratio(at_least, n)})
    return {"year": year, "min_revenue_fen": min_revenue_fen, "industry_doors": list(industry_doors),
            "above_scale": n, "covered": len(stage_of), "coverage": ratio(len(stage_of), n), "stages": stages}
