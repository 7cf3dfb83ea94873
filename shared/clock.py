"""The programme's calendar, for every service: "today" is a civil date in Asia/Shanghai (DESIGN §4.6), whatever the
server's zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PROGRAMME_ZONE = ZoneInfo("Asia/Shanghai")


def programme_today() -> date:
    return datetime.now(PROGRAMME_ZONE).date()
