"""A service built with the kit (shared/app.py) whose one route answers who the caller is, and an identity provider's
JWKS endpoint served on 127.0.0.1: what the tests of sign-in (shared/auth.py) run against."""

# No ``from __future__ import annotations``: FastAPI reads the route's annotations.
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, FastAPI

from services.funding.models import bus
from shared.app import build_service_app
from shared.auth import Actor, Role, require_actor
from tests.support import settings_for

WHOAMI = "/v1/whoami"


def whoami_app(**settings: Any) -> FastAPI:
    """The kit's app with ``settings`` (no database is reached: the route reads only the token)."""
    router = APIRouter()

    @router.get(WHOAMI)
    async def whoami(actor: Annotated[Actor, require_actor(*Role)]) -> dict[str, Any]:
        p = actor.principal
        return {"subject": p.subject, "role": p.role, "districts": list(p.districts), "city_wide": p.city_wide}

    return build_service_app(settings_for("funding", **settings), title="whoami", description="test", tables=bus,
                             routers=[router])


def client_of(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client calling ``app`` in process, from ``address`` (the address the failure limit counts by)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class SigningKey:
    """An RSA key pair of an identity provider, and the tokens it signs."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def token(self, *, kid: str | None = None, **claims: Any) -> str:
        body = {"sub": "idp-user", "role": "admin", "exp": 4_102_444_800, "aud": "seedbed", "iss": "seedbed", **claims}
        return jwt.encode(body, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


class JwksServer:
    """The identity provider's JWKS endpoint on 127.0.0.1, in a thread of its own (so that it can be slow without
    slowing the event loop the app runs on). ``hold`` makes requests wait until it is released."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.body: bytes | None = None  # served instead of the keys when set (a provider answering nonsense)
        self.fetches = 0
        self.hold = threading.Event()
        self.hold.set()  # set: answer at once; cleared: requests wait for it
        self.waiting = threading.Event()  # set once a request waits on ``hold``
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                server.fetches += 1
                if not server.hold.is_set():
                    server.waiting.set()
                    server.hold.wait(30)
                body = server.body or json.dumps({"keys": [k.jwk() for k in server.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "JwksServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()
