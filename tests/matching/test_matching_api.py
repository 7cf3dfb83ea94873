"""Matching's API on PostgreSQL and SQLite: candidates, opportunities, search and feedback, as their users see them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.matching import jobs
from services.matching.domain.ranking import WEIGHTS
from shared.auth import CITY_WIDE, Role
from tests.matching.matching_builders import (
    LOOM_FIRM,
    NEV_FIRM,
    SIC_FIRM,
    SIC_SCENARIO,
    Matching,
    appoint,
    list_patent,
    publish_challenge,
    visible,
)
from tests.support import count_rows, make_uscc, settings_for, token

ADMIN = token(Role.ADMIN)
OFFICER = token(Role.OFFICER, districts=["330502"])
CITY_OFFICER = token(Role.OFFICER, districts=[CITY_WIDE])


@pytest.fixture
async def world(matching_client: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    m = Matching(matching_client)
    sic = await m.firm(1, "330502", **SIC_FIRM)
    loom = await m.firm(2, "330503", **LOOM_FIRM)
    nev = await m.firm(3, "330522", **NEV_FIRM)
    # The lead firm that publishes the SiC scenario makes SiC devices itself: its profile repeats the scenario.
    lead = await m.firm(4, "330502", name="湖州芯动功率半导体有限公司", main_products="碳化硅MOSFET功率器件",
                        technical_capabilities="碳化硅衬底来料检验，功率模块封装", product_tags=["碳化硅MOSFET"],
                        sector="strategic_emerging", cluster="new_materials")
    scenario = await m.scenario(publisher_uscc=lead["uscc"], **SIC_SCENARIO)
    path = f"/v1/scenarios/{scenario}/candidates"
    # The index has caught up with every event above once the scenario is searchable and has candidates.
    await visible(matching_client, "/v1/search/demands", ADMIN, lambda body: body["items"], q="碳化硅衬底")
    await visible(matching_client, path, ADMIN, lambda body: body["items"])
    yield {"m": m, "client": matching_client, "sic": sic, "loom": loom, "nev": nev, "lead": lead,
           "scenario": scenario, "path": path}
    await m.close()


async def test_the_firm_that_makes_sic_substrates_ranks_first_and_explains_why(world: dict[str, Any]) -> None:
    client, sic, loom = world["client"], world["sic"], world["loom"]
    body = (await client.get(world["path"], headers=ADMIN)).json()
    usccs = [c["uscc"] for c in body["items"]]
    assert usccs[0] == sic["uscc"]
    assert loom["uscc"] not in usccs[:1]
    if loom["uscc"] in usccs:
        assert body["items"][usccs.index(loom["uscc"])]["score"] < body["items"][0]["score"]
    assert world["lead"]["uscc"] not in usccs, "the publisher is never its own candidate"
    assert body["verdict"] == "strong" and body["strong_candidates"] >= 1
    top = body["items"][0]
    assert top["enterprise_id"] == str(sic["enterprise_id"]) and top["name"] == SIC_FIRM["name"]
    assert "碳化硅衬底" in top["matched_terms"] and top["matched_tags"] == ["碳化硅衬底"]
    signals = top["signals"]
    assert set(signals) == set(WEIGHTS)
    assert signals["cluster"]["points"] == WEIGHTS["cluster"] and signals["district"]["value"] == 1.0
    assert abs(sum(s["points"] for s in signals.values()) - top["score"]) < 1e-3
    assert body["demand"] == {"kind": "scenario", "id": str(world["scenario"]), "title": SIC_SCENARIO["title"]}


async def test_once_the_vectors_are_stored_every_result_explains_its_semantic_points(world: dict[str, Any]) -> None:
    client, sic = world["client"], world["sic"]
    settings = settings_for("matching", client.database_url)  # type: ignore[attr-defined]
    # 4 firms and the scenario, none embedded yet (these rows came without the worker's embeddings consumer).
    assert await jobs.embed_missing(settings) == (5, 5)
    assert await jobs.embed_missing(settings) == (5, 0), "a text already stored is not embedded again"
    body = await visible(client, world["path"], ADMIN, lambda b: b["items"][0]["signals"]["semantic"]["value"] > 0)
    top = body["items"][0]
    assert top["uscc"] == sic["uscc"]
    semantic = top["signals"]["semantic"]
    assert semantic["weight"] == WEIGHTS["semantic"] and semantic["points"] == round(
        semantic["value"] * WEIGHTS["semantic"], 4)
    assert abs(sum(s["points"] for s in top["signals"].values()) - top["score"]) < 1e-3
    found = (await client.get("/v1/search/enterprises", params={"q": "碳化硅衬底"}, headers=ADMIN)).json()["items"]
    assert found[0]["key"] == sic["uscc"] and found[0]["semantic"] > 0


async def test_a_demand_no_registered_firm_can_do_gets_no_strong_candidate(world: dict[str, Any]) -> None:
    client, m = world["client"], world["m"]
    scenario = await m.scenario(title="量子计算机稀释制冷机国产化", description="需要稀释制冷机与超导量子比特测控系统",
                                sector="future_industries", capability_tags=["量子测控"])
    body = await visible(client, f"/v1/scenarios/{scenario}/candidates", ADMIN, lambda b: True)
    # At most a weak possibility (a firm whose profile says 系统), never a strong candidate.
    assert body["verdict"] in ("none", "weak_only") and body["strong_candidates"] == 0
    assert not any(c["strong"] for c in body["items"])
    assert all(c["signals"]["text"]["value"] < 0.2 for c in body["items"])


async def test_filters_narrow_the_candidates(world: dict[str, Any]) -> None:
    client, m, sic = world["client"], world["m"], world["sic"]
    elsewhere = await m.firm(5, "330521", **{**SIC_FIRM, "name": "德清碳化硅材料有限公司"})
    await m.tiers(elsewhere, "srdi_sme")
    # Visible once the index has caught up with both events (registration, then the tier).
    await visible(client, world["path"], ADMIN, lambda b: b["items"], tier="srdi_sme")
    both = (await client.get(world["path"], headers=ADMIN)).json()
    assert {sic["uscc"], elsewhere["uscc"]} <= {c["uscc"] for c in both["items"]}
    only_deqing = (await client.get(world["path"], params={"district_code": "330521"}, headers=ADMIN)).json()
    assert [c["uscc"] for c in only_deqing["items"]] == [elsewhere["uscc"]]
    srdi = (await client.get(world["path"], params={"tier": ["srdi_sme", "little_giant"]}, headers=ADMIN)).json()
    assert [c["uscc"] for c in srdi["items"]] == [elsewhere["uscc"]]
    eligible = (await client.get(world["path"], params={"eligible_only": "true"}, headers=ADMIN)).json()
    assert [c["uscc"] for c in eligible["items"]] == [elsewhere["uscc"]]
    one = (await client.get(world["path"], params={"limit": 1}, headers=ADMIN)).json()
    assert len(one["items"]) == 1


async def test_a_profile_change_reaches_the_candidates(world: dict[str, Any]) -> None:
    client, m, nev = world["client"], world["m"], world["nev"]
    await m.update_firm(nev, main_products="碳化硅衬底切磨抛代工", product_tags=["碳化硅衬底"])
    body = await visible(client, world["path"], ADMIN, lambda b: nev["uscc"] in [c["uscc"] for c in b["items"]])
    assert body["items"][0]["uscc"] == world["sic"]["uscc"]


async def test_who_may_read_a_scenarios_candidates(world: dict[str, Any]) -> None:
    client, path = world["client"], world["path"]
    assert (await client.get(path, headers=token(Role.ENTERPRISE, uscc=world["lead"]["uscc"]))).status_code == 200
    assert (await client.get(path, headers=token(Role.ENTERPRISE, uscc=world["sic"]["uscc"]))).status_code == 404
    assert (await client.get(path, headers=token(Role.OFFICER, districts=["330523"]))).status_code == 200
    assert (await client.get(path, headers=token(Role.REVIEWER))).status_code == 403
    assert (await client.get(f"/v1/scenarios/{uuid.uuid4()}/candidates", headers=ADMIN)).status_code == 404
    bad = await client.get(path, params={"limit": 51}, headers=ADMIN)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(path, params={"district_code": "33050"}, headers=ADMIN)).status_code == 422
    assert (await client.get(path, params={"tier": "gold"}, headers=ADMIN)).status_code == 422


async def test_a_closed_scenario_keeps_its_candidates_but_leaves_the_opportunities(world: dict[str, Any]) -> None:
    client, m, sic = world["client"], world["m"], world["sic"]
    opportunities = f"/v1/enterprises/{sic['enterprise_id']}/opportunities"
    body = await visible(client, opportunities, ADMIN, lambda b: b["items"])
    assert body["items"][0]["demand"]["id"] == str(world["scenario"])
    await m.close_scenario(world["scenario"], **SIC_SCENARIO, publisher_kind="enterprise",
                           publisher_uscc=world["lead"]["uscc"], district_code="330502")
    await visible(client, opportunities, ADMIN, lambda b: b["items"] == [])
    assert (await client.get(world["path"], headers=ADMIN)).json()["items"][0]["uscc"] == sic["uscc"]


async def test_opportunities_score_the_pair_as_the_candidates_do(world: dict[str, Any]) -> None:
    client, sic, loom = world["client"], world["sic"], world["loom"]
    body = await visible(client, f"/v1/enterprises/{sic['enterprise_id']}/opportunities", ADMIN, lambda b: b["items"])
    candidates = (await client.get(world["path"], headers=ADMIN)).json()
    assert body["items"][0]["score"] == candidates["items"][0]["score"]
    assert body["items"][0]["signals"] == candidates["items"][0]["signals"]
    assert body["uscc"] == sic["uscc"] and body["verdict"] == "strong"
    # The loom maker has no SiC business: nothing for it.
    loom_view = (await client.get(f"/v1/enterprises/{loom['enterprise_id']}/opportunities", headers=ADMIN)).json()
    assert loom_view["items"] == []
    own = await client.get(f"/v1/enterprises/{sic['enterprise_id']}/opportunities",
                           headers=token(Role.ENTERPRISE, uscc=sic["uscc"]))
    assert own.status_code == 200
    other = await client.get(f"/v1/enterprises/{sic['enterprise_id']}/opportunities",
                             headers=token(Role.ENTERPRISE, uscc=loom["uscc"]))
    assert other.status_code == 404
    assert (await client.get(f"/v1/enterprises/{sic['enterprise_id']}/opportunities",
                             headers=token(Role.OFFICER, districts=["330503"]))).status_code == 404
    assert (await client.get(f"/v1/enterprises/{uuid.uuid4()}/opportunities", headers=ADMIN)).status_code == 404
    only_patents = await client.get(f"/v1/enterprises/{sic['enterprise_id']}/opportunities",
                                    params={"kind": "patent"}, headers=ADMIN)
    assert only_patents.json()["items"] == []


@pytest.mark.parametrize("query", ["碳化矽襯底", "碳化硅衬底", "ＳＩＣ 衬底", "6英寸 SiC substrate 衬底"])
async def test_search_firms_in_traditional_simplified_full_width_and_mixed_english(world: dict[str, Any], query: str
                                                                                     ) -> None:
    body = (await world["client"].get("/v1/search/enterprises", params={"q": query}, headers=ADMIN)).json()
    assert body["items"][0]["key"] == world["sic"]["uscc"], body
    assert body["items"][0]["matched_terms"]


async def test_search_by_model_number_and_bad_queries(world: dict[str, Any]) -> None:
    client, m = world["client"], world["m"]
    await m.firm(6, "330502", name="湖州伺服科技有限公司", main_products="HX-200A型伺服驱动器", sector="advanced_manufacturing")
    body = await visible(client, "/v1/search/enterprises", ADMIN, lambda b: b["items"], q="hx200a")
    assert body["items"][0]["title"] == "湖州伺服科技有限公司"
    punctuation = await client.get("/v1/search/enterprises", params={"q": "！？。，…"}, headers=ADMIN)
    assert punctuation.status_code == 200 and punctuation.json()["items"] == []
    for q in ("", "碳" * 201):
        refused = await client.get("/v1/search/enterprises", params={"q": q}, headers=ADMIN)
        assert refused.status_code == 422, q
        assert refused.json()["errors"][0]["field"] == "q" if "errors" in refused.json() else "q" in refused.text
    assert (await client.get("/v1/search/enterprises", params={"q": "   "}, headers=ADMIN)).status_code == 422
    assert (await client.get("/v1/search/enterprises", params={"q": "a\x00b"}, headers=ADMIN)).status_code == 422


async def test_search_firms_is_scoped_to_an_officers_districts(world: dict[str, Any]) -> None:
    client = world["client"]
    mine = (await client.get("/v1/search/enterprises", params={"q": "织机"}, headers=OFFICER)).json()
    assert mine["items"] == []  # the loom maker is in 330503
    city = (await client.get("/v1/search/enterprises", params={"q": "织机"}, headers=CITY_OFFICER)).json()
    assert [h["key"] for h in city["items"]] == [world["loom"]["uscc"]]
    assert (await client.get("/v1/search/enterprises", params={"q": "织机"},
                             headers=token(Role.ENTERPRISE, uscc=world["sic"]["uscc"]))).status_code == 403


async def test_search_demands_for_every_role(world: dict[str, Any]) -> None:
    client = world["client"]
    for headers in (ADMIN, token(Role.ENTERPRISE, uscc=world["loom"]["uscc"]), token(Role.REVIEWER)):
        body = (await client.get("/v1/search/demands", params={"q": "碳化矽 衬底"}, headers=headers)).json()
        assert body["items"][0]["id"] == str(world["scenario"]) and body["items"][0]["kind"] == "scenario"
    none = (await client.get("/v1/search/demands", params={"q": "碳化硅", "kind": "challenge"}, headers=ADMIN)).json()
    assert none["items"] == []


# --- feedback ----------------------------------------------------------------------------------------------------

def mark_path(world: dict[str, Any], firm: str) -> str:
    return f"/v1/feedback/scenario/{world['scenario']}/{world[firm]['uscc']}"


async def score_of(world: dict[str, Any], uscc: str) -> dict[str, Any]:
    body = (await world["client"].get(world["path"], headers=ADMIN)).json()
    return next(c for c in body["items"] if c["uscc"] == uscc)


async def test_feedback_is_one_current_mark_per_marker_and_sent_as_an_event(world: dict[str, Any]) -> None:
    client = world["client"]
    first = await client.put(mark_path(world, "sic"), json={"mark": "useful"}, headers=OFFICER)
    assert first.status_code == 201, first.text
    assert first.json()["relation"] == "officer" and first.json()["mark"] == "useful"
    again = await client.put(mark_path(world, "sic"), json={"mark": "deal", "note": "已签订供货协议"}, headers=OFFICER)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and again.json()["mark"] == "deal"
    same = await client.put(mark_path(world, "sic"), json={"mark": "deal", "note": "已签订供货协议"}, headers=OFFICER)
    assert same.status_code == 200 and same.json()["version"] == again.json()["version"]
    url = client.database_url  # type: ignore[attr-defined]
    assert await count_rows(url, "match_feedback") == 1
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.matching.match.feedback.v1'") == 2
    listed = (await client.get("/v1/feedback", headers=OFFICER)).json()
    assert [f["mark"] for f in listed["items"]] == ["deal"]
    other = token(Role.OFFICER, subject="officer-elsewhere", districts=["330503"])
    assert (await client.get("/v1/feedback", headers=other)).json()["items"] == []


async def test_an_officers_deal_lifts_a_candidate_and_a_firms_own_clicks_do_not(world: dict[str, Any]) -> None:
    client, nev = world["client"], world["nev"]
    await world["m"].update_firm(nev, main_products="碳化硅衬底切磨抛代工", product_tags=["碳化硅衬底"])
    before = await visible(client, world["path"], ADMIN, lambda b: nev["uscc"] in [c["uscc"] for c in b["items"]])
    before_score = next(c for c in before["items"] if c["uscc"] == nev["uscc"])["score"]
    own = token(Role.ENTERPRISE, uscc=nev["uscc"])
    assert (await client.put(mark_path(world, "nev"), json={"mark": "deal"}, headers=own)).json()["relation"] == "candidate"
    assert (await client.put(mark_path(world, "nev"), json={"mark": "useful"}, headers=own)).status_code == 200
    await asyncio.sleep(0.5)  # several polls of the index
    assert (await score_of(world, nev["uscc"]))["signals"]["feedback"]["value"] == 0.0
    deal = await client.put(mark_path(world, "nev"), json={"mark": "deal"}, headers=CITY_OFFICER)
    assert deal.status_code == 201
    lifted = await visible(client, world["path"], ADMIN, lambda b: any(
        c["uscc"] == nev["uscc"] and c["signals"]["feedback"]["value"] > 0 for c in b["items"]))
    after = next(c for c in lifted["items"] if c["uscc"] == nev["uscc"])
    assert after["score"] > before_score
    assert after["score"] - before_score <= WEIGHTS["feedback"] + 1e-9  # capped by the feedback weight


async def test_who_may_mark_a_match(world: dict[str, Any]) -> None:
    client = world["client"]
    publisher = await client.put(mark_path(world, "sic"), json={"mark": "contacted"},
                                 headers=token(Role.ENTERPRISE, uscc=world["lead"]["uscc"]))
    assert publisher.status_code == 201 and publisher.json()["relation"] == "publisher"
    stranger = await client.put(mark_path(world, "sic"), json={"mark": "useful"},
                                headers=token(Role.ENTERPRISE, uscc=world["loom"]["uscc"]))
    assert stranger.status_code == 404
    far_officer = await client.put(mark_path(world, "sic"), json={"mark": "useful"},
                                   headers=token(Role.OFFICER, districts=["330523"]))
    assert far_officer.status_code == 404
    assert (await client.put(mark_path(world, "sic"), json={"mark": "useful"}, headers=token(Role.REVIEWER))).status_code == 403
    assert (await client.put(mark_path(world, "sic"), json={"mark": "great"}, headers=OFFICER)).status_code == 422
    assert (await client.put(mark_path(world, "sic"), json={"mark": "useful", "x": 1}, headers=OFFICER)).status_code == 422
    unknown_firm = f"/v1/feedback/scenario/{world['scenario']}/{make_uscc(999)}"
    assert (await client.put(unknown_firm, json={"mark": "useful"}, headers=OFFICER)).status_code == 404
    unknown_demand = f"/v1/feedback/scenario/{uuid.uuid4()}/{world['sic']['uscc']}"
    assert (await client.put(unknown_demand, json={"mark": "useful"}, headers=OFFICER)).status_code == 404


async def test_concurrent_marks_by_one_marker_leave_one_row(world: dict[str, Any]) -> None:
    client = world["client"]
    if client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL (SQLite serialises writers by itself)")
    marks = ["useful", "contacted", "deal", "not_useful"] * 3
    answers = await asyncio.gather(*(client.put(mark_path(world, "sic"), json={"mark": m}, headers=OFFICER)
                                     for m in marks))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and statuses.count(200) == len(marks) - 1, statuses
    assert await count_rows(client.database_url, "match_feedback") == 1  # type: ignore[attr-defined]


# --- challenges and patents --------------------------------------------------------------------------------------

CHALLENGE = dict(title="6英寸碳化硅衬底微管密度攻关", background="功率器件良率受衬底微管与位错影响，征集能将6英寸碳化硅衬底"
                 "微管密度降到0.5个每平方厘米以下的长晶团队。", sector="strategic_emerging", cluster="new_materials",
                 capability_tags=["碳化硅衬底", "长晶"])


async def test_a_challenges_candidates_honour_its_eligibility_and_an_appointment_counts_as_a_deal(
        world: dict[str, Any]) -> None:
    client, m, sic = world["client"], world["m"], world["sic"]
    other_sic = await m.firm(7, "330521", **{**SIC_FIRM, "name": "德清晶源碳化硅有限公司"})
    await m.tiers(other_sic, "tech_sme", "srdi_sme")
    challenge = await publish_challenge(m, issuer_uscc=world["lead"]["uscc"], eligibility={"min_tier": "srdi_sme"},
                                        **CHALLENGE)
    path = f"/v1/challenges/{challenge}/candidates"
    body = await visible(client, path, ADMIN, lambda b: len(b["items"]) >= 2)
    assert {c["uscc"] for c in body["items"][:2]} == {sic["uscc"], other_sic["uscc"]}
    assert world["lead"]["uscc"] not in [c["uscc"] for c in body["items"]]
    eligible = await visible(client, path, ADMIN, lambda b: b["items"], eligible_only="true")
    assert [c["uscc"] for c in eligible["items"]] == [other_sic["uscc"]]  # srdi_sme at least
    assert (await client.get(path, headers=token(Role.ENTERPRISE, uscc=world["lead"]["uscc"]))).status_code == 200
    assert (await client.get(path, headers=token(Role.ENTERPRISE, uscc=sic["uscc"]))).status_code == 404
    # Opportunities list the open challenge with the scenario.
    opportunities = await visible(client, f"/v1/enterprises/{sic['enterprise_id']}/opportunities", ADMIN,
                                  lambda b: {i["demand"]["kind"] for i in b["items"]} == {"scenario", "challenge"})
    assert all(i["strong"] for i in opportunities["items"])
    # The other firm is appointed (挂帅): its feedback signal rises on its other matches (a track record).
    await appoint(m, challenge, other_sic["uscc"], title=CHALLENGE["title"], district_code="330502",
                  issuer={"kind": "enterprise", "uscc": world["lead"]["uscc"]},
                  bounty={"total_fen": 100_000_000, "issuer_fen": 50_000_000, "public_fen": 50_000_000})
    lifted = await visible(client, world["path"], ADMIN, lambda b: any(
        c["uscc"] == other_sic["uscc"] and c["signals"]["feedback"]["value"] > 0 for c in b["items"]))
    assert lifted["items"][0]["uscc"] in (sic["uscc"], other_sic["uscc"])
    # Appointed, the challenge is no longer open: it leaves the opportunities; its candidates stay readable.
    await visible(client, f"/v1/enterprises/{sic['enterprise_id']}/opportunities", ADMIN,
                  lambda b: {i["demand"]["kind"] for i in b["items"]} == {"scenario"})
    assert (await client.get(path, headers=ADMIN)).status_code == 200
    marked = await client.put(f"/v1/feedback/challenge/{challenge}/{sic['uscc']}", json={"mark": "contacted"},
                              headers=OFFICER)
    assert marked.status_code == 201 and marked.json()["demand_kind"] == "challenge"


async def test_listed_patents_are_opportunities_and_searchable(world: dict[str, Any]) -> None:
    client, m, sic, loom = world["client"], world["m"], world["sic"], world["loom"]
    patent = await list_patent(m, title="一种降低碳化硅单晶微管密度的物理气相传输长晶方法",
                               abstract="本发明公开一种碳化硅衬底用单晶的PVT长晶方法，通过温场控制降低微管密度。")
    body = await visible(client, f"/v1/enterprises/{sic['enterprise_id']}/opportunities", ADMIN,
                         lambda b: b["items"], kind="patent")
    assert [(i["demand"]["kind"], i["demand"]["id"]) for i in body["items"]] == [("patent", str(patent))]
    assert "长晶" in body["items"][0]["matched_terms"]
    loom_view = await client.get(f"/v1/enterprises/{loom['enterprise_id']}/opportunities", params={"kind": "patent"},
                                 headers=ADMIN)
    assert not any(i["strong"] for i in loom_view.json()["items"])  # at most a weak "控制"
    found = (await client.get("/v1/search/demands", params={"q": "PVT 長晶", "kind": "patent"},
                              headers=token(Role.INSTITUTE, institute_id="zju"))).json()
    assert [h["id"] for h in found["items"]] == [str(patent)]


async def test_a_scenario_closed_after_a_successful_trial_counts_as_its_suppliers_deal(world: dict[str, Any]) -> None:
    client, m = world["client"], world["m"]
    proven = await m.firm(8, "330521", **{**SIC_FIRM, "name": "德清晶源碳化硅有限公司"})
    failed = await m.firm(9, "330522", **{**SIC_FIRM, "name": "长兴晶耀碳化硅有限公司"})
    body = await visible(client, world["path"], ADMIN,
                         lambda b: {proven["uscc"], failed["uscc"]} <= {c["uscc"] for c in b["items"]})
    assert all(c["signals"]["feedback"]["value"] == 0 for c in body["items"])
    trial = dict(title="碳化硅衬底小批量试用", description="试用6英寸碳化硅衬底", sector="strategic_emerging")
    closing = dict(publisher_kind="department", publisher_department="湖州市经信局", district_code="330502", **trial)
    tried, rolled_out = await m.scenario(**trial), await m.scenario(**trial)
    # Closed in this order: once the roll-out shows, the failed pilot (committed before it) has been read too.
    await m.close_scenario(tried, outcome="pilot_failed", supplier_uscc=failed["uscc"], **closing)
    await m.close_scenario(rolled_out, outcome="scaled_up", supplier_uscc=proven["uscc"], **closing)
    lifted = await visible(client, world["path"], ADMIN, lambda b: any(
        c["uscc"] == proven["uscc"] and c["signals"]["feedback"]["value"] > 0 for c in b["items"]))
    feedback = {c["uscc"]: c["signals"]["feedback"]["value"] for c in lifted["items"]}
    assert feedback[failed["uscc"]] == 0, "a failed pilot is no track record"
    assert 0 < feedback[proven["uscc"]] <= 1
