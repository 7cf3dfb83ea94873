"""Challenges (揭榜挂帅: a technical problem posted with quantified indicators, a bounty and a deadline; solvers
apply, experts review, one team or several are appointed and must deliver). Pure rules.

What REFERENCE §7 supports, and what is ours
--------------------------------------------
Huzhou's own 揭榜挂帅 rules (stages, 榜额 ranges, fund split, review panel) were not found (§7, [U]). The stage order
follows Zhejiang's practice (§7.8, [C]); the stage names are ours ([U]). Every number only an analog supports is a
parameter of :class:`ChallengeRules`, with the section it comes from, so that the programme can set Huzhou's own
when it has them.

Stages::

    drafting ──submit_for_review──▶ review ──publish──▶ published ──open_applications──▶ applications_open
        ▲                              │                                                       │
        └──return_to_drafting (reason)─┘                                              close_applications
                                                                                               ▼
    milestones ◀──start_milestones── appointed ◀──appoint── expert_review ◀──start_expert_review── shortlisting
        │
        ├──pass_acceptance──▶ acceptance_passed ──close──▶ closed
        └──fail_acceptance (reason)──▶ acceptance_failed ──close──▶ closed

* **cancel** (with a reason) closes a challenge that never reached milestones: withdrawn by its issuer while still
  a draft or in review, or by an officer at any point up to the appointment (流榜: nobody suitable applied).
* the scheduled job (``system``) opens applications on the opening day and closes them when the deadline passed.
* appointments (挂帅) are made one application at a time (``applications.check_appointment``) while the challenge
  is in expert review or appointed; ``appoint`` moves the challenge with the first one, and ``max_teams`` bounds
  them all (赛马, §7.6: several teams in parallel when the challenge allows it; 1 = a single winner).

Money
-----
The bounty (榜额) is split between the issuing firm and public funds, which must add up to it exactly, in fen.
Each appointed team's award is a part of the bounty; its public part is the bounty's public share of it, apportioned
so that the public parts of awards that use the whole bounty add up exactly to the public funds (:func:`split_awards`):
funding pays each team's public part without calling back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from services.scenarios.domain.classification import check_cluster, check_district, check_sector
from services.scenarios.domain.eligibility import NO_RESTRICTION, Eligibility
from services.scenarios.domain.lifecycle import Change, Role, Step, take_step
from services.scenarios.domain.values import (
    Publisher,
    add_months,
    apportion,
    check_decimal,
    check_fen,
    check_text,
    optional_text,
    show_fen,
    within,
)
from shared.errors import Conflict, InvalidInput

AGGREGATE = "challenge"


# --------------------------------------------------------------------------------------------------------------
# Configurable rules: what REFERENCE marks uncertain
# --------------------------------------------------------------------------------------------------------------


class FundingClass(StrEnum):
    """The self-funding class of a challenge (REFERENCE §7.1, [C]): the floor on the issuer's share is lower for
    the 26 mountain counties and island counties, and for agriculture."""

    STANDARD = "standard"
    MOUNTAIN_OR_ISLAND_COUNTY = "mountain_or_island_county"  # 26县 / 海岛县
    AGRICULTURE = "agriculture"  # 农业项目


class OnFailedMilestone(StrEnum):
    """What a failed milestone does to a team (REFERENCE §7.6, §7.8: analogs only, [U])."""

    STOP = "stop"  # the team is dropped: no later tranche (赛马 elimination; stop-funding after a failed stage)
    CONTINUE = "continue"  # the team goes on; only the failed milestone's tranche is lost (尽职免责-style tolerance)


@dataclass(frozen=True)
class ChallengeRules:
    """The parameters of the programme's 揭榜挂帅 rules. Defaults and their grounds:

    * ``min_issuer_share`` 0.80 and ``reduced_min_issuer_share`` 0.60: §7.1 [C], the provincial 尖兵/领雁 floor on
      self-funding (≥ 80 %; ≥ 60 % in the 26 counties, island counties and agriculture), read onto a firm-issued
      bounty as §7.8 does (``minSelfFundingShare``). Whether it binds city-level 揭榜 in Huzhou is §7 open question
      2 [U]; ``None`` drops the floor. It applies to firm-issued challenges only: a department's bounty is public.
    * ``max_public_fen``: the city's cap on public money per challenge; not found (§7 open question 1) [U]: None.
    * ``max_parallel_teams`` 5: 赛马 analogs run 2–5 teams per list (§7.6, 鄂州) [U].
    * ``max_milestone_gap_months`` 12: a milestone lasts ≤ 1 year (§7.5 余杭 安心宝, an analog [C]).
    * ``max_duration_months``: no source gives one; None.
    * ``on_failed_milestone`` stop: §7.6/§7.8 analogs; Zhejiang's rule on failure was not found [U].
    * ``require_commitment`` true: applicants commit to finish in the set period (§7.7, MIIT 2025 call [C]).
    * ``max_partners``: no source limits a consortium (§7.7 encourages them); None.
    """

    min_issuer_share: Decimal | None = Decimal("0.80")
    reduced_min_issuer_share: Decimal = Decimal("0.60")
    max_public_fen: int | None = None
    max_parallel_teams: int = 5
    max_milestone_gap_months: int = 12
    max_duration_months: int | None = None
    on_failed_milestone: OnFailedMilestone = OnFailedMilestone.STOP
    require_commitment: bool = True
    max_partners: int | None = None

    def __post_init__(self) -> None:
        for name in ("min_issuer_share", "reduced_min_issuer_share"):
            share = getattr(self, name)
            if share is not None and not Decimal(0) <= check_decimal(share, name) <= 1:
                raise ValueError(f"{name} is a share between 0 and 1")
        if self.max_public_fen is not None:
            check_fen(self.max_public_fen, "max_public_fen")
        for name in ("max_parallel_teams", "max_milestone_gap_months", "max_duration_months", "max_partners"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive whole number")
        object.__setattr__(self, "on_failed_milestone", OnFailedMilestone(self.on_failed_milestone))

    def issuer_floor(self, funding_class: FundingClass) -> Decimal | None:
        if self.min_issuer_share is None:
            return None
        return self.min_issuer_share if funding_class is FundingClass.STANDARD else self.reduced_min_issuer_share


DEFAULT_RULES = ChallengeRules()


# --------------------------------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------------------------------


class ChallengeStage(StrEnum):
    DRAFTING = "drafting"  # 需求征集 / 榜单起草
    REVIEW = "review"  # 专家凝练 / 审核
    PUBLISHED = "published"  # 榜单公示
    APPLICATIONS_OPEN = "applications_open"  # 揭榜申报
    SHORTLISTING = "shortlisting"  # 形式审查
    EXPERT_REVIEW = "expert_review"  # 评审 / 答辩
    APPOINTED = "appointed"  # 挂帅 (公示, 签约)
    MILESTONES = "milestones"  # 项目实施, 里程碑考核
    ACCEPTANCE_PASSED = "acceptance_passed"  # 验收通过
    ACCEPTANCE_FAILED = "acceptance_failed"  # 验收未通过
    CLOSED = "closed"


class ChallengeCommand(StrEnum):
    SUBMIT_FOR_REVIEW = "submit_for_review"
    RETURN_TO_DRAFTING = "return_to_drafting"  # 退回修改
    PUBLISH = "publish"
    OPEN_APPLICATIONS = "open_applications"
    CLOSE_APPLICATIONS = "close_applications"
    START_EXPERT_REVIEW = "start_expert_review"
    APPOINT = "appoint"
    START_MILESTONES = "start_milestones"
    PASS_ACCEPTANCE = "pass_acceptance"
    FAIL_ACCEPTANCE = "fail_acceptance"
    CLOSE = "close"
    CANCEL = "cancel"


G, K = ChallengeStage, ChallengeCommand
_OFFICER = frozenset({Role.OFFICER})
_ISSUER_OR_OFFICER = frozenset({Role.PUBLISHER, Role.OFFICER})
_OFFICER_OR_JOB = frozenset({Role.OFFICER, Role.SYSTEM})
_CANCEL_EARLY = Step(G.CLOSED, _ISSUER_OR_OFFICER, reason_required=True)  # the issuer withdraws its own draft
_CANCEL = Step(G.CLOSED, _OFFICER, reason_required=True)  # once public, only an officer takes it off the list

TRANSITIONS = MappingProxyType({
    G.DRAFTING: MappingProxyType({K.SUBMIT_FOR_REVIEW: Step(G.REVIEW, _ISSUER_OR_OFFICER), K.CANCEL: _CANCEL_EARLY}),
    G.REVIEW: MappingProxyType({
        K.PUBLISH: Step(G.PUBLISHED, _OFFICER),
        K.RETURN_TO_DRAFTING: Step(G.DRAFTING, _OFFICER, reason_required=True),
        K.CANCEL: _CANCEL_EARLY,
    }),
    G.PUBLISHED: MappingProxyType({K.OPEN_APPLICATIONS: Step(G.APPLICATIONS_OPEN, _OFFICER_OR_JOB), K.CANCEL: _CANCEL}),
    G.APPLICATIONS_OPEN: MappingProxyType({
        K.CLOSE_APPLICATIONS: Step(G.SHORTLISTING, _OFFICER_OR_JOB), K.CANCEL: _CANCEL}),
    G.SHORTLISTING: MappingProxyType({K.START_EXPERT_REVIEW: Step(G.EXPERT_REVIEW, _OFFICER), K.CANCEL: _CANCEL}),
    G.EXPERT_REVIEW: MappingProxyType({K.APPOINT: Step(G.APPOINTED, _OFFICER), K.CANCEL: _CANCEL}),
    G.APPOINTED: MappingProxyType({K.START_MILESTONES: Step(G.MILESTONES, _OFFICER), K.CANCEL: _CANCEL}),
    G.MILESTONES: MappingProxyType({
        K.PASS_ACCEPTANCE: Step(G.ACCEPTANCE_PASSED, _OFFICER),
        K.FAIL_ACCEPTANCE: Step(G.ACCEPTANCE_FAILED, _OFFICER, reason_required=True),
    }),
    G.ACCEPTANCE_PASSED: MappingProxyType({K.CLOSE: Step(G.CLOSED, _OFFICER_OR_JOB)}),
    G.ACCEPTANCE_FAILED: MappingProxyType({K.CLOSE: Step(G.CLOSED, _OFFICER_OR_JOB)}),
    G.CLOSED: MappingProxyType({}),
})

EDITABLE = frozenset({G.DRAFTING})
APPOINTING = frozenset({G.EXPERT_REVIEW, G.APPOINTED})  # appointments are made here, up to max_teams
# Stages only a published challenge reaches. ``closed`` is not among them: a draft cancelled before publication
# ends there too.
AFTER_PUBLICATION = frozenset(set(G) - {G.DRAFTING, G.REVIEW, G.CLOSED})


def visible_to_public(current: ChallengeStage | str, published_on: date | None) -> bool:
    """Whether callers without a token see the challenge: once it has been on the list, always (a closed challenge
    shows how it ended); never a draft, nor one cancelled before it was published."""
    stage = ChallengeStage(current)
    return stage in AFTER_PUBLICATION or (stage is G.CLOSED and published_on is not None)


def transition(current: ChallengeStage | str, command: ChallengeCommand | str,
               acting_as: Role | str | Iterable[Role], *, reason: str | None = None) -> Change:
    """The change ``command`` makes to a challenge in ``current``, or a refusal naming what ``current`` allows.
    The checks that need more than the stage (what publication needs, how many may be appointed, who passed
    acceptance) are :func:`check_publishable`, ``applications.check_appointment`` and :func:`check_acceptance`."""
    return take_step(AGGREGATE, TRANSITIONS, ChallengeStage, ChallengeCommand, current, command, acting_as, reason)


def ensure_editable(current: ChallengeStage | str) -> None:
    stage = ChallengeStage(current)
    if stage not in EDITABLE:
        raise Conflict(f"a challenge in stage {stage} cannot be edited; only while drafting", field="status",
                       current_status=stage.value, states_allowed=sorted(EDITABLE))


class ApplicationsClosed(Conflict):
    title = "Applications closed"


def ensure_accepting_applications(current: ChallengeStage | str, deadline: date, today: date) -> None:
    """揭榜 is open while the challenge is in applications_open, up to and including its deadline day: the job
    that closes the window runs after midnight, and an application in between is still too late."""
    stage = ChallengeStage(current)
    if stage is not G.APPLICATIONS_OPEN:
        raise ApplicationsClosed(f"the challenge is in stage {stage}; it takes applications only in "
                                 f"{G.APPLICATIONS_OPEN}", field="status", current_status=stage.value)
    if today > deadline:
        raise ApplicationsClosed(f"applications closed on {deadline.isoformat()} (today is {today.isoformat()})",
                                 field="application_deadline", deadline=deadline.isoformat())


# --------------------------------------------------------------------------------------------------------------
# Terms: indicators, bounty, IP
# --------------------------------------------------------------------------------------------------------------


class Comparison(StrEnum):
    AT_LEAST = "at_least"  # ≥ target (strength, yield, efficiency …)
    AT_MOST = "at_most"  # ≤ target (error, energy use, cost …)


class Verification(StrEnum):
    """How an indicator is verified at acceptance (考核方式)."""

    THIRD_PARTY_TEST = "third_party_test"  # 第三方检测 (a qualified testing body)
    ON_SITE_TEST = "on_site_test"  # 现场测试 (by the acceptance panel)
    USER_TRIAL = "user_trial"  # 用户试用 / 应用验证 (the issuer's production line)
    EXPERT_REVIEW = "expert_review"  # 专家评审 (documents and demonstration)


@dataclass(frozen=True, kw_only=True)
class TechnicalIndicator:
    """A quantified technical indicator (技术指标): e.g. tensile strength at least 600 MPa, third-party tested.
    Quantified means a number and its unit: an indicator without a unit is refused."""

    name: str
    target: Decimal
    unit: str
    verification: Verification
    comparison: Comparison = Comparison.AT_LEAST
    method: str | None = None  # the standard or procedure (GB/T …), where there is one

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "name", check_text(self.name, "name"))
        set_(self, "target", check_decimal(self.target, "target"))
        set_(self, "unit", check_text(self.unit, "unit"))
        for name, kind in (("verification", Verification), ("comparison", Comparison)):
            try:
                set_(self, name, kind(getattr(self, name)))
            except ValueError:
                raise InvalidInput(f"unknown {name} {getattr(self, name)!r}; one of: {', '.join(kind)}",
                                   field=name) from None
        set_(self, "method", optional_text(self.method, "method"))

    def met_by(self, measured: Decimal) -> bool:
        """Whether a measured value reaches the target (on the target itself it does)."""
        value = check_decimal(measured, "measured")
        return value >= self.target if self.comparison is Comparison.AT_LEAST else value <= self.target


@dataclass(frozen=True)
class Bounty:
    """榜额 in fen and who pays it: the issuing firm and public funds, which add up to it exactly."""

    total_fen: int
    issuer_fen: int
    public_fen: int

    def __post_init__(self) -> None:
        check_fen(self.total_fen, "total_fen", positive=True)
        check_fen(self.issuer_fen, "issuer_fen")
        check_fen(self.public_fen, "public_fen")
        if self.issuer_fen + self.public_fen != self.total_fen:
            raise InvalidInput(
                f"the split does not add up: issuer {show_fen(self.issuer_fen)} + public {show_fen(self.public_fen)} "
                f"= {show_fen(self.issuer_fen + self.public_fen)}, but the bounty is {show_fen(self.total_fen)}",
                field="public_fen", total_fen=self.total_fen, issuer_fen=self.issuer_fen, public_fen=self.public_fen)

    @property
    def issuer_share(self) -> Decimal:
        return Decimal(self.issuer_fen) / Decimal(self.total_fen)


class IpOwnership(StrEnum):
    """Who owns the results (知识产权归属)."""

    ISSUER = "issuer"  # 归发榜方
    SOLVER = "solver"  # 归揭榜方
    JOINT = "joint"  # 双方共有
    BY_CONTRACT = "by_contract"  # 按合同约定, e.g. per stage (REFERENCE §7.5)


@dataclass(frozen=True)
class IpTerms:
    """IP ownership terms. Shared or contractual ownership says how in ``note`` (shares, licence-back, stages)."""

    ownership: IpOwnership
    note: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "ownership", IpOwnership(self.ownership))
        except ValueError:
            raise InvalidInput(f"unknown IP ownership {self.ownership!r}; one of: {', '.join(IpOwnership)}",
                               field="ownership") from None
        object.__setattr__(self, "note", optional_text(self.note, "note"))
        if self.ownership in (IpOwnership.JOINT, IpOwnership.BY_CONTRACT) and self.note is None:
            raise InvalidInput(f"IP ownership {self.ownership} needs the terms spelled out in the note", field="note")


@dataclass(frozen=True, kw_only=True)
class ChallengeTerms:
    """What a challenge says (榜单). Checked when built (a refusal names its field: ``indicators.1.unit``); what
    depends on the programme's parameters or on the date is checked at publication (:func:`check_publishable`)."""

    issuer: Publisher  # 发榜方
    title: str
    background: str
    sector: str
    district_code: str  # the district whose officers manage it
    indicators: tuple[TechnicalIndicator, ...]
    bounty: Bounty
    duration_months: int  # 研发周期, from the contract
    application_deadline: date  # 揭榜截止日
    ip_terms: IpTerms
    eligibility: Eligibility = NO_RESTRICTION
    max_teams: int = 1  # 赛马: how many teams may be appointed in parallel; 1 = a single winner
    allow_consortium: bool = True  # §7.7: joint applications are encouraged
    funding_class: FundingClass = FundingClass.STANDARD
    cluster: str | None = None
    industry_chain: str | None = None  # one of the eight emerging chains; names mostly unconfirmed (§8.2 [U])

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.issuer, Publisher):
            raise InvalidInput("the issuer is required", field="issuer")
        set_(self, "title", check_text(self.title, "title"))
        set_(self, "background", check_text(self.background, "background"))
        set_(self, "sector", check_sector(self.sector))
        set_(self, "district_code", check_district(self.district_code))
        if self.cluster is not None:
            set_(self, "cluster", check_cluster(self.cluster))
        set_(self, "industry_chain", optional_text(self.industry_chain, "industry_chain"))
        indicators = tuple(self.indicators)
        seen: set[str] = set()
        for index, indicator in enumerate(indicators):
            if not isinstance(indicator, TechnicalIndicator):
                raise InvalidInput("an indicator has a name, target, unit and verification", field=f"indicators.{index}")
            if indicator.name.casefold() in seen:
                raise InvalidInput(f"indicator {indicator.name!r} is listed twice", field=f"indicators.{index}.name")
            seen.add(indicator.name.casefold())
        set_(self, "indicators", indicators)
        for name, kind in (("bounty", Bounty), ("ip_terms", IpTerms), ("eligibility", Eligibility)):
            if not isinstance(getattr(self, name), kind):
                raise InvalidInput(f"{name} is required", field=name)
        if not self.issuer.is_enterprise and self.bounty.issuer_fen != 0:
            raise InvalidInput("a department's challenge is paid from public funds: put the whole bounty in "
                               "public_fen", field="bounty.issuer_fen")
        for name in ("duration_months", "max_teams"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(f"{name} must be a positive whole number", field=name)
        if not isinstance(self.application_deadline, date):
            raise InvalidInput("the application deadline is a date", field="application_deadline")
        try:
            set_(self, "funding_class", FundingClass(self.funding_class))
        except ValueError:
            raise InvalidInput(f"unknown funding class {self.funding_class!r}; one of: {', '.join(FundingClass)}",
                               field="funding_class") from None

    @property
    def indicator_names(self) -> frozenset[str]:
        return frozenset(indicator.name for indicator in self.indicators)


def indicator(index: int, **fields: object) -> TechnicalIndicator:
    """An indicator built from request values, its refusals placed at ``indicators.<index>``."""
    with within(f"indicators.{index}"):
        return TechnicalIndicator(**fields)  # type: ignore[arg-type]


def bounty(total_fen: object, issuer_fen: object, public_fen: object) -> Bounty:
    """A bounty built from request values, its refusals placed at ``bounty``."""
    with within("bounty"):
        return Bounty(total_fen, issuer_fen, public_fen)  # type: ignore[arg-type]


class DeadlinePassed(InvalidInput):
    pass


def check_publishable(terms: ChallengeTerms, today: date, rules: ChallengeRules = DEFAULT_RULES) -> None:
    """What publication (榜单公示) needs beyond well-formed terms: at least one indicator, a deadline not past, the
    programme's limits on teams, duration and public money, and the issuer's share of a firm's bounty."""
    if not terms.indicators:
        raise InvalidInput("a challenge states at least one quantified technical indicator", field="indicators")
    if terms.application_deadline < today:
        raise DeadlinePassed(f"the application deadline {terms.application_deadline.isoformat()} is already past "
                             f"(today is {today.isoformat()})", field="application_deadline")
    if terms.max_teams > rules.max_parallel_teams:
        raise InvalidInput(f"at most {rules.max_parallel_teams} teams may race in parallel (赛马); this challenge "
                           f"asks for {terms.max_teams}", field="max_teams")
    if rules.max_duration_months is not None and terms.duration_months > rules.max_duration_months:
        raise InvalidInput(f"the programme allows at most {rules.max_duration_months} months; this challenge takes "
                           f"{terms.duration_months}", field="duration_months")
    money = terms.bounty
    if rules.max_public_fen is not None and money.public_fen > rules.max_public_fen:
        raise InvalidInput(f"public funds are capped at {show_fen(rules.max_public_fen)} per challenge; this one "
                           f"asks {show_fen(money.public_fen)}", field="bounty.public_fen")
    floor = rules.issuer_floor(terms.funding_class)
    # Exact: issuer / total ≥ floor, compared without dividing.
    if terms.issuer.is_enterprise and floor is not None and Decimal(money.issuer_fen) < floor * money.total_fen:
        raise InvalidInput(
            f"the issuing firm pays at least {floor:%} of the bounty ({terms.funding_class}); it pays "
            f"{show_fen(money.issuer_fen)} of {show_fen(money.total_fen)}", field="bounty.issuer_fen",
            min_issuer_share=str(floor))


# --------------------------------------------------------------------------------------------------------------
# Awards: each appointed team's part of the bounty, and who pays it
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardSplit:
    """One appointed team's award and its two payers; ``public_fen`` is what funding pays."""

    award_fen: int
    issuer_fen: int
    public_fen: int


def equal_awards(total_fen: int, teams: int) -> tuple[int, ...]:
    """The bounty shared equally by ``teams`` teams, in whole fen that add up to it (the first teams get the odd
    fen)."""
    if teams < 1:
        raise ValueError("at least one team")
    return apportion(total_fen, [1] * teams)


def check_awards(money: Bounty, awards: Sequence[int], max_teams: int) -> None:
    """Awards of the appointed teams: positive, no more teams than the challenge allows, and together within the
    bounty (a 赛马 may keep part of the bounty back for the later stages)."""
    if len(awards) > max_teams:
        raise InvalidInput(f"the challenge appoints at most {max_teams} team(s); {len(awards)} awards given",
                           field="awards")
    for index, award in enumerate(awards):
        check_fen(award, f"awards.{index}", positive=True)
    if sum(awards) > money.total_fen:
        raise InvalidInput(f"the awards add up to {show_fen(sum(awards))}, more than the bounty "
                           f"{show_fen(money.total_fen)}", field="awards")


def split_awards(money: Bounty, awards: Sequence[int]) -> tuple[AwardSplit, ...]:
    """Each award's issuer and public parts. Public money is the bounty's public share of what is awarded,
    rounded down to the fen (public funds never pay a fraction more than their share), then apportioned among the
    awards by size; when the awards use the whole bounty, the public parts add up exactly to its public funds."""
    if not awards:
        return ()
    awarded = sum(awards)
    public_total = money.public_fen * awarded // money.total_fen
    public_parts = apportion(public_total, list(awards))
    return tuple(AwardSplit(award, award - public, public) for award, public in zip(awards, public_parts, strict=True))


# --------------------------------------------------------------------------------------------------------------
# Milestones of an appointed team (里程碑考核)
# --------------------------------------------------------------------------------------------------------------


class MilestoneStatus(StrEnum):
    PENDING = "pending"  # 进行中
    SUBMITTED = "submitted"  # 已提交考核材料
    PASSED = "passed"  # 考核通过
    FAILED = "failed"  # 考核未通过
    WAIVED = "waived"  # 免于考核 (an officer's decision, with a reason)


class MilestoneCommand(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"  # back to the team for more evidence (退回补充)
    PASS = "pass"
    FAIL = "fail"
    WAIVE = "waive"


M, MC = MilestoneStatus, MilestoneCommand
MILESTONE_TRANSITIONS = MappingProxyType({
    M.PENDING: MappingProxyType({
        MC.SUBMIT: Step(M.SUBMITTED, frozenset({Role.APPLICANT})),
        MC.WAIVE: Step(M.WAIVED, _OFFICER, reason_required=True),
    }),
    M.SUBMITTED: MappingProxyType({
        MC.PASS: Step(M.PASSED, _OFFICER),
        MC.FAIL: Step(M.FAILED, _OFFICER, reason_required=True),
        MC.RETURN: Step(M.PENDING, _OFFICER, reason_required=True),
    }),
    M.PASSED: MappingProxyType({}),
    M.FAILED: MappingProxyType({}),
    M.WAIVED: MappingProxyType({}),
})
DECIDED = frozenset({M.PASSED, M.FAILED, M.WAIVED})


def milestone_transition(current: MilestoneStatus | str, command: MilestoneCommand | str,
                         acting_as: Role | str | Iterable[Role], *, reason: str | None = None) -> Change:
    return take_step("milestone", MILESTONE_TRANSITIONS, MilestoneStatus, MilestoneCommand, current, command,
                     acting_as, reason)


@dataclass(frozen=True, kw_only=True)
class Milestone:
    """One milestone of a team's plan: when it is due, which indicators it assesses, and the share of the team's
    award paid when it passes (REFERENCE §7.5, §7.8: ``seq``, ``dueDate``, ``kpis``, ``tranchePct``)."""

    seq: int
    title: str
    due_on: date
    tranche_share: Decimal
    indicators: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", check_text(self.title, "title"))
        share = check_decimal(self.tranche_share, "tranche_share")
        if not Decimal(0) < share <= 1:
            raise InvalidInput("a tranche is a share of the award above 0 and at most 1", field="tranche_share")
        object.__setattr__(self, "tranche_share", share)
        object.__setattr__(self, "indicators", tuple(self.indicators))


def check_milestone_plan(plan: Sequence[Milestone], *, start_on: date, duration_months: int,
                         indicator_names: Collection[str], rules: ChallengeRules = DEFAULT_RULES) -> None:
    """A team's plan: numbered 1, 2, … in order; each due after the one before and within
    ``max_milestone_gap_months`` of it (of the start, for the first); the last within the challenge's duration;
    indicators the challenge states; tranche shares adding up to exactly the whole award."""
    if not plan:
        raise InvalidInput("a team's plan has at least one milestone", field="milestones")
    end = add_months(start_on, duration_months)
    previous = start_on
    for index, milestone in enumerate(plan):
        where = f"milestones.{index}"
        if milestone.seq != index + 1:
            raise InvalidInput(f"milestones are numbered 1, 2, … in order; expected {index + 1}, got {milestone.seq}",
                               field=f"{where}.seq")
        latest = add_months(previous, rules.max_milestone_gap_months)
        if milestone.due_on <= previous:
            raise InvalidInput(f"milestone {milestone.seq} is due {milestone.due_on.isoformat()}, not after "
                               f"{previous.isoformat()}", field=f"{where}.due_on")
        if milestone.due_on > latest:
            raise InvalidInput(f"milestone {milestone.seq} is due more than {rules.max_milestone_gap_months} months "
                               f"after {previous.isoformat()} (latest {latest.isoformat()})", field=f"{where}.due_on")
        if milestone.due_on > end:
            raise InvalidInput(f"milestone {milestone.seq} is due after the project ends ({end.isoformat()}, "
                               f"{duration_months} months from {start_on.isoformat()})", field=f"{where}.due_on")
        unknown = sorted(set(milestone.indicators) - set(indicator_names))
        if unknown:
            raise InvalidInput(f"milestone {milestone.seq} assesses indicators the challenge does not state: "
                               f"{', '.join(unknown)}", field=f"{where}.indicators")
        previous = milestone.due_on
    total = sum((m.tranche_share for m in plan), Decimal(0))
    if total != 1:
        raise InvalidInput(f"the tranche shares add up to {total}, not exactly 1", field="milestones",
                           tranche_total=str(total))


def tranche_amounts(award_fen: int, plan: Sequence[Milestone]) -> tuple[int, ...]:
    """Each milestone's tranche in whole fen, adding up exactly to the award."""
    return apportion(award_fen, [m.tranche_share for m in plan])


class TeamStanding(StrEnum):
    """Where an appointed team stands, from its milestones' states."""

    ACTIVE = "active"  # milestones still open
    COMPLETED = "completed"  # every milestone decided; the team goes to acceptance
    DROPPED = "dropped"  # a milestone failed and the rules stop the team (赛马 elimination)


def team_standing(statuses: Iterable[MilestoneStatus | str], rules: ChallengeRules = DEFAULT_RULES) -> TeamStanding:
    decided = [MilestoneStatus(status) for status in statuses]
    if rules.on_failed_milestone is OnFailedMilestone.STOP and M.FAILED in decided:
        return TeamStanding.DROPPED
    if decided and all(status in DECIDED for status in decided):
        return TeamStanding.COMPLETED
    return TeamStanding.ACTIVE


def check_acceptance(passed: Collection[str], standings: Mapping[str, TeamStanding]) -> None:
    """验收: passing names the teams (application ids) that passed; each must have completed its milestones, and no
    team may still be working (the acceptance decides the challenge once, for every team)."""
    still_open = sorted(team for team, standing in standings.items() if standing is TeamStanding.ACTIVE)
    if still_open:
        raise Conflict(f"teams still have open milestones: {', '.join(still_open)}", field="status",
                       teams_active=still_open)
    if not passed:
        raise InvalidInput("passing acceptance names the team(s) that passed", field="passed_teams")
    unknown = sorted(set(passed) - set(standings))
    if unknown:
        raise InvalidInput(f"not appointed to this challenge: {', '.join(unknown)}", field="passed_teams")
    not_completed = sorted(team for team in passed if standings[team] is not TeamStanding.COMPLETED)
    if not_completed:
        raise InvalidInput(f"only teams that completed their milestones can pass; not: {', '.join(not_completed)}",
                           field="passed_teams")
