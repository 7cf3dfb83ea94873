"""Who may act on which enterprise: the scopes of DESIGN §6, in one place for every registry use case."""

from __future__ import annotations

from services.registry.models import Enterprise
from shared.auth import Actor, Role
from shared.repository import Records
from shared.scope import EVERYWHERE, InDistrict, OnPlatform, OwnUscc, ScopeRule

# Who reads and who changes an enterprise record (DESIGN §6). Reviewers read every firm (they assess them);
# park operators read their current tenants (tenancy sets platform_id).
ENTERPRISE_SCOPE = ScopeRule(
    noun="enterprise",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.REVIEWER: EVERYWHERE,
             Role.OFFICER: InDistrict(Enterprise.district_code), Role.ENTERPRISE: OwnUscc(Enterprise.uscc),
             Role.PARK_OPERATOR: OnPlatform(Enterprise.platform_id), Role.INSTITUTE: OnPlatform(Enterprise.platform_id)},
    managers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(Enterprise.district_code),
              Role.ENTERPRISE: OwnUscc(Enterprise.uscc)},
)
ENTERPRISES = Records(Enterprise, ENTERPRISE_SCOPE)


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
