"""免申即享 (award without application): a rule over the enterprise facts lists the firms that qualify and proposes
pre-approved awards, each explained. Pure: no I/O.

REFERENCE §13.3: "data matching produces the list of eligible firms, then [the government] pays them proactively";
the firm only confirms (意愿确认, ``applications`` ``sign_agreement``) or declines. A candidate whose data are
incomplete is not paid blindly: it goes to manual review and falls back to 快申快享.

A run of an :class:`AutomaticAwardRule`:

1. evaluates the rule's eligibility against every candidate (``eligibility.evaluate``): eligible firms go on,
   ``needs_review`` ones are listed for an officer with the missing facts, ineligible ones are left out (the count is
   kept, the list is not: most of the register fails most rules);
2. fixes the amount from the dated, per-issuer data in force on the run's date (``programmes.amount_in_force``); a
   ceiling ("最高 20万") is paid in full: there is no review to pay less, so an office that pays less records a lower
   dated amount for its rule;
3. skips a firm the rule already awarded (the award key is the rule and the firm: running a rule twice pays once);
4. applies 从高、从优、不重复 (§13.4): within a conflict group a firm is paid the highest benefit of the year, once —
   if it already received ``h`` from the group and this rule pays ``a``, it gets ``a − h`` when that is positive and
   nothing otherwise, so its total is the maximum, never the sum;
5. keeps each award within the firm's cap and the round's budget, in USCC order (reproducible); firms that no longer
   fit are listed with ``budget_exhausted``, for the office to top the round up and run again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.funding.domain.applications import AmountLimits, Transitioned, pre_approved
from services.funding.domain.eligibility import (
    EligibilityOutcome,
    EligibilityResult,
    EligibilityRule,
    EnterpriseFacts,
    ExistingAward,
    evaluate,
)
from services.funding.domain.money import yuan
from services.funding.domain.programmes import DatedAmount, amount_in_force


@dataclass(frozen=True)
class AutomaticAwardRule:
    """One 免申即享 item (事项): who qualifies, what it pays, and from which round."""

    code: str  # stable and unique, e.g. "huzhou-2025-hnte-first-recognition"
    title: str  # what the award is, shown to the firm: "高新技术企业首次认定奖励"
    programme_id: str
    round_id: str
    eligibility: tuple[EligibilityRule, ...]
    issuer: str  # whose DatedAmount applies
    amount_item: str  # which DatedAmount item
    conflict_group: str | None = None  # 从高不重复 (the programme's group)


class SkipReason(StrEnum):
    NEEDS_REVIEW = "needs_review"  # data incomplete or a judgement needed: manual review, 快申快享
    ALREADY_AWARDED = "already_awarded"  # this rule already awarded the firm
    SUPERSEDED = "superseded"  # a benefit of the same conflict group this year is as high or higher
    ABOVE_ENTERPRISE_CAP = "above_enterprise_cap"
    BUDGET_EXHAUSTED = "budget_exhausted"


@dataclass(frozen=True)
class ProposedAward:
    """A pre-approved award, with everything needed to explain it: which rule, which facts, which amount."""

    key: str  # "automatic:<rule>:<enterprise>": one award per rule and firm
    enterprise_id: str
    uscc: str
    rule: AutomaticAwardRule
    amount_fen: int
    amount: DatedAmount  # the dated amount in force
    eligibility: EligibilityResult
    group_received_fen: int = 0  # already received this year from the conflict group

    def explanation(self) -> str:
        basis = (f"{self.amount.issuer} {self.amount.item} {'≤ ' if self.amount.ceiling else ''}"
                 f"{yuan(self.amount.amount_fen)} in force from {self.amount.effective_from.isoformat()}"
                 + (f" ({self.amount.source})" if self.amount.source else ""))
        if self.group_received_fen:
            basis += (f"; {yuan(self.group_received_fen)} already received in conflict group "
                      f"{self.rule.conflict_group} this year, so the difference is paid (从高不重复)")
        met = "; ".join(f"[{r.code}] {r.reason}" for r in self.eligibility.results) or "no conditions"
        return f"免申即享 {self.rule.title} ({self.rule.code}): {yuan(self.amount_fen)} — {basis}. Met: {met}"

    def approve(self, *, id: str, limits: AmountLimits, on: date) -> Transitioned:
        """The award as an application in ``approved``, with its commitment (the service runs this under the round's
        lock, with the limits read there)."""
        return pre_approved(id=id, enterprise_id=self.enterprise_id, programme_id=self.rule.programme_id,
                            round_id=self.rule.round_id, title=self.rule.title, amount_fen=self.amount_fen,
                            limits=limits, on=on)


@dataclass(frozen=True)
class Skipped:
    enterprise_id: str
    uscc: str
    reason: SkipReason
    detail: str
    eligibility: EligibilityResult | None = None


@dataclass(frozen=True)
class AwardRun:
    rule: AutomaticAwardRule
    on: date
    amount: DatedAmount
    awards: tuple[ProposedAward, ...]
    skipped: tuple[Skipped, ...]  # eligible (or open) but not awarded, with the reason
    not_eligible: int  # candidates that failed a rule

    @property
    def total_fen(self) -> int:
        return sum(a.amount_fen for a in self.awards)

    @property
    def for_review(self) -> tuple[Skipped, ...]:
        return tuple(s for s in self.skipped if s.reason == SkipReason.NEEDS_REVIEW)


def award_key(rule: AutomaticAwardRule, enterprise_id: str) -> str:
    return f"automatic:{rule.code}:{enterprise_id}"


def run(rule: AutomaticAwardRule, candidates: Iterable[EnterpriseFacts], *, amounts: Iterable[DatedAmount], on: date,
        round_available_fen: int, per_enterprise_cap_fen: int, awarded_keys: Iterable[str] = (),
        awarded_in_round: Mapping[str, int] | None = None, group_received: Mapping[str, int] | None = None,
        existing_awards: Mapping[str, Iterable[ExistingAward]] | None = None) -> AwardRun:
    """Propose the rule's awards on ``on`` (module docstring). Maps are keyed by enterprise id:
    ``awarded_in_round`` — what the round already awarded the firm; ``group_received`` — what the firm received this
    year from the rule's conflict group; ``existing_awards`` — the firm's standing awards, for rules that read them.
    ``awarded_keys``: the keys of awards the rule already made."""
    amount = amount_in_force(amounts, issuer=rule.issuer, item=rule.amount_item, on=on)
    done = set(awarded_keys)
    in_round = awarded_in_round or {}
    received = group_received or {}
    standing = existing_awards or {}
    available = round_available_fen
    awards: list[ProposedAward] = []
    skipped: list[Skipped] = []
    not_eligible = 0
    for facts in sorted(candidates, key=lambda f: (f.uscc, f.enterprise_id)):
        result = evaluate(rule.eligibility, facts, on=on, awards=standing.get(facts.enterprise_id, ()))
        who = (facts.enterprise_id, facts.uscc)
        if result.outcome == EligibilityOutcome.NOT_ELIGIBLE:
            not_eligible += 1
            continue
        if result.outcome == EligibilityOutcome.NEEDS_REVIEW:
            skipped.append(Skipped(*who, SkipReason.NEEDS_REVIEW, result.summary(), result))
            continue
        key = award_key(rule, facts.enterprise_id)
        if key in done:
            skipped.append(Skipped(*who, SkipReason.ALREADY_AWARDED, f"{rule.code} already awarded the firm", result))
            continue
        group_fen = received.get(facts.enterprise_id, 0) if rule.conflict_group else 0
        pay = amount.amount_fen - group_fen
        if pay <= 0:
            skipped.append(Skipped(*who, SkipReason.SUPERSEDED, f"the firm received {yuan(group_fen)} from conflict "
                                   f"group {rule.conflict_group} this year, at least this award's "
                                   f"{yuan(amount.amount_fen)} (从高不重复)", result))
            continue
        headroom = per_enterprise_cap_fen - in_round.get(facts.enterprise_id, 0)
        if pay > headroom:
            skipped.append(Skipped(*who, SkipReason.ABOVE_ENTERPRISE_CAP, f"{yuan(pay)} is above the "
                                   f"{yuan(max(headroom, 0))} the firm may still receive from the round", result))
            continue
        if pay > available:
            skipped.append(Skipped(*who, SkipReason.BUDGET_EXHAUSTED, f"the round has {yuan(available)} left, less "
                                   f"than {yuan(pay)}", result))
            continue
        available -= pay
        done.add(key)
        awards.append(ProposedAward(key, facts.enterprise_id, facts.uscc, rule, pay, amount, result, group_fen))
    return AwardRun(rule, on, amount, tuple(awards), tuple(skipped), not_eligible)
