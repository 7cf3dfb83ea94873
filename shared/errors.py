"""Domain errors: business refusals that carry no HTTP. The edge (``shared.http``) maps each kind once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of expected refusals. ``field`` names the input at fault where there is one."""

    title = "Request refused"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class InvalidInput(DomainError):
    title = "Invalid input"


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    title = "Conflict"


class PreconditionFailed(DomainError):
    title = "Precondition failed"


class PermissionDenied(DomainError):
    title = "Forbidden"


class PreconditionRequired(DomainError):
    """An update of a shared record came without If-Match (RFC 6585 428)."""

    title = "Precondition required"
