"""Scenarios event handlers (none yet)."""

from __future__ import annotations

from shared.bus.consumer import Subscription


def subscriptions() -> list[Subscription]:
    return []
