"""The classifications a scenario or challenge is filed under, as data: the four sectors (四业), Huzhou's "4210"
industry system (REFERENCE §8.2, [C]: the Chinese names are translations of an English article, still to be checked
against the official wording) and the districts (REFERENCE §8.1, [V]) with the 南太湖新区 functional zone ([C]).

The sector and cluster keys are the registry's (``services/registry/domain/classification.py``): an enterprise's
read-model row carries those keys, and eligibility compares them with ours. A service does not import another
service's code, so the table is repeated here, and a test fails the moment the two differ; it belongs in the
shared kit, where both can read one copy.
"""

from __future__ import annotations

from types import MappingProxyType

from shared.errors import InvalidInput
from shared.ids import FUNCTIONAL_ZONES, HUZHOU_DISTRICTS, InvalidIdentifier, validate_district

# 四业: the programme's four sectors.
SECTORS = MappingProxyType({
    "advanced_manufacturing": "先进制造业",
    "strategic_emerging": "战略性新兴产业",
    "future_industries": "未来产业",
    "digital_services": "数字服务业",
})

# "4210": 4 strategic emerging industries, 2 local advantage industries, 10 characteristic clusters.
CLUSTERS = MappingProxyType({
    # 4 strategic emerging industries
    "digital_industry": "数字产业",
    "high_end_equipment": "高端装备",
    "new_materials": "新材料",
    "life_health": "生命健康",
    # 2 local advantage industries
    "green_home": "绿色家居",
    "modern_textile": "现代纺织",
    # 10 characteristic industrial clusters
    "electronic_components": "电子元器件",
    "beidou_geoinfo": "北斗及地理信息",
    "nev_parts": "新能源汽车及关键零部件",
    "smart_logistics_equipment": "智能物流装备",
    "high_end_metal_materials": "高端金属结构材料",
    "biomedicine": "生物医药",
    "modern_cosmetics": "现代美妆",
    "wood_products": "木业",
    "chairs": "椅业",
    "childrens_clothing": "童装",
})

# Where a restriction by place may point: a county-level division (GB/T 2260) or a functional zone, which has no
# code of its own (南太湖新区 spans parts of 吴兴区 and 长兴县, REFERENCE §8.1).
AREAS = MappingProxyType({**HUZHOU_DISTRICTS, **FUNCTIONAL_ZONES})


def check_sector(value: object, field: str = "sector") -> str:
    if value not in SECTORS:
        raise InvalidInput(f"unknown sector {value!r}; one of: {', '.join(SECTORS)}", field=field)
    return str(value)


def check_cluster(value: object, field: str = "cluster") -> str:
    if value not in CLUSTERS:
        raise InvalidInput(f'unknown "4210" cluster {value!r}; one of: {", ".join(CLUSTERS)}', field=field)
    return str(value)


def check_district(value: object, field: str = "district_code") -> str:
    """A Huzhou county-level code; the explanation of a wrong one (a pseudo-code, the city code) is shared.ids'."""
    try:
        return validate_district(value)  # type: ignore[arg-type]
    except InvalidIdentifier as exc:
        raise InvalidInput(str(exc), field=field) from None


def check_functional_zone(value: object, field: str = "functional_zone") -> str:
    if value not in FUNCTIONAL_ZONES:
        raise InvalidInput(f"unknown functional zone {value!r}; one of: {', '.join(FUNCTIONAL_ZONES)}", field=field)
    return str(value)


def check_area(value: object, field: str) -> str:
    """A district code or a functional-zone key."""
    if isinstance(value, str) and value.strip() in FUNCTIONAL_ZONES:
        return value.strip()
    return check_district(value, field)
