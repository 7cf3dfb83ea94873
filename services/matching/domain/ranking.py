"""How well a firm answers a demand (a scenario or a challenge): the one scoring formula matching uses everywhere.

    score = Σ weight[s] × signal[s]          every signal in [0, 1], except feedback in [-1, 1]

The weights live in :data:`WEIGHTS` (and nowhere else); they sum to 1, so a score is at most 1. The signals:

``text``      How much of the demand's informative wording the firm's profile covers: the firm's BM25 score for the
              demand's terms, divided by the score of an ideal profile that holds each term once at average length
              (Σ idf × weight), then saturated: 1 − exp(−coverage / TEXT_SATURATION). Calibrated, unlike raw BM25:
              0 when nothing matches, towards 1 as the firm covers what the demand asks, whatever the demand's
              length. A term no firm holds still counts in the ideal: a demand for what nobody offers scores low
              everywhere, which is what lets the list say "no strong candidate".
``semantic``  How close the demand and the firm are in meaning: the cosine of their multilingual-e5-small
              embeddings (services/matching/semantic.py; the demand embedded as a query, the firm's profile as a
              passage), mapped linearly from [SEMANTIC_FLOOR, SEMANTIC_CEILING] onto [0, 1]. It finds what the words
              miss: a product named by another term (乳化液泵 vs 柱塞泵, 接触器 vs 继电器), a need described by its
              symptoms. 0 while either side has no vector yet (the worker computes them at ingest).
``tags``      The share of the demand's capability tags the firm declares (in its capability or product tags: 1
              each) or names in its profile (every word of the tag present: 0.5 each).
``cluster``   Same 4210 industrial cluster (1).
``sector``    Same sector (四业) (1).
``industry``  Industry code (GB/T 4754) against the demand's, when it has one: same class (4 characters) 1, same
              division (3 characters: the letter and two digits) 0.5.
``district``  Same district as the demand (1): the programme favours local supply chains.
``tier``      The highest tier the firm holds: 小巨人 1, 专精特新 0.75, 高新技术企业 0.5, 科技型/创新型 0.25.
``pool``      培育库 1, 种苗库 0.5: the programme's own firms first, all else equal.
``feedback``  What people who know the case said about this match and this firm (domain/feedback.py), in [-1, 1].

Why the text leads (0.56) with the semantic signal beside it (0.20): measured on the evaluation set
(bench/bench_matching_quality.py, 55 answerable demands), the formula without the semantic signal scored nDCG@10
0.756 and e5 alone 0.760, with different failures (e5 is loose on short, term-heavy demands: any text about the
same industry looks close); together 0.802. Chosen on one half of the demands and measured on the other (42
halves), the semantic weight gives 0.801 on average, +0.045 over the text-only formula (worst half +0.022); every
weight from 0.15 to 0.5 lands within 0.01 of the best, so 0.20 is the low end of that plateau, leaving the words
in charge on data the set does not resemble. The other weights are those of before, scaled by 0.8 and rounded.

Why the classification signals are tie-breakers (0.01–0.02 each): a demand is
answered by a *supplier*, and suppliers mostly sit in other clusters and sectors than the demand (a children's-wear
maker's production-tracking need is met by a software house). "Same cluster" favours the demand's peers; measured on
the evaluation set, each of cluster, sector, district and tier at 0.05–0.10 lowered nDCG@10 (bench figures in
docs/operations.md). They stay, small, because the programme asks for them (local firms, firms on its ladder) and
because they separate firms whose texts tie. Declared capability tags are evidence of the same kind as the text and
weigh 0.12. Feedback weighs 0.05 so that it re-orders close candidates and never makes one.

Candidates with a score below :data:`MIN_SCORE`, or with a text signal below :data:`MIN_TEXT` and a semantic
signal below :data:`MIN_SEMANTIC`, are not listed (a sector, a district and a tier alone never make a match). A
candidate is *strong* when its score is at least :data:`STRONG_SCORE` and its text signal at least
:data:`STRONG_TEXT` (meaning alone never makes a strong candidate); a list with none says so (``verdict``: "no
strong candidate"). Calibrated on answerable against unanswerable demands of the evaluation set: with 0.30 / 0.15,
6 of 55 answerable demands get "no strong candidate" (wrongly) and 3 of 5 unanswerable ones get it (rightly); the
old 0.25 / 0.20 on the new scores: 7 and 1. Only 5 demands are unanswerable: thresholds chosen on one half and
judged on the other are unstable (bench figures), so treat the verdict as a hint, not a filter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from services.matching.domain.text import Analyser, normalise_tag

# --- the knobs, in one place ----------------------------------------------------------------------------------

WEIGHTS: Mapping[str, float] = {
    "text": 0.56,
    "semantic": 0.20,
    "tags": 0.10,
    "cluster": 0.02,
    "sector": 0.01,
    "industry": 0.02,
    "district": 0.02,
    "tier": 0.02,
    "pool": 0.01,
    "feedback": 0.04,
}
SIGNALS: tuple[str, ...] = tuple(WEIGHTS)

# BM25 (the same constants as tantivy's and Lucene's).
BM25_K1 = 1.2
BM25_B = 0.75
# Coverage at which the text signal reaches 1 − 1/e ≈ 0.63.
TEXT_SATURATION = 0.35
# How much a term weighs by where the demand says it.
TITLE_WEIGHT, TAG_WEIGHT, DESCRIPTION_WEIGHT = 1.0, 1.0, 1.0

MIN_TEXT = 0.05
MIN_SCORE = 0.05
# A firm whose wording barely meets the demand's is still listed when the model finds it this close in meaning.
MIN_SEMANTIC = 0.5
# The cosine of two e5 vectors (services/matching/semantic.py) mapped onto [0, 1]: e5's cosines crowd into a narrow
# band (any two Chinese texts of this kind score ~0.80+), so the raw value says little. FLOOR is about the median
# cosine of a firm and a demand picked at random, CEILING about a demand's best match (measured over all
# 319 × 60 pairs of the evaluation set, without looking at the judgements: median 0.867, best match per demand
# median 0.917, 90th percentile 0.939).
SEMANTIC_FLOOR = 0.86
SEMANTIC_CEILING = 0.94
STRONG_SCORE = 0.30
STRONG_TEXT = 0.15

TIER_VALUES: Mapping[str, float] = {
    "little_giant": 1.0,
    "srdi_sme": 0.75,
    "hnte": 0.5,
    "tech_innovative_sme": 0.25,
    "innovative_sme": 0.25,
    "tech_sme": 0.25,
}
POOL_VALUES: Mapping[str, float] = {"cultivation_pool": 1.0, "seedling_pool": 0.5}


class Verdict(StrEnum):
    STRONG = "strong"          # at least one strong candidate
    WEAK_ONLY = "weak_only"    # candidates, none strong: show them as possibilities
    NONE = "none"              # nobody above MIN_SCORE


# --- documents and queries --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Profile:
    """A firm as ranking sees it: its terms with their counts, its tags and its structured facts."""

    key: str                      # the USCC
    tf: Mapping[str, int]
    length: int
    tags: frozenset[str]
    sector: str | None = None
    cluster: str | None = None
    industry_code: str | None = None
    district_code: str | None = None
    held_tiers: tuple[str, ...] = ()
    pool: str | None = None
    size_class: str | None = None


@dataclass(frozen=True, slots=True)
class Need:
    """A demand as ranking sees it: its weighted terms, the words a reader would recognise, its tags and facts."""

    key: str
    terms: Mapping[str, float]      # term → weight (title/tags 1, description 0.5)
    words: tuple[str, ...]          # headline words, for explanations
    tags: tuple[str, ...]           # normalised tags
    tag_words: Mapping[str, tuple[str, ...]]
    sector: str | None = None
    cluster: str | None = None
    industry_code: str | None = None
    district_code: str | None = None
    publisher_uscc: str | None = None


def profile_text(main_products: str | None, technical_capabilities: str | None, product_tags: Iterable[str],
                 capability_tags: Iterable[str], name: str | None = None) -> str:
    """What of a firm is indexed: what it makes and can do, its tags, and its registered name (which often names
    its trade: 湖州某某纺织机械有限公司). Not the short name: a brand (贝乐童) says nothing of a capability."""
    parts = [main_products or "", technical_capabilities or "", " ".join(product_tags), " ".join(capability_tags),
             name or ""]
    return "\n".join(p for p in parts if p)


def make_profile(analyser: Analyser, *, key: str, main_products: str | None, technical_capabilities: str | None,
                 product_tags: Sequence[str], capability_tags: Sequence[str], name: str | None = None,
                 **facts: object) -> Profile:
    terms = analyser.analyse(profile_text(main_products, technical_capabilities, product_tags, capability_tags,
                                          name)).terms
    tf: dict[str, int] = {}
    for t in terms:
        tf[t] = tf.get(t, 0) + 1
    tags = frozenset(normalise_tag(t) for t in (*product_tags, *capability_tags) if t.strip())
    return Profile(key=key, tf=tf, length=len(terms), tags=tags, **facts)  # type: ignore[arg-type]


def make_need(analyser: Analyser, *, key: str, title: str | None, description: str | None,
              capability_tags: Sequence[str] = (), industry_chain: str | None = None, **facts: object) -> Need:
    terms: dict[str, float] = {}

    def add(text: str | None, weight: float) -> list[str]:
        analysis = analyser.analyse(text)
        for t in analysis.terms:
            terms[t] = max(terms.get(t, 0.0), weight)
        return list(analysis.words)

    words = add(title, TITLE_WEIGHT)
    tag_words = {}
    tags = []
    for tag in capability_tags:
        normal = normalise_tag(tag)
        if normal:
            tags.append(normal)
            tag_words[normal] = tuple(add(tag, TAG_WEIGHT))
    words += add(industry_chain, TAG_WEIGHT)
    words += add(description, DESCRIPTION_WEIGHT)
    return Need(key=key, terms=terms, words=tuple(dict.fromkeys(words)), tags=tuple(dict.fromkeys(tags)),
                tag_words=tag_words, **facts)  # type: ignore[arg-type]


# --- corpus statistics and BM25 --------------------------------------------------------------------------------

# The formula reads the corpus's figures (document count, average length, each term's document frequency) rounded
# to SIGNIFICANT significant figures once a count reaches EXACT_BELOW: a term in 100–999 firms is counted in tens,
# in 1,000–9,999 in hundreds (within ±5 %: its idf within ±0.05, where idfs run from ~1 to ~11); rarer terms are
# counted exactly. Why: one firm's edit then moves only the figures that the demands asking for its rare terms read
# (or, seldom, a rounded figure crossing its step), instead of every score of every list in the 6th decimal; that
# is what lets a remembered candidate list (index.py) outlive edits that cannot change it, exactly. Measured at
# 100,000 synthetic firms (bench/bench_matching.py --verify): 3 significant figures forgot ~16 lists per registry
# change for crossings alone, 2 forgot ~0.7. The evaluation set's figures (bench_matching_quality) are unchanged.
SIGNIFICANT = 2
EXACT_BELOW = 100
# The average length (~10–60 terms) to 3 significant figures: it moves by a step only after thousands of terms
# added or removed at 100,000 firms.
AVERAGE_SIGNIFICANT = 3


def rounded(count: int) -> int:
    """``count`` to :data:`SIGNIFICANT` significant figures from :data:`EXACT_BELOW` up; exact below. Monotone,
    so a rounded frequency never exceeds the rounded document count."""
    if count < EXACT_BELOW:
        return count
    step = 10 ** (len(str(count)) - SIGNIFICANT)
    return (count + step // 2) // step * step


@dataclass
class CorpusStats:
    """Document frequencies and lengths of the indexed profiles, kept as profiles come and go. The formula reads
    them rounded (:func:`rounded`)."""

    documents: int = 0
    total_length: int = 0
    df: dict[str, int] = field(default_factory=dict)
    # The rounded document count and average length, made when first read after a change.
    _figures: tuple[int, float] | None = field(default=None, repr=False, compare=False)

    def add(self, profile: Profile) -> None:
        self.documents += 1
        self.total_length += profile.length
        self._figures = None
        for t in profile.tf:
            self.df[t] = self.df.get(t, 0) + 1

    def remove(self, profile: Profile) -> None:
        self.documents -= 1
        self.total_length -= profile.length
        self._figures = None
        for t in profile.tf:
            left = self.df.get(t, 0) - 1
            if left > 0:
                self.df[t] = left
            else:
                self.df.pop(t, None)

    @property
    def figures(self) -> tuple[int, float]:
        """The rounded document count, and the average length to :data:`AVERAGE_SIGNIFICANT` significant figures."""
        if self._figures is None:
            average = self.total_length / self.documents if self.documents else 1.0
            self._figures = (rounded(self.documents), float(f"{average:.{AVERAGE_SIGNIFICANT}g}") or 1.0)
        return self._figures

    @property
    def average_length(self) -> float:
        return self.figures[1]

    def frequency(self, term: str) -> int:
        """The rounded document frequency of ``term`` (what the formula reads)."""
        return rounded(self.df.get(term, 0))

    def idf(self, term: str) -> float:
        n = self.frequency(term)
        return math.log(1 + (self.figures[0] - n + 0.5) / (n + 0.5))


@dataclass(frozen=True)
class Weighed:
    """A need's terms weighed against one corpus: weight × idf of each term, and their sum (the ideal profile's
    score). Computed once per query, then used for every candidate."""

    terms: Mapping[str, float]
    ideal: float


def weigh(need: Need, stats: CorpusStats) -> Weighed:
    # A term no profile holds counts too (at the highest idf): the demand asks for something nobody offers, and
    # every firm's coverage says so; that is what makes "no strong candidate" possible.
    terms = {t: w * stats.idf(t) for t, w in need.terms.items()}
    return Weighed(terms, sum(terms.values()))


def text_match(need: Need, profile: Profile, stats: CorpusStats, weighed: Weighed | None = None
               ) -> tuple[float, dict[str, float]]:
    """The text signal and each matched term's share of the BM25 score (for the explanation)."""
    weighed = weighed or weigh(need, stats)
    if weighed.ideal <= 0:
        return 0.0, {}
    norm = BM25_K1 * (1 - BM25_B + BM25_B * profile.length / stats.average_length)
    matched: dict[str, float] = {}
    tf_of = profile.tf
    for term, weight_idf in weighed.terms.items():
        tf = tf_of.get(term)
        if tf:
            matched[term] = weight_idf * tf * (BM25_K1 + 1) / (tf + norm)
    coverage = sum(matched.values()) / weighed.ideal
    return 1 - math.exp(-coverage / TEXT_SATURATION), matched


# --- the structured signals ------------------------------------------------------------------------------------

def tag_signal(need: Need, profile: Profile) -> tuple[float, list[str]]:
    if not need.tags:
        return 0.0, []
    total, matched = 0.0, []
    for tag in need.tags:
        if tag in profile.tags:
            total += 1.0
            matched.append(tag)
        else:
            words = need.tag_words.get(tag, ())
            if words and all(w in profile.tf for w in words):
                total += 0.5
                matched.append(tag)
    return total / len(need.tags), matched


def industry_signal(need_code: str | None, firm_code: str | None) -> float:
    if not need_code or not firm_code:
        return 0.0
    if need_code[:4] == firm_code[:4] and len(need_code) >= 4:
        return 1.0
    return 0.5 if need_code[:3] == firm_code[:3] else 0.0


def same(a: str | None, b: str | None) -> float:
    return 1.0 if a and b and a == b else 0.0


def semantic_signal(cosine: float | None) -> float:
    """0 below the floor (or without vectors), 1 at the ceiling and above, linear between."""
    if cosine is None:
        return 0.0
    return max(0.0, min(1.0, (cosine - SEMANTIC_FLOOR) / (SEMANTIC_CEILING - SEMANTIC_FLOOR)))


def tier_signal(held: Iterable[str]) -> float:
    return max((TIER_VALUES.get(t, 0.0) for t in held), default=0.0)


@dataclass(frozen=True)
class Scored:
    """One firm's score for one demand, with everything that made it."""

    key: str
    score: float
    signals: Mapping[str, float]
    matched: Mapping[str, float]         # matched term → its share of the BM25 score
    words: tuple[str, ...]               # the demand's headline words
    matched_tags: tuple[str, ...]

    @property
    def strong(self) -> bool:
        return self.score >= STRONG_SCORE and self.signals["text"] >= STRONG_TEXT

    @property
    def matched_terms(self) -> tuple[str, ...]:
        """Headline words first (what a reader recognises), then the other matched terms by their share of the
        score. Ordered on demand: only the results shown pay for it."""
        ordered = [w for w in self.words if w in self.matched]
        ordered += [t for t, _ in sorted(self.matched.items(), key=lambda kv: -kv[1]) if t not in ordered]
        return tuple(ordered[:12])

    def contributions(self) -> dict[str, float]:
        return {s: round(WEIGHTS[s] * self.signals[s], 4) for s in SIGNALS}


def score(need: Need, profile: Profile, stats: CorpusStats, feedback: float = 0.0,
          weights: Mapping[str, float] = WEIGHTS, weighed: Weighed | None = None,
          similarity: float | None = None) -> Scored:
    """``similarity``: the cosine of the demand's and the firm's embeddings, None when either has none."""
    text, matched = text_match(need, profile, stats, weighed)
    tags, matched_tags = tag_signal(need, profile)
    signals = {
        "text": text,
        "semantic": semantic_signal(similarity),
        "tags": tags,
        "cluster": same(need.cluster, profile.cluster),
        "sector": same(need.sector, profile.sector),
        "industry": industry_signal(need.industry_code, profile.industry_code),
        "district": same(need.district_code, profile.district_code),
        "tier": tier_signal(profile.held_tiers),
        "pool": POOL_VALUES.get(profile.pool or "", 0.0),
        "feedback": max(-1.0, min(1.0, feedback)),
    }
    total = sum(weights[s] * v for s, v in signals.items())
    return Scored(key=profile.key, score=round(total, 6), signals=signals, matched=matched, words=need.words,
                  matched_tags=tuple(matched_tags))


def listed(s: Scored) -> bool:
    """Above the floor: some of the demand's wording, or close in meaning, and a score worth showing."""
    return (s.signals["text"] >= MIN_TEXT or s.signals["semantic"] >= MIN_SEMANTIC) and s.score >= MIN_SCORE


def rank(scored: Iterable[Scored]) -> list[Scored]:
    """Best first, candidates below the thresholds dropped; ties broken by the key so every replica agrees."""
    kept = [s for s in scored if listed(s)]
    return sorted(kept, key=lambda s: (-s.score, s.key))


def verdict(ranked: Sequence[Scored]) -> Verdict:
    if not ranked:
        return Verdict.NONE
    return Verdict.STRONG if any(s.strong for s in ranked) else Verdict.WEAK_ONLY
