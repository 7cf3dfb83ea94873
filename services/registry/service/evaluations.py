"""Evaluation and certification use cases: run a tier's rule set on the stored facts (评价), keep evaluations
current when the facts change (re-run), confirm evaluations into held tiers (认定), revoke and expire them.

Re-evaluation is "one call away" for every producer of facts: :func:`reevaluate_enterprise` works inside the
caller's transaction (the figures, IP and honours use cases call it; so can a consumer of licensing or funding
events later), and :func:`reevaluate_all` re-runs the whole programme in batches for the annual job.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain import certification as certification_rules
from services.registry.domain.evaluation import (
    EvaluationInputError,
    EvaluationOptions,
    Purpose,
    RuleSet,
    RuleSetNotFound,
    apply_rule_set,
    select_rule_set,
)
from services.registry.domain.figures import EvaluationInputs, ExpertJudgements, TechSmeRdOption
from services.registry.domain.plain import from_plain, to_plain
from services.registry.models import Enterprise
from services.registry.models.evaluations import Certification, Evaluation
from services.registry.schemas import evaluations as schemas
from services.registry.schemas.figures import hnte_number_warnings
from services.registry.service import work_of
from services.registry.service.access import ENTERPRISES, FIGURES
from services.registry.service.evaluation_inputs import (
    EnterpriseFacts,
    Question,
    build_inputs,
    load_facts,
    question_digest,
)
from services.registry.settings import Settings as RegistrySettings
from shared.auth import Actor
from shared.bus.outbox import audit_row, event_row
from shared.clock import programme_today
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events.registry import EnterpriseEvaluated, EnterpriseTierChanged
from shared.http import check_if_match, cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork, Work

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"


# --------------------------------------------------------------------------------------------------------------
# The computation (no I/O): facts + question → the evaluation's column values
# --------------------------------------------------------------------------------------------------------------


def compute(facts: EnterpriseFacts, question: Question, *, skip_if_digest: str | None = None,
            rule_set: RuleSet | None = None) -> dict[str, Any] | None:
    """Run the engine for ``question`` on ``facts``: the new evaluation's column values, or None when the digest
    equals ``skip_if_digest`` (nothing that decides the result changed). ``rule_set`` is the one select_rule_set
    gives for the question, when the caller already holds it (bulk runs select it once per question). Raises
    RuleSetNotFound / EvaluationInputError / ValueError on a question that does not fit."""
    if rule_set is None:
        rule_set = select_rule_set(question.tier, question.evaluation_date, question.requested_version)
    inputs = build_inputs(facts, question)
    digest = question_digest(question, inputs, rule_set)
    if digest == skip_if_digest:
        return None
    return run_engine(facts.enterprise.id, question, inputs, digest, rule_set)


def run_engine(enterprise_id: uuid.UUID, question: Question, inputs: EvaluationInputs, digest: str,
               rule_set: RuleSet) -> dict[str, Any]:
    """The pure, CPU-bound part: apply the rule set (the one the digest names) and turn inputs and result into
    storable plain values."""
    result = apply_rule_set(rule_set, inputs, question.evaluation_date, question.options, purpose=question.purpose)
    return {
        "enterprise_id": enterprise_id,
        "tier": question.tier,
        "rule_set_id": result.rule_set_id,
        "purpose": result.purpose.value,
        "requested_version": question.requested_version,
        "evaluation_date": question.evaluation_date,
        "outcome": result.outcome.value,
        "total_score": result.total_score,
        "score_min": result.score_min,
        "score_max": result.score_max,
        "direct_route": None if result.direct_route is None else result.direct_route.code,
        "judgements": to_plain(question.judgements),
        "options": to_plain(question.options),
        "tech_sme_rd_option": None if question.tech_sme_rd_option is None else question.tech_sme_rd_option.value,
        "inputs": to_plain(inputs),
        "result": to_plain(result),
        "inputs_digest": digest,
    }


def question_of(row: Any, evaluation_date: date | None = None) -> Question:
    """The question a stored evaluation asked, to ask it again (optionally on another date)."""
    return Question(
        tier=row.tier,
        evaluation_date=evaluation_date or row.evaluation_date,
        requested_version=row.requested_version,
        purpose=Purpose(row.purpose),
        judgements=from_plain(ExpertJudgements, row.judgements),
        options=from_plain(EvaluationOptions, row.options),
        tech_sme_rd_option=None if row.tech_sme_rd_option is None else TechSmeRdOption(row.tech_sme_rd_option),
    )


def evaluated_event(evaluation: Any) -> EnterpriseEvaluated:
    return EnterpriseEvaluated(
        enterprise_id=evaluation.enterprise_id,
        evaluation_id=evaluation.id,
        tier=evaluation.tier,
        rule_set=evaluation.rule_set_id,
        outcome=evaluation.outcome,
        total_score=None if evaluation.total_score is None else str(evaluation.total_score),
        evaluated_on=evaluation.evaluation_date,
        purpose=evaluation.purpose,
        score_min=evaluation.score_min,
        score_max=evaluation.score_max,
        direct_route=evaluation.direct_route,
        rerun_of=evaluation.rerun_of,
    )


def _audit_summary(evaluation: Any) -> dict[str, Any]:
    return {"evaluation_id": str(evaluation.id), "tier": evaluation.tier, "rule_set_id": evaluation.rule_set_id,
            "evaluation_date": evaluation.evaluation_date.isoformat(), "outcome": evaluation.outcome,
            "total_score": evaluation.total_score, "rerun_of": None if evaluation.rerun_of is None else str(evaluation.rerun_of)}


def _record_evaluation(uow: UnitOfWork, evaluation: Evaluation, *, action: str,
                       causation_id: str | None = None) -> None:
    """The enterprise.evaluated event and the audit entry of a new evaluation."""
    subject = str(evaluation.enterprise_id)
    uow.emit(evaluated_event(evaluation), subject=subject, causation_id=causation_id)
    uow.audit(action, "evaluation", subject, _audit_summary(evaluation))


# --------------------------------------------------------------------------------------------------------------
# Shared by the use cases of an enterprise's records (here and in service.figures): load to change, read one,
# newest-first pages
# --------------------------------------------------------------------------------------------------------------


async def load_enterprise_for_change(session: AsyncSession, actor: Actor, enterprise_id: uuid.UUID) -> Enterprise:
    """The enterprise, once the actor may see and change it, read under a lock held for the rest of the transaction:
    two concurrent corrections must not each re-run the evaluation on half the facts."""
    return await ENTERPRISES.get_for_change(session, actor, enterprise_id)


async def owned_by(session: AsyncSession, model: Any, enterprise_id: uuid.UUID, row_id: uuid.UUID, noun: str) -> Any:
    """The ``model`` row ``row_id`` if it belongs to the enterprise; NotFound (naming it as ``noun``) otherwise."""
    row = await session.get(model, row_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"no {noun} {row_id} of enterprise {enterprise_id}")
    return row


async def get_of_enterprise(sessions: async_sessionmaker[AsyncSession], actor: Actor, model: Any,
                            enterprise_id: uuid.UUID, row_id: uuid.UUID, noun: str) -> Any:
    async with sessions() as session:
        await FIGURES.get(session, actor, enterprise_id)
        return await owned_by(session, model, enterprise_id, row_id, noun)


async def list_of_enterprise(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, model: Any, enterprise_id: uuid.UUID, *, limit: int,
    cursor: str | None, **equal_to: Any,
) -> tuple[list[Any], str | None]:
    """One page of the enterprise's ``model`` rows, newest first, narrowed to the columns ``equal_to`` names
    (a None value does not narrow)."""
    query = select(model).where(model.enterprise_id == enterprise_id)
    for column, value in equal_to.items():
        if value is not None:
            query = query.where(getattr(model, column) == value)
    async with sessions() as session:
        await FIGURES.get(session, actor, enterprise_id)
        return await paginate(session, query, keys=(Key(model.created_at, cursor_datetime), Key(model.id, cursor_uuid)),
                              limit=limit, cursor=cursor, descending=True)


# --------------------------------------------------------------------------------------------------------------
# Running an evaluation on request
# --------------------------------------------------------------------------------------------------------------


def _question_from_request(body: schemas.EvaluationCreate, today: date) -> Question:
    evaluation_date = body.evaluation_date or today
    if evaluation_date > today:
        raise InvalidInput("evaluation_date is in the future: an evaluation is a record of what was known",
                           field="evaluation_date")
    judgements = from_plain(ExpertJudgements, body.expert_inputs.model_dump(mode="json", exclude_none=True))
    options = EvaluationOptions(**body.options.model_dump())
    return Question(tier=body.tier, evaluation_date=evaluation_date, requested_version=body.rule_version,
                    purpose=body.purpose, judgements=judgements, options=options,
                    tech_sme_rd_option=body.tech_sme_rd_option)


async def run_evaluation(work: Work, actor: Actor, enterprise_id: uuid.UUID, body: schemas.EvaluationCreate) -> Evaluation:
    question = _question_from_request(body, programme_today())
    async with work(actor) as uow:
        session = uow.session
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        facts = (await load_facts(session, [enterprise.id]))[enterprise.id]
        try:
            computed = compute(facts, question)
        except RuleSetNotFound as exc:
            raise InvalidInput(str(exc), field="rule_version" if body.rule_version else "evaluation_date") from None
        except EvaluationInputError as exc:
            raise InvalidInput(str(exc), field="expert_inputs") from None
        except ValueError as exc:
            # Stored facts the engine refuses to combine: say so rather than fail with a 500.
            raise InvalidInput(f"the stored facts cannot be evaluated: {exc}") from None
        assert computed is not None
        evaluation = Evaluation(**computed, trigger="request", rerun_of=None,
                                created_by=actor.principal.subject)
        session.add(evaluation)
        await uow.flush()
        _record_evaluation(uow, evaluation, action="evaluation.run")
    return evaluation


# --------------------------------------------------------------------------------------------------------------
# Re-evaluation: one enterprise inside the caller's transaction, or the whole programme in batches
# --------------------------------------------------------------------------------------------------------------


def _latest_per_tier_query(enterprise_ids: Sequence[uuid.UUID], tiers: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    position = func.row_number().over(
        partition_by=(Evaluation.enterprise_id, Evaluation.tier),
        order_by=(Evaluation.created_at.desc(), Evaluation.id.desc()),
    ).label("position")
    ranked = (
        select(Evaluation.id, Evaluation.enterprise_id, Evaluation.tier, Evaluation.evaluation_date,
               Evaluation.requested_version, Evaluation.purpose, Evaluation.judgements, Evaluation.options,
               Evaluation.tech_sme_rd_option, Evaluation.inputs_digest, position)
        .where(Evaluation.enterprise_id.in_(list(enterprise_ids)),
               *([Evaluation.tier.in_(list(tiers))] if tiers is not None else []))
        .subquery()
    )
    return select(ranked).where(ranked.c.position == 1).order_by(ranked.c.enterprise_id, ranked.c.tier)


async def reevaluate_enterprise(uow: UnitOfWork, enterprise_id: uuid.UUID, *,
                                causation_id: str | None = None) -> list[Evaluation]:
    """Re-run the enterprise's latest evaluation of each tier whose inputs changed, in the CALLER's transaction.

    Each re-run asks the same question (date, version, purpose, expert judgements) of the current facts and is
    stored as a new evaluation naming the one it re-ran, with an enterprise.evaluated event. An evaluation whose
    inputs did not change is left alone. Call it after any change of figures, IP, honours or declarations,
    e.g. from a consumer of licensing events (pass the event id as ``causation_id``)."""
    return await reevaluate_enterprises(uow, [enterprise_id], causation_id=causation_id)


async def reevaluate_enterprises(uow: UnitOfWork, enterprise_ids: Sequence[uuid.UUID], *,
                                 causation_id: str | None = None) -> list[Evaluation]:
    """reevaluate_enterprise for many firms (a bulk import's), reading their evaluations and facts in one go."""
    session, actor = uow.session, uow.actor
    latest = list(await session.execute(_latest_per_tier_query(enterprise_ids))) if enterprise_ids else []
    if not latest:
        return []
    facts = await load_facts(session, list({previous.enterprise_id: None for previous in latest}))
    rule_sets = _QuestionCache()
    rerun: list[Evaluation] = []
    for previous in latest:
        facts_of = facts.get(previous.enterprise_id)
        if facts_of is None:
            continue
        try:
            question = question_of(previous)
            computed = compute(facts_of, question, skip_if_digest=previous.inputs_digest,
                               rule_set=rule_sets.rule_set(question))
        except (RuleSetNotFound, EvaluationInputError, ValueError) as exc:
            # The stored question no longer fits the facts (e.g. expert points outside the band the new figures
            # give): keep the old evaluation and say why, rather than failing the caller's change.
            log.warning("evaluation %s not re-run: %s", previous.id, exc)
            continue
        if computed is None:
            continue
        evaluation = Evaluation(**computed, trigger="rerun", rerun_of=previous.id,
                                created_by=actor.principal.subject if actor else SYSTEM_ACTOR)
        session.add(evaluation)
        rerun.append(evaluation)
    if not rerun:
        return []
    await uow.flush()
    for evaluation in rerun:
        _record_evaluation(uow, evaluation, action="evaluation.rerun", causation_id=causation_id)
    return rerun


@dataclass
class ReevaluationSummary:
    enterprises: int = 0
    considered: int = 0  # (enterprise, tier) questions looked at
    evaluated: int = 0  # new evaluations stored
    unchanged: int = 0  # skipped: nothing that decides the result changed
    failed: int = 0  # the question did not fit the facts (logged)
    outcomes: Counter[str] = field(default_factory=Counter)


class _QuestionCache:
    """Stored questions rebuilt once per distinct (judgements, options, …): in bulk most firms share a handful, and
    rebuilding the domain objects from JSON costs more than evaluating. Likewise the rule set answering each
    (tier, date, version), selected once per run rather than once per firm (the digest needs it even to skip)."""

    def __init__(self) -> None:
        self._questions: dict[tuple[Any, ...], Question] = {}
        self._rule_sets: dict[tuple[str, date, str | None], RuleSet] = {}

    def rule_set(self, question: Question) -> RuleSet:
        key = (question.tier, question.evaluation_date, question.requested_version)
        rule_set = self._rule_sets.get(key)
        if rule_set is None:  # RuleSetNotFound is raised (and not remembered) for a question no rule set answers
            rule_set = self._rule_sets[key] = select_rule_set(*key)
        return rule_set

    def of(self, row: Any, evaluation_date: date | None = None) -> Question:
        key = (row.tier, evaluation_date or row.evaluation_date, row.requested_version, row.purpose,
               json.dumps(row.judgements, sort_keys=True), json.dumps(row.options, sort_keys=True),
               row.tech_sme_rd_option)
        question = self._questions.get(key)
        if question is None:
            question = self._questions[key] = question_of(row, evaluation_date)
        return question


async def reevaluate_all(
    sessions: async_sessionmaker[AsyncSession],
    settings: ServiceSettings,
    *,
    evaluation_date: date | None = None,
    tiers: Sequence[str] | None = None,
    enterprise_ids: Sequence[uuid.UUID] | None = None,
    batch_size: int = 1000,
    id_range: tuple[uuid.UUID | None, uuid.UUID | None] = (None, None),
) -> ReevaluationSummary:
    """Re-evaluate the programme in batches, one transaction per batch (the annual job; the benchmark).

    * ``tiers`` None: re-run every enterprise's latest evaluation of each tier it was evaluated for, on its own
      date, or on ``evaluation_date`` when given (the annual re-evaluation).
    * ``tiers`` given: evaluate every enterprise (or ``enterprise_ids``) for those tiers on ``evaluation_date``
      (default today), keeping the expert judgements of the firm's latest evaluation of the tier if it has one.

    A question whose digest equals the latest stored one is skipped without running the engine, so a repeated run
    is cheap and idempotent. Each batch costs a fixed handful of queries: the facts of all its firms are loaded
    together, and new evaluations, events and audit entries are inserted in bulk. ``id_range`` restricts the run to
    one range of enterprise ids, so that several processes can share the programme (evaluation_jobs)."""
    if tiers is not None:
        unknown = [t for t in tiers if t not in schemas.EvaluableTier.__args__]  # type: ignore[attr-defined]
        if unknown:
            raise InvalidInput(f"no rule sets for tiers {unknown}", field="tiers")
    summary = ReevaluationSummary()
    default_date = evaluation_date or programme_today()
    questions = _QuestionCache()
    after, below = id_range  # the enterprises with after < id < below (the whole programme by default)
    work = work_of(sessions, settings)
    while True:
        async with work(None) as uow:
            batch = await _next_batch(uow.session, after, batch_size, enterprise_ids, evaluated_only=tiers is None,
                                      below=below)
            if not batch:
                break
            after = batch[-1]
            summary.enterprises += len(batch)
            await _reevaluate_batch(uow, batch, tiers, evaluation_date, default_date, summary, questions)
    return summary


async def _next_batch(session: AsyncSession, after: uuid.UUID | None, size: int,
                      enterprise_ids: Sequence[uuid.UUID] | None, *, evaluated_only: bool,
                      below: uuid.UUID | None = None) -> list[uuid.UUID]:
    column = Evaluation.enterprise_id if evaluated_only else Enterprise.id
    query = select(column).distinct().order_by(column).limit(size)
    if after is not None:
        query = query.where(column > after)
    if below is not None:
        query = query.where(column < below)
    if enterprise_ids is not None:
        query = query.where(column.in_(list(enterprise_ids)))
    return list((await session.scalars(query)).all())


async def _reevaluate_batch(
    uow: UnitOfWork, batch: list[uuid.UUID], tiers: Sequence[str] | None,
    evaluation_date: date | None, default_date: date, summary: ReevaluationSummary, questions: _QuestionCache,
) -> None:
    session = uow.session
    latest_by_enterprise: dict[uuid.UUID, dict[str, Any]] = {}
    for row in await session.execute(_latest_per_tier_query(batch, tiers)):
        latest_by_enterprise.setdefault(row.enterprise_id, {})[row.tier] = row
    facts = await load_facts(session, batch)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for enterprise_id in batch:
        facts_of = facts.get(enterprise_id)
        if facts_of is None:
            continue
        latest = latest_by_enterprise.get(enterprise_id, {})
        if tiers is None:
            work = [(questions.of(previous, evaluation_date), previous) for previous in latest.values()]
        else:
            work = []
            for tier in tiers:
                previous = latest.get(tier)
                question = (replace(questions.of(previous, default_date), requested_version=None,
                                    purpose=Purpose.APPLICATION)
                            if previous is not None else Question(tier=tier, evaluation_date=default_date))
                work.append((question, previous))
        for question, previous in work:
            summary.considered += 1
            try:
                values = compute(facts_of, question, skip_if_digest=None if previous is None else previous.inputs_digest,
                                 rule_set=questions.rule_set(question))
            except (RuleSetNotFound, EvaluationInputError, ValueError) as exc:
                summary.failed += 1
                log.warning("enterprise %s tier %s not re-evaluated: %s", enterprise_id, question.tier, exc)
                continue
            if values is None:  # the digest is unchanged: nothing that decides the result changed
                summary.unchanged += 1
                continue
            rows.append({**values, "id": uuid.uuid4(), "trigger": "bulk",
                         "rerun_of": None if previous is None else previous.id, "created_by": SYSTEM_ACTOR,
                         "created_at": now})
            summary.evaluated += 1
            summary.outcomes[values["outcome"]] += 1
    if rows:
        await _insert_evaluations(uow, rows, now)


async def _insert_evaluations(uow: UnitOfWork, rows: list[dict[str, Any]], now: datetime) -> None:
    """Evaluations, their events and audit entries in three bulk inserts, for the annual job's volume."""
    settings = uow.settings
    await uow.session.execute(Evaluation.__table__.insert(), rows)
    outbox_rows = []
    audit_rows = []
    for row in rows:
        evaluation = _Row(row)
        subject = str(row["enterprise_id"])
        outbox_rows.append(event_row(settings, evaluated_event(evaluation), subject=subject, created_at=now))
        audit_rows.append(audit_row(None, action="evaluation.bulk", entity_type="evaluation", entity_id=subject,
                                    changes=_audit_summary(evaluation), occurred_at=now))
    uow.event_rows(outbox_rows)
    uow.audit_rows(audit_rows)


class _Row:
    """Attribute access over a dict of column values (what evaluated_event and _audit_summary read)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# --------------------------------------------------------------------------------------------------------------
# Reading evaluations
# --------------------------------------------------------------------------------------------------------------


async def list_evaluations(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID, *, limit: int,
    cursor: str | None = None, tier: str | None = None, outcome: str | None = None,
) -> tuple[list[Evaluation], str | None]:
    return await list_of_enterprise(sessions, actor, Evaluation, enterprise_id, limit=limit, cursor=cursor, tier=tier,
                                    outcome=outcome)


async def get_evaluation(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID, evaluation_id: uuid.UUID
) -> Evaluation:
    return await get_of_enterprise(sessions, actor, Evaluation, enterprise_id, evaluation_id, "evaluation")


# --------------------------------------------------------------------------------------------------------------
# Certification (认定), revocation, expiry
# --------------------------------------------------------------------------------------------------------------


async def held_tiers(session: AsyncSession, enterprise_id: uuid.UUID) -> list[str]:
    return (await held_tiers_of(session, [enterprise_id]))[enterprise_id]


async def held_tiers_of(session: AsyncSession, enterprise_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The tiers each enterprise holds now (active certifications), sorted; one query for all of them."""
    held: dict[uuid.UUID, list[str]] = {enterprise_id: [] for enterprise_id in enterprise_ids}
    rows = await session.execute(
        select(Certification.enterprise_id, Certification.tier)
        .where(Certification.enterprise_id.in_(list(enterprise_ids)), Certification.status == "active").distinct()
    )
    for enterprise_id, tier in rows:
        held[enterprise_id].append(tier)
    return {enterprise_id: sorted(tiers) for enterprise_id, tiers in held.items()}


def _tier_changed(certification: Certification, change: str, held: list[str]) -> EnterpriseTierChanged:
    return EnterpriseTierChanged(
        enterprise_id=certification.enterprise_id, tier=certification.tier, change=change,
        certificate_no=certification.certificate_no, valid_from=certification.valid_from,
        valid_until=certification.valid_until, held_tiers=held, certification_id=certification.id,
        evaluation_id=certification.evaluation_id,
    )


def _certification_summary(certification: Certification) -> dict[str, Any]:
    return {"certification_id": str(certification.id), "tier": certification.tier,
            "certificate_no": certification.certificate_no, "status": certification.status,
            "valid_from": certification.valid_from.isoformat(), "valid_until": certification.valid_until.isoformat(),
            "evaluation_id": None if certification.evaluation_id is None else str(certification.evaluation_id),
            "override_reason": certification.override_reason,
            "end_reason": certification.end_reason}


def _record_tier_change(uow: UnitOfWork, certification: Certification, change: str, held: list[str], *,
                       action: str) -> None:
    """The enterprise.tier_changed event (with the tiers ``held`` after the change) and the audit entry of a
    certification's change."""
    subject = str(certification.enterprise_id)
    uow.emit(_tier_changed(certification, change, held), subject=subject)
    uow.audit(action, "certification", subject, _certification_summary(certification))


async def certify(work: Work, actor: Actor, enterprise_id: uuid.UUID, body: schemas.CertificationCreate) -> Certification:
    """Confirm an evaluation into a held tier. Refused: an evaluation of another firm or a superseded one, a
    not_eligible one, a needs_review one without an override reason, a validity already over, a certificate
    number already recorded for the tier (409, by the database's unique key, so that two officers recording one
    number at once cannot both succeed). A certificate of a tier already held supersedes the old one (renewal);
    the database keeps one active certification per firm and tier, whatever requests race."""
    today = programme_today()
    settings: RegistrySettings = work.settings  # type: ignore[assignment]
    async with work(actor) as uow:
        session = uow.session
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        tier = await _certifiable_tier(session, enterprise.id, body)
        try:
            valid_from, valid_until = certification_rules.validity(body.valid_from, body.valid_until, today,
                                                                   settings.certificate_validity_years)
        except certification_rules.InvalidValidity as exc:
            raise InvalidInput(str(exc), field=exc.field) from None
        for previous in (await session.scalars(
            select(Certification).where(Certification.enterprise_id == enterprise.id,
                                        Certification.tier == tier, Certification.status == "active")
        )).all():
            _end(previous, certification_rules.renewal(valid_from, body.certificate_no))
        # The superseded row must leave the active slot before the new one takes it.
        await uow.flush()
        certification = Certification(
            enterprise_id=enterprise.id, tier=tier, evaluation_id=body.evaluation_id,
            certificate_no=body.certificate_no, valid_from=valid_from, valid_until=valid_until,
            status=certification_rules.CertificationStatus.ACTIVE.value, override_reason=body.override_reason,
            warnings=hnte_number_warnings(body.certificate_no) if tier == "hnte" else [],
            certified_by=actor.principal.subject,
        )
        session.add(certification)
        await uow.flush()
        held = await held_tiers(session, enterprise.id)
        _record_tier_change(uow, certification, "certified", held, action="certification.certify")
    return certification


def _end(certification: Certification, ending: certification_rules.Ending) -> None:
    """End an active certification (the domain refuses any other transition) and move its version."""
    try:
        certification_rules.end(certification.status, ending)
    except certification_rules.CertificationTransitionError as exc:
        raise Conflict(str(exc), field="status", current_status=certification.status) from None
    certification.status, certification.ended_on, certification.end_reason = (
        ending.status.value, ending.ended_on, ending.reason)
    certification.version += 1


async def _certifiable_tier(session: AsyncSession, enterprise_id: uuid.UUID, body: schemas.CertificationCreate) -> str:
    """The tier the request may certify, after the checks on the evaluation it confirms (if any)."""
    if body.evaluation_id is None:
        if body.tier is None:
            raise InvalidInput("name the evaluation to confirm, or the tier of a certificate issued elsewhere",
                               field="evaluation_id")
        if not body.override_reason:
            raise InvalidInput("a certificate recorded without an evaluation needs override_reason: who issued it and "
                               "on what basis", field="override_reason")
        return body.tier
    evaluation = await session.get(Evaluation, body.evaluation_id)
    if evaluation is None or evaluation.enterprise_id != enterprise_id:
        raise InvalidInput(f"no evaluation {body.evaluation_id} of this enterprise", field="evaluation_id")
    if body.tier is not None and body.tier != evaluation.tier:
        raise InvalidInput(f"the evaluation is for tier {evaluation.tier}, not {body.tier}", field="tier")
    latest_id = await session.scalar(
        select(Evaluation.id).where(Evaluation.enterprise_id == enterprise_id, Evaluation.tier == evaluation.tier)
        .order_by(Evaluation.created_at.desc(), Evaluation.id.desc()).limit(1)
    )
    if latest_id != evaluation.id:
        raise Conflict("a newer evaluation of this tier supersedes the one named; confirm the newer one",
                       field="evaluation_id", latest=f"/v1/enterprises/{enterprise_id}/evaluations/{latest_id}")
    if evaluation.outcome == "not_eligible":
        raise Conflict("the evaluation found the enterprise not eligible; it cannot be certified", field="evaluation_id")
    if evaluation.outcome == "needs_review" and not body.override_reason:
        raise InvalidInput("the evaluation needs review: confirming it needs an override_reason saying why the open "
                           "points are met", field="override_reason")
    if evaluation.outcome == "eligible" and body.override_reason:
        raise InvalidInput("override_reason is only for confirming a needs_review evaluation or recording a "
                           "certificate issued elsewhere", field="override_reason")
    return evaluation.tier


async def revoke_certification(
    work: Work, actor: Actor, enterprise_id: uuid.UUID, certification_id: uuid.UUID, body: schemas.RevocationCreate,
    if_match: str | None,
) -> Certification:
    today = programme_today()
    async with work(actor) as uow:
        session = uow.session
        enterprise = await load_enterprise_for_change(session, actor, enterprise_id)
        certification = await owned_by(session, Certification, enterprise.id, certification_id, "certification")
        if if_match is not None:
            check_if_match(if_match, certification.version)
        _end(certification, certification_rules.revocation(today, body.reason))
        await uow.flush()
        held = await held_tiers(session, enterprise.id)
        _record_tier_change(uow, certification, "revoked", held, action="certification.revoke")
    return certification


async def expire_certifications(
    sessions: async_sessionmaker[AsyncSession], settings: ServiceSettings, today: date | None = None,
    *, batch_size: int = 500,
) -> list[uuid.UUID]:
    """Mark active certifications whose validity ended before ``today`` as expired, each with an
    enterprise.tier_changed (change=expired) carrying the tiers still held. Idempotent: run it daily."""
    today = today or programme_today()
    expired: list[uuid.UUID] = []
    work = work_of(sessions, settings)
    while True:
        async with work(None) as uow:
            due = list((await uow.session.scalars(
                select(Certification).where(Certification.status == "active", Certification.valid_until < today)
                .order_by(Certification.id).limit(batch_size).with_for_update(skip_locked=True)
            )).all())
            if not due:
                break
            for certification in due:
                _end(certification, certification_rules.expiry(certification.valid_until))
            await uow.flush()
            held_by_enterprise = await held_tiers_of(uow.session, list({c.enterprise_id for c in due}))
            for certification in due:
                _record_tier_change(uow, certification, "expired", held_by_enterprise[certification.enterprise_id],
                                    action="certification.expire")
                expired.append(certification.id)
    return expired


async def list_certifications(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID, *, limit: int,
    cursor: str | None = None, tier: str | None = None, status: str | None = None,
) -> tuple[list[Certification], str | None]:
    """Tier history: every certification, newest first."""
    return await list_of_enterprise(sessions, actor, Certification, enterprise_id, limit=limit, cursor=cursor,
                                    tier=tier, status=status)


async def get_certification(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID, certification_id: uuid.UUID
) -> Certification:
    return await get_of_enterprise(sessions, actor, Certification, enterprise_id, certification_id, "certification")
