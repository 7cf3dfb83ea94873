"""Typed settings shared by every service.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix`` (``SEEDBED_<SERVICE>_``), and builds
the object in ``create_app`` or the worker's entry point, never at import time (DESIGN §4.7).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.catalogue import PORTS

# The repository root: var/ (SQLite files, logs) lives there when the suite runs locally.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Only for environment=local/test. Production refuses to start with it (see _refuse_default_secret).
LOCAL_JWT_SECRET = "seedbed-local-development-secret-not-for-production"

# RFC 7518 §3.2: an HS256 key is at least as long as the SHA-256 output.
MIN_HS256_SECRET_BYTES = 32

# Each service's API port, from the service catalogue.
SERVICE_PORTS = PORTS


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str]

    environment: Literal["local", "test", "production"] = "local"
    # Empty means the embedded default: a SQLite file under var/.
    database_url: str = ""
    # Connections kept open per process. Size it to the requests one process serves at once: a connection
    # opened beyond the pool (overflow) is closed again after use, and reopening costs milliseconds.
    database_pool_size: int = 20
    # Rows the API keeps in its notified row cache (shared/row_cache.py; PostgreSQL only); 0 turns it off.
    # About 3 KB each: 20,000 covers the programme's firms several times over.
    read_cache_entries: int = 20_000
    kafka_bootstrap: str = "127.0.0.1:19092"
    # Prepended to every topic name, so that several environments (or test runs) can share one cluster.
    kafka_topic_prefix: str = ""
    jwt_secret: SecretStr = SecretStr(LOCAL_JWT_SECRET)
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_jwks_url: str = ""
    # The identity provider's keys are kept this long, then fetched again (shared/auth.py SigningKeys) ...
    jwt_jwks_lifetime_seconds: float = 600.0
    # ... and a token naming a key not among them causes a fetch at most this often; such tokens are refused
    # meanwhile (so a rotated key is picked up within this delay, and forged kids cannot make every request fetch).
    jwt_jwks_refetch_seconds: float = 30.0
    jwt_jwks_timeout_seconds: float = 5.0
    jwt_audience: str = "seedbed"
    jwt_issuer: str = "seedbed"
    # A client address that presented this many bad tokens within the window is answered 429 until the window
    # ends (counted per process: each replica keeps its own count).
    auth_failure_limit: int = 20
    auth_failure_window_seconds: float = 60.0
    http_host: str = "127.0.0.1"
    http_port: int = 0
    # uvicorn worker processes of ``seedbed <service> api`` on one host (each its own event loop, engine and
    # connection pool). 1 on Kubernetes, where more API pods (replicas) are the lever; more where one host's cores
    # serve the API (docs/operations.md "Scale").
    http_workers: int = Field(default=1, ge=1, le=64)
    # Proxies whose X-Forwarded-For names the client (uvicorn's forwarded_allow_ips): the client address is what the
    # failed-sign-in limit counts by. Kubernetes sets "*", since its NetworkPolicy admits only the ingress
    # controller, Prometheus and Seedbed's own pods to the API.
    forwarded_allow_ips: str = "127.0.0.1"
    # The worker's own small HTTP server (/healthz for the liveness probe, /metrics); 0 = the API port + 1000.
    worker_http_port: int = 0
    worker_stall_seconds: float = 60.0
    relay_batch_size: int = 200
    relay_idle_seconds: float = 0.2
    consumer_max_attempts: int = 3
    consumer_retry_backoff_seconds: float = 0.2
    # How long an Idempotency-Key's response is kept for retries (shared/idempotency.py); the worker purges older.
    idempotency_ttl_hours: float = 24.0
    # Request bodies are refused (413) past this many bytes, counted as they arrive and before anything parses them
    # (shared.http.BodyLimitMiddleware). 1 MiB is hundreds of times the largest JSON body any route takes.
    max_body_bytes: int = 1024 * 1024
    # The largest file a route that takes uploads (shared.app.UploadBody: the registry's bulk imports) accepts.
    max_upload_bytes: int = 20 * 1024 * 1024

    @model_validator(mode="after")
    def _fill_defaults(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / (self.service_name + '.db')}"
        if not self.http_port:
            self.http_port = SERVICE_PORTS[self.service_name]
        if not self.worker_http_port:
            self.worker_http_port = self.http_port + 1000
        return self

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> ServiceSettings:
        if self.environment == "production":
            if self.jwt_algorithm == "HS256" and self.jwt_secret.get_secret_value() == LOCAL_JWT_SECRET:
                raise ValueError("jwt_secret must be set in production; the local default is public")
            # RFC 7518 §3.2: an HS256 key must be at least as long as the hash (256 bits); a shorter secret, and
            # an empty one all the more, can be guessed offline from any one token.
            if self.jwt_algorithm == "HS256" and len(self.jwt_secret.get_secret_value().encode()) < MIN_HS256_SECRET_BYTES:
                raise ValueError(f"jwt_secret must be at least {MIN_HS256_SECRET_BYTES} bytes in production (HS256)")
            if self.jwt_algorithm == "RS256" and not self.jwt_jwks_url:
                raise ValueError("jwt_jwks_url must be set when jwt_algorithm is RS256")
            # Keys fetched over plain HTTP could be swapped on the way, and whoever swaps them signs any token.
            if self.jwt_algorithm == "RS256" and not self.jwt_jwks_url.startswith("https://"):
                raise ValueError("jwt_jwks_url must be an https:// URL in production")
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs a PostgreSQL database_url")
        return self

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"
