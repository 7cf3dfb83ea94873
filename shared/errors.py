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


def error_summary(exc: BaseException) -> str:
    """What failed and where, never the words, for logs: an error's message may quote input that is personal data —
    the driver's and PostgreSQL's messages quote the statement's values ("invalid input for query argument $1: …",
    "value "…" is out of range", a unique key's DETAIL), a validation error quotes the value it refused. A database
    error gives its SQLSTATE and statement (the engine hides the parameters: shared.db.create_engine); any other
    error its kind."""
    # Imported here: the services' pure domain layers import this module for their refusals and must not load the
    # ORM (tests/*/domain/test_*_is_pure.py).
    from sqlalchemy.exc import StatementError

    if isinstance(exc, StatementError):
        original = exc.orig if exc.orig is not None else exc
        cause = original.__cause__ or original  # the driver's own error, under SQLAlchemy's adapter
        sqlstate = getattr(original, "sqlstate", None) or getattr(cause, "sqlstate", None)
        return f"{type(cause).__module__}.{type(cause).__qualname__} (SQLSTATE {sqlstate}) in: {exc.statement}"
    return f"{type(exc).__module__}.{type(exc).__qualname__}"
