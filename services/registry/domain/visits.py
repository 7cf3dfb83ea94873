"""Guidance visits (跟踪辅导): the follow-up states and what "overdue" means, as pure rules."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

FOLLOW_UP_STATUSES = MappingProxyType({
    "open": "待办",
    "done": "已办结",
})


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """An open follow-up is overdue from the day after its due date (the due day itself still counts as on time)."""
    return status == "open" and due_on < today
