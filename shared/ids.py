"""Validators for the Chinese identifiers Seedbed handles.

It covers:

* 统一社会信用代码 (USCC, GB 32100-2015), REFERENCE §4
* patent application, publication and grant numbers, REFERENCE §5
* Huzhou administrative divisions (GB/T 2260) and the 南太湖新区 functional zone, REFERENCE §8.1

The module is pure: standard library only, no I/O and no framework imports. The services, the
pydantic models and the CLI can all use it without side effects. Every failure raises
`InvalidIdentifier`. It subclasses ValueError, so pydantic validators turn it into an ordinary
validation error with a readable message.

Confidence tags ([V] verified, [C] corroborated, [M] recalled, [U] uncertain) come from
REFERENCE.md. The rules are kept as data tables, and the uncertain choices are keyword arguments,
as REFERENCE asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "InvalidIdentifier",
    "WrongCheckCharacter",
    # USCC
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "ORG_CODE_WEIGHTS",
    "USCC_REGISTRATION_DEPARTMENTS",
    "USCCParts",
    "validate_uscc",
    "uscc_check_char",
    "org_code_check_char",
    "uscc_division_code",
    "uscc_parts",
    # Huzhou divisions
    "HUZHOU_CITY_CODE",
    "HUZHOU_DISTRICTS",
    "HUZHOU_DIVISIONS",
    "UNUSED_DIVISION_CODES",
    "NON_STANDARD_PSEUDO_CODES",
    "FUNCTIONAL_ZONES",
    "is_huzhou_division",
    "validate_district",
    # Patents
    "PATENT_TYPES",
    "PATENT_CHECK_WEIGHTS",
    "PatentApplicationNumber",
    "patent_check_char",
    "parse_patent_application_number",
    "PUBLICATION_KIND_CODES",
    "PatentPublicationNumber",
    "parse_publication_number",
    "validate_publication_number",
]


class InvalidIdentifier(ValueError):
    """An identifier failed validation.

    `reason` is a short English sentence that a user can read. The API layer can show it as it is.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WrongCheckCharacter(InvalidIdentifier):
    """A patent application number whose check character is not the one its digits give: ``expected`` is the
    right one, so that a caller can tell a typo in the check from a typo in the digits."""

    def __init__(self, reason: str, expected: str) -> None:
        super().__init__(reason)
        self.expected = expected
        self.expected_check_character = expected


# ---------------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015), REFERENCE §4
# ---------------------------------------------------------------------------------------------

# 31 characters with values 0..30 in this order. I, O, S, V and Z are left out because they look
# like 1, 0, 5, U and 2. §4 warns that a regex seen in a public repo, [0-9A-HJ-NPQ-TV-Z], wrongly
# admits S, V and Z. This string is therefore the only source of truth; no regex range is used.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}

# W_i = 3^(i-1) mod 31 for i = 1..17. §4 [V]: checked against 9 real codes.
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
assert USCC_WEIGHTS == tuple(pow(3, i, 31) for i in range(17))

# GB 11714 organisation-code check over USCC positions 9-16. §4 [V].
ORG_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)

# Position 1 (登记管理部门). This table is for display only. §4 marks 1/5/9/Y [V]. It marks the
# later additions [U], so validation accepts any charset character here and never uses this table.
USCC_REGISTRATION_DEPARTMENTS: Mapping[str, str] = {
    "1": "机构编制",
    "5": "民政",
    "9": "工商/市场监管",
    "Y": "其他",
    # §4 [U]: later amendments, reported but not confirmed.
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
}


@dataclass(frozen=True, slots=True)
class USCCParts:
    """The structural fields of a USCC (§4 table). The positions in the comments count from 1."""

    registration_dept: str  # position 1, 登记管理部门代码
    entity_category: str  # position 2, 机构类别代码
    division_code: str  # positions 3-8, 登记管理机关行政区划码 (GB/T 2260)
    org_code: str  # positions 9-17, 主体标识码 = 组织机构代码 (GB 11714)
    check_char: str  # position 18

    @property
    def code(self) -> str:
        return (
            self.registration_dept
            + self.entity_category
            + self.division_code
            + self.org_code
            + self.check_char
        )


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character (position 18) for the first 17 characters.

    C18 = 31 - (Σ value(c_i) × W_i mod 31), and a result of 31 becomes 0 (§4).
    """
    if not isinstance(first17, str) or len(first17) != 17:
        raise InvalidIdentifier("USCC check character needs exactly 17 characters")
    s = first17.upper()
    _reject_non_charset(s)
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(s, USCC_WEIGHTS, strict=True))
    c18 = 31 - total % 31
    return USCC_CHARSET[0 if c18 == 31 else c18]


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character for the first 8 characters of an organisation code.

    Digits count at face value and letters as A=10 ... Z=35. C9 = 11 - (Σ mod 11); 10 becomes 'X'
    and 11 becomes '0' (§4 [V]).
    """
    if not isinstance(first8, str) or len(first8) != 8 or not first8.isascii() or not first8.isalnum():
        raise InvalidIdentifier("organisation code check character needs 8 letters or digits")
    total = sum(int(ch, 36) * w for ch, w in zip(first8.upper(), ORG_CODE_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def _reject_non_charset(s: str) -> None:
    for ch in s:
        if ch not in _USCC_VALUE:
            raise InvalidIdentifier(f"USCC contains {ch!r}, which is not in the GB 32100 character set")


def validate_uscc(code: str, *, check_org_code: bool = True) -> str:
    """Return the normalised USCC (surrounding whitespace stripped, upper-cased), or raise.

    The checks run in this order: length, character set, GB 32100 check character, and then,
    when `check_org_code` is true, the GB 11714 check inside the organisation code (position 17).
    The GB 32100 check comes first, so a bad code reports the position-18 character it should
    have (§4's invalid vectors are stated that way).

    Position 1 accepts any charset character (§4 [U]: the list of registration departments is
    open). Positions 3-8 are not checked against GB/T 2260. Registration authorities can carry
    codes for divisions that were later abolished, and §4 found no real Huzhou vector [U]. Call
    `is_huzhou_division(uscc_division_code(code))` to check that separately.
    """
    if not isinstance(code, str):
        raise InvalidIdentifier("USCC must be a string")
    s = code.strip().upper()
    if len(s) != 18:
        raise InvalidIdentifier("USCC must be 18 characters")
    _reject_non_charset(s)
    expected = uscc_check_char(s[:17])
    if s[17] != expected:
        raise InvalidIdentifier(f"USCC check character should be {expected}")
    if check_org_code:
        # Optional per §4. All 9 real vectors pass it [V], so it is on by default. Switch it off
        # for data sources that hold older or irregular codes.
        org_expected = org_code_check_char(s[8:16])
        if s[16] != org_expected:
            raise InvalidIdentifier(
                f"USCC organisation code (positions 9-17) check character should be {org_expected}"
            )
    return s


def uscc_parts(code: str, *, check_org_code: bool = True) -> USCCParts:
    """Validate `code` and split it into its §4 fields."""
    s = validate_uscc(code, check_org_code=check_org_code)
    return USCCParts(
        registration_dept=s[0],
        entity_category=s[1],
        division_code=s[2:8],
        org_code=s[8:17],
        check_char=s[17],
    )


def uscc_division_code(code: str, *, check_org_code: bool = True) -> str:
    """Return positions 3-8 (the registration authority's GB/T 2260 code) of a valid USCC."""
    return uscc_parts(code, check_org_code=check_org_code).division_code


# ---------------------------------------------------------------------------------------------
# Huzhou divisions (GB/T 2260) and functional zones, REFERENCE §8.1
# ---------------------------------------------------------------------------------------------

# §8.1 [V]: the area tables in several repos and zcom.zj.gov.cn agree (two districts, three counties).
HUZHOU_CITY_CODE = "330500"
HUZHOU_DISTRICTS: dict[str, str] = {
    "330502": "吴兴区",
    "330503": "南浔区",
    "330521": "德清县",
    "330522": "长兴县",
    "330523": "安吉县",
}
# The city plus its county-level divisions. A firm registered with the municipal authority has
# 330500 in its USCC.
HUZHOU_DIVISIONS: dict[str, str] = {HUZHOU_CITY_CODE: "湖州市", **HUZHOU_DISTRICTS}

# 330501 市辖区 appears in older GB/T 2260 tables but is not used for entities (§8.1).
UNUSED_DIVISION_CODES: dict[str, str] = {"330501": "市辖区"}

# Pseudo-codes from a Zhejiang government-procurement-style region tree (§8.1 [C]). They are
# NOT GB/T 2260 codes. Never accept them as divisions, and never match USCC positions 3-8 against
# them. They are listed only so that the error message can explain what the user typed. When
# importing data, map 330590 to FUNCTIONAL_ZONES["nantaihu"], not to a division.
NON_STANDARD_PSEUDO_CODES: dict[str, str] = {
    "330590": "南太湖新区",
    "330598": "湖州开发区",
    "330518": "湖州度假区",
    "330599": "湖州市本级",
}

# 南太湖新区 is a functional zone, not an administrative division (§8.1 [C]). It covers parts of
# 吴兴区 and of 长兴县 (弁山), so firms in it carry 330502 or another authority's code in their USCC.
# It is therefore a separate dimension (functionalZone), kept alongside the division code.
FUNCTIONAL_ZONES: dict[str, str] = {"nantaihu": "南太湖新区"}

_SIX_DIGITS = re.compile(r"[0-9]{6}")


def is_huzhou_division(code: str) -> bool:
    """Return True if `code` is a Huzhou GB/T 2260 code in use: the city (330500) or one of the five
    districts and counties.

    Returns False for 330501 and for the non-standard pseudo-codes. It never raises.
    """
    return isinstance(code, str) and code.strip() in HUZHOU_DIVISIONS


def validate_district(code: str, *, allow_city: bool = False) -> str:
    """Return the normalised district or county code, or raise InvalidIdentifier.

    Only the five county-level codes are accepted by default. Set `allow_city=True` to also accept
    330500 (a firm registered at the municipal level).
    """
    if not isinstance(code, str):
        raise InvalidIdentifier("division code must be a string")
    s = code.strip()
    if not _SIX_DIGITS.fullmatch(s):
        raise InvalidIdentifier("division code must be 6 digits (GB/T 2260)")
    if s in HUZHOU_DISTRICTS:
        return s
    if s == HUZHOU_CITY_CODE:
        if allow_city:
            return s
        raise InvalidIdentifier("330500 is the Huzhou city code, not a district or county")
    if s in UNUSED_DIVISION_CODES:
        raise InvalidIdentifier(
            f"{s} ({UNUSED_DIVISION_CODES[s]}) appears in older GB/T 2260 tables but is not used for entities"
        )
    if s in NON_STANDARD_PSEUDO_CODES:
        raise InvalidIdentifier(
            f"{s} is a non-standard pseudo-code for {NON_STANDARD_PSEUDO_CODES[s]} used by some Zhejiang "
            "systems, not a GB/T 2260 division; use a district code and record the functional zone separately"
        )
    raise InvalidIdentifier(f"{s} is not a Huzhou district or county code")


# ---------------------------------------------------------------------------------------------
# Patent application numbers (ZC 0006-2003), REFERENCE §5.1
# ---------------------------------------------------------------------------------------------

PATENT_TYPES: dict[str, str] = {
    "1": "invention",  # 发明
    "2": "utility_model",  # 实用新型
    "3": "design",  # 外观设计
    "8": "pct_invention",  # PCT 发明 entering the Chinese national phase
    "9": "pct_utility_model",  # PCT 实用新型 entering the Chinese national phase
}

# §5.1 [V]: checked against 17 real numbers. The old 8-digit format uses the first 8 weights.
PATENT_CHECK_WEIGHTS: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)

# The current format dates from 2003-10-01 (§5.1). Applications filed earlier in 2003 used the
# old format, so 2003 is valid in both forms. The old format ran from 1985 to 2003.
_CURRENT_FORMAT_FIRST_YEAR = 2003
_LEGACY_FIRST_YEAR = 1985

# Accepted input: an optional CN/ZL prefix, optional spaces between the year, type and serial
# groups (never inside a group), and an optional dot before the check character (§5.1; the vector
# ZL2013106997442 has no dot). The input is upper-cased first, so 'x', 'cn' and 'zl' are accepted.
_APP_CURRENT = re.compile(r"(?:(?:CN|ZL) *)?([0-9]{4}) *([0-9]) *([0-9]{7})\.?([0-9X])")
_APP_LEGACY = re.compile(r"(?:(?:CN|ZL) *)?([0-9]{2}) *([0-9]) *([0-9]{5})\.?([0-9X])")


def patent_check_char(digits: str) -> str:
    """Return the check character for 12 (current) or 8 (old format) application-number digits.

    It is the weighted sum mod 11, and the remainder itself is the check, with 10 written as 'X'.
    It is not 11 - r: §5.1 shows that 202110182616.5 and ZL201811564288.X only pass this way.
    """
    if not isinstance(digits, str) or len(digits) not in (8, 12) or not (digits.isascii() and digits.isdigit()):
        raise InvalidIdentifier("patent check character needs 12 digits (or 8 for the old format)")
    # The old 8-digit form takes the first 8 weights, hence strict=False.
    r = sum(int(d) * w for d, w in zip(digits, PATENT_CHECK_WEIGHTS, strict=False)) % 11
    return "X" if r == 10 else str(r)


@dataclass(frozen=True, slots=True)
class PatentApplicationNumber:
    """A parsed application number. `year` is the full four-digit year in both formats."""

    year: int
    type_code: str
    serial: str  # 7 digits (current) or 5 digits (old format), leading zeros kept
    check_char: str
    format: Literal["current", "legacy"]

    @property
    def digits(self) -> str:
        """The digits before the check character, as written in the number."""
        yy = f"{self.year:04d}" if self.format == "current" else f"{self.year % 100:02d}"
        return f"{yy}{self.type_code}{self.serial}"

    @property
    def canonical(self) -> str:
        """For example '202110182616.5' or '90101673.X', with no prefix."""
        return f"{self.digits}.{self.check_char}"

    @property
    def patent_number(self) -> str:
        """The 专利号: 'ZL' followed by the application number (§5.1)."""
        return f"ZL{self.canonical}"

    @property
    def type_name(self) -> str:
        return PATENT_TYPES[self.type_code]

    def __str__(self) -> str:
        return self.canonical


def parse_patent_application_number(text: str) -> PatentApplicationNumber:
    """Parse and validate an application number or 专利号 in the current or the old format.

    The checks run in this order: shape, type digit, year, serial, check character.
    """
    if not isinstance(text, str):
        raise InvalidIdentifier("patent application number must be a string")
    s = text.strip().upper()
    fmt: Literal["current", "legacy"]
    if m := _APP_CURRENT.fullmatch(s):
        fmt = "current"
    elif m := _APP_LEGACY.fullmatch(s):
        fmt = "legacy"
    else:
        raise InvalidIdentifier(
            "patent application number must look like 202110182616.5 (12 digits, dot, check character) "
            "or 90101673.X (old 8-digit form), optionally prefixed with CN or ZL"
        )
    year_s, type_code, serial, check = m.groups()

    if type_code not in PATENT_TYPES:
        raise InvalidIdentifier(
            f"patent type digit {type_code!r} is not one of {', '.join(PATENT_TYPES)}"
        )

    if fmt == "current":
        year = int(year_s)
        if year < _CURRENT_FORMAT_FIRST_YEAR:
            raise InvalidIdentifier(
                f"year {year} predates the 12-digit application number format (in force since 2003-10-01)"
            )
    else:
        yy = int(year_s)
        # The old format ran from 1985 to 2003, so only 85-99 and 00-03 are possible.
        year = 1900 + yy if yy >= _LEGACY_FIRST_YEAR % 100 else 2000 + yy
        if not (_LEGACY_FIRST_YEAR <= year <= _CURRENT_FORMAT_FIRST_YEAR):
            raise InvalidIdentifier(
                f"old-format (8-digit) application numbers run from 1985 to 2003; year {year_s!r} is out of range"
            )

    # Serials restart at 0000001 every year (§5.1), so an all-zero serial was never issued.
    # This rule is inferred from that sentence, not stated outright.
    if int(serial) == 0:
        raise InvalidIdentifier("patent serial number cannot be all zeros; serials start at 1")

    expected = patent_check_char(year_s + type_code + serial)
    if check != expected:
        raise WrongCheckCharacter(f"check character should be {expected}", expected)

    return PatentApplicationNumber(
        year=year, type_code=type_code, serial=serial, check_char=check, format=fmt
    )


# ---------------------------------------------------------------------------------------------
# Publication / grant numbers, REFERENCE §5.2
# ---------------------------------------------------------------------------------------------

# Kind code -> the type digit that a 9-digit number must start with.
# §5.2: A, B, U and S are [C]. C, Y and the correction variants (X8/X9) are [M]. The table is
# data so that a caller can pass a narrower or wider one. C8/C9 and Y8/Y9 are left out because
# §5.2 does not list them.
PUBLICATION_KIND_CODES: Mapping[str, str] = {
    "A": "1",  # 发明专利申请公布 [C]
    "B": "1",  # 发明专利授权公告 [C]
    "C": "1",  # 发明专利权部分无效宣告后的公告 [M]
    "U": "2",  # 实用新型授权公告 [C]
    "Y": "2",  # 实用新型专利权部分无效宣告后的公告 [M]
    "S": "3",  # 外观设计授权公告 [C]
    # Correction variants [M]
    "A8": "1",
    "A9": "1",
    "B8": "1",
    "B9": "1",
    "U8": "2",
    "U9": "2",
    "S8": "3",
    "S9": "3",
}

# §5.2 suggests ^CN\d{7,9}[A-Z]\d?$. Spaces are allowed around the number, as in 'CN 110823978 A'.
_PUBLICATION = re.compile(r"CN *([0-9]{7,9}) *([A-Z][0-9]?)")


@dataclass(frozen=True, slots=True)
class PatentPublicationNumber:
    number: str  # 9 digits (current) or 7-8 digits (legacy)
    kind: str  # e.g. 'A', 'B', 'U8'
    format: Literal["current", "legacy"]

    @property
    def type_code(self) -> str | None:
        """The patent type, which only the 9-digit form encodes in its first digit (§5.2).

        For the legacy forms it returns None: there the leading digit is not reliably the type,
        because 8-digit numbers from the 1980s begin with the year.
        """
        return self.number[0] if self.format == "current" else None

    @property
    def canonical(self) -> str:
        return f"CN{self.number}{self.kind}"

    def __str__(self) -> str:
        return self.canonical


def parse_publication_number(
    text: str, *, kind_codes: Mapping[str, str] = PUBLICATION_KIND_CODES
) -> PatentPublicationNumber:
    """Parse a CN publication or grant number. These numbers have no check digit (§5.2).

    For the 9-digit form (used since 2007, [M]) the first digit must match the kind code:
    A/B/C go with 1, U/Y with 2 and S with 3. The legacy 7- and 8-digit forms are checked for
    shape and kind code only.
    """
    if not isinstance(text, str):
        raise InvalidIdentifier("publication number must be a string")
    s = text.strip().upper()
    m = _PUBLICATION.fullmatch(s)
    if not m:
        raise InvalidIdentifier(
            "publication number must be CN, 7 to 9 digits and a kind code, e.g. CN110823978A"
        )
    number, kind = m.groups()
    if kind not in kind_codes:
        raise InvalidIdentifier(f"publication kind code {kind!r} is not recognised")
    fmt: Literal["current", "legacy"] = "current" if len(number) == 9 else "legacy"
    if fmt == "current":
        expected_type = kind_codes[kind]
        if number[0] != expected_type:
            raise InvalidIdentifier(
                f"publication kind {kind} is for {PATENT_TYPES[expected_type].replace('_', ' ')} "
                f"publications, whose 9-digit number starts with {expected_type}, not {number[0]}"
            )
    return PatentPublicationNumber(number=number, kind=kind, format=fmt)


def validate_publication_number(
    text: str, *, kind_codes: Mapping[str, str] = PUBLICATION_KIND_CODES
) -> str:
    """Return the canonical publication number (e.g. 'CN110823978A'), or raise InvalidIdentifier."""
    return parse_publication_number(text, kind_codes=kind_codes).canonical
