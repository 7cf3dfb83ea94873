"""Registry event handlers: the IP firms gain through licensing (service/acquired_ip.py) and the support they
receive from funding (service/support.py)."""

from __future__ import annotations

from services.registry.service.acquired_ip import HANDLERS as ACQUIRED_IP
from services.registry.service.support import HANDLERS as SUPPORT
from shared.bus.consumer import Subscription
from shared.events.catalog import FUNDING_FUND, LICENSING_EQUITY, LICENSING_LICENCE


def subscriptions() -> list[Subscription]:
    return [Subscription("licensing", (LICENSING_LICENCE.name, LICENSING_EQUITY.name), ACQUIRED_IP),
            Subscription("funding", (FUNDING_FUND.name,), SUPPORT)]
