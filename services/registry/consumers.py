"""Registry event handlers: the IP firms gain through licensing (service/acquired_ip.py). Funding (support received)
will report here too."""

from __future__ import annotations

from services.registry.service.acquired_ip import HANDLERS as ACQUIRED_IP
from shared.bus.consumer import Subscription
from shared.events.catalog import LICENSING_EQUITY, LICENSING_LICENCE


def subscriptions() -> list[Subscription]:
    return [Subscription("licensing", (LICENSING_LICENCE.name, LICENSING_EQUITY.name), ACQUIRED_IP)]
