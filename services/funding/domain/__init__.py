"""Funding domain: pure rules (no FastAPI, no SQLAlchemy, no I/O) for the two pools (两池): the matching fund pool
(配套基金池) and the innovation-resource pool (创新要素供给池) paid with innovation vouchers (创新券).

* ``programmes``     — fund pool → programme → round: budgets, caps, instruments, dates; dated per-issuer amounts.
* ``eligibility``    — eligibility rules as data, evaluated against the enterprise facts with a reason per rule.
* ``applications``   — the application state machine (draft → … → closed / clawed back) and the amount rules.
* ``ledger``         — the append-only ledger, balances folded from it, the budget invariant, tranches.
* ``vouchers``       — innovation vouchers: issue, redemption rules, the share of a fee they may pay.
* ``resources``      — the resource catalogue, availability calendars and non-overlapping bookings.
* ``double_support`` — the same project funded twice: title similarity on Chinese titles.
* ``awards``         — 免申即享: pre-approved awards from a rule over the enterprise facts, each explained.
* ``money`` ``errors`` ``actors`` — fen and shares, the refusals' base, who triggers a transition.
* ``reference_data`` — REFERENCE §12/§13.2 figures as dated data: demo data, read by no rule.
"""
