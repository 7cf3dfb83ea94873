"""Three-valued logic: True (met), False (not met), None (cannot be decided from the inputs).

All-of is False as soon as one part is False, whatever the unknowns; any-of is True as soon as one part is True.
That is what lets an evaluation decide despite gaps when the gaps cannot matter.
"""

from __future__ import annotations

Tri = bool | None


def tri_all(values: list[Tri]) -> Tri:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def tri_any(values: list[Tri]) -> Tri:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False
