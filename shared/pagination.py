"""Keyset pages for every list (DESIGN §6: ``?limit=&cursor=`` with a stable order).

A list names its order as keys (a column and the parser that turns a cursor value back into the column's type);
the last key must be unique (an id), so that ties never skip or repeat a row while rows are added. The cursor is
the last row's key values; a forged or foreign one is 422, never a 500 (``decode_cursor``).

    rows, next_cursor = await paginate(session, select(Enterprise).where(...), limit=limit, cursor=cursor,
                                       keys=(Key(Enterprise.created_at, cursor_datetime), Key(Enterprise.id, cursor_uuid)))

This is the only place that reads one row more than a page or writes a cursor: a test holds every list to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, SmallInteger, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.errors import InvalidInput
from shared.http import decode_cursor, encode_cursor
from shared.types import INT32_MAX, INT32_MIN


@dataclass(frozen=True)
class Key:
    """One column of a list's order and how its cursor value is parsed (``cursor_uuid``, ``cursor_datetime``,
    ``cursor_date``, ``cursor_int``, ``str``). ``attribute`` names the value on a result row when it differs from
    the column's key (a labelled expression)."""

    column: Any
    parse: Callable[[Any], Any]
    attribute: str | None = None

    @property
    def name(self) -> str:
        return self.attribute or self.column.key


def _is_entity_select(query: Select[Any]) -> bool:
    described = query.column_descriptions
    return len(described) == 1 and isinstance(described[0].get("type"), type) and described[0].get("entity") is not None


def _within_range(value: Any, column: Any) -> Any:
    """cursor_int allows BIGINT's range; an INTEGER or SMALLINT column holds less, and the driver would refuse a
    value beyond it with a 500: such a cursor was not issued here."""
    column_type = column.type
    if isinstance(value, int) and isinstance(column_type, Integer) and not isinstance(column_type, BigInteger):
        low, high = (-(2**15), 2**15 - 1) if isinstance(column_type, SmallInteger) else (INT32_MIN, INT32_MAX)
        if not low <= value <= high:
            raise InvalidInput("cursor is not one this API issued", field="cursor")
    return value


def keyset(query: Select[Any], keys: Sequence[Key], limit: int, cursor: str | None, *,
           descending: bool = False) -> Select[Any]:
    """``query`` ordered by ``keys``, after the cursor's row, one row more than the page."""
    columns = [k.column for k in keys]
    if cursor:
        # Bound with each column's own type, so that the column's conversions apply (a UTC time on SQLite).
        values = [literal(_within_range(value, column), type_=column.type)
                  for value, column in zip(decode_cursor(cursor, *(k.parse for k in keys)), columns, strict=True)]
        if len(keys) == 1:
            query = query.where(columns[0] < values[0] if descending else columns[0] > values[0])
        else:
            # Row-value comparison: one condition that PostgreSQL serves from the (keys…) index.
            query = query.where(tuple_(*columns) < tuple_(*values) if descending else tuple_(*columns) > tuple_(*values))
    order = [c.desc() for c in columns] if descending else [c.asc() for c in columns]
    return query.order_by(*order).limit(limit + 1)


def page_of(rows: Sequence[Any], keys: Sequence[Key], limit: int) -> tuple[list[Any], str | None]:
    """The page and the cursor of the next one (None on the last page) from the rows of :func:`keyset`."""
    rows = list(rows)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, k.name) for k in keys])


async def paginate(
    db: AsyncSession | AsyncConnection,
    query: Select[Any],
    *,
    keys: Sequence[Key],
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``query`` in ``keys`` order and the next page's cursor. ORM entities come back as objects,
    other selects as rows."""
    result = await db.execute(keyset(query, keys, limit, cursor, descending=descending))
    rows = result.scalars().all() if _is_entity_select(query) else result.all()
    return page_of(rows, keys, limit)
