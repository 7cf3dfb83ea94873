"""Double support (重复支持): the same enterprise and the same project funded twice. Pure rules: no I/O.

REFERENCE §13.4 asks for "不重复" (no double funding of one project) but the programmes do not share a project id: a
firm that applies to two programmes names its project twice, in its own words. So the check compares **titles**:

1. **Normalise** each title: Unicode NFKC (full-width letters, digits and brackets become half-width), case-folded,
   every punctuation, symbol, space and control character removed, then the *generic terms* removed (``研发``,
   ``关键技术``, ``产业化``, ``项目`` …: words that nearly every title has and that make two different projects of one
   firm look alike). Longer terms go first, so ``关键技术`` is removed whole before anything shorter.
2. **Character bigrams**: the set of adjacent character pairs (a one-character remainder is its own set). Chinese
   has no spaces, and bigrams survive reordering of the title's parts (``A的B`` / ``B（A）``).
3. **Jaccard** similarity: |A ∩ B| / |A ∪ B|, from 0 (nothing shared) to 1 (same bigram set). Two titles with
   nothing left after normalisation are not similar (0): there is nothing to compare.

Two titles are *similar* when the similarity reaches the threshold (a parameter; default 0.5). On the worked
titles in the tests, rewordings of one project score 0.67–0.87 and different projects of one firm 0–0.29, so the
default sits in the gap with room on both sides. A similar pair is **flagged for review**, never refused on its
own: the measure is a heuristic; an officer decides (the eligibility rule refuses only an identical normalised
title, see ``eligibility``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from services.funding.domain.money import require_share

DEFAULT_GENERIC_TERMS: tuple[str, ...] = (
    "关键技术", "产业化", "研发", "研究", "开发", "项目", "应用", "基于", "的", "及", "与",
)
"""Generic words of Chinese project titles. Single characters are only the commonest connectors (的, 及, 与): a
longer list would start removing characters of real words (和 in 中和)."""

DEFAULT_THRESHOLD = Decimal("0.5")
_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class SimilarityPolicy:
    """How titles are compared: the threshold at which two titles are similar, and the generic terms removed."""

    threshold: Decimal = DEFAULT_THRESHOLD
    generic_terms: tuple[str, ...] = DEFAULT_GENERIC_TERMS

    def __post_init__(self) -> None:
        require_share(self.threshold, "threshold")
        if self.threshold == 0:
            raise ValueError("a threshold of 0 would call every pair of titles similar")


DEFAULT_POLICY = SimilarityPolicy()


def normalise_title(title: str, generic_terms: Iterable[str] = DEFAULT_GENERIC_TERMS) -> str:
    """The title as the comparison sees it (step 1 of the module docstring)."""
    text = unicodedata.normalize("NFKC", title).casefold()
    # P: punctuation, S: symbols (×, ／, ™), Z: separators, C: control and format characters (zero-width spaces).
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")
    for term in sorted({unicodedata.normalize("NFKC", t).casefold() for t in generic_terms}, key=len, reverse=True):
        if term:
            text = text.replace(term, "")
    return text


def bigrams(text: str) -> frozenset[str]:
    """Adjacent character pairs; a single character stands for itself; the empty text has none."""
    if len(text) == 1:
        return frozenset({text})
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


def _overlap(a: str, b: str, policy: SimilarityPolicy) -> tuple[int, int]:
    left = bigrams(normalise_title(a, policy.generic_terms))
    right = bigrams(normalise_title(b, policy.generic_terms))
    return len(left & right), len(left | right)


def title_similarity(a: str, b: str, policy: SimilarityPolicy = DEFAULT_POLICY) -> Decimal:
    """Jaccard similarity of the two titles' bigram sets, to 4 decimals (for display; ``similar`` decides on the
    exact fraction)."""
    shared, union = _overlap(a, b, policy)
    if union == 0:
        return Decimal(0)
    return (Decimal(shared) / Decimal(union)).quantize(_PLACES, ROUND_HALF_EVEN)


def similar(a: str, b: str, policy: SimilarityPolicy = DEFAULT_POLICY) -> bool:
    """Whether the similarity reaches the threshold, compared exactly (shared / union ≥ p / q)."""
    shared, union = _overlap(a, b, policy)
    if union == 0:
        return False
    p, q = policy.threshold.as_integer_ratio()
    return shared * q >= p * union


def same_title(a: str, b: str, policy: SimilarityPolicy = DEFAULT_POLICY) -> bool:
    """The titles are one title once normalised (and not empty): the same project beyond reasonable doubt."""
    left, right = normalise_title(a, policy.generic_terms), normalise_title(b, policy.generic_terms)
    return bool(left) and left == right


@dataclass(frozen=True)
class FundedProject:
    """A project an enterprise was awarded money for (or is applying for): ``reference`` is the award or
    application it belongs to."""

    reference: str
    enterprise_id: str
    programme_id: str
    title: str


@dataclass(frozen=True)
class DoubleSupportFlag:
    """Two awards of one enterprise whose titles look like one project: for an officer to review."""

    project: FundedProject
    other: FundedProject
    similarity: Decimal
    identical: bool  # the normalised titles are equal

    @property
    def same_programme(self) -> bool:
        return self.project.programme_id == self.other.programme_id

    def reason(self) -> str:
        where = "the same programme" if self.same_programme else f"programme {self.other.programme_id}"
        how = "the same title once normalised" if self.identical else f"title similarity {self.similarity}"
        return (f"「{self.project.title}」 and 「{self.other.title}」 of enterprise {self.project.enterprise_id}: {how}; "
                f"{self.other.reference} was funded by {where}")


def _flag(project: FundedProject, other: FundedProject, policy: SimilarityPolicy) -> DoubleSupportFlag | None:
    if other.enterprise_id != project.enterprise_id or other.reference == project.reference:
        return None
    if not similar(project.title, other.title, policy):
        return None
    return DoubleSupportFlag(project, other, title_similarity(project.title, other.title, policy),
                             same_title(project.title, other.title, policy))


def find_double_support(project: FundedProject, funded: Iterable[FundedProject],
                        policy: SimilarityPolicy = DEFAULT_POLICY) -> tuple[DoubleSupportFlag, ...]:
    """Every other award of the same enterprise whose title is similar to ``project``'s, most similar first.
    Awards of the same programme count too: one programme funding one project twice is double support as well."""
    flags = [flag for other in funded if (flag := _flag(project, other, policy)) is not None]
    flags.sort(key=lambda f: (-f.similarity, f.other.reference))
    return tuple(flags)


def scan(projects: Iterable[FundedProject], policy: SimilarityPolicy = DEFAULT_POLICY) -> tuple[DoubleSupportFlag, ...]:
    """Every similar pair within each enterprise, once (the periodic review's list), ordered by enterprise, then
    most similar first. Quadratic per enterprise: a firm has tens of awards, not thousands."""
    by_enterprise: dict[str, list[FundedProject]] = {}
    for project in projects:
        by_enterprise.setdefault(project.enterprise_id, []).append(project)
    flags: list[DoubleSupportFlag] = []
    for enterprise_id in sorted(by_enterprise):
        own = sorted(by_enterprise[enterprise_id], key=lambda p: p.reference)
        pairs = [flag for i, project in enumerate(own) for other in own[i + 1:]
                 if (flag := _flag(project, other, policy)) is not None]
        pairs.sort(key=lambda f: (-f.similarity, f.project.reference, f.other.reference))
        flags.extend(pairs)
    return tuple(flags)
