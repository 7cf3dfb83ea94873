"""Challenge use cases (揭榜挂帅 榜单): create a draft, read and list in the caller's scope, edit a draft with
If-Match, and drive the stages (``domain.challenges.transition``) under the row's lock and If-Match.

Publishing emits ``challenge.published`` with what matching indexes; passing or failing acceptance emits
``challenge.accepted`` / ``challenge.failed`` with what funding pays. The steps that touch the applications
(expert review, the reasons of those not chosen, acceptance) are ``service.applications``'."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.challenges import (
    ChallengeCommand,
    ChallengeStage,
    ChallengeTerms,
    IpTerms,
    bounty,
    check_publishable,
    ensure_editable,
    indicator,
    transition,
)
from services.scenarios.domain.eligibility import Eligibility
from services.scenarios.domain.lifecycle import Role as Part
from services.scenarios.domain.reviews import Criterion, ReviewTemplate
from services.scenarios.domain.values import Publisher, PublisherKind, normalise_tags, within
from services.scenarios.models import Challenge
from services.scenarios.schemas import challenges as schemas
from services.scenarios.schemas.scenarios import PublicPublisherRead, PublisherRead
from services.scenarios.service.scenarios import publisher_names
from services.scenarios.settings import rules_of
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.db import utcnow
from shared.errors import InvalidInput, NotFound, PermissionDenied
from shared.events.scenarios import ChallengeBounty, ChallengeEligibility, ChallengeIssuer, ChallengePublished
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, AnyOf, InDistrict, IsSet, OwnUscc, ScopeRule
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]


# --- who may do what ----------------------------------------------------------------------------------------------

# Once on the list (published, whatever happened next), every authenticated role reads a challenge.
_ON_THE_LIST = IsSet(Challenge.published_at)

# Readers: admins and services; officers of the challenge's district; the issuing firm; and every role once it has
# been published. Managers: admins, officers of the district, the issuing firm (what each may do next is the
# domain's stage table: a firm submits and withdraws its own draft, officers do the rest).
CHALLENGE_SCOPE = ScopeRule(
    noun="challenge",
    readers={
        **{role: _ON_THE_LIST for role in Role},
        Role.ADMIN: EVERYWHERE,
        Role.SERVICE: EVERYWHERE,
        Role.OFFICER: AnyOf((InDistrict(Challenge.district_code), _ON_THE_LIST)),
        Role.ENTERPRISE: AnyOf((OwnUscc(Challenge.issuer_uscc), _ON_THE_LIST)),
    },
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Challenge.district_code),
              Role.ENTERPRISE: OwnUscc(Challenge.issuer_uscc)},
)
CHALLENGES = Records(Challenge, CHALLENGE_SCOPE)


def parts_of(actor: Actor, challenge: Challenge) -> frozenset[Part]:
    """The parts the caller plays towards a challenge it may manage: the issuing firm is its issuer; an officer of
    the district (or an admin) is its officer, and its issuer too when a department issued it."""
    role = actor.principal.role
    if role == Role.ENTERPRISE:
        return frozenset({Part.PUBLISHER})
    if role in (Role.ADMIN, Role.OFFICER):
        if challenge.issuer_kind == PublisherKind.DEPARTMENT:
            return frozenset({Part.OFFICER, Part.PUBLISHER})
        return frozenset({Part.OFFICER})
    return frozenset()


# --- content ------------------------------------------------------------------------------------------------------

# The programme's review template when a challenge states none. Huzhou's own criteria were not found (REFERENCE §7
# open question 1, [U]): technical route, team, and plan and budget, the three a 揭榜 review always reads.
DEFAULT_CRITERIA: tuple[dict[str, Any], ...] = (
    {"key": "technical_route", "name": "技术路线可行性与先进性", "weight": "0.5", "max_score": "10", "min_score": "0"},
    {"key": "team", "name": "团队能力与研发基础", "weight": "0.3", "max_score": "10", "min_score": "0"},
    {"key": "plan", "name": "实施计划与经费合理性", "weight": "0.2", "max_score": "10", "min_score": "0"},
)


def template_of(criteria: Sequence[dict[str, Any]]) -> ReviewTemplate:
    """The domain's review template of stored (or requested) criteria; refusals name ``review_criteria.<i>.…``."""
    checked = []
    for index, raw in enumerate(criteria):
        with within(f"review_criteria.{index}"):
            checked.append(Criterion(raw["key"], raw["name"], Decimal(str(raw["weight"])),
                                     Decimal(str(raw.get("max_score", 10))), Decimal(str(raw.get("min_score", 0)))))
    try:
        return ReviewTemplate(tuple(checked))
    except InvalidInput as exc:
        exc.field = (exc.field or "criteria").replace("criteria", "review_criteria", 1)
        raise


def eligibility_of(rules: dict[str, Any]) -> Eligibility:
    with within("eligibility"):
        return Eligibility(
            min_tier=rules.get("min_tier"), also_accepted_tiers=frozenset(rules.get("also_accepted_tiers") or ()),
            **{name: None if rules.get(name) is None else rules[name]
               for name in ("areas", "sectors", "clusters", "size_classes", "pools")})


def terms_of(values: dict[str, Any]) -> ChallengeTerms:
    """The domain's checked terms of a challenge's values (a row's, or a request's merged over a row's)."""
    with within("issuer"):
        issuer = Publisher(values["issuer_kind"], uscc=values.get("issuer_uscc"),
                           department=values.get("issuer_department"))
    indicators = tuple(indicator(index, name=raw["name"], target=Decimal(str(raw["target"])), unit=raw["unit"],
                                 verification=raw["verification"], comparison=raw.get("comparison", "at_least"),
                                 method=raw.get("method"))
                       for index, raw in enumerate(values["indicators"]))
    money = bounty(values["bounty_total_fen"], values["bounty_issuer_fen"], values["bounty_public_fen"])
    with within("ip_terms"):
        ip_terms = IpTerms(values["ip_ownership"], values.get("ip_note"))
    return ChallengeTerms(
        issuer=issuer, title=values["title"], background=values["background"], sector=values["sector"],
        district_code=values["district_code"], indicators=indicators, bounty=money,
        duration_months=values["duration_months"], application_deadline=values["application_deadline"],
        ip_terms=ip_terms, eligibility=eligibility_of(values.get("eligibility") or {}),
        max_teams=values["max_teams"], allow_consortium=values["allow_consortium"],
        funding_class=values["funding_class"], cluster=values.get("cluster"),
        industry_chain=values.get("industry_chain"))


def _indicator_json(item: Any) -> dict[str, Any]:
    return {"name": item.name, "target": str(item.target), "unit": item.unit, "verification": item.verification.value,
            "comparison": item.comparison.value, "method": item.method}


def _eligibility_json(rule: Eligibility) -> dict[str, Any]:
    """The rule as stored and shown: only the restrictions there are, lists sorted."""
    stored: dict[str, Any] = {}
    if rule.min_tier is not None:
        stored["min_tier"] = rule.min_tier.value
    if rule.also_accepted_tiers:
        stored["also_accepted_tiers"] = sorted(t.value for t in rule.also_accepted_tiers)
    for name in ("areas", "sectors", "clusters", "size_classes", "pools"):
        members = getattr(rule, name)
        if members is not None:
            stored[name] = sorted(str(m) for m in members)
    return stored


def _criteria_json(template: ReviewTemplate) -> list[dict[str, Any]]:
    return [{"key": c.key, "name": c.name, "weight": str(c.weight), "max_score": str(c.max_score),
             "min_score": str(c.min_score)} for c in template.criteria]


def _columns(terms: ChallengeTerms, template: ReviewTemplate, tags: Sequence[str]) -> dict[str, Any]:
    """The columns the checked terms set (normalised as the domain normalised them)."""
    return {
        "issuer_kind": terms.issuer.kind.value, "issuer_uscc": terms.issuer.uscc,
        "issuer_department": terms.issuer.department, "title": terms.title, "background": terms.background,
        "sector": terms.sector, "cluster": terms.cluster, "industry_chain": terms.industry_chain,
        "capability_tags": list(normalise_tags(tags)), "district_code": terms.district_code,
        "indicators": [_indicator_json(i) for i in terms.indicators],
        "bounty_total_fen": terms.bounty.total_fen, "bounty_issuer_fen": terms.bounty.issuer_fen,
        "bounty_public_fen": terms.bounty.public_fen, "funding_class": terms.funding_class.value,
        "duration_months": terms.duration_months, "application_deadline": terms.application_deadline,
        "ip_ownership": terms.ip_terms.ownership.value, "ip_note": terms.ip_terms.note,
        "eligibility": _eligibility_json(terms.eligibility), "max_teams": terms.max_teams,
        "allow_consortium": terms.allow_consortium, "review_criteria": _criteria_json(template),
    }


def _checked_columns(values: dict[str, Any]) -> dict[str, Any]:
    return _columns(terms_of(values), template_of(values.get("review_criteria") or DEFAULT_CRITERIA),
                    values.get("capability_tags") or ())


def row_values(challenge: Challenge) -> dict[str, Any]:
    return {c.key: getattr(challenge, c.key) for c in Challenge.__table__.columns}


def _request_values(data: dict[str, Any]) -> dict[str, Any]:
    """A request's fields as columns: the nested issuer, bounty and IP terms flattened."""
    values = dict(data)
    if "issuer" in values:
        issuer = values.pop("issuer")
        values.update(issuer_kind=issuer["kind"], issuer_uscc=issuer.get("uscc"),
                      issuer_department=issuer.get("department"))
    if "bounty" in values:
        money = values.pop("bounty")
        values.update(bounty_total_fen=money["total_fen"], bounty_issuer_fen=money["issuer_fen"],
                      bounty_public_fen=money["public_fen"])
    if "ip_terms" in values:
        ip_terms = values.pop("ip_terms")
        values.update(ip_ownership=ip_terms["ownership"], ip_note=ip_terms.get("note"))
    if "eligibility" in values:
        values["eligibility"] = {k: v for k, v in values["eligibility"].items() if v is not None}
    return values


def read_model(challenge: Challenge) -> schemas.ChallengeRead:
    return schemas.ChallengeRead(
        id=challenge.id,
        issuer=PublisherRead(kind=challenge.issuer_kind, uscc=challenge.issuer_uscc,
                             department=challenge.issuer_department),
        bounty=schemas.BountyRead(total_fen=challenge.bounty_total_fen, issuer_fen=challenge.bounty_issuer_fen,
                                  public_fen=challenge.bounty_public_fen),
        ip_terms=schemas.IpTermsRead(ownership=challenge.ip_ownership, note=challenge.ip_note),
        **{f: getattr(challenge, f) for f in (
            "title", "background", "sector", "cluster", "industry_chain", "capability_tags", "district_code",
            "indicators", "funding_class", "duration_months", "application_deadline", "eligibility", "max_teams",
            "allow_consortium", "review_criteria", "status", "status_reason", "published_at", "closed_at",
            "created_by", "created_at", "updated_at", "version")},
    )


def event_ref(challenge: Challenge) -> dict[str, Any]:
    """What every challenge event carries (no personal data: a challenge has none)."""
    return {"challenge_id": challenge.id, "title": challenge.title, "status": challenge.status,
            "district_code": challenge.district_code,
            "issuer": ChallengeIssuer(kind=challenge.issuer_kind, uscc=challenge.issuer_uscc,
                                      department=challenge.issuer_department),
            "bounty": ChallengeBounty(total_fen=challenge.bounty_total_fen, issuer_fen=challenge.bounty_issuer_fen,
                                      public_fen=challenge.bounty_public_fen),
            "version": challenge.version}


def published_event(challenge: Challenge) -> ChallengePublished:
    return ChallengePublished(
        **event_ref(challenge), background=challenge.background, indicators=challenge.indicators,
        sector=challenge.sector, cluster=challenge.cluster, industry_chain=challenge.industry_chain,
        capability_tags=list(challenge.capability_tags), eligibility=ChallengeEligibility(**challenge.eligibility),
        application_deadline=challenge.application_deadline, duration_months=challenge.duration_months,
        max_teams=challenge.max_teams, allow_consortium=challenge.allow_consortium,
        ip_ownership=challenge.ip_ownership)


# --- use cases ----------------------------------------------------------------------------------------------------

async def create_challenge(work: Work, actor: Actor, data: schemas.ChallengeCreate) -> schemas.ChallengeRead:
    values = _request_values(data.model_dump(mode="json"))
    values["application_deadline"] = data.application_deadline
    columns = _checked_columns(values)
    # A firm issues for its own USCC; an officer for a department or any firm of its districts.
    CHALLENGE_SCOPE.ensure_manageable(actor, columns)
    if actor.principal.role == Role.ENTERPRISE and columns["issuer_kind"] != PublisherKind.ENTERPRISE:
        raise PermissionDenied("an enterprise issues challenges only as itself", field="issuer.kind")
    async with work(actor) as uow:
        challenge = Challenge(**columns, status=ChallengeStage.DRAFTING.value, created_by=actor.principal.subject)
        uow.session.add(challenge)
        await uow.flush()
        uow.audit("challenge.create", "challenge", str(challenge.id), data.model_dump(mode="json"))
        read = read_model(challenge)
    return read


async def get_challenge(sessions: Sessions, actor: Actor, challenge_id: uuid.UUID) -> schemas.ChallengeRead:
    async with sessions() as session:
        return read_model(await CHALLENGES.get(session, actor, challenge_id))


_ORDER = (Key(Challenge.created_at, cursor_datetime), Key(Challenge.id, cursor_uuid))


async def list_challenges(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None, status: str | None,
                          district_code: str | None, sector: str | None, issuer_uscc: str | None,
                          ) -> tuple[list[schemas.ChallengeRead], str | None]:
    """The challenges the caller may read, newest first."""
    query = CHALLENGES.select(actor)
    for column, value in ((Challenge.status, status), (Challenge.district_code, district_code),
                          (Challenge.sector, sector), (Challenge.issuer_uscc, issuer_uscc)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [read_model(c) for c in page], next_cursor


async def update_challenge(work: Work, actor: Actor, challenge_id: uuid.UUID, data: schemas.ChallengeUpdate,
                           if_match: str | None) -> schemas.ChallengeRead:
    changes = data.model_dump(mode="json", exclude_unset=True)
    for name in sorted(schemas.REQUIRED_FIELDS & changes.keys()):
        if changes[name] is None:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    if "application_deadline" in changes:
        changes["application_deadline"] = data.application_deadline
    async with work(actor) as uow:
        challenge = await CHALLENGES.get_for_change(uow.session, actor, challenge_id, if_match=if_match)
        ensure_editable(challenge.status)
        columns = _checked_columns({**row_values(challenge), **_request_values(changes)})
        if columns["district_code"] != challenge.district_code:
            # Moving a challenge to another district needs authority over the new district too.
            CHALLENGE_SCOPE.ensure_manageable(actor, columns)
        changed = apply_changes(challenge, columns)
        if changed:
            await uow.flush()
            uow.audit("challenge.update", "challenge", str(challenge.id), changed)
        read = read_model(challenge)
    return read


async def transition_challenge(work: Work, actor: Actor, challenge_id: uuid.UUID, data: schemas.ChallengeTransition,
                               if_match: str | None) -> schemas.ChallengeRead:
    # Imported here: the teams' use cases build on this module's scope, terms and events.
    from services.scenarios.service import teams

    if data.command == ChallengeCommand.APPOINT:
        raise InvalidInput("teams are appointed one by one with POST /v1/challenges/{id}/appointments; the first "
                           "appointment moves the challenge to appointed", field="command")
    async with work(actor) as uow:
        challenge = await CHALLENGES.get_for_change(uow.session, actor, challenge_id, if_match=if_match)
        change = transition(challenge.status, data.command, parts_of(actor, challenge), reason=data.reason)
        if change.command in (ChallengeCommand.SUBMIT_FOR_REVIEW, ChallengeCommand.PUBLISH):
            check_publishable(terms_of(row_values(challenge)), programme_today(), rules_of(uow.settings)[0])
        if data.passed_teams is not None and change.command is not ChallengeCommand.PASS_ACCEPTANCE:
            raise InvalidInput("passed_teams is given only when passing acceptance", field="passed_teams")
        values: dict[str, Any] = {"status": change.to_state.value}
        now = utcnow()
        if change.reason is not None:
            values["status_reason"] = change.reason
        if change.command is ChallengeCommand.PUBLISH:
            values["published_at"] = now
        if change.to_state is ChallengeStage.CLOSED:
            values["closed_at"] = now
        apply_changes(challenge, values)
        # What the step does to the applications (and the acceptance events), in the same transaction: a refusal
        # there leaves the challenge as it was too.
        effects = await teams.on_challenge_step(uow, actor, challenge, change, data.passed_teams)
        await uow.flush()
        if change.command is ChallengeCommand.PUBLISH:
            uow.emit(published_event(challenge), subject=str(challenge.id))
        uow.audit(f"challenge.{change.command.value}", "challenge", str(challenge.id),
                  {"status": {"from": change.from_state.value, "to": change.to_state.value},
                   "acting_as": change.role.value, "reason": change.reason, **effects})
        read = read_model(challenge)
    return read


async def lock_challenge(uow: UnitOfWork, actor: Actor, challenge_id: uuid.UUID) -> Challenge:
    """The challenge locked for a change of its applications (an appointment, acceptance): held to the end of the
    unit of work, so that such changes to one challenge run one after the other."""
    return await CHALLENGES.get_for_change(uow.session, actor, challenge_id)


# --- the public view (no token) -------------------------------------------------------------------------------------

_PUBLIC_ORDER = (Key(Challenge.published_at, cursor_datetime), Key(Challenge.id, cursor_uuid))
_PUBLIC_FIELDS = frozenset(schemas.PublicChallengeRead.model_fields) - {"issuer"}


def public_model(challenge: Challenge, names: dict[str, str]) -> schemas.PublicChallengeRead:
    read = read_model(challenge)
    issuer = PublicPublisherRead(kind=challenge.issuer_kind, uscc=challenge.issuer_uscc,
                                 department=challenge.issuer_department,
                                 name=names.get(challenge.issuer_uscc) if challenge.issuer_uscc
                                 else challenge.issuer_department)
    return schemas.PublicChallengeRead(issuer=issuer, **{f: getattr(read, f) for f in _PUBLIC_FIELDS})


async def list_public_challenges(sessions: Sessions, *, limit: int, cursor: str | None, status: str | None,
                                 district_code: str | None, sector: str | None,
                                 cluster: str | None) -> tuple[list[schemas.PublicChallengeRead], str | None]:
    """The challenges that have been on the list (once published, whatever came next), latest published first."""
    query = select(Challenge).where(_ON_THE_LIST.condition(None))  # type: ignore[arg-type]
    for column, value in ((Challenge.status, status), (Challenge.district_code, district_code),
                          (Challenge.sector, sector), (Challenge.cluster, cluster)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_PUBLIC_ORDER, limit=limit, cursor=cursor,
                                           descending=True)
        names = await publisher_names(session, {c.issuer_uscc for c in page if c.issuer_uscc})
    return [public_model(c, names) for c in page], next_cursor


async def get_public_challenge(sessions: Sessions, challenge_id: uuid.UUID) -> schemas.PublicChallengeRead:
    async with sessions() as session:
        challenge = await session.get(Challenge, challenge_id)
        # Never published (a draft, one cancelled in review) reads as absent: its existence is not revealed.
        if challenge is None or challenge.published_at is None:
            raise NotFound(f"no challenge {challenge_id}")
        names = await publisher_names(session, {challenge.issuer_uscc} if challenge.issuer_uscc else set())
    return public_model(challenge, names)
