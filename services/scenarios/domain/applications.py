"""Applications to a challenge (揭榜申报): who applies (an enterprise alone, or leading a consortium), what it
proposes, its life through shortlisting, review and appointment (挂帅), and the structured reason every applicant
not chosen is given. Pure rules.

Lifecycle::

    submitted ──shortlist──▶ shortlisted ──start_review──▶ under_review ──appoint──▶ appointed
        │                        │                              │
        └─reject (code, reason)  └─decline (code, reason)       └─decline (code, reason)──▶ not_appointed
          ▼                        ▼
    not_shortlisted          not_appointed

    withdraw: the applicant, any time before a decision (submitted, shortlisted, under_review) ──▶ withdrawn

An applicant turned away is always told why in a structured form: a :class:`DeclineCode` that a client can act on
and a sentence that explains it (:class:`NotChosen`). :func:`reasons_not_chosen` writes them for every application
left when the appointments are made, and :func:`reasons_on_cancellation` when the challenge is cancelled.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from services.scenarios.domain.challenges import (
    APPOINTING,
    DEFAULT_RULES,
    ChallengeRules,
    ChallengeStage,
    ChallengeTerms,
    ensure_accepting_applications,
)
from services.scenarios.domain.eligibility import EligibilityResult
from services.scenarios.domain.lifecycle import Change, Role, Step, take_step
from services.scenarios.domain.reviews import DEFAULT_REVIEW_RULES, Ranking, ReviewRules
from services.scenarios.domain.values import check_fen, check_text, optional_text, show_fen, within
from shared.errors import Conflict, InvalidInput
from shared.ids import InvalidIdentifier, validate_uscc

AGGREGATE = "application"


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"  # 已申报
    SHORTLISTED = "shortlisted"  # 通过形式审查
    NOT_SHORTLISTED = "not_shortlisted"  # 形式审查未通过
    UNDER_REVIEW = "under_review"  # 专家评审中
    APPOINTED = "appointed"  # 挂帅
    NOT_APPOINTED = "not_appointed"  # 未入选
    WITHDRAWN = "withdrawn"  # 已撤回


class ApplicationCommand(StrEnum):
    SHORTLIST = "shortlist"
    REJECT = "reject"  # at shortlisting
    START_REVIEW = "start_review"
    APPOINT = "appoint"
    DECLINE = "decline"  # after shortlisting: not appointed
    WITHDRAW = "withdraw"


class DeclineCode(StrEnum):
    """Why an applicant was not chosen, in a form a client can act on."""

    INELIGIBLE = "ineligible"  # fails an eligibility rule (the text names it)
    INCOMPLETE = "incomplete"  # 形式审查: documents or commitments missing
    OUT_OF_SCOPE = "out_of_scope"  # the proposal does not address the challenge's indicators
    NOT_RANKED = "not_ranked"  # not enough score sheets to be ranked when the appointments were made
    BELOW_PASS_MARK = "below_pass_mark"  # scored below the pass mark
    RANKED_BELOW = "ranked_below"  # ranked below the team(s) appointed
    CHALLENGE_CANCELLED = "challenge_cancelled"  # the challenge was cancelled (流榜, withdrawn)
    OTHER = "other"  # the text says it all


S, C, D = ApplicationStatus, ApplicationCommand, DeclineCode
_OFFICER, _APPLICANT = frozenset({Role.OFFICER}), frozenset({Role.APPLICANT})
_WITHDRAW = Step(S.WITHDRAWN, _APPLICANT)

TRANSITIONS = MappingProxyType({
    S.SUBMITTED: MappingProxyType({
        C.SHORTLIST: Step(S.SHORTLISTED, _OFFICER),
        C.REJECT: Step(S.NOT_SHORTLISTED, _OFFICER, reason_required=True),
        C.WITHDRAW: _WITHDRAW,
    }),
    S.SHORTLISTED: MappingProxyType({
        C.START_REVIEW: Step(S.UNDER_REVIEW, _OFFICER),
        C.DECLINE: Step(S.NOT_APPOINTED, _OFFICER, reason_required=True),  # the challenge cancelled before review
        C.WITHDRAW: _WITHDRAW,
    }),
    S.UNDER_REVIEW: MappingProxyType({
        C.APPOINT: Step(S.APPOINTED, _OFFICER),
        C.DECLINE: Step(S.NOT_APPOINTED, _OFFICER, reason_required=True),
        C.WITHDRAW: _WITHDRAW,
    }),
    S.APPOINTED: MappingProxyType({}),
    S.NOT_SHORTLISTED: MappingProxyType({}),
    S.NOT_APPOINTED: MappingProxyType({}),
    S.WITHDRAWN: MappingProxyType({}),
})

# The codes that fit each refusal: nobody is "ranked below" before the ranking exists.
CODES_FOR = MappingProxyType({
    C.REJECT: frozenset({D.INELIGIBLE, D.INCOMPLETE, D.OUT_OF_SCOPE, D.CHALLENGE_CANCELLED, D.OTHER}),
    C.DECLINE: frozenset({D.INELIGIBLE, D.NOT_RANKED, D.BELOW_PASS_MARK, D.RANKED_BELOW, D.CHALLENGE_CANCELLED,
                          D.OTHER}),
})
IN_CONTENTION = frozenset({S.SHORTLISTED, S.UNDER_REVIEW})
OPEN = frozenset({S.SUBMITTED, S.SHORTLISTED, S.UNDER_REVIEW})


@dataclass(frozen=True)
class NotChosen:
    """The structured reason an applicant is given: a code and a sentence."""

    code: DeclineCode
    text: str

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "code", DeclineCode(self.code))
        except ValueError:
            raise InvalidInput(f"unknown reason code {self.code!r}; one of: {', '.join(DeclineCode)}",
                               field="reason_code") from None
        object.__setattr__(self, "text", check_text(self.text, "reason"))


def transition(current: ApplicationStatus | str, command: ApplicationCommand | str,
               acting_as: Role | str | Iterable[Role], *, reason: str | None = None,
               reason_code: DeclineCode | str | None = None) -> Change:
    """The change ``command`` makes to an application in ``current``, or a refusal naming what ``current`` allows.
    Turning an applicant away (reject, decline) needs a reason code that fits the command (:data:`CODES_FOR`) and
    the reason's text; the code is returned as the change's ``outcome``."""
    change = take_step(AGGREGATE, TRANSITIONS, ApplicationStatus, ApplicationCommand, current, command, acting_as,
                       reason)
    fitting = CODES_FOR.get(change.command)  # type: ignore[call-overload]
    if fitting is None:
        if reason_code is not None:
            raise InvalidInput(f"only reject and decline carry a reason code, not {change.command}",
                               field="reason_code")
        return change
    codes = ", ".join(sorted(fitting))
    if reason_code is None:
        raise InvalidInput(f"an applicant turned away is told why: give a reason code ({codes})",
                           field="reason_code", codes_allowed=sorted(fitting))
    try:
        code = DeclineCode(reason_code)
    except ValueError:
        raise InvalidInput(f"unknown reason code {reason_code!r}; one of: {codes}", field="reason_code",
                           codes_allowed=sorted(fitting)) from None
    if code not in fitting:
        raise InvalidInput(f"{code} does not fit {change.command}; one of: {codes}", field="reason_code",
                           codes_allowed=sorted(fitting))
    return Change(change.aggregate, change.from_state, change.to_state, change.command, change.role, change.reason,
                  code)


def decline(current: ApplicationStatus | str, why: NotChosen, acting_as: Role | str | Iterable[Role] = Role.OFFICER
            ) -> Change:
    """Turn an open application away with a structured reason: reject before shortlisting, decline after."""
    command = C.REJECT if ApplicationStatus(current) is S.SUBMITTED else C.DECLINE
    return transition(current, command, acting_as, reason=why.text, reason_code=why.code)


# --------------------------------------------------------------------------------------------------------------
# What an application says
# --------------------------------------------------------------------------------------------------------------


def _uscc(value: object, field: str) -> str:
    try:
        return validate_uscc(value)  # type: ignore[arg-type]
    except InvalidIdentifier as exc:
        raise InvalidInput(str(exc), field=field) from None


class PartnerRole(StrEnum):
    """A consortium partner's part (创新联合体成员, REFERENCE §7.2, §7.7)."""

    CO_DEVELOPER = "co_developer"  # 联合研发企业
    UNIVERSITY = "university"  # 高校
    RESEARCH_INSTITUTE = "research_institute"  # 科研院所 / 新型研发机构
    USER = "user"  # 应用单位: where the result is validated
    FINANCIAL_INSTITUTION = "financial_institution"  # 金融机构


@dataclass(frozen=True)
class Partner:
    uscc: str
    name: str
    role: PartnerRole
    responsibility: str  # 分工

    def __post_init__(self) -> None:
        object.__setattr__(self, "uscc", _uscc(self.uscc, "uscc"))
        object.__setattr__(self, "name", check_text(self.name, "name"))
        try:
            object.__setattr__(self, "role", PartnerRole(self.role))
        except ValueError:
            raise InvalidInput(f"unknown partner role {self.role!r}; one of: {', '.join(PartnerRole)}",
                               field="role") from None
        object.__setattr__(self, "responsibility", check_text(self.responsibility, "responsibility"))


class TeamRole(StrEnum):
    LEAD = "lead"  # 项目负责人 (挂帅 is this person's charge)
    CORE = "core"  # 核心成员


@dataclass(frozen=True)
class TeamMember:
    """A member of the team (personal data: the service masks names for those who need not see them)."""

    name: str
    role: TeamRole
    organisation_uscc: str  # the lead applicant's or a partner's
    title: str | None = None  # 职称 / 职务

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_text(self.name, "name"))
        try:
            object.__setattr__(self, "role", TeamRole(self.role))
        except ValueError:
            raise InvalidInput(f"unknown team role {self.role!r}; one of: {', '.join(TeamRole)}", field="role") from None
        object.__setattr__(self, "organisation_uscc", _uscc(self.organisation_uscc, "organisation_uscc"))
        object.__setattr__(self, "title", optional_text(self.title, "title"))


@dataclass(frozen=True, kw_only=True)
class ApplicationContent:
    """揭榜申报书: the lead applicant, the consortium, the proposal, the money and the team. Checked when built;
    a refusal names its field (``partners.1.uscc``, ``team.0.organisation_uscc``)."""

    lead_uscc: str
    summary: str  # 方案概述
    technical_route: str  # 技术路线: what sets apart parallel teams in a 赛马 (REFERENCE §7.8)
    budget_fen: int  # the project's whole budget
    requested_fen: int  # the part of the bounty asked for
    team: tuple[TeamMember, ...]
    partners: tuple[Partner, ...] = ()
    commitment_signed: bool = False  # 承诺按期完成 (REFERENCE §7.7)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "lead_uscc", _uscc(self.lead_uscc, "lead_uscc"))
        set_(self, "summary", check_text(self.summary, "summary"))
        set_(self, "technical_route", check_text(self.technical_route, "technical_route"))
        check_fen(self.budget_fen, "budget_fen", positive=True)
        check_fen(self.requested_fen, "requested_fen", positive=True)
        if self.requested_fen > self.budget_fen:
            raise InvalidInput(f"the bounty asked for ({show_fen(self.requested_fen)}) is more than the project's "
                               f"budget ({show_fen(self.budget_fen)})", field="requested_fen")
        partners, team = tuple(self.partners), tuple(self.team)
        seen = {self.lead_uscc}
        for index, partner in enumerate(partners):
            if not isinstance(partner, Partner):
                raise InvalidInput("a partner has a USCC, a name, a role and a responsibility", field=f"partners.{index}")
            if partner.uscc in seen:
                what = "the lead applicant" if partner.uscc == self.lead_uscc else "listed twice"
                raise InvalidInput(f"partner {partner.uscc} is {what}", field=f"partners.{index}.uscc")
            seen.add(partner.uscc)
        if not team:
            raise InvalidInput("an application names its team", field="team")
        for index, member in enumerate(team):
            if not isinstance(member, TeamMember):
                raise InvalidInput("a team member has a name, a role and an organisation", field=f"team.{index}")
        leads = [index for index, member in enumerate(team) if member.role is TeamRole.LEAD]
        if len(leads) != 1:
            raise InvalidInput(f"a team has exactly one lead (项目负责人); this one has {len(leads)}",
                               field=f"team.{leads[1]}.role" if leads else "team")
        for index, member in enumerate(team):
            if member.organisation_uscc not in seen:
                raise InvalidInput(f"{member.name} belongs to {member.organisation_uscc}, which is neither the lead "
                                   "applicant nor a partner", field=f"team.{index}.organisation_uscc")
        set_(self, "partners", partners)
        set_(self, "team", team)

    @property
    def partner_usccs(self) -> tuple[str, ...]:
        return tuple(p.uscc for p in self.partners)

    @property
    def is_consortium(self) -> bool:
        return bool(self.partners)


def partner(index: int, **fields: object) -> Partner:
    """A partner built from request values, its refusals placed at ``partners.<index>``."""
    with within(f"partners.{index}"):
        return Partner(**fields)  # type: ignore[arg-type]


def team_member(index: int, **fields: object) -> TeamMember:
    with within(f"team.{index}"):
        return TeamMember(**fields)  # type: ignore[arg-type]


class NotEligible(InvalidInput):
    title = "Not eligible"


def check_application(content: ApplicationContent, *, terms: ChallengeTerms, stage: ChallengeStage | str,
                      today: date, eligibility: EligibilityResult, rules: ChallengeRules = DEFAULT_RULES) -> None:
    """What submitting an application needs: the challenge open for applications on ``today``; the lead applicant
    eligible (every failing rule named); a consortium only where the challenge allows one, within the programme's
    size; the commitment signed where the programme asks for it; no more of the bounty asked than there is.

    Eligibility is the lead applicant's: partners include universities and institutes, which hold no tier."""
    ensure_accepting_applications(stage, terms.application_deadline, today)
    if eligibility.uscc != content.lead_uscc:
        raise ValueError("the eligibility result is another enterprise's")  # a caller's mistake, not a refusal
    if not eligibility.eligible:
        raise NotEligible(eligibility.summary(), field="lead_uscc",
                          failed_rules=[{"rule": f.rule, "reason": f.reason, "required": list(f.required),
                                         "actual": list(f.actual)} for f in eligibility.failures])
    if content.partners and not terms.allow_consortium:
        raise InvalidInput("this challenge takes applications from single enterprises, not consortia",
                           field="partners")
    if rules.max_partners is not None and len(content.partners) > rules.max_partners:
        raise InvalidInput(f"a consortium has at most {rules.max_partners} partners besides the lead",
                           field="partners")
    if rules.require_commitment and not content.commitment_signed:
        raise InvalidInput("the applicant commits to finishing within the set period (承诺书)",
                           field="commitment_signed")
    if content.requested_fen > terms.bounty.total_fen:
        raise InvalidInput(f"asks {show_fen(content.requested_fen)}, more than the bounty "
                           f"{show_fen(terms.bounty.total_fen)}", field="requested_fen")


# --------------------------------------------------------------------------------------------------------------
# Appointment (挂帅) and the reasons of those not chosen
# --------------------------------------------------------------------------------------------------------------


class TeamsFull(Conflict):
    title = "No more teams can be appointed"


def check_appointment(application_id: str, *, stage: ChallengeStage | str, max_teams: int,
                      appointed: Collection[str], ranking: Ranking, statuses: Mapping[str, ApplicationStatus | str],
                      reason: str | None = None, rules: ReviewRules = DEFAULT_REVIEW_RULES) -> None:
    """Whether an officer may appoint this application now (the application's own transition is checked by
    :func:`transition`): the challenge is appointing; fewer than ``max_teams`` are appointed (1: a single
    winner; more: 赛马); the application is ranked, at or above the pass mark; and passing over a higher-ranked
    application still in contention needs a reason (the ranking advises, the officer decides, on the record)."""
    current = ChallengeStage(stage)
    if current not in APPOINTING:
        raise Conflict(f"appointments are made in {' or '.join(sorted(APPOINTING))}; the challenge is in {current}",
                       field="status", current_status=current.value)
    if application_id in appointed:
        raise Conflict(f"application {application_id} is already appointed", field="application_id")
    if len(appointed) >= max_teams:
        teams = "a single winner" if max_teams == 1 else f"at most {max_teams} teams"
        raise TeamsFull(f"the challenge appoints {teams}, and {len(appointed)} already are: "
                        f"{', '.join(sorted(appointed))}", field="application_id", appointed=sorted(appointed))
    entry = ranking.position(application_id)
    if entry is None:
        raise Conflict(f"application {application_id} is not ranked: its review is not complete",
                       field="application_id")
    if rules.pass_mark is not None and entry.score < rules.pass_mark:
        raise InvalidInput(f"scored {entry.score}, below the pass mark {rules.pass_mark}", field="application_id")
    passed_over = [e.application_id for e in ranking.entries
                   if e.rank < entry.rank and e.application_id not in appointed
                   and ApplicationStatus(statuses.get(e.application_id, S.WITHDRAWN)) in IN_CONTENTION]
    if passed_over and not (reason and reason.strip()):
        raise InvalidInput(f"application {application_id} ranks {entry.rank}; appointing it before "
                           f"{', '.join(passed_over)} (ranked higher) needs a reason", field="reason",
                           ranked_higher=passed_over)


def reasons_not_chosen(ranking: Ranking, appointed: Collection[str],
                       statuses: Mapping[str, ApplicationStatus | str],
                       rules: ReviewRules = DEFAULT_REVIEW_RULES) -> dict[str, NotChosen]:
    """Once the appointments are final: the reason for every application still in contention and not appointed."""
    best = [e for e in ranking.entries if e.application_id in appointed]
    chosen = ", ".join(f"rank {e.rank} with {e.score}" for e in best) or "none"
    total = len(ranking.entries)
    reasons: dict[str, NotChosen] = {}
    for application_id, status in statuses.items():
        if application_id in appointed or ApplicationStatus(status) not in IN_CONTENTION:
            continue
        entry = ranking.position(application_id)
        if entry is None:
            reasons[application_id] = NotChosen(D.NOT_RANKED, "the review had too few score sheets to rank the "
                                                "application when the appointments were made")
        elif rules.pass_mark is not None and entry.score < rules.pass_mark:
            reasons[application_id] = NotChosen(D.BELOW_PASS_MARK, f"scored {entry.score}, below the pass mark "
                                                f"{rules.pass_mark} (rank {entry.rank} of {total})")
        else:
            reasons[application_id] = NotChosen(D.RANKED_BELOW, f"ranked {entry.rank} of {total} with {entry.score}; "
                                                f"appointed: {chosen}")
    return reasons


def reasons_on_cancellation(statuses: Mapping[str, ApplicationStatus | str], why: str) -> dict[str, NotChosen]:
    """When a challenge is cancelled: the reason for every application still open."""
    text = check_text(why, "reason")
    return {application_id: NotChosen(D.CHALLENGE_CANCELLED, f"the challenge was cancelled: {text}")
            for application_id, status in statuses.items() if ApplicationStatus(status) in OPEN}
