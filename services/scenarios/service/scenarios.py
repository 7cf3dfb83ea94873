"""Scenario use cases (产业链场景应用清单 entries): create a draft, read and list in the caller's scope, edit a draft
with If-Match, and drive the lifecycle (``domain.scenarios.transition``) under the row's lock and If-Match.

Publishing emits ``scenario.published`` and closing ``scenario.closed``, with what matching indexes; the contact
(personal data) never travels in events and is masked for the roles that do not work the case."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.lifecycle import Change
from services.scenarios.domain.lifecycle import Role as Part
from services.scenarios.domain.scenarios import (
    VISIBLE_TO_PUBLIC,
    ScenarioCommand,
    ScenarioContent,
    ScenarioStatus,
    budget_range,
    check_publishable,
    ensure_editable,
    transition,
)
from services.scenarios.domain.values import Publisher, PublisherKind, within
from services.scenarios.models import EnterpriseProfile, Scenario, ScenarioInterest
from services.scenarios.schemas import scenarios as schemas
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.db import utcnow
from shared.errors import InvalidInput, NotFound, PermissionDenied
from shared.events.scenarios import ScenarioClosed, ScenarioPublished
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.personal_data import mask_name, mask_phone
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, AnyOf, InDistrict, InStates, OwnUscc, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]


# --- who may do what ----------------------------------------------------------------------------------------------

_PUBLIC = InStates(Scenario.status, frozenset(s.value for s in VISIBLE_TO_PUBLIC))

# Readers: officers in the scenario's district, the publishing enterprise, admins and services; once on the list
# (published and after, withdrawn excepted), every authenticated role. Managers: admins, officers in the district,
# the publishing enterprise; what each may do next is the domain's transition table.
SCENARIO_SCOPE = ScopeRule(
    noun="scenario",
    readers={
        **{role: _PUBLIC for role in Role},
        Role.ADMIN: EVERYWHERE,
        Role.SERVICE: EVERYWHERE,
        Role.OFFICER: AnyOf((InDistrict(Scenario.district_code), _PUBLIC)),
        Role.ENTERPRISE: AnyOf((OwnUscc(Scenario.publisher_uscc), _PUBLIC)),
    },
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Scenario.district_code),
              Role.ENTERPRISE: OwnUscc(Scenario.publisher_uscc)},
)
SCENARIOS = Records(Scenario, SCENARIO_SCOPE)


def parts_of(actor: Actor, scenario: Scenario | dict[str, Any]) -> frozenset[Part]:
    """The parts the caller plays towards a scenario it may manage: the publishing firm is its publisher; an officer
    of the district (or an admin) is its officer, and the publisher too when a department publishes."""
    principal = actor.principal
    department = (scenario["publisher_kind"] if isinstance(scenario, dict) else scenario.publisher_kind) \
        == PublisherKind.DEPARTMENT
    if principal.role == Role.ENTERPRISE:
        return frozenset({Part.PUBLISHER})
    if principal.role in (Role.ADMIN, Role.OFFICER):
        return frozenset({Part.OFFICER, Part.PUBLISHER}) if department else frozenset({Part.OFFICER})
    return frozenset()


def sees_personal_data(actor: Actor, scenario: Scenario) -> bool:
    """The contact is shown to those who work the case (admins, officers of the district, the publishing firm)."""
    principal = actor.principal
    if principal.role == Role.ADMIN:
        return True
    if principal.role == Role.ENTERPRISE:
        return principal.uscc is not None and principal.uscc == scenario.publisher_uscc
    if principal.role == Role.OFFICER:
        return principal.can_see_district(scenario.district_code)
    return False


# --- content ------------------------------------------------------------------------------------------------------

CONTENT_FIELDS = ("title", "description", "industry_chain", "kind", "sector", "cluster", "capability_tags",
                  "deliverable", "district_code", "functional_zone", "deadline", "contact_name", "contact_phone")


def content_of(values: dict[str, Any]) -> ScenarioContent:
    """The domain's checked content of a scenario's values (a row's, or a request's merged over a row's)."""
    with within("publisher"):
        publisher = Publisher(values["publisher_kind"], uscc=values.get("publisher_uscc"),
                              department=values.get("publisher_department"))
    budget = None
    if values.get("budget_min_fen") is not None or values.get("budget_max_fen") is not None:
        budget = budget_range(values.get("budget_min_fen"), values.get("budget_max_fen"))
    return ScenarioContent(
        publisher=publisher, title=values["title"], description=values["description"], sector=values["sector"],
        district_code=values["district_code"], deadline=values["deadline"], deliverable=values["deliverable"],
        capability_tags=tuple(values.get("capability_tags") or ()), cluster=values.get("cluster"),
        functional_zone=values.get("functional_zone"), budget=budget, industry_chain=values.get("industry_chain"),
        kind=values.get("kind"),
    )


def _columns(content: ScenarioContent) -> dict[str, Any]:
    """The columns the checked content sets (normalised as the domain normalised it)."""
    return {
        "publisher_kind": content.publisher.kind.value, "publisher_uscc": content.publisher.uscc,
        "publisher_department": content.publisher.department, "title": content.title,
        "description": content.description, "industry_chain": content.industry_chain,
        "kind": content.kind.value if content.kind else None, "sector": content.sector, "cluster": content.cluster,
        "capability_tags": list(content.capability_tags), "deliverable": content.deliverable,
        "budget_min_fen": content.budget.min_fen if content.budget else None,
        "budget_max_fen": content.budget.max_fen if content.budget else None,
        "district_code": content.district_code, "functional_zone": content.functional_zone,
        "deadline": content.deadline,
    }


def _row_values(scenario: Scenario) -> dict[str, Any]:
    return {c.key: getattr(scenario, c.key) for c in Scenario.__table__.columns}


def _request_values(data: dict[str, Any]) -> dict[str, Any]:
    """A request's fields as columns: the nested publisher and budget flattened."""
    values = dict(data)
    if "publisher" in values:
        publisher = values.pop("publisher")
        values.update(publisher_kind=publisher["kind"], publisher_uscc=publisher.get("uscc"),
                      publisher_department=publisher.get("department"))
    if "budget" in values:
        budget = values.pop("budget")
        values.update(budget_min_fen=budget["min_fen"] if budget else None,
                      budget_max_fen=budget["max_fen"] if budget else None)
    return values


def read_model(actor: Actor, scenario: Scenario) -> schemas.ScenarioRead:
    read = schemas.ScenarioRead(
        id=scenario.id,
        publisher=schemas.PublisherRead(kind=scenario.publisher_kind, uscc=scenario.publisher_uscc,
                                        department=scenario.publisher_department),
        budget=None if scenario.budget_min_fen is None else schemas.BudgetRead(
            min_fen=scenario.budget_min_fen, max_fen=scenario.budget_max_fen),
        **{f: getattr(scenario, f) for f in (
            "title", "description", "industry_chain", "kind", "sector", "cluster", "capability_tags", "deliverable",
            "district_code", "functional_zone", "deadline", "contact_name", "contact_phone", "status", "supplier_uscc",
            "outcome",
            "closing_reason", "closed_by", "closed_at", "published_at", "created_by", "created_at", "updated_at",
            "version")},
    )
    if sees_personal_data(actor, scenario):
        return read
    return read.model_copy(update={"contact_name": mask_name(read.contact_name),
                                   "contact_phone": mask_phone(read.contact_phone), "personal_data_masked": True})


def _state(scenario: Scenario) -> dict[str, Any]:
    """The scenario as events carry it: no contact."""
    return {"scenario_id": scenario.id, "title": scenario.title, "description": scenario.description,
            "status": scenario.status, "publisher_kind": scenario.publisher_kind,
            "publisher_uscc": scenario.publisher_uscc, "publisher_department": scenario.publisher_department,
            "sector": scenario.sector, "cluster": scenario.cluster, "industry_chain": scenario.industry_chain,
            "capability_tags": list(scenario.capability_tags), "deliverable": scenario.deliverable,
            "district_code": scenario.district_code, "functional_zone": scenario.functional_zone,
            "budget_min_fen": scenario.budget_min_fen, "budget_max_fen": scenario.budget_max_fen,
            "deadline": scenario.deadline, "supplier_uscc": scenario.supplier_uscc, "version": scenario.version}


# --- use cases ----------------------------------------------------------------------------------------------------

async def create_scenario(work: Work, actor: Actor, data: schemas.ScenarioCreate) -> schemas.ScenarioRead:
    values = _request_values(data.model_dump())
    content = content_of(values)
    columns = _columns(content)
    # An enterprise publishes for its own USCC; an officer for a department or any firm in its districts.
    SCENARIO_SCOPE.ensure_manageable(actor, columns)
    if actor.principal.role == Role.ENTERPRISE and content.publisher.kind is not PublisherKind.ENTERPRISE:
        raise PermissionDenied("an enterprise publishes scenarios only as itself", field="publisher.kind")
    async with work(actor) as uow:
        scenario = Scenario(**columns, contact_name=values.get("contact_name"),
                            contact_phone=values.get("contact_phone"), status=ScenarioStatus.DRAFT.value,
                            created_by=actor.principal.subject)
        uow.session.add(scenario)
        await uow.flush()
        uow.audit("scenario.create", "scenario", str(scenario.id), data.model_dump(mode="json"))
        read = read_model(actor, scenario)
    return read


async def get_scenario(sessions: Sessions, actor: Actor, scenario_id: uuid.UUID) -> schemas.ScenarioRead:
    async with sessions() as session:
        return read_model(actor, await SCENARIOS.get(session, actor, scenario_id))


_ORDER = (Key(Scenario.created_at, cursor_datetime), Key(Scenario.id, cursor_uuid))


async def list_scenarios(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None, status: str | None,
                         district_code: str | None, sector: str | None) -> tuple[list[schemas.ScenarioRead], str | None]:
    """The scenarios the caller may read, newest first."""
    query = SCENARIOS.select(actor)
    if status is not None:
        query = query.where(Scenario.status == status)
    if district_code is not None:
        query = query.where(Scenario.district_code == district_code)
    if sector is not None:
        query = query.where(Scenario.sector == sector)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [read_model(actor, s) for s in page], next_cursor


async def update_scenario(work: Work, actor: Actor, scenario_id: uuid.UUID, data: schemas.ScenarioUpdate,
                          if_match: str | None) -> schemas.ScenarioRead:
    changes = data.model_dump(exclude_unset=True)
    for name in sorted(schemas.REQUIRED_FIELDS & changes.keys()):
        if changes[name] is None:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    async with work(actor) as uow:
        scenario = await SCENARIOS.get_for_change(uow.session, actor, scenario_id, if_match=if_match)
        ensure_editable(scenario.status)
        values = {**_row_values(scenario), **_request_values(changes)}
        columns = _columns(content_of(values))
        if columns["district_code"] != scenario.district_code:
            # Moving a scenario to another district needs authority over the new district too.
            SCENARIO_SCOPE.ensure_manageable(actor, columns)
        wanted = {name: value for name, value in {**columns, "contact_name": values.get("contact_name"),
                                                  "contact_phone": values.get("contact_phone")}.items()}
        changed = apply_changes(scenario, wanted)
        if changed:
            await uow.flush()
            uow.audit("scenario.update", "scenario", str(scenario.id), changed)
        read = read_model(actor, scenario)
    return read


async def _supplier(session: AsyncSession, scenario: Scenario, command: ScenarioCommand, uscc: str) -> str:
    """The firm named to run the trial: only when the pilot starts, and only a firm that answered the scenario."""
    if command is not ScenarioCommand.START_PILOT:
        raise InvalidInput(f"the supplier is named when the pilot starts, not on {command}", field="supplier_uscc")
    interested = await session.scalar(select(ScenarioInterest.id).where(
        ScenarioInterest.scenario_id == scenario.id, ScenarioInterest.enterprise_uscc == uscc))
    if interested is None:
        raise InvalidInput(f"{uscc} has not expressed interest in this scenario; the supplier of its trial is one "
                           "of the firms that did", field="supplier_uscc")
    return uscc


async def transition_scenario(work: Work, actor: Actor, scenario_id: uuid.UUID, data: schemas.ScenarioTransition,
                              if_match: str | None) -> schemas.ScenarioRead:
    async with work(actor) as uow:
        scenario = await SCENARIOS.get_for_change(uow.session, actor, scenario_id, if_match=if_match)
        change = transition(scenario.status, data.command, parts_of(actor, scenario), reason=data.reason,
                            outcome=data.outcome)
        if change.command in (ScenarioCommand.APPROVE, ScenarioCommand.PUBLISH):
            check_publishable(content_of(_row_values(scenario)), programme_today())
        supplier = None
        if data.supplier_uscc is not None:
            supplier = await _supplier(uow.session, scenario, change.command, data.supplier_uscc)
        await apply_transition(uow, actor, scenario, change, supplier_uscc=supplier)
        read = read_model(actor, scenario)
    return read


async def apply_transition(uow: UnitOfWork, actor: Actor, scenario: Scenario, change: Change, *,
                           supplier_uscc: str | None = None) -> None:
    """Write an accepted change (domain ``transition``) to the locked row, with its event and audit entry: who
    closed a scenario, when, why and with what outcome are recorded on it."""
    values: dict[str, Any] = {"status": change.to_state.value}
    if supplier_uscc is not None:
        values["supplier_uscc"] = supplier_uscc
    now = utcnow()
    if change.command is ScenarioCommand.PUBLISH:
        values["published_at"] = now
    if change.to_state in (ScenarioStatus.CLOSED, ScenarioStatus.WITHDRAWN):
        values.update(closing_reason=change.reason, closed_by=actor.principal.subject, closed_at=now,
                      outcome=change.outcome.value if change.outcome else None)
    apply_changes(scenario, values)
    await uow.flush()
    if change.command is ScenarioCommand.PUBLISH:
        uow.emit(ScenarioPublished(**_state(scenario)), subject=str(scenario.id))
    elif change.to_state is ScenarioStatus.CLOSED:
        uow.emit(ScenarioClosed(**_state(scenario), outcome=scenario.outcome or "", reason=change.reason),
                 subject=str(scenario.id))
    uow.audit(f"scenario.{change.command.value}", "scenario", str(scenario.id),
              {"status": {"from": change.from_state.value, "to": change.to_state.value},
               "acting_as": change.role.value, "reason": change.reason,
               "outcome": change.outcome.value if change.outcome else None})


# --- the public view (no token) -------------------------------------------------------------------------------------

_PUBLIC_ORDER = (Key(Scenario.published_at, cursor_datetime), Key(Scenario.id, cursor_uuid))


async def publisher_names(session: AsyncSession, usccs: set[str]) -> dict[str, str]:
    """The names of publishing firms, from the enterprise read model (a firm not yet known here has none)."""
    if not usccs:
        return {}
    rows = await session.execute(select(EnterpriseProfile.uscc, EnterpriseProfile.name)
                                 .where(EnterpriseProfile.uscc.in_(sorted(usccs))))
    return dict(rows.tuples().all())


def public_model(scenario: Scenario, names: dict[str, str]) -> schemas.PublicScenarioRead:
    """What anyone sees: the contact masked, nobody's user id, no closing reason (free text an officer wrote)."""
    return schemas.PublicScenarioRead(
        id=scenario.id,
        publisher=schemas.PublicPublisherRead(
            kind=scenario.publisher_kind, uscc=scenario.publisher_uscc, department=scenario.publisher_department,
            name=names.get(scenario.publisher_uscc) if scenario.publisher_uscc else scenario.publisher_department),
        budget=None if scenario.budget_min_fen is None else schemas.BudgetRead(
            min_fen=scenario.budget_min_fen, max_fen=scenario.budget_max_fen),
        contact_name=mask_name(scenario.contact_name), contact_phone=mask_phone(scenario.contact_phone),
        **{f: getattr(scenario, f) for f in (
            "title", "description", "industry_chain", "kind", "sector", "cluster", "capability_tags", "deliverable",
            "district_code", "functional_zone", "deadline", "status", "supplier_uscc", "outcome", "published_at",
            "closed_at")},
    )


async def list_public_scenarios(sessions: Sessions, *, limit: int, cursor: str | None, status: str | None,
                                district_code: str | None, sector: str | None,
                                cluster: str | None) -> tuple[list[schemas.PublicScenarioRead], str | None]:
    """What is on the list (VISIBLE_TO_PUBLIC), most recently published first."""
    query = select(Scenario).where(_PUBLIC.condition(None))  # type: ignore[arg-type]
    for column, value in ((Scenario.status, status), (Scenario.district_code, district_code),
                          (Scenario.sector, sector), (Scenario.cluster, cluster)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_PUBLIC_ORDER, limit=limit, cursor=cursor,
                                           descending=True)
        names = await publisher_names(session, {s.publisher_uscc for s in page if s.publisher_uscc})
    return [public_model(s, names) for s in page], next_cursor


async def get_public_scenario(sessions: Sessions, scenario_id: uuid.UUID) -> schemas.PublicScenarioRead:
    async with sessions() as session:
        scenario = await session.get(Scenario, scenario_id)
        # Not on the list (a draft, a withdrawn one) reads as absent: its existence is not revealed.
        if scenario is None or scenario.status not in _PUBLIC.states:
            raise NotFound(f"no scenario {scenario_id}")
        names = await publisher_names(session, {scenario.publisher_uscc} if scenario.publisher_uscc else set())
    return public_model(scenario, names)
