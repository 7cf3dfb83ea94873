"""Tests for shared.ids. The vectors are the ones in REFERENCE.md §4, §5 and §8.1."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ids import (
    FUNCTIONAL_ZONES,
    HUZHOU_CITY_CODE,
    HUZHOU_DISTRICTS,
    PATENT_TYPES,
    USCC_CHARSET,
    InvalidIdentifier,
    PatentApplicationNumber,
    is_huzhou_division,
    org_code_check_char,
    parse_patent_application_number,
    parse_publication_number,
    patent_check_char,
    uscc_check_char,
    uscc_division_code,
    uscc_parts,
    validate_district,
    validate_publication_number,
    validate_uscc,
)

# --------------------------------------------------------------------------------------------
# USCC, §4
# --------------------------------------------------------------------------------------------

USCC_VALID = [
    "914403001922038216",  # 华为
    "9144030071526726XG",  # 腾讯科技（深圳）
    "91440300708461136T",  # 深圳市腾讯计算机系统
    "91330100716105852F",  # 阿里巴巴（中国）网络技术
    "91110108551385082Q",  # 小米科技
    "91110000802100433B",  # 百度网讯
    "91310000132260250X",  # 上汽集团
    "12100000425006133D",  # 华东师范大学
    "91350100M000100Y43",  # org code contains letters
]


@pytest.mark.parametrize("code", USCC_VALID)
def test_uscc_valid_vectors(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_uscc(code, check_org_code=False) == code
    assert uscc_check_char(code[:17]) == code[17]
    assert org_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("914403001922038217", "USCC check character should be 6"),
        ("91330100716105852E", "USCC check character should be F"),
        ("9144030071526726XI", "USCC contains 'I', which is not in the GB 32100 character set"),
        ("914403001922O38216", "USCC contains 'O', which is not in the GB 32100 character set"),
        ("91440300192203821", "USCC must be 18 characters"),  # 17 characters
        ("9144030019220382166", "USCC must be 18 characters"),  # 19 characters
        ("91330000MA27Q2XQ2G", "USCC check character should be H"),  # demo fake
        ("9144030071526726X7", "USCC check character should be G"),  # demo fake
        ("91110108717809965C", "USCC check character should be J"),  # the repo's "百度在线" code
    ],
)
def test_uscc_invalid_vectors(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        validate_uscc(code)
    assert exc.value.reason == reason
    assert str(exc.value) == reason
    # The position-18 check runs before the optional org-code check, so switching the latter off
    # does not change the reason.
    with pytest.raises(InvalidIdentifier) as exc2:
        validate_uscc(code, check_org_code=False)
    assert exc2.value.reason == reason


@pytest.mark.parametrize("bad", ["S", "V", "Z"])
def test_uscc_rejects_letters_a_sloppy_regex_admits(bad: str) -> None:
    # §4 warns that the regex [0-9A-HJ-NPQ-TV-Z] wrongly admits S, V and Z.
    code = "91440300192203821" + bad
    with pytest.raises(InvalidIdentifier, match=f"contains '{bad}'"):
        validate_uscc(code)


def test_uscc_invalid_identifier_is_value_error() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


def test_uscc_normalises_whitespace_and_case() -> None:
    assert validate_uscc("  9144030071526726xg\n") == "9144030071526726XG"


def test_uscc_org_code_check_is_optional() -> None:
    # Replacing position 17 and then recomputing position 18 leaves only the org-code check failing.
    first17 = "91440300192203821"[:16] + "2"
    code = first17 + uscc_check_char(first17)
    with pytest.raises(InvalidIdentifier) as exc:
        validate_uscc(code)
    assert exc.value.reason == "USCC organisation code (positions 9-17) check character should be 1"
    assert validate_uscc(code, check_org_code=False) == code


def test_uscc_accepts_any_charset_registration_dept() -> None:
    # §4 [U]: the list of registration departments is open, so no closed list is applied.
    for dept in USCC_CHARSET:
        first17 = dept + "1330502MA2B3C4D5"
        assert len(first17) == 17
        code = first17 + uscc_check_char(first17)
        assert validate_uscc(code, check_org_code=False) == code


def test_uscc_parts_and_division() -> None:
    parts = uscc_parts("91330100716105852F")
    assert parts.registration_dept == "9"
    assert parts.entity_category == "1"
    assert parts.division_code == "330100"
    assert parts.org_code == "716105852"
    assert parts.check_char == "F"
    assert parts.code == "91330100716105852F"
    assert uscc_division_code("12100000425006133D") == "100000"
    with pytest.raises(dataclasses.FrozenInstanceError):
        parts.check_char = "X"  # type: ignore[misc]
    with pytest.raises(InvalidIdentifier):
        uscc_division_code("914403001922038217")


def test_uscc_huzhou_division_from_synthetic_code() -> None:
    # §4 [U]: no real Huzhou code was found, so this one is built for the test.
    first17 = "91330502" + "MA2B3C4D" + org_code_check_char("MA2B3C4D")
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code) == code
    assert is_huzhou_division(uscc_division_code(code))


_charset = st.sampled_from(USCC_CHARSET)


@given(st.text(alphabet=_charset, min_size=17, max_size=17), st.data())
def test_uscc_property_check_char(first17: str, data: st.DataObject) -> None:
    check = uscc_check_char(first17)
    assert check in USCC_CHARSET
    code = first17 + check
    assert validate_uscc(code, check_org_code=False) == code
    wrong = data.draw(_charset.filter(lambda c: c != check))
    with pytest.raises(InvalidIdentifier) as exc:
        validate_uscc(first17 + wrong, check_org_code=False)
    assert exc.value.reason == f"USCC check character should be {check}"


# --------------------------------------------------------------------------------------------
# Huzhou divisions, §8.1
# --------------------------------------------------------------------------------------------


def test_huzhou_tables() -> None:
    assert HUZHOU_CITY_CODE == "330500"
    assert HUZHOU_DISTRICTS == {
        "330502": "吴兴区",
        "330503": "南浔区",
        "330521": "德清县",
        "330522": "长兴县",
        "330523": "安吉县",
    }
    assert FUNCTIONAL_ZONES == {"nantaihu": "南太湖新区"}
    # The functional zone is a separate dimension: no division code stands for it.
    assert "南太湖新区" not in HUZHOU_DISTRICTS.values()


@pytest.mark.parametrize("code", ["330502", "330503", "330521", "330522", "330523"])
def test_validate_district_valid(code: str) -> None:
    assert validate_district(code) == code
    assert validate_district(f" {code} ") == code
    assert is_huzhou_division(code)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("330501", "not used for entities"),
        ("330590", "non-standard pseudo-code for 南太湖新区"),
        ("330598", "non-standard pseudo-code for 湖州开发区"),
        ("330518", "non-standard pseudo-code for 湖州度假区"),
        ("330599", "non-standard pseudo-code for 湖州市本级"),
        ("330500", "city code"),
        ("330100", "not a Huzhou district"),
        ("33050", "6 digits"),
        ("33O502", "6 digits"),
        ("", "6 digits"),
    ],
)
def test_validate_district_invalid(code: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        validate_district(code)
    assert fragment in exc.value.reason


def test_validate_district_allow_city() -> None:
    assert validate_district("330500", allow_city=True) == "330500"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("330500", True),
        ("330502", True),
        ("330523", True),
        ("330501", False),
        ("330590", False),
        ("330598", False),
        ("330518", False),
        ("330599", False),
        ("330100", False),
        ("", False),
        (None, False),
    ],
)
def test_is_huzhou_division(code: str, expected: bool) -> None:
    assert is_huzhou_division(code) is expected


# --------------------------------------------------------------------------------------------
# Patent application numbers, §5.1
# --------------------------------------------------------------------------------------------

PATENT_VALID = [
    # (input, canonical, year, type, format)
    ("202110182616.5", "202110182616.5", 2021, "1", "current"),
    ("202011167667.2", "202011167667.2", 2020, "1", "current"),
    ("201911050262.8", "201911050262.8", 2019, "1", "current"),
    ("201910349801.1", "201910349801.1", 2019, "1", "current"),
    ("ZL202010566088.9", "202010566088.9", 2020, "1", "current"),
    ("ZL201510958772.0", "201510958772.0", 2015, "1", "current"),
    ("ZL202510942578.7", "202510942578.7", 2025, "1", "current"),
    ("ZL200510096239.4", "200510096239.4", 2005, "1", "current"),
    ("ZL202322865413.3", "202322865413.3", 2023, "2", "current"),
    ("ZL201811564288.X", "201811564288.X", 2018, "1", "current"),
    ("ZL201910603565.1", "201910603565.1", 2019, "1", "current"),
    ("ZL202110049384.6", "202110049384.6", 2021, "1", "current"),
    ("CN202411064734.6", "202411064734.6", 2024, "1", "current"),
    ("ZL2013106997442", "201310699744.2", 2013, "1", "current"),  # no dot
    ("90101673.X", "90101673.X", 1990, "1", "legacy"),
    ("95115608.X", "95115608.X", 1995, "1", "legacy"),
    ("97101765.4", "97101765.4", 1997, "1", "legacy"),
    # §5.1 allows spaces between the year, type and serial groups.
    ("2023 1 0123456.6", "202310123456.6", 2023, "1", "current"),
    ("CN 2021 1 0182616.5", "202110182616.5", 2021, "1", "current"),
    ("zl201811564288.x", "201811564288.X", 2018, "1", "current"),
]


@pytest.mark.parametrize(("text", "canonical", "year", "type_code", "fmt"), PATENT_VALID)
def test_patent_application_valid(text: str, canonical: str, year: int, type_code: str, fmt: str) -> None:
    p = parse_patent_application_number(text)
    assert p.canonical == canonical
    assert p.patent_number == "ZL" + canonical
    assert p.year == year
    assert p.type_code == type_code
    assert p.format == fmt
    assert p.check_char == canonical[-1]
    assert patent_check_char(canonical[:-2]) == canonical[-1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2023 1 0123456.7", "check character should be 6"),
        ("ZL202410123456.7", "check character should be 0"),
        ("202110182616.4", "check character should be 5"),
        ("90101673.1", "check character should be X"),
    ],
)
def test_patent_application_wrong_check(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        parse_patent_application_number(text)
    assert exc.value.reason == reason


@pytest.mark.parametrize("type_digit", ["0", "4", "5", "6", "7"])
def test_patent_application_bad_type(type_digit: str) -> None:
    digits = f"2021{type_digit}0182616"
    text = f"{digits}.{patent_check_char(digits)}"  # the check is right, so only the type is wrong
    with pytest.raises(InvalidIdentifier) as exc:
        parse_patent_application_number(text)
    assert f"type digit '{type_digit}'" in exc.value.reason
    legacy = f"90{type_digit}01673"
    with pytest.raises(InvalidIdentifier, match="type digit"):
        parse_patent_application_number(f"{legacy}.{patent_check_char(legacy)}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("20211018261655", None),  # 13 digits + check: shape error
        ("20211 01826 16.5", None),  # a space inside a digit group
        ("202110182616", None),  # no check character
        ("US202110182616.5", None),
        ("202110182616.A", None),
        ("", None),
        ("199910182616.0", "predates"),  # 12-digit form with a pre-2003 year
        ("04101673.0", "1985 to 2003"),  # old form with year 2004
        ("202110000000.0", "all zeros"),
    ],
)
def test_patent_application_malformed(text: str, fragment: str | None) -> None:
    if fragment in ("predates", "1985 to 2003", "all zeros"):
        digits = text.split(".")[0]
        text = f"{digits}.{patent_check_char(digits)}"
    with pytest.raises(InvalidIdentifier) as exc:
        parse_patent_application_number(text)
    if fragment:
        assert fragment in exc.value.reason


def test_patent_types() -> None:
    assert PATENT_TYPES == {
        "1": "invention",
        "2": "utility_model",
        "3": "design",
        "8": "pct_invention",
        "9": "pct_utility_model",
    }
    assert parse_patent_application_number("ZL202322865413.3").type_name == "utility_model"


def test_patent_application_is_frozen() -> None:
    p = parse_patent_application_number("202110182616.5")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.year = 2020  # type: ignore[misc]


_check_chars = "0123456789X"


@st.composite
def _app_digits(draw: st.DrawFn) -> str:
    year = draw(st.integers(2003, 2030))
    type_code = draw(st.sampled_from(sorted(PATENT_TYPES)))
    serial = draw(st.integers(1, 9_999_999))
    return f"{year}{type_code}{serial:07d}"


@given(_app_digits(), st.data())
def test_patent_property_check_char(digits: str, data: st.DataObject) -> None:
    check = patent_check_char(digits)
    p = parse_patent_application_number(f"{digits}.{check}")
    assert p.canonical == f"{digits}.{check}"
    wrong = data.draw(st.sampled_from(_check_chars).filter(lambda c: c != check))
    with pytest.raises(InvalidIdentifier) as exc:
        parse_patent_application_number(f"{digits}.{wrong}")
    assert exc.value.reason == f"check character should be {check}"


@st.composite
def _app_text(draw: st.DrawFn) -> str:
    """Any accepted spelling: either format, with an optional prefix, spaces and dot."""
    if draw(st.booleans()):
        year = f"{draw(st.integers(2003, 2030))}"
        serial = f"{draw(st.integers(1, 9_999_999)):07d}"
    else:
        y = draw(st.integers(1985, 2003))
        year = f"{y % 100:02d}"
        serial = f"{draw(st.integers(1, 99_999)):05d}"
    type_code = draw(st.sampled_from(sorted(PATENT_TYPES)))
    check = patent_check_char(year + type_code + serial)
    prefix = draw(st.sampled_from(["", "CN", "ZL", "cn", "zl", "CN ", "ZL "]))
    sep1 = draw(st.sampled_from(["", " "]))
    sep2 = draw(st.sampled_from(["", " "]))
    dot = draw(st.sampled_from([".", ""]))
    return f"{prefix}{year}{sep1}{type_code}{sep2}{serial}{dot}{check}"


@given(_app_text())
def test_patent_property_round_trip(text: str) -> None:
    p = parse_patent_application_number(text)
    assert parse_patent_application_number(p.canonical) == p
    assert parse_patent_application_number(p.patent_number) == p
    assert isinstance(p, PatentApplicationNumber)


def test_patent_check_char_rejects_bad_length() -> None:
    with pytest.raises(InvalidIdentifier):
        patent_check_char("12345")


# --------------------------------------------------------------------------------------------
# Publication / grant numbers, §5.2
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "fmt"),
    [
        ("CN113078375B", "CN113078375B", "current"),
        ("CN112415790B", "CN112415790B", "current"),
        ("CN110823978A", "CN110823978A", "current"),
        ("CN110013232B", "CN110013232B", "current"),
        ("CN 110823978 A", "CN110823978A", "current"),
        ("CN 113078375 B", "CN113078375B", "current"),
        ("cn110823978a", "CN110823978A", "current"),
        ("CN110823978A8", "CN110823978A8", "current"),
        ("CN113078375B9", "CN113078375B9", "current"),
        ("CN113078375C", "CN113078375C", "current"),
        ("CN212345678U", "CN212345678U", "current"),
        ("CN212345678Y", "CN212345678Y", "current"),
        ("CN212345678U8", "CN212345678U8", "current"),
        ("CN306543210S", "CN306543210S", "current"),
        ("CN306543210S9", "CN306543210S9", "current"),
        # legacy 7- and 8-digit forms
        ("CN1340998A", "CN1340998A", "legacy"),
        ("CN1015003B", "CN1015003B", "legacy"),
        ("CN2069429U", "CN2069429U", "legacy"),
        ("CN3003022S", "CN3003022S", "legacy"),
        ("CN85100001A", "CN85100001A", "legacy"),
    ],
)
def test_publication_valid(text: str, canonical: str, fmt: str) -> None:
    assert validate_publication_number(text) == canonical
    assert parse_publication_number(text).format == fmt


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("CN110823978U", "starts with 2"),  # utility model kind on an invention number
        ("CN210823978A", "starts with 1"),
        ("CN210823978B", "starts with 1"),
        ("CN110823978S", "starts with 3"),
        ("CN310823978U", "starts with 2"),
        ("CN310823978Y", "starts with 2"),
        ("CN410823978A", "starts with 1"),
        ("CN110823978X", "kind code 'X'"),
        ("CN110823978A1", "kind code 'A1'"),
        ("CN110823978", "must be CN"),  # no kind code
        ("CN123456A", "must be CN"),  # 6 digits
        ("CN1234567890A", "must be CN"),  # 10 digits
        ("US110823978A", "must be CN"),
        ("110823978A", "must be CN"),
    ],
)
def test_publication_invalid(text: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        validate_publication_number(text)
    assert fragment in exc.value.reason


def test_publication_kind_codes_are_configurable() -> None:
    # Only the [C]-tagged kinds: C ([M]) is then rejected.
    strict = {"A": "1", "B": "1", "U": "2", "S": "3"}
    with pytest.raises(InvalidIdentifier):
        validate_publication_number("CN113078375C", kind_codes=strict)
    assert validate_publication_number("CN113078375B", kind_codes=strict) == "CN113078375B"


def test_publication_type_code() -> None:
    assert parse_publication_number("CN212345678U").type_code == "2"
    assert parse_publication_number("CN1340998A").type_code is None


def test_a_wrong_check_character_carries_the_expected_one() -> None:
    from shared.ids import WrongCheckCharacter

    with pytest.raises(WrongCheckCharacter) as exc:
        parse_patent_application_number("2023 1 0123456.7")
    assert exc.value.expected == "6" and isinstance(exc.value, InvalidIdentifier)
    with pytest.raises(InvalidIdentifier) as other:  # a bad type digit is not a check-character error
        parse_patent_application_number("202340123456.0")
    assert not isinstance(other.value, WrongCheckCharacter)


@pytest.mark.parametrize("text", [
    # Numbers of the shape Huzhou institutes' patents carry (invention, utility model, design, PCT entry), each with
    # the check character its digits give, as they are written on certificates and in listings.
    "ZL202210345678.8", "CN 2023 2 0456789.6", "202430123456.1", "202180012357.X", "ZL 2019 1 0603565.1",
])
def test_real_looking_numbers_round_trip(text: str) -> None:
    p = parse_patent_application_number(text)
    assert parse_patent_application_number(p.patent_number) == p
