"""Authentication failures are limited per client address (issue 11, item 6): after a few bad tokens from one
address within a window, that address is answered 429 with Retry-After, before its tokens are even checked."""

from __future__ import annotations

import asyncio
import itertools

from shared.auth import AuthFailures, Role, issue_token
from shared.settings import LOCAL_JWT_SECRET
from tests.shared.auth_support import WHOAMI, bearer, client_of, whoami_app

LIMIT, WINDOW = 3, 1.0
SUBJECTS = itertools.count()
BAD = bearer(issue_token(secret="a-secret-the-services-do-not-know", role=Role.ADMIN))


def good() -> dict[str, str]:
    """A valid token not presented before (tokens of one subject made within a second would be the same)."""
    return bearer(issue_token(secret=LOCAL_JWT_SECRET, role=Role.ADMIN, subject=f"admin-{next(SUBJECTS)}"))


async def test_an_address_presenting_bad_tokens_is_held_back_for_the_window() -> None:
    app = whoami_app(auth_failure_limit=LIMIT, auth_failure_window_seconds=WINDOW)
    verifications = 0
    verify = app.state.token_verifier._verify

    async def counting(token: str):  # type: ignore[no-untyped-def]
        nonlocal verifications
        verifications += 1
        return await verify(token)

    app.state.token_verifier._verify = counting
    known_good = good()
    async with client_of(app, "203.0.113.7") as attacker, client_of(app, "198.51.100.1") as bystander:
        assert (await attacker.get(WHOAMI, headers=known_good)).status_code == 200  # verified before the attack
        for _ in range(LIMIT):
            assert (await attacker.get(WHOAMI, headers=BAD)).status_code == 401
        checked = verifications
        held = await attacker.get(WHOAMI, headers=BAD)
        assert held.status_code == 429, held.text
        assert held.headers["content-type"] == "application/problem+json"
        assert held.json()["title"] == "Too many requests"
        assert 1 <= int(held.headers["retry-after"]) <= WINDOW + 1
        # Held back means not checked: a new token from that address costs no verification either.
        assert (await attacker.get(WHOAMI, headers=good())).status_code == 429
        assert verifications == checked
        # A token verified before still passes (the address may be a proxy shared with honest callers) ...
        assert (await attacker.get(WHOAMI, headers=known_good)).status_code == 200
        # ... and other addresses are not affected.
        assert (await bystander.get(WHOAMI, headers=good())).status_code == 200
        assert (await bystander.get(WHOAMI, headers=BAD)).status_code == 401

        await asyncio.sleep(WINDOW + 0.05)
        assert (await attacker.get(WHOAMI, headers=good())).status_code == 200
        assert (await attacker.get(WHOAMI, headers=BAD)).status_code == 401


async def test_successful_requests_and_requests_without_a_token_do_not_count() -> None:
    app = whoami_app(auth_failure_limit=LIMIT, auth_failure_window_seconds=60.0)
    async with client_of(app, "192.0.2.10") as client:
        for _ in range(3 * LIMIT):
            assert (await client.get(WHOAMI)).status_code == 401  # no token: refused, guesses nothing
            assert (await client.get(WHOAMI, headers=good())).status_code == 200
        for _ in range(LIMIT):
            assert (await client.get(WHOAMI, headers=BAD)).status_code == 401
        assert (await client.get(WHOAMI, headers=BAD)).status_code == 429


def test_the_addresses_remembered_are_bounded() -> None:
    failures = AuthFailures(limit=1, window=60.0, max_clients=100)
    for n in range(1_000):
        failures.add(f"10.0.{n // 256}.{n % 256}")
    assert len(failures) == 100
    # The most recent addresses are the ones kept, and they are held back.
    assert failures.retry_after("10.0.3.231") is not None
    assert failures.retry_after("10.0.0.0") is None
