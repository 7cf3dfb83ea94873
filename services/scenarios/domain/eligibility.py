"""Who may apply (申报条件): eligibility rules as data, evaluated against what the service knows of an enterprise
from the registry's events. Pure rules.

A challenge (or any list entry that restricts who may answer it) carries one :class:`Eligibility`: each of its
fields is one rule, ``None`` meaning "no restriction". :func:`evaluate` checks every rule and returns **every**
failing one, each named and explained, so that an enterprise learns in one answer all that keeps it out.

The facts are the enterprise read model's fields (``shared/read_models/enterprises.py``): tiers held, district and
functional zone, sector, cluster, size class, pool. A rule that needs a fact the registry has not supplied (no size
class yet: no figures reported) fails, saying the fact is missing: eligibility is never guessed.

The tier ladder (梯度培育, DESIGN §1)
-------------------------------------
科技型 / 创新型 / 科技和创新型中小企业 form the first rung: the 2026 measures merge them into one tier (REFERENCE §0, [C]),
so any of the three meets a requirement of any of them. 专精特新中小企业 is the second rung and 专精特新"小巨人" the
third; a higher rung meets a lower requirement. 高新技术企业 (HNTE) stands beside the ladder, not on it: it meets
only a requirement of HNTE itself, unless a rule names it as an accepted alternative ("专精特新或高新技术企业").
The ladder is data (:data:`LADDER`); a caller may pass another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from services.scenarios.domain.classification import AREAS, check_area, check_cluster, check_sector
from services.scenarios.domain.values import within
from shared.enterprise_facts import EnterpriseFacts
from shared.errors import InvalidInput


class Tier(StrEnum):
    """The tiers an enterprise can hold (DESIGN §9 glossary; the registry's values)."""

    TECH_SME = "tech_sme"  # 科技型中小企业
    INNOVATIVE_SME = "innovative_sme"  # 创新型中小企业
    TECH_INNOVATIVE_SME = "tech_innovative_sme"  # 科技和创新型中小企业 (the 2026 merger of the two above)
    SRDI_SME = "srdi_sme"  # 专精特新中小企业
    LITTLE_GIANT = "little_giant"  # 专精特新"小巨人"
    HNTE = "hnte"  # 高新技术企业: beside the ladder


# Rung on the ladder; HNTE has none.
LADDER: Mapping[Tier, int] = MappingProxyType({
    Tier.TECH_SME: 1,
    Tier.INNOVATIVE_SME: 1,
    Tier.TECH_INNOVATIVE_SME: 1,
    Tier.SRDI_SME: 2,
    Tier.LITTLE_GIANT: 3,
})


class SizeClass(StrEnum):
    """统计上大中小微型企业划分 (国统字〔2017〕213号, REFERENCE §11): computed by the registry from the figures."""

    LARGE = "large"  # 大型
    MEDIUM = "medium"  # 中型
    SMALL = "small"  # 小型
    MICRO = "micro"  # 微型


class Pool(StrEnum):
    SEEDLING = "seedling_pool"  # 种苗库
    CULTIVATION = "cultivation_pool"  # 培育库


def _members(values: Iterable[Any] | None, check: Any, field: str) -> frozenset[Any] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise InvalidInput(f"{field} is a list", field=field)
    checked = []
    for index, value in enumerate(values):
        with within(f"{field}.{index}"):
            checked.append(check(value))
    if not checked:
        # An empty list would admit nobody: a rule no one can meet is a mistake, not a restriction.
        raise InvalidInput(f"{field} lists nothing: leave it out for no restriction", field=field)
    return frozenset(checked)


def _enum_check(kind: type[StrEnum]) -> Any:
    def check(value: Any) -> StrEnum:
        try:
            return kind(value)
        except ValueError:
            raise InvalidInput(f"unknown value {value!r}; one of: {', '.join(kind)}") from None
    return check


@dataclass(frozen=True)
class Eligibility:
    """申报条件 as data; each field one rule, ``None`` for no restriction.

    * ``min_tier``: the lowest rung the enterprise must hold (or ``hnte`` to require HNTE).
    * ``also_accepted_tiers``: tiers that meet the tier rule as well, off the ladder (typically ``hnte``).
    * ``areas``: district codes or functional-zone keys (``nantaihu``); the enterprise's district or zone must be one.
    * ``sectors``, ``clusters``, ``size_classes``, ``pools``: the enterprise's value must be one of them.
    """

    min_tier: Tier | None = None
    also_accepted_tiers: frozenset[Tier] = frozenset()
    areas: frozenset[str] | None = None
    sectors: frozenset[str] | None = None
    clusters: frozenset[str] | None = None
    size_classes: frozenset[SizeClass] | None = None
    pools: frozenset[Pool] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.min_tier is not None:
            with within("min_tier"):
                set_(self, "min_tier", _enum_check(Tier)(self.min_tier))
        accepted = frozenset()
        if self.also_accepted_tiers:  # empty is the default: no alternatives
            accepted = _members(self.also_accepted_tiers, _enum_check(Tier), "also_accepted_tiers")
        set_(self, "also_accepted_tiers", accepted)
        if self.also_accepted_tiers and self.min_tier is None:
            raise InvalidInput("accepted alternatives need a tier requirement to be alternatives to",
                               field="also_accepted_tiers")
        set_(self, "areas", _members(self.areas, lambda v: check_area(v, ""), "areas"))
        set_(self, "sectors", _members(self.sectors, lambda v: check_sector(v, ""), "sectors"))
        set_(self, "clusters", _members(self.clusters, lambda v: check_cluster(v, ""), "clusters"))
        set_(self, "size_classes", _members(self.size_classes, _enum_check(SizeClass), "size_classes"))
        set_(self, "pools", _members(self.pools, _enum_check(Pool), "pools"))


NO_RESTRICTION = Eligibility()


@dataclass(frozen=True)
class Failure:
    """One rule the enterprise does not meet: the rule's name (the field of :class:`Eligibility`), what it asks,
    what the enterprise has, and the sentence that says so."""

    rule: str
    required: tuple[str, ...]
    actual: tuple[str, ...]  # empty when the fact is not known
    reason: str


@dataclass(frozen=True)
class EligibilityResult:
    uscc: str
    failures: tuple[Failure, ...]

    @property
    def eligible(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.eligible:
            return f"{self.uscc} meets every eligibility rule"
        return f"{self.uscc} does not meet: " + "; ".join(f"{f.rule}: {f.reason}" for f in self.failures)


def tiers_meeting(rule: Eligibility, ladder: Mapping[Tier, int] = LADDER) -> frozenset[Tier]:
    """Every tier whose holder meets ``rule``'s tier requirement (all tiers when there is none)."""
    if rule.min_tier is None:
        return frozenset(Tier)
    if rule.min_tier in ladder:
        floor = ladder[rule.min_tier]
        meeting = {tier for tier, rung in ladder.items() if rung >= floor}
    else:
        meeting = {rule.min_tier}
    return frozenset(meeting | rule.also_accepted_tiers)


def _labels(values: Iterable[str], table: Mapping[str, str] | None = None) -> str:
    return ", ".join(f"{v} ({table[v]})" if table and v in table else v for v in sorted(values))


def evaluate(rule: Eligibility, facts: EnterpriseFacts, ladder: Mapping[Tier, int] = LADDER) -> EligibilityResult:
    """Every rule ``facts`` fail, in the order of :class:`Eligibility`'s fields."""
    failures: list[Failure] = []

    if rule.min_tier is not None:
        meeting = tiers_meeting(rule, ladder)
        held = sorted(facts.held_tiers)
        if not meeting & facts.held_tiers:
            holds = f"holds {', '.join(held)}" if held else "holds no tier"
            wanted = f"at least {rule.min_tier}" if rule.min_tier in ladder else str(rule.min_tier)
            if rule.also_accepted_tiers:
                wanted += f" (or {', '.join(sorted(rule.also_accepted_tiers))})"
            failures.append(Failure("min_tier", tuple(sorted(meeting)), tuple(held),
                                    f"requires {wanted}; the enterprise {holds}"))

    if rule.areas is not None:
        place = [v for v in (facts.district_code, facts.functional_zone) if v]
        if not rule.areas & set(place):
            where = _labels(place, AREAS) if place else "not recorded"
            failures.append(Failure("areas", tuple(sorted(rule.areas)), tuple(place),
                                    f"open to {_labels(rule.areas, AREAS)}; the enterprise's district: {where}"))

    for name, what, allowed_values, actual in (
        ("sectors", "sector", rule.sectors, facts.sector),
        ("clusters", "cluster", rule.clusters, facts.cluster),
        ("size_classes", "size class", rule.size_classes, facts.size_class),
        ("pools", "pool", rule.pools, facts.pool),
    ):
        if allowed_values is None or actual in allowed_values:
            continue
        has = f"is {actual}" if actual else "is not recorded"
        if name == "pools" and not actual:
            has = "is in neither pool"
        failures.append(Failure(name, tuple(sorted(allowed_values)), (actual,) if actual else (),
                                f"open to {what} {_labels(allowed_values)}; the enterprise's {what} {has}"))

    return EligibilityResult(facts.uscc, tuple(failures))
