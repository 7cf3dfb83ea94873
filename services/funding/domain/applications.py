"""Applications (申报) and awards: the state machine from draft to payment, and the amount rules. Pure: no I/O.

States and transitions (``TRANSITIONS`` is the table; :func:`transition` the only way to move)::

    draft ─submit→ submitted ─confirm_eligible→ eligibility_checked ─start_review→ under_review ─approve→ approved
    submitted ─refuse_ineligible→ rejected            under_review ─reject→ rejected
    approved ─sign_agreement→ agreement ─disburse→ disbursing ─disburse→ disbursing (one tranche at a time)
    approved ─decline→ withdrawn
    agreement, disbursing ─close→ closed
    disbursing, closed ─claw_back→ clawed_back
    draft, submitted, eligibility_checked, under_review ─withdraw→ withdrawn

The enterprise withdraws (撤回) what is not yet approved and declines (放弃) an award. An automatic award (免申即享,
``awards``) starts in ``approved`` without an application; the firm's confirmation (意愿确认, REFERENCE §13.3) is
``sign_agreement`` and its refusal is ``decline``. Closing before the last tranche is a termination and needs a
reason (REFERENCE §7.8 leaves ``onFailure`` configurable: the unpaid rest is released; a clawback is a separate
decision). ``closed`` is not final: fraud found after acceptance is still clawed back.

Money follows the states: ``approve`` commits the amount in the round's ledger, each ``disburse`` pays the next
tranche from it, and ``decline``, an early ``close`` or a ``claw_back`` release what was never paid. ``transition``
returns those ledger entries with the new state; the service appends them in the same unit of work, with the
round's balance row locked, so a commitment the budget cannot hold is refused before anything is written.

Amount rules (:func:`check_amount`): an amount is a positive integer of fen, no more than was requested (an award
does not exceed the application), no more than the enterprise's cap for the round less what the round has already
awarded it, and no more than the round has left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import TypeVar

from services.funding.domain.actors import Actor
from services.funding.domain.eligibility import EligibilityOutcome, EligibilityResult
from services.funding.domain.errors import FundingRuleError
from services.funding.domain.ledger import Entry, EntryKind, Tranche, check_plan, single_tranche
from services.funding.domain.money import require_fen, yuan

T = TypeVar("T")


class ApplicationStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 已提交
    ELIGIBILITY_CHECKED = "eligibility_checked"  # 形式审查通过
    UNDER_REVIEW = "under_review"  # 专家评审中
    APPROVED = "approved"  # 拟资助 (amount fixed and committed)
    REJECTED = "rejected"  # 未通过
    AGREEMENT = "agreement"  # 已签约 / 已确认 (tranches fixed)
    DISBURSING = "disbursing"  # 拨付中
    CLOSED = "closed"  # 已结项 (or terminated, with the reason)
    CLAWED_BACK = "clawed_back"  # 已追回
    WITHDRAWN = "withdrawn"  # 已撤回 / 已放弃


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    CONFIRM_ELIGIBLE = "confirm_eligible"
    REFUSE_INELIGIBLE = "refuse_ineligible"
    START_REVIEW = "start_review"
    APPROVE = "approve"
    REJECT = "reject"
    DECLINE = "decline"
    SIGN_AGREEMENT = "sign_agreement"
    DISBURSE = "disburse"
    CLOSE = "close"
    CLAW_BACK = "claw_back"


class Origin(StrEnum):
    APPLICATION = "application"  # 申报制 / 快申快享: the firm applied
    AUTOMATIC = "automatic"  # 免申即享: created by a rule over the enterprise facts


class RejectionCode(StrEnum):
    INELIGIBLE = "ineligible"  # an eligibility rule failed
    REVIEW_SCORE = "review_score"  # the experts' score is below the line
    BUDGET_EXHAUSTED = "budget_exhausted"
    DOUBLE_SUPPORT = "double_support"  # the project is already funded (REFERENCE §13.4)
    INCOMPLETE = "incomplete"  # materials missing or not as required
    OTHER = "other"


@dataclass(frozen=True)
class RejectionReason:
    """Why an application was refused, for the applicant and for the statistics: a code, the sentence, and the
    eligibility rules that failed (if that was the ground)."""

    code: RejectionCode
    detail: str
    rules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", RejectionCode(self.code))
        if not self.detail.strip():
            raise ValueError("a rejection says why")


@dataclass(frozen=True)
class TransitionRule:
    source: ApplicationStatus
    action: Action
    target: ApplicationStatus
    actors: frozenset[Actor]


S, A = ApplicationStatus, Action
_E, _O, _SYS = Actor.ENTERPRISE, Actor.OFFICER, Actor.SYSTEM

TRANSITIONS: tuple[TransitionRule, ...] = tuple(TransitionRule(source, action, target, frozenset(actors)) for
                                                source, action, target, actors in (
    (S.DRAFT, A.SUBMIT, S.SUBMITTED, {_E}),
    (S.DRAFT, A.WITHDRAW, S.WITHDRAWN, {_E}),
    (S.SUBMITTED, A.CONFIRM_ELIGIBLE, S.ELIGIBILITY_CHECKED, {_SYS, _O}),
    (S.SUBMITTED, A.REFUSE_INELIGIBLE, S.REJECTED, {_SYS, _O}),
    (S.SUBMITTED, A.WITHDRAW, S.WITHDRAWN, {_E}),
    (S.ELIGIBILITY_CHECKED, A.START_REVIEW, S.UNDER_REVIEW, {_O}),
    (S.ELIGIBILITY_CHECKED, A.WITHDRAW, S.WITHDRAWN, {_E}),
    (S.UNDER_REVIEW, A.APPROVE, S.APPROVED, {_O}),
    (S.UNDER_REVIEW, A.REJECT, S.REJECTED, {_O}),
    (S.UNDER_REVIEW, A.WITHDRAW, S.WITHDRAWN, {_E}),
    (S.APPROVED, A.SIGN_AGREEMENT, S.AGREEMENT, {_E, _O}),
    (S.APPROVED, A.DECLINE, S.WITHDRAWN, {_E}),
    (S.AGREEMENT, A.DISBURSE, S.DISBURSING, {_O, _SYS}),
    (S.AGREEMENT, A.CLOSE, S.CLOSED, {_O}),
    (S.DISBURSING, A.DISBURSE, S.DISBURSING, {_O, _SYS}),
    (S.DISBURSING, A.CLOSE, S.CLOSED, {_O}),
    (S.DISBURSING, A.CLAW_BACK, S.CLAWED_BACK, {_O}),
    (S.CLOSED, A.CLAW_BACK, S.CLAWED_BACK, {_O}),
))
_TABLE = {(rule.source, rule.action): rule for rule in TRANSITIONS}

TERMINAL = frozenset(status for status in ApplicationStatus if not any(r.source == status for r in TRANSITIONS))
# States in which an amount has been approved (and committed in the ledger).
AWARDED = frozenset({S.APPROVED, S.AGREEMENT, S.DISBURSING, S.CLOSED, S.CLAWED_BACK})
# States in which the tranches are fixed.
CONTRACTED = frozenset({S.AGREEMENT, S.DISBURSING, S.CLOSED, S.CLAWED_BACK})


def allowed(status: ApplicationStatus | str, actor: Actor | None = None) -> tuple[TransitionRule, ...]:
    """The transitions out of ``status`` (that ``actor`` may trigger, if given), in table order."""
    return tuple(r for r in TRANSITIONS if r.source == status and (actor is None or actor in r.actors))


def _describe(rules: Iterable[TransitionRule]) -> str:
    return ", ".join(f"{r.action} (by {'/'.join(sorted(r.actors))})" for r in rules) or "none: the state is final"


class TransitionRefused(FundingRuleError):
    """An action the application's state does not have, or that this actor may not take. ``extra['allowed']`` lists
    the actions that are possible from the current state."""


class AmountRefused(FundingRuleError):
    """An amount that breaks an amount rule: ``code`` names which (``not_positive``, ``above_request``,
    ``above_enterprise_cap``, ``budget_exhausted``)."""


@dataclass(frozen=True)
class AmountLimits:
    """What bounds an amount in a round: the enterprise's cap (``programmes.enterprise_cap``), what the round has
    already awarded the enterprise, and what the round has left (``ledger.Balance.available_fen``, read under the
    round's lock; None where it is not checked yet, e.g. at submission)."""

    per_enterprise_cap_fen: int
    awarded_to_enterprise_fen: int = 0
    round_available_fen: int | None = None

    def __post_init__(self) -> None:
        require_fen(self.per_enterprise_cap_fen, "per_enterprise_cap_fen")
        require_fen(self.awarded_to_enterprise_fen, "awarded_to_enterprise_fen")
        if self.round_available_fen is not None and (isinstance(self.round_available_fen, bool)
                                                     or not isinstance(self.round_available_fen, int)):
            raise TypeError(f"round_available_fen must be an integer number of fen, not {self.round_available_fen!r}")


def check_amount(amount_fen: object, limits: AmountLimits, *, requested_fen: int | None = None) -> int:
    """``amount_fen`` if it keeps every amount rule; AmountRefused naming the first rule it breaks."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise AmountRefused("not_integer_fen", f"an amount is a whole number of fen, not {amount_fen!r}",
                            field="amount_fen")
    if amount_fen <= 0:
        raise AmountRefused("not_positive", f"an amount must be positive, got {amount_fen}", field="amount_fen")
    if requested_fen is not None and amount_fen > requested_fen:
        raise AmountRefused("above_request", f"{yuan(amount_fen)} is more than the {yuan(requested_fen)} requested",
                            field="amount_fen", requested_fen=requested_fen)
    headroom = limits.per_enterprise_cap_fen - limits.awarded_to_enterprise_fen
    if amount_fen > headroom:
        raise AmountRefused("above_enterprise_cap", f"{yuan(amount_fen)} is above what the enterprise may still "
                            f"receive from the round ({yuan(max(headroom, 0))} of a {yuan(limits.per_enterprise_cap_fen)} "
                            "cap)", field="amount_fen", cap_fen=limits.per_enterprise_cap_fen,
                            remaining_fen=max(headroom, 0))
    if limits.round_available_fen is not None and amount_fen > limits.round_available_fen:
        raise AmountRefused("budget_exhausted", f"the round has {yuan(max(limits.round_available_fen, 0))} left, less "
                            f"than {yuan(amount_fen)}", field="amount_fen",
                            available_fen=max(limits.round_available_fen, 0))
    return amount_fen


@dataclass(frozen=True)
class Application:
    """One application (or automatic award) to one round. Money fields are what the ledger holds for it."""

    id: str
    enterprise_id: str
    programme_id: str
    round_id: str
    project_title: str
    requested_fen: int
    status: ApplicationStatus = ApplicationStatus.DRAFT
    origin: Origin = Origin.APPLICATION
    approved_fen: int | None = None
    tranches: tuple[Tranche, ...] = ()
    rejection: RejectionReason | None = None
    open_checks: tuple[str, ...] = ()  # eligibility rules left open at the check: for the reviewers to settle
    released_fen: int = 0  # committed money returned to the round (declined, closed early, clawed back)
    clawed_back_fen: int = 0
    note: str = ""  # why it was withdrawn, terminated or clawed back

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ApplicationStatus(self.status))
        object.__setattr__(self, "origin", Origin(self.origin))
        try:
            require_fen(self.requested_fen, "requested_fen")
        except TypeError as exc:
            raise AmountRefused("not_integer_fen", str(exc), field="requested_fen") from None
        except ValueError as exc:  # 0 is allowed in a draft; submission requires a positive amount
            raise AmountRefused("not_positive", str(exc), field="requested_fen") from None

    @property
    def disbursed_fen(self) -> int:
        return sum(t.amount_fen for t in self.tranches if t.paid)

    @property
    def reserved_fen(self) -> int:
        """Committed and neither paid nor released."""
        return (self.approved_fen or 0) - self.disbursed_fen - self.released_fen

    @property
    def next_tranche(self) -> Tranche | None:
        return next((t for t in self.tranches if not t.paid), None)


@dataclass(frozen=True)
class Command:
    """An action with what it needs: ``on`` is the civil date; the other fields are read by the actions named."""

    action: Action
    actor: Actor
    on: date
    amount_fen: int | None = None  # approve: the amount; claw_back: the amount recovered (None: all paid)
    limits: AmountLimits | None = None  # submit, approve
    eligibility: EligibilityResult | None = None  # confirm_eligible, refuse_ineligible
    rejection: RejectionReason | None = None  # reject
    tranches: tuple[Tranche, ...] = ()  # sign_agreement (none: one tranche of the whole amount)
    tranche_index: int | None = None  # disburse: the tranche whose milestone was met
    note: str = ""  # withdraw, decline, close (required to close before the last tranche), claw_back (required)


@dataclass(frozen=True)
class Transitioned:
    """The application after the move and the ledger entries the move makes (in order)."""

    application: Application
    entries: tuple[Entry, ...] = ()


def _entry(app: Application, kind: EntryKind, amount_fen: int, on: date, suffix: str = "") -> Entry:
    # Keys are derived from the application: a retried approval or tranche payment is the same ledger entry.
    key = f"application:{app.id}:{kind}{suffix}"
    return Entry(kind, amount_fen, app.programme_id, app.round_id, app.id, key, on)


def transition(app: Application, command: Command) -> Transitioned:
    """The one way to move an application. TransitionRefused (the state has no such action, or the actor may not
    take it), AmountRefused, TranchePlanError or a FundingRuleError naming the missing input otherwise; on a refusal
    nothing changes."""
    rule = _TABLE.get((app.status, command.action))
    if rule is None:
        raise TransitionRefused("transition_not_allowed",
                                f"the application is {app.status}; {command.action} is not one of its transitions "
                                f"(allowed: {_describe(allowed(app.status))})", field="action",
                                status=str(app.status), allowed=[str(r.action) for r in allowed(app.status)])
    if command.actor not in rule.actors:
        raise TransitionRefused("actor_not_allowed",
                                f"{command.action} of a {app.status} application is for "
                                f"{'/'.join(sorted(rule.actors))}, not {command.actor} (allowed for {command.actor}: "
                                f"{_describe(allowed(app.status, command.actor))})", field="action",
                                status=str(app.status), allowed=[str(r.action) for r in allowed(app.status)])
    moved, entries = _GUARDS[command.action](app, command)
    return Transitioned(replace(moved, status=rule.target), entries)


Effect = tuple[Application, tuple[Entry, ...]]


def _need(value: T | None, name: str, action: Action) -> T:
    if value is None:
        raise FundingRuleError("missing_input", f"{action} needs {name}", field=name)
    return value


def _submit(app: Application, c: Command) -> Effect:
    if not app.project_title.strip():
        raise FundingRuleError("missing_input", "an application names its project", field="project_title")
    limits = _need(c.limits, "limits", c.action)
    check_amount(app.requested_fen, replace(limits, round_available_fen=None))
    return app, ()


def _withdraw(app: Application, c: Command) -> Effect:
    return replace(app, note=c.note), ()


def _confirm_eligible(app: Application, c: Command) -> Effect:
    result = _need(c.eligibility, "eligibility", c.action)
    if result.outcome == EligibilityOutcome.NOT_ELIGIBLE:
        raise FundingRuleError("not_eligible", "the enterprise is not eligible: " + result.summary(),
                               field="eligibility", rules=[r.code for r in result.failed])
    return replace(app, open_checks=tuple(r.code for r in result.open)), ()


def _refuse_ineligible(app: Application, c: Command) -> Effect:
    result = _need(c.eligibility, "eligibility", c.action)
    if result.outcome != EligibilityOutcome.NOT_ELIGIBLE:
        raise FundingRuleError("eligible", f"the eligibility check found {result.outcome}; only a failed rule "
                               "refuses an application here", field="eligibility")
    reason = RejectionReason(RejectionCode.INELIGIBLE, result.summary(), tuple(r.code for r in result.failed))
    return replace(app, rejection=reason), ()


def _start_review(app: Application, c: Command) -> Effect:
    return app, ()


def _approve(app: Application, c: Command) -> Effect:
    amount_fen = _need(c.amount_fen, "amount_fen", c.action)
    limits = _need(c.limits, "limits", c.action)
    amount = check_amount(amount_fen, limits, requested_fen=app.requested_fen)
    return replace(app, approved_fen=amount), (_entry(app, EntryKind.COMMITTED, amount, c.on),)


def _reject(app: Application, c: Command) -> Effect:
    return replace(app, rejection=_need(c.rejection, "rejection", c.action)), ()


def _release(app: Application, on: date) -> tuple[Application, tuple[Entry, ...]]:
    remaining = app.reserved_fen
    if remaining <= 0:
        return app, ()
    return replace(app, released_fen=app.released_fen + remaining), (_entry(app, EntryKind.RELEASED, remaining, on),)


def _decline(app: Application, c: Command) -> Effect:
    return _release(replace(app, note=c.note), c.on)


def _sign_agreement(app: Application, c: Command) -> Effect:
    approved = _need(app.approved_fen, "approved_fen", c.action)
    tranches = c.tranches or single_tranche(approved)
    check_plan(approved, tranches)
    return replace(app, tranches=tuple(tranches)), ()


def _disburse(app: Application, c: Command) -> Effect:
    index = _need(c.tranche_index, "tranche_index", c.action)
    following = app.next_tranche
    if following is None:
        raise FundingRuleError("fully_disbursed", "every tranche is paid; close the application", field="tranche_index")
    if index != following.index:
        if index < following.index:
            raise FundingRuleError("tranche_already_paid", f"tranche {index} is paid already", field="tranche_index")
        raise FundingRuleError("tranche_out_of_order", f"tranche {following.index} ({following.milestone}) is next; "
                               "tranches are paid in order", field="tranche_index")
    paid = replace(following, paid_on=c.on)
    tranches = tuple(paid if t.index == paid.index else t for t in app.tranches)
    entry = _entry(app, EntryKind.DISBURSED, paid.amount_fen, c.on, f":{paid.index}")
    return replace(app, tranches=tranches), (entry,)


def _close(app: Application, c: Command) -> Effect:
    if app.next_tranche is not None and not c.note.strip():
        raise FundingRuleError("missing_input", "closing before the last tranche is a termination: say why (e.g. the "
                               "milestone was missed)", field="note")
    return _release(replace(app, note=c.note), c.on)


def _claw_back(app: Application, c: Command) -> Effect:
    if not c.note.strip():
        raise FundingRuleError("missing_input", "a clawback names its ground (弄虚作假, 挪用 …)", field="note")
    recoverable = app.disbursed_fen - app.clawed_back_fen
    if recoverable <= 0:
        raise FundingRuleError("nothing_paid", "nothing was paid, so nothing can be clawed back; close the "
                               "application instead", field="amount_fen")
    amount = recoverable if c.amount_fen is None else c.amount_fen
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= recoverable:
        raise AmountRefused("invalid_clawback", f"a clawback recovers between 0.01元 and the {yuan(recoverable)} "
                            f"paid, not {amount!r}", field="amount_fen", recoverable_fen=recoverable)
    # Payments stop: what was committed and not yet paid goes back to the round first.
    released, entries = _release(replace(app, note=c.note), c.on)
    clawed = _entry(app, EntryKind.CLAWED_BACK, amount, c.on)
    return replace(released, clawed_back_fen=app.clawed_back_fen + amount), (*entries, clawed)


_GUARDS = {
    Action.SUBMIT: _submit,
    Action.WITHDRAW: _withdraw,
    Action.CONFIRM_ELIGIBLE: _confirm_eligible,
    Action.REFUSE_INELIGIBLE: _refuse_ineligible,
    Action.START_REVIEW: _start_review,
    Action.APPROVE: _approve,
    Action.REJECT: _reject,
    Action.DECLINE: _decline,
    Action.SIGN_AGREEMENT: _sign_agreement,
    Action.DISBURSE: _disburse,
    Action.CLOSE: _close,
    Action.CLAW_BACK: _claw_back,
}


def eligibility_command(result: EligibilityResult, actor: Actor, on: date) -> Command:
    """The command that records an eligibility check: refusal on a failed rule, otherwise on to review (with the
    open rules listed for the reviewers)."""
    action = Action.REFUSE_INELIGIBLE if result.outcome == EligibilityOutcome.NOT_ELIGIBLE else Action.CONFIRM_ELIGIBLE
    return Command(action, actor, on, eligibility=result)


def pre_approved(*, id: str, enterprise_id: str, programme_id: str, round_id: str, title: str, amount_fen: int,
                 limits: AmountLimits, on: date) -> Transitioned:
    """A 免申即享 award: an application that starts ``approved`` (no draft, no review), with its commitment."""
    amount = check_amount(amount_fen, limits)
    app = Application(id, enterprise_id, programme_id, round_id, title, amount, ApplicationStatus.APPROVED,
                      Origin.AUTOMATIC, approved_fen=amount)
    return Transitioned(app, (_entry(app, EntryKind.COMMITTED, amount, on),))


def invariant_violations(app: Application) -> tuple[str, ...]:
    """What is wrong with an application's state (empty: a legal state). The rules the transitions keep; a test
    and a repair job can check stored rows against them."""
    problems: list[str] = []
    awarded, contracted = app.status in AWARDED, app.status in CONTRACTED
    approved = app.approved_fen
    if app.status not in (S.DRAFT, S.WITHDRAWN) and app.requested_fen <= 0:
        problems.append("a submitted application requests a positive amount")
    if awarded and (approved is None or approved <= 0):
        problems.append(f"a {app.status} application has a positive approved amount")
    if approved is not None and approved > app.requested_fen:
        problems.append("the approved amount exceeds the request")
    if approved is None and (app.tranches or app.released_fen or app.clawed_back_fen):
        problems.append("money moved without an approved amount")
    if (app.rejection is not None) != (app.status == S.REJECTED):
        problems.append("a rejection reason belongs to a rejected application, and only to one")
    if bool(app.tranches) != contracted:
        problems.append(f"tranches are fixed exactly from the agreement on (status {app.status})")
    if app.tranches:
        if sum(t.amount_fen for t in app.tranches) != approved:
            problems.append("the tranches do not add up to the approved amount")
        paid = [t.paid for t in app.tranches]
        if paid != sorted(paid, reverse=True):
            problems.append("tranches were paid out of order")
    disbursed = app.disbursed_fen
    if app.status == S.AGREEMENT and disbursed:
        problems.append("an agreement with a tranche paid is disbursing")
    if app.status == S.DISBURSING and not disbursed:
        problems.append("a disbursing application has paid a tranche")
    if app.status == S.APPROVED and (disbursed or app.released_fen):
        problems.append("an approved application has neither paid nor released money")
    if app.reserved_fen < 0:
        problems.append("more was paid and released than was committed")
    if app.status in (S.CLOSED, S.CLAWED_BACK, S.WITHDRAWN) and app.reserved_fen != 0:
        problems.append(f"a {app.status} application still holds a reservation")
    if not 0 <= app.clawed_back_fen <= disbursed:
        problems.append("more was clawed back than was paid")
    if (app.clawed_back_fen > 0) != (app.status == S.CLAWED_BACK):
        problems.append("clawed-back money belongs to a clawed-back application, and only to one")
    return tuple(problems)
