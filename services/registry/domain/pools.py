"""The two libraries (两库): seedling-pool (种苗库) entry criteria and the growth-potential score that the annual
screening uses to promote seedlings to the cultivation pool (培育库). Pure rules: no I/O.

Entry criteria
--------------
Huzhou's own 播种计划 entry rules were not found (REFERENCE §10.8). The defaults are Hangzhou's 润苗计划
(杭政办函〔2025〕40号, REFERENCE §9, [C]) and are held as versioned DATA (:class:`EntryCriteria`): an officer
can publish a new version with an effective date, and the version in force on the assessment date applies.
A firm enters by rule when it meets every check of at least one category:

* 种子 (``seed``): established ≤ 5 years before the assessment date; employees ≤ 100; operating revenue
  ≤ 2000万元 ("原则上": the cap is a parameter); R&D expense / operating revenue ≥ 3 %.
* 好苗子 (``good_seedling``): R&D staff / employees ≥ 10 %; R&D expense / operating revenue ≥ 5 %;
  equity financing received (all reported years, cumulated) ≤ 2000万元 *or* valuation ≤ 2亿元.

The texts write "≤" and "≥", so every threshold is met exactly on its edge. A firm with R&D expense but no
revenue yet (the typical pre-revenue start-up) meets the R&D-intensity checks; with neither it does not.
The 润苗 text lets 好苗子 thresholds "be relaxed for firms with own IP or disruptive technology": that is a
judgement, so it is not automated: an officer enters such a firm by decision, with the reason.
A figure that is missing makes its check unknown; an outcome that depends on it is ``needs_review``.

Growth-potential score (成长潜力评分)
------------------------------------
Each seedling firm with figures for the screening's financial year *t* gets a score from 0 to 100::

    score = 100 × Σ wᵢ · min(xᵢ / capᵢ, 1) / Σ wᵢ        (xᵢ below 0 counts as 0)

=================  ===============================================================  ======  ==========
component          xᵢ                                                               weight  cap
=================  ===============================================================  ======  ==========
``rd_intensity``   R&D expense / operating revenue in year *t*                      0.35    10 %
``revenue_growth`` (revenue *t* − revenue *t−1*) / revenue *t−1*                    0.30    100 %
``ip_growth``      IP holdings gained during year *t* (Ⅰ类 and Ⅱ类, all kinds counted)  0.20    5 holdings
``financing``      equity financing received in year *t*                            0.15    1000万元
=================  ===============================================================  ======  ==========

Weights and caps are parameters (:class:`GrowthScoring`); a screening run stores the ones it used. A component
whose input is missing contributes 0: no revenue for *t−1* (growth cannot be measured; a firm whose revenue
went from 0 to positive gets the full growth component), no IP data (IP holdings are optional input), no
financing reported. R&D intensity with revenue 0 follows the entry rule above (R&D expense > 0: full; else 0).
Scores are rounded to 4 decimals; ties rank by USCC, so a ranking is reproducible.

Promotion: within each district the firms are ranked by score; the top ``quota`` of the district are promoted.
A district without a quota promotes nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.registry.domain.dates import add_years
from services.registry.domain.evaluation import Outcome
from services.registry.domain.figures import FEN_PER_WAN, wan


class Pool(StrEnum):
    """种苗库 / 培育库. A firm is in at most one of them; ``None`` means in neither."""

    SEEDLING = "seedling_pool"  # 种苗库
    CULTIVATION = "cultivation_pool"  # 培育库


class SeedlingCategory(StrEnum):
    SEED = "seed"  # "种子"企业
    GOOD_SEEDLING = "good_seedling"  # "好苗子"企业


class ChangeBasis(StrEnum):
    """Why a firm's pool changed: the entry rule, an officer's decision, or the annual screening."""

    RULE = "rule"
    DECISION = "decision"
    SCREENING = "screening"


class PoolMove(StrEnum):
    ENTRY = "entry"  # none → seedling
    PROMOTION = "promotion"  # seedling → cultivation
    DEMOTION = "demotion"  # cultivation → seedling
    EXIT = "exit"  # any → none


class PoolTransitionError(ValueError):
    """A move the two libraries do not allow (e.g. straight into 培育库 without being a seedling)."""


def classify_move(from_pool: Pool | None, to_pool: Pool | None) -> PoolMove:
    """The kind of move, or :class:`PoolTransitionError`. The cultivation pool is reached only from the seedling
    pool: it is the promotion of a seedling (DESIGN §1, 两库), never a first entry."""
    if from_pool == to_pool:
        where = to_pool.value if to_pool else "no pool"
        raise PoolTransitionError(f"the enterprise is already in {where}")
    if to_pool is None:
        return PoolMove.EXIT
    if to_pool == Pool.SEEDLING:
        return PoolMove.ENTRY if from_pool is None else PoolMove.DEMOTION
    if from_pool == Pool.SEEDLING:
        return PoolMove.PROMOTION
    raise PoolTransitionError("only a seedling-pool firm can be promoted to the cultivation pool; enter it in the "
                              "seedling pool first")


# --------------------------------------------------------------------------------------------------------------
# Entry criteria (versioned data)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedCriteria:
    """"种子"企业 (润苗计划): a young, small firm that already spends on R&D."""

    max_age_years: int = 5
    max_employees: int = 100
    max_operating_revenue_fen: int | None = wan(2000)  # "原则上"; None drops the cap
    min_rd_intensity: Decimal = Decimal("0.03")


@dataclass(frozen=True)
class GoodSeedlingCriteria:
    """"好苗子"企业 (润苗计划): research-heavy, and not yet heavily financed."""

    min_rd_staff_share: Decimal = Decimal("0.10")
    min_rd_intensity: Decimal = Decimal("0.05")
    max_financing_fen: int = wan(2000)
    max_valuation_fen: int = wan(20000)


@dataclass(frozen=True)
class EntryCriteria:
    """One version of the seedling-pool entry rule; ``None`` for a category drops that route."""

    version: str
    effective_from: date
    seed: SeedCriteria | None = SeedCriteria()
    good_seedling: GoodSeedlingCriteria | None = GoodSeedlingCriteria()
    source: str = ""
    confidence: str = "C"  # REFERENCE tags: V, C, M, U


DEFAULT_ENTRY_CRITERIA = EntryCriteria(
    version="hangzhou-runmiao-2025",
    effective_from=date(2025, 1, 1),
    source="杭州润苗计划 杭政办函〔2025〕40号 (REFERENCE §9): an analog, not Huzhou law; Huzhou's own rules were not "
           "found (REFERENCE §10.8)",
    confidence="C",
)


def select_criteria(versions: Iterable[EntryCriteria], on: date, version: str | None = None) -> EntryCriteria:
    """The version asked for, or else the one in force on ``on`` (latest ``effective_from`` ≤ ``on``). The
    built-in default is always a candidate, so there is always an answer for dates from 2025 on."""
    candidates = {c.version: c for c in (DEFAULT_ENTRY_CRITERIA, *versions)}
    if version is not None:
        try:
            return candidates[version]
        except KeyError:
            raise LookupError(f"no seedling-pool criteria version {version!r}") from None
    in_force = [c for c in candidates.values() if c.effective_from <= on]
    if not in_force:
        return DEFAULT_ENTRY_CRITERIA
    return max(in_force, key=lambda c: (c.effective_from, c.version))


@dataclass(frozen=True)
class EntryFacts:
    """What the entry rule reads. ``None`` is "not reported", never zero."""

    assessed_on: date
    figures_year: int | None = None  # the financial year the figures are from
    established_on: date | None = None
    employees: int | None = None
    rd_staff: int | None = None
    operating_revenue_fen: int | None = None
    rd_expense_fen: int | None = None
    # Equity financing received, summed over every reported year (None: never reported).
    cumulative_financing_fen: int | None = None
    valuation_fen: int | None = None  # stated by the officer; no annual figure carries it


@dataclass(frozen=True)
class Check:
    """One criterion: ``met`` is None when an input it needs is missing (named in ``missing``)."""

    category: SeedlingCategory
    criterion: str
    requirement: str
    actual: str | None
    met: bool | None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntryAssessment:
    criteria_version: str
    outcome: Outcome
    categories: tuple[SeedlingCategory, ...]  # the categories whose every check is met
    checks: tuple[Check, ...]
    missing: tuple[str, ...]  # inputs whose absence leaves the outcome open (empty unless needs_review)

    @property
    def category(self) -> SeedlingCategory | None:
        return self.categories[0] if self.categories else None

    def summary(self) -> str:
        if self.outcome == Outcome.ELIGIBLE:
            return f"meets the {', '.join(c.value for c in self.categories)} criteria ({self.criteria_version})"
        failed = [f"{c.category.value}: {c.criterion} {c.requirement} (is {c.actual})" for c in self.checks
                  if c.met is False]
        text = f"does not meet the seedling-pool criteria ({self.criteria_version})"
        if failed:
            text += "; " + "; ".join(failed)
        if self.missing:
            text += "; missing: " + ", ".join(self.missing)
        return text


INFINITE = Decimal("Infinity")


def rd_intensity(rd_expense_fen: int | None, revenue_fen: int | None) -> Decimal | None:
    """R&D expense / operating revenue. Revenue 0 with R&D spending is unbounded intensity (``INFINITE``): a
    pre-revenue firm that does research is the archetypal seedling."""
    if rd_expense_fen is None or revenue_fen is None:
        return None
    if revenue_fen <= 0:
        return INFINITE if rd_expense_fen > 0 else Decimal(0)
    return Decimal(rd_expense_fen) / Decimal(revenue_fen)


def _percent(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value.is_infinite():
        return "R&D spending without revenue"
    return f"{(value * 100).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"


def _wan(fen: int | None) -> str | None:
    # Not context.format_value(fen, Unit.FEN): that normalises, which differs (trailing zeros) from 10**28 fen up.
    return None if fen is None else f"{Decimal(fen) / FEN_PER_WAN:f}万元"


def _absent(**inputs: object) -> tuple[str, ...]:
    return tuple(name for name, value in inputs.items() if value is None)


def assess_entry(criteria: EntryCriteria, facts: EntryFacts) -> EntryAssessment:
    """Apply one criteria version to one firm (thresholds are met on their edge: the texts write ≤ and ≥)."""
    checks: list[Check] = []
    intensity = rd_intensity(facts.rd_expense_fen, facts.operating_revenue_fen)
    intensity_inputs = _absent(rd_expense_fen=facts.rd_expense_fen, operating_revenue_fen=facts.operating_revenue_fen)

    if (seed := criteria.seed) is not None:
        c = SeedlingCategory.SEED
        # "成立 ≤ 5年": established on or after the same calendar day five years before the assessment.
        earliest = add_years(facts.assessed_on, -seed.max_age_years)
        young = None if facts.established_on is None else facts.established_on >= earliest
        checks.append(Check(c, "age", f"≤ {seed.max_age_years} years (established on or after {earliest.isoformat()})",
                            facts.established_on.isoformat() if facts.established_on else None, young,
                            _absent(established_on=facts.established_on)))
        checks.append(Check(c, "employees", f"≤ {seed.max_employees}",
                            None if facts.employees is None else str(facts.employees),
                            None if facts.employees is None else facts.employees <= seed.max_employees,
                            _absent(employees=facts.employees)))
        if seed.max_operating_revenue_fen is not None:
            revenue = facts.operating_revenue_fen
            checks.append(Check(c, "operating_revenue", f"≤ {_wan(seed.max_operating_revenue_fen)}", _wan(revenue),
                                None if revenue is None else revenue <= seed.max_operating_revenue_fen,
                                _absent(operating_revenue_fen=revenue)))
        checks.append(Check(c, "rd_intensity", f"≥ {_percent(seed.min_rd_intensity)}", _percent(intensity),
                            None if intensity is None else intensity >= seed.min_rd_intensity, intensity_inputs))

    if (good := criteria.good_seedling) is not None:
        c = SeedlingCategory.GOOD_SEEDLING
        staff_share = None
        if facts.rd_staff is not None and facts.employees is not None:
            staff_share = Decimal(facts.rd_staff) / facts.employees if facts.employees > 0 else Decimal(0)
        checks.append(Check(c, "rd_staff_share", f"≥ {_percent(good.min_rd_staff_share)}", _percent(staff_share),
                            None if staff_share is None else staff_share >= good.min_rd_staff_share,
                            _absent(rd_staff=facts.rd_staff, employees=facts.employees)))
        checks.append(Check(c, "rd_intensity", f"≥ {_percent(good.min_rd_intensity)}", _percent(intensity),
                            None if intensity is None else intensity >= good.min_rd_intensity, intensity_inputs))
        financing, valuation = facts.cumulative_financing_fen, facts.valuation_fen
        by_financing = None if financing is None else financing <= good.max_financing_fen
        by_valuation = None if valuation is None else valuation <= good.max_valuation_fen
        # "融资 ≤ 2000万元 或 估值 ≤ 2亿元": one side met is enough; failed only when both are known and failed.
        not_overfinanced: bool | None
        if by_financing or by_valuation:
            not_overfinanced, absent = True, ()
        elif by_financing is False and by_valuation is False:
            not_overfinanced, absent = False, ()
        else:
            not_overfinanced, absent = None, _absent(equity_financing_fen=financing, valuation_fen=valuation)
        checks.append(Check(c, "financing_or_valuation",
                            f"financing ≤ {_wan(good.max_financing_fen)} or valuation ≤ {_wan(good.max_valuation_fen)}",
                            f"financing {_wan(financing) or 'not reported'}, "
                            f"valuation {_wan(valuation) or 'not stated'}",
                            not_overfinanced, absent))

    in_use = [cat for cat in SeedlingCategory if any(ch.category == cat for ch in checks)]
    categories = tuple(cat for cat in in_use if all(ch.met for ch in checks if ch.category == cat))
    # A category is still open when none of its checks failed but some are unknown.
    open_categories = [cat for cat in in_use if cat not in categories
                       and all(ch.met is not False for ch in checks if ch.category == cat)]
    if categories:
        outcome, missing = Outcome.ELIGIBLE, ()
    elif open_categories:
        outcome = Outcome.NEEDS_REVIEW
        missing = tuple(sorted({name for ch in checks if ch.category in open_categories for name in ch.missing}))
    else:
        outcome, missing = Outcome.NOT_ELIGIBLE, ()
    return EntryAssessment(criteria.version, outcome, categories, tuple(checks), missing)


# --------------------------------------------------------------------------------------------------------------
# Growth-potential score and promotion under quotas
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthWeights:
    """Relative weights of the score's components (normalised by their sum; see the module docstring)."""

    rd_intensity: Decimal = Decimal("0.35")
    revenue_growth: Decimal = Decimal("0.30")
    ip_growth: Decimal = Decimal("0.20")
    financing: Decimal = Decimal("0.15")

    def __post_init__(self) -> None:
        values = [self.rd_intensity, self.revenue_growth, self.ip_growth, self.financing]
        if any(v < 0 for v in values):
            raise ValueError("growth weights must not be negative")
        if sum(values) <= 0:
            raise ValueError("at least one growth weight must be positive")


@dataclass(frozen=True)
class GrowthCaps:
    """The value at which each component earns its full weight."""

    rd_intensity: Decimal = Decimal("0.10")
    revenue_growth: Decimal = Decimal("1.00")
    ip_growth: int = 5
    financing_fen: int = wan(1000)

    def __post_init__(self) -> None:
        if min(self.rd_intensity, self.revenue_growth) <= 0 or min(self.ip_growth, self.financing_fen) <= 0:
            raise ValueError("growth caps must be positive")


@dataclass(frozen=True)
class GrowthScoring:
    weights: GrowthWeights = GrowthWeights()
    caps: GrowthCaps = GrowthCaps()


@dataclass(frozen=True)
class GrowthFacts:
    """One seedling's inputs for the financial year ``t`` of a screening and the year before."""

    revenue_fen: int | None = None  # year t
    previous_revenue_fen: int | None = None  # year t − 1
    rd_expense_fen: int | None = None  # year t
    equity_financing_fen: int | None = None  # year t
    ip_gained: int | None = None  # IP holdings gained during year t; None: no IP data


@dataclass(frozen=True)
class GrowthScore:
    score: Decimal  # 0–100, 4 decimals
    rd_intensity: Decimal | None  # the raw measures, for the explanation
    revenue_growth: Decimal | None
    ip_gained: int | None
    equity_financing_fen: int | None


_ONE = Decimal(1)
_SCORE_PLACES = Decimal("0.0001")


def _share(value: Decimal | None, cap: Decimal) -> Decimal:
    if value is None or value <= 0:
        return Decimal(0)
    if value.is_infinite():
        return _ONE
    return min(value / cap, _ONE)


def revenue_growth(current_fen: int | None, previous_fen: int | None) -> Decimal | None:
    """Year-on-year growth; None when it cannot be measured (a year missing, or a negative base). From 0 to a
    positive revenue is unbounded growth (``INFINITE``)."""
    if current_fen is None or previous_fen is None or previous_fen < 0:
        return None
    if previous_fen == 0:
        return INFINITE if current_fen > 0 else None
    return Decimal(current_fen - previous_fen) / Decimal(previous_fen)


def growth_score(facts: GrowthFacts, scoring: GrowthScoring = GrowthScoring()) -> GrowthScore:
    w, cap = scoring.weights, scoring.caps
    intensity = rd_intensity(facts.rd_expense_fen, facts.revenue_fen)
    growth = revenue_growth(facts.revenue_fen, facts.previous_revenue_fen)
    weighted = (
        w.rd_intensity * _share(intensity, cap.rd_intensity)
        + w.revenue_growth * _share(growth, cap.revenue_growth)
        + w.ip_growth * _share(None if facts.ip_gained is None else Decimal(facts.ip_gained), Decimal(cap.ip_growth))
        + w.financing * _share(None if facts.equity_financing_fen is None else Decimal(facts.equity_financing_fen),
                               Decimal(cap.financing_fen))
    )
    total_weight = w.rd_intensity + w.revenue_growth + w.ip_growth + w.financing
    score = (100 * weighted / total_weight).quantize(_SCORE_PLACES, ROUND_HALF_UP)
    return GrowthScore(score, intensity, growth, facts.ip_gained, facts.equity_financing_fen)


@dataclass(frozen=True)
class Candidate:
    """A seedling in a screening: its identity for ranking and its inputs."""

    key: str  # the enterprise id (opaque to the domain)
    uscc: str  # the stable tie-breaker
    district_code: str
    facts: GrowthFacts


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: GrowthScore
    rank: int  # 1 = best in its district
    district_quota: int
    promoted: bool

    def reason(self, year: int) -> str:
        """The reason recorded with a promotion (or kept with a firm that was ranked but not promoted)."""
        verdict = "promoted to 培育库" if self.promoted else "not promoted"
        return (f"{year} annual screening: growth-potential score {self.score.score}, rank {self.rank} in district "
                f"{self.candidate.district_code} under a quota of {self.district_quota}; {verdict}")


@dataclass(frozen=True)
class DistrictOutcome:
    district_code: str
    quota: int
    ranked: int
    promoted: int


@dataclass(frozen=True)
class ScreeningOutcome:
    ranked: tuple[Ranked, ...]  # every candidate, by district then rank
    districts: tuple[DistrictOutcome, ...]

    @property
    def promoted(self) -> tuple[Ranked, ...]:
        return tuple(r for r in self.ranked if r.promoted)


def screen(candidates: Sequence[Candidate], quotas: Mapping[str, int],
           scoring: GrowthScoring = GrowthScoring()) -> ScreeningOutcome:
    """Rank every candidate within its district and promote the top ``quotas[district]`` of each."""
    if any(q < 0 for q in quotas.values()):
        raise ValueError("a quota must not be negative")
    by_district: dict[str, list[tuple[Candidate, GrowthScore]]] = {}
    for candidate in candidates:
        by_district.setdefault(candidate.district_code, []).append((candidate, growth_score(candidate.facts, scoring)))
    ranked: list[Ranked] = []
    districts: list[DistrictOutcome] = []
    for district in sorted(set(by_district) | set(quotas)):
        entries = by_district.get(district, [])
        entries.sort(key=lambda e: (-e[1].score, e[0].uscc))
        quota = quotas.get(district, 0)
        for rank, (candidate, score) in enumerate(entries, start=1):
            ranked.append(Ranked(candidate, score, rank, quota, promoted=rank <= quota))
        districts.append(DistrictOutcome(district, quota, len(entries), min(quota, len(entries))))
    return ScreeningOutcome(tuple(ranked), tuple(districts))


@dataclass(frozen=True)
class ScreeningParameters:
    """What a screening run used, stored with the run so it can be explained and audited later."""

    year: int
    figures_year: int
    quotas: Mapping[str, int] = field(default_factory=dict)
    scoring: GrowthScoring = GrowthScoring()
