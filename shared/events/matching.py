"""Payloads of the events the matching service publishes (``seedbed.matching.*``).

No personal data: a feedback event says what kind of marker marked a match (an officer, the publisher, the firm
itself), never who.
"""

from __future__ import annotations

import uuid

from shared.events.catalog import MATCHING_MATCH
from shared.events.envelope import EventPayload, register_event


class RecommendedFirm(EventPayload):
    """One strong candidate and why: the formula's score, the words and tags that matched, each signal's share."""

    enterprise_id: uuid.UUID | None = None
    uscc: str
    name: str
    score: float
    matched_terms: list[str] = []
    matched_tags: list[str] = []
    contributions: dict[str, float] = {}


@register_event
class MatchRecommended(EventPayload):
    """A newly published scenario or challenge has strong candidates (for notification back ends, and for the
    scenarios service to invite them). Sent once per publication; firms below the strong threshold are not listed."""

    event_type = "seedbed.matching.match.recommended.v1"
    topic = MATCHING_MATCH.name

    demand_kind: str  # scenario | challenge
    demand_id: uuid.UUID
    title: str
    district_code: str | None = None
    publisher_uscc: str | None = None
    candidates: list[RecommendedFirm]


@register_event
class MatchFeedbackGiven(EventPayload):
    """Someone marked a match (``match.feedback``): useful, not_useful, contacted or deal. ``previous_mark`` is the
    same marker's earlier mark on the same match, if any (each marker holds one current mark per match)."""

    event_type = "seedbed.matching.match.feedback.v1"
    topic = MATCHING_MATCH.name

    demand_kind: str
    demand_id: uuid.UUID
    uscc: str
    mark: str
    previous_mark: str | None = None
    marker_role: str
    relation: str  # officer | publisher | candidate
