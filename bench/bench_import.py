"""Bulk import of a 100 000-row enterprise CSV through POST /v1/imports/enterprises, end to end, next to plain parsing
of the same file, measured in the same run. Aim (issue 3): at least 3 000 rows/s end to end on PostgreSQL.

End to end means: the multipart upload through the real registry app (in process, httpx ASGI transport), UTF-8
decoding, CSV parsing, validation of every row with the single-record API's model, the chunked upserts with their
outbox events, and the audit entry, on a freshly migrated PostgreSQL database (``seedbed_bench_import``). The file is
then imported a second time (every row unchanged: the idempotent path) and a third time with every name changed (the
update path).

    .venv/bin/python bench/bench_import.py [rows]
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import time

import httpx
from sqlalchemy import text

from bench._support import fresh_database, import_enterprises, registry_as_admin
from services.registry.demo import demo_uscc
from services.registry.schemas.enterprises import EnterpriseCreate
from shared.db import create_engine
from shared.ids import HUZHOU_DISTRICTS

AIM_ROWS_PER_SECOND = 3000

PRODUCTS = [("C3981", "工业视觉检测设备", "high_end_equipment"), ("C2710", "创新药中间体", "biomedicine"),
            ("C3670", "新能源汽车电驱部件", "nev_parts"), ("I6513", "工业互联网平台软件", "digital_industry"),
            ("C2110", "竹木复合家具", "green_home"), ("C1811", "功能性童装面料", "childrens_clothing")]


def make_csv(rows: int, renamed: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["uscc", "name", "district_code", "industry_code", "established_on", "sector", "cluster",
                     "main_products", "product_tags"])
    districts = list(HUZHOU_DISTRICTS)
    for n in range(rows):
        district = districts[n % len(districts)]
        industry, products, cluster = PRODUCTS[n % len(PRODUCTS)]
        writer.writerow([demo_uscc(n, district), f"湖州基准{'新' if renamed else ''}企业{n:06d}有限公司", district, industry,
                         f"{2008 + n % 16}-{1 + n % 12:02d}-{1 + n % 28:02d}", "advanced_manufacturing", cluster,
                         products, "智能制造;检测"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def plain_parse(content: bytes) -> int:
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    next(reader)
    return sum(1 for _ in reader)


def parse_and_validate(content: bytes) -> int:
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header = next(reader)
    count = 0
    for row in reader:
        data = {k: v for k, v in zip(header, row, strict=False) if v}
        data["product_tags"] = data["product_tags"].split(";")
        EnterpriseCreate.model_validate(data)
        count += 1
    return count


async def timed_import(client: httpx.AsyncClient, content: bytes) -> tuple[float, float, dict]:
    """Wall time, this process's CPU time (the app runs in it), and the report."""
    started, cpu = time.perf_counter(), time.process_time()
    response = await import_enterprises(client, content)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, time.process_time() - cpu, response.json()


async def main(rows: int) -> None:
    content = make_csv(rows)
    renamed = make_csv(rows, renamed=True)
    print(f"import benchmark: {rows} rows, {len(content) / 1024 / 1024:.1f} MiB CSV")

    started = time.perf_counter()
    assert plain_parse(content) == rows
    parse_rate = rows / (time.perf_counter() - started)
    started = time.perf_counter()
    assert parse_and_validate(content) == rows
    validate_rate = rows / (time.perf_counter() - started)

    database = await fresh_database("seedbed_bench_import")
    async with registry_as_admin(database, timeout=600) as client:
        first = await timed_import(client, content)
        assert first[2]["created"] == rows, first[2]
        second = await timed_import(client, content)
        assert second[2]["unchanged"] == rows, second[2]
        third = await timed_import(client, renamed)
        assert third[2]["updated"] == rows, third[2]

    engine = create_engine(database)
    async with engine.connect() as conn:
        events = await conn.scalar(text("SELECT count(*) FROM outbox"))
    await engine.dispose()

    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine slows every figure)")
    print(f"  baseline: plain CSV parsing                  {parse_rate:12,.0f} rows/s")
    print(f"  reference: parsing + EnterpriseCreate         {validate_rate:12,.0f} rows/s")
    for label, (seconds, cpu, _) in (("import, all new (registered)", first), ("import again, all unchanged", second),
                                     ("import, every name changed (updated)", third)):
        rate = rows / seconds
        print(f"  {label:<40} {rate:12,.0f} rows/s  {seconds:6.1f} s wall, {cpu:5.1f} s app CPU  "
              f"{rate / parse_rate:6.1%} of plain parsing  {'OK' if rate >= AIM_ROWS_PER_SECOND else 'BELOW'} "
              f"(aim ≥ {AIM_ROWS_PER_SECOND:,})")
    print(f"  outbox events written: {events:,} (expected {2 * rows:,}: registered + updated, none for unchanged)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
