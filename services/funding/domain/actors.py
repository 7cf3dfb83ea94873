"""Who triggers a transition, as the domain sees it. The service maps its principals (shared/auth.py roles) onto
these once: ``admin`` acts as an officer; ``service`` (machine to machine, the worker, the 免申即享 run) is the system;
a provider is an ``institute`` or ``park_operator`` principal acting for a resource's provider; reviewers score
applications but trigger no transition of their own (the officer decides on their scores)."""

from __future__ import annotations

from enum import StrEnum


class Actor(StrEnum):
    ENTERPRISE = "enterprise"  # the applicant firm (its own USCC)
    OFFICER = "officer"  # a programme officer (city or district)
    SYSTEM = "system"  # the service itself: eligibility checks, scheduled payments, expiries
    PROVIDER = "provider"  # the provider of an innovation resource (a lab, an institute, a compute centre)
