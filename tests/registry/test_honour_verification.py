"""Honour verification (荣誉资质核实), on PostgreSQL and SQLite: what a firm declares about itself (an HNTE
certificate, a digital-ladder award …) counts in statistics and evaluations only once an officer of its district
has verified it; an officer's own entry is verified at once; a firm's correction of a verified honour is a new
claim. The migration classifies honours recorded before it by their audit trail."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from services.registry.models import Enterprise, bus
from services.registry.models.figures import Honour
from shared.auth import Role
from shared.db import create_engine
from shared.migrations import alembic_config, upgrade
from tests.registry.figures_support import COMPLIANT, OFFICER, WAN, database_url, register
from tests.registry.pools_support import expect_problem
from tests.support import count_rows, make_uscc, sqlite_url, token

HNTE = {"kind": "certification", "certification_kind": "hnte", "number": "GR202433001044",
        "valid_from": "2024-12-01", "valid_until": "2027-11-30"}
FIGURES_2024 = {"employees": 50, "tech_staff": 15, "operating_revenue_fen": 2000 * WAN, "rd_expense_fen": 120 * WAN,
                "total_cost_expense_fen": 1000 * WAN, "total_assets_fen": 1500 * WAN}
ASK = {"tier": "tech_sme", "evaluation_date": "2025-06-01"}


async def _firm(client: httpx.AsyncClient, n: int) -> tuple[str, dict[str, str]]:
    """A firm with what a 科技型 evaluation reads, and the firm's own token."""
    firm = await register(client, n)
    base = f"/v1/enterprises/{firm}"
    assert (await client.put(f"{base}/figures/2024", json=FIGURES_2024, headers=OFFICER)).status_code == 201
    assert (await client.put(f"{base}/declarations", json=COMPLIANT, headers=OFFICER)).status_code == 201
    return firm, token(Role.ENTERPRISE, uscc=make_uscc(n))


async def _hnte_held(client: httpx.AsyncClient) -> int:
    funnel = await client.get("/v1/statistics/funnel", headers=token(Role.ADMIN))
    assert funnel.status_code == 200, funnel.text
    return int(funnel.json()["hnte"]["holding"])


async def _latest_certifications(client: httpx.AsyncClient, firm: str) -> list[str]:
    """The certifications the firm's latest evaluation read."""
    listed = (await client.get(f"/v1/enterprises/{firm}/evaluations", headers=OFFICER)).json()["items"]
    latest = (await client.get(f"/v1/enterprises/{firm}/evaluations/{listed[0]['id']}", headers=OFFICER)).json()
    return [c["kind"] for c in latest["inputs"]["honours"]["certifications"]]


async def test_a_declared_honour_counts_once_an_officer_verifies_it(registry_client: httpx.AsyncClient) -> None:
    firm, own = await _firm(registry_client, 41)
    url = database_url(registry_client)
    assert (await registry_client.post(f"/v1/enterprises/{firm}/evaluations", json=ASK, headers=OFFICER)).status_code == 201

    declared = await registry_client.post(f"/v1/enterprises/{firm}/honours", json=HNTE, headers=own)
    assert declared.status_code == 201, declared.text
    honour = declared.json()
    assert (honour["verification"], honour["verified_by"], honour["verified_at"]) == ("declared", None, None)
    # Declared, it counts nowhere: not in the statistics, not in the evaluation re-run on the new honour.
    assert await _hnte_held(registry_client) == 0
    assert await _latest_certifications(registry_client, firm) == []
    waiting = await registry_client.get(f"/v1/enterprises/{firm}/honours?verification=declared", headers=OFFICER)
    assert [h["id"] for h in waiting.json()["items"]] == [honour["id"]]

    path = f"/v1/enterprises/{firm}/honours/{honour['id']}/verification"
    verified = await registry_client.post(path, json={"decision": "verified"}, headers={**OFFICER, "If-Match": '"1"'})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert (body["verification"], body["verified_by"], body["version"]) == ("verified", "officer-wx", 2)
    assert verified.headers["etag"] == '"2"' and body["verified_at"] is not None
    assert await _hnte_held(registry_client) == 1
    assert await _latest_certifications(registry_client, firm) == ["hnte"]
    assert await count_rows(url, "audit_log", "WHERE action = 'honour.verify' AND actor = 'officer-wx' "
                            "AND actor_role = 'officer' AND entity_id = :id", id=firm) == 1

    # The firm corrects it: a new claim, declared again until an officer looks at it.
    corrected = await registry_client.put(f"/v1/enterprises/{firm}/honours/{honour['id']}",
                                          json={**HNTE, "number": "GR202433001045"}, headers={**own, "If-Match": '"2"'})
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["verification"], corrected.json()["verified_by"]) == ("declared", None)
    assert await _hnte_held(registry_client) == 0
    assert await _latest_certifications(registry_client, firm) == []

    # Rejected, with the reason why; it still counts nowhere.
    rejected = await registry_client.post(path, json={"decision": "rejected", "note": "证书编号查无此证"},
                                          headers={**OFFICER, "If-Match": '"3"'})
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["verification"], rejected.json()["verification_note"]) == ("rejected", "证书编号查无此证")
    assert await _hnte_held(registry_client) == 0
    assert await count_rows(url, "audit_log", "WHERE action = 'honour.reject'") == 1


async def test_an_officers_own_entry_is_verified_at_once(registry_client: httpx.AsyncClient) -> None:
    firm, _ = await _firm(registry_client, 42)
    entered = await registry_client.post(f"/v1/enterprises/{firm}/honours", json=HNTE, headers=OFFICER)
    assert entered.status_code == 201, entered.text
    assert (entered.json()["verification"], entered.json()["verified_by"]) == ("verified", "officer-wx")
    assert await _hnte_held(registry_client) == 1
    digital = {"kind": "digital_ladder", "stage": "smart_factory", "year": 2024}
    assert (await registry_client.post(f"/v1/enterprises/{firm}/honours", json=digital,
                                       headers=token(Role.ENTERPRISE, uscc=make_uscc(42)))).json()["verification"] == "declared"


async def test_verification_refusals_write_nothing(registry_client: httpx.AsyncClient) -> None:
    firm, own = await _firm(registry_client, 43)
    url = database_url(registry_client)
    honour = (await registry_client.post(f"/v1/enterprises/{firm}/honours", json=HNTE, headers=own)).json()
    path = f"/v1/enterprises/{firm}/honours/{honour['id']}/verification"
    fresh = {"If-Match": '"1"'}
    verify = {"decision": "verified"}

    # The firm does not vouch for itself; nor do reviewers or services.
    for role, claims in ((Role.ENTERPRISE, {"uscc": make_uscc(43)}), (Role.REVIEWER, {}), (Role.SERVICE, {})):
        expect_problem(await registry_client.post(path, json=verify, headers={**token(role, **claims), **fresh}), 403)
    # An officer of another district does not see the firm.
    elsewhere = token(Role.OFFICER, districts=["330521"])
    expect_problem(await registry_client.post(path, json=verify, headers={**elsewhere, **fresh}), 404)
    expect_problem(await registry_client.post(f"/v1/enterprises/{firm}/honours/{uuid.uuid4()}/verification",
                                              json=verify, headers={**OFFICER, **fresh}), 404)
    # The decision is on the honour as examined: If-Match required, and current.
    expect_problem(await registry_client.post(path, json=verify, headers=OFFICER), 428)
    expect_problem(await registry_client.post(path, json=verify, headers={**OFFICER, "If-Match": '"7"'}), 412)
    no_reason = await registry_client.post(path, json={"decision": "rejected"}, headers={**OFFICER, **fresh})
    assert expect_problem(no_reason, 422)["errors"][0]["field"] == "note"
    unknown = await registry_client.post(path, json={"decision": "maybe"}, headers={**OFFICER, **fresh})
    assert expect_problem(unknown, 422)["errors"][0]["field"] == "decision"
    assert await count_rows(url, "audit_log", "WHERE action LIKE 'honour.%' AND action <> 'honour.add'") == 0
    read = await registry_client.get(f"/v1/enterprises/{firm}/honours/{honour['id']}", headers=OFFICER)
    assert (read.json()["verification"], read.headers["etag"]) == ("declared", '"1"')

    assert (await registry_client.post(path, json=verify, headers={**OFFICER, **fresh})).status_code == 200
    twice = await registry_client.post(path, json=verify, headers={**OFFICER, "If-Match": '"2"'})
    assert expect_problem(twice, 409)["errors"][0]["field"] == "decision"


# --- the migration -------------------------------------------------------------------------------------------------


def _migration_before_verification(url: str) -> str:
    script = ScriptDirectory.from_config(alembic_config("registry", url))
    down = script.get_revision("0012").down_revision
    assert isinstance(down, str)
    return down


async def test_the_migration_classifies_earlier_honours_by_their_audit_trail(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path, "registry")
    await asyncio.to_thread(upgrade, "registry", url, _migration_before_verification(url))
    firm = uuid.uuid4()
    by_firm, by_officer, corrected_by_firm, unaudited = (uuid.uuid4() for _ in range(4))
    at = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def audit(honour: uuid.UUID, action: str, actor: str, role: str) -> dict[str, Any]:
        return {"occurred_at": at, "actor": actor, "actor_role": role, "action": action, "entity_type": "honour",
                "entity_id": str(firm), "changes": {"honour_id": str(honour)}}

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(Enterprise.__table__.insert(), [{
            "id": firm, "uscc": make_uscc(44), "name": "湖州迁移测试有限公司", "district_code": "330502",
            "registration_division_code": "330502"}])
        # The columns the verification adds have no client-side default: the insert names only earlier ones.
        await conn.execute(Honour.__table__.insert(), [
            {"id": honour, "enterprise_id": firm, "kind": "own_brand", "name": "牌"}
            for honour in (by_firm, by_officer, corrected_by_firm, unaudited)])
        await conn.execute(bus.audit_log.insert(), [
            audit(by_firm, "honour.add", "firm-44", "enterprise"),
            audit(by_officer, "honour.add", "officer-wx", "officer"),
            audit(corrected_by_firm, "honour.add", "officer-wx", "officer"),
            audit(corrected_by_firm, "honour.update", "firm-44", "enterprise"),
        ])
    await engine.dispose()

    await asyncio.to_thread(upgrade, "registry", url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = {row.id: row for row in await conn.execute(
            sa.text("SELECT id, verification, verified_by, verified_at FROM honours"))}
    await engine.dispose()
    state = {uuid.UUID(str(honour_id)): (row.verification, row.verified_by) for honour_id, row in rows.items()}
    assert state == {by_firm: ("declared", None), by_officer: ("verified", "officer-wx"),
                     corrected_by_firm: ("declared", None), unaudited: ("declared", None)}
    assert next(row.verified_at for row in rows.values() if row.verified_by) is not None
