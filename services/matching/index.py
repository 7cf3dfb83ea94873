"""The in-memory search indexes: tantivy finds the candidates, the ranking formula (domain/ranking.py) orders them.

Two collections, one engine per process:

* ``firms``: every firm of the enterprise read model, as a :class:`~services.matching.domain.ranking.Profile`;
* ``demands``: open scenarios and challenges, and patents listed for licensing, each as a ``Need`` (what it asks)
  and a ``Profile`` of its own text (for free-text search and to find a firm's opportunities).

tantivy holds the terms the analyser produced (whitespace-joined, so its tokenizer changes nothing) and facets for
filters (district, tier, size class, pool, kind); it returns the top :data:`RETRIEVE` documents by BM25, and the
formula re-scores those with every signal. The BM25 of the formula is computed here from the same corpus
statistics, so that a candidate's text score is the same whichever direction it was found from.

Not thread-safe: one asyncio loop owns an engine and makes every change; only tantivy's commit may run in a worker
thread (``refresh_off_loop``), while searches read the previous searcher.
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import tantivy

from services.matching.domain import ranking
from services.matching.domain.ranking import CorpusStats, Need, Profile, Scored
from services.matching.domain.text import Analyser, analyser

# How many documents tantivy hands to the formula: the formula can lift a document over others by its structured
# signals, so it needs more than the k asked for. On the evaluation set 50, 100 and 200 gave the same top 10; each
# candidate costs ~50 µs to score, so 100 (k is at most 50).
RETRIEVE = 100
# Candidate lists remembered per process: a list is read far more often than what it shows changes; a change
# forgets only the lists it can alter (Engine).
REMEMBERED = 20_000
# How far below the BM25 of a saturated pool's last firm a changed firm's own BM25 estimate must be for the firm to
# be taken as staying out of the pool (index.Engine.touches).
EDGE_MARGIN = 0.5
# A query of more terms than this keeps its heaviest ones (a whole profile as a query: opportunities).
MAX_QUERY_TERMS = 64
WRITER_HEAP_BYTES = 50_000_000

KIND_SCENARIO, KIND_CHALLENGE, KIND_PATENT = "scenario", "challenge", "patent"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=False, tokenizer_name="raw")
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("facet", stored=False, tokenizer_name="raw")
    builder.add_integer_field("slot", stored=False, fast=True, indexed=False)
    return builder.build()


@dataclass
class Entry:
    slot: int
    profile: Profile
    facets: tuple[str, ...]
    stamp: Any
    info: Mapping[str, Any]          # what a result shows (name, ids, title …)
    need: Need | None = None         # a demand's or patent's need (the demands collection)
    # Its text's embedding (services/matching/semantic.py: float16, L2-normalised), None until it is computed;
    # ``text_key`` names that text (semantic.text_key), how a vector computed later finds its entry.
    vector: np.ndarray | None = None
    text_key: str | None = None


@dataclass
class Filters:
    """Facet filters: a document passes when it has one of the values of every group given."""

    any_of: list[tuple[str, ...]] = field(default_factory=list)
    exclude_keys: tuple[str, ...] = ()

    def require(self, name: str, values: Iterable[str] | None) -> Filters:
        values = tuple(values or ())
        if values:
            self.any_of.append(tuple(f"{name}:{v}" for v in values))
        return self


# A collection's change as its engine hears it: the entry before (None: new), the entry after (None: removed), and
# whether the rounded figures every score reads moved (ALL_TERMS) or else the terms whose rounded frequency did.
ALL_TERMS = None
ChangeHook = Callable[["Entry | None", "Entry | None", "frozenset[str] | None"], None]


class Collection:
    """Documents by key, in tantivy and in memory, with their corpus statistics."""

    def __init__(self, on_change: ChangeHook | None = None) -> None:
        self.on_change = on_change
        self.schema = _schema()
        self.index = tantivy.Index(self.schema)
        self.writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        self.entries: dict[str, Entry] = {}
        self.by_slot: list[Entry | None] = []
        self.free_slots: list[int] = []
        self.stats = CorpusStats()
        self.dirty = False
        self.searcher = self.index.searcher()

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def stamp(self, key: str) -> Any:
        entry = self.entries.get(key)
        return None if entry is None else entry.stamp

    def upsert(self, profile: Profile, *, facets: Iterable[str], stamp: Any, info: Mapping[str, Any],
               need: Need | None = None, vector: np.ndarray | None = None, text_key: str | None = None) -> None:
        key = profile.key
        old = self.entries.get(key)
        entry = Entry(slot=-1, profile=profile, facets=tuple(facets), stamp=stamp, info=info, need=need,
                      vector=vector, text_key=text_key)
        if old is not None and _same(old, entry):
            old.stamp = stamp  # nothing the index or a ranking reads changed (a field matching does not use)
            return
        touched = profile.tf.keys() ^ old.profile.tf.keys() if old is not None else profile.tf.keys()
        before = self._figures(touched)
        if old is not None:
            self._drop(old)
            slot = old.slot
        else:
            slot = self.free_slots.pop() if self.free_slots else len(self.by_slot)
        entry.slot = slot
        body = " ".join(t for t, n in profile.tf.items() for _ in range(n))
        self.writer.add_document(tantivy.Document(key=key, body=body, facet=list(entry.facets), slot=slot))
        if slot == len(self.by_slot):
            self.by_slot.append(entry)
        else:
            self.by_slot[slot] = entry
        self.entries[key] = entry
        self.stats.add(profile)
        self.dirty = True
        self._changed(old, entry, touched, before)

    def give_vector(self, key: str, text_key: str, vector: np.ndarray) -> bool:
        """An entry's text got its embedding (the worker stores it a moment after the row): the entry ranks with it
        from now on, and the engine hears it as a change. False if the entry is gone or now has another text."""
        entry = self.entries.get(key)
        if entry is None or entry.text_key != text_key or entry.vector is vector:
            return False
        old = replace(entry)
        entry.vector = vector
        if self.on_change is not None:
            self.on_change(old, entry, frozenset())
        return True

    def remove(self, key: str) -> None:
        entry = self.entries.get(key)
        if entry is None:
            return
        touched = entry.profile.tf.keys()
        before = self._figures(touched)
        del self.entries[key]
        self._drop(entry)
        self.by_slot[entry.slot] = None
        self.free_slots.append(entry.slot)
        self.dirty = True
        self._changed(entry, None, touched, before)

    def _figures(self, terms: Iterable[str]) -> tuple[tuple[int, float], dict[str, int]]:
        """What the formula reads of the statistics that a change of ``terms`` can move (rounded)."""
        return self.stats.figures, {t: self.stats.frequency(t) for t in terms}

    def _changed(self, old: Entry | None, new: Entry | None, touched: Iterable[str],
                 before: tuple[tuple[int, float], dict[str, int]]) -> None:
        if self.on_change is None:
            return
        figures, frequencies = before
        moved = ALL_TERMS if figures != self.stats.figures else frozenset(
            t for t in touched if self.stats.frequency(t) != frequencies[t])
        self.on_change(old, new, moved)

    def _drop(self, entry: Entry) -> None:
        self.writer.delete_documents_by_term("key", entry.profile.key)
        self.stats.remove(entry.profile)

    def refresh(self) -> None:
        """Make what was written searchable (a tantivy commit and reload: ~5 ms)."""
        if self.dirty:
            self.writer.commit()
            self._reload()

    async def refresh_off_loop(self) -> None:
        """As :meth:`refresh`, the commit in a worker thread: tantivy releases the GIL while it commits (8–50 ms
        measured at 100,000 firms), time the event loop's requests no longer wait out. Searches meanwhile read the
        previous searcher, as between a change and any refresh."""
        if self.dirty:
            await asyncio.to_thread(self.writer.commit)
            self._reload()

    def _reload(self) -> None:
        self.index.reload()
        self.searcher = self.index.searcher()
        self.dirty = False

    def close(self) -> None:
        """Stop the writer's threads (tantivy keeps six per writer until the writer is consumed, whatever Python
        drops): an app that ends must not leave them behind, as every test's app did."""
        self.writer.wait_merging_threads()

    def query_terms(self, terms: Mapping[str, float]) -> dict[str, float]:
        """The terms tantivy is asked for: the :data:`MAX_QUERY_TERMS` heaviest that some document holds."""
        heaviest = sorted(terms.items(), key=lambda kv: -kv[1] * self.stats.idf(kv[0]))[:MAX_QUERY_TERMS]
        return {t: w for t, w in heaviest if t in self.stats.df}

    def retrieve(self, terms: Mapping[str, float], filters: Filters, limit: int | None = None) -> list[Entry]:
        """Up to ``limit`` (default :data:`RETRIEVE`) documents that hold any of ``terms``, best BM25 first, within
        the filters."""
        return [e for _, e in self.retrieve_scored(terms, filters, limit)]

    def retrieve_scored(self, terms: Mapping[str, float], filters: Filters, limit: int | None = None
                        ) -> list[tuple[float, Entry]]:
        """:meth:`retrieve`, each document with tantivy's BM25 score."""
        limit = limit or RETRIEVE
        should = [(tantivy.Occur.Should, _boosted(self.schema, "body", t, w))
                  for t, w in self.query_terms(terms).items()]
        if not should:
            return []
        clauses = [(tantivy.Occur.Must, tantivy.Query.boolean_query(should))]
        for group in filters.any_of:
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "facet", v)) for v in group])))
        for key in filters.exclude_keys:
            clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_query(self.schema, "key", key)))
        hits = self.searcher.search(tantivy.Query.boolean_query(clauses), limit).hits
        if not hits:
            return []
        slots = self.searcher.fast_field_values("slot", [address for _, address in hits])
        found = [(bm25, self.by_slot[s]) for (bm25, _), s in zip(hits, slots, strict=True)]
        return [(bm25, e) for bm25, e in found if e is not None]


def _gate(memo: tuple[Any, ...]) -> tuple[str, ...]:
    """The facets of a remembered list's first filter (a firm it can hold has one), or "" for a list without."""
    groups = memo[2]
    return groups[0] if groups else ("",)


def _same(old: Entry, new: Entry) -> bool:
    """Whether two versions of a document index and rank alike (its stamp aside)."""
    return (old.profile == new.profile and old.facets == new.facets and old.info == new.info
            and old.need == new.need and old.text_key == new.text_key and old.vector is new.vector)


# Vectors as stored (services/matching/semantic.py); a float32 query vector is rounded to it first.
SEMANTIC_DTYPE = np.float16
_SCALE = 2.0 ** 24
_SCALE_SQUARED = _SCALE * _SCALE


def similarities(vector: np.ndarray | None, entries: Sequence[Entry]) -> list[float | None]:
    """The cosine of ``vector`` with each entry's (None where either has none).

    Computed exactly: every float16 value is a whole multiple of 2⁻²⁴, so the vectors scaled by 2²⁴ are integers
    and their dot products int64 sums (< 2⁵⁷) with no rounding. A float matrix product rounds differently with the
    number of rows (measured: 0.3166208 vs 0.3166193 for the same pair in two pools): a firm's score would then
    depend on which other firms were scored with it, and a remembered list would differ from a fresh one."""
    if vector is None:
        return [None] * len(entries)
    have = [i for i, e in enumerate(entries) if e.vector is not None]
    out: list[float | None] = [None] * len(entries)
    if have:
        matrix = _integers(np.array([entries[i].vector for i in have], dtype=SEMANTIC_DTYPE))
        dots = matrix @ _integers(np.asarray(vector, dtype=SEMANTIC_DTYPE))
        for i, dot in zip(have, dots.tolist(), strict=True):
            out[i] = dot / _SCALE_SQUARED
    return out



def _integers(values: np.ndarray) -> np.ndarray:
    return (values.astype(np.float64) * _SCALE).astype(np.int64)


def _boosted(schema: tantivy.Schema, field_name: str, term: str, weight: float) -> tantivy.Query:
    query = tantivy.Query.term_query(schema, field_name, term)
    return query if weight == 1.0 else tantivy.Query.boost_query(query, weight)


# --- the engine ------------------------------------------------------------------------------------------------

# Feedback on a (demand key, firm key) pair, in [-1, 1] (domain/feedback.py computes it from the marks).
FeedbackLookup = Callable[[str, str], float]


def no_feedback(_demand: str, _firm: str) -> float:
    return 0.0


@dataclass
class Ranked:
    """A ranked list and its verdict (domain.ranking.Verdict)."""

    results: list[tuple[Scored, Entry]]
    verdict: ranking.Verdict
    considered: int
    # The API's JSON of this list, once made (api/candidates.py): a remembered list is served as these bytes.
    rendered: bytes | None = None


@dataclass(eq=False)
class Remembered:
    """A remembered candidate list and what tells whether a change of one firm can alter it
    (:meth:`Engine.touches`)."""

    ranked: Ranked
    need: Need
    filters: Filters
    k: int
    query: frozenset[str]        # the terms tantivy was asked for
    pool: frozenset[str]         # the firms the formula ranked: tantivy's best RETRIEVE
    edge: str | None             # the pool's last firm by BM25 (pushed out when another comes in)
    edge_bm25: float             # its BM25 (tantivy's): a firm far below it cannot come into the pool
    saturated: bool              # tantivy held more matches than RETRIEVE (the pool's edge is a BM25 rank)
    shown: frozenset[str]        # the firms listed
    # The need's terms weighed against the corpus figures (ranking.weigh): unchanged while the list is remembered,
    # since a change of a figure it reads forgets the list.
    weighed: ranking.Weighed

    def listed_if(self, scored: Scored) -> bool:
        """Whether a firm of the pool scored so would be listed: above the formula's floor, and before the last one
        listed (or in a list shorter than k)."""
        if not ranking.rank([scored]):
            return False
        results = self.ranked.results
        if len(results) < self.k:
            return True
        last = results[-1][0]
        return (-scored.score, scored.key) < (-last.score, last.key)


class Engine:
    """Firms and demands of one process, and the ranking of each against the other.

    Candidate lists of indexed demands are remembered (up to :attr:`remember`, least recently used forgotten
    first). A change forgets only the lists it can alter, so that a remembered list is always the list a fresh
    ranking would give (tested against one, change by change, in tests/matching/test_remembered_lists.py):

    * a demand changed, closed or removed: its own lists;
    * a firm added, changed or removed (its text, facets or name): the lists that show it; the lists whose pool of
      ranked firms it leaves or enters when that changes the pool's size, or whose edge it may move; the lists it
      would now be listed in (its new score, computed, before the last one listed); and, when a rounded corpus
      figure the formula reads moved (ranking.CorpusStats), the lists of the demands that ask for a term whose
      frequency moved, or every list when the document count or average length moved;
    * feedback on a firm (any demand: a deal feeds its track record everywhere): the lists that show it or that it
      would now be listed in.

    What tantivy alone decides is not followed: its own BM25 statistics (which also count deleted documents until
    segments merge) drift with every change, so which firm sits 100th or 101st of a query matching more than
    :data:`RETRIEVE` firms, when their BM25 is nearly tied, can move without any of them changing. That edge was
    never fixed between replicas either; the bench counts how often a remembered list differs from a fresh one.
    """

    def __init__(self, text: Analyser | None = None) -> None:
        self.analyser = text or analyser()
        self.firms = Collection(on_change=self._firm_changed)
        self.demands = Collection(on_change=self._demand_changed)
        self.feedback: FeedbackLookup = no_feedback
        self.weights = ranking.WEIGHTS  # the evaluation compares other weights (services/matching/quality.py)
        self.remembered: OrderedDict[tuple[Any, ...], Remembered] = OrderedDict()
        # The remembered lists of each demand (by its key), and by the facets of their first filter (a firm these
        # lists can hold has one of them; lists without a filter under ""): what a firm's change looks through.
        self.by_demand: dict[str, set[tuple[Any, ...]]] = {}
        self.by_facet: dict[str, set[tuple[Any, ...]]] = {}
        self.remember = REMEMBERED
        # Lists of indexed demands served remembered, and ranked (the hit rate); lists forgotten by changes.
        # ("figures": of them, forgotten because a rounded corpus figure they read moved.)
        self.counts = {"remembered": 0, "ranked": 0, "forgotten": 0, "figures": 0}

    def refresh(self) -> None:
        self.firms.refresh()
        self.demands.refresh()

    async def refresh_off_loop(self) -> None:
        """:meth:`refresh` with tantivy's commits off the event loop (the live index's poll)."""
        await self.firms.refresh_off_loop()
        await self.demands.refresh_off_loop()

    def close(self) -> None:
        """Release the indexes' writer threads; the engine is not used after this."""
        self.firms.close()
        self.demands.close()

    def changed(self) -> None:
        """Forget every remembered list."""
        self.counts["forgotten"] += len(self.remembered)
        self.remembered.clear()
        self.by_demand.clear()
        self.by_facet.clear()

    def _recall(self, key: tuple[Any, ...]) -> Remembered | None:
        found = self.remembered.get(key)
        if found is not None:
            self.remembered.move_to_end(key)
        return found

    def _keep(self, key: tuple[Any, ...], kept: Remembered) -> None:
        # Not while a change is half applied (the poll applies rows between requests, and tantivy sees them only at
        # its refresh): such a list mixes two states, and no later change would forget it.
        if self.remember and not (self.firms.dirty or self.demands.dirty):
            self.remembered[key] = kept
            self.by_demand.setdefault(kept.need.key, set()).add(key)
            for facet in _gate(key):
                self.by_facet.setdefault(facet, set()).add(key)
            if len(self.remembered) > self.remember:
                self._forget(next(iter(self.remembered)), counted=False)

    def _forget(self, key: tuple[Any, ...], counted: bool = True) -> None:
        kept = self.remembered.pop(key, None)
        if kept is None:
            return
        self.counts["forgotten"] += counted
        for index, name in ((self.by_demand, kept.need.key), *((self.by_facet, f) for f in _gate(key))):
            lists = index.get(name)
            if lists is not None:
                lists.discard(key)
                if not lists:
                    del index[name]

    def forget_demand(self, demand_key: str) -> None:
        for key in list(self.by_demand.get(demand_key, ())):
            self._forget(key)

    # What a change can alter ---------------------------------------------------------------------------------

    def _demand_changed(self, old: Entry | None, new: Entry | None, _moved: frozenset[str] | None) -> None:
        # A demand's lists read its need, title and publisher; the demands' own statistics rank only opportunities
        # and search, which are not remembered.
        self.forget_demand((new or old).profile.key)  # type: ignore[union-attr]

    def _firm_changed(self, old: Entry | None, new: Entry | None, moved: frozenset[str] | None) -> None:
        if not self.remembered:
            return
        if moved is ALL_TERMS:
            self.counts["figures"] += len(self.remembered)
            self.changed()
            return
        text_changed = old is None or new is None or old.profile.tf != new.profile.tf
        self._forget_touched(old, new, moved, text_changed)

    def rescored(self, firm_key: str) -> None:
        """The firm's feedback changed (for any demand): forget the lists its new scores can alter."""
        entry = self.firms.get(firm_key)
        if entry is not None and self.remembered:
            self._forget_touched(entry, entry, frozenset(), text_changed=False)

    def _forget_touched(self, old: Entry | None, new: Entry | None, moved: frozenset[str],
                        text_changed: bool) -> None:
        if moved:
            # A term a demand asks for changed (rounded) frequency: every score of its lists moved.
            for demand_key, keys in list(self.by_demand.items()):
                if not self.remembered[next(iter(keys))].need.terms.keys().isdisjoint(moved):
                    self.counts["figures"] += len(keys)
                    self.forget_demand(demand_key)
        firm = (new or old).profile.key  # type: ignore[union-attr]
        terms_old = old.profile.tf.keys() if old is not None else frozenset()
        terms_new = new.profile.tf.keys() if new is not None else frozenset()
        # Only lists whose first filter the firm met before or meets now can have held it or hold it now.
        facets = {"", *(old.facets if old is not None else ()), *(new.facets if new is not None else ())}
        keys = set().union(*(self.by_facet.get(f, ()) for f in facets))
        meets: dict[tuple[tuple[str, ...], ...], bool] = {}   # the firm's facets against each filter, once
        scores: dict[str, Callable[[], Scored]] = {}          # its new score for each demand, once, if needed
        for key in keys:
            kept = self.remembered.get(key)
            if kept is None:
                continue
            need = kept.need
            if need.terms.keys().isdisjoint(terms_old) and need.terms.keys().isdisjoint(terms_new):
                continue                            # the firm was and is in none of its pools
            # Whether tantivy now matches the firm for this list (its BM25 rank aside): one of the terms asked for,
            # every facet filter, not excluded.
            now = False
            if new is not None and firm not in kept.filters.exclude_keys and not kept.query.isdisjoint(terms_new):
                groups = key[2]                     # the memo's filters (candidates)
                if (now := meets.get(groups)) is None:  # type: ignore[assignment]
                    now = meets[groups] = all(any(f in new.facets for f in group) for group in groups)
            score = scores.get(need.key)
            if score is None:
                score = scores[need.key] = functools.cache(functools.partial(self._score, need, kept.weighed, new))
            if self.touches(kept, firm, old is not None and firm in kept.pool, now, text_changed, score,
                            functools.partial(self._bm25, kept, new)):
                self._forget(key)

    def _bm25(self, kept: Remembered, entry: Entry | None) -> float:
        """The firm's BM25 for the list's query, as tantivy computes it but from the formula's figures: the terms
        asked for, each boosted by its weight in the need."""
        assert entry is not None
        profile, weighed = entry.profile, kept.weighed.terms
        norm = ranking.BM25_K1 * (1 - ranking.BM25_B + ranking.BM25_B * profile.length / self.firms.stats.average_length)
        total = 0.0
        for term, tf in profile.tf.items():
            if term in kept.query:
                total += weighed[term] * tf * (ranking.BM25_K1 + 1) / (tf + norm)
        return total

    def _score(self, need: Need, weighed: ranking.Weighed, entry: Entry | None) -> Scored:
        assert entry is not None  # a removed firm is never asked for its score (touches)
        own = self.demands.get(need.key)
        cosine = similarities(own.vector if own is not None else None, [entry])[0]
        return ranking.score(need, entry.profile, self.firms.stats, self.feedback(need.key, entry.profile.key),
                             weighed=weighed, similarity=cosine, weights=self.weights)

    @staticmethod
    def touches(kept: Remembered, firm: str, was: bool, now: bool, text_changed: bool,
                score: Callable[[], Scored], bm25: Callable[[], float]) -> bool:
        """Whether a change of one firm can alter a remembered list: ``was`` in its pool, ``now`` matched by its
        query and filters, ``score`` its new score for the demand, ``bm25`` its BM25 for the list's query."""
        if firm in kept.shown:
            return True
        if was:
            # Out of the pool: the count considered drops, or the 101st firm by BM25 comes in. A new text moves
            # its BM25 rank, which decides whether it stays in a saturated pool.
            if not now or (text_changed and kept.saturated):
                return True
        elif now:
            # Into the pool: the count considered grows, or it pushes out the pool's last firm (which matters only
            # when that one is listed).
            if not kept.saturated or kept.edge in kept.shown:
                return True
            # A firm whose BM25 is far below the pool's edge stays out of it (tantivy's own figures differ from
            # the formula's by a few per cent: EDGE_MARGIN leaves room for ten times that).
            if bm25() < EDGE_MARGIN * kept.edge_bm25:
                return False
        else:
            return False
        return kept.listed_if(score())

    # Firms for a demand ------------------------------------------------------------------------------------

    def candidates(self, need: Need, *, k: int, filters: Filters | None = None, afresh: bool = False,
                   vector: np.ndarray | None = None) -> Ranked:
        """The top ``k`` firms for the need. ``afresh``: ranked now, no remembered list read or kept (what a
        remembered list must always equal: the tests and the bench compare the two). ``vector``: the demand's
        embedding; by default the indexed demand's own."""
        filters = filters or Filters()
        if need.publisher_uscc:
            # A demand often repeats its publisher's own profile: the publisher is never its own candidate.
            filters.exclude_keys = (*filters.exclude_keys, need.publisher_uscc)
        # Only lists of indexed demands are remembered (a free-standing need, e.g. the evaluation's, is not).
        indexed = not afresh and self.demands.get(need.key) is not None
        memo = ("candidates", need.key, tuple(filters.any_of), filters.exclude_keys, k)
        if indexed and (found := self._recall(memo)) is not None:
            self.counts["remembered"] += 1
            return found.ranked
        # One more than the pool: whether tantivy held more matches than it hands over (the pool is "saturated").
        hits = self.firms.retrieve_scored(need.terms, filters, RETRIEVE + 1)
        saturated, hits = len(hits) > RETRIEVE, hits[:RETRIEVE]
        entries = [e for _, e in hits]
        weighed = ranking.weigh(need, self.firms.stats)
        if vector is None and (own := self.demands.get(need.key)) is not None:
            vector = own.vector
        scored = [ranking.score(need, e.profile, self.firms.stats, self.feedback(need.key, e.profile.key),
                                weighed=weighed, similarity=cosine, weights=self.weights)
                  for e, cosine in zip(entries, similarities(vector, entries), strict=True)]
        ranked = ranking.rank(scored)[:k]
        result = Ranked([(s, self.firms.entries[s.key]) for s in ranked], ranking.verdict(ranked), len(entries))
        if indexed:
            self.counts["ranked"] += 1
            self._keep(memo, Remembered(
                result, need, filters, k, frozenset(self.firms.query_terms(need.terms)),
                frozenset(e.profile.key for e in entries), entries[-1].profile.key if entries else None,
                hits[-1][0] if hits else 0.0, saturated, frozenset(s.key for s in ranked), weighed))
        return result

    # Demands for a firm ------------------------------------------------------------------------------------

    def opportunities(self, firm_key: str, *, k: int, kinds: Sequence[str] = (), filters: Filters | None = None
                      ) -> Ranked:
        """Open demands (and listed patents) that the firm answers, scored exactly as the firm would be among the
        demand's candidates: the formula runs from the demand to the firm, with the firms' corpus statistics."""
        firm = self.firms.get(firm_key)
        if firm is None:
            return Ranked([], ranking.Verdict.NONE, 0)
        filters = (filters or Filters()).require("kind", kinds)
        entries = self.demands.retrieve({t: 1.0 for t in firm.profile.tf}, filters)
        scored = []
        for entry, cosine in zip(entries, similarities(firm.vector, entries), strict=True):
            need = entry.need
            if need is None or need.publisher_uscc == firm_key:
                continue
            pair = ranking.score(need, firm.profile, self.firms.stats, self.feedback(need.key, firm_key),
                                 similarity=cosine, weights=self.weights)
            scored.append(replace(pair, key=entry.profile.key))  # the list ranks demands: keyed by the demand
        ranked = ranking.rank(scored)[:k]
        return Ranked([(s, self.demands.entries[s.key]) for s in ranked], ranking.verdict(ranked), len(entries))

    # Free text -----------------------------------------------------------------------------------------------

    def query_need(self, text: str) -> Need:
        return ranking.make_need(self.analyser, key="query", title=text, description=None)

    def search(self, collection: Collection, text: str, *, k: int, filters: Filters | None = None,
               vector: np.ndarray | None = None) -> Ranked:
        """Free text over a collection: the text and semantic signals alone order the results (a query has no
        sector, tags or district to compare), with its matched terms. ``vector``: the query's embedding (the
        caller computes it off the event loop), or None for words only."""
        need = self.query_need(text)
        entries = collection.retrieve(need.terms, filters or Filters())
        weighed = ranking.weigh(need, collection.stats)
        scored = []
        for entry, cosine in zip(entries, similarities(vector, entries), strict=True):
            text_signal, matched = ranking.text_match(need, entry.profile, collection.stats, weighed)
            signals = {s: 0.0 for s in ranking.SIGNALS} | {"text": text_signal,
                                                           "semantic": ranking.semantic_signal(cosine)}
            total = ranking.WEIGHTS["text"] * text_signal + ranking.WEIGHTS["semantic"] * signals["semantic"]
            scored.append(Scored(key=entry.profile.key, score=round(total, 6), signals=signals, matched=matched,
                                 words=need.words, matched_tags=()))
        scored = sorted((s for s in scored if ranking.listed(s)), key=lambda s: (-s.score, s.key))
        return Ranked([(s, collection.entries[s.key]) for s in scored[:k]],
                      ranking.Verdict.STRONG if scored else ranking.Verdict.NONE, len(entries))


# --- what firms and demands look like to the engine ------------------------------------------------------------

def firm_facets(firm: Mapping[str, Any], held_tiers: Iterable[str]) -> list[str]:
    """What filters can ask of a firm: ``district:``, ``zone:``, ``tier:``, ``size:``, ``pool:``, ``sector:``,
    ``cluster:`` values."""
    facets = [f"tier:{t}" for t in held_tiers]
    for name, prefix in (("district_code", "district"), ("functional_zone", "zone"), ("size_class", "size"),
                         ("pool", "pool"), ("sector", "sector"), ("cluster", "cluster")):
        if firm.get(name):
            facets.append(f"{prefix}:{firm[name]}")
    return facets


def put_firm(engine: Engine, firm: Mapping[str, Any], *, stamp: Any = None, vector: np.ndarray | None = None,
             text_key: str | None = None) -> None:
    """Index a firm given as the enterprise read model's fields (a row's attributes or a dict)."""
    held = tuple(sorted(firm.get("held_tiers") or ()))
    profile = ranking.make_profile(
        engine.analyser, key=firm["uscc"], main_products=firm.get("main_products"),
        technical_capabilities=firm.get("technical_capabilities"), product_tags=list(firm.get("product_tags") or ()),
        capability_tags=list(firm.get("capability_tags") or ()), name=firm.get("name"), sector=firm.get("sector"), cluster=firm.get("cluster"),
        industry_code=firm.get("industry_code"), district_code=firm.get("district_code"), held_tiers=held,
        pool=firm.get("pool"), size_class=firm.get("size_class"))
    engine.firms.upsert(profile, facets=firm_facets(firm, held), stamp=stamp, info={"enterprise_id": firm.get("enterprise_id"), "name": firm.get("name")},
                       vector=vector, text_key=text_key)


def demand_need(engine: Engine, demand: Mapping[str, Any], key: str | None = None) -> Need:
    """A demand (scenario, challenge, or an evaluation set's demand dict) as the formula's ``Need``."""
    return ranking.make_need(
        engine.analyser, key=key or str(demand["id"]), title=demand.get("title"),
        description=demand.get("description"), capability_tags=list(demand.get("capability_tags") or ()),
        industry_chain=demand.get("industry_chain"), sector=demand.get("sector"), cluster=demand.get("cluster"),
        industry_code=demand.get("industry_code"), district_code=demand.get("district_code"),
        publisher_uscc=demand.get("publisher_uscc"))


def put_demand(engine: Engine, kind: str, demand: Mapping[str, Any], *, stamp: Any = None,
               info: Mapping[str, Any] | None = None, vector: np.ndarray | None = None,
               text_key: str | None = None) -> None:
    """Index an open demand (or a listed patent: its title and abstract are what it offers, its field the need)."""
    key = f"{kind}:{demand['id']}"
    need = demand_need(engine, demand, key)
    text = "\n".join(p for p in (demand.get("title"), demand.get("description"),
                                 " ".join(demand.get("capability_tags") or ()), demand.get("industry_chain")) if p)
    terms = engine.analyser.analyse(text).terms
    tf: dict[str, int] = {}
    for t in terms:
        tf[t] = tf.get(t, 0) + 1
    profile = Profile(key=key, tf=tf, length=len(terms), tags=frozenset(need.tags), sector=demand.get("sector"),
                      cluster=demand.get("cluster"), district_code=demand.get("district_code"))
    facets = [f"kind:{kind}"] + ([f"district:{demand['district_code']}"] if demand.get("district_code") else [])
    engine.demands.upsert(profile, facets=facets, stamp=stamp, need=need, vector=vector, text_key=text_key,
                          info=dict(info or {}) | {"kind": kind, "id": demand["id"], "title": demand.get("title")})
