"""Invitations (邀约): matching recommends a firm for a newly published scenario or challenge
(``match.recommended``), and the scenarios service invites it to answer. Pure rules.

Lifecycle
---------
::

    pending ──accept──▶ accepted        (a scenario: the firm's interest is recorded, 意向; a challenge: it is
       │                                 pointed to the application, 揭榜申报)
       └────decline (reason code)──▶ declined

An invitation is answered once, by the invited firm: both answers are final, so that of two answers given at once
exactly one is recorded (the other finds the invitation answered). A firm that declined and changes its mind still
answers the scenario itself (``POST /v1/scenarios/{id}/interests``) or applies to the challenge.

Which demands take invitations
------------------------------
A demand takes invitations, and an invitation can be accepted, while the firm can still act on it: a scenario
while it takes expressions of interest (on the list, unmatched: ``scenarios.ACCEPTS_INTEREST``); a challenge
while it is published or open for applications and its application deadline has not passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from services.scenarios.domain.challenges import ChallengeStage
from services.scenarios.domain.lifecycle import Change, Role, Step, take_step
from services.scenarios.domain.scenarios import ACCEPTS_INTEREST
from shared.errors import Conflict, InvalidInput

AGGREGATE = "invitation"


class DemandKind(StrEnum):
    """What matching recommended the firm for (``match.recommended``'s ``demand_kind``)."""

    SCENARIO = "scenario"
    CHALLENGE = "challenge"


class InvitationStatus(StrEnum):
    PENDING = "pending"  # 待答复
    ACCEPTED = "accepted"  # 接受邀约
    DECLINED = "declined"  # 谢绝


class InvitationCommand(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class DeclineCode(StrEnum):
    """Why a firm declined: coded, so that officers (and, one day, matching) can count how recommendations miss."""

    OUTSIDE_OUR_FIELD = "outside_our_field"  # the need is not what the firm does: the recommendation missed
    NO_CAPACITY = "no_capacity"  # the firm could, but not now
    TERMS_UNSUITABLE = "terms_unsuitable"  # budget, deadline, IP terms or place do not suit it
    OTHER = "other"  # said in the reason's text


S, C = InvitationStatus, InvitationCommand
_INVITED = frozenset({Role.INVITEE})

TRANSITIONS = MappingProxyType({
    S.PENDING: MappingProxyType({C.ACCEPT: Step(S.ACCEPTED, _INVITED), C.DECLINE: Step(S.DECLINED, _INVITED)}),
    S.ACCEPTED: MappingProxyType({}),
    S.DECLINED: MappingProxyType({}),
})

# A challenge takes invitations while firms may still apply: on the list before the window opens, and while it is
# open (the deadline is checked besides).
CHALLENGE_INVITES = frozenset({ChallengeStage.PUBLISHED, ChallengeStage.APPLICATIONS_OPEN})


def answer(current: InvitationStatus | str, command: InvitationCommand | str, acting_as: Role | str | Iterable[Role],
           *, reason_code: DeclineCode | str | None = None, reason: str | None = None) -> Change:
    """The change an answer makes to an invitation in ``current``, or the refusal. Declining needs a reason code
    (:class:`DeclineCode`), and the reason's text when the code is ``other``; accepting takes neither. The code is
    returned as the change's ``outcome``."""
    change = take_step(AGGREGATE, TRANSITIONS, InvitationStatus, InvitationCommand, current, command, acting_as)
    reason = reason.strip() if isinstance(reason, str) else None
    if change.command is C.ACCEPT:
        if reason_code is not None:
            raise InvalidInput("only a decline carries a reason code", field="reason_code")
        return change
    codes = sorted(DeclineCode)
    if reason_code is None:
        raise InvalidInput(f"a firm that declines says why: give a reason code ({', '.join(codes)})",
                           field="reason_code", codes_allowed=codes)
    try:
        code = DeclineCode(reason_code)
    except ValueError:
        raise InvalidInput(f"unknown reason code {reason_code!r}; one of: {', '.join(codes)}", field="reason_code",
                           codes_allowed=codes) from None
    if code is DeclineCode.OTHER and not reason:
        raise InvalidInput("the reason code other needs the reason in words", field="reason")
    return Change(change.aggregate, change.from_state, change.to_state, change.command, change.role, reason or None,
                  code)


def takes_invitations(kind: DemandKind | str, status: str, deadline: date | None, today: date) -> bool:
    """Whether the firm can still act on an invitation to this demand (the module's docstring)."""
    if DemandKind(kind) is DemandKind.SCENARIO:
        return status in ACCEPTS_INTEREST
    return status in CHALLENGE_INVITES and (deadline is None or today <= deadline)


class DemandNoLongerOpen(Conflict):
    title = "No longer open"


def ensure_takes_invitations(kind: DemandKind | str, status: str, deadline: date | None, today: date) -> None:
    """Accepting is refused once the firm can no longer act on the demand (declining never is)."""
    if takes_invitations(kind, status, deadline, today):
        return
    if DemandKind(kind) is DemandKind.CHALLENGE and status in CHALLENGE_INVITES:
        raise DemandNoLongerOpen(f"applications to this challenge closed on {deadline}; the invitation can only be "
                                 "declined", field="application_deadline", deadline=str(deadline))
    allowed = sorted(ACCEPTS_INTEREST if DemandKind(kind) is DemandKind.SCENARIO else CHALLENGE_INVITES)
    raise DemandNoLongerOpen(f"the {kind} is {status}; an invitation is accepted while it is "
                             f"{' or '.join(allowed)}, and can now only be declined", field="status",
                             current_status=status, states_allowed=allowed)
