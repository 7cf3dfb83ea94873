"""The deadline job: what a passed deadline ends, acted on by the system (domain lifecycle part ``system``).

* A published scenario nobody took up by its deadline (no matchmaking started) is closed with the outcome
  ``need_lapsed``; ``scenario.closed`` is emitted as for any closing, and the scenario names the job as who closed
  it. A scenario already in matchmaking is left to its publisher and officer: the deadline was for answers, and
  answers came.
* A challenge whose application window passed its deadline moves on from ``applications_open`` to
  ``shortlisting`` (``close_applications``).

"Passed" means the deadline day is over: a deadline is the last day that still counts (Asia/Shanghai). Each record
is changed in its own unit of work, under its row lock and after checking again that it is still due, so that an
officer's concurrent change wins cleanly and a second run (or two runs at once) changes nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from services.scenarios.domain import challenges as challenge_rules
from services.scenarios.domain.lifecycle import Role as Part
from services.scenarios.domain.scenarios import (
    LAPSES_AT_DEADLINE,
    ScenarioCommand,
    ScenarioOutcome,
    transition,
)
from services.scenarios.models import Challenge, Scenario
from services.scenarios.service.scenarios import apply_transition
from shared.auth import Actor, Principal, Role
from shared.db import hold_write_lock
from shared.repository import apply_changes
from shared.uow import UnitOfWork, Work

JOB_SUBJECT = "job:scenarios-deadlines"


def job_actor() -> Actor:
    """The job as an actor: a service principal whose subject names the job in audit entries and on what it
    closed (``closed_by``)."""
    return Actor(Principal(subject=JOB_SUBJECT, role=Role.SERVICE), request_id=f"job-{uuid.uuid4().hex}")


@dataclass
class DeadlineRun:
    scenarios_closed: list[uuid.UUID] = field(default_factory=list)
    challenges_moved_on: list[uuid.UUID] = field(default_factory=list)


async def _due(work: Work, model: Any, states: frozenset[str], deadline: Any, today: date) -> list[uuid.UUID]:
    """The ids of the rows in ``states`` whose deadline day is over, oldest deadline first."""
    async with work.sessions() as session:
        return list((await session.scalars(select(model.id).where(model.status.in_(sorted(states)), deadline < today)
                                           .order_by(deadline, model.id))).all())


async def _locked(uow: UnitOfWork, model: Any, row_id: uuid.UUID) -> Any:
    """The row locked for this unit of work (FOR UPDATE on PostgreSQL, the write lock on SQLite), read afresh."""
    await hold_write_lock(uow.session, model.__table__)
    return await uow.session.get(model, row_id, with_for_update=True, populate_existing=True)


async def close_lapsed_scenarios(work: Work, actor: Actor, today: date) -> list[uuid.UUID]:
    closed = []
    for scenario_id in await _due(work, Scenario, frozenset(LAPSES_AT_DEADLINE), Scenario.deadline, today):
        async with work(actor) as uow:
            scenario = await _locked(uow, Scenario, scenario_id)
            # Looked at again under the lock: an officer may have moved it, or another run closed it.
            if scenario.status not in LAPSES_AT_DEADLINE or scenario.deadline >= today:
                continue
            change = transition(scenario.status, ScenarioCommand.CLOSE, Part.SYSTEM,
                                reason=f"截止日期 {scenario.deadline.isoformat()} 已过，无人承接（need lapsed at the deadline）",
                                outcome=ScenarioOutcome.NEED_LAPSED)
            await apply_transition(uow, actor, scenario, change)
            closed.append(scenario.id)
    return closed


async def close_lapsed_application_windows(work: Work, actor: Actor, today: date) -> list[uuid.UUID]:
    moved = []
    open_ = frozenset({challenge_rules.ChallengeStage.APPLICATIONS_OPEN.value})
    for challenge_id in await _due(work, Challenge, open_, Challenge.application_deadline, today):
        async with work(actor) as uow:
            challenge = await _locked(uow, Challenge, challenge_id)
            if challenge.status not in open_ or challenge.application_deadline >= today:
                continue
            change = challenge_rules.transition(
                challenge.status, challenge_rules.ChallengeCommand.CLOSE_APPLICATIONS, Part.SYSTEM,
                reason=f"申报截止日期 {challenge.application_deadline.isoformat()} 已过")
            apply_changes(challenge, {"status": change.to_state.value, "status_reason": change.reason})
            await uow.flush()
            uow.audit(f"challenge.{change.command.value}", "challenge", str(challenge.id),
                      {"status": {"from": change.from_state.value, "to": change.to_state.value},
                       "acting_as": change.role.value, "reason": change.reason})
            moved.append(challenge.id)
    return moved


async def run_deadlines(work: Work, today: date) -> DeadlineRun:
    actor = job_actor()
    return DeadlineRun(scenarios_closed=await close_lapsed_scenarios(work, actor, today),
                       challenges_moved_on=await close_lapsed_application_windows(work, actor, today))
