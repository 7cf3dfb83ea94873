"""The classifications a scenario or challenge is filed under, as data: the four sectors (四业), Huzhou's "4210"
industry system (REFERENCE §8.2, [C]: the Chinese names are translations of an English article, still to be checked
against the official wording) and the districts (REFERENCE §8.1, [V]) with the 南太湖新区 functional zone ([C]).

The sector and cluster tables are the programme's (``shared/classification.py``), the same keys an enterprise's
read-model row carries.
"""

from __future__ import annotations

from types import MappingProxyType

from shared.classification import CLUSTERS, SECTORS
from shared.errors import InvalidInput
from shared.ids import FUNCTIONAL_ZONES, HUZHOU_DISTRICTS, InvalidIdentifier, validate_district

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
