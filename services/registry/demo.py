"""Demo data for `make run`: plausible Huzhou firms, loaded through the registry's own HTTP API as a client would,
so that their events flow to the other services. Safe to run again: a firm already there is left as it is."""

from __future__ import annotations

import random
import sys

import httpx

from shared.auth import Role, issue_token
from shared.ids import HUZHOU_DISTRICTS, org_code_check_char, uscc_check_char
from shared.settings import LOCAL_JWT_SECRET

# (industry code, main products) per "4210" area; names are invented, plausible for the sector.
PROFILES = [
    ("C3981", "工业视觉检测设备", "智能装备"),
    ("C3399", "高端金属结构件", "精密制造"),
    ("C2710", "创新药中间体", "生物医药"),
    ("C2682", "功能性化妆品原料", "美妆科技"),
    ("C2110", "竹木复合家具", "绿色家居"),
    ("C1811", "功能性童装面料", "纺织科技"),
    ("C3670", "新能源汽车电驱部件", "新能源科技"),
    ("I6513", "工业互联网平台软件", "数字科技"),
    ("C3985", "电子元器件", "电子科技"),
    ("I6540", "北斗定位终端", "北斗信息"),
    ("C3434", "智能物流分拣设备", "物流装备"),
    ("C2641", "新型涂料与树脂材料", "新材料"),
]
PLACES = {"330502": "吴兴", "330503": "南浔", "330521": "德清", "330522": "长兴", "330523": "安吉"}


def demo_uscc(n: int, district: str) -> str:
    org = f"{70000000 + n:08d}"
    first17 = f"91{district}{org}{org_code_check_char(org)}"
    return first17 + uscc_check_char(first17)


def firms(count: int) -> list[dict[str, str]]:
    rng = random.Random(2025)
    out = []
    for n in range(count):
        district = list(HUZHOU_DISTRICTS)[n % len(HUZHOU_DISTRICTS)]
        industry, products, word = PROFILES[n % len(PROFILES)]
        out.append({
            "uscc": demo_uscc(n, district),
            "name": f"湖州{PLACES[district]}{word}{'有限公司' if n % 3 else '股份有限公司'}{n:03d}",
            "district_code": district,
            "industry_code": industry,
            "established_on": f"{rng.randint(2008, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "main_products": products,
        })
    return out


def main(base_url: str = "http://127.0.0.1:8001", count: int = 300) -> int:
    headers = {"Authorization": f"Bearer {issue_token(secret=LOCAL_JWT_SECRET, role=Role.ADMIN, subject='demo-loader')}"}
    created = existing = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        for firm in firms(count):
            response = client.post("/v1/enterprises", json=firm)
            if response.status_code == 201:
                created += 1
            elif response.status_code == 409:
                existing += 1
            else:
                print(f"demo: {firm['uscc']} refused: {response.status_code} {response.text}", file=sys.stderr)
                return 1
    print(f"demo data: {created} enterprises registered, {existing} already there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
