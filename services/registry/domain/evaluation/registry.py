"""The rule-set registry and version selection.

MIIT's 2022 criteria (工信部企业〔2022〕63号) give way to the 2026 measures (工信部企业〔2026〕2号) for applications
from 2026-04-01 (REFERENCE §0). A re-review (复核) may ask for the version the certificate was issued under,
e.g. the 2026 re-review of the 2023 小巨人 batch used the 2022 standard (工信厅企业函〔2026〕117号).
"""

from __future__ import annotations

from datetime import date

from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets import ALL_RULE_SETS
from services.registry.domain.evaluation.rulesets.common import MIIT_2026_SWITCH as MIIT_2026_SWITCH  # re-exported
from services.registry.domain.figures import Tier

RULE_SETS: dict[str, RuleSet] = {rule_set.id: rule_set for rule_set in ALL_RULE_SETS}
if len(RULE_SETS) != len(ALL_RULE_SETS):  # pragma: no cover - guards the data
    raise RuntimeError("two rule sets share an id")


class RuleSetNotFound(LookupError):
    """No rule set matches the tier, date or version asked for."""


def list_rule_sets(tier: Tier | str | None = None) -> tuple[RuleSet, ...]:
    """All rule sets, or those of one tier, oldest first."""
    wanted = None if tier is None else Tier(tier)
    chosen = [rs for rs in RULE_SETS.values() if wanted is None or rs.tier is wanted]
    return tuple(sorted(chosen, key=lambda rs: (rs.tier.value, rs.effective_from)))


def get_rule_set(rule_set_id: str) -> RuleSet:
    try:
        return RULE_SETS[rule_set_id]
    except KeyError:
        raise RuleSetNotFound(f"unknown rule set {rule_set_id!r}; known: {sorted(RULE_SETS)}") from None


def select_rule_set(tier: Tier | str, evaluation_date: date, version: str | None = None) -> RuleSet:
    """The rule set for ``tier`` in force on ``evaluation_date``; or, when ``version`` is given (a re-review
    asking for the standard the certificate was issued under), that version whatever the date.

    ``version`` may be the policy version ("miit-2022-63") or a full id ("miit-2022-63/little_giant").
    """
    tier = Tier(tier)
    candidates = list_rule_sets(tier)
    if not candidates:
        hint = (
            " 科技和创新型 has no merged standard yet; Article 30 keeps evaluating it with innovative_sme "
            "(miit-2022-63) or tech_sme (most-2017-115) (REFERENCE §0)."
            if tier is Tier.TECH_INNOVATIVE_SME
            else ""
        )
        raise RuleSetNotFound(f"no rule set for tier {tier.value}.{hint}")
    if version is not None:
        wanted, _, tier_part = version.partition("/")
        if tier_part and tier_part != tier.value:
            raise RuleSetNotFound(f"version {version!r} is for tier {tier_part}, not {tier.value}")
        for rule_set in candidates:
            if rule_set.version == wanted:
                return rule_set
        raise RuleSetNotFound(
            f"no version {wanted!r} for tier {tier.value}; known: {[rs.version for rs in candidates]}"
        )
    in_force = [rs for rs in candidates if rs.in_force_on(evaluation_date)]
    if not in_force:
        raise RuleSetNotFound(f"no rule set for tier {tier.value} in force on {evaluation_date.isoformat()}")
    return max(in_force, key=lambda rs: rs.effective_from)
