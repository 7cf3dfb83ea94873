"""Guidance visits (跟踪辅导): what "overdue" means for a follow-up (open or done), as a pure rule."""

from __future__ import annotations

from datetime import date


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """An open follow-up is overdue from the day after its due date (the due day itself still counts as on time)."""
    return status == "open" and due_on < today
