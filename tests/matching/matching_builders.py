"""Firms and scenarios for matching's tests, put into matching's database through its own event handlers (the
Kafka path itself is covered by test_matching_events.py)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from services.matching.consumers import read_model_subscriptions
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent, EventPayload
from shared.events.registry import EnterpriseRegistered, EnterpriseTierChanged, EnterpriseUpdated
from shared.events.scenarios import ScenarioClosed, ScenarioPublished
from tests.support import make_uscc, service_work, wait_for

HANDLERS = {t: h for s in read_model_subscriptions() for t, h in s.handlers.items()}

SIC_FIRM = dict(name="湖州晶芯半导体材料有限公司", main_products="6英寸导电型碳化硅衬底、碳化硅外延片",
                technical_capabilities="物理气相传输法（PVT）长晶，衬底切割研磨抛光，位错密度检测",
                product_tags=["碳化硅衬底", "外延片"], capability_tags=["长晶", "晶圆加工"],
                sector="strategic_emerging", cluster="new_materials", industry_code="C3985")
LOOM_FIRM = dict(name="湖州恒织纺织机械有限公司", main_products="喷气织机、剑杆织机及配件",
                 technical_capabilities="织机电控系统设计，引纬控制", product_tags=["喷气织机"],
                 capability_tags=["织机电控"], sector="advanced_manufacturing", cluster="textiles",
                 industry_code="C3551")
NEV_FIRM = dict(name="长兴锐驰汽车部件有限公司", main_products="新能源汽车零部件：电池包壳体、一体化压铸件",
                technical_capabilities="铝合金高压压铸，轻量化设计", product_tags=["电池包壳体"],
                capability_tags=["一体化压铸", "轻量化"], sector="advanced_manufacturing", cluster="nev_parts",
                industry_code="C3670")

SIC_SCENARIO = dict(title="功率器件产线寻找碳化硅衬底本地供应商",
                    description="我司新建SiC MOSFET功率器件产线，需要稳定供应6英寸碳化硅衬底，要求微管密度低，"
                                "希望与本地衬底企业开展联合验证。",
                    sector="strategic_emerging", cluster="new_materials", industry_chain="第三代半导体产业链",
                    capability_tags=["碳化硅衬底"])


class Matching:
    """Puts firms and scenarios into the matching database behind ``client`` as their events would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.engine = create_engine(client.database_url)  # type: ignore[attr-defined]
        self.work = service_work("matching", session_factory(self.engine))
        self.versions: dict[uuid.UUID, int] = {}

    async def close(self) -> None:
        await self.engine.dispose()

    async def apply(self, payload: EventPayload, subject: str) -> CloudEvent:
        event = CloudEvent.of(payload, service="test", subject=subject)
        async with self.work(None, caused_by=event, audited=False) as uow:
            await HANDLERS[event.type](uow, event)
        return event

    async def firm(self, n: int, district: str = "330502", **profile: Any) -> dict[str, Any]:
        enterprise_id = uuid.uuid4()
        uscc = make_uscc(n, district)
        self.versions[enterprise_id] = 1
        await self.apply(EnterpriseRegistered(enterprise_id=enterprise_id, uscc=uscc, district_code=district,
                                              version=1, **profile), str(enterprise_id))
        return {"enterprise_id": enterprise_id, "uscc": uscc, "district_code": district, **profile}

    async def update_firm(self, firm: dict[str, Any], **changes: Any) -> None:
        firm.update(changes)
        self.versions[firm["enterprise_id"]] += 1
        fields = {k: v for k, v in firm.items() if k not in ("held_tiers",)}
        await self.apply(EnterpriseUpdated(version=self.versions[firm["enterprise_id"]],
                                           changed_fields=list(changes), **fields), str(firm["enterprise_id"]))

    async def tiers(self, firm: dict[str, Any], *held: str) -> None:
        await self.apply(EnterpriseTierChanged(enterprise_id=firm["enterprise_id"], tier=held[-1], change="certified",
                                               held_tiers=list(held)), str(firm["enterprise_id"]))

    async def scenario(self, *, publisher_uscc: str | None = None, district: str = "330502", **content: Any
                       ) -> uuid.UUID:
        scenario_id = uuid.uuid4()
        publisher = ({"publisher_kind": "enterprise", "publisher_uscc": publisher_uscc} if publisher_uscc else
                     {"publisher_kind": "department", "publisher_department": "湖州市经信局"})
        await self.apply(ScenarioPublished(scenario_id=scenario_id, status="published", district_code=district,
                                           deadline=date.today() + timedelta(days=60), version=2,
                                           **publisher, **content), str(scenario_id))
        return scenario_id

    async def close_scenario(self, scenario_id: uuid.UUID, outcome: str = "withdrawn", **content: Any) -> None:
        await self.apply(ScenarioClosed(scenario_id=scenario_id, status="closed", outcome=outcome,
                                        deadline=date.today(), version=3, **content), str(scenario_id))


async def visible(client: httpx.AsyncClient, path: str, headers: dict[str, str], check: Any,
                  timeout: float = 10.0, **params: Any) -> Any:
    """The answer at ``path`` once ``check(body)`` holds: the live index catches up by polling the database."""

    async def ready() -> Any:
        response = await client.get(path, params=params, headers=headers)
        return response.json() if response.status_code == 200 and check(response.json()) else None

    return await wait_for(ready, timeout=timeout, interval=0.05)


async def publish_challenge(m: Matching, *, issuer_uscc: str | None, district: str = "330502",
                            eligibility: dict[str, Any] | None = None, **content: Any) -> uuid.UUID:
    from shared.events.scenarios import ChallengePublished

    challenge_id = uuid.uuid4()
    issuer = {"kind": "enterprise", "uscc": issuer_uscc} if issuer_uscc else {"kind": "department",
                                                                              "department": "湖州市科技局"}
    await m.apply(ChallengePublished(
        challenge_id=challenge_id, status="published", district_code=district, issuer=issuer,
        bounty={"total_fen": 100_000_000, "issuer_fen": 50_000_000, "public_fen": 50_000_000}, version=2,
        indicators=[{"name": "微管密度", "target": "0.5", "unit": "个/cm²", "verification": "第三方检测",
                     "comparison": "at_most"}],
        eligibility=eligibility or {}, application_deadline=date.today() + timedelta(days=30), duration_months=12,
        max_teams=1, allow_consortium=True, ip_ownership="issuer", **content), str(challenge_id))
    return challenge_id


async def appoint(m: Matching, challenge_id: uuid.UUID, lead_uscc: str, **ref: Any) -> None:
    from shared.events.scenarios import ChallengeAppointed

    team = {"application_id": str(uuid.uuid4()), "lead_uscc": lead_uscc, "partner_usccs": [], "award_fen": 10,
            "issuer_fen": 5, "public_fen": 5}
    await m.apply(ChallengeAppointed(challenge_id=challenge_id, status="appointed", max_teams=1, team=team,
                                     teams=[team], version=3, **ref), str(challenge_id))


async def list_patent(m: Matching, **content: Any) -> uuid.UUID:
    from shared.events.licensing import PatentListed

    patent_id = uuid.uuid4()
    await m.apply(PatentListed(patent_id=patent_id, application_number="202110182616.5",
                               patent_number="ZL202110182616.5", patent_type="invention", holder_institute_id="zju",
                               holder_name="浙江大学", legal_status="granted", modes_offered=["open_licence"],
                               version=1, **content), str(patent_id))
    return patent_id
