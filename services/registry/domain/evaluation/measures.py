"""Measures: the small pieces of code that turn inputs into the figures rules compare.

Rule sets are data built from these (``AnnualRatio("rd_expense_fen", "operating_revenue_fen")`` …); each measure
is written once and shared by every rule set that needs it. A measure never substitutes zero for a missing
input: it returns ``unknown(...)`` naming what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

from services.registry.domain.dates import add_years
from services.registry.domain.evaluation.context import (
    EvaluationContext,
    Measured,
    Unit,
    annual_input,
    format_value,
    unknown,
)
from services.registry.domain.evaluation.ip import IpPolicy, tally
from services.registry.domain.evaluation.model import HnteTwoYearGrowth, Purpose
from services.registry.domain.figures import (
    RD_INSTITUTION_RANK,
    AwardCategory,
    AwardLevel,
    CertificationKind,
    IncidentKind,
    RdInstitutionLevel,
    StandardLevel,
    StandardRole,
)
from services.registry.domain.size_class import InvalidIndustryCode, possible_size_classes


class Measure:
    """Base class: ``unit`` drives formatting; ``measure`` does the work."""

    unit: Unit = Unit.TEXT

    def measure(self, ctx: EvaluationContext) -> Measured:  # pragma: no cover - interface
        raise NotImplementedError


def _ratio(numerator: int, denominator: int) -> Decimal:
    return Decimal(numerator) / Decimal(denominator)


def _window_start_year(ctx: EvaluationContext, years: int) -> int:
    """"近 N 年" for dated events (awards, standards, contests, incidents): calendar years from
    evaluation year − N to the evaluation year, inclusive. REFERENCE does not define the window [M]; this is the
    generous reading (an award of the current year counts)."""
    return ctx.evaluation_date.year - years


# ------------------------------------------------------------------------------------------------ plain inputs


@dataclass(frozen=True)
class InputField(Measure):
    """A single input read by dotted path: "profile.products_in_prohibited_category", "honours.own_brand",
    "judgements.local_feature_score" …"""

    path: str
    unit: Unit = Unit.FLAG

    def measure(self, ctx: EvaluationContext) -> Measured:
        value: Any = ctx.inputs
        for part in self.path.split("."):
            value = getattr(value, part)
        return Measured(value) if value is not None else unknown(self.path)


@dataclass(frozen=True)
class AnnualValue(Measure):
    field: str
    offset: int = 0  # 0 = 上年度
    unit: Unit = Unit.FEN

    def measure(self, ctx: EvaluationContext) -> Measured:
        year = ctx.year(self.offset)
        value, missing = ctx.annual_value(self.field, year)
        return Measured(value, detail=f"{year}") if missing is None else unknown(missing)


@dataclass(frozen=True)
class AnnualRatio(Measure):
    numerator: str
    denominator: str
    offset: int = 0
    unit: Unit = Unit.RATIO

    def measure(self, ctx: EvaluationContext) -> Measured:
        year = ctx.year(self.offset)
        top, top_missing = ctx.annual_value(self.numerator, year)
        bottom, bottom_missing = ctx.annual_value(self.denominator, year)
        missing = [name for name in (top_missing, bottom_missing) if name]
        if missing:
            return unknown(*missing)
        if bottom <= 0:
            return Measured(undefined=f"{annual_input(year, self.denominator)} is {bottom}: the ratio is undefined")
        return Measured(_ratio(top, bottom), detail=f"{year}")


@dataclass(frozen=True)
class SumOverYears(Measure):
    """Σ of a figure over the last ``years`` years (近两年研发费用合计, 近三年新增股权融资 …)."""

    field: str
    years: int
    unit: Unit = Unit.FEN

    def measure(self, ctx: EvaluationContext) -> Measured:
        values, missing = _series(ctx, self.field, _last_years(ctx, self.years))
        return unknown(*missing) if missing else Measured(sum(values))


@dataclass(frozen=True)
class MeanOverYears(Measure):
    """Mean of a figure over the last ``years`` years; with ``operating_years_only`` the years before the firm
    was established are left out (HNTE: "operating history under 3 years uses the actual period", §3)."""

    field: str
    years: int
    operating_years_only: bool = False
    unit: Unit = Unit.FEN

    def measure(self, ctx: EvaluationContext) -> Measured:
        years = _window(ctx, _last_years(ctx, self.years), self.operating_years_only)
        if isinstance(years, Measured):
            return years
        values, missing = _series(ctx, self.field, years)
        if missing:
            return unknown(*missing)
        return Measured(Decimal(sum(values)) / len(values), detail=f"{len(values)} year(s)")


@dataclass(frozen=True)
class PooledRatio(Measure):
    """Σ numerator / Σ denominator over the last ``years`` years (HNTE 近三个会计年度研发费用占比, §3.5)."""

    numerator: str
    denominator: str
    years: int
    operating_years_only: bool = False
    unit: Unit = Unit.RATIO

    def measure(self, ctx: EvaluationContext) -> Measured:
        years = _window(ctx, _last_years(ctx, self.years), self.operating_years_only)
        if isinstance(years, Measured):
            return years
        tops, top_missing = _series(ctx, self.numerator, years)
        bottoms, bottom_missing = _series(ctx, self.denominator, years)
        if top_missing or bottom_missing:
            return unknown(*top_missing, *bottom_missing)
        if sum(bottoms) <= 0:
            return Measured(undefined=f"Σ {self.denominator} over {years} is not positive")
        return Measured(_ratio(sum(tops), sum(bottoms)), detail=f"years {years[-1]}–{years[0]}")


def _series(ctx: EvaluationContext, field: str, years: list[int]) -> tuple[list[Any], list[str]]:
    values, missing = [], []
    for year in years:
        value, name = ctx.annual_value(field, year)
        values.append(value)
        if name:
            missing.append(name)
    return values, missing


def _last_years(ctx: EvaluationContext, count: int) -> list[int]:
    """The last ``count`` financial years, latest first."""
    return [ctx.year(i) for i in range(count)]


def _window(ctx: EvaluationContext, years: list[int], operating_years_only: bool = True) -> list[int] | Measured:
    """``years`` (order kept), with ``operating_years_only`` less those before the firm was established; or, as a
    ``Measured`` to return as is, unknown when the founding date is missing and undefined when no year is left."""
    if operating_years_only:
        established = ctx.inputs.profile.established_on
        if established is None:
            return unknown("profile.established_on")
        years = [year for year in years if year >= established.year]
    if not years:
        return Measured(undefined="no operating year in the period")
    return years


# ------------------------------------------------------------------------------------------------ growth rates


@dataclass(frozen=True)
class GrowthRate(Measure):
    """One year's growth: v(y) / v(y−1) − 1 (创新型 上年度主营业务收入增长率, §1.1)."""

    field: str
    offset: int = 0
    unit: Unit = Unit.RATIO

    def measure(self, ctx: EvaluationContext) -> Measured:
        return _growth(ctx, self.field, ctx.year(self.offset))


def _growth(ctx: EvaluationContext, field: str, year: int) -> Measured:
    current, current_missing = ctx.annual_value(field, year)
    previous, previous_missing = ctx.annual_value(field, year - 1)
    missing = [name for name in (current_missing, previous_missing) if name]
    if missing:
        return unknown(*missing)
    if previous <= 0:
        return Measured(undefined=f"{annual_input(year - 1, field)} is {previous}: growth over it is undefined")
    return Measured(_ratio(current, previous) - 1, detail=f"{year - 1}→{year}")


@dataclass(frozen=True)
class AverageGrowthRate(Measure):
    """近2年平均增长率 = (上年度增长率 + 上上年度增长率) / 2, so three years of figures (专精特新 2022, 小巨人 2022).
    The formula is the common reading of the 63号文 说明 [M]."""

    field: str
    years: int = 2
    unit: Unit = Unit.RATIO

    def measure(self, ctx: EvaluationContext) -> Measured:
        rates = [_growth(ctx, self.field, ctx.year(i)) for i in range(self.years)]
        missing = [name for rate in rates for name in rate.missing]
        if missing:
            return unknown(*missing)
        undefined = next((rate.undefined for rate in rates if rate.undefined), None)
        if undefined:
            return Measured(undefined=undefined)
        return Measured(sum(rate.value for rate in rates) / self.years, detail=", ".join(rate.detail for rate in rates))


@dataclass(frozen=True)
class CompoundGrowthRate(Measure):
    """近两年复合增长率 = (v(y) / v(y−2))^(1/2) − 1 (小巨人 2026 condition 2). Taking 上上上年度 as the base is the
    usual reading of "近两年复合增长率" [M]."""

    field: str
    years: int = 2
    unit: Unit = Unit.RATIO

    def measure(self, ctx: EvaluationContext) -> Measured:
        latest, base_year = ctx.year(0), ctx.year(self.years)
        current, current_missing = ctx.annual_value(self.field, latest)
        base, base_missing = ctx.annual_value(self.field, base_year)
        missing = [name for name in (current_missing, base_missing) if name]
        if missing:
            return unknown(*missing)
        if base <= 0:
            return Measured(undefined=f"{annual_input(base_year, self.field)} is {base}: growth is undefined")
        if current < 0:
            return Measured(Decimal(-1), detail="negative revenue")
        with localcontext() as decimal_context:
            decimal_context.prec = 28
            rate = _ratio(current, base) ** (Decimal(1) / self.years) - 1
        return Measured(rate, detail=f"{base_year}→{latest}")


@dataclass(frozen=True)
class HnteGrowthRate(Measure):
    """HNTE 净资产增长率 / 销售收入增长率 over the last three years (工作指引 国科发火〔2016〕195号, REFERENCE §3):

    * rate = ½ (v2/v1 + v3/v2) − 1;
    * the guide's two special cases [V]: first-year value 0 → v3/v2 − 1; second-year value 0 → scores 0;
    * a negative value in any of the three years → scores 0 and goes to manual review [U]. The guide speaks of
      zero only, and a negative value is not that case: over a negative base the ratio means nothing (net assets
      shrinking from −500 to −100 read as growth by the plain formula), so neither formula is applied;
    * one year of operation → scores 0; two years → ``EvaluationOptions.hnte_two_year_growth`` [U] (a negative
      value there too scores 0 for review).

    A forced zero is returned as the value 0 (the band "≤ 0" scores 0) with the reason in ``detail``.
    """

    basis: str  # "net_assets" or "sales"
    unit: Unit = Unit.RATIO

    def measure(self, ctx: EvaluationContext) -> Measured:
        years = _window(ctx, [ctx.year(2), ctx.year(1), ctx.year(0)])
        if isinstance(years, Measured):
            return years
        values, missing = [], []
        for year in years:
            value, names = self._value(ctx, year)
            values.append(value)
            missing.extend(names)
        if missing:
            return unknown(*missing)
        zero = Decimal(0)
        if len(values) == 1:
            return Measured(zero, detail="one year of operation: growth scores 0 (§3)")
        if len(values) == 2 and ctx.options.hnte_two_year_growth is HnteTwoYearGrowth.ZERO:
            return Measured(zero, detail="two years of operation: scored 0 (option hnte_two_year_growth=zero)")
        negative = [(year, value) for year, value in zip(years, values, strict=True) if value < 0]
        if negative:
            shown = ", ".join(f"{annual_input(year, self._name)} = {format_value(value, Unit.FEN)}"
                              for year, value in negative)
            return Measured(zero, detail="a negative year: growth scores 0, for review (§3, [U])",
                            review=f"{shown} is negative: the growth ratio is meaningless over it; scored 0 [U]")
        if len(values) == 2:
            first, second = values
            if first == 0:
                return Measured(zero, detail="first-year value is 0: growth scores 0 (§3)")
            return Measured(_ratio(second, first) - 1, detail="two years of operation: v2/v1 − 1 (§3, [U])")
        v1, v2, v3 = values
        if v2 == 0:
            return Measured(zero, detail="second-year value is 0: growth scores 0 (§3)")
        if v1 == 0:
            return Measured(_ratio(v3, v2) - 1, detail="first-year value is 0: v3/v2 − 1 (§3)")
        return Measured((_ratio(v2, v1) + _ratio(v3, v2)) / 2 - 1, detail="½(v2/v1 + v3/v2) − 1")

    @property
    def _name(self) -> str:
        return "net_assets" if self.basis == "net_assets" else "operating_revenue_fen"

    def _value(self, ctx: EvaluationContext, year: int) -> tuple[int | None, list[str]]:
        if self.basis == "sales":
            value, name = ctx.annual_value("operating_revenue_fen", year)
            return value, [name] if name else []
        assets, assets_missing = ctx.annual_value("total_assets_fen", year)
        liabilities, liabilities_missing = ctx.annual_value("total_liabilities_fen", year)
        names = [name for name in (assets_missing, liabilities_missing) if name]
        return (None if names else assets - liabilities), names


# ------------------------------------------------------------------------------------------------ time


@dataclass(frozen=True)
class YearsInNicheMarket(Measure):
    """Full years in the niche market "截至上年末" (REFERENCE §1.2–§1.4): from ``niche_market_since`` to
    31 December of the latest year."""

    unit: Unit = Unit.YEARS

    def measure(self, ctx: EvaluationContext) -> Measured:
        since = ctx.inputs.profile.niche_market_since
        if since is None:
            return unknown("profile.niche_market_since")
        return Measured(_full_years(since, date(ctx.latest_year, 12, 31)), detail=f"since {since.isoformat()}")


def _full_years(start: date, end: date) -> int:
    years = end.year - start.year
    return max(0, years if add_years(start, years) <= end else years - 1)


@dataclass(frozen=True)
class DaysSinceEstablished(Measure):
    unit: Unit = Unit.DAYS

    def measure(self, ctx: EvaluationContext) -> Measured:
        established = ctx.inputs.profile.established_on
        if established is None:
            return unknown("profile.established_on")
        return Measured((ctx.evaluation_date - established).days, detail=f"established {established.isoformat()}")


# ------------------------------------------------------------------------------------------------ IP


@dataclass(frozen=True)
class IpTallyOf(Measure):
    """The whole IP tally under a policy; interpreted by ``IpLadderScale``."""

    policy: IpPolicy
    unit: Unit = Unit.COUNT

    def measure(self, ctx: EvaluationContext) -> Measured:
        counts, missing = tally(ctx.inputs.ip_holdings, self.policy, ctx.evaluation_date)
        return Measured(counts, missing=missing)


@dataclass(frozen=True)
class IpCount(Measure):
    """How many holdings count as ``key`` (a ``TALLY_KEYS`` entry) under a policy, as an interval."""

    policy: IpPolicy
    key: str = "class_i"
    unit: Unit = Unit.COUNT

    def measure(self, ctx: EvaluationContext) -> Measured:
        counts, missing = tally(ctx.inputs.ip_holdings, self.policy, ctx.evaluation_date)
        interval = counts.get(self.key)
        if interval.certain == interval.possible:
            return Measured(interval.certain)
        return Measured(interval.certain, missing=missing, uncertain=True, upper=interval.possible)


@dataclass(frozen=True)
class IpAcquisitionProfile(Measure):
    """HNTE 获得方式: "self_developed" if any counted IP is self-developed, "acquired_only", or "none"."""

    policy: IpPolicy
    unit: Unit = Unit.TEXT

    def measure(self, ctx: EvaluationContext) -> Measured:
        counts, missing = tally(ctx.inputs.ip_holdings, self.policy, ctx.evaluation_date)
        if counts.any_self_developed.certain:
            return Measured("self_developed")
        if not counts.any_class.possible:
            return Measured("none")
        if counts.any_class.certain and not counts.any_self_developed.possible:
            return Measured("acquired_only")
        return unknown(*missing)


# ------------------------------------------------------------------------------------------------ honours


@dataclass(frozen=True)
class HoldsValidCertification(Measure):
    """A certification of one of ``kinds`` valid on the evaluation date. ``kinds_option`` names an
    ``EvaluationOptions`` field to read the kinds from, where the accepted kinds are themselves in doubt."""

    kinds: tuple[CertificationKind, ...] = ()
    kinds_option: str | None = None
    unit: Unit = Unit.FLAG

    def measure(self, ctx: EvaluationContext) -> Measured:
        kinds = getattr(ctx.options, self.kinds_option) if self.kinds_option else self.kinds
        held = [
            c for c in ctx.inputs.honours.certifications if c.kind in kinds and c.valid_on(ctx.evaluation_date)
        ]
        if held:
            first = held[0]
            return Measured(True, detail=f"{first.kind.value} valid {first.valid_from}–{first.valid_until or '…'}")
        return Measured(False, detail=f"no valid {'/'.join(k.value for k in kinds)}")


@dataclass(frozen=True)
class HasScienceAward(Measure):
    levels: tuple[AwardLevel, ...]
    within_years: int
    max_rank: int | None = None
    categories: tuple[AwardCategory, ...] | None = None
    unit: Unit = Unit.FLAG

    def measure(self, ctx: EvaluationContext) -> Measured:
        start = _window_start_year(ctx, self.within_years)
        candidates = [
            award
            for award in ctx.inputs.honours.science_awards
            if award.level in self.levels
            and start <= award.year <= ctx.evaluation_date.year
            and (self.categories is None or award.category in self.categories)
        ]
        if self.max_rank is None:
            return Measured(bool(candidates), detail=candidates[0].name if candidates else "")
        if any(a.rank is not None and a.rank <= self.max_rank for a in candidates):
            return Measured(True, detail=next(a.name for a in candidates if a.rank and a.rank <= self.max_rank))
        unranked = [a for a in candidates if a.rank is None]
        if unranked:
            return unknown(*(f"honours.science_awards[{a.name}].rank" for a in unranked))
        return Measured(False)


@dataclass(frozen=True)
class HasRdInstitution(Measure):
    """An R&D institution at or above ``min_level``; ``recognised_only`` for "经认定的" institutions."""

    min_level: RdInstitutionLevel
    recognised_only: bool = True
    unit: Unit = Unit.FLAG

    def measure(self, ctx: EvaluationContext) -> Measured:
        floor = RD_INSTITUTION_RANK[self.min_level]
        found = [
            inst
            for inst in ctx.inputs.honours.rd_institutions
            if RD_INSTITUTION_RANK[inst.level] >= floor and (inst.recognised or not self.recognised_only)
        ]
        return Measured(bool(found), detail=found[0].name if found else "")


@dataclass(frozen=True)
class HighestRdInstitutionLevel(Measure):
    """The highest level among the firm's R&D institutions, or "none" (专精特新 2022 建立研发机构级别)."""

    unit: Unit = Unit.LEVEL

    def measure(self, ctx: EvaluationContext) -> Measured:
        institutions = ctx.inputs.honours.rd_institutions
        if not institutions:
            return Measured("none")
        best = max(institutions, key=lambda inst: RD_INSTITUTION_RANK[inst.level])
        return Measured(best.level.value, detail=best.name)


@dataclass(frozen=True)
class HasStandardWork(Measure):
    levels: tuple[StandardLevel, ...]
    roles: tuple[StandardRole, ...] = (StandardRole.LEAD,)
    within_years: int | None = None
    unit: Unit = Unit.FLAG

    def measure(self, ctx: EvaluationContext) -> Measured:
        start = None if self.within_years is None else _window_start_year(ctx, self.within_years)
        found = [
            s
            for s in ctx.inputs.honours.standards
            if s.level in self.levels and s.role in self.roles and (start is None or s.year >= start)
        ]
        return Measured(bool(found), detail=found[0].code if found else "")


@dataclass(frozen=True)
class MakerChinaTop(Measure):
    """Entered the "创客中国" national top-``top`` enterprise list within the window."""

    top: int
    within_years: int
    unit: Unit = Unit.FLAG

    def measure(self, ctx: EvaluationContext) -> Measured:
        start = _window_start_year(ctx, self.within_years)
        found = [p for p in ctx.inputs.honours.maker_china_placings if p.national_top <= self.top and p.year >= start]
        return Measured(bool(found), detail=f"{found[0].year} top {found[0].national_top}" if found else "")


@dataclass(frozen=True)
class QualityManagementItems(Measure):
    """专精特新 2022 质量管理水平: how many of the four items the firm has (as an interval when some are unknown)."""

    unit: Unit = Unit.COUNT

    def measure(self, ctx: EvaluationContext) -> Measured:
        honours = ctx.inputs.honours
        items = {
            "honours.provincial_quality_award": honours.provincial_quality_award,
            "honours.quality_management_certified": honours.quality_management_certified,
            "honours.own_brand": honours.own_brand,
            "honours.standards": True if honours.standards else False,  # 参与制修订标准: declared list
        }
        certain = sum(1 for v in items.values() if v is True)
        unknowns = [name for name, v in items.items() if v is None]
        if not unknowns:
            return Measured(certain)
        return Measured(certain, missing=tuple(unknowns), uncertain=True, upper=certain + len(unknowns))


# ------------------------------------------------------------------------------------------------ compliance


@dataclass(frozen=True)
class IncidentFree(Measure):
    """No incident of ``kinds`` within the window: ``calendar_years`` N → from 1 January of (evaluation year − N);
    ``days`` N → within N days before the evaluation date."""

    kinds: tuple[IncidentKind, ...]
    calendar_years: int | None = None
    days: int | None = None
    unit: Unit = Unit.FLAG

    def measure(self, ctx: EvaluationContext) -> Measured:
        incidents = ctx.inputs.profile.incidents
        if incidents is None:
            return unknown("profile.incidents")
        if self.calendar_years is not None:
            start = date(ctx.evaluation_date.year - self.calendar_years, 1, 1)
        else:
            start = ctx.evaluation_date - timedelta(days=self.days or 0)
        hits = [i for i in incidents if i.kind in self.kinds and start <= i.occurred_on <= ctx.evaluation_date]
        if hits:
            return Measured(False, detail=f"{hits[0].kind.value} on {hits[0].occurred_on}")
        return Measured(True, detail=f"none since {start}")


@dataclass(frozen=True)
class SizeClassOf(Measure):
    """Possible 2017 size classes from the latest year's figures (REFERENCE §11); a set, narrowed to one member
    when every needed figure is known."""

    unit: Unit = Unit.TEXT

    def measure(self, ctx: EvaluationContext) -> Measured:
        code = ctx.inputs.profile.industry_code
        if code is None:
            return unknown("profile.industry_code")
        figures = ctx.inputs.figures_for(ctx.latest_year)
        get = (lambda name: None) if figures is None else (lambda name: getattr(figures, name))
        try:
            possible, missing = possible_size_classes(
                code, get("employees"), get("operating_revenue_fen"), get("total_assets_fen")
            )
        except InvalidIndustryCode as error:
            return Measured(undefined=str(error))
        names = {"employees": "employees", "revenue_fen": "operating_revenue_fen", "assets_fen": "total_assets_fen"}
        return Measured(
            frozenset(possible), missing=tuple(annual_input(ctx.latest_year, names[m]) for m in missing)
        )


@dataclass(frozen=True)
class ImportedDevelopmentScore(Measure):
    """专精特新发展(质量)评价得分 imported from MIIT's platform (REFERENCE §1.3: stored, never computed).

    An application reads the evaluation year's score ("当年度"); a re-review (复核) takes the better of the last
    two years. Which two years is not stated; the evaluation year and the one before is this engine's reading
    [M]."""

    unit: Unit = Unit.SCORE

    def measure(self, ctx: EvaluationContext) -> Measured:
        count = 2 if ctx.purpose is Purpose.RE_REVIEW else 1
        years = [ctx.evaluation_date.year - i for i in range(count)]
        found = [s for s in (ctx.inputs.imported_score_for(y) for y in years) if s is not None]
        missing = tuple(f"imported_scores[{y}]" for y in years if ctx.inputs.imported_score_for(y) is None)
        if not found:
            return unknown(*missing)
        best = max(found, key=lambda s: s.score)
        detail = f"{best.year}" + (f" ({best.evidence})" if best.evidence else "")
        if missing:
            return Measured(best.score, missing=missing, uncertain=True, upper=None, detail=detail)
        return Measured(best.score, detail=detail)


@dataclass(frozen=True)
class NoMeasure(Measure):
    """For indicators scored by experts alone (HNTE 研究开发组织管理水平)."""

    unit: Unit = Unit.TEXT

    def measure(self, ctx: EvaluationContext) -> Measured:
        return Measured("expert-scored")
