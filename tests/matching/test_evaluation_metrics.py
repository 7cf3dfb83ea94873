"""The evaluation metrics against values worked out by hand, and the evaluation set's own well-formedness."""

from __future__ import annotations

import math
import re

import pytest

from shared.classification import CLUSTERS, SECTORS
from shared.ids import HUZHOU_DISTRICTS, validate_uscc
from tests.matching.evaluation import (
    DATA,
    DemandResult,
    dcg,
    evaluate,
    judge,
    load_demands,
    load_firms,
    load_qrels,
    ndcg_at_k,
    paired_bootstrap,
    recall_at_k,
    reciprocal_rank,
    summarise,
)

# a ideal, b and e relevant, d marginal, c judged not relevant; x was never judged (counts 0).
JUDGED = {"a": 3, "b": 2, "c": 0, "d": 1, "e": 2}
# "a" comes back twice: only its first place counts.
RANKING = ["c", "a", "x", "e", "a", "d"]


def test_dcg_uses_linear_gain_and_log2_discount() -> None:
    # 3/log2(2) + 2/log2(3) + 1/log2(4)
    assert dcg([3, 2, 1]) == pytest.approx(3 + 2 / 1.5849625 + 0.5, abs=1e-6)
    assert dcg([3, 2, 1], k=1) == 3
    assert dcg([]) == 0


def test_ndcg_compares_with_the_ideal_order_of_every_judged_grade() -> None:
    # distinct ranking c, a, x, e, d → grades 0, 3, 0, 2, 1
    got = 3 / math.log2(3) + 2 / math.log2(5) + 1 / math.log2(6)  # 3.1409950
    ideal = 3 + 2 / math.log2(3) + 2 / math.log2(4) + 1 / math.log2(5)  # grades 3, 2, 2, 1, 0 → 5.6925361
    assert got / ideal == pytest.approx(0.551774, abs=1e-6)
    assert ndcg_at_k(RANKING, JUDGED) == pytest.approx(0.551774, abs=1e-6)
    # at k=2: (3/log2 3) / (3 + 2/log2 3)
    assert ndcg_at_k(RANKING, JUDGED, k=2) == pytest.approx(1.8927893 / 4.2618595, abs=1e-6)


def test_ndcg_of_the_ideal_ranking_is_one_and_of_nothing_is_zero() -> None:
    assert ndcg_at_k(["a", "b", "e", "d"], JUDGED) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "e", "b", "d"], JUDGED) == pytest.approx(1.0)  # ties between equal grades do not matter
    assert ndcg_at_k([], JUDGED) == 0
    assert ndcg_at_k(["c", "x"], JUDGED) == 0
    assert ndcg_at_k(["a"], {"a": 0, "b": 0}) == 0  # nothing relevant to find: no ideal


def test_recall_counts_grade_two_and_up_in_the_top_k() -> None:
    assert recall_at_k(RANKING, JUDGED) == pytest.approx(2 / 3)  # a and e of a, b, e
    assert recall_at_k(RANKING, JUDGED, k=2) == pytest.approx(1 / 3)
    assert recall_at_k(["d", "c"], JUDGED) == 0  # a marginal firm is not a find
    assert recall_at_k(["a", "a", "a"], JUDGED) == pytest.approx(1 / 3)  # repeats are not new finds


def test_reciprocal_rank_is_of_the_first_relevant_firm() -> None:
    assert reciprocal_rank(RANKING, JUDGED) == 0.5
    assert reciprocal_rank(["d", "c", "x", "b"], JUDGED) == 0.25
    assert reciprocal_rank(["c", "c", "e"], JUDGED) == 0.5  # the repeated c takes one place
    assert reciprocal_rank(["d"], JUDGED) == 0


def test_unanswerable_demands_are_left_out_of_the_averages_and_counted_apart() -> None:
    nobody = {"p": 0, "q": 1}
    results = [
        judge(["a", "b", "e", "d"], "D1", JUDGED),  # perfect
        judge(["c"], "D2", JUDGED),  # nothing found
        judge([], "D3", nobody),  # abstains: right
        judge(["q", "p"], "D4", nobody),  # names firms where nobody can do it
    ]
    summary = summarise(results)
    assert summary["ndcg@10"] == pytest.approx(0.5)
    assert summary["recall@10"] == pytest.approx(0.5)
    assert summary["mrr"] == pytest.approx(0.5)
    assert (summary["answerable"], summary["unanswerable"]) == (2, 2)
    assert (summary["abstained_correctly"], summary["false_alarms"]) == (1, 1)
    # its own figures are kept for the reader (q, marginal, came first) but are in no average
    assert summary["per_demand"]["D4"] == DemandResult("D4", False, 2, 1.0, 0.0, 0.0, 1, 0)
    # D2 returned c (judged); D1 four judged: nothing unjudged in the top 10
    assert summary["unjudged@10"] == 0
    assert judge(RANKING, "D1", JUDGED).unjudged_in_top_k == 1  # x


def test_evaluate_runs_a_ranker_over_every_demand() -> None:
    demands = [{"id": "D1", "title": "t"}, {"id": "D2", "title": "u"}]
    qrels = {"D1": JUDGED, "D2": {"a": 0}}
    answers = {"D1": ["a", "b", "e"], "D2": []}
    summary = evaluate(lambda d: answers[d["id"]], demands=demands, qrels=qrels)
    assert summary["ndcg@10"] == pytest.approx(dcg([3, 2, 2]) / dcg([3, 2, 2, 1]))
    assert summary["recall@10"] == 1.0
    assert summary["abstained_correctly"] == 1


def test_paired_bootstrap_brackets_the_mean_difference() -> None:
    assert paired_bootstrap([0.5, 0.7], [0.5, 0.7]) == (0.0, 0.0, 0.0)
    assert paired_bootstrap([0.6, 0.8, 0.9], [0.5, 0.7, 0.8]) == pytest.approx((0.1, 0.1, 0.1))
    mean, low, high = paired_bootstrap([1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0])
    assert (mean, low, high) == (0.5, 0.0, 1.0)  # so few and so spread: the interval spans everything possible
    with pytest.raises(ValueError):
        paired_bootstrap([], [])


# --- the data set -------------------------------------------------------------------------------------------------

FIRMS = load_firms()
DEMANDS = load_demands()
QRELS = load_qrels()
MIN_FIRMS, MIN_DEMANDS, MIN_UNANSWERABLE = 300, 40, 3


def test_the_set_is_as_large_as_promised() -> None:
    assert len(FIRMS) >= MIN_FIRMS
    assert len(DEMANDS) >= MIN_DEMANDS
    unanswerable = [d["id"] for d in DEMANDS if not any(g >= 2 for g in QRELS[d["id"]].values())]
    assert len(unanswerable) >= MIN_UNANSWERABLE


def test_firms_are_well_formed_read_model_records() -> None:
    usccs = [f["uscc"] for f in FIRMS]
    assert len(set(usccs)) == len(usccs)
    for f in FIRMS:
        assert validate_uscc(f["uscc"]) == f["uscc"]
        assert f["uscc"][2:8] == f["district_code"] in HUZHOU_DISTRICTS
        assert f["name"] and f["main_products"], f["uscc"]
        assert f["sector"] is None or f["sector"] in SECTORS
        assert f["cluster"] is None or f["cluster"] in CLUSTERS
        assert f["industry_code"] is None or re.fullmatch(r"[A-T]\d{2,4}", f["industry_code"])
        assert f["size_class"] in (None, "micro", "small", "medium", "large")
        assert f["pool"] in (None, "seedling_pool", "cultivation_pool")
        assert all(isinstance(t, str) and t for t in f["product_tags"] + f["capability_tags"] + f["held_tiers"])
    # a few records are in Traditional characters, as real ones sometimes are
    assert sum(1 for f in FIRMS if re.search("[業產飾軸氣動興裝]", f["name"] + (f["main_products"] or ""))) >= 3


def test_demands_are_well_formed() -> None:
    ids = [d["id"] for d in DEMANDS]
    assert len(set(ids)) == len(ids)
    firms = {f["uscc"] for f in FIRMS}
    for d in DEMANDS:
        assert d["kind"] in ("scenario", "challenge")
        assert d["title"] and len(d["description"]) >= 40
        assert d["sector"] in SECTORS and (d["cluster"] is None or d["cluster"] in CLUSTERS)
        assert d["district_code"] in HUZHOU_DISTRICTS
        assert d.get("publisher_uscc") is None or d["publisher_uscc"] in firms
        for indicator in d.get("indicators", []):
            assert set(indicator) == {"name", "target", "unit"} and isinstance(indicator["target"], int | float)


def test_judgements_refer_to_the_set_and_publishers_are_not_their_own_candidates() -> None:
    firms = {f["uscc"] for f in FIRMS}
    assert set(QRELS) == {d["id"] for d in DEMANDS}
    for demand_id, judged in QRELS.items():
        assert set(judged) <= firms, demand_id
        assert set(judged.values()) <= {0, 1, 2, 3}
        assert len(judged) >= 20, f"{demand_id}: the judged pool is too narrow to be fair to other rankers"
    for d in DEMANDS:
        if d.get("publisher_uscc"):
            assert QRELS[d["id"]][d["publisher_uscc"]] == 0, d["id"]


def test_the_labelling_guide_is_there() -> None:
    guide = (DATA / "LABELLING.md").read_text(encoding="utf-8")
    assert "unjudged" in guide.lower() and "3" in guide


def test_many_answers_share_few_words_with_their_demand() -> None:
    """The set must not reward word overlap alone: for at least a third of the answerable demands some firm of
    grade ≥ 2 shares at most two words (rjieba, as the baseline segments) with the demand's title and description
    (乳化液泵 answered by a 柱塞泵 maker, 母线支撑电容 by DC-Link 薄膜电容…)."""
    from bench._matching_baseline import demand_text, firm_text, tokens

    firms = {f["uscc"]: f for f in FIRMS}
    answerable = mismatched = 0
    for demand in DEMANDS:
        relevant = [u for u, g in QRELS[demand["id"]].items() if g >= 2]
        if not relevant:
            continue
        answerable += 1
        words = set(tokens(demand_text(demand)))
        if min(len(words & set(tokens(firm_text(firms[u])))) for u in relevant) <= 2:
            mismatched += 1
    assert mismatched * 3 >= answerable, (mismatched, answerable)
