"""Tier evaluation engine: versioned rule sets (data) and the small interpreter that applies them.

Public API::

    evaluate(tier, inputs, evaluation_date, options=None, version=None, *, purpose=Purpose.APPLICATION)
        -> EvaluationResult
    select_rule_set(tier, evaluation_date, version=None) -> RuleSet
    apply_rule_set(rule_set, inputs, evaluation_date, options=None, *, purpose=...) -> EvaluationResult
    list_rule_sets(tier=None) -> tuple[RuleSet, ...]      get_rule_set(rule_set_id) -> RuleSet

Rule sets: most-2017-115/tech_sme, miit-2022-63/innovative_sme, miit-2022-63/srdi_sme, miit-2026-2/srdi_sme,
miit-2022-63/little_giant, miit-2026-2/little_giant, most-2016-32/hnte (REFERENCE §1–§3).
"""

from services.registry.domain.evaluation.engine import apply_rule_set, evaluate
from services.registry.domain.evaluation.model import (
    Boundary,
    CategoryResult,
    ConditionResult,
    Confidence,
    DirectRoute,
    EvaluationInputError,
    EvaluationOptions,
    EvaluationResult,
    HnteTwoYearGrowth,
    IndicatorResult,
    Outcome,
    Purpose,
)
from services.registry.domain.evaluation.registry import (
    MIIT_2026_SWITCH,
    RuleSetNotFound,
    get_rule_set,
    list_rule_sets,
    select_rule_set,
)
from services.registry.domain.evaluation.ruleset import RuleSet

__all__ = [
    "MIIT_2026_SWITCH",
    "Boundary",
    "CategoryResult",
    "ConditionResult",
    "Confidence",
    "DirectRoute",
    "EvaluationInputError",
    "EvaluationOptions",
    "EvaluationResult",
    "HnteTwoYearGrowth",
    "IndicatorResult",
    "Outcome",
    "Purpose",
    "RuleSet",
    "RuleSetNotFound",
    "apply_rule_set",
    "evaluate",
    "get_rule_set",
    "list_rule_sets",
    "select_rule_set",
]
