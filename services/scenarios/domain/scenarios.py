"""Scenarios (产业链场景应用清单: one entry of the industrial-chain scenario application list): the lifecycle as a
transition table, and the checks of a scenario's content that need no I/O. Pure rules.

Lifecycle
---------
REFERENCE §14.5 gives the stages the sources support, 征集 → 凝练/发布 → 对接 → 应用验证 → 推广 ([C]; the stage names
are ours, [U]). A scenario is written by its publisher (a firm, or a department through its officer), checked by an
officer before it goes on the list, then follows the need through matchmaking and a trial to roll-out::

    draft ──submit──▶ submitted ──approve──▶ approved ──publish──▶ published ──start_docking──▶ docking
      ▲                  │                                                                       │
      └──reject (reason)─┘                                                               start_pilot
                                                                                                 ▼
                               closed ◀──close (outcome, reason)── scale_up ◀──scale_up──── pilot

* **withdraw** (with a reason) ends a scenario before any trial: from draft, submitted, approved, published or
  docking. Once a pilot runs, the end is a **close** that records what the trial gave.
* **close** records the outcome (:class:`ScenarioOutcome`) and a reason, from published, docking, pilot or
  scale-up; the outcomes that make sense depend on how far the scenario got (:data:`OUTCOMES_FROM`), so that a
  scenario never reads "scaled up" without having been piloted. The scheduled job may close a published scenario
  nobody answered (outcome ``need_lapsed``) once its deadline passed.
* closed and withdrawn are final.

Content
-------
:class:`ScenarioContent` checks itself when built: sector (四业) and cluster ("4210") from the tables, a Huzhou
district, capability tags normalised, a budget range in fen with min ≤ max. The deadline is checked at approval
and publication (:func:`check_publishable`), against ``today`` as the caller gives it: a draft may sit for a while,
but nothing goes on the list with its deadline already past.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from services.scenarios.domain.classification import (
    check_cluster,
    check_district,
    check_functional_zone,
    check_sector,
)
from services.scenarios.domain.lifecycle import Change, Role, Step, take_step
from services.scenarios.domain.values import (
    Publisher,
    check_fen,
    check_text,
    normalise_tags,
    optional_text,
    show_fen,
    within,
)
from shared.errors import Conflict, InvalidInput

AGGREGATE = "scenario"


class ScenarioStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 已提交: waiting for an officer
    APPROVED = "approved"  # 审核通过: approved for publication
    PUBLISHED = "published"  # 已发布 (on the list)
    DOCKING = "docking"  # 对接: matchmaking with suppliers
    PILOT = "pilot"  # 应用验证: a trial in a real setting
    SCALE_UP = "scale_up"  # 规模推广
    CLOSED = "closed"  # 已结束 (with an outcome)
    WITHDRAWN = "withdrawn"  # 已撤回


class ScenarioCommand(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"  # back to draft (退回修改)
    PUBLISH = "publish"
    START_DOCKING = "start_docking"
    START_PILOT = "start_pilot"
    SCALE_UP = "scale_up"
    CLOSE = "close"
    WITHDRAW = "withdraw"


class ScenarioOutcome(StrEnum):
    """How a closed scenario ended (结果), recorded with who closed it."""

    SCALED_UP = "scaled_up"  # rolled out after the trial (规模推广)
    VALIDATED = "validated"  # the trial succeeded (应用验证通过); no roll-out followed
    PILOT_FAILED = "pilot_failed"  # the trial did not meet the need
    NO_MATCH = "no_match"  # no supplier could meet the need
    NEED_LAPSED = "need_lapsed"  # the need went away, or the deadline passed unanswered


S, C = ScenarioStatus, ScenarioCommand
_PUBLISHER, _OFFICER = frozenset({Role.PUBLISHER}), frozenset({Role.OFFICER})
_EITHER = frozenset({Role.PUBLISHER, Role.OFFICER})
_WITHDRAW = Step(S.WITHDRAWN, _EITHER, reason_required=True)

TRANSITIONS = MappingProxyType({
    S.DRAFT: MappingProxyType({C.SUBMIT: Step(S.SUBMITTED, _PUBLISHER), C.WITHDRAW: _WITHDRAW}),
    S.SUBMITTED: MappingProxyType({
        C.APPROVE: Step(S.APPROVED, _OFFICER),
        C.REJECT: Step(S.DRAFT, _OFFICER, reason_required=True),
        C.WITHDRAW: _WITHDRAW,
    }),
    S.APPROVED: MappingProxyType({C.PUBLISH: Step(S.PUBLISHED, _OFFICER), C.WITHDRAW: _WITHDRAW}),
    S.PUBLISHED: MappingProxyType({
        C.START_DOCKING: Step(S.DOCKING, _EITHER),
        # The scheduled job closes what nobody answered by the deadline (outcome need_lapsed).
        C.CLOSE: Step(S.CLOSED, _EITHER | {Role.SYSTEM}, reason_required=True),
        C.WITHDRAW: _WITHDRAW,
    }),
    S.DOCKING: MappingProxyType({
        C.START_PILOT: Step(S.PILOT, _EITHER),
        C.CLOSE: Step(S.CLOSED, _EITHER, reason_required=True),
        C.WITHDRAW: _WITHDRAW,
    }),
    S.PILOT: MappingProxyType({
        C.SCALE_UP: Step(S.SCALE_UP, _EITHER),
        C.CLOSE: Step(S.CLOSED, _EITHER, reason_required=True),
    }),
    S.SCALE_UP: MappingProxyType({C.CLOSE: Step(S.CLOSED, _EITHER, reason_required=True)}),
    S.CLOSED: MappingProxyType({}),
    S.WITHDRAWN: MappingProxyType({}),
})

# The outcomes a scenario may close with, by the stage it got to.
OUTCOMES_FROM = MappingProxyType({
    S.PUBLISHED: frozenset({ScenarioOutcome.NO_MATCH, ScenarioOutcome.NEED_LAPSED}),
    S.DOCKING: frozenset({ScenarioOutcome.NO_MATCH, ScenarioOutcome.NEED_LAPSED}),
    S.PILOT: frozenset({ScenarioOutcome.VALIDATED, ScenarioOutcome.PILOT_FAILED, ScenarioOutcome.NEED_LAPSED}),
    S.SCALE_UP: frozenset({ScenarioOutcome.SCALED_UP}),
})

EDITABLE = frozenset({S.DRAFT})  # content changes go through review again: only a draft is edited
ACCEPTS_INTEREST = frozenset({S.PUBLISHED, S.DOCKING})  # firms express interest while it is on the list, unmatched
# Without a token: what is on the list, and how it ended (closed is reached only from the list). A withdrawn
# scenario is taken off, whether or not it had been published.
VISIBLE_TO_PUBLIC = frozenset({S.PUBLISHED, S.DOCKING, S.PILOT, S.SCALE_UP, S.CLOSED})
# The entries of an edition of the scenario list (domain.editions): what is on the list and still running.
ON_THE_LIST = frozenset({S.PUBLISHED, S.DOCKING, S.PILOT, S.SCALE_UP})
# What the deadline job closes once the deadline passed: a scenario nobody took up (none in matchmaking yet).
LAPSES_AT_DEADLINE = frozenset({S.PUBLISHED})


def transition(current: ScenarioStatus | str, command: ScenarioCommand | str, acting_as: Role | str | Iterable[Role],
               *, reason: str | None = None, outcome: ScenarioOutcome | str | None = None) -> Change:
    """The change ``command`` makes to a scenario in ``current``, or a refusal naming what ``current`` allows.
    Closing needs an outcome that fits the stage reached (:data:`OUTCOMES_FROM`) besides its reason."""
    change = take_step(AGGREGATE, TRANSITIONS, ScenarioStatus, ScenarioCommand, current, command, acting_as, reason)
    if change.command is not C.CLOSE:
        if outcome is not None:
            raise InvalidInput(f"only closing records an outcome, not {change.command}", field="outcome")
        return change
    fitting = OUTCOMES_FROM[change.from_state]
    names = ", ".join(sorted(fitting))
    if outcome is None:
        raise InvalidInput(f"closing a scenario records its outcome: one of {names}", field="outcome",
                           outcomes_allowed=sorted(fitting))
    try:
        result = ScenarioOutcome(outcome)
    except ValueError:
        raise InvalidInput(f"unknown outcome {outcome!r}; one of {names}", field="outcome",
                           outcomes_allowed=sorted(fitting)) from None
    if result not in fitting:
        raise InvalidInput(f"a scenario closed from {change.from_state} cannot have the outcome {result}; "
                           f"one of {names}", field="outcome", outcomes_allowed=sorted(fitting))
    return Change(change.aggregate, change.from_state, change.to_state, change.command, change.role, change.reason,
                  result)


def _ensure_in(states: frozenset[ScenarioStatus], current: ScenarioStatus | str, doing: str) -> None:
    status = ScenarioStatus(current)
    if status not in states:
        raise Conflict(f"a scenario in state {status} cannot {doing}; only in: {', '.join(sorted(states))}",
                       field="status", current_status=status.value, states_allowed=sorted(states))


def ensure_editable(current: ScenarioStatus | str) -> None:
    _ensure_in(EDITABLE, current, "be edited")


def ensure_accepts_interest(current: ScenarioStatus | str) -> None:
    """意向: an enterprise may express interest while the scenario is published or in matchmaking."""
    _ensure_in(ACCEPTS_INTEREST, current, "take expressions of interest")


# --------------------------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------------------------


class ScenarioKind(StrEnum):
    """The three kinds of scenario of 国办发〔2025〕37号 (REFERENCE §14.1, [V])."""

    MAJOR_INTEGRATED = "major_integrated"  # 综合性重大场景
    INDUSTRY_INTEGRATED = "industry_integrated"  # 行业领域集成式场景
    HIGH_VALUE_NICHE = "high_value_niche"  # 高价值小切口场景


@dataclass(frozen=True)
class BudgetRange:
    """预算区间 in fen: what the publisher expects to spend on a solution, from ``min_fen`` to ``max_fen``
    (equal bounds are a fixed budget)."""

    min_fen: int
    max_fen: int

    def __post_init__(self) -> None:
        check_fen(self.min_fen, "min_fen")
        check_fen(self.max_fen, "max_fen")
        if self.min_fen > self.max_fen:
            raise InvalidInput(f"the budget's minimum {show_fen(self.min_fen)} is above its maximum "
                               f"{show_fen(self.max_fen)}", field="max_fen")


@dataclass(frozen=True, kw_only=True)
class ScenarioContent:
    """What a scenario says. Checked and normalised when built; a refusal names its field (``budget.max_fen``).

    ``industry_chain`` is free text: only two of Huzhou's eight emerging chains were confirmed by name
    (REFERENCE §8.2, [U]), so there is no table to hold it against yet."""

    publisher: Publisher
    title: str
    description: str  # in Chinese, as the publisher wrote it
    sector: str  # 四业
    district_code: str  # where the scenario is (a county-level code)
    deadline: date  # the last day to answer the need
    deliverable: str  # 预期成果
    capability_tags: tuple[str, ...] = ()
    cluster: str | None = None  # "4210"; a government scenario may fit none
    functional_zone: str | None = None  # 南太湖新区 has no division code: kept beside the district
    budget: BudgetRange | None = None  # None: 面议 (to be negotiated)
    industry_chain: str | None = None
    kind: ScenarioKind | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.publisher, Publisher):
            raise InvalidInput("the publisher is required", field="publisher")
        set_(self, "title", check_text(self.title, "title"))
        set_(self, "description", check_text(self.description, "description"))
        set_(self, "deliverable", check_text(self.deliverable, "deliverable"))
        set_(self, "sector", check_sector(self.sector))
        set_(self, "district_code", check_district(self.district_code))
        if not isinstance(self.deadline, date):
            raise InvalidInput("the deadline is a date", field="deadline")
        set_(self, "capability_tags", normalise_tags(self.capability_tags))
        if self.cluster is not None:
            set_(self, "cluster", check_cluster(self.cluster))
        if self.functional_zone is not None:
            set_(self, "functional_zone", check_functional_zone(self.functional_zone))
        if self.budget is not None and not isinstance(self.budget, BudgetRange):
            raise InvalidInput("the budget is a range in fen", field="budget")
        set_(self, "industry_chain", optional_text(self.industry_chain, "industry_chain"))
        if self.kind is not None:
            try:
                set_(self, "kind", ScenarioKind(self.kind))
            except ValueError:
                raise InvalidInput(f"unknown scenario kind {self.kind!r}; one of: {', '.join(ScenarioKind)}",
                                   field="kind") from None


def budget_range(min_fen: object, max_fen: object) -> BudgetRange:
    """A budget range built from request values, with its fields named as the request names them."""
    with within("budget"):
        return BudgetRange(min_fen, max_fen)  # type: ignore[arg-type]


class DeadlinePassed(InvalidInput):
    pass


def check_publishable(content: ScenarioContent, today: date) -> None:
    """Before approval and publication: the deadline is today or later ("not in the past": the last day still
    counts, as with every deadline of the programme)."""
    if content.deadline < today:
        raise DeadlinePassed(f"the deadline {content.deadline.isoformat()} is already past (today is "
                             f"{today.isoformat()}); set a later one before it goes on the list", field="deadline")
