"""One worked example per tier through the API: the numbers of the engine's own hand-computed examples
(tests/registry/domain) entered as an officer would, evaluated, and compared with the expected outcome and with
the engine run directly on the same example. This proves the mapping from stored rows to engine inputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import httpx
import pytest

from services.registry.domain.evaluation import Outcome, evaluate
from tests.registry.figures_support import OFFICER, expert_inputs_body, register, submit_example

# Imported after figures_support, which puts the domain test directory on sys.path.
import registry_eval_builders as builders  # noqa: E402  isort: skip
import test_registry_eval_hnte as hnte  # noqa: E402  isort: skip
import test_registry_eval_innovative_sme as innovative  # noqa: E402  isort: skip
import test_registry_eval_little_giant as little_giant  # noqa: E402  isort: skip
import test_registry_eval_srdi as srdi  # noqa: E402  isort: skip
import test_registry_eval_tech_sme as tech_sme  # noqa: E402  isort: skip

YES_NO_HONOURS = ("quality_management_certified", "developed_market_product_certified", "provincial_quality_award",
                  "own_brand")

EXAMPLES = [
    # (tier, example, evaluation date, expected rule set, expected outcome, expected total)
    ("tech_sme", tech_sme.good_firm, builders.EVAL_2025, "most-2017-115/tech_sme", Outcome.ELIGIBLE, 100),
    ("tech_sme", tech_sme.weak_firm, builders.EVAL_2025, "most-2017-115/tech_sme", Outcome.NOT_ELIGIBLE, 4),
    ("innovative_sme", innovative.good_firm, builders.EVAL_2025, "miit-2022-63/innovative_sme", Outcome.ELIGIBLE, 95),
    ("srdi_sme", srdi.firm_2022, builders.EVAL_2025, "miit-2022-63/srdi_sme", Outcome.ELIGIBLE, 76),
    ("srdi_sme", srdi.firm_2026, builders.EVAL_2026, "miit-2026-2/srdi_sme", Outcome.ELIGIBLE, None),
    ("little_giant", little_giant.firm_2022, builders.EVAL_2025, "miit-2022-63/little_giant", Outcome.ELIGIBLE, None),
    ("little_giant", little_giant.firm_2026, builders.EVAL_2026, "miit-2026-2/little_giant", Outcome.ELIGIBLE, None),
    ("hnte", lambda: hnte.firm(hnte.PASSING_PINS), builders.EVAL_2025, "most-2016-32/hnte", Outcome.ELIGIBLE, 81),
]


@pytest.mark.parametrize(("tier", "make", "on", "rule_set", "outcome", "total"), EXAMPLES,
                         ids=[f"{e[0]}-{e[3].split('/')[0]}-{e[4].value}" for e in EXAMPLES])
async def test_worked_example_through_the_api(registry_client: httpx.AsyncClient, tier: str, make, on: date,
                                              rule_set: str, outcome: Outcome, total: int | None) -> None:
    example = make()
    firm = await register(registry_client, 40, established_on=example.profile.established_on.isoformat(),
                          industry_code=example.profile.industry_code)
    await submit_example(registry_client, firm, example)
    body = {"tier": tier, "evaluation_date": on.isoformat(), "expert_inputs": expert_inputs_body(example.judgements)}
    if example.tech_sme_rd_option is not None:
        body["tech_sme_rd_option"] = example.tech_sme_rd_option.value
    response = await registry_client.post(f"/v1/enterprises/{firm}/evaluations", json=body, headers=OFFICER)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert (stored["rule_set_id"], stored["outcome"], stored["total_score"]) == (rule_set, outcome.value, total)

    # The API's evaluation and the engine's on the example itself agree indicator by indicator, once the example
    # follows the registry's convention that an honour not recorded is not held (False, where the example may
    # leave it unknown).
    recorded = replace(example, honours=replace(example.honours, **{
        name: bool(getattr(example.honours, name)) for name in YES_NO_HONOURS}))
    direct = evaluate(tier, recorded, on)
    assert {i["code"]: i["points"] for i in stored["result"]["indicators"]} == {i.code: i.points for i in direct.indicators}
    assert {c["code"]: c["passed"] for c in stored["result"]["conditions"]} == {c.code: c.passed for c in direct.conditions}
    assert (stored["score_min"], stored["score_max"]) == (direct.score_min, direct.score_max)
