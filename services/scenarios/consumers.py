"""Scenarios event handlers. Each runs inside the consumer's inbox transaction."""

from __future__ import annotations

from services.scenarios.models import EnterpriseProfile
from shared.bus.consumer import Subscription
from shared.read_models.enterprises import enterprise_subscription


def subscriptions() -> list[Subscription]:
    return [enterprise_subscription(EnterpriseProfile)]
