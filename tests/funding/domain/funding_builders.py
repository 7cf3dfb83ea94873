"""Builders for the funding domain tests: a pool, a programme and a round, firms, and applications walked to any
state through the real transitions (never built in a state directly, so a test cannot start from an illegal one)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.funding.domain.actors import Actor
from services.funding.domain.applications import (
    Action,
    AmountLimits,
    Application,
    ApplicationStatus,
    Command,
    RejectionCode,
    RejectionReason,
    Transitioned,
    transition,
)
from services.funding.domain.eligibility import EligibilityOutcome, EligibilityResult, EnterpriseFacts, rule
from services.funding.domain.ledger import Entry, EntryKind, Ledger, TrancheSpec, plan_tranches
from services.funding.domain.money import wan
from services.funding.domain.programmes import FundPool, Instrument, IssuerLevel, Programme, Round

ON = date(2026, 5, 20)
POOL = FundPool("pool-2026", "2026年播种计划配套基金", "湖州市", wan(5000), date(2026, 1, 1), date(2026, 12, 31))
PROGRAMME = Programme(
    "prog-srdi", "pool-2026", "专精特新企业研发攻关资助", Instrument.GRANT, "湖州市", IssuerLevel.CITY,
    budget_fen=wan(1000), per_enterprise_cap_fen=wan(50), opens_on=date(2026, 3, 1), closes_on=date(2026, 11, 30),
    eligibility=(rule("tier_held", "srdi_sme", "little_giant", label="持有有效期内的专精特新认定"),
                 rule("no_double_support")),
)
ROUND = Round("round-1", "prog-srdi", "2026年第一批", wan(300), date(2026, 4, 1), date(2026, 6, 30),
              eligibility=(rule("district", "330502", "330503", "南太湖新区"),))
LIMITS = AmountLimits(per_enterprise_cap_fen=wan(50), round_available_fen=wan(300))

FIRM = EnterpriseFacts("ent-1", uscc="91330502MA2B3C4D5E", name="湖州织影智能科技有限公司", district_code="330502",
                       sector="advanced_manufacturing", cluster="modern_textile", size_class="small",
                       pool="seedling_pool", held_tiers=frozenset({"srdi_sme"}))

ELIGIBLE = EligibilityResult(EligibilityOutcome.ELIGIBLE, ())


def draft(requested_fen: int = wan(40), app_id: str = "app-1") -> Application:
    return Application(app_id, "ent-1", "prog-srdi", "round-1", "基于机器视觉的纺织品瑕疵在线检测系统研发",
                       requested_fen)


def command(action: Action, actor: Actor = Actor.OFFICER, **fields: object) -> Command:
    return Command(action, actor, ON, **fields)  # type: ignore[arg-type]


# The path to each state, as (action, actor, extra fields) steps from a draft.
_SUBMIT = (Action.SUBMIT, Actor.ENTERPRISE, {"limits": LIMITS})
_CHECK = (Action.CONFIRM_ELIGIBLE, Actor.SYSTEM, {"eligibility": ELIGIBLE})
_REVIEW = (Action.START_REVIEW, Actor.OFFICER, {})
_APPROVE = (Action.APPROVE, Actor.OFFICER, {"amount_fen": wan(30), "limits": LIMITS})
_SIGN = (Action.SIGN_AGREEMENT, Actor.ENTERPRISE,
         {"tranches": plan_tranches(wan(30), [TrancheSpec("中期考核", Decimal("0.6")),
                                              TrancheSpec("结题验收", Decimal("0.4"))])})
_PAY0 = (Action.DISBURSE, Actor.OFFICER, {"tranche_index": 0})
_PAY1 = (Action.DISBURSE, Actor.OFFICER, {"tranche_index": 1})
_CLOSE = (Action.CLOSE, Actor.OFFICER, {})
PATHS = {
    ApplicationStatus.DRAFT: (),
    ApplicationStatus.SUBMITTED: (_SUBMIT,),
    ApplicationStatus.ELIGIBILITY_CHECKED: (_SUBMIT, _CHECK),
    ApplicationStatus.UNDER_REVIEW: (_SUBMIT, _CHECK, _REVIEW),
    ApplicationStatus.APPROVED: (_SUBMIT, _CHECK, _REVIEW, _APPROVE),
    ApplicationStatus.REJECTED: (_SUBMIT, _CHECK, _REVIEW,
                                 (Action.REJECT, Actor.OFFICER,
                                  {"rejection": RejectionReason(RejectionCode.REVIEW_SCORE, "专家评审得分低于立项线")})),
    ApplicationStatus.AGREEMENT: (_SUBMIT, _CHECK, _REVIEW, _APPROVE, _SIGN),
    ApplicationStatus.DISBURSING: (_SUBMIT, _CHECK, _REVIEW, _APPROVE, _SIGN, _PAY0),
    ApplicationStatus.CLOSED: (_SUBMIT, _CHECK, _REVIEW, _APPROVE, _SIGN, _PAY0, _PAY1, _CLOSE),
    ApplicationStatus.CLAWED_BACK: (_SUBMIT, _CHECK, _REVIEW, _APPROVE, _SIGN, _PAY0,
                                    (Action.CLAW_BACK, Actor.OFFICER, {"note": "弄虚作假, 骗取资金"})),
    ApplicationStatus.WITHDRAWN: ((Action.WITHDRAW, Actor.ENTERPRISE, {}),),
}


def walk(status: ApplicationStatus, app: Application | None = None) -> tuple[Application, tuple[Entry, ...]]:
    """An application brought to ``status`` through the transitions, and every ledger entry they made."""
    app = app or draft()
    entries: list[Entry] = []
    for action, actor, fields in PATHS[status]:
        moved: Transitioned = transition(app, command(action, actor, **fields))
        app = moved.application
        entries.extend(moved.entries)
    assert app.status == status
    return app, tuple(entries)


def funded_ledger(budget_fen: int = wan(300)) -> Ledger:
    return Ledger("prog-srdi", "round-1").append(Entry(EntryKind.ALLOCATED, budget_fen, "prog-srdi", "round-1"))
