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

# Who reads what a firm reports (its annual figures, IP, honours, declarations) and what is computed from it (its
# evaluations, whose inputs and results carry those figures, and its pool-entry assessment): one rule for every
# route that shows them, so that no route gives away what another withholds. Reviewers assess firms and read
# them all; park operators and institutes see their tenants' profiles, never their books.
FIGURE_READER_ROLES = (Role.ADMIN, Role.SERVICE, Role.REVIEWER, Role.OFFICER, Role.ENTERPRISE)
FIGURES_SCOPE = ScopeRule(
    noun="enterprise",
    readers={role: ENTERPRISE_SCOPE.readers[role] for role in FIGURE_READER_ROLES},
    managers=ENTERPRISE_SCOPE.managers,
)
FIGURES = Records(Enterprise, FIGURES_SCOPE)

# Who verifies what a firm declares about itself (an honour such as an HNTE certificate) before statistics and
# evaluations count it: an officer of the firm's district, or an admin. Never the firm itself.
VERIFIER_ROLES = (Role.ADMIN, Role.OFFICER)
VERIFICATION_SCOPE = ScopeRule(
    noun="enterprise",
    readers=ENTERPRISE_SCOPE.readers,
    managers={role: ENTERPRISE_SCOPE.managers[role] for role in VERIFIER_ROLES},
)
VERIFIABLE = Records(Enterprise, VERIFICATION_SCOPE)


def verifies(actor: Actor) -> bool:
    """Whether what ``actor`` records about a firm it manages counts as verified at once (an officer's or admin's
    entry), rather than as the firm's own declaration awaiting an officer."""
    return actor.principal.role in VERIFIER_ROLES


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
