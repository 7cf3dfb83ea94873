"""Matches as the API shows them: each result with its score, its matched words and tags, and every signal's share."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from services.matching.domain.ranking import SIGNALS, WEIGHTS, Scored, Verdict

DemandKind = Literal["scenario", "challenge", "patent"]


class SignalRead(BaseModel):
    value: float = Field(description="the signal, in [0, 1] (feedback: [-1, 1])")
    weight: float = Field(description="its weight in the formula (domain/ranking.py WEIGHTS)")
    points: float = Field(description="value × weight: what it added to the score")


class Explanation(BaseModel):
    score: float = Field(description="Σ weight × signal; at most 1")
    strong: bool = Field(description="score and text signal above the strong thresholds")
    matched_terms: list[str] = Field(description="the demand's words found in the profile, most telling first")
    matched_tags: list[str] = Field(description="the demand's capability tags the firm declares or names")
    signals: dict[str, SignalRead]


def explanation(scored: Scored) -> dict[str, object]:
    return {
        "score": round(scored.score, 4), "strong": scored.strong, "matched_terms": list(scored.matched_terms),
        "matched_tags": list(scored.matched_tags),
        "signals": {s: {"value": round(scored.signals[s], 4), "weight": WEIGHTS[s],
                        "points": round(WEIGHTS[s] * scored.signals[s], 4)} for s in SIGNALS},
    }


class CandidateRead(Explanation):
    enterprise_id: uuid.UUID | None
    uscc: str
    name: str | None


class DemandRef(BaseModel):
    kind: DemandKind
    id: uuid.UUID
    title: str | None


class CandidateList(BaseModel):
    """The firms that can answer a demand, best first. ``verdict``: ``strong`` (at least one strong candidate),
    ``weak_only`` (possibilities only), ``none`` (nobody registered can do it, as far as the text tells)."""

    demand: DemandRef
    verdict: Verdict
    strong_candidates: int
    considered: int = Field(description="firms the index retrieved and the formula scored")
    items: list[CandidateRead]


class OpportunityRead(Explanation):
    demand: DemandRef
    district_code: str | None


class OpportunityList(BaseModel):
    enterprise_id: uuid.UUID
    uscc: str
    verdict: Verdict
    items: list[OpportunityRead]


class SearchHit(BaseModel):
    key: str = Field(description="a firm's USCC, or `<kind>:<id>` of a demand or patent")
    kind: Literal["enterprise", "scenario", "challenge", "patent"]
    id: str | None
    title: str | None = Field(description="a firm's name, a demand's or patent's title")
    score: float
    text: float = Field(description="the text signal: the share of the query's weight the record covers")
    semantic: float = Field(0.0, description="the semantic signal: how close in meaning (multilingual-e5-small "
                            "embeddings), 0…1; the score is text × its weight + semantic × its weight")
    matched_terms: list[str]


class SearchResults(BaseModel):
    query: str
    items: list[SearchHit]
