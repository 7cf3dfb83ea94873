"""Scenarios domain: pure rules (no FastAPI, no SQLAlchemy, no I/O), one module per aggregate.

* ``scenarios``     — 产业链场景应用清单 entries: lifecycle, content checks, closing outcomes.
* ``challenges``    — 揭榜挂帅: stages, indicators, the bounty and its split, IP terms, 赛马 awards, milestones, and the
                      parameters REFERENCE §7 leaves open (``ChallengeRules``).
* ``applications``  — 揭榜申报: consortium, proposal, team; lifecycle; appointment; reasons for those not chosen.
* ``reviews``       — 专家评审: criteria and weights, score sheets, conflicts of interest, trimmed mean, ranking.
* ``eligibility``   — 申报条件 as data, checked against the enterprise read model, every failing rule named.

Shared by them: ``lifecycle`` (roles, transition tables, refusals), ``values`` (fen, text, tags, dates, publisher),
``classification`` (四业, "4210", districts). Refusals are ``shared.errors`` domain errors naming the field at fault.
"""
