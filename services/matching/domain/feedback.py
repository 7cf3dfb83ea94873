"""Feedback on matches, and how it moves the ranking (the ``feedback`` signal of domain/ranking.py).

Officers and enterprises mark a match (a demand and a firm): useful, not useful, contacted, deal. Each marker
holds one current mark per match (a new mark replaces the old one), so repeating a click changes nothing.

How the marks become the signal, in [-1, 1] (its weight in the score is ``WEIGHTS["feedback"]``, 0.08):

    match  = Σ over the match's markers of MARK_VALUES[mark] × RELATION_WEIGHTS[relation][mark]
    record = RECORD_WEIGHT × (1 − exp(−deals / RECORD_SCALE))    deals: distinct other demands where an officer or
                                                                   the publisher marked a deal with this firm
    signal = clamp(match + record, −1, 1)

Why it cannot be gamed by one firm's clicks:

* a firm's marks on its own candidacy never lift it (weight 0 for its positive marks; its "not useful" — not
  interested — counts, so a firm can step aside);
* a publisher's marks count only on its own demand, an officer's wherever it works;
* one marker counts once per match, whatever it clicks; marks are summed over distinct markers and the sum is
  capped, and the whole signal weighs 0.08 of the score: feedback re-orders close candidates, it never makes one;
* the track record counts deals only, by officers and publishers, once per demand, and saturates.

An officer's deal weighs most (1.0), then a publisher's deal (0.8); contacts and "useful" say less. The
programme's own outcomes are put in the book as officers' deals (service/indexing.py): the teams appointed to a
challenge, and the supplier of a scenario closed after a successful trial (scaled up or validated).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Mark(StrEnum):
    USEFUL = "useful"
    NOT_USEFUL = "not_useful"
    CONTACTED = "contacted"
    DEAL = "deal"


class Relation(StrEnum):
    """The marker's relation to the match."""

    OFFICER = "officer"          # a programme officer (or an admin)
    PUBLISHER = "publisher"      # the enterprise that published the demand
    CANDIDATE = "candidate"      # the firm that was matched


MARK_VALUES: dict[Mark, float] = {Mark.DEAL: 1.0, Mark.CONTACTED: 0.4, Mark.USEFUL: 0.3, Mark.NOT_USEFUL: -0.6}

RELATION_WEIGHTS: dict[Relation, dict[Mark, float]] = {
    Relation.OFFICER: {m: 1.0 for m in Mark},
    Relation.PUBLISHER: {Mark.DEAL: 0.8, Mark.CONTACTED: 0.8, Mark.USEFUL: 0.8, Mark.NOT_USEFUL: 0.8},
    Relation.CANDIDATE: {Mark.DEAL: 0.0, Mark.CONTACTED: 0.0, Mark.USEFUL: 0.0, Mark.NOT_USEFUL: 1.0},
}

RECORD_WEIGHT = 0.5
RECORD_SCALE = 2.0


def clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def match_value(marks: Iterable[tuple[Relation, Mark]]) -> float:
    """The marks of one match by distinct markers (one (relation, mark) each)."""
    return clamp(sum(MARK_VALUES[m] * RELATION_WEIGHTS[r][m] for r, m in marks))


def counts_as_deal(relation: Relation, mark: Mark) -> bool:
    return mark is Mark.DEAL and relation in (Relation.OFFICER, Relation.PUBLISHER)


def record_value(deals: int) -> float:
    return RECORD_WEIGHT * (1 - math.exp(-deals / RECORD_SCALE))


@dataclass
class FeedbackBook:
    """The current marks, held in memory by the engine: marker → (relation, mark) per (demand key, firm)."""

    marks: dict[tuple[str, str], dict[str, tuple[Relation, Mark]]] = field(default_factory=dict)
    deals: dict[str, set[str]] = field(default_factory=dict)

    def put(self, demand: str, firm: str, marker: str, relation: Relation, mark: Mark) -> None:
        self.marks.setdefault((demand, firm), {})[marker] = (relation, mark)
        self._recount(demand, firm)

    def _recount(self, demand: str, firm: str) -> None:
        dealt = any(counts_as_deal(r, m) for r, m in self.marks.get((demand, firm), {}).values())
        demands = self.deals.setdefault(firm, set())
        if dealt:
            demands.add(demand)
        else:
            demands.discard(demand)

    def signal(self, demand: str, firm: str) -> float:
        marks = self.marks.get((demand, firm))
        match = match_value(marks.values()) if marks else 0.0
        others = self.deals.get(firm)
        deals = len(others - {demand}) if others else 0
        return clamp(match + (record_value(deals) if deals else 0.0))
