"""Eligibility (申报条件 / 兑现条件) as data, evaluated against what funding knows of an enterprise. Pure: no I/O.

A programme or round lists its rules (:class:`EligibilityRule`); an officer writes them, they are stored with the
round and shown to applicants. Each rule is checked against :class:`EnterpriseFacts` (the fields of the shared
enterprise read model, ``shared/read_models/enterprises.py``) and the enterprise's existing awards, and **every**
rule gives a result with its reason — which rule, which facts it read, what it found — so that one evaluation both
refuses an application (naming the failing rule) and explains a 免申即享 award (naming the rules it met).

Rules are three-valued, as in the registry's evaluation: ``met`` is ``None`` when a fact the rule needs is not
known (no size class reported yet, no project title to compare) or when only a person can decide (a *similar*
project title). The outcome is ``not_eligible`` when any rule fails, else ``needs_review`` when any is open, else
``eligible``. REFERENCE §13.3: a candidate with incomplete data is flagged for manual review, never paid blindly and
never refused on a guess.

Kinds of rule (``values`` holds what the rule accepts):

================================  ===================================================================================
``tier_held`` (持有认定)          holds at least one of the tiers (``held_tiers`` lists valid certifications only).
                                  The 2026 merger (REFERENCE §0) is data: list ``tech_sme``, ``innovative_sme`` and
                                  ``tech_innovative_sme`` together where the programme accepts any of them.
``pool_membership`` (入库)        is in one of the pools (``seedling_pool`` 种苗库, ``cultivation_pool`` 培育库).
``district`` (注册地)             its district code is listed, or its functional zone is (南太湖新区 has no code of its
                                  own, DESIGN §1: list the zone's name).
``sector`` (四业) · ``cluster``   its sector / "4210" cluster is listed.
``size_class`` (企业规模)         its size class (国统字〔2017〕213号: ``small``, ``micro`` …) is listed.
``no_double_support`` (不重复)    no existing award of the firm is for the same project (``double_support``): an
                                  identical normalised title fails, a similar one is left to a reviewer.
``not_recently_funded``           no award from the listed programmes in the evaluation's year or the ``years``
                                  before it (玉环's voucher exclusion: "上年度已获市本级科技计划项目支持", §12.2 [C]).
================================  ===================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from services.funding.domain import double_support
from services.funding.domain.double_support import DEFAULT_POLICY, FundedProject, SimilarityPolicy
from services.funding.domain.errors import FundingRuleError
from shared.enterprise_facts import EnterpriseFacts


class RuleKind(StrEnum):
    TIER_HELD = "tier_held"
    POOL_MEMBERSHIP = "pool_membership"
    DISTRICT = "district"
    SECTOR = "sector"
    CLUSTER = "cluster"
    SIZE_CLASS = "size_class"
    NO_DOUBLE_SUPPORT = "no_double_support"
    NOT_RECENTLY_FUNDED = "not_recently_funded"


# The rules that compare one fact with a list of accepted values, and the facts each reads.
MEMBERSHIP_FACTS: dict[RuleKind, tuple[str, ...]] = {
    RuleKind.TIER_HELD: ("held_tiers",),
    RuleKind.POOL_MEMBERSHIP: ("pool",),
    RuleKind.DISTRICT: ("district_code", "functional_zone"),
    RuleKind.SECTOR: ("sector",),
    RuleKind.CLUSTER: ("cluster",),
    RuleKind.SIZE_CLASS: ("size_class",),
}


class EligibilityOutcome(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_REVIEW = "needs_review"


class InvalidRule(FundingRuleError):
    """A rule that cannot be evaluated as written (no accepted values, a look-back of 0 years …)."""


@dataclass(frozen=True)
class ExistingAward:
    """An award the enterprise already holds: pass the awards that stand (approved and not rejected, withdrawn or
    clawed back)."""

    reference: str  # the application or award id
    programme_id: str
    awarded_on: date
    project_title: str | None = None  # None for awards that are not for a project (a one-off reward)


@dataclass(frozen=True)
class EligibilityRule:
    """One condition, as data. ``label`` is the policy's own wording, shown beside the generated requirement."""

    kind: RuleKind
    values: frozenset[str] = frozenset()
    label: str = ""
    years: int = 1  # not_recently_funded: how many years before the evaluation's year count
    similarity: SimilarityPolicy = DEFAULT_POLICY  # no_double_support

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RuleKind(self.kind))
        object.__setattr__(self, "values", frozenset(str(v) for v in self.values))
        if self.kind in MEMBERSHIP_FACTS and not self.values:
            raise InvalidRule("no_values", f"a {self.kind} rule needs at least one accepted value", field="values")
        if self.kind == RuleKind.NOT_RECENTLY_FUNDED:
            if not self.values:
                raise InvalidRule("no_values", "a not_recently_funded rule lists the programmes it looks at",
                                  field="values")
            if self.years < 0:
                raise InvalidRule("negative_years", "the look-back cannot be negative", field="years")
        if self.kind == RuleKind.NO_DOUBLE_SUPPORT and self.values:
            raise InvalidRule("unexpected_values", "no_double_support takes no values", field="values")

    @property
    def code(self) -> str:
        """A stable name for the rule, for reasons and stored explanations: ``tier_held:little_giant,srdi_sme``."""
        return f"{self.kind}:{','.join(sorted(self.values))}" if self.values else str(self.kind)

    def requirement(self) -> str:
        accepted = ", ".join(sorted(self.values))
        text = {
            RuleKind.TIER_HELD: f"holds one of: {accepted}",
            RuleKind.POOL_MEMBERSHIP: f"is in one of: {accepted}",
            RuleKind.DISTRICT: f"is registered in one of: {accepted}",
            RuleKind.SECTOR: f"sector is one of: {accepted}",
            RuleKind.CLUSTER: f"cluster is one of: {accepted}",
            RuleKind.SIZE_CLASS: f"size class is one of: {accepted}",
            RuleKind.NO_DOUBLE_SUPPORT: "the project is not already funded (title similarity below "
                                        f"{self.similarity.threshold})",
            RuleKind.NOT_RECENTLY_FUNDED: f"no award from {accepted} in the year or the {self.years} year(s) before",
        }[self.kind]
        return f"{self.label} ({text})" if self.label else text


@dataclass(frozen=True)
class RuleResult:
    """A rule's verdict on one enterprise: ``met`` (None: open), the facts it read, and why."""

    rule: EligibilityRule
    met: bool | None
    facts: tuple[tuple[str, str], ...]  # (fact, value as read); "unknown" for a missing fact
    reason: str
    references: tuple[str, ...] = ()  # awards behind a double-support or recent-funding verdict

    @property
    def code(self) -> str:
        return self.rule.code


@dataclass(frozen=True)
class EligibilityResult:
    outcome: EligibilityOutcome
    results: tuple[RuleResult, ...]

    @property
    def eligible(self) -> bool:
        return self.outcome == EligibilityOutcome.ELIGIBLE

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.met is False)

    @property
    def open(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.met is None)

    def summary(self) -> str:
        if self.outcome == EligibilityOutcome.ELIGIBLE:
            return "eligible: " + ("; ".join(r.reason for r in self.results) or "the round sets no conditions")
        shown = self.failed if self.outcome == EligibilityOutcome.NOT_ELIGIBLE else self.open
        return f"{self.outcome}: " + "; ".join(f"[{r.code}] {r.reason}" for r in shown)


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) or "none"
    return str(value)


def _membership(rule: EligibilityRule, facts: EnterpriseFacts) -> RuleResult:
    names = MEMBERSHIP_FACTS[rule.kind]
    read = tuple((name, _shown(getattr(facts, name))) for name in names)
    if rule.kind == RuleKind.TIER_HELD:
        held = rule.values & facts.held_tiers
        if held:
            return RuleResult(rule, True, read, f"holds {', '.join(sorted(held))}")
        return RuleResult(rule, False, read, f"holds {_shown(facts.held_tiers)}; needs one of "
                                             f"{', '.join(sorted(rule.values))}")
    known = [getattr(facts, name) for name in names if getattr(facts, name) is not None]
    if not known:
        return RuleResult(rule, None, read, f"{' / '.join(names)} not known")
    matched = [value for value in known if value in rule.values]
    if matched:
        return RuleResult(rule, True, read, f"{names[0] if len(names) == 1 else 'registered in'} {matched[0]}")
    return RuleResult(rule, False, read, f"{', '.join(f'{n} {v}' for n, v in read if v != 'unknown')}; needs one of "
                                         f"{', '.join(sorted(rule.values))}")


def _double_support(rule: EligibilityRule, facts: EnterpriseFacts, awards: tuple[ExistingAward, ...],
                    project_title: str | None) -> RuleResult:
    read = (("project_title", _shown(project_title)), ("awards", str(len(awards))))
    if project_title is None or not project_title.strip():
        return RuleResult(rule, None, read, "no project title to compare with the firm's awards")
    candidate = FundedProject("(this application)", facts.enterprise_id, "", project_title)
    funded = [FundedProject(a.reference, facts.enterprise_id, a.programme_id, a.project_title)
              for a in awards if a.project_title]
    flags = double_support.find_double_support(candidate, funded, rule.similarity)
    if not flags:
        return RuleResult(rule, True, read, f"no funded project of the firm resembles 「{project_title}」")
    references = tuple(flag.other.reference for flag in flags)
    identical = [flag for flag in flags if flag.identical]
    if identical:
        other = identical[0].other
        return RuleResult(rule, False, read, f"「{project_title}」 is already funded as 「{other.title}」 "
                                             f"({other.reference}, programme {other.programme_id})", references)
    top = flags[0]
    return RuleResult(rule, None, read, f"「{project_title}」 resembles the funded 「{top.other.title}」 "
                                        f"({top.other.reference}, programme {top.other.programme_id}, similarity "
                                        f"{top.similarity}): a reviewer decides", references)


def _recent_funding(rule: EligibilityRule, awards: tuple[ExistingAward, ...], on: date) -> RuleResult:
    since = on.year - rule.years
    hits = sorted((a for a in awards if a.programme_id in rule.values and since <= a.awarded_on.year <= on.year),
                  key=lambda a: (a.awarded_on, a.reference))
    read = (("awards", str(len(awards))), ("years", f"{since}–{on.year}"))
    if not hits:
        return RuleResult(rule, True, read, f"no award from {', '.join(sorted(rule.values))} in {since}–{on.year}")
    first = hits[0]
    return RuleResult(rule, False, read, f"awarded by {first.programme_id} on {first.awarded_on.isoformat()} "
                                         f"({first.reference})", tuple(a.reference for a in hits))


def check_rule(rule: EligibilityRule, facts: EnterpriseFacts, *, on: date, awards: Iterable[ExistingAward] = (),
               project_title: str | None = None) -> RuleResult:
    awards = tuple(awards)
    if rule.kind in MEMBERSHIP_FACTS:
        return _membership(rule, facts)
    if rule.kind == RuleKind.NO_DOUBLE_SUPPORT:
        return _double_support(rule, facts, awards, project_title)
    return _recent_funding(rule, awards, on)


def evaluate(rules: Iterable[EligibilityRule], facts: EnterpriseFacts, *, on: date,
             awards: Iterable[ExistingAward] = (), project_title: str | None = None) -> EligibilityResult:
    """Every rule's result, in the rules' order, and the outcome (module docstring). ``on`` is the evaluation's
    civil date; ``project_title`` is the application's (None for an award without a project)."""
    awards = tuple(awards)
    results = tuple(check_rule(rule, facts, on=on, awards=awards, project_title=project_title) for rule in rules)
    if any(r.met is False for r in results):
        outcome = EligibilityOutcome.NOT_ELIGIBLE
    elif any(r.met is None for r in results):
        outcome = EligibilityOutcome.NEEDS_REVIEW
    else:
        outcome = EligibilityOutcome.ELIGIBLE
    return EligibilityResult(outcome, results)


def rule(kind: RuleKind | str, *values: str, label: str = "", **options: Any) -> EligibilityRule:
    """Shorthand for writing rule data: ``rule("tier_held", "srdi_sme", "little_giant", label="…")``."""
    return EligibilityRule(RuleKind(kind), frozenset(values), label, **options)

