"""The loop the suite closes (DESIGN §10): one firm travels through all five services, every step an HTTP request
as a client would make it, every hand-over between services an event through real Kafka, each service on its own
PostgreSQL database, each API and worker a process of its own.

1. The firm registers in the registry and reports three years of figures; it is evaluated eligible as an
   innovative SME (创新型, counted as 科技和创新型), not yet certified, and enters the seedling pool (种苗库) as a 好苗子.
2. An officer publishes a challenge (揭榜挂帅) in scenarios, on behalf of the city's science bureau, open to
   innovative SMEs and above. The firm applies and is refused (min_tier); the registry certifies it (认定); once the
   registry's event has reached scenarios, its application (Idempotency-Key) is accepted.
3. Matching recommends the firm for it: match.recommended on Kafka, and the candidates API, with the reasons; the
   scenarios worker invites the firm (邀约), which sees its invitation with the reasons and accepts it.
4. Three experts score the application, the firm is appointed (挂帅), meets its two milestones and passes
   acceptance (验收).
5. Funding pays the public share of the bounty from the challenge-bounty round, once, although its worker is killed
   around the acceptance and replaced: in funding's ledger and in the registry's record of the support received.
6. The firm takes a university patent in licensing under its open licence (开放许可: written notice + payment).
7. The registry counts the licensed patent among the firm's IP and re-runs its evaluations: 专精特新 moves from not
   eligible (no Ⅰ类 IP) to needs review; an officer certifies it (认定) at that higher tier.
8. The higher tier makes it eligible for a 专精特新 fund round: it applies and is awarded; the ledger never overspends.
9. The statistics show it: the funnel, the pools, the money received, the licences.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from shared.auth import CITY_WIDE, Role
from shared.ids import patent_check_char
from tests.e2e.processes import ServiceProcess, service_env
from tests.support import KAFKA, TOPIC_PREFIX, make_uscc, token, truncate, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("postgres", "kafka")]

SERVICES = ("registry", "scenarios", "matching", "funding", "licensing")
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
WAN = 1_000_000  # fen per 万元
# The machine runs several suites at once: hand-overs get generous time, the loop as a whole stays within minutes.
HANDOVER = 90.0

# --- who takes part --------------------------------------------------------------------------------------------

FIRM_USCC = make_uscc(7701)
FIRM = token(Role.ENTERPRISE, uscc=FIRM_USCC)
OFFICER = token(Role.OFFICER, districts=["330502"], subject="officer-wuxing")  # 吴兴区 programme officer
CITY_OFFICER = token(Role.OFFICER, districts=[CITY_WIDE], subject="officer-city")
ADMIN = token(Role.ADMIN)
SERVICE = token(Role.SERVICE)
INSTITUTE = token(Role.INSTITUTE, institute_id="inst-hznu")  # 湖州师范学院's technology-transfer office
EXPERTS = ("expert-zhang", "expert-li", "expert-wang")

SIC_FIRM = {
    "uscc": FIRM_USCC, "name": "湖州晶芯半导体材料有限公司", "district_code": "330502", "industry_code": "C3985",
    "established_on": "2015-03-01", "sector": "strategic_emerging", "cluster": "new_materials",
    "main_products": "6英寸导电型碳化硅衬底、碳化硅外延片",
    "technical_capabilities": "物理气相传输法（PVT）长晶，衬底切割研磨抛光，微管与位错密度检测",
    "product_tags": ["碳化硅衬底", "外延片"], "capability_tags": ["长晶", "晶圆加工"],
}
# Two other firms of the city, so that matching ranks among several and the statistics count more than one.
OTHER_FIRMS = [
    {"uscc": make_uscc(7702), "name": "湖州恒织纺织机械有限公司", "district_code": "330502", "industry_code": "C3551",
     "sector": "advanced_manufacturing", "main_products": "喷气织机、剑杆织机及配件",
     "technical_capabilities": "织机电控系统设计，引纬控制", "product_tags": ["喷气织机"], "capability_tags": ["织机电控"]},
    {"uscc": make_uscc(7703, "330522"), "name": "长兴锐驰汽车部件有限公司", "district_code": "330522",
     "industry_code": "C3670", "sector": "advanced_manufacturing", "cluster": "nev_parts",
     "main_products": "新能源汽车零部件：电池包壳体、一体化压铸件", "technical_capabilities": "铝合金高压压铸，轻量化设计",
     "product_tags": ["电池包壳体"], "capability_tags": ["一体化压铸", "轻量化"]},
]

# The firm's 年报 (fen): 2,000万 revenue, 85 % from its main business, R&D ≥ 100万 and ≥ 5 % each year, 12 of 80
# staff in R&D, 60 % debt, no equity financing. A 好苗子 by the seedling-pool criteria and within 专精特新's scale,
# R&D and debt conditions; what it lacks for 专精特新 is a Ⅰ类 patent (it holds utility models only).
FIGURES = {
    2023: {"employees": 70, "rd_staff": 10, "operating_revenue_fen": 1600 * WAN, "main_business_revenue_fen": 1350 * WAN,
           "rd_expense_fen": 100 * WAN, "total_assets_fen": 1800 * WAN, "total_liabilities_fen": 1100 * WAN,
           "equity_financing_fen": 0},
    2024: {"employees": 75, "rd_staff": 11, "operating_revenue_fen": 1800 * WAN, "main_business_revenue_fen": 1520 * WAN,
           "rd_expense_fen": 120 * WAN, "total_assets_fen": 1900 * WAN, "total_liabilities_fen": 1150 * WAN,
           "equity_financing_fen": 0},
    2025: {"employees": 80, "rd_staff": 12, "tech_staff": 20, "operating_revenue_fen": 2000 * WAN,
           "main_business_revenue_fen": 1700 * WAN, "rd_expense_fen": 120 * WAN, "total_cost_expense_fen": 1700 * WAN,
           "total_assets_fen": 2000 * WAN, "total_liabilities_fen": 1200 * WAN, "equity_financing_fen": 0},
}
COMPLIANT = {"resident_in_mainland": True, "products_in_prohibited_category": False,
             "on_abnormal_operation_list": False, "on_serious_dishonesty_list": False, "incidents": [],
             "niche_market_since": "2016-01-01"}

BOUNTY_FEN = 200 * WAN  # a department's challenge: the whole bounty is public money
APPLICATION = {"summary": "PVT 法温场优化与籽晶处理，将6英寸衬底微管密度降到0.3个/cm²以下。",
               "technical_route": "温场仿真 + 籽晶粘接工艺 + 原位退火", "budget_fen": 300 * WAN,
               "requested_fen": BOUNTY_FEN, "partners": [],
               "team": [{"name": "陈志强", "role": "lead", "organisation_uscc": FIRM_USCC, "title": "技术总监"}],
               "commitment_signed": True}
GRANT_FEN = 30 * WAN
OPEN_LICENCE_FEE_FEN = 2 * WAN
PATENT_NUMBER = "202210345678"


def patent_reference(year: int, kind_digit: str, serial: int) -> str:
    digits = f"{year}{kind_digit}{serial:07d}"
    return f"ZL{digits}.{patent_check_char(digits)}"


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


def if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


def ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def until(what: str, probe: Callable[[], Awaitable[Any]], timeout: float = HANDOVER) -> Any:
    """wait_for with the hand-over named in the failure."""
    try:
        return await wait_for(probe, timeout=timeout, interval=0.25)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from None


async def created_once_known(what: str, send: Callable[[], Awaitable[httpx.Response]]) -> dict[str, Any]:
    """A POST that the service refuses until an event has told it about the firm (its tier, or the firm itself),
    retried as a client would retry a refusal; the failure shows the last refusal."""
    last: list[httpx.Response] = []

    async def created() -> httpx.Response | None:
        response = await send()
        last[:] = [response]
        assert response.status_code in (201, 403, 404, 409, 422), response.text
        return response if response.status_code == 201 else None

    try:
        return (await wait_for(created, timeout=HANDOVER, interval=0.25)).json()  # type: ignore[no-any-return]
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}; last answer {last[0].status_code} {last[0].text}") from None


# --- the processes -----------------------------------------------------------------------------------------------


class Suite:
    """Every service's API and worker as processes of their own, on this run's databases and Kafka topics."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes = {(service, role): self._process(service, role) for service in SERVICES
                          for role in ("api", "worker")}

    def _process(self, service: str, role: str) -> ServiceProcess:
        return ServiceProcess(service, role, service_env(service, CONSUMER_RETRY_BACKOFF_SECONDS="0.5"), self.log_dir)

    def start(self) -> None:
        for process in self.processes.values():
            process.spawn()
        for process in self.processes.values():
            process.wait_ready(timeout=90)

    def crash_and_restart(self, service: str, role: str) -> None:
        """SIGKILL (no shutdown code runs), then a new process in its place, as Kubernetes would start one."""
        self.processes[service, role].kill()
        self.processes[service, role] = self._process(service, role).start()

    def url(self, service: str) -> str:
        return self.processes[service, "api"].url

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {s}-{r}\n{p.log_tail()}" for (s, r), p in self.processes.items())


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[Suite]:
    for service in SERVICES:
        asyncio.run(truncate(service))
    s = Suite(tmp_path)
    try:
        s.start()
        yield s
    finally:
        s.stop()


class Recommendations:
    """A notification back end's view of match.recommended: a consumer of the topic, as any other would read it."""

    def __init__(self) -> None:
        self.consumer = AIOKafkaConsumer(f"{TOPIC_PREFIX}seedbed.matching.match", bootstrap_servers=KAFKA,
                                         auto_offset_reset="earliest", enable_auto_commit=False,
                                         group_id=f"loop-test-{uuid.uuid4().hex[:8]}")
        self.seen: list[dict[str, Any]] = []

    async def __aenter__(self) -> Recommendations:
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def for_demand(self, demand_id: str) -> list[dict[str, Any]]:
        batches = await self.consumer.getmany(timeout_ms=500)
        for records in batches.values():
            for record in records:
                headers = {k: v.decode() for k, v in record.headers}
                if headers.get("ce_type") == "seedbed.matching.match.recommended.v1":
                    self.seen.append(json.loads(record.value))
        return [r for r in self.seen if r["demand_id"] == demand_id]


# --- the loop ----------------------------------------------------------------------------------------------------


class Loop:
    def __init__(self, clients: dict[str, httpx.AsyncClient]) -> None:
        self.registry, self.scenarios, self.matching = clients["registry"], clients["scenarios"], clients["matching"]
        self.funding, self.licensing = clients["funding"], clients["licensing"]
        self.firm_id = ""
        self.innovative_evaluation_id = ""
        self.challenge: dict[str, Any] = {}
        self.application: dict[str, Any] = {}
        self.bounty_round: dict[str, Any] = {}
        self.pool_id = ""
        self.other_ids: list[str] = []
        self.patent: dict[str, Any] = {}

    # 1 -------------------------------------------------------------------------------------------------------------
    async def firm_registers_and_enters_the_seedling_pool(self) -> None:
        reg = self.registry
        firm = ok(await reg.post("/v1/enterprises", json=SIC_FIRM, headers=OFFICER))
        self.firm_id = firm["id"]
        self.other_ids = [ok(await reg.post("/v1/enterprises", json=other, headers=CITY_OFFICER))["id"]
                          for other in OTHER_FIRMS]
        base = f"/v1/enterprises/{self.firm_id}"
        # The firm reports its own 年报, IP and compliance declarations.
        for year, figures in FIGURES.items():
            ok(await reg.put(f"{base}/figures/{year}", json=figures, headers=FIRM))
        for serial in (1, 2):
            ok(await reg.post(f"{base}/ip-holdings", headers=FIRM, json={
                "kind": "utility_model", "reference": patent_reference(2022, "2", 7701_0 + serial),
                "title": "一种碳化硅长晶坩埚结构", "acquisition": "self_developed", "related_to_main_product": True,
                "granted_on": "2022-09-01", "rights_holder_rank": 1, "applied_with_economic_benefit": True}))
        ok(await reg.put(f"{base}/declarations", json=COMPLIANT, headers=FIRM))
        # The development score (发展评价得分) is imported by the officer from MIIT's platform.
        ok(await reg.post(f"{base}/honours", headers=OFFICER, json={
            "kind": "development_score", "year": TODAY.year, "score": "62", "evidence": "zjtx.miit.gov.cn 导出"}))

        innovative = ok(await reg.post(f"{base}/evaluations", headers=OFFICER, json={
            "tier": "innovative_sme", "evaluation_date": TODAY.isoformat(),
            "expert_inputs": {"main_product_in_strategic_emerging_industry": True}}))
        assert innovative["outcome"] == "eligible", innovative
        self.innovative_evaluation_id = innovative["id"]  # certified in step 2, once the challenge has refused it

        entry = ok(await reg.post(f"{base}/pool-changes", json={"to_pool": "seedling_pool", "basis": "rule"},
                                  headers=OFFICER))
        assert (entry["to_pool"], entry["move"], entry["assessment"]["outcome"]) == ("seedling_pool", "entry", "eligible")
        assert "good_seedling" in {c["category"] for c in entry["assessment"]["checks"] if c["met"]}
        assert ok(await reg.get(base, headers=FIRM), 200)["pool"] == "seedling_pool"
        assert ok(await reg.get(f"{base}/certifications", headers=FIRM), 200)["items"] == []

    # 2 -------------------------------------------------------------------------------------------------------------
    async def officer_publishes_a_challenge(self) -> None:
        # Matching recommends among the firms it knows when the challenge is published: wait until it knows them
        # (their latest state: the firm's pool too).
        async def matching_knows_the_firms() -> bool:
            for enterprise_id in (self.firm_id, *self.other_ids):
                r = await self.matching.get(f"/v1/enterprises/{enterprise_id}", headers=SERVICE)
                if r.status_code != 200:
                    return False
                if enterprise_id == self.firm_id and (r.json()["pool"], r.json()["held_tiers"]) != (
                        "seedling_pool", []):
                    return False
            return True

        await until("the registry's firms reach matching", matching_knows_the_firms)
        sci = self.scenarios
        body = {
            "issuer": {"kind": "department", "department": "湖州市科学技术局"},
            "title": "6英寸碳化硅衬底微管密度攻关",
            "background": "本市功率器件产线良率受衬底微管与位错影响，征集能将6英寸导电型碳化硅衬底微管密度降到每平方厘米0.5个以下的"
                          "长晶团队，实现衬底本地供应。",
            "sector": "strategic_emerging", "cluster": "new_materials", "industry_chain": "第三代半导体产业链",
            "capability_tags": ["碳化硅衬底", "长晶"], "district_code": "330502",
            "indicators": [{"name": "微管密度", "target": "0.5", "unit": "个/cm²", "verification": "third_party_test",
                            "comparison": "at_most"}],
            "bounty": {"total_fen": BOUNTY_FEN, "issuer_fen": 0, "public_fen": BOUNTY_FEN},
            "duration_months": 12,
            "application_deadline": (TODAY + timedelta(days=30)).isoformat(),
            "ip_terms": {"ownership": "solver", "note": "成果归揭榜方，发榜单位享有在本市推广应用的优先权"},
            "eligibility": {"min_tier": "innovative_sme", "areas": ["330502", "330503"]},
            "max_teams": 1,
        }
        challenge = ok(await sci.post("/v1/challenges", json=body, headers=OFFICER))
        for command in ("submit_for_review", "publish", "open_applications"):
            challenge = ok(await sci.post(f"/v1/challenges/{challenge['id']}/transitions", json={"command": command},
                                          headers=if_match(OFFICER, challenge["version"])), 200)
        assert challenge["status"] == "applications_open"
        public = ok(await sci.get(f"/v1/public/challenges/{challenge['id']}"), 200)
        assert public["title"] == body["title"]
        self.challenge = challenge

    async def firm_is_refused_then_certified_and_accepted(self) -> None:
        sci, path = self.scenarios, f"/v1/challenges/{self.challenge['id']}/applications"
        last: list[httpx.Response] = []

        async def apply(until_rule_is_not: str) -> httpx.Response | None:
            # Each try a new application (a new Idempotency-Key): a refusal is not stored under its key anyway.
            last[:] = [r := await sci.post(path, json=APPLICATION, headers=keyed(FIRM))]
            assert r.status_code in (201, 422), r.text
            failed = [f["rule"] for f in r.json().get("failed_rules", [])] if r.status_code == 422 else []
            return r if until_rule_is_not not in failed else None

        # Before its certification: refused (once scenarios knows the firm at all) for the tier alone, nothing written.
        refused = await until("the firm reaches scenarios", lambda: apply("registered"))
        assert refused.status_code == 422 and [f["rule"] for f in refused.json()["failed_rules"]] == ["min_tier"], \
            refused.text
        assert ok(await sci.get(path, headers=OFFICER), 200)["items"] == []

        # The registry certifies it; once its event has reached scenarios, the application (retried, each time under a
        # new key) is no longer refused for the tier: accepted.
        ok(await self.registry.post(f"/v1/enterprises/{self.firm_id}/certifications", headers=OFFICER, json={
            "evaluation_id": self.innovative_evaluation_id, "certificate_no": f"ZJ-CXX-{TODAY.year}-0771"}))
        tiers = ok(await self.registry.get(f"/v1/enterprises/{self.firm_id}/certifications", headers=FIRM), 200)
        assert [(c["tier"], c["status"]) for c in tiers["items"]] == [("innovative_sme", "active")]
        # 专精特新 asked now that it is an innovative SME: everything holds but a Ⅰ类 patent (its utility models do not
        # count under the 2026 rules).
        srdi = ok(await self.registry.post(f"/v1/enterprises/{self.firm_id}/evaluations", headers=OFFICER, json={
            "tier": "srdi_sme", "evaluation_date": TODAY.isoformat(),
            "expert_inputs": {"market_position_recognised": True}}))
        assert srdi["outcome"] == "not_eligible", srdi
        failed = {c["code"] for c in srdi["result"]["conditions"] if c["passed"] is False and c["parent"] == "srdi_sme"}
        assert failed == {"c4"}, srdi["result"]["conditions"]
        try:
            created = await until("the firm's tier reaches scenarios", lambda: apply("min_tier"))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last answer {last[0].text}") from None
        assert created.status_code == 201, created.text
        application = created.json()
        replay = await sci.post(path, json=APPLICATION, headers=keyed(FIRM, created.request.headers["Idempotency-Key"]))
        assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json()["id"] == application["id"]
        assert [a["id"] for a in ok(await sci.get(path, headers=OFFICER), 200)["items"]] == [application["id"]]
        self.application = application

    # 3 -------------------------------------------------------------------------------------------------------------
    async def matching_recommends_the_firm(self, recommendations: Recommendations) -> None:
        challenge_id = self.challenge["id"]
        (recommended,) = await until("match.recommended for the challenge",
                                     lambda: recommendations.for_demand(challenge_id))
        assert recommended["demand_kind"] == "challenge"
        # Only the firm is strong: the loom maker and the die-caster are not advertised to the bureau.
        assert [c["uscc"] for c in recommended["candidates"]] == [FIRM_USCC], recommended
        assert recommended["candidates"][0]["enterprise_id"] == self.firm_id
        assert "碳化硅衬底" in recommended["candidates"][0]["matched_tags"]

        async def candidates() -> Any:
            r = await self.matching.get(f"/v1/challenges/{challenge_id}/candidates", headers=OFFICER,
                                        params={"eligible_only": "true"})
            return r.json() if r.status_code == 200 and r.json()["items"] else None

        listed = await until("the challenge reaches matching's API", candidates)
        first = listed["items"][0]
        assert (first["uscc"], first["strong"], listed["verdict"]) == (FIRM_USCC, True, "strong"), listed
        # The reasons: the words and tags the challenge and the firm share.
        assert "碳化硅衬底" in first["matched_tags"] and first["matched_terms"], first
        assert [c["uscc"] for c in listed["items"]] == [FIRM_USCC]  # the others hold no tier: not eligible
        assert len(await recommendations.for_demand(challenge_id)) == 1  # once per publication

        # Scenarios' worker invites the firm: it sees its invitation with matching's reasons and accepts it, which
        # points it to the application it has made.
        async def invited() -> Any:
            r = await self.scenarios.get("/v1/invitations", headers=FIRM)
            return r.json()["items"] if r.status_code == 200 and r.json()["items"] else None

        (invitation,) = await until("the firm's invitation in scenarios", invited)
        assert (invitation["demand_id"], invitation["status"]) == (challenge_id, "pending"), invitation
        assert "碳化硅衬底" in invitation["reasons"]["matched_tags"]
        accepted = ok(await self.scenarios.post(f"/v1/invitations/{invitation['id']}/transitions",
                                                json={"command": "accept"}, headers=FIRM), 200)
        assert accepted["apply_href"] == f"/v1/challenges/{challenge_id}/applications"

    # 4 -------------------------------------------------------------------------------------------------------------
    async def firm_is_appointed_and_passes_acceptance(self) -> None:
        sci, challenge_id = self.scenarios, self.challenge["id"]
        path = f"/v1/challenges/{challenge_id}"
        application = self.application
        challenge = ok(await sci.post(f"{path}/transitions", json={"command": "close_applications"},
                                      headers=if_match(OFFICER, self.challenge["version"])), 200)
        application = ok(await sci.post(f"{path}/applications/{application['id']}/transitions",
                                        json={"command": "shortlist"},
                                        headers=if_match(OFFICER, application["version"])), 200)
        challenge = ok(await sci.post(f"{path}/transitions", json={"command": "start_expert_review"},
                                      headers=if_match(OFFICER, challenge["version"])), 200)
        for expert, marks in zip(EXPERTS, (("9", "8", "9"), ("8", "8", "7"), ("9", "9", "8")), strict=True):
            reviewer = token(Role.REVIEWER, subject=expert)
            ok(await sci.put("/v1/reviewers/me/declaration", json={}, headers=reviewer), 200)
            ok(await sci.post(f"{path}/applications/{application['id']}/reviewers", json={"reviewer_id": expert},
                              headers=OFFICER))
            ok(await sci.post(f"{path}/applications/{application['id']}/score-sheets", headers=reviewer, json={
                "scores": dict(zip(("technical_route", "team", "plan"), marks, strict=True))}))
        ranking = ok(await sci.get(f"{path}/ranking", headers=OFFICER), 200)
        assert [e["application_id"] for e in ranking["entries"]] == [application["id"]]

        plan = [{"title": "中试线长晶验证", "due_on": (TODAY + timedelta(days=120)).isoformat(), "tranche_share": "0.5",
                 "indicators": ["微管密度"]},
                {"title": "第三方检测与量产导入", "due_on": (TODAY + timedelta(days=300)).isoformat(),
                 "tranche_share": "0.5", "indicators": ["微管密度"]}]
        team = ok(await sci.post(f"{path}/appointments", headers=OFFICER,
                                 json={"application_id": application["id"], "milestones": plan}))
        assert team["challenge_status"] == "appointed" and team["application"]["award_fen"] == BOUNTY_FEN
        challenge = ok(await sci.get(path, headers=OFFICER), 200)
        challenge = ok(await sci.post(f"{path}/transitions", json={"command": "start_milestones"},
                                      headers=if_match(OFFICER, challenge["version"])), 200)
        milestones = ok(await sci.get(f"{path}/milestones", headers=FIRM), 200)
        assert len(milestones) == 2
        for stone in milestones:
            stone_path = f"{path}/milestones/{stone['id']}/transitions"
            stone = ok(await sci.post(stone_path, json={"command": "submit"},
                                      headers=if_match(FIRM, stone["version"])), 200)
            stone = ok(await sci.post(stone_path, json={"command": "pass"},
                                      headers=if_match(OFFICER, stone["version"])), 200)
            assert stone["status"] == "passed"
        challenge = ok(await sci.post(f"{path}/transitions", json={"command": "pass_acceptance",
                                                                   "passed_teams": [application["id"]]},
                                      headers=if_match(OFFICER, challenge["version"])), 200)
        assert challenge["status"] == "acceptance_passed"
        mine = ok(await sci.get(f"{path}/applications/{application['id']}", headers=FIRM), 200)
        assert (mine["status"], mine["acceptance"]) == ("appointed", "passed")
        self.application = mine

    # 5 -------------------------------------------------------------------------------------------------------------
    async def funding_sets_up_the_bounty_round(self) -> None:
        pool = ok(await self.funding.post("/v1/fund-pools", headers=CITY_OFFICER, json={
            "name": "2026年播种计划配套基金池", "issuer": "湖州市", "issuer_level": "city", "budget_fen": 10_000 * WAN,
            "opens_on": (TODAY - timedelta(days=30)).isoformat(), "closes_on": (TODAY + timedelta(days=365)).isoformat()}))
        programme = ok(await self.funding.post("/v1/programmes", headers=CITY_OFFICER, json={
            "pool_id": pool["id"], "name": "揭榜挂帅榜额财政资金", "instrument": "challenge_bounty",
            "budget_fen": 2_000 * WAN, "per_enterprise_cap_fen": 500 * WAN, "eligibility": [],
            "opens_on": (TODAY - timedelta(days=10)).isoformat(), "closes_on": (TODAY + timedelta(days=300)).isoformat()}))
        self.bounty_round = ok(await self.funding.post(f"/v1/programmes/{programme['id']}/rounds", headers=CITY_OFFICER,
                                                       json={"name": "2026年揭榜挂帅", "budget_fen": 1_000 * WAN,
                                                             "opens_on": (TODAY - timedelta(days=5)).isoformat(),
                                                             "closes_on": (TODAY + timedelta(days=200)).isoformat(),
                                                             "pays_challenge_bounties": True}))
        self.pool_id = pool["id"]

    async def funding_pays_the_bounty_once(self) -> None:
        base = f"/v1/enterprises/{self.firm_id}"

        async def support_recorded() -> Any:
            r = await self.registry.get(f"{base}/support", headers=FIRM)
            return r.json() if r.status_code == 200 and r.json()["movements"] else None

        support = await until("the bounty reaches the registry's support record", support_recorded)
        round_id = self.bounty_round["id"]
        awards = ok(await self.funding.get("/v1/applications", params={"origin": "automatic"}, headers=ADMIN), 200)
        (award,) = awards["items"]
        assert (award["uscc"], award["status"], award["disbursed_fen"]) == (FIRM_USCC, "closed", BOUNTY_FEN)
        assert award["round_id"] == round_id
        balance = ok(await self.funding.get(f"/v1/rounds/{round_id}/balance", headers=ADMIN), 200)
        assert (balance["disbursed_fen"], balance["available_fen"], balance["reconciled"]) == (
            BOUNTY_FEN, 1_000 * WAN - BOUNTY_FEN, True)
        assert await self.bounty_payments() == 1
        (movement,) = support["movements"]
        assert (movement["kind"], movement["amount_fen"], movement["instrument"]) == (
            "disbursed", BOUNTY_FEN, "challenge_bounty")
        assert self.challenge["title"] in movement["project_title"]
        assert support["net_fen"] == BOUNTY_FEN

    async def bounty_payments(self) -> int:
        """Disbursements in the challenge-bounty round's ledger."""
        ledger = ok(await self.funding.get(f"/v1/rounds/{self.bounty_round['id']}/ledger", headers=ADMIN), 200)
        return sum(1 for entry in ledger["items"] if entry["kind"] == "disbursed")

    # 6 -------------------------------------------------------------------------------------------------------------
    async def firm_takes_a_patent_under_an_open_licence(self) -> None:
        lic = self.licensing
        number = f"{PATENT_NUMBER}.{patent_check_char(PATENT_NUMBER)}"
        patent = ok(await lic.post("/v1/patents", headers=INSTITUTE, json={
            "holder_name": "湖州师范学院", "application_number": number, "publication_numbers": ["CN115012345A"],
            "title": "一种低微管密度碳化硅单晶的生长方法",
            "abstract": "本发明公开了一种低微管密度碳化硅单晶的生长方法，通过籽晶背面镀膜与分段控温抑制微管延伸。",
            "ipc_classes": ["C30B29/36", "C30B23/00"], "inventors": ["沈立新", "钱慧"],
            "patentees": [{"name": "湖州师范学院", "consented": True, "consented_on": "2026-01-10"}],
            "legal_status": "granted", "filed_on": "2022-03-20", "granted_on": "2024-06-11"}))
        declared = ok(await lic.post(f"/v1/patents/{patent['id']}/open-licence", headers=INSTITUTE, json={
            "royalty": {"mode": "entry_fee_plus_royalty", "entry_fee_fen": OPEN_LICENCE_FEE_FEN, "rate": "0.02",
                        "basis": "net_sales"},
            "standard": "入门费2万元，许可期内每季度按净销售额2%支付提成", "term_start": TODAY.isoformat(),
            "term_end": (TODAY + timedelta(days=3 * 365)).isoformat()}))
        assert declared["status"] == "in_force"

        # Licensing learns of the firm from the registry's events.
        notice_key = "sic-open-licence-notice-1"
        licence = await created_once_known("the firm reaches licensing", lambda: lic.post(
            f"/v1/patents/{patent['id']}/open-licence/notices", headers=keyed(FIRM, notice_key),
            json={"notice_on": TODAY.isoformat()}))
        assert licence["status"] == "pending"
        paid = ok(await lic.post(f"/v1/licences/{licence['id']}/payments", headers=keyed(FIRM, "sic-licence-fee-1"),
                                 json={"amount_fen": OPEN_LICENCE_FEE_FEN, "paid_on": TODAY.isoformat(),
                                       "reference": "HZBANK-20261203-0771"}))
        assert paid["licence_status"] == "active", paid
        licence = ok(await lic.get(f"/v1/licences/{licence['id']}", headers=FIRM), 200)
        assert (licence["status"], licence["licensee_uscc"]) == ("active", FIRM_USCC)
        self.patent = patent

    # 7 -------------------------------------------------------------------------------------------------------------
    async def registry_counts_the_patent_and_an_officer_certifies_srdi(self) -> None:
        reg, base = self.registry, f"/v1/enterprises/{self.firm_id}"

        async def holding() -> Any:
            items = ok(await reg.get(f"{base}/ip-holdings", headers=FIRM), 200)["items"]
            return [h for h in items if PATENT_NUMBER in h["reference"]]

        (held,) = await until("the licence reaches the registry", holding)
        assert (held["kind"], held["acquisition"], held["in_force"]) == ("invention_patent", "licensed_in", True)

        async def rerun() -> Any:
            items = ok(await reg.get(f"{base}/evaluations", headers=OFFICER), 200)["items"]
            return [e for e in items if e["tier"] == "srdi_sme" and e["trigger"] == "rerun"]

        (evaluation,) = await until("the registry re-runs the 专精特新 evaluation", rerun)
        evaluation = ok(await reg.get(f"{base}/evaluations/{evaluation['id']}", headers=OFFICER), 200)
        # Licensed in, the patent may count (a licence is held under the MIIT rules [U]); what the licence does not
        # say (is it applied in the main product, with benefit?) is left to the officer.
        assert evaluation["outcome"] == "needs_review", evaluation
        conditions = {c["code"]: c["passed"] for c in evaluation["result"]["conditions"] if c["parent"] == "srdi_sme"}
        assert {code: passed for code, passed in conditions.items() if passed is not True} == {"c4": None}, conditions
        assert any(PATENT_NUMBER in m for m in evaluation["result"]["missing_inputs"]), evaluation["result"]
        certified = ok(await reg.post(f"{base}/certifications", headers=OFFICER, json={
            "evaluation_id": evaluation["id"], "certificate_no": f"ZJ-ZJTX-{TODAY.year}-0771",
            "override_reason": "现场核实：许可实施的发明专利已用于主导产品6英寸衬底量产并产生经济效益"}))
        assert (certified["tier"], certified["status"]) == ("srdi_sme", "active")
        tiers = ok(await reg.get(f"{base}/certifications", headers=FIRM), 200)["items"]
        assert {(c["tier"], c["status"]) for c in tiers} == {("srdi_sme", "active"), ("innovative_sme", "active")}

    # 8 -------------------------------------------------------------------------------------------------------------
    async def higher_tier_wins_a_fund_round(self) -> None:
        fund = self.funding
        programme = ok(await fund.post("/v1/programmes", headers=CITY_OFFICER, json={
            "pool_id": self.pool_id, "name": "专精特新企业研发补助", "instrument": "grant", "budget_fen": 100 * WAN,
            "per_enterprise_cap_fen": 50 * WAN,
            "eligibility": [{"kind": "tier_held", "values": ["srdi_sme", "little_giant"], "label": "专精特新企业"}],
            "opens_on": (TODAY - timedelta(days=10)).isoformat(), "closes_on": (TODAY + timedelta(days=300)).isoformat()}))
        round_ = ok(await fund.post(f"/v1/programmes/{programme['id']}/rounds", headers=CITY_OFFICER, json={
            "name": "2026年第一批", "budget_fen": GRANT_FEN, "opens_on": (TODAY - timedelta(days=5)).isoformat(),
            "closes_on": (TODAY + timedelta(days=60)).isoformat()}))
        body = {"round_id": round_["id"], "project_title": "低微管密度6英寸碳化硅衬底产业化", "requested_fen": 40 * WAN}

        # Eligible once funding has heard of the 专精特新 certification: a refusal meanwhile names the failing rule.
        application = await created_once_known("the 专精特新 tier reaches funding", lambda: fund.post(
            "/v1/applications", json=body, headers=keyed(FIRM, "sic-2026-srdi-grant-0001")))

        async def step(action: str, headers: dict[str, str], status: int = 200, **extra: Any) -> Any:
            r = await fund.post(f"/v1/applications/{application['id']}/transitions", json={"action": action, **extra},
                                headers=keyed(if_match(headers, application["version"])))
            return ok(r, status)

        application = await step("submit", FIRM)
        assert (application["status"], application["eligibility_outcome"]) == ("eligibility_checked", "eligible")
        application = await step("start_review", CITY_OFFICER)
        # The office assigns an expert who declared no tie with the firm; the expert scores.
        zhou = token(Role.REVIEWER, subject="expert-zhou")
        ok(await fund.put("/v1/reviewers/me/declaration", headers=zhou, json={}), 200)
        ok(await fund.post(f"/v1/applications/{application['id']}/reviewers", headers=CITY_OFFICER,
                           json={"reviewer_id": "expert-zhou"}))
        ok(await fund.post(f"/v1/applications/{application['id']}/reviews", headers=zhou,
                           json={"conflict_of_interest": False, "score": 88}))
        # More than the round holds is refused: the ledger never commits money it does not have.
        refused = await fund.post(f"/v1/applications/{application['id']}/transitions",
                                  json={"action": "approve", "amount_fen": 40 * WAN},
                                  headers=keyed(if_match(CITY_OFFICER, application["version"])))
        assert (refused.status_code, refused.json()["code"], refused.json()["available_fen"]) == (
            409, "budget_exhausted", GRANT_FEN), refused.text
        application = await step("approve", CITY_OFFICER, amount_fen=GRANT_FEN)
        assert (application["status"], application["approved_fen"]) == ("approved", GRANT_FEN)
        application = await step("sign_agreement", FIRM, tranches=[{"milestone": "签约", "share": "1",
                                                                    "condition": "none"}])
        application = await step("disburse", CITY_OFFICER, tranche_index=0)
        assert application["disbursed_fen"] == GRANT_FEN
        balance = ok(await fund.get(f"/v1/rounds/{round_['id']}/balance", headers=ADMIN), 200)
        assert (balance["disbursed_fen"], balance["available_fen"], balance["reconciled"]) == (GRANT_FEN, 0, True)

    # 9 -------------------------------------------------------------------------------------------------------------
    async def statistics_show_it(self) -> None:
        reg = self.registry

        async def both_payments() -> Any:
            r = await reg.get(f"/v1/enterprises/{self.firm_id}/support", headers=FIRM)
            return r.json() if r.json()["net_fen"] == BOUNTY_FEN + GRANT_FEN else None

        support = await until("the grant reaches the registry", both_payments)
        assert sorted(m["amount_fen"] for m in support["movements"]) == sorted([BOUNTY_FEN, GRANT_FEN])
        assert {p["instrument"] for p in support["programmes"]} == {"challenge_bounty", "grant"}
        # The bounty was paid once, whatever the workers did meanwhile.
        assert await self.bounty_payments() == 1
        automatic = ok(await self.funding.get("/v1/applications", params={"origin": "automatic"}, headers=ADMIN), 200)
        assert len(automatic["items"]) == 1

        funnel = ok(await reg.get("/v1/statistics/funnel", headers=CITY_OFFICER), 200)
        stages = {s["stage"]: s for s in funnel["stages"]}
        assert funnel["registered"] == 3
        assert stages["tech_innovative_sme"]["reached"] == 1 and stages["srdi_sme"]["reached"] == 1
        assert stages["srdi_sme"]["holding"] == 1
        pools = ok(await reg.get("/v1/statistics/counts", params={"by": "pool"}, headers=CITY_OFFICER), 200)
        assert {g["key"]: g["count"] for g in pools["groups"]}.get("seedling_pool") == 1
        money = ok(await reg.get("/v1/statistics/support", headers=CITY_OFFICER), 200)
        assert (money["net_fen"], money["firms_supported"]) == (BOUNTY_FEN + GRANT_FEN, 1)
        assert {(g["district_code"], g["instrument"], g["net_fen"]) for g in money["groups"]} == {
            ("330502", "challenge_bounty", BOUNTY_FEN), ("330502", "grant", GRANT_FEN)}
        licences = ok(await self.licensing.get("/v1/reports/institutes", params={"year": TODAY.year},
                                               headers=INSTITUTE), 200)
        total = licences["total"]
        assert (total["licences"], total["firms_reached"], total["income_fen"]) == (1, 1, OPEN_LICENCE_FEE_FEN)
        assert total["licences_by_mode"] == {"open": 1}


def test_one_firm_travels_the_whole_loop(suite: Suite) -> None:
    started = time.monotonic()

    async def scenario() -> None:
        clients = {s: httpx.AsyncClient(base_url=suite.url(s), timeout=30) for s in SERVICES}
        try:
            loop = Loop(clients)
            async with Recommendations() as recommendations:
                await loop.firm_registers_and_enters_the_seedling_pool()
                await loop.officer_publishes_a_challenge()
                await loop.firm_is_refused_then_certified_and_accepted()
                await loop.matching_recommends_the_firm(recommendations)
            await loop.funding_sets_up_the_bounty_round()
            await loop.firm_is_appointed_and_passes_acceptance()
            # Funding's worker crashes around the acceptance (before, while or after it pays: the kill lands where it
            # lands) and a new one takes over: the bounty is paid all the same, and once.
            await asyncio.to_thread(suite.crash_and_restart, "funding", "worker")
            await loop.funding_pays_the_bounty_once()
            await loop.firm_takes_a_patent_under_an_open_licence()
            await loop.registry_counts_the_patent_and_an_officer_certifies_srdi()
            await loop.higher_tier_wins_a_fund_round()
            await loop.statistics_show_it()
        finally:
            for client in clients.values():
                await client.aclose()

    try:
        asyncio.run(scenario())
    except AssertionError:
        print(suite.logs())
        raise
    print(f"the loop took {time.monotonic() - started:.1f}s")
