"""Classification vocabularies of the whole programme, as data, one copy for every service: the four sectors (四业)
and Huzhou's "4210" industry system (REFERENCE §8.2, [C]; the Chinese names are translations of an English article and
still to be checked against the official wording)."""

from __future__ import annotations

from types import MappingProxyType

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
