"""Demo data for `make run`: patents of Huzhou-area universities and institutes under each mode, loaded through the
licensing API as their clients would, after the registry's demo firms (services/registry/demo.py) have reached
licensing's read model over Kafka.

* 湖州师范学院, 浙江大学湖州研究院, 电子科技大学长三角研究院（湖州）, 湖州学院 and 中国科学院上海硅酸盐研究所湖州
  研究中心 (demo accounts ``inst-…``) enter granted patents with real-looking numbers (the check character right);
* an open licence (entry fee + royalty) taken by a firm by notice + payment, and a utility model's open licence
  (lump sum, with its evaluation report); an exclusive licence for 湖州; a transfer; a 先用后转 trial running (its
  reminder due soon) and one converted; an equity contribution (作价入股) registered; patents listed for licence or
  transfer only.
* Safe to run again: a patent already entered (409) is left with what was done to it.
* The licensees are firms of the registry demo's default 300 (its plans are deterministic): load the registry demo
  with its default count first.

    .venv/bin/python -m services.licensing.demo [--base-url http://127.0.0.1:8005] [--wait 90]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from services.registry.demo import plans as registry_plans
from shared.auth import Role, issue_token
from shared.clock import programme_today
from shared.ids import patent_check_char
from shared.settings import LOCAL_JWT_SECRET

INSTITUTES = {
    "inst-hznu": "湖州师范学院",
    "inst-zju-hz": "浙江大学湖州研究院",
    "inst-uestc-hz": "电子科技大学长三角研究院（湖州）",
    "inst-hzu": "湖州学院",
    "inst-sic-hz": "中国科学院上海硅酸盐研究所湖州研究中心",
}
# Licensees: the registry's demo firms (services/registry/demo.py plans, deterministic), the first of the cluster
# each story fits; the varied firms after the archetypes, so that the archetypes' evaluations keep their design.
STORIES = {"bamboo": "green_home", "textile": "modern_textile", "radar": "beidou_geoinfo", "farm": "biomedicine",
           "battery": "new_materials", "tea": "wood_products", "vision": "childrens_clothing"}


def _firms() -> dict[str, str]:
    plans = [p for p in registry_plans(300) if p.expected is None]
    chosen: dict[str, str] = {}
    for story, cluster in STORIES.items():
        chosen[story] = next(p.profile["uscc"] for p in plans
                             if p.profile["cluster"] == cluster and p.profile["uscc"] not in chosen.values())
    return chosen


FIRMS = _firms()


def number(year: int, kind: str, serial: int) -> str:
    digits = f"{year}{kind}{serial:07d}"
    return f"{digits}.{patent_check_char(digits)}"


@dataclass(frozen=True)
class DemoPatent:
    key: str
    institute: str
    application_number: str
    title: str
    abstract: str
    ipc: tuple[str, ...]
    inventors: tuple[str, ...]
    granted_on: str
    publication: str | None = None
    co_owner: str | None = None


PATENTS = (
    DemoPatent("bamboo", "inst-hznu", number(2021, "1", 345678), "一种竹纤维增强聚乳酸复合材料及其制备方法",
               "以安吉毛竹纤维为增强体，经碱处理与硅烷偶联剂改性后与聚乳酸熔融共混，制得可降解的竹塑复合材料，"
               "拉伸强度提高约35%，适用于绿色家居部件。", ("C08L67/04", "C08K7/02"), ("王建国", "李晓梅"), "2023-06-13"),
    DemoPatent("farm", "inst-hzu", number(2023, "2", 456789), "一种湖羊养殖废水生态处理装置",
               "由厌氧池、人工湿地和生态塘串联组成的湖羊养殖废水处理装置，出水氨氮低于15mg/L，可回用于牧草灌溉。",
               ("C02F3/32", "A01K1/01"), ("陈志华", "周丽"), "2024-02-20"),
    DemoPatent("vision", "inst-zju-hz", number(2022, "1", 112233), "基于机器视觉的坯布瑕疵在线检测方法",
               "采集织机下机坯布图像，以轻量卷积网络定位断经、断纬、油污等瑕疵，检出率不低于98%，替代人工验布。",
               ("G06T7/00", "D06H3/08"), ("刘洋", "孙静", "赵磊"), "2024-05-07", publication="CN114777888B"),
    DemoPatent("radar", "inst-uestc-hz", number(2022, "1", 223344), "一种毫米波雷达多目标跟踪信号处理方法",
               "对调频连续波雷达回波做距离-多普勒处理与自适应聚类，实现园区低速车辆与行人的多目标稳定跟踪。",
               ("G01S13/72", "G01S7/41"), ("何勇", "吴敏"), "2024-08-30"),
    DemoPatent("radar2", "inst-uestc-hz", number(2021, "1", 998877), "一种用于智能网联汽车的雷达标定装置及方法",
               "利用角反射器阵列和转台对车载毫米波雷达进行安装角标定，标定误差小于0.1度。",
               ("G01S7/40",), ("何勇", "郑涛"), "2023-11-14"),
    DemoPatent("battery", "inst-sic-hz", number(2020, "1", 556677), "一种高镍三元正极材料的表面包覆方法",
               "以原子层沉积在高镍三元正极颗粒表面包覆氧化铝纳米层，抑制循环中的界面副反应，500次循环容量保持率达92%。",
               ("H01M4/36", "H01M4/525"), ("黄超", "林霞"), "2022-09-16"),
    DemoPatent("tea", "inst-hznu", number(2022, "2", 667788), "一种安吉白茶理条机",
               "振动槽锅与热风协同的白茶理条机，槽温分区可控，成条率提高，适于家庭茶场小批量加工。",
               ("A23F3/06",), ("方明", "王建国"), "2023-03-28"),
    DemoPatent("textile", "inst-zju-hz", number(2021, "1", 778899), "一种涤纶织物低温无水染色工艺",
               "以超临界二氧化碳为介质在100℃以下完成分散染料上染，省去水洗环节，染色均匀性达4-5级。",
               ("D06P1/94", "D06P3/54"), ("刘洋", "徐娟"), "2023-08-22", co_owner="湖州南浔某丝绸有限公司"),
    DemoPatent("listed", "inst-hzu", number(2023, "1", 889900), "一种基于北斗的内河船舶航迹异常识别方法",
               "融合北斗定位与电子航道图，识别内河船舶偏航、超速和异常停泊，适用于长湖申线航道监管。",
               ("G08G3/00", "G01S19/42"), ("杨平", "钱刚"), "2025-01-10"),
)


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    already: int = 0


def headers_of(institute: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret=LOCAL_JWT_SECRET, role=Role.INSTITUTE, institute_id=institute, subject=f'demo-{institute}')}"}


def firm_headers(uscc: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret=LOCAL_JWT_SECRET, role=Role.ENTERPRISE, uscc=uscc, subject=f'demo-{uscc}')}"}


async def _call(client: httpx.AsyncClient, tally: Tally, step: str, method: str, url: str, *, wait: float = 0,
                **kwargs: Any) -> dict[str, Any] | None:
    """One call; a licensee licensing does not know yet (the registry's events still on their way) is retried for
    ``wait`` seconds; other refusals are noted, never fatal."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        response = await client.request(method, url, **kwargs)
        if response.status_code < 400:
            tally.done[step] += 1
            return response.json()  # type: ignore[no-any-return]
        unknown_firm = response.status_code == 422 and "is registered" in response.text
        if unknown_firm and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(2)
            continue
        tally.refused.append(f"{step}: {response.status_code} {response.text[:240]}")
        return None


async def load(client: httpx.AsyncClient, *, wait: float = 90) -> Tally:
    tally = Tally()
    today = programme_today()
    created: dict[str, dict[str, Any]] = {}
    for p in PATENTS:
        holder = INSTITUTES[p.institute]
        patentees = [{"name": holder, "consented": True, "consented_on": "2026-01-05"}]
        if p.co_owner:
            patentees.append({"name": p.co_owner, "consented": True, "consented_on": "2026-01-08"})
        body = {"holder_name": holder, "application_number": p.application_number, "title": p.title,
                "abstract": p.abstract, "ipc_classes": list(p.ipc), "inventors": list(p.inventors),
                "patentees": patentees, "legal_status": "granted", "granted_on": p.granted_on,
                "publication_numbers": [p.publication] if p.publication else []}
        response = await client.post("/v1/patents", json=body, headers=headers_of(p.institute))
        if response.status_code == 409:
            tally.already += 1
            continue
        if response.status_code != 201:
            tally.refused.append(f"patent {p.key}: {response.status_code} {response.text[:240]}")
            continue
        tally.done["patent"] += 1
        created[p.key] = response.json()

    def path(key: str, rest: str = "") -> str:
        return f"/v1/patents/{created[key]['id']}{rest}"

    def idem(step: str) -> dict[str, str]:
        return {"Idempotency-Key": f"demo-{step}"}

    def days(n: int) -> str:
        return (today + timedelta(days=n)).isoformat()

    if "bamboo" in created:  # 开放许可: entry fee + running royalty, taken by notice + payment
        h = headers_of("inst-hznu")
        await _call(client, tally, "open licence", "POST", path("bamboo", "/open-licence"), headers=h, json={
            "royalty": {"mode": "entry_fee_plus_royalty", "entry_fee_fen": 2_000_000, "rate": "0.03",
                        "basis": "net_sales"},
            "standard": "入门费2万元；许可期内每季度结束后30日内按净销售额的3%支付提成",
            "term_start": days(-60), "term_end": days(3 * 365)})
        await _call(client, tally, "open licence notice", "POST", path("bamboo", "/open-licence/notices"),
                    wait=wait, headers={**firm_headers(FIRMS["bamboo"]), **idem("bamboo-notice")},
                    json={"notice_on": days(-20), "payment": {"amount_fen": 2_000_000, "paid_on": days(-18),
                                                              "reference": "HZB-DEMO-0001"}})
    if "farm" in created:  # a utility model's open licence: lump sum, with its evaluation report
        await _call(client, tally, "open licence", "POST", path("farm", "/open-licence"), headers=headers_of("inst-hzu"),
                    json={"royalty": {"mode": "lump_sum", "lump_sum_fen": 800_000},
                          "standard": "一次性支付8000元，许可期内不限处理规模", "term_start": days(-10),
                          "term_end": days(2 * 365), "evaluation_report_no": "2024-PJ-330500-0123"})
        await _call(client, tally, "open licence notice", "POST", path("farm", "/open-licence/notices"), wait=wait,
                    headers={**firm_headers(FIRMS["farm"]), **idem("farm-notice")}, json={"notice_on": days(-2)})
    if "vision" in created:  # 独占许可 for 湖州
        await _call(client, tally, "exclusive licence", "POST", path("vision", "/licences"), wait=wait,
                    headers={**headers_of("inst-zju-hz"), **idem("vision-exclusive")},
                    json={"kind": "exclusive", "licensee_uscc": FIRMS["vision"], "territory": ["330500"],
                          "term_start": days(-90), "term_end": days(5 * 365), "fee_fen": 30_000_000,
                          "contract_no": "浙大湖州院许〔2026〕3号"})
    if "radar" in created:  # 先用后转: a trial running, its reminder due
        await _call(client, tally, "trial", "POST", path("radar", "/trials"), wait=wait,
                    headers={**headers_of("inst-uestc-hz"), **idem("radar-trial")},
                    json={"licensee_uscc": FIRMS["radar"], "conversion_mode": "transfer", "trial_start": days(-170),
                          "trial_end": days(10), "price_fen": 45_000_000,
                          "insurance_policy_no": "PICC-ZJ-2026-XYHZ-0042"})
    if "radar2" in created:  # 先用后转: a trial converted into a licence
        trial = await _call(client, tally, "trial", "POST", path("radar2", "/trials"), wait=wait,
                            headers={**headers_of("inst-uestc-hz"), **idem("radar2-trial")},
                            json={"licensee_uscc": FIRMS["radar"], "conversion_mode": "licence",
                                  "trial_start": days(-120), "trial_end": days(30),
                                  "price_formula": "首两年含本专利产品净销售额的2%，不低于10万元"})
        if trial:
            await _call(client, tally, "conversion", "POST", f"/v1/licences/{trial['id']}/conversion",
                        headers={**firm_headers(FIRMS["radar"]), **idem("radar2-convert")},
                        json={"amount_fen": 10_000_000, "paid_on": days(0), "reference": "HZB-DEMO-0002",
                              "contract_no": "电子科大湖州院转〔2026〕9号"})
    if "battery" in created:  # 作价入股, registered
        h = headers_of("inst-sic-hz")
        contribution = await _call(client, tally, "equity contribution", "POST", path("battery", "/equity-contributions"),
                                   wait=wait, headers=h, json={
                                       "valuation_method": "income", "appraisal_report_no": "浙坤元评报〔2026〕第118号",
                                       "appraisal_amount_fen": 800_000_000, "target_uscc": FIRMS["battery"],
                                       "share_ratio": "0.15", "pricing_method": "agreement",
                                       "publicity_start": days(-40), "publicity_end": days(-26),
                                       "inventors_share": "0.70"})
        if contribution:
            await _call(client, tally, "equity registration", "POST",
                        f"/v1/equity-contributions/{contribution['id']}/registration",
                        headers={**h, "If-Match": f'"{contribution["version"]}"'},
                        json={"registration_no": "CNIPA-ZLBG-2026-330500-0091", "registered_on": days(-3)})
    if "tea" in created:  # 转让
        await _call(client, tally, "transfer", "POST", path("tea", "/licences"), wait=wait,
                    headers={**headers_of("inst-hznu"), **idem("tea-transfer")},
                    json={"kind": "transfer", "licensee_uscc": FIRMS["tea"], "term_start": days(-30),
                          "fee_fen": 12_000_000, "contract_no": "湖师院转〔2026〕5号"})
    for key, modes in (("textile", ["licence", "trial_then_transfer"]), ("listed", ["licence", "transfer"])):
        if key in created:
            institute = next(p.institute for p in PATENTS if p.key == key)
            await _call(client, tally, "listing", "POST", path(key, "/listing"), json={"modes": modes},
                        headers={**headers_of(institute), "If-Match": f'"{created[key]["version"]}"'})
    return tally


def summary(tally: Tally) -> str:
    lines = ["licensing demo: " + ", ".join(f"{n} {step}" for step, n in sorted(tally.done.items()))]
    if tally.already:
        lines.append(f"{tally.already} patents were entered before (left as they are)")
    if tally.refused:
        lines.append(f"refused ({len(tally.refused)}): " + " | ".join(tally.refused[:5]))
    return "\n".join(lines)


async def _main(base_url: str, wait: float) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        try:
            tally = await load(client, wait=wait)
        except httpx.HTTPError as exc:
            print(f"licensing demo: {exc}", file=sys.stderr)
            return 1
    print(summary(tally))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.licensing.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8005")
    parser.add_argument("--wait", type=float, default=90,
                        help="seconds to wait for the registry's demo firms to reach licensing")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.base_url, args.wait))


if __name__ == "__main__":
    sys.exit(main())
