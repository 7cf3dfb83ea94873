"""Demo data for `make run`: scenarios and challenges (揭榜挂帅) for Huzhou's industries, loaded through the scenarios
HTTP API as its users would (the publishing firm for its own steps, a city-wide officer for the rest), so that
their events flow to matching.

* Scenarios for textiles (织里 printing and dyeing, children's wear), smart equipment, smart logistics, new
  materials, metal materials, biomedicine, life health, green home furnishing (安吉 bamboo and chairs), the digital
  economy, Beidou, and new-energy-vehicle parts, some in each state from draft to scale-up, closed and withdrawn;
  firms of the registry's demo (services/registry/demo.py) publish them and answer them (意向), and a pilot names its
  supplier among those that answered.
* Challenges in each stage up to shortlisting, one cancelled.
* The first edition of this year's scenario and challenge lists.
* Invitations (邀约): matching recommends firms for what the demo publishes (match.recommended, a few seconds after
  each publication, once the registry's firms have reached matching) and the scenarios worker invites them; the
  demo waits up to ``--invitations-wait`` seconds for the first, then on up to three open demands the best-scored
  firm accepts and the next declines (no capacity). Without matching's worker there are none, and nothing waits
  longer than that.
* Safe to run again: a scenario or challenge whose title is already there is left as it is, and an edition is
  published only when the list has none for the year.

    .venv/bin/python -m services.scenarios.demo [--base-url http://127.0.0.1:8002]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from services.registry.demo import CLUSTERS as FIRM_CLUSTERS
from services.registry.demo import plans
from shared.auth import Role, issue_token
from shared.clock import programme_today
from shared.settings import LOCAL_JWT_SECRET

WAN = 1_000_000  # fen per 万元
OFFICER_SUBJECT = "demo-officer"


def _bearer(**claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret=LOCAL_JWT_SECRET, **claims)}"}


OFFICER = _bearer(role=Role.OFFICER, subject=OFFICER_SUBJECT, city_wide=True)
ADMIN = _bearer(role=Role.ADMIN, subject="demo-loader")


def firm(uscc: str) -> dict[str, str]:
    return _bearer(role=Role.ENTERPRISE, subject=f"demo-firm-{uscc[-6:]}", uscc=uscc)


def demo_firms() -> dict[str, list[dict[str, Any]]]:
    """The registry demo's firms by "4210" cluster (their USCC, name and district), in the demo's order."""
    by_cluster: dict[str, list[dict[str, Any]]] = {}
    for plan in plans(300):
        by_cluster.setdefault(plan.profile["cluster"], []).append(plan.profile)
    return by_cluster


@dataclass(frozen=True)
class DemoScenario:
    cluster: str  # the publishing firm's cluster (the scenario's too)
    title: str
    description: str
    deliverable: str
    tags: tuple[str, ...]
    budget_wan: tuple[int, int] | None
    industry_chain: str
    # The commands after creation, in order; "interest" has the next firms of the cluster answer.
    path: tuple[str, ...]
    kind: str = "high_value_niche"
    outcome: str | None = None  # when the path ends with close
    department: str | None = None  # a government department publishes it (through the officer)


PUBLISHED = ("submit", "approve", "publish")
SCENARIOS: tuple[DemoScenario, ...] = (
    DemoScenario("modern_textile", "印染车间坯布瑕疵 AI 在线检测场景",
                 "织里、八里店一带的印染企业仍以人工验布为主，漏检率高、招工难。需要在定型机出布口部署机器视觉在线检测，识别破洞、油污、色差、纬斜等瑕疵并联动打标。",
                 "一条定型产线的在线验布系统，漏检率低于 1%，误报率低于 3%，检测速度不低于 60 米/分钟", ("机器视觉", "缺陷检测", "边缘计算"),
                 (50, 200), "现代纺织", (*PUBLISHED, "interest", "start_docking", "start_pilot", "scale_up"),
                 kind="industry_integrated"),
    DemoScenario("childrens_clothing", "童装柔性快反供应链数字化排产场景",
                 "织里童装企业订单小批量、多批次、交期短，外发加工厂产能不透明。需要打通订单、面辅料与外协工厂产能的排产系统，实现 7 天快反。",
                 "覆盖 30 家以上外协工厂的排产平台，订单平均交付周期缩短 30%", ("APS排产", "供应链协同", "SaaS"),
                 (30, 80), "现代纺织", (*PUBLISHED, "interest")),
    DemoScenario("high_end_equipment", "数控机床远程运维与预测性维护场景",
                 "机床整机企业售后服务半径大，主轴、丝杠故障多在停机后才发现。需要采集主轴振动、电流、温度数据，建立故障预测模型并接入售后工单系统。",
                 "100 台在役机床接入，主轴故障提前 72 小时预警准确率不低于 85%", ("工业物联网", "预测性维护", "振动分析"),
                 (80, 150), "高端装备", (*PUBLISHED, "interest", "start_docking", "start_pilot")),
    DemoScenario("smart_logistics_equipment", "锂电池仓储 AGV 集群调度场景",
                 "长兴蓄电池、锂电企业成品仓库出入库频繁，叉车作业存在安全隐患。需要 AGV 集群调度与 WMS 对接，实现成品自动入库、分拣与装车。",
                 "20 台以上 AGV 协同作业，出入库效率提升 40%，全年零安全事故", ("AGV", "集群调度", "WMS"),
                 (200, 500), "智能物流装备", (*PUBLISHED, "interest", "start_docking")),
    DemoScenario("new_materials", "水性工业涂料 VOCs 在线监测与配方优化场景",
                 "涂料企业由溶剂型向水性转型，配方试验周期长，车间 VOCs 排放需实时监测。需要在线监测与配方数据平台，辅助配方迭代。",
                 "车间 VOCs 在线监测全覆盖，新配方试验周期缩短 30%", ("VOCs监测", "配方优化", "数据平台"),
                 (40, 120), "新材料", PUBLISHED),
    DemoScenario("high_end_metal_materials", "钢结构焊缝无损检测机器人场景",
                 "大型钢结构件焊缝检测依赖人工超声探伤，高空作业风险大。需要爬壁机器人搭载相控阵超声，自动完成焊缝检测与缺陷定位。",
                 "焊缝自动检测覆盖率 90% 以上，缺陷检出率不低于人工水平", ("爬壁机器人", "相控阵超声", "无损检测"),
                 (100, 300), "高端金属材料", ("submit",)),
    DemoScenario("biomedicine", "原料药连续流反应工艺验证场景",
                 "医药中间体企业间歇釜式反应收率波动大、安全风险高。需要在一条中试线上验证连续流微反应工艺，并满足 GMP 数据完整性要求。",
                 "一个品种完成连续流中试验证，收率提升 10 个百分点，形成工艺验证报告", ("连续流", "微反应器", "GMP"),
                 (150, 400), "生物医药", ("submit", "approve")),
    DemoScenario("life_health", "体外诊断设备基层医院应用验证场景",
                 "本地体外诊断设备需在真实临床环境中验证，以申报首台（套）。需要基层医疗机构提供应用验证场景并出具使用证明。",
                 "在 3 家乡镇卫生院完成 6 个月应用验证，出具用户使用证明", ("体外诊断", "临床验证", "首台套"),
                 (20, 60), "生命健康", (*PUBLISHED, "interest", "start_docking", "start_pilot", "close"),
                 outcome="validated", department="湖州市卫生健康委员会"),
    DemoScenario("green_home", "竹木家具表面缺陷视觉分拣场景",
                 "安吉竹木家具企业板材表面节疤、裂纹依靠人工分拣。需要视觉分拣设备按缺陷等级自动分拣，提高出材率。",
                 "分拣准确率 95% 以上，出材率提升 5 个百分点", ("机器视觉", "分拣", "竹木加工"),
                 (30, 100), "绿色家居", (*PUBLISHED, "interest")),
    DemoScenario("chairs", "办公椅五金件柔性装配场景",
                 "安吉椅业企业款式多、换线频繁，五金件装配依赖熟练工。需要柔性装配单元，支持多款椅型快速换型。",
                 "一条柔性装配线，换型时间小于 30 分钟，人均产能提升 50%", ("柔性装配", "协作机器人"), (60, 150),
                 "绿色家居", ()),
    DemoScenario("digital_industry", "中小企业工业互联网平台轻量化接入场景",
                 "大量中小制造企业设备品牌杂、联网率低。需要低成本的设备联网与轻量化应用，支撑数字化改造诊断。",
                 "50 家企业设备联网，单企接入成本低于 2 万元", ("工业互联网", "设备联网", "低代码"), None,
                 "数字经济", (*PUBLISHED, "interest", "start_docking", "close"), outcome="no_match",
                 department="湖州市经济和信息化局"),
    DemoScenario("nev_parts", "新能源汽车电驱动总成下线 EOL 测试场景",
                 "电驱动总成下线测试节拍长，NVH 异响判定依赖人工听诊。需要 EOL 测试台与声学诊断算法，实现自动判定。",
                 "EOL 测试节拍不超过 90 秒，NVH 异响自动判定准确率 95% 以上", ("EOL测试", "NVH", "声学诊断"),
                 (100, 300), "新能源汽车及关键零部件", (*PUBLISHED, "interest")),
    DemoScenario("beidou_geoinfo", "北斗高精度农机自动驾驶场景",
                 "德清农业合作社需要北斗高精度农机自动驾驶，用于水稻插秧与植保作业。",
                 "10 台农机加装自动驾驶终端，直线作业精度 ±2.5 厘米", ("北斗", "高精度定位", "农机自动驾驶"),
                 (20, 50), "北斗与地理信息", (*PUBLISHED, "withdraw")),
)


@dataclass(frozen=True)
class DemoChallenge:
    cluster: str
    title: str
    background: str
    indicators: tuple[dict[str, str], ...]
    bounty_wan: tuple[int, int]  # (issuer, public)
    path: tuple[str, ...]
    industry_chain: str
    max_teams: int = 1


CHALLENGES: tuple[DemoChallenge, ...] = (
    DemoChallenge("nev_parts", "高性能碳纤维复合材料电池包壳体",
                  "电池包壳体轻量化、阻燃要求高，现有铝合金方案过重。",
                  ({"name": "减重", "target": "30", "unit": "%", "verification": "third_party_test"},
                   {"name": "拉伸强度", "target": "600", "unit": "MPa", "verification": "third_party_test"}),
                  (400, 100), ("submit_for_review", "publish", "open_applications"), "新能源汽车及关键零部件",
                  max_teams=2),
    DemoChallenge("new_materials", "低 VOCs 水性工业防腐涂料",
                  "钢结构防腐需要替代溶剂型涂料的水性产品，耐盐雾性能是瓶颈。",
                  ({"name": "耐中性盐雾", "target": "1000", "unit": "h", "verification": "third_party_test"},
                   {"name": "VOCs 含量", "target": "100", "unit": "g/L", "verification": "third_party_test",
                    "comparison": "at_most"}),
                  (160, 40), ("submit_for_review", "publish"), "新材料"),
    DemoChallenge("biomedicine", "手性药物中间体高选择性催化合成",
                  "关键中间体的手性选择性不足，纯化成本高。",
                  ({"name": "对映选择性 ee 值", "target": "99", "unit": "%", "verification": "third_party_test"},),
                  (240, 60), ("submit_for_review",), "生物医药"),
    DemoChallenge("high_end_equipment", "五轴联动数控系统国产化替代",
                  "高端五轴机床数控系统依赖进口，需要国产数控系统在整机上完成验证。",
                  ({"name": "定位精度", "target": "0.005", "unit": "mm", "verification": "third_party_test",
                    "comparison": "at_most"},),
                  (800, 200), ("submit_for_review", "publish", "open_applications", "close_applications"),
                  "高端装备"),
    DemoChallenge("modern_textile", "印染废水深度处理与中水回用",
                  "印染废水难降解有机物多，回用率低。", ({"name": "中水回用率", "target": "60", "unit": "%",
                                                   "verification": "user_trial"},),
                  (160, 40), (), "现代纺织"),
    DemoChallenge("digital_industry", "工业大模型质检知识库",
                  "多家企业希望用行业大模型沉淀质检经验，需求合并后暂停。", ({"name": "缺陷问答准确率", "target": "90",
                                                           "unit": "%", "verification": "expert_review"},),
                  (80, 20), ("submit_for_review", "cancel"), "数字经济"),
)


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)


async def _call(client: httpx.AsyncClient, tally: Tally, step: str, method: str, url: str,
                headers: dict[str, str], **kwargs: Any) -> dict[str, Any] | None:
    """One API call; a refusal is noted and the item stops there, a missing endpoint (404/405) is skipped."""
    response = await client.request(method, url, headers=headers, **kwargs)
    if response.status_code in (404, 405):
        tally.skipped[step] += 1
        return None
    if response.status_code >= 400:
        tally.refused.append(f"{step} {url}: {response.status_code} {response.text[:300]}")
        return None
    tally.done[step] += 1
    return response.json()  # type: ignore[no-any-return]


async def _titles(client: httpx.AsyncClient, path: str) -> set[str]:
    titles: set[str] = set()
    cursor = None
    while True:
        response = await client.get(path, params={"limit": 200, **({"cursor": cursor} if cursor else {})},
                                    headers=ADMIN)
        if response.status_code != 200:
            return titles
        page = response.json()
        titles.update(item["title"] for item in page["items"])
        if not (cursor := page.get("next_cursor")):
            return titles


async def _scenario(client: httpx.AsyncClient, tally: Tally, item: DemoScenario, publisher: dict[str, Any],
                    answering: list[dict[str, Any]], today: Any) -> None:
    body: dict[str, Any] = {
        "publisher": ({"kind": "department", "department": item.department} if item.department
                      else {"kind": "enterprise", "uscc": publisher["uscc"]}),
        "title": item.title, "description": item.description, "industry_chain": item.industry_chain,
        "kind": item.kind, "sector": FIRM_CLUSTERS[item.cluster][0], "cluster": item.cluster,
        "capability_tags": list(item.tags), "deliverable": item.deliverable,
        "budget": {"min_fen": item.budget_wan[0] * WAN, "max_fen": item.budget_wan[1] * WAN} if item.budget_wan else None,
        "district_code": publisher["district_code"], "deadline": (today + timedelta(days=90)).isoformat(),
        "contact_name": publisher["contact_name"], "contact_phone": publisher["contact_phone"],
    }
    own = OFFICER if item.department else firm(publisher["uscc"])
    scenario = await _call(client, tally, "scenario", "POST", "/v1/scenarios", own, json=body)
    suppliers: list[str] = []
    for command in item.path:
        if scenario is None:
            return
        if command == "interest":
            for other in answering:
                note = f"{other['name']}可提供{item.tags[0]}方案，已有同类项目经验。"
                if await _call(client, tally, "interest", "POST", f"/v1/scenarios/{scenario['id']}/interests",
                               firm(other["uscc"]), json={"note": note}) is not None:
                    suppliers.append(other["uscc"])
            continue
        actor = own if command in ("submit", "start_docking") else OFFICER
        step: dict[str, Any] = {"command": command}
        if command == "start_pilot" and suppliers:
            step["supplier_uscc"] = suppliers[0]
        if command == "close":
            step.update(outcome=item.outcome, reason={"validated": "应用验证通过，出具用户使用证明",
                                                      "no_match": "对接三个月无合适供给方"}.get(item.outcome or "", "结束"))
        if command == "withdraw":
            step["reason"] = "需求方调整计划，撤回发布"
        scenario = await _call(client, tally, f"scenario {command}", "POST", f"/v1/scenarios/{scenario['id']}/transitions",
                               {**actor, "If-Match": f'"{scenario["version"]}"'}, json=step)


async def _challenge(client: httpx.AsyncClient, tally: Tally, item: DemoChallenge, issuer: dict[str, Any],
                     today: Any) -> None:
    body = {
        "issuer": {"kind": "enterprise", "uscc": issuer["uscc"]}, "title": item.title, "background": item.background,
        "sector": FIRM_CLUSTERS[item.cluster][0], "cluster": item.cluster, "industry_chain": item.industry_chain,
        "capability_tags": list(FIRM_CLUSTERS[item.cluster][4]), "district_code": issuer["district_code"],
        "indicators": list(item.indicators),
        "bounty": {"total_fen": sum(item.bounty_wan) * WAN, "issuer_fen": item.bounty_wan[0] * WAN,
                   "public_fen": item.bounty_wan[1] * WAN},
        "duration_months": 24, "application_deadline": (today + timedelta(days=60)).isoformat(),
        "ip_terms": {"ownership": "joint", "note": "发榜方与揭榜方共有，发榜方享有免费实施权"},
        "max_teams": item.max_teams,
    }
    own = firm(issuer["uscc"])
    challenge = await _call(client, tally, "challenge", "POST", "/v1/challenges", own, json=body)
    for command in item.path:
        if challenge is None:
            return
        actor = own if command == "submit_for_review" else OFFICER
        step: dict[str, Any] = {"command": command}
        if command == "cancel":
            step["reason"] = "需求与其他榜单合并"
        if command == "close_applications":
            step["reason"] = "申报期结束"
        challenge = await _call(client, tally, f"challenge {command}", "POST",
                                f"/v1/challenges/{challenge['id']}/transitions",
                                {**actor, "If-Match": f'"{challenge["version"]}"'}, json=step)


async def _first_edition(client: httpx.AsyncClient, tally: Tally, kind: str, year: int) -> None:
    existing = await client.get(f"/v1/public/lists/{kind}/editions", params={"year": year})
    if existing.status_code == 200 and existing.json()["items"]:
        tally.skipped[f"{kind} edition (already published)"] += 1
        return
    await _call(client, tally, f"{kind} edition", "POST", f"/v1/lists/{kind}/editions", OFFICER,
                json={"year": year, "note": f"{year}年第1批，欢迎各类创新主体对接"})


# Where a firm can still answer (domain.invitations.takes_invitations), by the demand's status.
_OPEN = {"scenario": {"published", "docking"}, "challenge": {"published", "applications_open"}}
ANSWERED_DEMANDS = 3


async def answer_invitations(client: httpx.AsyncClient, tally: Tally, wait_seconds: float) -> None:
    """On up to :data:`ANSWERED_DEMANDS` open demands whose invitations nobody answered yet, the best-scored firm
    accepts and the next declines; demands answered before are left as they are (safe to run again)."""
    give_up = time.monotonic() + wait_seconds
    while True:
        listed = await client.get("/v1/invitations", params={"limit": 200}, headers=ADMIN)
        invitations = listed.json()["items"] if listed.status_code == 200 else []
        if invitations or time.monotonic() >= give_up:
            break
        await asyncio.sleep(1)
    by_demand: dict[str, list[dict[str, Any]]] = {}
    for invitation in invitations:
        by_demand.setdefault(invitation["demand_id"], []).append(invitation)
    answered = 0
    for invited in by_demand.values():
        if answered == ANSWERED_DEMANDS:
            return
        if any(i["status"] != "pending" for i in invited):
            continue
        demand = (await client.get(invited[0]["demand_href"], headers=ADMIN)).json()
        if demand.get("status") not in _OPEN[invited[0]["demand_kind"]]:
            continue
        invited.sort(key=lambda i: -i["reasons"]["score"])
        accept: dict[str, Any] = {"command": "accept"}
        if invited[0]["demand_kind"] == "scenario":
            accept["note"] = "我司已有同类项目落地经验，可安排技术人员现场对接"
        answers = (accept, {"command": "decline", "reason_code": "no_capacity", "reason": "本年度产能已排满，明年再对接"})
        for invitation, body in zip(invited, answers, strict=False):
            await _call(client, tally, f"invitation {body['command']}", "POST",
                        f"/v1/invitations/{invitation['id']}/transitions", firm(invitation["enterprise_uscc"]),
                        json=body)
        answered += 1


async def load(client: httpx.AsyncClient, invitations_wait: float = 0) -> Tally:
    """Load the demo through the scenarios API behind ``client``."""
    tally = Tally()
    today = programme_today()
    firms = demo_firms()
    scenarios_there = await _titles(client, "/v1/scenarios")
    for item in SCENARIOS:
        if item.title in scenarios_there:
            tally.skipped["scenario (already there)"] += 1
            continue
        publisher, *others = firms[item.cluster]
        await _scenario(client, tally, item, publisher, others[:2], today)
    challenges_there = await _titles(client, "/v1/challenges")
    for challenge in CHALLENGES:
        if challenge.title in challenges_there:
            tally.skipped["challenge (already there)"] += 1
            continue
        await _challenge(client, tally, challenge, firms[challenge.cluster][-1], today)
    for kind in ("scenarios", "challenges"):
        await _first_edition(client, tally, kind, today.year)
    await answer_invitations(client, tally, invitations_wait)
    return tally


def summary(tally: Tally) -> str:
    lines = ["scenarios demo: " + ", ".join(f"{n} {step}" for step, n in sorted(tally.done.items()))]
    if tally.skipped:
        lines.append("skipped: " + ", ".join(f"{n} {step}" for step, n in sorted(tally.skipped.items())))
    if tally.refused:
        lines.append(f"refused ({len(tally.refused)}): " + " | ".join(tally.refused[:5]))
    return "\n".join(lines)


async def _main(base_url: str, invitations_wait: float) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        try:
            tally = await load(client, invitations_wait)
        except httpx.HTTPError as exc:
            print(f"scenarios demo: {exc}", file=sys.stderr)
            return 1
    print(summary(tally))
    return 1 if tally.refused else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.scenarios.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8002")
    parser.add_argument("--invitations-wait", type=float, default=20.0,
                        help="seconds to wait for matching's first recommendation to become an invitation")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.base_url, args.invitations_wait))


if __name__ == "__main__":
    sys.exit(main())
