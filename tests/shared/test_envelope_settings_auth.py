"""Pure rules of the common package: the CloudEvents envelope, settings that refuse unsafe production values,
and token verification."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from services.registry.settings import Settings as RegistrySettings
from shared.auth import Role, TokenVerifier, issue_token
from shared.events.envelope import CloudEvent, MalformedEvent
from shared.events.registry import EnterpriseRegistered
from shared.settings import LOCAL_JWT_SECRET


def test_envelope_round_trips_through_kafka_headers_and_value() -> None:
    payload = EnterpriseRegistered(enterprise_id=uuid.uuid4(), uscc="91330100716105852F", name="阿里巴巴（中国）网络技术有限公司",
                                   district_code="330502")
    event = CloudEvent.of(payload, service="registry", subject=str(payload.enterprise_id), correlation_id="req-1")
    headers = dict(event.kafka_headers())
    assert headers["ce_type"] == b"seedbed.registry.enterprise.registered.v1"
    assert headers["ce_source"] == b"/seedbed/registry"
    assert headers["content-type"] == b"application/json"
    assert "阿里巴巴".encode() in event.kafka_value()  # UTF-8 end to end, not \u escapes
    back = CloudEvent.from_kafka(event.kafka_headers(), event.kafka_value())
    assert back == event
    assert back.payload(EnterpriseRegistered) == payload


def test_consumers_ignore_fields_they_do_not_know() -> None:
    data = {"enterprise_id": str(uuid.uuid4()), "uscc": "x", "name": "n", "district_code": "330502", "added_later": 1}
    assert EnterpriseRegistered.model_validate(data).name == "n"


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([], b"{}", "missing CloudEvents headers"),
        ([("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_specversion", b"0.3")], b"{}", "specversion"),
        ([("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_specversion", b"1.0")], b"{not json", "not JSON"),
        ([("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_specversion", b"1.0")], b"[1]", "not a JSON object"),
    ],
)
def test_malformed_records_are_recognised(headers: list, value: bytes, reason: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(MalformedEvent, match=reason):
        CloudEvent.from_kafka(headers, value)


def test_production_refuses_the_public_default_secret_and_sqlite() -> None:
    with pytest.raises(ValidationError, match="jwt_secret must be set"):
        RegistrySettings(environment="production", database_url="postgresql+asyncpg://u@h/db")
    with pytest.raises(ValidationError, match="PostgreSQL"):
        RegistrySettings(environment="production", jwt_secret="a-real-secret-of-at-least-32-bytes")
    ok = RegistrySettings(environment="production", jwt_secret="a-real-secret-of-at-least-32-bytes",
                          database_url="postgresql+asyncpg://u@h/db")
    assert ok.http_port == 8001


def test_local_defaults_are_sqlite_under_var_and_the_service_port() -> None:
    settings = RegistrySettings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///") and settings.database_url.endswith("/var/registry.db")
    assert settings.topic("seedbed.registry.enterprise") == "seedbed.registry.enterprise"


async def test_token_verification() -> None:
    verifier = TokenVerifier(RegistrySettings())
    principal = await verifier.verify(issue_token(secret=LOCAL_JWT_SECRET, role=Role.OFFICER, districts=["330502"]))
    assert principal.role is Role.OFFICER and principal.districts == ("330502",)
    assert principal.can_see_district("330502") and not principal.can_see_district("330521")
    with pytest.raises(jwt.ExpiredSignatureError):
        await verifier.verify(issue_token(secret=LOCAL_JWT_SECRET, role=Role.ADMIN, ttl=timedelta(seconds=-5)))
    with pytest.raises(jwt.InvalidSignatureError):
        await verifier.verify(issue_token(secret="another-secret", role=Role.ADMIN))
    unknown_role = jwt.encode({"sub": "s", "role": "king", "exp": 9999999999, "aud": "seedbed", "iss": "seedbed"},
                              LOCAL_JWT_SECRET, algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError, match="unknown role"):
        await verifier.verify(unknown_role)
