"""Report API models: per institute and year, income, licences by mode and firms reached."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ReportFormat = Literal["json", "xlsx"]


class InstituteYear(BaseModel):
    institute_id: str
    holder_name: str | None
    year: int
    income_fen: int = Field(description="payments received in the year (up-front fees, royalties, conversions)")
    payments: int
    licences: int = Field(description="licences and transfers that took effect in the year")
    licences_by_mode: dict[str, int]
    firms_reached: int = Field(description="distinct licensees of those licences")
    equity_registered: int = Field(description="equity contributions registered in the year")


class InstituteReport(BaseModel):
    year: int
    rows: list[InstituteYear]
    total: InstituteYear
