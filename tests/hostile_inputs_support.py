"""What the hostile-input tests send (issue 11, item 4), derived from each service's OpenAPI document so that a
route or a field added later is probed too: every query and path parameter, every JSON body field, every cursor.

The expectation is always the same: 422 problem+json naming the field at fault, never a 500.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from shared.http import encode_cursor

BEYOND_BIGINT = 2**63
BELOW_BIGINT = -(2**63) - 1
BEYOND_INTEGER = 2**31
NUL_TEXT = "a\x00b"
ID = str(uuid.UUID(int=1))


def _raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Cursors no list issues: each must be 422 naming `cursor` on every list, whatever its keys.
FORGED_CURSORS: dict[str, str] = {
    "deeply nested arrays": _raw_cursor("[" * 3000 + "]" * 3000),
    "deeply nested arrays, as long as a cursor may be": _raw_cursor("[" * 1500 + "]" * 1500),
    "nested arrays within the recursion limit": _raw_cursor("[" * 900 + "]" * 900),
    "over-long": "W" * 20_000,
    "an integer beyond BIGINT": encode_cursor([BEYOND_BIGINT]),
    "an integer below BIGINT": encode_cursor([BELOW_BIGINT]),
    "a rank beyond BIGINT": encode_cursor(["330502", BEYOND_BIGINT]),
    "a NUL in a text key": encode_cursor([NUL_TEXT, ID]),
    "a NUL in a text key before a rank": encode_cursor([NUL_TEXT, 1]),
    "a lone surrogate in a text key": encode_cursor(["\ud800", ID]),
    "a nested value": encode_cursor([["x"], ID]),
    "an object": encode_cursor([{"x": 1}, ID]),
}
# Times no list issues: refused by a list ordered by a time; one ordered by a name may read them as a name.
TIME_CURSORS: dict[str, str] = {
    "a time without a zone": encode_cursor(["2026-01-01T00:00:00", ID]),
    "a time before year 1 in UTC": encode_cursor(["0001-01-01T00:00:00+05:00", ID]),
    "a time after year 9999 in UTC": encode_cursor(["9999-12-31T23:00:00-05:00", ID]),
}
# Well-formed but beyond an INTEGER column (a year, a rank): refused or served, never a 500.
EDGE_CURSORS: dict[str, str] = {
    "an integer beyond INTEGER": encode_cursor([BEYOND_INTEGER]),
    "a rank beyond INTEGER": encode_cursor(["330502", BEYOND_INTEGER]),
}


def operations(openapi: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for template, methods in openapi["paths"].items():
        if template.startswith("/v1"):
            for method, operation in sorted(methods.items()):
                yield method.upper(), template, operation


def resolve(schema: dict[str, Any], openapi: dict[str, Any]) -> dict[str, Any]:
    """The schema itself: references followed, ``X | None`` unwrapped to X."""
    while True:
        if "$ref" in schema:
            schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            if len(options) != 1:
                return {"anyOf": options}
            schema = options[0]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def kind_of(schema: dict[str, Any]) -> str:
    """integer, number, date, text, object, array, boolean or mixed (a number or a decimal string)."""
    if "anyOf" in schema:
        return "mixed"
    kind = schema.get("type", "")
    if kind == "string":
        return "date" if schema.get("format") == "date" else "text"
    return kind


def hostile_values(kind: str) -> list[Any]:
    """The values of a field of this kind that must be refused naming the field."""
    return {
        "integer": [BEYOND_BIGINT, BELOW_BIGINT, True],
        "number": [True],
        "date": ["9999-12-01", "0001-01-01"],
        "text": [NUL_TEXT],
        "mixed": [NUL_TEXT],
    }.get(kind, [])


def parameters(operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p["in"] == where]


def url_of(template: str, operation: dict[str, Any], openapi: dict[str, Any], ids: dict[str, str],
           **replaced: Any) -> str:
    """The template with a valid value in each path parameter (a known id where given) unless ``replaced``."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in replaced:
            return quote(str(replaced[name]), safe="")
        schema = resolve(next(p for p in parameters(operation, "path") if p["name"] == name)["schema"], openapi)
        if schema.get("type") == "integer":
            return "2026"
        return ids.get(name, ID)

    return re.sub(r"\{(\w+)\}", value, template)


def required_query(operation: dict[str, Any], openapi: dict[str, Any]) -> dict[str, Any]:
    """A valid value for each required query parameter (the first of an enumeration)."""
    values: dict[str, Any] = {}
    for parameter in parameters(operation, "query"):
        if parameter.get("required"):
            schema = resolve(parameter["schema"], openapi)
            values[parameter["name"]] = schema["enum"][0] if "enum" in schema else "1"
    return values


def body_fields(schema: dict[str, Any], openapi: dict[str, Any],
                path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every leaf field of a JSON body: (its path, its schema). Array items are reached through index 0; a map's
    values through the key ``k`` and its keys through the path ending in ``*``."""
    schema = resolve(schema, openapi)
    kind = kind_of(schema)
    if kind == "object" and "properties" in schema:
        for name, sub in schema["properties"].items():
            yield from body_fields(sub, openapi, (*path, name))
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        yield (*path, "*"), {"type": "string"}
        yield from body_fields(schema["additionalProperties"], openapi, (*path, "k"))
    elif kind == "array" and "items" in schema:
        yield from body_fields(schema["items"], openapi, (*path, "0"))
    else:
        yield path, schema


def body_with(path: tuple[str, ...], value: Any) -> Any:
    """A body holding ``value`` at ``path`` and nothing else."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "0":
        return [body_with(rest, value)]
    if head == "*":
        return {value: 1}
    return {head: body_with(rest, value)}


def names_field(response: httpx.Response, field: str) -> bool:
    """A 422 problem naming ``field`` (or a field under it: a map's key is named with the key)."""
    if response.status_code != 422 or not response.headers["content-type"].startswith("application/problem+json"):
        return False
    return any(e.get("field") == field or str(e.get("field", "")).startswith(field + ".")
               for e in response.json().get("errors") or [])
