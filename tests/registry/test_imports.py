"""Bulk import of enterprises and annual figures (CSV and XLSX) and the XLSX export, on PostgreSQL and SQLite."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import httpx
import openpyxl
from sqlalchemy import text

from services.registry.service import imports as import_service
from shared.auth import Role
from shared.db import create_engine
from tests.support import count_rows, make_uscc, token

ADMIN = token(Role.ADMIN)
OFFICER = token(Role.OFFICER, districts=["330502"])
REGISTERED = "seedbed.registry.enterprise.registered.v1"
UPDATED = "seedbed.registry.enterprise.updated.v1"
FIGURES = "seedbed.registry.enterprise.figures_reported.v1"

HEADER_ZH = "统一社会信用代码,企业名称,区县代码,行业代码,成立日期,主要产品,产品标签\n"


def csv_file(body: str, name: str = "firms.csv", bom: bool = True) -> dict[str, tuple[str, bytes, str]]:
    data = ("\ufeff" if bom else "") + body
    return {"file": (name, data.encode("utf-8"), "text/csv")}


def firm_line(n: int, district: str = "330502", name: str | None = None, products: str = "工业视觉检测设备") -> str:
    return f"{make_uscc(n, district)},{name or f'湖州示例{n}有限公司'},{district},C3981,2019-05-20,{products},视觉;检测\n"


async def _import(client: httpx.AsyncClient, files, headers=ADMIN, kind: str = "enterprises") -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(f"/v1/imports/{kind}", files=files, headers=headers)


async def _rows(url: str, sql: str, **params):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).all()
    finally:
        await engine.dispose()


async def test_csv_import_reports_accepted_and_rejected_rows_and_writes_only_the_accepted(
        registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    body = (HEADER_ZH + firm_line(1) + firm_line(2, "330503")
            + "914403001922038217,坏代码有限公司,330502,C3981,,,\n"  # REFERENCE §4: check character should be 6
            + "\n"  # blank lines are skipped, but still counted for line numbers
            + f"{make_uscc(3)},未知区县有限公司,330590,C3981,,,\n"
            + firm_line(4, "330521"))
    response = await _import(registry_client, csv_file(body))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["accepted"], report["created"], report["rejected"]) == (5, 3, 3, 2)
    assert [(r["line"], r["field"]) for r in report["rejections"]] == [(4, "uscc"), (6, "district_code")]
    assert "should be 6" in report["rejections"][0]["reason"]
    assert "pseudo-code" in report["rejections"][1]["reason"]

    assert await count_rows(url, "enterprises") == 3
    assert await count_rows(url, "enterprises", "WHERE uscc = :u", u=make_uscc(3)) == 0
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=REGISTERED) == 3
    (tags, division), = await _rows(url, "SELECT product_tags, registration_division_code FROM enterprises "
                                         "WHERE uscc = :u", u=make_uscc(2, "330503"))
    assert (json.loads(tags) if isinstance(tags, str) else tags) == ["视觉", "检测"] and division == "330503"
    # One audit entry summarises the import.
    (changes,), = await _rows(url, "SELECT changes FROM audit_log WHERE entity_type = 'import'")
    changes = json.loads(changes) if isinstance(changes, str) else changes
    assert changes["created"] == 3 and changes["rejected"] == 2 and len(changes["created_ids"]) == 3


async def test_importing_the_same_file_twice_changes_nothing_and_emits_nothing_the_second_time(
        registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    files = csv_file(HEADER_ZH + firm_line(1) + firm_line(2))
    first = await _import(registry_client, files)
    again = await _import(registry_client, files)
    assert first.json()["created"] == 2
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 2)
    assert await count_rows(url, "outbox") == 2
    assert await count_rows(url, "enterprises", "WHERE version = 1") == 2

    # A changed name updates that firm alone: version 2, one enterprise.updated naming the field.
    changed = await _import(registry_client, csv_file(HEADER_ZH + firm_line(1) + firm_line(2, name="湖州改名科技有限公司")))
    assert (changed.json()["updated"], changed.json()["unchanged"]) == (1, 1)
    (payload,), = await _rows(url, "SELECT payload FROM outbox WHERE event_type = :t", t=UPDATED)
    event = json.loads(payload)
    assert event["changed_fields"] == ["name"] and event["name"] == "湖州改名科技有限公司" and event["version"] == 2


async def test_empty_cells_and_absent_columns_leave_stored_values_alone(registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    await _import(registry_client, csv_file(HEADER_ZH + firm_line(1)))
    partial = f"uscc,name,district_code,main_products\n{make_uscc(1)},湖州示例1有限公司,330502,\n"
    response = await _import(registry_client, csv_file(partial, bom=False))
    assert response.json()["unchanged"] == 1
    (products, industry), = await _rows(url, "SELECT main_products, industry_code FROM enterprises")
    assert (products, industry) == ("工业视觉检测设备", "C3981")


async def test_a_uscc_repeated_in_one_file_is_rejected_on_its_second_line(registry_client: httpx.AsyncClient) -> None:
    response = await _import(registry_client, csv_file(HEADER_ZH + firm_line(1) + firm_line(1, name="重复有限公司")))
    report = response.json()
    assert report["created"] == 1 and report["rejections"][0]["line"] == 3 and "repeats line 2" in report["rejections"][0]["reason"]
    assert await count_rows(registry_client.database_url, "enterprises", "WHERE name = '重复有限公司'") == 0  # type: ignore[attr-defined]


async def test_xlsx_import_reads_numbers_dates_and_the_first_sheet(registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["uscc", "name", "district_code", "established_on", "经度", "纬度", "main_products"])
    sheet.append([make_uscc(7), "湖州表格科技有限公司", 330523, datetime(2018, 3, 1), 119.68, 30.64, "'=竹材料"])
    sheet.append([make_uscc(8), "湖州负数科技有限公司", 330523, date(2020, 1, 2), "东经", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    files = {"file": ("firms.xlsx", buffer.getvalue(), import_service.XLSX_MEDIA_TYPE)}
    report = (await _import(registry_client, files)).json()
    assert (report["created"], report["rejected"]) == (1, 1)
    assert report["rejections"][0]["line"] == 3 and report["rejections"][0]["field"] == "longitude"
    (district, founded, lon, products), = await _rows(
        url, "SELECT district_code, established_on, longitude, main_products FROM enterprises")
    assert district == "330523" and str(founded) == "2018-03-01" and lon == 119.68
    assert products == "=竹材料"  # the export's defusing quote is read back off


async def test_a_non_utf8_file_is_refused_naming_the_file_and_the_byte_and_writes_nothing(
        registry_client: httpx.AsyncClient) -> None:
    body = ("uscc,name,district_code\n" + f"{make_uscc(1)},湖州示例有限公司,330502\n").encode("gb18030")
    response = await _import(registry_client, {"file": ("gbk.csv", body, "text/csv")})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    offset = body.index("湖".encode("gb18030"))
    assert "gbk.csv" in detail and f"byte offset {offset}" in detail and "line 2" in detail and "UTF-8" in detail
    assert await count_rows(registry_client.database_url, "enterprises") == 0  # type: ignore[attr-defined]
    assert await count_rows(registry_client.database_url, "audit_log") == 0  # type: ignore[attr-defined]


async def test_file_level_faults_are_422_and_write_nothing(registry_client: httpx.AsyncClient) -> None:
    unknown = await _import(registry_client, csv_file("uscc,name,district_code,注册资本\n"))
    assert unknown.status_code == 422 and unknown.json()["unknown_columns"] == ["注册资本"]
    missing = await _import(registry_client, csv_file("uscc,name\n" + f"{make_uscc(1)},湖州示例有限公司\n"))
    assert missing.status_code == 422 and "district_code" in missing.json()["detail"]
    empty = await _import(registry_client, csv_file(""))
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    xls = await _import(registry_client, {"file": ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x")})
    assert xls.status_code == 422 and ".xlsx" in xls.json()["detail"]
    broken = await _import(registry_client, {"file": ("broken.xlsx", b"PK\x03\x04not a zip", "x")})
    assert broken.status_code == 422 and "XLSX" in broken.json()["detail"]
    no_part = await registry_client.post("/v1/imports/enterprises", data={"other": "x"}, headers=ADMIN)
    assert no_part.status_code == 422 and no_part.json()["errors"][0]["field"] == "file"
    assert await count_rows(registry_client.database_url, "enterprises") == 0  # type: ignore[attr-defined]


async def test_an_oversized_upload_is_413_problem_json(registry_client: httpx.AsyncClient) -> None:
    big = HEADER_ZH.encode() + b"x" * (import_service.MAX_UPLOAD_BYTES + 1)
    response = await _import(registry_client, {"file": ("big.csv", big, "text/csv")})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert str(import_service.MAX_UPLOAD_BYTES) in response.json()["detail"]
    assert await count_rows(registry_client.database_url, "audit_log") == 0  # type: ignore[attr-defined]


async def test_an_officer_imports_only_firms_of_the_officers_districts(registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    await _import(registry_client, csv_file(HEADER_ZH + firm_line(9, "330521")))  # an admin registered it in 德清
    moving = firm_line(9, "330521").replace(",330521,", ",330502,")  # 德清's firm into the officer's district
    body = HEADER_ZH + firm_line(1) + firm_line(2, "330522") + moving
    report = (await _import(registry_client, csv_file(body), headers=OFFICER)).json()
    assert (report["created"], report["rejected"]) == (1, 2)
    assert [(r["line"], r["field"]) for r in report["rejections"]] == [(3, "district_code"), (4, "district_code")]
    assert "outside this officer's scope" in report["rejections"][0]["reason"]
    assert await count_rows(url, "enterprises", "WHERE district_code = '330502'") == 1


async def test_import_refusals_401_and_403(registry_client: httpx.AsyncClient) -> None:
    files = csv_file(HEADER_ZH + firm_line(1))
    assert (await _import(registry_client, files, headers={})).status_code == 401
    for role in (Role.ENTERPRISE, Role.REVIEWER, Role.SERVICE):
        refused = await _import(registry_client, files, headers=token(role, uscc=make_uscc(1)))
        assert refused.status_code == 403, role
    columns = await registry_client.get("/v1/imports/enterprises/columns", headers=token(Role.ENTERPRISE))
    assert columns.status_code == 403
    assert await count_rows(registry_client.database_url, "enterprises") == 0  # type: ignore[attr-defined]


async def test_the_column_listing_documents_keys_and_chinese_titles(registry_client: httpx.AsyncClient) -> None:
    listing = (await registry_client.get("/v1/imports/enterprises/columns", headers=OFFICER)).json()
    assert set(listing["required"]) >= {"uscc", "name", "district_code"}
    assert {"key": "uscc", "titles": ["统一社会信用代码", "信用代码"]} in listing["columns"]
    figures = (await registry_client.get("/v1/imports/figures/columns", headers=OFFICER)).json()
    assert any(c["key"] == "operating_revenue_wan" and "营业收入（万元）" in c["titles"] for c in figures["columns"])


# --- annual figures ---------------------------------------------------------------------------------------------------

FIGURES_HEADER = "统一社会信用代码,年度,职工人数,研发人员,营业收入（万元）,rd_expense_fen,total_assets_fen,市场占有率（%）\n"


async def test_figures_import_upserts_by_uscc_and_year_with_the_api_rules(registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    await _import(registry_client, csv_file(HEADER_ZH + firm_line(1) + firm_line(2)))
    next_year = datetime.now().year + 1
    body = (FIGURES_HEADER
            + f"{make_uscc(1)},2024,80,12,3500.5,150000000,2000000000,12.5\n"
            + f"{make_uscc(1)},2023,70,10,3000,120000000,,\n"
            + f"{make_uscc(2)},2024,20,30,100,,,\n"  # R&D staff above employees
            + f"{make_uscc(2)},{next_year},20,3,100,,,\n"  # a future year
            + f"{make_uscc(3)},2024,20,3,100,,,\n"  # not registered
            + f"{make_uscc(2)},2022,-5,0,100,,,\n"  # negative employees
            + f"{make_uscc(2)},2023,20,3,10,50000000,,\n"  # R&D expense above revenue: accepted and flagged
            + f"{make_uscc(2)},2018,20,3,10,,,\n")  # before the firm was established (2019)
    report = (await _import(registry_client, csv_file(body), kind="figures")).json()
    assert (report["created"], report["rejected"]) == (3, 5), report
    assert [(r["line"], r["field"]) for r in report["rejections"]] == [
        (4, "rd_staff"), (5, "year"), (6, "uscc"), (7, "employees"), (9, "year")]
    assert report["flags"] == [{"line": 8, "uscc": make_uscc(2), "flag": "rd_expense_above_revenue"}]

    (revenue, share, source), = await _rows(url, "SELECT operating_revenue_fen, market_share, source FROM annual_figures "
                                                 "WHERE year = 2024")
    assert revenue == 3_500_500_000 and str(share).rstrip("0") == "0.125" and source == "import"
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=FIGURES) == 3
    # The latest year's figures set the size class (REFERENCE §11: C, 80 staff and 3 500.5 万元 is small).
    (size,), = await _rows(url, "SELECT size_class FROM enterprises WHERE uscc = :u", u=make_uscc(1))
    assert size == "small"

    again = (await _import(registry_client, csv_file(body), kind="figures")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=FIGURES) == 3
    corrected = (await _import(registry_client, csv_file(
        FIGURES_HEADER + f"{make_uscc(1)},2024,81,12,,,,\n"), kind="figures")).json()
    assert corrected["updated"] == 1
    (employees, revenue, version), = await _rows(
        url, "SELECT employees, operating_revenue_fen, version FROM annual_figures WHERE year = 2024")
    assert (employees, revenue, version) == (81, 3_500_500_000, 2)


async def test_imported_figures_rerun_the_evaluations_that_read_them(registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    await _import(registry_client, csv_file(HEADER_ZH + firm_line(1)))
    await _import(registry_client, csv_file(FIGURES_HEADER + f"{make_uscc(1)},2024,50,10,2000,1200000000,,\n"),
                  kind="figures")
    (firm_id,), = await _rows(url, "SELECT id FROM enterprises")
    evaluated = await registry_client.post(f"/v1/enterprises/{firm_id}/evaluations", headers=OFFICER,
                                           json={"tier": "tech_sme", "evaluation_date": "2025-06-01"})
    assert evaluated.status_code == 201, evaluated.text
    report = (await _import(registry_client, csv_file(FIGURES_HEADER + f"{make_uscc(1)},2024,50,15,2000,1200000000,,\n"),
                            kind="figures")).json()
    assert (report["updated"], report["reevaluated"]) == (1, 1)
    assert await count_rows(url, "evaluations", "WHERE trigger = 'rerun'") == 1
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.registry.enterprise.evaluated.v1'") == 2


async def test_a_new_industry_code_recomputes_the_size_class(registry_client: httpx.AsyncClient) -> None:
    url = registry_client.database_url  # type: ignore[attr-defined]
    await _import(registry_client, csv_file(HEADER_ZH + firm_line(1)))
    await _import(registry_client, csv_file(FIGURES_HEADER + f"{make_uscc(1)},2024,80,12,3500.5,,,\n"), kind="figures")
    # REFERENCE §11: 80 staff and 3 500.5 万元 is small in industry (C) but medium in retail (F52).
    retail = (await _import(registry_client, csv_file(f"uscc,name,district_code,industry_code\n"
                                                      f"{make_uscc(1)},湖州示例1有限公司,330502,F5211\n"))).json()
    assert retail["updated"] == 1
    (size, version), = await _rows(url, "SELECT size_class, version FROM enterprises")
    assert (size, version) == ("medium", 2)
    # The event carries the new state, size class included, as after a PATCH: read models (matching) keep it.
    (payload,), = await _rows(url, "SELECT payload FROM outbox WHERE event_type = :t ORDER BY id DESC LIMIT 1", t=UPDATED)
    assert json.loads(payload)["size_class"] == "medium"


async def test_figures_of_another_districts_firm_are_refused_for_an_officer(registry_client: httpx.AsyncClient) -> None:
    await _import(registry_client, csv_file(HEADER_ZH + firm_line(1, "330521")))
    report = (await _import(registry_client, csv_file(FIGURES_HEADER + f"{make_uscc(1, '330521')},2024,8,1,10,,,\n"),
                            headers=OFFICER, kind="figures")).json()
    assert report["rejected"] == 1 and "outside this officer's scope" in report["rejections"][0]["reason"]
    assert await count_rows(registry_client.database_url, "annual_figures") == 0  # type: ignore[attr-defined]


# --- export -----------------------------------------------------------------------------------------------------------

EXPORT_HEADER = "uscc,name,district_code,legal_representative,contact_phone,contact_email,main_products,sector\n"


def _sheet(response: httpx.Response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == import_service.XLSX_MEDIA_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def test_export_escapes_formulas_masks_contacts_and_filters(registry_client: httpx.AsyncClient) -> None:
    body = (EXPORT_HEADER
            + f'{make_uscc(1)},湖州示例一有限公司,330502,张三丰,13812345678,zhang@example.cn,"=HYPERLINK(""http://x"")",数字服务业\n'
            + f"{make_uscc(2, '330521')},湖州示例二有限公司,330521,李四,+8657212345678,li@example.cn,@SUM(A1),先进制造业\n")
    assert (await _import(registry_client, csv_file(body))).json()["created"] == 2

    admin_rows = sorted(_sheet(await registry_client.get("/v1/exports/enterprises.xlsx", headers=ADMIN)),
                        key=lambda r: str(r["区县代码"]))
    assert [r["统一社会信用代码"] for r in admin_rows] == [make_uscc(1), make_uscc(2, "330521")]
    first, second = admin_rows
    assert first["主要产品"] == "'=HYPERLINK(\"http://x\")" and second["主要产品"] == "'@SUM(A1)"
    assert second["联系电话"] == "'+8657212345678" and first["法定代表人"] == "张三丰"

    reviewer_rows = sorted(_sheet(await registry_client.get("/v1/exports/enterprises.xlsx", headers=token(Role.REVIEWER))),
                           key=lambda r: str(r["区县代码"]))
    assert reviewer_rows[0]["法定代表人"] == "张**" and reviewer_rows[0]["联系电话"] == "138****5678"
    assert reviewer_rows[0]["电子邮箱"] == "z***@example.cn"

    # An officer sees the officer's districts only; the filters are the list's.
    officer_rows = _sheet(await registry_client.get("/v1/exports/enterprises.xlsx", headers=OFFICER))
    assert [r["区县代码"] for r in officer_rows] == ["330502"] and officer_rows[0]["法定代表人"] == "张三丰"
    by_sector = _sheet(await registry_client.get("/v1/exports/enterprises.xlsx", params={"sector": "advanced_manufacturing"}, headers=ADMIN))
    assert [r["企业名称"] for r in by_sector] == ["湖州示例二有限公司"]
    by_words = _sheet(await registry_client.get("/v1/exports/enterprises.xlsx", params={"q": "示例一"}, headers=ADMIN))
    assert [r["企业名称"] for r in by_words] == ["湖州示例一有限公司"]


async def test_an_exported_file_imports_again_without_changes(registry_client: httpx.AsyncClient) -> None:
    body = EXPORT_HEADER + f"{make_uscc(1)},湖州示例一有限公司,330502,张三丰,13812345678,,-负号开头的产品,\n"
    await _import(registry_client, csv_file(body))
    exported = await registry_client.get("/v1/exports/enterprises.xlsx", headers=ADMIN)
    report = (await _import(registry_client, {"file": ("export.xlsx", exported.content, "x")})).json()
    assert (report["unchanged"], report["rejected"]) == (1, 0), report
    # A masked export cannot overwrite the real contacts.
    masked = await registry_client.get("/v1/exports/enterprises.xlsx", headers=token(Role.REVIEWER))
    refused = (await _import(registry_client, {"file": ("masked.xlsx", masked.content, "x")})).json()
    assert refused["rejected"] == 1 and refused["rejections"][0]["field"] == "legal_representative"


async def test_export_refusals(registry_client: httpx.AsyncClient) -> None:
    assert (await registry_client.get("/v1/exports/enterprises.xlsx")).status_code == 401
    for role in (Role.ENTERPRISE, Role.PARK_OPERATOR):
        assert (await registry_client.get("/v1/exports/enterprises.xlsx", headers=token(role))).status_code == 403
    too_long = await registry_client.get("/v1/exports/enterprises.xlsx", params={"q": "x" * 101}, headers=ADMIN)
    assert too_long.status_code == 422
