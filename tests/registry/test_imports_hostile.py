"""Hostile uploads: a file that would take the API to gigabytes of memory or minutes of work is refused before it is
parsed, as problem+json naming the limit (413 for volume, 422 for a shape), and writes nothing."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import AsyncIterator

import httpx
import openpyxl
import pytest

from services.registry.service import imports as import_service
from shared.auth import Role
from tests.registry.xlsx_support import MAIN, sheet_xml, workbook
from tests.support import count_rows, pg_url, running_app, settings_for, token, truncate

ADMIN = token(Role.ADMIN)
HEADER = ["uscc", "name", "district_code"]


@pytest.fixture
async def client(postgres: None) -> AsyncIterator[httpx.AsyncClient]:
    # Every refusal here comes before the database is touched: one backend is enough.
    await truncate("registry")
    async with running_app("registry", settings_for("registry")) as client:
        yield client


async def _upload(client: httpx.AsyncClient, name: str, content: bytes) -> httpx.Response:
    started = time.perf_counter()
    response = await client.post("/v1/imports/enterprises", files={"file": (name, content, "x")}, headers=ADMIN)
    # Refused from what the file is, not after working through it (the refusal's limit name, checked by the caller,
    # says which guard answered). The bound is loose: a loaded 2-core machine once took 10.4 s to refuse far.xlsx.
    assert time.perf_counter() - started < 30, f"{name} took {time.perf_counter() - started:.1f} s"
    return response


async def _assert_refused(client: httpx.AsyncClient, response: httpx.Response, status: int, limit: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["limit"]["name"] == limit, problem
    assert problem["errors"][0]["field"] == "file"
    assert await count_rows(pg_url("registry"), "enterprises") == 0
    assert await count_rows(pg_url("registry"), "audit_log") == 0
    assert await count_rows(pg_url("registry"), "import_jobs") == 0
    return problem


# --- XML parsing: defusedxml ------------------------------------------------------------------------------------------

def _laughs(levels: int) -> str:
    """Shared strings whose second text is an entity expanding 10 ** levels times ("billion laughs" at 9)."""
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels + 1))
    return (f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst xmlns="{MAIN}"><si><t>uscc</t></si>'
            f'<si><t>&l{levels};</t></si></sst>')


_SHARED_SHEET = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
                 '<c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>')


def test_openpyxl_parses_through_defusedxml() -> None:
    # openpyxl decides at import: defusedxml installed (a dependency) and not turned off (OPENPYXL_DEFUSEDXML).
    assert openpyxl.DEFUSEDXML is True


def test_a_workbook_is_never_parsed_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(RuntimeError, match="defusedxml"):
        import_service.read_table("firms.xlsx", workbook(sheet_xml([HEADER])))


@pytest.mark.parametrize("levels", [3, 9], ids=["entities", "billion-laughs"])
async def test_entity_declarations_are_refused(client: httpx.AsyncClient, levels: int) -> None:
    # Without defusedxml, 3 levels import a 3,000-character name and 9 levels (expat's own limit) were a 500.
    response = await _upload(client, "laughs.xlsx", workbook(_SHARED_SHEET, _laughs(levels)))
    assert response.status_code == 422, response.text
    assert "not a readable XLSX" in response.json()["detail"]
    assert await count_rows(pg_url("registry"), "enterprises") == 0


# --- the zip ------------------------------------------------------------------------------------------------------------

async def test_a_zip_bomb_of_shared_strings_is_refused_from_the_zip_directory(client: httpx.AsyncClient) -> None:
    # The file: a few hundred KB whose shared strings unpack to hundreds of MB.
    text = "<si><t>" + "鼠" * 1000 + "</t></si>"
    strings = f'<sst xmlns="{MAIN}"><si><t>uscc</t></si>' + text * 100_000 + "</sst>"
    bomb = workbook(_SHARED_SHEET, strings)
    assert len(bomb) < 1024 * 1024 and len(strings.encode()) > import_service.MAX_XLSX_UNPACKED_BYTES
    await _assert_refused(client, await _upload(client, "bomb.xlsx", bomb), 413, "max_xlsx_unpacked_bytes")


async def test_a_part_that_unpacks_too_many_times_its_size_is_refused(client: httpx.AsyncClient) -> None:
    strings = f'<sst xmlns="{MAIN}"><si><t>uscc</t></si>' + "<si><t>a</t></si>" * 200_000 + "</sst>"
    problem = await _assert_refused(client, await _upload(client, "ratio.xlsx", workbook(_SHARED_SHEET, strings)),
                                    413, "max_xlsx_ratio")
    assert "sharedStrings.xml" in problem["detail"]


async def test_a_zip_of_too_many_parts_is_refused(client: httpx.AsyncClient) -> None:
    extra = {f"xl/media/image{n}.png": b"\x89PNG" for n in range(import_service.MAX_XLSX_PARTS)}
    content = workbook(sheet_xml([HEADER]), extra_parts=extra)
    await _assert_refused(client, await _upload(client, "parts.xlsx", content), 413, "max_xlsx_parts")


async def test_a_part_read_whole_is_capped(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "MAX_XLSX_WHOLE_PART_BYTES", 100_000)
    strings = f'<sst xmlns="{MAIN}"><si><t>uscc</t></si>' + "".join(f"<si><t>{n}</t></si>" for n in range(20_000))
    await _assert_refused(client, await _upload(client, "strings.xlsx", workbook(_SHARED_SHEET, strings + "</sst>")),
                          413, "max_xlsx_whole_part_bytes")


# --- what the XML holds ---------------------------------------------------------------------------------------------

async def test_elements_outside_rows_are_capped(client: httpx.AsyncClient) -> None:
    # openpyxl keeps every element of a sheet outside its rows until the sheet ends: 120,000 of them fit in
    # 480 KB, too little for the ratio to count.
    junk = "<a/>" * 120_000
    content = workbook(sheet_xml([HEADER, ["1", "甲", "330502"]], inside_data=junk))
    await _assert_refused(client, await _upload(client, "junk.xlsx", content), 413, "max_xlsx_loose_elements")


async def test_a_row_of_too_many_elements_is_refused(client: httpx.AsyncClient) -> None:
    junk = "".join(f'<c r="A1" t="n"><v>{n}</v></c>' for n in range(import_service.MAX_XLSX_RECORD_ELEMENTS))
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{junk}</row></sheetData></worksheet>'
    await _assert_refused(client, await _upload(client, "wide.xlsx", workbook(sheet)), 422, "max_xlsx_record_bytes")


async def test_a_giant_text_is_refused_before_it_is_parsed(client: httpx.AsyncClient) -> None:
    cell = "".join(chr(0x4E00 + n % 20000) for n in range(100_000))  # 300 KB of UTF-8: no Excel cell holds it
    content = workbook(sheet_xml([HEADER, ["1", cell, "330502"]]))
    problem = await _assert_refused(client, await _upload(client, "text.xlsx", content), 422, "max_cell_chars")
    assert "sheet1.xml" in problem["detail"]


# --- rows, columns, cells ---------------------------------------------------------------------------------------------

async def test_a_small_csv_of_two_million_rows_is_refused_at_once(client: httpx.AsyncClient) -> None:
    content = ("uscc,name,district_code\n" + "1\n" * 2_000_000).encode()
    problem = await _assert_refused(client, await _upload(client, "rows.csv", content), 413, "max_rows")
    assert problem["limit"]["value"] == import_service.MAX_ROWS == 100_000


async def test_an_xlsx_of_too_many_rows_is_refused_from_its_xml(client: httpx.AsyncClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "MAX_ROWS", 50)
    content = workbook(sheet_xml([HEADER] + [["1", "甲", "330502"]] * 60))
    await _assert_refused(client, await _upload(client, "rows.xlsx", content), 413, "max_rows")


async def test_a_row_numbered_a_million_is_not_walked_to(client: httpx.AsyncClient) -> None:
    # openpyxl fills in the rows missing before a row it meets: reading stops at the cap instead.
    sheet = sheet_xml([HEADER], inside_data='<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row>')
    await _assert_refused(client, await _upload(client, "far.xlsx", workbook(sheet)), 413, "max_rows")


async def test_a_sheet_wider_than_the_column_cap_is_refused(client: httpx.AsyncClient) -> None:
    sheet = sheet_xml([HEADER]).replace("<sheetData>", '<dimension ref="A1:XFD2"/><sheetData>')
    await _assert_refused(client, await _upload(client, "wide.xlsx", workbook(sheet)), 422, "max_columns")
    csv = ("uscc,name,district_code" + ",x" * 300 + "\n").encode()
    await _assert_refused(client, await _upload(client, "wide.csv", csv), 422, "max_columns")


async def test_too_many_cells_are_refused(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_service, "MAX_CELLS", 100)
    content = workbook(sheet_xml([HEADER] + [["1", "甲", "330502"]] * 40))
    await _assert_refused(client, await _upload(client, "cells.xlsx", content), 413, "max_cells")
    csv = ("uscc,name,district_code\n" + "1,甲,330502\n" * 60).encode()
    await _assert_refused(client, await _upload(client, "cells.csv", csv), 413, "max_cells")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_a_cell_longer_than_excel_allows_is_refused_naming_line_and_column(client: httpx.AsyncClient,
                                                                                   kind: str) -> None:
    long = "x" * (import_service.MAX_CELL_CHARS + 1)
    rows = [HEADER, ["1", "甲", "330502"], ["2", long, "330502"]]
    content = (workbook(sheet_xml(rows)) if kind == "xlsx"
               else "".join(",".join(row) + "\n" for row in rows).encode())
    problem = await _assert_refused(client, await _upload(client, f"long.{kind}", content), 422, "max_cell_chars")
    assert "column 2 of line 3" in problem["detail"]


async def test_the_column_listing_states_the_limits(client: httpx.AsyncClient) -> None:
    listing = (await client.get("/v1/imports/enterprises/columns", headers=ADMIN)).json()
    assert (listing["max_bytes"], listing["max_rows"], listing["background_rows"]) == (
        20 * 1024 * 1024, 100_000, 5_000)
    assert any("100,000 rows" in note for note in listing["notes"])


def test_a_workbook_openpyxl_writes_passes_the_inspection_with_its_counts() -> None:
    rows = [HEADER] + [[str(n), f"湖州{n}有限公司", "330502"] for n in range(1000)]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    counts = import_service.inspect_xlsx("firms.xlsx", buffer.getvalue())
    assert (counts.rows, counts.cells) == (1001, 3003)
    # And a hand-made one with shared strings, prefixed names and a comment.
    sheet = (f'<x:worksheet xmlns:x="{MAIN}"><!-- <row> --><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v>'
             '</x:c></x:row><x:row r="2"/></x:sheetData></x:worksheet>')
    strings = f'<sst xmlns="{MAIN}"><si><t>uscc</t></si><si><r><t>a</t></r><r><t>b</t></r></si></sst>'
    counts = import_service.inspect_xlsx("f.xlsx", workbook(sheet, strings))
    # The row in the comment counts too: the counts err high, never low.
    assert (counts.rows, counts.cells, counts.shared_strings) == (3, 1, 2)
    with zipfile.ZipFile(io.BytesIO(workbook(sheet, strings))) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
