"""Inputs that used to answer 500 (issue 11, item 4) are refused by the service kit itself, so every service
inherits it: 422 problem+json naming the field, never a 500, and logs that never carry a statement's values.

The API checks probe every service's documented routes on PostgreSQL (which refuses NUL in text and integers
beyond its columns' range); the registry's own file probes its bodies and its lists with real records."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.auth import Role
from shared.db import create_engine
from shared.errors import InvalidInput
from shared.http import (
    PUBLIC_PREFIX,
    cursor_date,
    cursor_datetime,
    cursor_int,
    cursor_uuid,
    decode_cursor,
    encode_cursor,
)
from shared.types import DATE_MAX, Date, Fen, Int32, Int64, Line, Name, PositiveFen, Text, Year, name_key
from tests.hostile_inputs_support import (
    BELOW_BIGINT,
    BEYOND_BIGINT,
    EDGE_CURSORS,
    FORGED_CURSORS,
    NUL_TEXT,
    TIME_CURSORS,
    hostile_values,
    kind_of,
    names_field,
    operations,
    parameters,
    required_query,
    resolve,
    url_of,
)
from tests.support import SERVICES, pg_url, running_app, settings_for, token

ADMIN = token(Role.ADMIN)


REVIEWER = token(Role.REVIEWER)
# Routes that are the calling reviewer's own (their declaration, their assignments): only a reviewer reaches them.
REVIEWERS_OWN = "/v1/reviewers/me/"


def callers(template: str) -> list[dict[str, str]]:
    """Who probes a route: an admin (every route admits one, but a reviewer's own), and, on a public read, a caller
    without a token too, since anyone reaches its parsers."""
    if template.startswith(REVIEWERS_OWN):
        return [REVIEWER]
    return [ADMIN, {}] if template.startswith(PUBLIC_PREFIX) else [ADMIN]


# --- the shared types ---------------------------------------------------------------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    count: Int32 | None = None
    big: Int64 | None = None
    amount: Fen | None = None
    positive: PositiveFen | None = None
    year: Year | None = None
    day: Date | None = None
    note: Text | None = None
    title: Line | None = None
    name: Name | None = None


def _refusal(**fields: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        _Body(**fields)
    (error,) = caught.value.errors()
    return ".".join(map(str, error["loc"])), error["msg"]


@pytest.mark.parametrize(("field", "value"), [
    ("count", 2**31), ("count", -(2**31) - 1), ("big", BEYOND_BIGINT), ("big", BELOW_BIGINT), ("amount", -1),
    ("amount", 10**17 + 1), ("year", 1899), ("year", 2101), ("count", True), ("big", False), ("amount", True),
    ("positive", 0), ("positive", "0"), ("positive", -1), ("positive", 12.0), ("positive", "12.50"), ("positive", True),
])
def test_integers_beyond_their_column_or_given_as_true_or_false_are_refused(field: str, value: Any) -> None:
    assert _refusal(**{field: value})[0] == field


def test_integers_within_range_pass_and_a_query_string_still_parses() -> None:
    body = _Body(count=2**31 - 1, big=2**63 - 1, amount=10**17, year=2026)
    assert (body.count, body.big, body.amount, body.year) == (2**31 - 1, 2**63 - 1, 10**17, 2026)
    assert _Body.model_validate({"count": "5"}).count == 5  # a query parameter arrives as text
    assert (_Body(positive=1).positive, _Body.model_validate({"positive": "1250"}).positive) == (1, 1250)


@pytest.mark.parametrize("day", ["9999-12-01", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_dates_whose_arithmetic_could_leave_the_calendar_are_refused(day: str) -> None:
    field, reason = _refusal(day=day)
    assert field == "day" and "between" in reason


def test_dates_within_the_calendar_pass() -> None:
    assert _Body(day="2100-12-31").day == DATE_MAX == date(2100, 12, 31)


@pytest.mark.parametrize("field", ["note", "title", "name"])
@pytest.mark.parametrize("value", ["a\x00b", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b"])
def test_control_characters_are_refused_in_every_kind_of_text(field: str, value: str) -> None:
    name, reason = _refusal(**{field: value})
    assert name == field and "control character" in reason and "U+00" in reason


def test_text_keeps_tabs_and_line_breaks_a_line_does_not() -> None:
    assert _Body(note="第一段\n\t第二段\r\n").note == "第一段\n\t第二段"
    assert _refusal(title="一行\n两行")[0] == "title"
    assert _refusal(name="湖州\t示例")[0] == "name"


@pytest.mark.parametrize("value", ["\u200b", "\u200b\u200c\u200d\u2060", "\u3164", "\u3000\u200b", "\u0301\u0301",
                                   "\ufeff", "\u2800", "\u00ad"])
def test_a_name_of_invisible_characters_only_is_refused(value: str) -> None:
    field, reason = _refusal(name=value)
    assert field == "name" and "visible" in reason


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                     "\u2069"])
def test_bidirectional_controls_are_refused_in_names_and_lines(control: str) -> None:
    for field in ("name", "title"):
        name, reason = _refusal(**{field: f"湖州{control}科技"})
        assert name == field and "bidirectional" in reason


def test_a_name_that_normalises_beyond_what_a_unique_index_holds_is_refused() -> None:
    assert _refusal(name="\ufdfa" * 30)[0] == "name"  # one character that NFKC spells out in 18


def test_names_compare_by_their_normalised_key() -> None:
    same = ["湖州科技城孵化器", " 湖州科技城孵化器 ", "湖州科技城\u200b孵化器", "湖州科技城孵化器\ufeff"]
    assert {name_key(n) for n in same} == {"湖州科技城孵化器"}
    assert name_key("ＳＥＥＤ  Park") == name_key("seed park") == name_key("SEED\u3000PARK") == "seed park"
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("湖州一号") != name_key("湖州二号")


# --- cursors ------------------------------------------------------------------------------------------------------

PARSER_SHAPES = [(cursor_datetime, cursor_uuid), (str, cursor_uuid), (cursor_date, cursor_uuid), (cursor_int,),
                 (str, cursor_int), (cursor_uuid,)]


@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
def test_a_forged_cursor_is_invalid_input_naming_cursor_for_every_shape_of_list(cursor: str) -> None:
    for parsers in PARSER_SHAPES:
        with pytest.raises(InvalidInput) as caught:
            decode_cursor(cursor, *parsers)
        assert caught.value.field == "cursor"


@pytest.mark.parametrize("cursor", TIME_CURSORS.values(), ids=TIME_CURSORS.keys())
def test_a_time_no_list_issues_is_invalid_input_naming_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor, cursor_datetime, cursor_uuid)
    assert caught.value.field == "cursor"


def test_cursors_this_api_issues_still_decode() -> None:
    values = ["2026-01-02T03:04:05.000006+00:00", "0b5d3f0e-8d0c-4a57-9a39-1f0f3c4b2a11"]
    decoded = decode_cursor(encode_cursor(values), cursor_datetime, cursor_uuid)
    assert decoded[0].isoformat() == values[0] and str(decoded[1]) == values[1]
    # The longest key a list issues: a 200-character name, each character written as a surrogate pair's escapes.
    longest = "\U00020000" * 200
    assert decode_cursor(encode_cursor([longest, values[1]]), str, cursor_uuid)[0] == longest
    # Beyond INTEGER but within BIGINT: whether it fits the list's column is for shared.pagination to say.
    assert decode_cursor(encode_cursor([2**63 - 1]), cursor_int) == [2**63 - 1]


def test_a_cursor_time_is_taken_in_utc() -> None:
    (moment, _) = decode_cursor(encode_cursor(["2026-01-02T08:00:00+08:00", "0b5d3f0e-8d0c-4a57-9a39-1f0f3c4b2a11"]),
                                cursor_datetime, cursor_uuid)
    assert moment.utcoffset().total_seconds() == 0 and moment.hour == 0


# --- every service's API ------------------------------------------------------------------------------------------

@pytest.fixture(params=SERVICES)
async def api(request: pytest.FixtureRequest, postgres: None) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    async with running_app(request.param, settings_for(request.param, pg_url(request.param))) as client:
        yield client, (await client.get("/openapi.json")).json()


async def test_every_query_and_path_parameter_refuses_what_the_database_cannot_hold(
    api: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    """A NUL in any text parameter, an integer beyond BIGINT in any integer parameter: 422 naming it (on a public
    read, to a caller without a token as well)."""
    client, openapi = api
    faults = []
    for method, template, operation in operations(openapi):
        base_query = required_query(operation, openapi)
        for headers in callers(template):
            who = "no token" if not headers else "reviewer" if headers is REVIEWER else "admin"
            for parameter in parameters(operation, "query"):
                kind = kind_of(resolve(parameter["schema"], openapi))
                for value in hostile_values("text" if kind == "mixed" else kind):
                    url = url_of(template, operation, openapi, {})
                    response = await client.request(method, url, params={**base_query, parameter["name"]: value},
                                                    headers=headers)
                    if not names_field(response, parameter["name"]):
                        faults.append((who, method, template, parameter["name"], repr(value), response.status_code))
            for parameter in parameters(operation, "path"):
                kind = kind_of(resolve(parameter["schema"], openapi))
                for value in [BEYOND_BIGINT] if kind == "integer" else [NUL_TEXT]:
                    url = url_of(template, operation, openapi, {}, **{parameter["name"]: value})
                    response = await client.request(method, url, params=base_query, headers=headers)
                    if not names_field(response, parameter["name"]):
                        faults.append((who, method, template, parameter["name"], repr(value), response.status_code))
    assert faults == []


async def test_every_list_refuses_a_forged_cursor(api: tuple[httpx.AsyncClient, dict[str, Any]]) -> None:
    """Lists without path parameters, whose cursor is decoded whatever the data (the registry's own test reaches
    the others with real records)."""
    client, openapi = api
    faults = []
    for method, template, operation in operations(openapi):
        if method != "GET" or "{" in template or not any(p["name"] == "cursor" for p in parameters(operation, "query")):
            continue
        for headers in callers(template):
            for label, cursor in FORGED_CURSORS.items():
                response = await client.get(template, params={**required_query(operation, openapi), "cursor": cursor},
                                            headers=headers)
                if not names_field(response, "cursor"):
                    faults.append((template, label, bool(headers), response.status_code))
            for label, cursor in {**TIME_CURSORS, **EDGE_CURSORS}.items():
                response = await client.get(template, params={**required_query(operation, openapi), "cursor": cursor},
                                            headers=headers)
                if response.status_code >= 500:
                    faults.append((template, label, bool(headers), response.status_code))
    assert faults == []


# --- logs ---------------------------------------------------------------------------------------------------------

PHONE = "13857212345"


async def test_a_database_error_never_shows_the_statement_values(postgres: None) -> None:
    engine = create_engine(pg_url("matching"))
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text("SELECT CAST(:phone AS text), 1 / 0"), {"phone": PHONE})
    finally:
        await engine.dispose()
    assert "division by zero" in str(caught.value) and PHONE not in str(caught.value)


async def test_an_unexpected_database_error_is_logged_without_its_values(
    postgres: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's own message quotes the value ("value "13857212345" is out of range"), and so does the driver:
    the log names the error's kind, its SQLSTATE and the statement, not the words."""
    service = importlib.import_module("services.matching.service.enterprises")

    async def failing_list(sessions: Any, *_: Any, **__: Any) -> Any:
        async with sessions() as session:
            await session.execute(text("SELECT CAST(:phone AS integer)"), {"phone": PHONE})

    monkeypatch.setattr(service, "list_enterprises", failing_list)
    caplog.set_level(logging.DEBUG)
    async with running_app("matching", settings_for("matching", pg_url("matching"))) as client:
        response = await client.get("/v1/enterprises", headers=ADMIN)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert PHONE not in response.text
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged, "the error is logged"
    assert PHONE not in caplog.text
    assert "DataError (SQLSTATE 22" in caplog.text and "CAST" in caplog.text  # what failed and where: readable
