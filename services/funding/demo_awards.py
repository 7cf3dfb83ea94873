"""Demo data of the matching fund pool (配套基金池) for `make run`, loaded through the funding API as clients would
(after ``services.funding.demo``, which waits for the registry's firms to reach funding):

* a city fund pool (half a year back, a year ahead) with a programme for each instrument paid in money — grant
  (专精特新研发补助), subsidy (研发费用补助), loan-interest subsidy (贷款贴息), equity co-investment (股权跟投), challenge
  bounty (揭榜挂帅 public share, its round paying the bounties scenarios reports) — each with an open round, and a
  免申即享 run over the firms paying the 2025 湖州市 figure for a first HNTE recognition;
* applications of the registry's firms in each state: draft, eligibility checked, under review (a reviewer's
  declaration), approved, agreement, disbursing (a tranche paid), closed, rejected, withdrawn, clawed back;
* REFERENCE §13.2's reward figures as dated, per-issuer amounts (``domain.reference_data``).

Safe to run again: the pool is found by name and nothing is added when it exists.

    .venv/bin/python -m services.funding.demo_awards [--base-url http://127.0.0.1:8004] [--registry-url …]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import timedelta
from typing import Any

import httpx

from services.funding.demo import ADMIN, CITY_OFFICER, Tally, _all, _call, _token, registry_firms
from services.funding.domain.reference_data import REWARD_AMOUNTS
from shared.auth import Role
from shared.clock import programme_today
from shared.ids import HUZHOU_DISTRICTS

WAN = 1_000_000
POOL_NAME = "2026年播种计划配套基金（演示）"
REVIEWER_ID = "demo-expert"
REVIEWER = _token(Role.REVIEWER, subject=REVIEWER_ID)
IN_HUZHOU = {"kind": "district", "values": sorted(HUZHOU_DISTRICTS), "label": "在湖州注册"}
PROGRAMMES: tuple[dict[str, Any], ...] = (
    {"name": "专精特新企业研发项目资助", "instrument": "grant", "budget_fen": 2000 * WAN, "cap": 50 * WAN,
     "eligibility": [IN_HUZHOU, {"kind": "no_double_support"}]},
    {"name": "企业研发费用补助", "instrument": "subsidy", "budget_fen": 1000 * WAN, "cap": 30 * WAN,
     "eligibility": [IN_HUZHOU]},
    {"name": "科技型企业贷款贴息", "instrument": "loan_interest_subsidy", "budget_fen": 500 * WAN, "cap": 10 * WAN,
     "eligibility": [IN_HUZHOU]},
    {"name": "种子基金股权跟投", "instrument": "equity_co_investment", "budget_fen": 3000 * WAN, "cap": 300 * WAN,
     "eligibility": [IN_HUZHOU]},
    {"name": "揭榜挂帅财政奖补", "instrument": "challenge_bounty", "budget_fen": 2000 * WAN, "cap": 500 * WAN,
     "eligibility": []},
    {"name": "高新技术企业首次认定奖励（免申即享）", "instrument": "grant", "mode": "automatic", "budget_fen": 1000 * WAN,
     "cap": 20 * WAN, "eligibility": []},
)
# The states the demo leaves applications in, and the steps that lead there (after creation).
JOURNEYS: tuple[tuple[str, tuple[tuple[str, dict[str, Any]], ...]], ...] = (
    ("draft", ()),
    ("eligibility_checked", (("submit", {}),)),
    ("under_review", (("submit", {}), ("start_review", {}))),
    ("approved", (("submit", {}), ("start_review", {}), ("approve", {"amount_fen": 20 * WAN}))),
    ("agreement", (("submit", {}), ("start_review", {}), ("approve", {"amount_fen": 25 * WAN}),
                   ("sign_agreement", {"tranches": [{"milestone": "签约", "share": "0.4", "condition": "none"},
                                                    {"milestone": "结题验收", "share": "0.6", "condition": "acceptance"}]}))),
    ("disbursing", (("submit", {}), ("start_review", {}), ("approve", {"amount_fen": 30 * WAN}),
                    ("sign_agreement", {"tranches": [{"milestone": "签约", "share": "0.5", "condition": "none"},
                                                     {"milestone": "中期考核", "share": "0.5"}]}),
                    ("disburse", {"tranche_index": 0}))),
    ("closed", (("submit", {}), ("start_review", {}), ("approve", {"amount_fen": 10 * WAN}), ("sign_agreement", {}),
                ("disburse", {"tranche_index": 0}), ("close", {"note": "项目结题"}))),
    ("rejected", (("submit", {}), ("start_review", {}),
                  ("reject", {"rejection": {"code": "review_score", "detail": "专家评审得分低于入围线"}}))),
    ("withdrawn", (("withdraw", {"note": "企业主动撤回"}),)),
    ("clawed_back", (("submit", {}), ("start_review", {}), ("approve", {"amount_fen": 8 * WAN}),
                     ("sign_agreement", {}), ("disburse", {"tranche_index": 0}),
                     ("claw_back", {"note": "虚报研发费用，追回资金"}))),
)
TITLES = ("基于机器视觉的坯布瑕疵在线检测系统研发", "竹木复合材料智能化连续压制生产线", "锂电池极片缺陷快速检测装备",
          "生物基可降解包装材料中试", "新能源汽车电驱系统精密齿轮加工", "印染废水深度处理回用技术",
          "智能仓储多层穿梭车调度系统", "高端绿色家居五金件柔性制造", "工业物联网边缘网关国产化",
          "光伏组件回收拆解关键装备")


async def _programmes(client: httpx.AsyncClient, tally: Tally) -> dict[str, dict[str, Any]] | None:
    """The pool, its programmes and one open round each; None when the pool exists (a second run)."""
    if any(p["name"] == POOL_NAME for p in await _all(client, "/v1/fund-pools")):
        return None
    today = programme_today()
    pool = await _call(client, tally, "fund pool", "POST", "/v1/fund-pools", headers=CITY_OFFICER, json={
        "name": POOL_NAME, "issuer": "湖州市", "issuer_level": "city", "budget_fen": 10_000 * WAN,
        "opens_on": (today - timedelta(days=180)).isoformat(), "closes_on": (today + timedelta(days=365)).isoformat()})
    if pool is None:
        return None
    rounds: dict[str, dict[str, Any]] = {}
    bounty_round_taken = any(r["pays_challenge_bounties"] for r in await _all(client, "/v1/rounds"))
    for spec in PROGRAMMES:
        programme = await _call(client, tally, "programme", "POST", "/v1/programmes", headers=CITY_OFFICER, json={
            "pool_id": pool["id"], "name": spec["name"], "instrument": spec["instrument"],
            "mode": spec.get("mode", "application"), "budget_fen": spec["budget_fen"],
            "per_enterprise_cap_fen": spec["cap"], "opens_on": pool["opens_on"], "closes_on": pool["closes_on"],
            "eligibility": spec["eligibility"], "source": "演示数据（demo）"})
        if programme is None:
            continue
        pays = spec["instrument"] == "challenge_bounty" and not bounty_round_taken
        round_ = await _call(client, tally, "round", "POST", f"/v1/programmes/{programme['id']}/rounds",
                             headers=CITY_OFFICER, json={
                                 "name": f"{today.year}年第一批", "budget_fen": spec["budget_fen"] // 2,
                                 "opens_on": (today - timedelta(days=30)).isoformat(),
                                 "closes_on": (today + timedelta(days=90)).isoformat(), "pays_challenge_bounties": pays})
        if round_ is not None:
            rounds[spec["name"]] = round_
    return rounds


async def _journey(client: httpx.AsyncClient, tally: Tally, round_id: str, uscc: str, title: str,
                   steps: tuple[tuple[str, dict[str, Any]], ...]) -> None:
    firm = _token(Role.ENTERPRISE, uscc=uscc)
    # The firm asks for what the office will approve (or 10万 where the journey stops before an approval).
    requested = next((body["amount_fen"] for action, body in steps if action == "approve"), 10 * WAN)
    application = await _call(client, tally, "application", "POST", "/v1/applications", json={
        "round_id": round_id, "project_title": title, "requested_fen": requested, "summary": "演示申报（demo）"},
        headers={**firm, "Idempotency-Key": str(uuid.uuid4())})
    for action, body in steps:
        if application is None:
            return
        who = firm if action in ("submit", "withdraw") else CITY_OFFICER
        application = await _call(client, tally, action, "POST", f"/v1/applications/{application['id']}/transitions",
                                  json={"action": action, **body}, headers={
                                      **who, "If-Match": f'"{application["version"]}"',
                                      "Idempotency-Key": str(uuid.uuid4())})
        if application is not None and action == "start_review":
            # The programme office assigns the demo's expert (declared once, without ties), who then scores.
            await _call(client, tally, "reviewer", "POST", f"/v1/applications/{application['id']}/reviewers",
                        headers=CITY_OFFICER, json={"reviewer_id": REVIEWER_ID})
            await _call(client, tally, "review", "POST", f"/v1/applications/{application['id']}/reviews",
                        headers=REVIEWER, json={"conflict_of_interest": False, "score": 82})


async def load(client: httpx.AsyncClient, usccs: list[str]) -> Tally:
    """The demo through the funding API behind ``client``, with applications of ``usccs`` (firms funding knows)."""
    tally = Tally()
    rounds = await _programmes(client, tally)
    if (await client.get("/v1/reviewers/me/declaration", headers=REVIEWER)).status_code == 404:
        await _call(client, tally, "declaration", "PUT", "/v1/reviewers/me/declaration", headers=REVIEWER, json={})
    if not rounds or not usccs:
        return tally
    grant_round = rounds[PROGRAMMES[0]["name"]]["id"]
    for n, (_, steps) in enumerate(JOURNEYS):
        await _journey(client, tally, grant_round, usccs[n % len(usccs)], TITLES[n % len(TITLES)], steps)
    # The figures of REFERENCE §13.2 as dated, per-issuer amounts (domain.reference_data): 湖州市's and the analogs'
    # under their own issuers. The 免申即享 run below pays the 2025 湖州市 figure for a first HNTE recognition.
    for amount in REWARD_AMOUNTS:
        await _call(client, tally, "dated amount", "POST", "/v1/dated-amounts", headers=CITY_OFFICER, json={
            "issuer": amount.issuer, "item": amount.item, "amount_fen": amount.amount_fen,
            "effective_from": amount.effective_from.isoformat(),
            "effective_until": amount.effective_until.isoformat() if amount.effective_until else None,
            "ceiling": amount.ceiling, "source": amount.source or None, "confidence": amount.confidence})
    automatic = rounds.get(PROGRAMMES[-1]["name"])
    if automatic is not None:
        await _call(client, tally, "automatic award run", "POST", f"/v1/rounds/{automatic['id']}/automatic-awards",
                    headers={**CITY_OFFICER, "Idempotency-Key": str(uuid.uuid4())}, json={
                        "code": "huzhou-hnte-first-recognition-demo", "title": "高新技术企业首次认定奖励",
                        "eligibility": [{"kind": "tier_held", "values": ["hnte"]}], "issuer": "湖州市",
                        "amount_item": "hnte_first_recognition"})
    return tally


async def _main(base_url: str, registry_url: str, firms: int) -> int:
    try:
        usccs = await registry_firms(registry_url, firms)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, headers=ADMIN) as client:
            tally = await load(client, usccs)
    except httpx.HTTPError as exc:
        print(f"funding awards demo: {exc!r}", file=sys.stderr)
        return 1
    print("funding awards demo data: " + (", ".join(f"{n} {step}" for step, n in sorted(tally.done.items()))
                                          or "nothing new"))
    if tally.refused:
        print(f"refused ({len(tally.refused)}): " + " | ".join(tally.refused[:5]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.funding.demo_awards",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8004")
    parser.add_argument("--registry-url", default="http://127.0.0.1:8001")
    parser.add_argument("--firms", type=int, default=8, help="how many registry firms apply")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.base_url, args.registry_url, args.firms))


if __name__ == "__main__":
    sys.exit(main())
