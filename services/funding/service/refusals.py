"""The funding domain's refusals (``domain.errors.FundingRuleError``: no HTTP) as the kit's errors, mapped once.

A refusal of the state of things (an illegal transition, an exhausted budget, a closed round, a key reused) is
409; one of the caller's role in a transition is 403; anything else the caller sent is 422. Every answer keeps
the rule's ``code`` and the numbers behind it (``extra``), so that a client reads ``budget_exhausted`` without
parsing the sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.funding.domain.errors import FundingRuleError
from shared.errors import Conflict, DomainError, InvalidInput, PermissionDenied

CONFLICT_CODES = frozenset({
    "transition_not_allowed", "budget_exhausted", "round_not_open", "round_closed", "key_reused",
    "beyond_reservation", "nothing_reserved", "beyond_paid", "kind_mismatch", "fully_disbursed",
    "tranche_already_paid", "tranche_out_of_order", "nothing_paid", "over_allotted", "programme_over_allocated",
    "above_enterprise_cap", "wrong_round", "no_amount_in_force", "ambiguous_amount",
    # vouchers (domain.vouchers): the voucher's state, not the caller's input
    "expired", "revoked", "before_issue", "already_redeemed", "exhausted", "share_exhausted", "not_yet_expired",
})
FORBIDDEN_CODES = frozenset({"actor_not_allowed", "other_enterprise"})


def as_http(error: FundingRuleError) -> DomainError:
    kind: type[DomainError] = InvalidInput
    if error.code in CONFLICT_CODES:
        kind = Conflict
    elif error.code in FORBIDDEN_CODES:
        kind = PermissionDenied
    extra = {k: v for k, v in error.extra.items() if k not in ("field", "code")}
    return kind(error.detail, field=error.field, code=error.code, **extra)


@contextmanager
def refusals() -> Iterator[None]:
    """Run domain rules; their refusals leave as problem+json answers."""
    try:
        yield
    except FundingRuleError as error:
        raise as_http(error) from None
