"""Expert review (专家评审) of challenge applications: criteria and weights, score sheets, conflicts of interest, and
the ranking. Pure rules; every number is a Decimal, never a float.

Criteria and a sheet's total
----------------------------
A review template lists criteria, each with a weight and its own score range (e.g. technical route 0–10, team
0–5). Weights are **fractions that add up to exactly 1** (0.40 + 0.35 + 0.25), the form every ratio of the suite
takes (DESIGN §4.6) and the registry's growth weights use; a template "out of 100 points" is written as 0.40 …
A sheet's total is on a 0–100 scale::

    total = 100 × Σ wᵢ · (sᵢ − minᵢ) / (maxᵢ − minᵢ)       rounded half up to 4 decimals

so criteria with different ranges weigh exactly as their weights say. A reviewer scores every criterion once,
within its range, with at most ``score_places`` decimals (2: experts write 8.5 or 7.25, not 7.123456).

Aggregation and ranking
-----------------------
An application's score is the mean of its sheets' totals, after dropping the single highest and the single lowest
when there are ``trim_from`` (5) or more sheets (one of each, even when several sheets share the extreme value),
rounded half up to 4 decimals. The mean of a trimmed list lies between its extremes, and rounding to the
4-decimal grid the totals already lie on keeps it there.

Ranking is by score, highest first. Ties are broken, in order, by:

1. the plain mean of all the sheets (the trimmed-off extremes decide between equal trimmed means);
2. the lead applicant's USCC, ascending, as the registry's screening ranks (arbitrary but stable: the same inputs
   always give the same ranking, whatever order the sheets were stored in);
3. the application id, for the impossible case of one USCC leading two applications to one challenge.

An entry whose score another entry shares is marked ``tie_broken``, so that an officer sees where the rule, not the
experts, decided.

Conflicts of interest (回避)
---------------------------
A reviewer may not be assigned an application when the reviewer's own organisation is the applicant or a consortium
partner (same USCC), or the reviewer has declared a tie with one of them: a shareholding, employment, or an office
(director, supervisor, senior manager). Every tie found is named in the refusal. The rule and the declarations are
the kit's (``shared.reviewers``), shared with funding's reviews.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from services.scenarios.domain.values import check_decimal, check_text, optional_text
from shared.conflicts import uscc_key
from shared.errors import Conflict, InvalidInput, PermissionDenied

_PLACES = Decimal("0.0001")
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ReviewRules:
    """Parameters of the review. The panel size, pass mark and scoring precision of Huzhou's 揭榜挂帅 were not
    found (REFERENCE §7 open question 1, [U]); ``trim_from`` 5 is the programme's own rule (issue 12)."""

    trim_from: int = 5  # drop the highest and lowest from this many sheets on
    min_sheets: int = 1  # fewer sheets than this leave an application unranked
    score_places: int = 2  # decimals a criterion score may have
    pass_mark: Decimal | None = None  # a score below it cannot be appointed (0–100 scale); None: no mark

    def __post_init__(self) -> None:
        if self.trim_from < 3:
            raise ValueError("trimming needs at least 3 sheets, or nothing would be left")
        if self.min_sheets < 1 or self.score_places < 0:
            raise ValueError("min_sheets ≥ 1 and score_places ≥ 0")
        if self.pass_mark is not None:
            mark = check_decimal(self.pass_mark, "pass_mark")
            if not Decimal(0) <= mark <= _HUNDRED:
                raise ValueError("the pass mark is on the 0–100 scale")
            object.__setattr__(self, "pass_mark", mark)


DEFAULT_REVIEW_RULES = ReviewRules()


# --------------------------------------------------------------------------------------------------------------
# Criteria and score sheets
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """评审指标: ``key`` identifies it on score sheets; ``name`` is what experts read (技术路线可行性 …)."""

    key: str
    name: str
    weight: Decimal
    max_score: Decimal = Decimal(10)
    min_score: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "key", check_text(self.key, "key"))
        set_(self, "name", check_text(self.name, "name"))
        for name in ("weight", "max_score", "min_score"):
            set_(self, name, check_decimal(getattr(self, name), name))
        if self.weight <= 0:
            raise InvalidInput("a criterion's weight is above 0 (leave out a criterion that counts for nothing)",
                               field="weight")
        if self.max_score <= self.min_score:
            raise InvalidInput("a criterion's maximum score is above its minimum", field="max_score")


@dataclass(frozen=True)
class ReviewTemplate:
    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        criteria = tuple(self.criteria)
        if not criteria:
            raise InvalidInput("a review has at least one criterion", field="criteria")
        keys: set[str] = set()
        for index, criterion in enumerate(criteria):
            if criterion.key in keys:
                raise InvalidInput(f"criterion {criterion.key!r} is listed twice", field=f"criteria.{index}.key")
            keys.add(criterion.key)
        total = sum((c.weight for c in criteria), Decimal(0))
        if total != 1:
            raise InvalidInput(f"the weights add up to {total}, not exactly 1", field="criteria",
                               weight_total=str(total))
        object.__setattr__(self, "criteria", criteria)


@dataclass(frozen=True)
class ScoreSheet:
    """One reviewer's scores for one application, and their total (0–100, 4 decimals)."""

    reviewer_id: str
    application_id: str
    scores: Mapping[str, Decimal]
    total: Decimal
    comment: str | None = field(default=None, compare=False)


def score_sheet(template: ReviewTemplate, reviewer_id: str, application_id: str, scores: Mapping[str, object],
                comment: str | None = None, rules: ReviewRules = DEFAULT_REVIEW_RULES) -> ScoreSheet:
    """A sheet checked against the template: every criterion scored, nothing else, each score within its range
    and with at most ``rules.score_places`` decimals."""
    by_key = {c.key: c for c in template.criteria}
    extra = sorted(set(scores) - set(by_key))
    if extra:
        raise InvalidInput(f"no such criterion: {', '.join(map(str, extra))}", field=f"scores.{extra[0]}")
    missing = [key for key in by_key if key not in scores]
    if missing:
        raise InvalidInput(f"every criterion is scored; missing: {', '.join(missing)}", field=f"scores.{missing[0]}")
    checked: dict[str, Decimal] = {}
    weighted = Decimal(0)
    for key, criterion in by_key.items():
        where = f"scores.{key}"
        value = check_decimal(scores[key], where)
        if not criterion.min_score <= value <= criterion.max_score:
            raise InvalidInput(f"{criterion.name} is scored from {criterion.min_score} to {criterion.max_score}; "
                               f"{value} is outside", field=where)
        if value != value.quantize(Decimal(1).scaleb(-rules.score_places), ROUND_HALF_UP):
            raise InvalidInput(f"a score has at most {rules.score_places} decimals; {value} has more", field=where)
        checked[key] = value
        weighted += criterion.weight * (value - criterion.min_score) / (criterion.max_score - criterion.min_score)
    total = (_HUNDRED * weighted).quantize(_PLACES, ROUND_HALF_UP)
    return ScoreSheet(check_text(reviewer_id, "reviewer_id"), check_text(application_id, "application_id"),
                      MappingProxyType(checked), total, optional_text(comment, "comment"))


class NotAssigned(PermissionDenied):
    pass


class AlreadyScored(Conflict):
    title = "Already scored"


def check_submission(sheet: ScoreSheet, assignments: Collection[tuple[str, str]], submitted: Iterable[ScoreSheet]) -> None:
    """A reviewer scores only what they are assigned (``(reviewer_id, application_id)`` pairs), once: a second
    sheet is refused, not taken as a correction (a reviewer who changes their mind after seeing the others' scores
    is exactly what the rule prevents)."""
    key = (sheet.reviewer_id, sheet.application_id)
    if key not in assignments:
        raise NotAssigned(f"reviewer {sheet.reviewer_id} is not assigned application {sheet.application_id}",
                          field="application_id")
    if any((s.reviewer_id, s.application_id) == key for s in submitted):
        raise AlreadyScored(f"reviewer {sheet.reviewer_id} has already scored application {sheet.application_id}; "
                            "a score sheet is submitted once", field="scores")


def visible_sheets(viewer_id: str, sheets: Iterable[ScoreSheet]) -> tuple[ScoreSheet, ...]:
    """What a reviewer sees of one application's sheets: nothing before submitting their own (so that no one
    scores with the others' scores in view), every sheet afterwards."""
    sheets = tuple(sheets)
    if not any(s.reviewer_id == viewer_id for s in sheets):
        return ()
    return sheets


# --------------------------------------------------------------------------------------------------------------
# Aggregation and ranking
# --------------------------------------------------------------------------------------------------------------


def _mean(values: Sequence[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(_PLACES, ROUND_HALF_UP)


def aggregate(totals: Sequence[Decimal], rules: ReviewRules = DEFAULT_REVIEW_RULES) -> Decimal:
    """The application's score: the mean of its sheets' totals, without the single highest and single lowest when
    there are ``rules.trim_from`` or more."""
    if not totals:
        raise ValueError("no scores to aggregate")
    values = sorted(check_decimal(t, "totals") for t in totals)
    if len(values) >= rules.trim_from:
        values = values[1:-1]
    return _mean(values)


@dataclass(frozen=True)
class Scored:
    """An application and its sheets' totals, as the ranking needs them."""

    application_id: str
    lead_uscc: str
    totals: tuple[Decimal, ...]


@dataclass(frozen=True)
class RankedApplication:
    application_id: str
    lead_uscc: str
    rank: int  # 1 = best
    score: Decimal  # the aggregate (trimmed mean from trim_from sheets on)
    plain_mean: Decimal
    sheets: int
    trimmed: bool
    tie_broken: bool  # another application has the same score: the tie-break rule decided the order


@dataclass(frozen=True)
class Ranking:
    entries: tuple[RankedApplication, ...]
    unranked: tuple[str, ...]  # application ids with fewer sheets than rules.min_sheets

    def position(self, application_id: str) -> RankedApplication | None:
        return next((e for e in self.entries if e.application_id == application_id), None)


def rank(applications: Iterable[Scored], rules: ReviewRules = DEFAULT_REVIEW_RULES) -> Ranking:
    """The ranking of the applications with enough sheets; the others are listed as unranked."""
    rows = []
    unranked = []
    for item in applications:
        if len(item.totals) < rules.min_sheets:
            unranked.append(item.application_id)
            continue
        score = aggregate(item.totals, rules)
        rows.append((score, _mean(item.totals), item))
    rows.sort(key=lambda r: (-r[0], -r[1], uscc_key(r[2].lead_uscc), r[2].application_id))
    scores = [r[0] for r in rows]
    entries = tuple(
        RankedApplication(item.application_id, item.lead_uscc, position, score, plain, len(item.totals),
                          len(item.totals) >= rules.trim_from, scores.count(score) > 1)
        for position, (score, plain, item) in enumerate(rows, start=1))
    return Ranking(entries, tuple(sorted(unranked)))
