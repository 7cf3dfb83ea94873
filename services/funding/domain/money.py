"""Money and shares (DESIGN §4.6): amounts are integer fen (分), shares are ``Decimal`` fractions, never float.

Rounding, once for the whole service: a share of an amount is rounded **down** to the fen (``share_of``). Public
money then never pays more than the share a rule allows, and a split that must add up exactly gives the remainder to
its last part (``ledger.split_amount``).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000
"""1 万元 = 10 000 元 = 1 000 000 分: the policy texts state their amounts in 万元."""


def wan(amount: int | str | Decimal) -> int:
    """万元 → fen, exactly (``wan("0.5")`` is 500 000 fen). Strings, not floats, so nothing is rounded on the way."""
    if isinstance(amount, float | bool):
        raise TypeError(f"give 万元 as an int, a str or a Decimal, not {amount!r}")
    fen = Decimal(str(amount)) * FEN_PER_WAN
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} 万元 is not a whole number of fen")
    return int(fen)


def require_fen(value: object, name: str, *, positive: bool = False) -> int:
    """``value`` if it is a whole number of fen (≥ 0, or > 0 when ``positive``). A float, a bool or a string is a
    ``TypeError``: money that arrives as ``12.5`` or ``"12.50"`` has already been guessed at by someone."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer number of fen, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'positive' if positive else 'zero or more'}, got {value}")
    return value


def require_share(value: object, name: str) -> Decimal:
    """``value`` if it is a ``Decimal`` fraction in [0, 1]."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"{name} must be a finite Decimal fraction, not {value!r}")
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def share_of(amount_fen: int, share: Decimal) -> int:
    """``amount × share`` rounded down to the fen (the module's one rounding rule)."""
    return int((Decimal(amount_fen) * share).to_integral_value(rounding=ROUND_FLOOR))


def yuan(fen: int) -> str:
    """An amount for a reason text: ``1234567`` → ``"12345.67元"`` (exact; no float on the way)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}元"
