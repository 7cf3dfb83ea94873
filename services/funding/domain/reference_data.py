"""The figures of REFERENCE §12 and §13.2 as dated, per-issuer **data**: demo data for ``make run`` and examples for
the tests. No rule reads this module; the service loads these rows into its tables, where an officer replaces them
with each year's confirmed figures ("Amounts vary by year and district. Store them as dated, per-issuer data, never
as constants", §13).

Each row keeps the REFERENCE confidence tag. Rows from other Zhejiang cities are analogs ("example" in §13.2) and
are kept under their own issuer, so that no Huzhou rule picks them up by accident.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.funding.domain.money import wan
from services.funding.domain.programmes import DatedAmount
from services.funding.domain.resources import ResourceKind
from services.funding.domain.vouchers import CoverageRule, CoverageTable, VoucherTerms

HUZHOU = "湖州市"
_HUZHOU_2025 = "湖州市 2025 policy (REFERENCE §13.2, http://www.lzxfs.cn/subsidy_info/TVRNM053PT0=); confirm per year"

REWARD_AMOUNTS: tuple[DatedAmount, ...] = (
    DatedAmount(HUZHOU, "hnte_first_recognition", wan(20), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    DatedAmount(HUZHOU, "hnte_re_recognition", wan(10), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    DatedAmount(HUZHOU, "key_lab_or_innovation_centre", wan(1000), date(2025, 1, 1), source=_HUZHOU_2025,
                confidence="V"),
    DatedAmount(HUZHOU, "new_rd_institution_4_star", wan(30), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    DatedAmount(HUZHOU, "new_rd_institution_5_star", wan(50), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    DatedAmount(HUZHOU, "city_key_rd_project", wan(50), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    DatedAmount(HUZHOU, "city_tech_research_project", wan(10), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    DatedAmount(HUZHOU, "city_public_welfare_project", wan(10), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    DatedAmount(HUZHOU, "city_natural_science_fund", wan(2), date(2025, 1, 1), source=_HUZHOU_2025, confidence="C"),
    # Analogs (§13.2 "example"): other issuers, kept as they are.
    DatedAmount("杭州市西湖区", "tech_sme_first_recognition", wan(1), date(2024, 1, 1), ceiling=False,
                source="西湖区 notice, 2023 recognitions paid 2024-11 (http://51kjxm.com/ask_65.html)", confidence="C"),
    DatedAmount("浙江省", "first_set_equipment_international", wan(200), date(2021, 1, 1), ceiling=False,
                source="浙经信装备〔2021〕226号, 2021 batch", confidence="C"),
    DatedAmount("浙江省", "first_set_equipment_domestic", wan(100), date(2021, 1, 1), ceiling=False,
                source="浙经信装备〔2021〕226号, 2021 batch", confidence="C"),
    DatedAmount("浙江省", "first_set_equipment_provincial", wan(50), date(2021, 1, 1), ceiling=False,
                source="浙经信装备〔2021〕226号, 2021 batch", confidence="C"),
    DatedAmount("嵊州市", "first_version_software", wan(50), date(2022, 1, 1), ceiling=False,
                source="嵊州 2022 policy", confidence="C"),
)

# 玉环's voucher (§12.2 [C]): 2万 per application, 10万 per firm and year, a purchase below 1万 paid in full. Its
# share above 1万 was not seen [U]: 30 % stands in (the 2016 provincial design's "30 % or more", §12.1), and the
# validity period is not known [U]: one year stands in.
YUHUAN_STYLE_TERMS = VoucherTerms(
    face_value_fen=wan(2),
    per_enterprise_annual_cap_fen=wan(10),
    validity_days=365,
    allowed_kinds=frozenset({ResourceKind.INSTRUMENT, ResourceKind.FACILITY, ResourceKind.TESTING_SERVICE}),
    coverage=CoverageTable((
        CoverageRule(Decimal("0.30"), full_below_fen=wan(1),
                     source="玉环 §12.2: full below 1万 [C]; 30 % above: 2016 design §12.1, a stand-in [U]"),
    )),
)

# Hangzhou's 2025 compute vouchers (§12.5 [C]): ≤ 30 % generally, ≤ 50 % for SMEs whose compute contracts total
# ≤ 50万 in the year (that total is not a fact funding holds: the SME row applies by size class alone here).
HANGZHOU_COMPUTE_COVERAGE = CoverageTable((
    CoverageRule(Decimal("0.50"), frozenset({ResourceKind.COMPUTE}), frozenset({"medium", "small", "micro"}),
                 source="杭州 2025 算力券, SMEs (§12.5)"),
    CoverageRule(Decimal("0.30"), frozenset({ResourceKind.COMPUTE}), source="杭州 2025 算力券 (§12.5)"),
))
