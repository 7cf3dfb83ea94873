"""Bulk import (批量导入) and export (导出) of enterprises and annual figures: the documented file columns and the
import report.

A file's header row names its columns, either by the English key or by the Chinese title listed here (both are
matched after trimming spaces, ignoring case, and ignoring full-width/half-width brackets). Every row is then
validated with the same pydantic models the single-record API uses, so a value refused by
``POST /v1/enterprises`` is refused by an import too, with the same reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.registry.domain.figures import wan
from services.registry.schemas.figures import AnnualFiguresWrite
from shared.clock import programme_today
from shared.types import USCC, YEAR_MAX, integer_between


@dataclass(frozen=True)
class Column:
    """One documented file column: the model field it fills, its Chinese titles, and a converter for units."""

    key: str
    titles: tuple[str, ...] = ()
    # The model field the value goes to (differs from ``key`` for unit variants such as 营业收入（万元）).
    field: str = ""
    # Turns the cell text into the model's unit (万元 → fen); None leaves it to the model's own validation.
    convert: Callable[[str], Any] | None = None

    @property
    def target(self) -> str:
        return self.field or self.key


def _wan_to_fen(text: str) -> int:
    try:
        return wan(text.replace(",", ""))
    except (ArithmeticError, ValueError):
        raise ValueError(f"{text!r} is not an amount in 万元 (at most 6 decimals: whole fen)") from None


def _percent_to_fraction(text: str) -> Decimal:
    try:
        return Decimal(text.rstrip("%").strip()) / 100
    except ArithmeticError:
        raise ValueError(f"{text!r} is not a percentage") from None


# --- enterprises --------------------------------------------------------------------------------------------------

# Chinese titles of the enterprise columns. The columns themselves are the fields of EnterpriseCreate (the
# single-record API's model), so a field the API gains is importable at once under its English key.
ENTERPRISE_TITLES: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码"),
    "name": ("企业名称", "名称"),
    "short_name": ("企业简称", "简称"),
    "legal_representative": ("法定代表人", "法人代表"),
    "contact_name": ("联系人",),
    "contact_phone": ("联系电话", "联系人电话"),
    "contact_email": ("电子邮箱", "联系邮箱"),
    "established_on": ("成立日期",),
    "district_code": ("区县代码", "所属区县", "区县"),
    "functional_zone": ("功能区",),
    "address": ("地址", "注册地址", "经营地址"),
    "longitude": ("经度",),
    "latitude": ("纬度",),
    "industry_code": ("行业代码", "国民经济行业代码"),
    "sector": ("四业", "产业领域"),
    "cluster": ("4210产业", "产业集群"),
    "main_products": ("主要产品", "主导产品"),
    "product_tags": ("产品标签",),
    "technical_capabilities": ("技术能力", "核心技术"),
    "capability_tags": ("技术标签", "能力标签"),
    "platform_id": ("所在平台", "平台编号"),
}

# Columns an export writes that an import does not set (derived or system-kept state): ignored on import, so
# that an exported file can be edited and imported again.
ENTERPRISE_READ_ONLY: dict[str, tuple[str, ...]] = {
    "id": ("编号",),
    "registration_division_code": ("登记机关区划代码",),
    "size_class": ("企业规模",),
    "pool": ("所在库",),
    "version": ("版本",),
    "created_at": ("创建时间",),
    "updated_at": ("更新时间",),
}

# Personal data (DESIGN §6): masked in exports for roles that do not need it; a masked value is refused on import
# so that a masked export cannot overwrite the real contacts.
PERSONAL_COLUMNS = ("legal_representative", "contact_name", "contact_phone", "contact_email")

# Cells of these columns hold several tags: split on any of these separators.
TAG_SEPARATORS = (";", "；", ",", "，", "、", "|")


# --- annual figures -----------------------------------------------------------------------------------------------

_FIGURE_MONEY = {
    "operating_revenue_fen": "营业收入",
    "main_business_revenue_fen": "主营业务收入",
    "rd_expense_fen": "研发费用",
    "rd_expense_domestic_fen": "境内研发费用",
    "total_cost_expense_fen": "成本费用总额",
    "total_assets_fen": "资产总额",
    "total_liabilities_fen": "负债总额",
    "net_profit_fen": "净利润",
    "high_tech_product_revenue_fen": "高新技术产品收入",
    "equity_financing_fen": "股权融资",
}

FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("uscc", ENTERPRISE_TITLES["uscc"]),
    Column("year", ("年度", "年份")),
    Column("employees", ("职工人数", "从业人员", "从业人数")),
    Column("rd_staff", ("研发人员", "研发人员数")),
    Column("tech_staff", ("科技人员", "科技人员数")),
    *(Column(key, (f"{title}（分）",)) for key, title in _FIGURE_MONEY.items()),
    *(Column(key.removesuffix("_fen") + "_wan", (f"{title}（万元）", title), field=key, convert=_wan_to_fen)
      for key, title in _FIGURE_MONEY.items()),
    Column("total_income_fen", ("总收入（分）",)),
    Column("total_income_wan", ("总收入（万元）", "总收入"), field="total_income_fen", convert=_wan_to_fen),
    Column("market_share", ("市场占有率",)),
    Column("market_share_percent", ("市场占有率（%）",), field="market_share", convert=_percent_to_fraction),
    Column("domestic_market_rank", ("国内细分市场排名", "市场排名")),
    Column("digital_maturity_level", ("数字化水平", "数字化水平等级")),
    Column("tech_results_converted", ("科技成果转化数",)),
)

class FiguresImportRow(AnnualFiguresWrite):
    """One row of an annual-figures (年报) import: the firm by USCC, the year, and the single-record API's figures
    model (AnnualFiguresWrite) with all its rules. Money in fen."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: USCC
    year: integer_between(1990, YEAR_MAX)

    @field_validator("year")
    @classmethod
    def _not_in_future(cls, year: int) -> int:
        # A year is reported after it ends; the current calendar year may be reported provisionally.
        if year > programme_today().year:
            raise ValueError(f"{year} is in the future")
        return year




# --- the report ---------------------------------------------------------------------------------------------------

# A report lists at most this many rejections, so that a file of 100 000 bad rows still gets a usable answer.
MAX_LISTED_REJECTIONS = 10_000


class Rejection(BaseModel):
    """Why a row was refused. ``line`` is the row number a spreadsheet shows (the header is line 1)."""

    line: int
    field: str | None = None
    reason: str
    uscc: str | None = None


class Flag(BaseModel):
    """An accepted row that an officer should look at (e.g. R&D expense above revenue)."""

    line: int
    uscc: str
    flag: str


class ImportReport(BaseModel):
    """The outcome of one import. Accepted rows are committed even when others are rejected; a rejected row
    writes nothing. ``unchanged`` rows matched the record already stored (importing a file twice changes nothing
    the second time)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "import_id": "0b6c1d8e-8a43-4c1e-9a55-3f1f8b0f7f10", "kind": "enterprises", "file_name": "firms.csv",
        "rows": 3, "accepted": 2, "created": 1, "updated": 1, "unchanged": 0, "rejected": 1,
        "rejections": [{"line": 4, "field": "uscc", "reason": "USCC check character should be 6",
                        "uscc": "914403001922038217"}],
        "rejections_truncated": False, "flags": [],
    }]})

    import_id: uuid.UUID
    kind: Literal["enterprises", "figures"]
    file_name: str
    rows: int = Field(description="data rows read (blank rows are skipped)")
    accepted: int
    created: int
    updated: int
    unchanged: int
    rejected: int = Field(description="rows refused; each has one or more entries in `rejections`")
    rejections: list[Rejection]
    rejections_truncated: bool = False
    flags: list[Flag] = []
    reevaluated: int = Field(default=0, description="stored evaluations re-run because the figures they read changed")


class ImportJobRead(BaseModel):
    """An import running in the background (a file of more than ``background_rows`` rows, see the column listing):
    poll it at its Location until ``status`` is ``done`` (``report`` holds the row-level report) or ``failed``
    (``problem`` says why, as problem details). A failed import may have committed some chunks of rows, each with its
    audit entry: importing the same file again finishes the work (rows already imported come back unchanged)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="the import's id: the report's import_id")
    kind: Literal["enterprises", "figures"]
    file_name: str
    status: Literal["queued", "running", "done", "failed"]
    rows: int = Field(description="data rows counted when the file was accepted")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    report: ImportReport | None = None
    problem: dict[str, Any] | None = Field(default=None, description="why it failed: status, title, detail")


class ColumnDoc(BaseModel):
    key: str
    titles: list[str]


class ImportFormat(BaseModel):
    """The columns a file may have, for those who prepare one."""

    kind: Literal["enterprises", "figures"]
    required: list[str]
    columns: list[ColumnDoc]
    ignored: list[ColumnDoc] = []
    max_bytes: int
    max_rows: int = Field(description="data rows a file may hold below its header")
    background_rows: int = Field(description="a file of more rows is imported in the background: 202 and a job to poll")
    notes: list[str]

