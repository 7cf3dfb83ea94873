"""A rule set: one tier's criteria under one version of the policy, with its effective period and provenance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from services.registry.domain.evaluation.conditions import Node
from services.registry.domain.evaluation.fingerprint import content_fingerprint
from services.registry.domain.evaluation.model import Confidence
from services.registry.domain.evaluation.scoring import Scoring
from services.registry.domain.figures import Tier
from services.registry.domain.plain import to_plain


@dataclass(frozen=True)
class RuleSet:
    version: str  # the policy document, e.g. "miit-2022-63" (工信部企业〔2022〕63号)
    tier: Tier
    title: str
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    sources: tuple[str, ...]
    confidence: Confidence  # the weakest tag among the facts the rule set rests on
    conditions: Node
    scoring: Scoring | None = None
    doubts: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.version}/{self.tier.value}"

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the rule set's whole content (conditions, thresholds, scoring tables, labels, dates …),
        stable across processes (domain.evaluation.fingerprint). Computed once per rule set object: an evaluation's
        digest includes it, so editing a rule set without changing its version still re-runs its evaluations.
        Rule sets are frozen; a changed one is a new object (``dataclasses.replace``) with its own fingerprint."""
        return content_fingerprint(self)

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def to_dict(self) -> dict[str, Any]:
        """The whole rule set as plain data, for an "explain the rules" endpoint or an audit record."""
        return {"id": self.id, **to_plain(self)}
