"""Who may act on which enterprise: the scopes of DESIGN §6, in one place for every registry use case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from services.registry.models import Enterprise
from shared.auth import Actor, Role
from shared.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Scope:
    """The districts a caller's lists and numbers cover: None is the whole city."""

    districts: tuple[str, ...] | None

    def apply(self, query: Select[Any], column: Any = Enterprise.district_code) -> Select[Any]:
        return query if self.districts is None else query.where(column.in_(self.districts))


def scope_for(actor: Actor, district_code: str | None) -> Scope:
    """Officers see their districts only; ``district_code`` narrows any caller to one district (refused if it is
    outside the caller's)."""
    p = actor.principal
    if district_code is not None:
        if not p.can_see_district(district_code):
            raise PermissionDenied(f"district {district_code} is outside this officer's scope", field="district_code")
        return Scope((district_code,))
    if p.role == Role.OFFICER and p.districts:
        return Scope(tuple(p.districts))
    return Scope(None)


def ensure_may_manage(actor: Actor, district_code: str, uscc: str | None = None) -> None:
    """Write access: admins and services everywhere, officers in their districts, an enterprise on its own record."""
    p = actor.principal
    if p.role == Role.ENTERPRISE:
        if uscc is None or p.uscc != uscc:
            raise PermissionDenied("an enterprise may act only on its own record")
        return
    if p.role not in (Role.ADMIN, Role.OFFICER, Role.SERVICE):
        raise PermissionDenied(f"role {p.role.value} may not change enterprise records")
    if not p.can_see_district(district_code):
        raise PermissionDenied(f"district {district_code} is outside this officer's scope", field="district_code")


def ensure_may_read(actor: Actor, enterprise: Enterprise) -> None:
    """Read access. A record outside the caller's scope is reported as absent (404), so that callers cannot
    learn which other firms are registered."""
    p = actor.principal
    if p.role == Role.ENTERPRISE and p.uscc != enterprise.uscc:
        raise NotFound(f"no enterprise {enterprise.id}")
    if p.role == Role.OFFICER and not p.can_see_district(enterprise.district_code):
        raise NotFound(f"no enterprise {enterprise.id}")
    if p.role in (Role.PARK_OPERATOR, Role.INSTITUTE):
        # Park operators see their current tenants (tenancy sets platform_id).
        if enterprise.platform_id is None or str(enterprise.platform_id) not in p.platform_ids:
            raise NotFound(f"no enterprise {enterprise.id}")


def sees_personal_data(actor: Actor, enterprise: Enterprise) -> bool:
    """Contacts and the legal representative are shown to those who work the case, masked for everyone else."""
    p = actor.principal
    if p.role == Role.ADMIN:
        return True
    if p.role == Role.ENTERPRISE:
        return p.uscc == enterprise.uscc
    if p.role == Role.OFFICER:
        return p.can_see_district(enterprise.district_code)
    return False


async def load_enterprise(session, actor: Actor, enterprise_id, *, for_update: bool = False) -> Enterprise:  # type: ignore[no-untyped-def]
    """The enterprise if it exists and the actor may see it; NotFound otherwise. ``for_update`` reads it under a
    row lock held to the end of the transaction (PostgreSQL; SQLite serialises writers anyway)."""
    enterprise = await session.get(Enterprise, enterprise_id, with_for_update=True if for_update else None)
    if enterprise is None:
        raise NotFound(f"no enterprise {enterprise_id}")
    ensure_may_read(actor, enterprise)
    return enterprise
