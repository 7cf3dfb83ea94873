"""Calendar arithmetic shared by the domain rules."""

from __future__ import annotations

from datetime import date


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (earlier if negative); 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
