"""The authorization matrix, generated from the route declarations (DESIGN §6): every /v1 route of every service ×
every role × its own and another's scope, on PostgreSQL, against one app instance per service.

For each route the roles it admits are read off its ``require_actor`` dependency (``admitted_roles``), or the route
is a public read (``public_access``). Then:

* a caller without a token is refused with 401 everywhere but on public reads, which answer it like everybody: a
  public read of a record that exists answers 2xx to every caller, with a token or without;
* a role the route does not admit is refused with 403, whatever the scope;
* an admitted role acting in its own scope gets through: never 401/403 (nor 5xx); a read of a record that exists
  answers 2xx;
* an admitted role acting on a record outside its scope is refused: 404 (the record's existence is not revealed)
  or 403 (it may read it but not change it). A route is scoped when its path names a firm's record (or a tenancy),
  or when it changes a platform or names a firm or a district in its body; lists, statistics, platform reads and
  imports are filtered, not refused.

The scopes: an officer's district (and the city-wide officer's ``["*"]``), an enterprise's USCC, a park
operator's or institute's platforms. Every request goes to a small world built once per service: firm A (330502)
in platform P (330502), firm B (330503), platform Q (330503), and A's records of each kind. Reads run first, all at
once, then writes, all at once; a write's body is a valid one, so that a refusal is never a 422 in disguise.
A world may name its own firm records (funding's applications, bookings, vouchers), routes scoped through a parent
the caller must manage (a round's district pool), and "own" callers that are nonetheless outside one route's scope
(a park operator on an institute's resource), each with the reason beside it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import insert

from shared.auth import CITY_WIDE, Role
from shared.catalogue import NAMES
from shared.db import create_engine
from tests.support import make_uscc, pg_url, running_app, settings_for, token, truncate

THIS_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
OWN_DISTRICT, OTHER_DISTRICT = "330502", "330503"
CONCURRENCY = 12

# Path parameters that name one firm's record (or a tenancy): a route naming one is scoped.
FIRM_RECORDS = frozenset({"enterprise_id", "holding_id", "honour_id", "evaluation_id", "certification_id",
                          "tenancy_id", "visit_id", "follow_up_id"})
# Body fields by which a write names the firm, platform or district it acts on.
SCOPING_FIELDS = frozenset({"enterprise_id", "platform_id", "district_code", "uscc"})

# Admitted for officers, yet city business: only a city-wide officer (or an admin or service) may
# (services/registry/service/pools.py, _ensure_city_wide). A district officer is refused in any scope.
CITY_WIDE_ONLY = frozenset({("PUT", "/v1/pools/quotas/{year}"), ("POST", "/v1/pools/screenings"),
                            # The city's lists (services/scenarios/service/editions.py, _ensure_city_wide).
                            ("POST", "/v1/lists/{kind}/editions")})


@dataclass(frozen=True)
class Caller:
    role: Role | None  # None: no token at all
    scope: str  # "any" (admin, service, reviewer), "own", "other", "city" (a city-wide officer), or "anonymous"
    headers: dict[str, str]

    @property
    def name(self) -> str:
        return f"{self.role.value if self.role else 'no token'}/{self.scope}"


@dataclass
class World:
    """The ids a service's routes are called with, and the valid bodies of its writes."""

    params: dict[str, str] = field(default_factory=dict)
    bodies: dict[tuple[str, str], Any] = field(default_factory=dict)
    queries: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # required query parameters
    callers: list[Caller] = field(default_factory=list)
    # Path parameters that name a firm's record in this service (besides FIRM_RECORDS): reads and writes scoped.
    firm_records: frozenset[str] = frozenset()
    # Routes scoped (or not) otherwise than is_scoped says: a write through a parent record the caller must manage
    # (a programme's pool, a round's programme), or one open to every firm (booking a listed resource).
    scoped: dict[tuple[str, str], bool] = field(default_factory=dict)
    # Callers outside a route's scope although theirs is "own" (a park operator on an institute's resource; an
    # officer, who never acts as an institute's provider): refused like the other scope.
    strangers: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def path(self, template: str) -> tuple[str, bool]:
        """The path to call, and whether every parameter named a record that exists."""
        known = True

        def sample(match: re.Match[str]) -> str:
            nonlocal known
            name = match.group(1)
            if name == "year":
                return str(2024 if "/figures/" in template else THIS_YEAR)
            if name not in self.params:
                known = False
            return self.params.get(name, ZERO_UUID)

        return re.sub(r"\{(\w+)\}", sample, template), known


def callers(uscc_own: str, uscc_other: str, platform_own: str, platform_other: str) -> list[Caller]:
    return [
        Caller(Role.ADMIN, "any", token(Role.ADMIN)),
        Caller(Role.SERVICE, "any", token(Role.SERVICE)),
        Caller(Role.REVIEWER, "any", token(Role.REVIEWER)),
        Caller(Role.OFFICER, "own", token(Role.OFFICER, districts=[OWN_DISTRICT])),
        Caller(Role.OFFICER, "other", token(Role.OFFICER, districts=[OTHER_DISTRICT])),
        Caller(Role.OFFICER, "city", token(Role.OFFICER, districts=[CITY_WIDE])),
        Caller(Role.ENTERPRISE, "own", token(Role.ENTERPRISE, uscc=uscc_own)),
        Caller(Role.ENTERPRISE, "other", token(Role.ENTERPRISE, uscc=uscc_other)),
        Caller(Role.PARK_OPERATOR, "own", token(Role.PARK_OPERATOR, platform_ids=[platform_own])),
        Caller(Role.PARK_OPERATOR, "other", token(Role.PARK_OPERATOR, platform_ids=[platform_other])),
        Caller(Role.INSTITUTE, "own", token(Role.INSTITUTE, platform_ids=[platform_own], institute_id="inst-own")),
        Caller(Role.INSTITUTE, "other", token(Role.INSTITUTE, platform_ids=[platform_other], institute_id="inst-other")),
        Caller(None, "anonymous", {}),
    ]


# --- the routes, from their declarations -----------------------------------------------------------------------------


def v1_routes(app: Any) -> list[APIRoute]:
    """Every /v1 route, however its routers were included (iter_route_contexts sees through included routers)."""
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    return [r for r in routes if isinstance(r, APIRoute) and r.path.startswith("/v1")]


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def is_public(route: APIRoute) -> bool:
    """A public read (shared.auth.public_access), which answers without a token."""
    return any(getattr(call, "public", False) for call in _calls(route.dependant))


def admitted_roles(route: APIRoute) -> frozenset[Role]:
    declared = [call.admitted_roles for call in _calls(route.dependant) if hasattr(call, "admitted_roles")]
    if is_public(route):
        assert declared == [], f"{route.path}: public and for roles at once"
        return frozenset(Role)
    assert len(declared) == 1, f"{route.path}: {len(declared)} role declarations"
    return frozenset(declared[0])


def is_scoped(method: str, template: str, body: Any, firm_records: frozenset[str] = frozenset()) -> bool:
    if set(re.findall(r"\{(\w+)\}", template)) & (FIRM_RECORDS | firm_records) or "/tenancies" in template:
        return True
    if method == "GET":
        return False  # lists and platform reads are filtered or public
    return "{platform_id}" in template or (isinstance(body, dict) and bool(SCOPING_FIELDS & body.keys()))


@dataclass(frozen=True, eq=False)  # each case is its own key (its body and headers are dicts)
class Case:
    method: str
    template: str
    path: str
    caller: Caller
    admitted: bool
    scoped: bool
    known: bool  # every path parameter named an existing record
    body: Any
    query: dict[str, str] | None
    public: bool = False
    stranger: bool = False  # outside the route's scope although the caller's scope is "own"

    def expected(self) -> str:
        if self.public:
            return "2xx" if self.method == "GET" and self.known else "not 401/403"
        if self.caller.role is None:
            return "401 (no token)"
        if not self.admitted:
            return "403 (role not admitted)"
        if self.caller.role == Role.OFFICER and self.caller.scope != "city" and (self.method, self.template) in CITY_WIDE_ONLY:
            return "403 (city-wide officers only)"
        if self.scoped and (self.caller.scope == "other" or self.stranger):
            return "404/403 (out of scope)"
        if self.method == "GET" and self.known:
            return "2xx"
        return "not 401/403"

    def holds(self, status: int) -> bool:
        expected = self.expected()
        if expected.startswith("401"):
            return status == 401
        if expected.startswith("403"):
            return status == 403
        if expected.startswith("404/403"):
            return status in (403, 404)
        if expected == "2xx":
            return 200 <= status < 300
        return status not in (401, 403) and status < 500


def cases(app: Any, world: World) -> list[Case]:
    found = []
    for route in v1_routes(app):
        admitted, public = admitted_roles(route), is_public(route)
        for method in sorted(route.methods):
            body = world.bodies.get((method, route.path), {} if method in ("POST", "PUT", "PATCH") else None)
            path, known = world.path(route.path)
            scoped = world.scoped.get((method, route.path), is_scoped(method, route.path, body, world.firm_records))
            strangers = world.strangers.get((method, route.path), frozenset())
            for caller in world.callers:
                found.append(Case(method, route.path, path, caller, public or caller.role in admitted,
                                  not public and scoped, known, body, world.queries.get((method, route.path)), public,
                                  caller.name in strangers))
    return found


async def run(client: httpx.AsyncClient, chosen: list[Case]) -> dict[Case, int]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def call(case: Case) -> tuple[Case, int]:
        headers = {**case.caller.headers, "Idempotency-Key": str(uuid.uuid4())}
        async with gate:
            response = await client.request(case.method, case.path, json=case.body, params=case.query,
                                            headers=headers)
        return case, response.status_code

    return dict(await asyncio.gather(*(call(case) for case in chosen)))


# --- the worlds --------------------------------------------------------------------------------------------------


async def _created(client: httpx.AsyncClient, method: str, path: str, body: Any) -> dict[str, Any]:
    response = await client.request(method, path, json=body, headers=token(Role.ADMIN))
    assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
    return response.json()  # type: ignore[no-any-return]


def _platform(name: str, district: str) -> dict[str, Any]:
    return {"platform_type": "incubator", "name": name, "operator_name": f"{name}运营有限公司",
            "operator_uscc": make_uscc(hash(name) % 10**6 + 9000), "address": "湖州市", "longitude": 120.1,
            "latitude": 30.9, "district_code": district, "capacity": 10}


async def registry_world(client: httpx.AsyncClient) -> World:
    uscc_a, uscc_b = make_uscc(801, OWN_DISTRICT), make_uscc(802, OTHER_DISTRICT)
    firm = {"name": "湖州矩阵甲有限公司", "established_on": "2015-03-01", "industry_code": "C3981"}
    a = await _created(client, "POST", "/v1/enterprises", {**firm, "uscc": uscc_a, "district_code": OWN_DISTRICT})
    await _created(client, "POST", "/v1/enterprises",
                   {**firm, "name": "湖州矩阵乙有限公司", "uscc": uscc_b, "district_code": OTHER_DISTRICT})
    p = await _created(client, "POST", "/v1/platforms", _platform("矩阵甲园", OWN_DISTRICT))
    q = await _created(client, "POST", "/v1/platforms", _platform("矩阵乙园", OTHER_DISTRICT))
    base = f"/v1/enterprises/{a['id']}"
    entering = {"enterprise_id": a["id"], "entered_on": "2025-01-01"}
    tenancy = await _created(client, "POST", f"/v1/platforms/{p['id']}/tenancies", entering)
    figures = {"employees": 50, "tech_staff": 15, "operating_revenue_fen": 2 * 10**9, "rd_expense_fen": 12 * 10**7,
               "total_cost_expense_fen": 10**9, "total_assets_fen": 15 * 10**8}
    await _created(client, "PUT", f"{base}/figures/2024", figures)
    patent = {"kind": "invention_patent", "reference": "ZL202110182616.5", "acquisition": "self_developed",
              "related_to_main_product": True, "granted_on": "2020-05-01"}
    holding = await _created(client, "POST", f"{base}/ip-holdings", patent)
    brand = {"kind": "own_brand", "name": "矩阵牌"}
    honour = await _created(client, "POST", f"{base}/honours", brand)
    declarations = {"resident_in_mainland": True, "products_in_prohibited_category": False,
                    "on_abnormal_operation_list": False, "on_serious_dishonesty_list": False, "incidents": []}
    await _created(client, "PUT", f"{base}/declarations", declarations)
    ask = {"tier": "tech_sme", "evaluation_date": "2025-06-01"}
    evaluation = await _created(client, "POST", f"{base}/evaluations", ask)
    held = {"tier": "hnte", "certificate_no": "GR202433000801", "valid_from": "2024-12-01",
            "override_reason": "科技部门认定"}
    certification = await _created(client, "POST", f"{base}/certifications", held)
    visit_body = {"enterprise_id": a["id"], "visited_on": (TODAY - timedelta(days=3)).isoformat(),
                  "topics": ["研发投入"], "follow_ups": [{"description": "对接检测平台", "owner": "吴兴区经信局",
                                                          "due_on": (TODAY + timedelta(days=30)).isoformat()}]}
    visit = await _created(client, "POST", "/v1/visits", visit_body)
    listing = {"year": THIS_YEAR, "platform_id": p["id"]}
    await _created(client, "POST", "/v1/platforms/flagships", listing)
    await _created(client, "PUT", f"/v1/pools/quotas/{THIS_YEAR}", {"quotas": {OWN_DISTRICT: 5}})
    await _created(client, "POST", "/v1/pools/screenings", {"year": THIS_YEAR})

    world = World(callers=callers(uscc_a, uscc_b, p["id"], q["id"]))
    world.params = {"enterprise_id": a["id"], "platform_id": p["id"], "tenancy_id": tenancy["id"],
                    "holding_id": holding["id"], "honour_id": honour["id"], "evaluation_id": evaluation["id"],
                    "certification_id": certification["id"], "visit_id": visit["id"],
                    "follow_up_id": visit["follow_ups"][0]["id"]}
    e = "/v1/enterprises/{enterprise_id}"
    world.bodies = {
        ("POST", "/v1/enterprises"): {**firm, "uscc": uscc_a, "district_code": OWN_DISTRICT},
        ("PUT", e + "/figures/{year}"): figures,
        ("POST", e + "/ip-holdings"): patent,
        ("PUT", e + "/ip-holdings/{holding_id}"): patent,
        ("POST", e + "/honours"): brand,
        ("PUT", e + "/honours/{honour_id}"): brand,
        ("POST", e + "/honours/{honour_id}/verification"): {"decision": "verified"},
        ("PUT", e + "/declarations"): declarations,
        ("POST", e + "/evaluations"): ask,
        ("POST", e + "/certifications"): held,
        ("POST", e + "/certifications/{certification_id}/revocation"): {"reason": "矩阵测试"},
        ("POST", e + "/pool-changes"): {"to_pool": "seedling_pool", "basis": "decision", "reason": "矩阵测试入库"},
        ("POST", "/v1/visits"): visit_body,
        ("POST", "/v1/follow-ups/{follow_up_id}/close"): {"resolution": "已对接"},
        ("POST", "/v1/platforms"): _platform("矩阵丙园", OWN_DISTRICT),
        ("POST", "/v1/platforms/{platform_id}/tenancies"): entering,
        ("POST", "/v1/platforms/{platform_id}/tenancies/{tenancy_id}/exit"):
            {"left_on": TODAY.isoformat(), "kind": "graduated", "reason": "毕业"},
        ("POST", "/v1/platforms/flagships"): listing,
        ("PUT", "/v1/pools/quotas/{year}"): {"quotas": {OWN_DISTRICT: 5}},
        ("POST", "/v1/pools/screenings"): {"year": THIS_YEAR},
    }
    world.queries = {("GET", "/v1/statistics/counts"): {"by": "tier"}}
    return world


async def matching_world(client: httpx.AsyncClient) -> World:
    """Matching reads its copy of the registry's firms: A (330502) as the enterprise consumer would keep it."""
    from services.matching.models import EnterpriseProfile

    firm_id = uuid.uuid4()
    engine = create_engine(pg_url("matching"))
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(EnterpriseProfile.__table__).values(
                enterprise_id=firm_id, uscc=make_uscc(801, OWN_DISTRICT), name="湖州矩阵甲有限公司",
                district_code=OWN_DISTRICT, product_tags=[], capability_tags=[], held_tiers=[], registry_version=1,
                source_event_time=datetime.now(ZoneInfo("UTC"))))
    finally:
        await engine.dispose()
    world = World(params={"enterprise_id": str(firm_id)},
                  callers=callers(make_uscc(801, OWN_DISTRICT), make_uscc(802, OTHER_DISTRICT), ZERO_UUID, ZERO_UUID))
    world.queries = {("GET", "/v1/search/enterprises"): {"q": "碳化硅衬底"}, ("GET", "/v1/search/demands"): {"q": "碳化硅衬底"}}
    return world


async def scenarios_world(client: httpx.AsyncClient) -> World:
    """The scenarios service's routes with its lists named, so that publishing an edition is reached (and refused to
    a district officer by the city-wide rule, not by a 422 on the list's name), and one record: firm A's invitation
    to a scenario of A's district."""
    world = await generic_world(client)
    # The reviewer has declared their interests, so that reading one's declaration reads one.
    declared = await client.put("/v1/reviewers/me/declaration", json={}, headers=token(Role.REVIEWER))
    assert declared.status_code == 200, declared.text
    # Firm A is invited (from matching's recommendation) to a scenario of its district: only A answers, A and the
    # district's officers read it.
    from tests.scenarios.invitations_support import deliver, recommendation
    from tests.scenarios.support import create, moved

    admin = token(Role.ADMIN)
    scenario = await create(client, admin, publisher={"kind": "department", "department": "湖州市经济和信息化局"},
                            district_code=OWN_DISTRICT)
    for command in ("submit", "approve", "publish"):
        scenario = await moved(client, scenario, command, admin)
    await deliver(pg_url("scenarios"), recommendation("scenario", scenario, [(make_uscc(801, OWN_DISTRICT), 0.8)]))
    (invitation,) = (await client.get("/v1/invitations", headers=admin)).json()["items"]
    world.params = {"kind": "scenarios", "invitation_id": invitation["id"]}
    world.firm_records = frozenset({"invitation_id"})
    world.bodies = {("POST", "/v1/lists/{kind}/editions"): {"year": THIS_YEAR},
                    ("POST", "/v1/invitations/{invitation_id}/transitions"): {
                        "command": "decline", "reason_code": "no_capacity"}}
    return world


async def funding_world(client: httpx.AsyncClient) -> World:
    """Funding's records, each in the scope of the "own" callers: firms A (330502) and B (330503) as the registry's
    events leave them; a fund pool of district 330502 with a grant programme and round, and a voucher programme
    whose round has its terms; A's application under review with the reviewer assigned; a resource of institute
    inst-own (330502) booked by A; a voucher of A; a double-support flag on A's application."""
    from services.funding.models import DoubleSupportFlag, EnterpriseProfile

    uscc_a, uscc_b = make_uscc(801, OWN_DISTRICT), make_uscc(802, OTHER_DISTRICT)
    firm_a, firm_b = uuid.uuid4(), uuid.uuid4()
    url = pg_url("funding")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(EnterpriseProfile.__table__), [
                {"enterprise_id": firm, "uscc": uscc, "name": name, "district_code": district, "sector": "advanced_manufacturing",
                 "size_class": "small", "product_tags": [], "capability_tags": [], "held_tiers": [],
                 "registry_version": 1, "source_event_time": datetime.now(ZoneInfo("UTC"))}
                for firm, uscc, name, district in ((firm_a, uscc_a, "湖州矩阵甲有限公司", OWN_DISTRICT),
                                                   (firm_b, uscc_b, "湖州矩阵乙有限公司", OTHER_DISTRICT))])
    finally:
        await engine.dispose()

    async def made(method: str, path: str, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await client.request(method, path, json=body, headers={
            **(headers or token(Role.ADMIN)), "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        return response.json()  # type: ignore[no-any-return]

    def dated(days: int) -> str:
        return (TODAY + timedelta(days=days)).isoformat()

    pool_body = {"name": "吴兴区矩阵配套基金", "issuer": "吴兴区", "issuer_level": "county", "district_code": OWN_DISTRICT,
                 "budget_fen": 10**10, "opens_on": dated(-30), "closes_on": dated(365)}
    pool = await made("POST", "/v1/fund-pools", pool_body)
    programme_body = {"pool_id": pool["id"], "name": "矩阵研发补助", "instrument": "grant", "budget_fen": 10**9,
                      "per_enterprise_cap_fen": 10**8, "opens_on": dated(-10), "closes_on": dated(300)}
    grant = await made("POST", "/v1/programmes", programme_body)
    round_body = {"name": "矩阵第一批", "budget_fen": 10**8, "opens_on": dated(-5), "closes_on": dated(60)}
    grant_round = await made("POST", f"/v1/programmes/{grant['id']}/rounds", round_body)
    vouchers = await made("POST", "/v1/programmes", {**programme_body, "name": "矩阵创新券",
                                                     "instrument": "innovation_voucher"})
    voucher_round = await made("POST", f"/v1/programmes/{vouchers['id']}/rounds", round_body)
    terms = {"face_value_fen": 2_000_000, "per_enterprise_annual_cap_fen": 10_000_000, "validity_days": 365,
             "allowed_kinds": ["instrument"], "coverage": [{"share": "0.50", "source": "矩阵"}]}
    await made("PUT", f"/v1/rounds/{voucher_round['id']}/voucher-terms", terms)

    application_body = {"round_id": grant_round["id"], "project_title": "矩阵视觉检测系统研发", "requested_fen": 10**6,
                        "enterprise_id": str(firm_a)}
    application = await made("POST", "/v1/applications", application_body)
    for action, who in (("submit", token(Role.ENTERPRISE, uscc=uscc_a)), ("start_review", token(Role.ADMIN))):
        application = await made("POST", f"/v1/applications/{application['id']}/transitions", {"action": action},
                                 {**who, "If-Match": f'"{application["version"]}"'})
    await made("PUT", "/v1/reviewers/me/declaration", {}, token(Role.REVIEWER))
    await made("POST", f"/v1/applications/{application['id']}/reviewers", {"reviewer_id": "local-reviewer"})

    monday = TODAY + timedelta(days=14 - TODAY.weekday())
    resource_body = {
        "kind": "instrument", "name": "矩阵电子显微镜", "description": "形貌分析",
        "provider": {"name": "矩阵研究院", "provider_class": "provincial_carrier", "institute_id": "inst-own"},
        "district_code": OWN_DISTRICT, "location": "湖州市吴兴区", "unit": "hour", "unit_price_fen": 60_000,
        "availability": {"weekly": {"hours": [{"weekday": d, "opens": "08:00", "closes": "18:00"} for d in range(5)],
                                    "first_day": monday.isoformat(), "last_day": (monday + timedelta(days=27)).isoformat()}},
    }
    resource = await made("POST", "/v1/resources", resource_body)
    zone = ZoneInfo("Asia/Shanghai")

    def slot(day: int, hour: int) -> dict[str, str]:
        start = datetime.combine(monday + timedelta(days=day), datetime.min.time(), zone) + timedelta(hours=hour)
        return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}

    booking = await made("POST", f"/v1/resources/{resource['id']}/bookings", slot(0, 9),
                         token(Role.ENTERPRISE, uscc=uscc_a))
    voucher = await made("POST", "/v1/vouchers", {"round_id": voucher_round["id"], "enterprise_uscc": uscc_a})
    flag_id = uuid.uuid4()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(DoubleSupportFlag.__table__).values(
                id=flag_id, application_id=uuid.UUID(application["id"]),
                other_application_id=uuid.UUID(application["id"]), enterprise_id=firm_a, district_code=OWN_DISTRICT,
                similarity="1.0000", identical=True, reason="矩阵测试", status="open",
                created_at=datetime.now(ZoneInfo("UTC"))))
    finally:
        await engine.dispose()

    world = World(callers=callers(uscc_a, uscc_b, ZERO_UUID, ZERO_UUID))
    world.params = {"pool_id": pool["id"], "programme_id": grant["id"], "round_id": voucher_round["id"],
                    "application_id": application["id"], "resource_id": resource["id"], "booking_id": booking["id"],
                    "voucher_id": voucher["id"], "flag_id": str(flag_id)}
    world.firm_records = frozenset({"application_id", "booking_id", "voucher_id", "flag_id"})
    managed = ("pool_id", "programme_id", "round_id", "resource_id")
    app = client._transport.app  # type: ignore[attr-defined]
    for route in v1_routes(app):
        for method in route.methods - {"GET"}:
            if any(f"{{{name}}}" in route.path for name in managed):
                world.scoped[(method, route.path)] = True
    world.scoped |= {("POST", "/v1/programmes"): True, ("POST", "/v1/vouchers"): True,
                     # Any firm books a listed resource for itself.
                     ("POST", "/v1/resources/{resource_id}/bookings"): False,
                     # The money of a district's pool is read by those who manage it.
                     ("GET", "/v1/programmes/{programme_id}/balance"): True,
                     ("GET", "/v1/rounds/{round_id}/balance"): True, ("GET", "/v1/rounds/{round_id}/ledger"): True}
    provider_only = frozenset({"park_operator/own"})  # the resource is inst-own's, on no platform
    world.strangers = {
        ("POST", "/v1/resources"): provider_only,
        ("PATCH", "/v1/resources/{resource_id}"): provider_only,
        ("POST", "/v1/resources/{resource_id}/withdrawal"): provider_only,
        ("GET", "/v1/bookings/{booking_id}"): provider_only,
        ("POST", "/v1/bookings/{booking_id}/transitions"): provider_only,
        # The provider redeems: an officer (or an admin, acting as one) never does for an institute's resource.
        ("POST", "/v1/bookings/{booking_id}/redemptions"): provider_only | {"officer/own", "officer/city", "admin/any"},
    }
    e = "/v1/applications/{application_id}"
    world.bodies = {
        ("POST", "/v1/fund-pools"): pool_body,
        ("PATCH", "/v1/fund-pools/{pool_id}"): {"name": "吴兴区矩阵配套基金（改）"},
        ("PATCH", "/v1/programmes/{programme_id}"): {"name": "矩阵研发补助（改）"},
        ("PATCH", e): {"summary": "矩阵测试"},
        ("POST", "/v1/programmes"): programme_body,
        ("POST", "/v1/programmes/{programme_id}/rounds"): round_body,
        ("PATCH", "/v1/rounds/{round_id}"): {"name": "矩阵第一批（改）"},
        ("POST", "/v1/rounds/{round_id}/allocations"): {"amount_fen": 100},
        ("POST", "/v1/dated-amounts"): {"issuer": "吴兴区", "item": "matrix_item", "amount_fen": 100,
                                        "effective_from": dated(-1)},
        ("PUT", "/v1/reviewers/me/declaration"): {},
        ("POST", "/v1/applications"): application_body,
        ("POST", e + "/transitions"): {"action": "withdraw"},
        ("POST", e + "/reviewers"): {"reviewer_id": "local-reviewer"},
        ("POST", e + "/reviews"): {"conflict_of_interest": False, "score": 80},
        ("POST", "/v1/double-support-flags/{flag_id}/resolution"): {"decision": "cleared", "resolution": "两个项目"},
        ("POST", "/v1/rounds/{round_id}/automatic-awards"): {
            "code": "matrix-run", "title": "矩阵免申即享", "eligibility": [{"kind": "district", "values": [OWN_DISTRICT]}],
            "issuer": "吴兴区", "amount_item": "matrix_item"},
        ("POST", "/v1/resources"): resource_body,
        ("PATCH", "/v1/resources/{resource_id}"): {"location": "湖州市吴兴区二环东路"},
        ("POST", "/v1/resources/{resource_id}/withdrawal"): {"reason": "矩阵测试"},
        ("POST", "/v1/resources/{resource_id}/bookings"): slot(1, 10),
        ("POST", "/v1/bookings/{booking_id}/transitions"): {"action": "cancel", "reason": "矩阵测试"},
        ("PUT", "/v1/rounds/{round_id}/voucher-terms"): terms,
        ("POST", "/v1/vouchers"): {"round_id": voucher_round["id"], "enterprise_uscc": uscc_a},
        ("POST", "/v1/vouchers/{voucher_id}/revocation"): {"note": "矩阵测试"},
        ("POST", "/v1/vouchers/expiry"): {},
        ("POST", "/v1/bookings/{booking_id}/redemptions"): {"voucher_id": voucher["id"], "evidence": "矩阵报告"},
    }
    world.queries = {("GET", "/v1/resources/{resource_id}/busy"): {"from": slot(0, 0)["starts_at"],
                                                                  "to": slot(4, 23)["starts_at"]}}
    return world


WORLDS = {"registry": registry_world, "matching": matching_world, "scenarios": scenarios_world,
          "funding": funding_world}


async def generic_world(client: httpx.AsyncClient) -> World:
    """A service without a world of its own yet: its routes are held to their role declarations (and a scoped route
    called in its own scope on records that do not exist answers neither 401 nor 403)."""
    return World(callers=callers(make_uscc(801, OWN_DISTRICT), make_uscc(802, OTHER_DISTRICT), ZERO_UUID, ZERO_UUID))


@pytest.mark.parametrize("service", NAMES)
async def test_every_route_admits_its_roles_in_their_scope_only(service: str, postgres: None) -> None:
    await truncate(service)
    async with running_app(service, settings_for(service)) as client:
        world = await WORLDS.get(service, generic_world)(client)
        app = client._transport.app  # type: ignore[attr-defined]
        every = cases(app, world)
        # Reads first, on the world as built; then every write at once (a write may change what another finds,
        # never whether it is allowed).
        answers = await run(client, [c for c in every if c.method == "GET"])
        answers |= await run(client, [c for c in every if c.method != "GET"])
    wrong = sorted(f"{c.method} {c.template} as {c.caller.name}: {answers[c]}, expected "
                   f"{c.expected()}" for c in every if not c.holds(answers[c]))
    assert not wrong, f"{service}: {len(wrong)} of {len(every)} answers break the matrix:\n" + "\n".join(wrong)
    if service in ("registry", "matching"):
        assert every, f"{service} has /v1 routes"
