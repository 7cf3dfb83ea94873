"""Inputs and results survive a trip through plain JSON data, so the service can store and replay them."""

import json
from datetime import date
from decimal import Decimal

import pytest
from registry_eval_builders import EVAL_2025, certification, inputs, invention, score, software, year

from services.registry.domain.evaluation import EvaluationOptions, evaluate
from services.registry.domain.figures import (
    AnnualFigures,
    CertificationKind,
    EvaluationInputs,
    ExpertJudgements,
    Honours,
    Incident,
    IncidentKind,
    MakerChinaPlacing,
    RdInstitution,
    RdInstitutionLevel,
    ScienceAward,
    StandardWork,
)
from services.registry.domain.plain import from_plain, to_plain


def rich_inputs() -> EvaluationInputs:
    return inputs(
        year(2023, operating_revenue_wan="1234.56", market_share="0.125", digital_maturity_level=2),
        year(2024, employees=50, rd_expense_wan=120, equity_financing_wan=0),
        ip=(invention("ZL202110182616.5"), software("2021SR0000001", high_value=None)),
        honours=Honours(
            certifications=(certification(CertificationKind.HNTE),),
            rd_institutions=(RdInstitution("省级企业研究院", RdInstitutionLevel.PROVINCIAL_MINISTERIAL, True, date(2022, 3, 1)),),
            science_awards=(ScienceAward("浙江省科学技术进步奖", "provincial_ministerial", 2023, rank=2),),
            standards=(StandardWork("GB/T 12345-2024", "national", "lead", 2024),),
            maker_china_placings=(MakerChinaPlacing(2023, 500),),
            own_brand=True,
        ),
        judgements=ExpertJudgements(hnte_technology_advancement_grade="A", hnte_points={"conversion": 22},
                                    local_feature_score=9),
        scores=(score(2026, "57.5"),),
        tech_sme_rd_option="cost",
    )


def test_inputs_round_trip_through_json():
    original = rich_inputs()
    stored = json.loads(json.dumps(to_plain(original), ensure_ascii=False))
    assert stored["annual"][0]["market_share"] == "0.125"  # decimals travel as exact strings
    assert from_plain(EvaluationInputs, stored) == original


def test_profile_incidents_round_trip():
    data = inputs(profile=inputs().profile.__class__(incidents=(Incident(IncidentKind.SAFETY, date(2024, 1, 2)),)))
    assert from_plain(EvaluationInputs, to_plain(data)) == data


def test_result_to_dict_is_plain_json():
    result = evaluate("innovative_sme", rich_inputs(), EVAL_2025, EvaluationOptions(boundary="lower"))
    plain = result.to_dict()
    text = json.dumps(plain, ensure_ascii=False)
    assert plain["rule_set_id"] == "miit-2022-63/innovative_sme"
    assert plain["options"]["boundary"] == "lower"
    assert plain["outcome"] in {"eligible", "not_eligible", "needs_review"}
    assert {"code", "label", "passed", "detail"} <= set(plain["conditions"][0])
    assert {"code", "label", "value", "points", "max_points", "band"} <= set(plain["indicators"][0])
    assert "创新" in text
    assert from_plain(EvaluationOptions, plain["options"]) == result.options


def test_from_plain_refuses_unknown_keys_and_floats():
    with pytest.raises(ValueError, match="unknown keys"):
        from_plain(AnnualFigures, {"year": 2024, "employes": 3})
    with pytest.raises(TypeError, match="float"):
        from_plain(AnnualFigures, {"year": 2024, "market_share": 0.1})


def test_constructors_refuse_floats_for_decimals():
    with pytest.raises(TypeError):
        AnnualFigures(year=2024, market_share=0.1)
    assert AnnualFigures(year=2024, market_share="0.1").market_share == Decimal("0.1")
