"""A stable fingerprint of a rule set's content: the SHA-256 of a canonical text of its data.

The text is derived from the objects, not from source code: every dataclass is written with its class name and
every field (so ``AtLeast(5)`` and ``AtMost(5)`` differ, as do two measures with the same fields), enums with their
class and value, ``Decimal`` exactly (``str``), dates in ISO form, sequences and mappings in their order, and
sets sorted by the canonical text of their members. Nothing depends on ``id()``, ``hash()`` (randomised per
process for str) or set iteration order, so the same rule set gives the same fingerprint in every process and run.

Class names are written without their module, so moving a class between modules does not change what a rule set
says. Behaviour written in code (a measure's ``measure`` method, shared tables such as the size-class thresholds)
is not data and is not covered: a change there bumps ``RULE_CODE_VERSION`` (service.evaluation_inputs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

_PLAIN = (str, int, bool, type(None))


def content_fingerprint(value: Any) -> str:
    """The hex SHA-256 of ``value``'s canonical text (see the module docstring)."""
    return hashlib.sha256(canonical_text(value).encode("utf-8")).hexdigest()


def canonical_text(value: Any) -> str:
    return json.dumps(_canonical(value), ensure_ascii=False, separators=(",", ":"))


def _canonical(value: Any) -> Any:
    kind = type(value)
    if isinstance(value, Enum):  # before the plain types: StrEnum / IntEnum members are str / int instances
        return {"$enum": kind.__qualname__, "value": _canonical(value._value_)}
    if kind in _PLAIN:  # exact types: a bool stays a bool, never 1
        return value
    if kind is float:
        return {"$float": repr(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if is_dataclass(value) and not isinstance(value, type):
        return {"$type": kind.__qualname__,
                "fields": {f.name: _canonical(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, Mapping):
        return {"$map": [[_canonical(k), _canonical(v)] for k, v in value.items()]}
    if isinstance(value, frozenset | set):
        members = [_canonical(item) for item in value]
        return {"$set": sorted(members, key=lambda m: json.dumps(m, ensure_ascii=False, separators=(",", ":")))}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    raise TypeError(f"no canonical form for {kind.__qualname__}: {value!r} (rule sets must be plain data)")
