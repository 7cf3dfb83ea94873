"""Platforms (播种平台): the vocabularies and the occupancy arithmetic, as pure rules.

A platform houses firms: incubators (孵化器), science parks (科创园), small and micro enterprise parks (小微企业园),
talent parks (人才创业园), maker spaces (众创空间) and start-up bases (创业基地). Its occupancy is not typed in: it is
the number of current tenancies, so that the figure on the map and the tenant list can never disagree.
"""

from __future__ import annotations

from types import MappingProxyType

PLATFORM_TYPES = MappingProxyType({
    "incubator": "孵化器",
    "science_park": "科创园",
    "micro_park": "小微企业园",
    "talent_park": "人才创业园",
    "maker_space": "众创空间",
    "startup_base": "创业基地",
})

# How a tenancy ends: graduation (毕业, the firm outgrew the incubator) or leaving for another reason (迁出).
EXIT_KINDS = MappingProxyType({
    "graduated": "毕业",
    "left": "迁出",
})

# Flagship lists (旗舰园区名单) are yearly; the programme runs 2025–2027 but lists are kept from its pilot years on.
FIRST_FLAGSHIP_YEAR = 2020


def vacancy(capacity: int, occupied: int) -> int:
    """Free places for new tenants (never negative: a capacity lowered below the tenants is refused elsewhere,
    but data imported from older systems may still be over-full)."""
    return max(capacity - occupied, 0)


def is_flagship(listed_years: list[int] | tuple[int, ...], current_year: int) -> bool:
    """A platform is a flagship while it is on the current year's list; earlier listings are its history."""
    return current_year in listed_years
