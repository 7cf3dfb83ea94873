"""Enterprise size classes: 统计上大中小微型企业划分办法（2017）(国统字〔2017〕213号), REFERENCE §11.

The programme serves small and micro firms, so the size class is computed from the firm's industry and figures,
never typed in. The thresholds are DATA (``SIZE_TABLE``); every figure in it is tagged [M] by REFERENCE §11:
recalled from the official table and still to be confirmed against it.

Rule (REFERENCE §11): large, medium and small must reach the lower bound of EVERY indicator listed for the
industry, otherwise the firm drops a band; micro needs only ONE indicator below the small band's bound. Lower
bounds are inclusive ("X ≥ 1000" is large), as the official table writes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from services.registry.domain.figures import FEN_PER_WAN

SIZE_TABLE_METADATA: Mapping[str, str] = {
    "source": "统计上大中小微型企业划分办法（2017）, 国统字〔2017〕213号",
    "confidence": "M",
    "doubt": "REFERENCE §11: every threshold is recalled from the official table, not confirmed against a copy. "
    "The industry mapping's sub-division splits (G53 railways, G591, K701/K702) are recalled notes to the table [M].",
}


class SizeClass(StrEnum):
    LARGE = "large"  # 大型
    MEDIUM = "medium"  # 中型
    SMALL = "small"  # 小型
    MICRO = "micro"  # 微型


class IndustryGroup(StrEnum):
    AGRICULTURE = "agriculture"  # 农、林、牧、渔业
    INDUSTRY = "industry"  # 工业 (采矿业, 制造业, 电力热力燃气及水生产和供应业)
    CONSTRUCTION = "construction"  # 建筑业
    WHOLESALE = "wholesale"  # 批发业
    RETAIL = "retail"  # 零售业
    TRANSPORT = "transport"  # 交通运输业
    WAREHOUSING = "warehousing"  # 仓储业
    POSTAL = "postal"  # 邮政业
    ACCOMMODATION_CATERING = "accommodation_catering"  # 住宿业, 餐饮业
    INFORMATION_TRANSMISSION = "information_transmission"  # 信息传输业
    SOFTWARE_IT = "software_it"  # 软件和信息技术服务业
    REAL_ESTATE_DEVELOPMENT = "real_estate_development"  # 房地产开发经营
    PROPERTY_MANAGEMENT = "property_management"  # 物业管理
    LEASING_BUSINESS_SERVICES = "leasing_business_services"  # 租赁和商务服务业
    OTHER = "other"  # 其他未列明行业


@dataclass(frozen=True)
class SizeBounds:
    """Lower bounds of one size band; None = the indicator is not used for this industry."""

    employees: int | None = None  # X 从业人员 (people)
    revenue_wan: int | None = None  # Y 营业收入 (万元)
    assets_wan: int | None = None  # Z 资产总额 (万元)


@dataclass(frozen=True)
class IndustryThresholds:
    group: IndustryGroup
    label: str
    large: SizeBounds
    medium: SizeBounds
    small: SizeBounds  # below any of these → micro

    def bounds(self, size: SizeClass) -> SizeBounds:
        return {SizeClass.LARGE: self.large, SizeClass.MEDIUM: self.medium, SizeClass.SMALL: self.small}[size]


def _xy(label: str, group: IndustryGroup, *pairs: tuple[int, int]) -> IndustryThresholds:
    large, medium, small = (SizeBounds(employees=x, revenue_wan=y) for x, y in pairs)
    return IndustryThresholds(group, label, large, medium, small)


# REFERENCE §11 table, row by row [M]. Units: people and 万元.
SIZE_TABLE: Mapping[IndustryGroup, IndustryThresholds] = {
    t.group: t
    for t in (
        IndustryThresholds(
            IndustryGroup.AGRICULTURE, "农、林、牧、渔业",
            SizeBounds(revenue_wan=20000), SizeBounds(revenue_wan=500), SizeBounds(revenue_wan=50),
        ),
        _xy("工业", IndustryGroup.INDUSTRY, (1000, 40000), (300, 2000), (20, 300)),
        IndustryThresholds(
            IndustryGroup.CONSTRUCTION, "建筑业",
            SizeBounds(revenue_wan=80000, assets_wan=80000),
            SizeBounds(revenue_wan=6000, assets_wan=5000),
            SizeBounds(revenue_wan=300, assets_wan=300),
        ),
        _xy("批发业", IndustryGroup.WHOLESALE, (200, 40000), (20, 5000), (5, 1000)),
        _xy("零售业", IndustryGroup.RETAIL, (300, 20000), (50, 500), (10, 100)),
        _xy("交通运输业", IndustryGroup.TRANSPORT, (1000, 30000), (300, 3000), (20, 200)),
        _xy("仓储业", IndustryGroup.WAREHOUSING, (200, 30000), (100, 1000), (20, 100)),
        _xy("邮政业", IndustryGroup.POSTAL, (1000, 30000), (300, 2000), (20, 100)),
        _xy("住宿业、餐饮业", IndustryGroup.ACCOMMODATION_CATERING, (300, 10000), (100, 2000), (10, 100)),
        _xy("信息传输业", IndustryGroup.INFORMATION_TRANSMISSION, (2000, 100000), (100, 1000), (10, 100)),
        _xy("软件和信息技术服务业", IndustryGroup.SOFTWARE_IT, (300, 10000), (100, 1000), (10, 50)),
        IndustryThresholds(
            IndustryGroup.REAL_ESTATE_DEVELOPMENT, "房地产开发经营",
            SizeBounds(revenue_wan=200000, assets_wan=10000),
            SizeBounds(revenue_wan=1000, assets_wan=5000),
            SizeBounds(revenue_wan=100, assets_wan=2000),
        ),
        _xy("物业管理", IndustryGroup.PROPERTY_MANAGEMENT, (1000, 5000), (300, 1000), (100, 500)),
        IndustryThresholds(
            IndustryGroup.LEASING_BUSINESS_SERVICES, "租赁和商务服务业",
            SizeBounds(employees=300, assets_wan=120000),
            SizeBounds(employees=100, assets_wan=8000),
            SizeBounds(employees=10, assets_wan=100),
        ),
        IndustryThresholds(
            IndustryGroup.OTHER, "其他未列明行业",
            SizeBounds(employees=300), SizeBounds(employees=100), SizeBounds(employees=10),
        ),
    )
}

# GB/T 4754-2017 doors (门类) and the two-digit divisions (大类) each contains.
DOOR_DIVISIONS: Mapping[str, range] = {
    "A": range(1, 6), "B": range(6, 13), "C": range(13, 44), "D": range(44, 47), "E": range(47, 51),
    "F": range(51, 53), "G": range(53, 61), "H": range(61, 63), "I": range(63, 66), "J": range(66, 70),
    "K": range(70, 71), "L": range(71, 73), "M": range(73, 76), "N": range(76, 80), "O": range(80, 83),
    "P": range(83, 84), "Q": range(84, 86), "R": range(86, 91), "S": range(91, 97), "T": range(97, 98),
}

# Industry code prefix → group; the longest matching prefix wins and anything unmatched is 其他未列明行业.
# Doors are enough except where the table splits one (REFERENCE §11): F, G, H, I and K.
INDUSTRY_GROUP_BY_PREFIX: Mapping[str, IndustryGroup] = {
    "A": IndustryGroup.AGRICULTURE,
    "B": IndustryGroup.INDUSTRY, "C": IndustryGroup.INDUSTRY, "D": IndustryGroup.INDUSTRY,
    "E": IndustryGroup.CONSTRUCTION,
    "F51": IndustryGroup.WHOLESALE, "F52": IndustryGroup.RETAIL,
    # 交通运输业 excludes 铁路运输业 (G53) in the 2017 table's note [M]; railways fall to 其他未列明行业.
    "G54": IndustryGroup.TRANSPORT, "G55": IndustryGroup.TRANSPORT, "G56": IndustryGroup.TRANSPORT,
    "G57": IndustryGroup.TRANSPORT, "G58": IndustryGroup.TRANSPORT,
    "G591": IndustryGroup.TRANSPORT,  # 装卸搬运 is counted with 交通运输业 [M]
    "G59": IndustryGroup.WAREHOUSING,  # 592–599 仓储
    "G60": IndustryGroup.POSTAL,
    "H61": IndustryGroup.ACCOMMODATION_CATERING, "H62": IndustryGroup.ACCOMMODATION_CATERING,
    "I63": IndustryGroup.INFORMATION_TRANSMISSION, "I64": IndustryGroup.INFORMATION_TRANSMISSION,
    "I65": IndustryGroup.SOFTWARE_IT,
    "K701": IndustryGroup.REAL_ESTATE_DEVELOPMENT, "K702": IndustryGroup.PROPERTY_MANAGEMENT,
    "L": IndustryGroup.LEASING_BUSINESS_SERVICES,
}

_CODE = re.compile(r"^([A-T])?(\d{2,4})?$")


class InvalidIndustryCode(ValueError):
    """The code is not a GB/T 4754-2017 code, or is too coarse to pick one industry group."""


class SizeClassUndetermined(ValueError):
    """A figure the industry's thresholds need is missing and the class depends on it."""

    def __init__(self, missing: tuple[str, ...], possible: frozenset[SizeClass]) -> None:
        self.missing = missing
        self.possible = possible
        super().__init__(f"size class needs {', '.join(missing)}; could be {sorted(possible)}")


@lru_cache(maxsize=4096)  # a few hundred codes, looked up for every firm of every evaluation
def normalise_industry_code(code: str) -> str:
    """Return ``door letter + digits`` ("3981" → "C3981"), checking that the division belongs to the door."""
    cleaned = code.strip().upper()
    match = _CODE.match(cleaned)
    if not cleaned or match is None:
        raise InvalidIndustryCode(f"{code!r} is not a GB/T 4754-2017 industry code (door letter + 2–4 digits)")
    door, digits = match.groups()
    if digits is None:
        return door
    division = int(digits[:2])
    owner = next((letter for letter, divisions in DOOR_DIVISIONS.items() if division in divisions), None)
    if owner is None:
        raise InvalidIndustryCode(f"{code!r}: division {digits[:2]} does not exist in GB/T 4754-2017")
    if door is not None and door != owner:
        raise InvalidIndustryCode(f"{code!r}: division {digits[:2]} belongs to door {owner}, not {door}")
    return owner + digits


@lru_cache(maxsize=4096)  # pure over the constant tables; runs for every SizeClassOf measure
def industry_group(code: str) -> IndustryGroup:
    """Map a GB/T 4754-2017 code to the size table's industry group.

    A code too coarse to decide ("G59" could be 装卸搬运 or 仓储; "K" any real-estate activity) is refused rather
    than guessed.
    """
    normalised = normalise_industry_code(code)
    group = _longest_prefix_group(normalised)
    finer = {g for prefix, g in INDUSTRY_GROUP_BY_PREFIX.items() if prefix.startswith(normalised) and prefix != normalised}
    if finer - {group}:
        raise InvalidIndustryCode(f"{code!r} is too coarse: its sub-classes fall in different size-table groups")
    return group


def _longest_prefix_group(normalised: str) -> IndustryGroup:
    for length in range(len(normalised), 0, -1):
        group = INDUSTRY_GROUP_BY_PREFIX.get(normalised[:length])
        if group is not None:
            return group
    return IndustryGroup.OTHER


def possible_size_classes(
    industry_code: str, employees: int | None, revenue_fen: int | None, assets_fen: int | None
) -> tuple[frozenset[SizeClass], tuple[str, ...]]:
    """Every size class consistent with the known figures, and the names of the missing figures that matter.

    With all figures known the set has exactly one member. Used by the evaluation engine, which must tell
    "certainly not large" apart from "unknown" when figures are missing.
    """
    thresholds = SIZE_TABLE[industry_group(industry_code)]
    figures = {"employees": employees, "revenue_fen": revenue_fen, "assets_fen": assets_fen}
    possible: set[SizeClass] = set()
    missing: list[str] = []
    for size in (SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL):
        reaches, absent = _reaches(thresholds.bounds(size), figures)
        missing.extend(name for name in absent if name not in missing)
        if reaches is None:
            possible.add(size)
        elif reaches:
            possible.add(size)
            return frozenset(possible), tuple(missing)
    possible.add(SizeClass.MICRO)
    return frozenset(possible), tuple(missing)


def classify_size(industry_code: str, employees: int | None, revenue_fen: int | None, assets_fen: int | None) -> SizeClass:
    """The firm's size class under the 2017 rules; figures the industry does not use may be None.

    Raises ``SizeClassUndetermined`` when a needed figure is missing and the class depends on it.
    """
    possible, missing = possible_size_classes(industry_code, employees, revenue_fen, assets_fen)
    if len(possible) != 1:
        raise SizeClassUndetermined(missing, possible)
    (size,) = possible
    return size


def _reaches(bounds: SizeBounds, figures: Mapping[str, int | None]) -> tuple[bool | None, list[str]]:
    """Does the firm reach EVERY lower bound of this band? True / False / None (unknown), plus missing names."""
    checks = (
        ("employees", bounds.employees),
        ("revenue_fen", None if bounds.revenue_wan is None else bounds.revenue_wan * FEN_PER_WAN),
        ("assets_fen", None if bounds.assets_wan is None else bounds.assets_wan * FEN_PER_WAN),
    )
    unknown: list[str] = []
    for name, bound in checks:
        if bound is None:
            continue
        value = figures[name]
        if value is None:
            unknown.append(name)
        elif value < bound:
            return False, []  # one indicator short decides it, whatever the missing ones are
    return (None, unknown) if unknown else (True, [])
