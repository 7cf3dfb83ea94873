"""Equity contribution (作价入股 / 作价投资, REFERENCE §6.3): a patent contributed to a company for shares. Pure rules.

* **Valuation** (评估作价; 公司法 2023 art. 48 [M]): the method, the appraisal report's number and its amount.
* **Target company**: by its USCC; the service checks it against the enterprise read model.
* **Share ratio**: the shares the contribution buys, above 0 and at most 100%; the contributions registered to one
  company together hold at most 100% (:func:`check_total_shares`).
* **Pricing** (促进科技成果转化法 art. 18 [M]): by agreement (协议定价) with a publicity period (公示期) in which the
  result's name and proposed price are shown, by listing on an exchange (挂牌) or by auction (拍卖).
* **Inventors' reward** (art. 45 [M]): without an agreement, at least 50% of the resulting equity goes to the
  inventor team; a lower share stands only with the agreement recorded (its reference).
* **Registration** of the IP transfer (CNIPA 著录项目变更) ends it: ``agreed → registered``; with agreement pricing,
  only once the publicity period is over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.licensing.domain.values import ONE, optional_line, percent, required_line, share
from shared.errors import Conflict, InvalidInput


class ValuationMethod(StrEnum):
    INCOME = "income"  # 收益法
    MARKET = "market"  # 市场法
    COST = "cost"  # 成本法


class PricingMethod(StrEnum):
    AGREEMENT = "agreement"  # 协议定价 + 公示
    LISTING = "listing"  # 挂牌交易
    AUCTION = "auction"  # 拍卖


class EquityStatus(StrEnum):
    AGREED = "agreed"
    REGISTERED = "registered"


@dataclass(frozen=True)
class EquityPolicy:
    # 促进科技成果转化法 art. 45 [M]: the default reward when nothing else is agreed.
    min_inventors_share: Decimal = Decimal("0.5")
    # No statutory length of the publicity period was found ([U]); institutions set their own (often 15 days).
    min_publicity_days: int = 1


DEFAULT_EQUITY_POLICY = EquityPolicy()


@dataclass(frozen=True)
class EquityTerms:
    valuation_method: ValuationMethod
    appraisal_report_no: str
    appraisal_amount_fen: int
    target_uscc: str
    share_ratio: Decimal
    pricing_method: PricingMethod
    inventors_share: Decimal
    publicity_start: date | None = None
    publicity_end: date | None = None
    reward_agreement_ref: str | None = None

    def check(self, policy: EquityPolicy = DEFAULT_EQUITY_POLICY) -> None:
        required_line(self.appraisal_report_no, "appraisal_report_no", "the appraisal report's number")
        if self.appraisal_amount_fen <= 0:
            raise InvalidInput("the appraised amount is above 0 fen", field="appraisal_amount_fen")
        share(self.share_ratio, "share_ratio")
        share(self.inventors_share, "inventors_share", allow_zero=True)
        if self.inventors_share < policy.min_inventors_share and not optional_line(self.reward_agreement_ref):
            raise InvalidInput(
                f"the inventors' share of {percent(self.inventors_share)} is below the default "
                f"{percent(policy.min_inventors_share)} of the equity (促进科技成果转化法 art. 45); a lower share needs "
                "the reward agreement recorded (reward_agreement_ref)", field="inventors_share",
                minimum=str(policy.min_inventors_share))
        if self.pricing_method is PricingMethod.AGREEMENT:
            if self.publicity_start is None or self.publicity_end is None:
                raise InvalidInput("agreement pricing (协议定价) is published for a period: give its start and end",
                                   field="publicity_end" if self.publicity_start else "publicity_start")
            days = (self.publicity_end - self.publicity_start).days + 1
            if days < policy.min_publicity_days:
                raise InvalidInput(f"the publicity period lasts at least {policy.min_publicity_days} day(s)",
                                   field="publicity_end")
        elif self.publicity_end is not None and self.publicity_start is not None \
                and self.publicity_end < self.publicity_start:
            raise InvalidInput("the publicity period ends before it starts", field="publicity_end")


def check_total_shares(registered: Iterable[Decimal], new: Decimal) -> None:
    """The contributions registered to one company hold at most 100% of it together."""
    total = sum(registered, Decimal(0)) + new
    if total > ONE:
        raise InvalidInput(f"with this contribution the company's contributed shares would total {percent(total)}, "
                           "above 100%", field="share_ratio")


def check_registrable(status: EquityStatus, terms: EquityTerms, today: date, registration_no: str) -> None:
    required_line(registration_no, "registration_no", "the registration (著录项目变更) number")
    if status is EquityStatus.REGISTERED:
        raise Conflict("this contribution is registered already", field="status")
    if terms.pricing_method is PricingMethod.AGREEMENT and terms.publicity_end is not None \
            and today <= terms.publicity_end:
        raise Conflict(f"the publicity period runs until {terms.publicity_end}: register after it", field="status")


def inventors_equity_fen(terms: EquityTerms) -> int:
    """The inventors' part of the contribution's appraised value, in fen (rounded down)."""
    return int(Decimal(terms.appraisal_amount_fen) * terms.inventors_share)
