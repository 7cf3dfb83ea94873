"""The interpreter: apply a rule set to an enterprise's inputs on a date and explain the outcome."""

from __future__ import annotations

from datetime import date

from services.registry.domain.evaluation.conditions import Walker
from services.registry.domain.evaluation.context import EvaluationContext
from services.registry.domain.evaluation.model import (
    EvaluationOptions,
    EvaluationResult,
    Outcome,
    Purpose,
)
from services.registry.domain.evaluation.registry import select_rule_set
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.scoring import score_sheet
from services.registry.domain.figures import EvaluationInputs, Tier

OUTCOME_OF = {True: Outcome.ELIGIBLE, False: Outcome.NOT_ELIGIBLE, None: Outcome.NEEDS_REVIEW}


def evaluate(
    tier: Tier | str,
    inputs: EvaluationInputs,
    evaluation_date: date,
    options: EvaluationOptions | None = None,
    version: str | None = None,
    *,
    purpose: Purpose | str = Purpose.APPLICATION,
) -> EvaluationResult:
    """Evaluate ``inputs`` for ``tier`` under the rule set in force on ``evaluation_date`` (or ``version``).

    ``purpose=Purpose.RE_REVIEW`` applies the 复核 relaxations the 2026 texts define; a re-review usually also
    passes the ``version`` of the original certificate.
    """
    rule_set = select_rule_set(tier, evaluation_date, version)
    return apply_rule_set(rule_set, inputs, evaluation_date, options, purpose=purpose)


def apply_rule_set(
    rule_set: RuleSet,
    inputs: EvaluationInputs,
    evaluation_date: date,
    options: EvaluationOptions | None = None,
    *,
    purpose: Purpose | str = Purpose.APPLICATION,
) -> EvaluationResult:
    options = options or EvaluationOptions()
    ctx = EvaluationContext(inputs, evaluation_date, options, Purpose(purpose))
    sheet = score_sheet(rule_set.scoring, ctx) if rule_set.scoring else None
    walker = Walker(ctx, sheet)
    passed = walker.visit(rule_set.conditions, None)

    missing = list(walker.missing)
    manual = list(walker.manual)
    if sheet is not None:
        for ind in sheet.indicators:
            missing.extend(name for name in ind.missing_inputs if name not in missing)
            # An indicator waiting for an officer's or expert's judgement is a manual review, like a condition.
            if any(name.startswith("judgements.") for name in ind.missing_inputs) or ind.code in sheet.for_review:
                manual.append(f"indicator.{ind.code}")

    notes = []
    if not rule_set.in_force_on(evaluation_date):
        notes.append(
            f"{rule_set.id} is not in force on {evaluation_date.isoformat()}; applied because version "
            f"{rule_set.version!r} was requested (re-review)."
        )
    if sheet is not None and sheet.total.low < sheet.pass_score <= sheet.total.high:
        notes.append(
            f"the score lies in {sheet.total} around the pass mark {sheet.pass_score}: points not yet known decide it"
        )

    return EvaluationResult(
        rule_set_id=rule_set.id,
        tier=rule_set.tier,
        evaluation_date=evaluation_date,
        purpose=ctx.purpose,
        outcome=OUTCOME_OF[passed],
        total_score=None if sheet is None else sheet.total.exact,
        score_min=None if sheet is None else sheet.total.low,
        score_max=None if sheet is None else sheet.total.high,
        pass_score=None if sheet is None else sheet.pass_score,
        categories=() if sheet is None else sheet.categories,
        indicators=() if sheet is None else sheet.indicators,
        conditions=tuple(result for result in walker.results if result is not None),
        direct_route=walker.direct_routes[0] if walker.direct_routes else None,
        missing_inputs=tuple(missing),
        manual_reviews=tuple(manual),
        options=options,
        notes=tuple(notes),
        doubts=rule_set.doubts,
    )
