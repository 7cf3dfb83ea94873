"""Registry event handlers. None yet: licensing (IP gained) and funding (support received) will report here."""

from __future__ import annotations

from shared.bus.consumer import Subscription


def subscriptions() -> list[Subscription]:
    return []
