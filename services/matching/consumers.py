"""Matching's event handlers: they keep the read models. Each runs inside the consumer's inbox transaction."""

from __future__ import annotations

from services.matching.models import EnterpriseProfile
from shared.bus.consumer import Subscription
from shared.read_models.enterprises import enterprise_subscription


def subscriptions() -> list[Subscription]:
    return [enterprise_subscription(EnterpriseProfile)]
