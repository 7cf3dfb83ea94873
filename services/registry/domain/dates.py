"""Calendar arithmetic shared by the domain rules."""

from __future__ import annotations

import calendar
from datetime import date


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (earlier if negative); 29 February falls back to 28 February.

    Dates from callers lie within shared.types.DATE_MIN..DATE_MAX, so the rules' few years never leave Python's
    calendar (years 1–9999); a date that did would raise ValueError here, not be moved to another day."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return day.replace(year=year, day=28)
    return day.replace(year=year)
