"""2017 size classification (国统字〔2017〕213号, REFERENCE §11): every industry group, edges and gaps."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain.figures import FEN_PER_WAN
from services.registry.domain.size_class import (
    SIZE_TABLE,
    SIZE_TABLE_METADATA,
    IndustryGroup,
    InvalidIndustryCode,
    SizeBounds,
    SizeClass,
    SizeClassUndetermined,
    classify_size,
    industry_group,
    normalise_industry_code,
)

# A real GB/T 4754-2017 class code in each group.
CODE_OF_GROUP = {
    IndustryGroup.AGRICULTURE: "A0111",  # 稻谷种植
    IndustryGroup.INDUSTRY: "C3981",  # 电阻电容电感元件制造
    IndustryGroup.CONSTRUCTION: "E4710",  # 住宅房屋建筑
    IndustryGroup.WHOLESALE: "F5111",  # 谷物、豆及薯类批发
    IndustryGroup.RETAIL: "F5211",  # 百货零售
    IndustryGroup.TRANSPORT: "G5411",  # 公共电汽车客运
    IndustryGroup.WAREHOUSING: "G5920",  # 通用仓储
    IndustryGroup.POSTAL: "G6010",  # 邮政基本服务
    IndustryGroup.ACCOMMODATION_CATERING: "H6210",  # 正餐服务
    IndustryGroup.INFORMATION_TRANSMISSION: "I6311",  # 固定电信服务
    IndustryGroup.SOFTWARE_IT: "I6511",  # 基础软件开发
    IndustryGroup.REAL_ESTATE_DEVELOPMENT: "K7010",  # 房地产开发经营
    IndustryGroup.PROPERTY_MANAGEMENT: "K7020",  # 物业管理
    IndustryGroup.LEASING_BUSINESS_SERVICES: "L7211",  # 企业总部管理
    IndustryGroup.OTHER: "M7310",  # 自然科学研究和试验发展
}
ORDER = [SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM, SizeClass.LARGE]


def figures_at(bounds: SizeBounds) -> dict:
    """Figures exactly on a band's lower bounds; indicators the industry does not use are None."""
    return {
        "employees": bounds.employees,
        "revenue_fen": None if bounds.revenue_wan is None else bounds.revenue_wan * FEN_PER_WAN,
        "assets_fen": None if bounds.assets_wan is None else bounds.assets_wan * FEN_PER_WAN,
    }


def test_every_group_has_a_code_and_the_table_is_tagged_recalled():
    assert set(CODE_OF_GROUP) == set(SIZE_TABLE)
    assert SIZE_TABLE_METADATA["confidence"] == "M"


@pytest.mark.parametrize(("group", "code"), CODE_OF_GROUP.items())
def test_industry_group_of_code(group, code):
    assert industry_group(code) is group


@pytest.mark.parametrize(("group", "code"), CODE_OF_GROUP.items())
@pytest.mark.parametrize("size", [SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL])
def test_exactly_on_every_lower_bound_takes_the_band(group, code, size):
    bounds = SIZE_TABLE[group].bounds(size)
    assert classify_size(code, **figures_at(bounds)) is size


def used_indicators(group: IndustryGroup) -> list[str]:
    return [name for name, value in figures_at(SIZE_TABLE[group].small).items() if value is not None]


@pytest.mark.parametrize(
    ("code", "group", "indicator"),
    [(code, group, indicator) for group, code in CODE_OF_GROUP.items() for indicator in used_indicators(group)],
)
def test_one_indicator_just_below_small_makes_micro(code, group, indicator):
    figures = figures_at(SIZE_TABLE[group].small)
    figures[indicator] -= 1  # one person or one fen short
    assert classify_size(code, **figures) is SizeClass.MICRO


@pytest.mark.parametrize(
    ("code", "group", "weaker"),
    [
        (code, group, indicator)
        for group, code in CODE_OF_GROUP.items()
        if len(used_indicators(group)) > 1
        for indicator in used_indicators(group)
    ],
)
def test_large_on_one_indicator_only_drops_to_the_band_of_the_weaker(code, group, weaker):
    mixed = figures_at(SIZE_TABLE[group].large)
    mixed[weaker] = figures_at(SIZE_TABLE[group].medium)[weaker]
    assert classify_size(code, **mixed) is SizeClass.MEDIUM


def test_hand_examples():
    # 工业: medium needs BOTH X ≥ 300 and Y ≥ 2000万; 299 staff with 3亿 revenue is small.
    assert classify_size("C3981", 299, 30000 * FEN_PER_WAN, None) is SizeClass.SMALL
    # 工业: 19 staff is below small's 20 → micro, whatever the revenue.
    assert classify_size("C3981", 19, 50000 * FEN_PER_WAN, None) is SizeClass.MICRO
    # 软件和信息技术服务业: small from 10 staff and 50万; 9 staff → micro.
    assert classify_size("I6511", 10, 50 * FEN_PER_WAN, None) is SizeClass.SMALL
    assert classify_size("I6511", 9, 50 * FEN_PER_WAN, None) is SizeClass.MICRO
    # 其他未列明行业 uses staff only.
    assert classify_size("M7310", 300, None, None) is SizeClass.LARGE
    # 房地产开发经营 uses revenue and assets, not staff.
    assert classify_size("K7010", None, 1000 * FEN_PER_WAN, 5000 * FEN_PER_WAN) is SizeClass.MEDIUM


def test_missing_figure_that_matters_is_refused_and_one_that_does_not_is_ignored():
    with pytest.raises(SizeClassUndetermined) as raised:
        classify_size("C3981", None, 50000 * FEN_PER_WAN, None)
    assert raised.value.missing == ("employees",)
    assert raised.value.possible == {SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO}
    # Revenue 100万 < 300万 decides micro without the staff count.
    assert classify_size("C3981", None, 100 * FEN_PER_WAN, None) is SizeClass.MICRO


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("G5311", IndustryGroup.OTHER),  # 铁路运输 is outside 交通运输业 in the 2017 note [M]
        ("G5910", IndustryGroup.TRANSPORT),  # 装卸搬运 counts with 交通运输业 [M]
        ("K7030", IndustryGroup.OTHER),  # 房地产中介服务
        ("3981", IndustryGroup.INDUSTRY),  # the door letter is implied by the division
        ("c3981", IndustryGroup.INDUSTRY),
        ("I65", IndustryGroup.SOFTWARE_IT),
    ],
)
def test_split_doors_and_code_forms(code, group):
    assert industry_group(code) is group


@pytest.mark.parametrize("code", ["", "C01", "Z1234", "C39811", "99", "G59", "K70", "K", "G"])
def test_invalid_or_too_coarse_codes_are_refused(code):
    with pytest.raises(InvalidIndustryCode):
        industry_group(code)


def test_normalise_adds_the_door_letter():
    assert normalise_industry_code(" 6511 ") == "I6511"


@given(
    group=st.sampled_from(sorted(CODE_OF_GROUP, key=str)),
    employees=st.integers(0, 5000),
    revenue_wan=st.integers(0, 300000),
    assets_wan=st.integers(0, 300000),
    more=st.tuples(st.integers(0, 500), st.integers(0, 50000), st.integers(0, 50000)),
)
def test_bigger_figures_never_give_a_smaller_class(group, employees, revenue_wan, assets_wan, more):
    code = CODE_OF_GROUP[group]
    before = classify_size(code, employees, revenue_wan * FEN_PER_WAN, assets_wan * FEN_PER_WAN)
    after = classify_size(
        code, employees + more[0], (revenue_wan + more[1]) * FEN_PER_WAN, (assets_wan + more[2]) * FEN_PER_WAN
    )
    assert ORDER.index(after) >= ORDER.index(before)
