"""Funding event handlers. Each runs inside the consumer's inbox transaction."""

from __future__ import annotations

from services.funding.models import EnterpriseProfile
from services.funding.service.awards import pay_challenge_bounties
from shared.bus.consumer import Subscription
from shared.events.catalog import SCENARIOS_CHALLENGE
from shared.events.scenarios import ChallengeAccepted
from shared.read_models.enterprises import enterprise_subscription


def subscriptions() -> list[Subscription]:
    return [
        enterprise_subscription(EnterpriseProfile),
        # 揭榜挂帅: a challenge's acceptance passed → the public share of each passed team's award, paid once.
        Subscription(name="challenge-bounties", topics=(SCENARIOS_CHALLENGE.name,),
                     handlers={ChallengeAccepted.event_type: pay_challenge_bounties}),
    ]
