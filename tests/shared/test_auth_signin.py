"""Production sign-in (issue 11, item 2): RS256 tokens checked against the identity provider's JWKS, served here on
127.0.0.1 with a key pair made by the test; and the production settings that refuse a guessable HS256 secret."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import ValidationError

from services.registry.settings import Settings as RegistrySettings
from shared.settings import MIN_HS256_SECRET_BYTES
from tests.shared.auth_support import WHOAMI, JwksServer, SigningKey, bearer, client_of, whoami_app
from tests.support import free_port

# Failures are not what these tests count: keep the per-client limit out of their way.
NO_FAILURE_LIMIT = {"auth_failure_limit": 1_000_000}


def rs256_app(url: str, **settings: float):  # type: ignore[no-untyped-def]
    return whoami_app(jwt_algorithm="RS256", jwt_jwks_url=url, **{**NO_FAILURE_LIMIT, **settings})


async def test_an_rs256_token_signed_by_the_identity_provider_is_accepted_and_its_keys_are_kept() -> None:
    idp = SigningKey("idp-2026")
    with JwksServer(idp) as jwks:
        async with client_of(rs256_app(jwks.url)) as client:
            first = await client.get(WHOAMI, headers=bearer(idp.token(sub="officer-li", role="officer",
                                                                      districts=["330502"])))
            assert first.status_code == 200, first.text
            assert first.json() == {"subject": "officer-li", "role": "officer", "districts": ["330502"],
                                    "city_wide": False}
            for n in range(5):  # other tokens signed with the same key: no fetch of their own
                assert (await client.get(WHOAMI, headers=bearer(idp.token(sub=f"admin-{n}")))).status_code == 200
        assert jwks.fetches == 1


async def test_a_token_signed_with_another_key_is_refused() -> None:
    idp, forger = SigningKey("idp-2026"), SigningKey("idp-2026")  # the forger even claims the real key's id
    with JwksServer(idp) as jwks:
        async with client_of(rs256_app(jwks.url)) as client:
            forged = await client.get(WHOAMI, headers=bearer(forger.token()))
            assert forged.status_code == 401, forged.text
            assert forged.headers["content-type"] == "application/problem+json"
            assert "Signature verification failed" in forged.json()["detail"]
            # An HS256 token "signed" with the public key (algorithm confusion) is refused too.
            hs256 = await client.get(WHOAMI, headers=bearer(_hs256_with_kid("idp-2026")))
            assert hs256.status_code == 401, hs256.text


def _hs256_with_kid(kid: str) -> str:
    import jwt

    return jwt.encode({"sub": "x", "role": "admin", "exp": 4_102_444_800, "aud": "seedbed", "iss": "seedbed"},
                      "a-guessed-secret-of-thirty-two-bytes", algorithm="HS256", headers={"kid": kid})


async def test_unknown_key_ids_are_refused_with_at_most_one_refetch_per_interval() -> None:
    idp, rotated = SigningKey("idp-2026"), SigningKey("idp-2027")
    with JwksServer(idp) as jwks:
        async with client_of(rs256_app(jwks.url, jwt_jwks_refetch_seconds=1.0)) as client:
            assert (await client.get(WHOAMI, headers=bearer(idp.token()))).status_code == 200
            assert jwks.fetches == 1
            # Within the interval since that fetch, a key id the keys lack is refused without a fetch.
            assert (await client.get(WHOAMI, headers=bearer(idp.token(kid="forged-0")))).status_code == 401
            assert jwks.fetches == 1
            # Past it, a burst of tokens naming keys the provider does not have: refused, with one fetch in all.
            await asyncio.sleep(1.05)
            answers = await asyncio.gather(*(client.get(WHOAMI, headers=bearer(idp.token(kid=f"forged-{n % 3}")))
                                             for n in range(60)))
            assert {a.status_code for a in answers} == {401}
            assert "no signing key with kid" in answers[0].json()["detail"]
            assert jwks.fetches == 2
            for _ in range(20):
                assert (await client.get(WHOAMI, headers=bearer(idp.token(kid="forged-1")))).status_code == 401
            assert jwks.fetches == 2, "a refetch within the interval"

            # The provider rotates its key: tokens of the new key are accepted once the interval has passed.
            jwks.keys.append(rotated)
            await asyncio.sleep(1.05)
            assert (await client.get(WHOAMI, headers=bearer(rotated.token()))).status_code == 200
            assert jwks.fetches == 3


async def test_a_slow_identity_provider_does_not_hold_up_other_requests() -> None:
    idp, rotated = SigningKey("idp-2026"), SigningKey("idp-2027")
    with JwksServer(idp) as jwks:
        app = rs256_app(jwks.url, jwt_jwks_refetch_seconds=0.0, jwt_jwks_timeout_seconds=10.0)
        async with client_of(app) as client:
            assert (await client.get(WHOAMI, headers=bearer(idp.token()))).status_code == 200
            jwks.keys.append(rotated)
            jwks.hold.clear()
            # A token of a key not yet known: its request waits for the provider, which takes its time.
            waiting = asyncio.create_task(client.get(WHOAMI, headers=bearer(rotated.token())))
            assert await asyncio.to_thread(jwks.waiting.wait, 5), "the JWKS fetch did not start"
            started = time.perf_counter()
            health = await client.get("/healthz")
            known = await client.get(WHOAMI, headers=bearer(idp.token(sub="another-caller")))
            elapsed = time.perf_counter() - started
            assert (health.status_code, known.status_code) == (200, 200)
            assert not waiting.done()
            assert elapsed < 1.0, f"other requests took {elapsed:.2f} s while the JWKS fetch hung"
            jwks.hold.set()
            assert (await waiting).status_code == 200


async def test_an_unreachable_identity_provider_is_a_503_to_retry_not_a_bad_token() -> None:
    nobody = f"http://127.0.0.1:{free_port()}/jwks.json"
    async with client_of(rs256_app(nobody, jwt_jwks_refetch_seconds=30.0, auth_failure_limit=2)) as client:
        for _ in range(4):  # beyond the failure limit: the callers are not at fault, so nobody is held back
            answer = await client.get(WHOAMI, headers=bearer(SigningKey("idp-2026").token()))
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.json()["title"] == "Service unavailable"


async def test_a_provider_answering_nonsense_is_a_503_until_it_serves_its_keys_again() -> None:
    idp = SigningKey("idp-2026")
    with JwksServer(idp) as jwks:
        async with client_of(rs256_app(jwks.url, jwt_jwks_refetch_seconds=0.3, jwt_jwks_lifetime_seconds=0.3)) as client:
            for nonsense in (b'["not", "a", "key set"]', b'{"keys": ["not a key"]}', b"<html>502</html>"):
                jwks.body = nonsense
                await asyncio.sleep(0.35)
                assert (await client.get(WHOAMI, headers=bearer(idp.token()))).status_code == 503
            jwks.body = None
            await asyncio.sleep(0.35)
            assert (await client.get(WHOAMI, headers=bearer(idp.token()))).status_code == 200
            # Once it has keys, a bad answer to the refresh of expired ones leaves them in place.
            jwks.body = b"{}"
            await asyncio.sleep(0.35)
            assert (await client.get(WHOAMI, headers=bearer(idp.token(sub="later")))).status_code == 200
            assert jwks.fetches == 5


def test_production_refuses_an_empty_or_short_hs256_secret() -> None:
    production = {"environment": "production", "database_url": "postgresql+asyncpg://u@h/db"}
    for secret in ("", "s" * (MIN_HS256_SECRET_BYTES - 1), "密" * 10):  # 30 bytes in UTF-8
        with pytest.raises(ValidationError, match=f"at least {MIN_HS256_SECRET_BYTES} bytes"):
            RegistrySettings(**production, jwt_secret=secret)
    assert RegistrySettings(**production, jwt_secret="s" * MIN_HS256_SECRET_BYTES).jwt_algorithm == "HS256"
    # Outside production the short secrets of tests and local runs stay allowed.
    assert RegistrySettings(environment="test", jwt_secret="short").environment == "test"
    # RS256 needs no secret, but its keys must come over TLS.
    with pytest.raises(ValidationError, match="https"):
        RegistrySettings(**production, jwt_algorithm="RS256", jwt_jwks_url="http://idp.example/jwks.json")
    assert RegistrySettings(**production, jwt_algorithm="RS256", jwt_secret="",
                            jwt_jwks_url="https://idp.example/jwks.json").jwt_algorithm == "RS256"
