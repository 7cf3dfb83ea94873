"""The annual re-evaluation after a rule set's content changes without a new version: the evaluation digest covers
the rule set's own content, so a firm skipped as unchanged before the edit is re-run after it, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from services.registry.domain.evaluation import registry as rule_registry
from services.registry.domain.evaluation.conditions import AllOf, AnyOf, AtMost, Check, Node
from services.registry.service.evaluation_inputs import EnterpriseFacts, Question, build_inputs, question_digest
from services.registry.service.evaluations import reevaluate_all
from shared.db import create_engine, session_factory
from tests.registry.figures_support import OFFICER, database_url
from tests.registry.test_evaluations_api import evaluate, tech_sme_firm
from tests.support import settings_for

TECH_SME = "most-2017-115/tech_sme"


def with_check_replaced(node: Node, code: str, **changes: Any) -> Node:
    """The condition tree with the check ``code`` changed (the rule set's version stays the same)."""
    if isinstance(node, Check) and node.code == code:
        return replace(node, **changes)
    if isinstance(node, AllOf | AnyOf):
        return replace(node, children=tuple(with_check_replaced(child, code, **changes) for child in node.children))
    return node


def stricter_tech_sme() -> Any:
    """科技型 with 职工总数 ≤ 40 instead of ≤ 500: the worked-example firm (50 staff) is no longer eligible."""
    original = rule_registry.RULE_SETS[TECH_SME]
    changed = replace(original, conditions=with_check_replaced(original.conditions, "t2.employees", test=AtMost(40)))
    assert changed.id == original.id and changed.version == original.version
    assert changed.fingerprint != original.fingerprint
    return changed


def test_the_digest_covers_the_rule_set_content() -> None:
    facts = EnterpriseFacts(enterprise=SimpleNamespace(uscc="91330502MA2B3C4D5E", name="一家企业", established_on=None,
                                                       industry_code=None))
    question = Question(tier="tech_sme", evaluation_date=date(2025, 6, 1))
    original = rule_registry.RULE_SETS[TECH_SME]
    inputs = build_inputs(facts, question)
    assert question_digest(question, inputs, original) == question_digest(question, inputs, replace(original))
    assert question_digest(question, inputs, original) != question_digest(question, inputs, stricter_tech_sme())


async def test_annual_reevaluation_reruns_a_firm_after_its_rule_set_changes(
    registry_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    firm = await tech_sme_firm(registry_client, 41)
    first = (await evaluate(registry_client, firm)).json()
    assert (first["rule_set_id"], first["outcome"], first["total_score"]) == (TECH_SME, "eligible", 100)
    url = database_url(registry_client)
    engine = create_engine(url)
    try:
        sessions, settings = session_factory(engine), settings_for("registry", url)
        unchanged = await reevaluate_all(sessions, settings)
        assert (unchanged.considered, unchanged.evaluated, unchanged.unchanged) == (1, 0, 1)

        # The rule set is corrected in place: same id and version, another threshold.
        monkeypatch.setitem(rule_registry.RULE_SETS, TECH_SME, stricter_tech_sme())
        after_change = await reevaluate_all(sessions, settings)
        assert (after_change.evaluated, after_change.unchanged, after_change.failed) == (1, 0, 0)
        assert after_change.outcomes == {"not_eligible": 1}
        # Once re-run under the new content, the firm is skipped again.
        again = await reevaluate_all(sessions, settings)
        assert (again.evaluated, again.unchanged) == (0, 1)

        # Back to the original content: the digests differ again, so the firm is re-run once more.
        monkeypatch.undo()
        restored = await reevaluate_all(sessions, settings)
        assert (restored.evaluated, restored.unchanged, dict(restored.outcomes)) == (1, 0, {"eligible": 1})
    finally:
        await engine.dispose()

    items = (await registry_client.get(f"/v1/enterprises/{firm}/evaluations", headers=OFFICER)).json()["items"]
    [latest, rerun, original] = items
    assert original["id"] == first["id"]
    assert (rerun["trigger"], rerun["rerun_of"], rerun["rule_set_id"], rerun["outcome"]) == (
        "bulk", first["id"], TECH_SME, "not_eligible")
    assert rerun["evaluation_date"] == "2025-06-01"  # the same question, asked of the changed rule set
    read = (await registry_client.get(f"/v1/enterprises/{firm}/evaluations/{rerun['id']}", headers=OFFICER)).json()
    failed = {c["code"]: c for c in read["result"]["conditions"]}["t2.employees"]
    assert failed["passed"] is False and "≤ 40" in failed["detail"]
    assert (latest["rerun_of"], latest["outcome"], latest["total_score"]) == (rerun["id"], "eligible", 100)
