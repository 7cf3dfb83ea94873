"""The in-memory search indexes: tantivy finds the candidates, the ranking formula (domain/ranking.py) orders them.

Two collections, one engine per process:

* ``firms``: every firm of the enterprise read model, as a :class:`~services.matching.domain.ranking.Profile`;
* ``demands``: open scenarios and challenges, and patents listed for licensing, each as a ``Need`` (what it asks)
  and a ``Profile`` of its own text (for free-text search and to find a firm's opportunities).

tantivy holds the terms the analyser produced (whitespace-joined, so its tokenizer changes nothing) and facets for
filters (district, tier, size class, pool, kind); it returns the top :data:`RETRIEVE` documents by BM25, and the
formula re-scores those with every signal. The BM25 of the formula is computed here from the same corpus
statistics, so that a candidate's text score is the same whichever direction it was found from.

Not thread-safe: one asyncio loop owns an engine; searches and updates never run at the same time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import tantivy

from services.matching.domain import ranking
from services.matching.domain.ranking import CorpusStats, Need, Profile, Scored
from services.matching.domain.text import Analyser, analyser

# How many documents tantivy hands to the formula: the formula can lift a document over others by its structured
# signals, so it needs more than the k asked for. On the evaluation set 50, 100 and 200 gave the same top 10; each
# candidate costs ~50 µs to score, so 100 (k is at most 50).
RETRIEVE = 100
# Candidate lists remembered per process, keyed by the index generation: a list is read far more often than the
# index changes (the poll applies changes at most every 0.1 s), and a change starts a new generation.
REMEMBERED = 20_000
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


class Collection:
    """Documents by key, in tantivy and in memory, with their corpus statistics."""

    def __init__(self) -> None:
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
               need: Need | None = None) -> None:
        key = profile.key
        old = self.entries.get(key)
        if old is not None:
            self._drop(old)
            slot = old.slot
        else:
            slot = self.free_slots.pop() if self.free_slots else len(self.by_slot)
        entry = Entry(slot=slot, profile=profile, facets=tuple(facets), stamp=stamp, info=info, need=need)
        body = " ".join(t for t, n in profile.tf.items() for _ in range(n))
        self.writer.add_document(tantivy.Document(key=key, body=body, facet=list(entry.facets), slot=slot))
        if slot == len(self.by_slot):
            self.by_slot.append(entry)
        else:
            self.by_slot[slot] = entry
        self.entries[key] = entry
        self.stats.add(profile)
        self.dirty = True

    def remove(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        self._drop(entry)
        self.by_slot[entry.slot] = None
        self.free_slots.append(entry.slot)
        self.dirty = True

    def _drop(self, entry: Entry) -> None:
        self.writer.delete_documents_by_term("key", entry.profile.key)
        self.stats.remove(entry.profile)

    def refresh(self) -> None:
        """Make what was written searchable (a tantivy commit and reload: ~5 ms)."""
        if self.dirty:
            self.writer.commit()
            self.index.reload()
            self.searcher = self.index.searcher()
            self.dirty = False

    def close(self) -> None:
        """Stop the writer's threads (tantivy keeps six per writer until the writer is consumed, whatever Python
        drops): an app that ends must not leave them behind, as every test's app did."""
        self.writer.wait_merging_threads()

    def retrieve(self, terms: Mapping[str, float], filters: Filters, limit: int | None = None) -> list[Entry]:
        """Up to ``limit`` (default :data:`RETRIEVE`) documents that hold any of ``terms``, best BM25 first, within
        the filters."""
        limit = limit or RETRIEVE
        heaviest = sorted(terms.items(), key=lambda kv: -kv[1] * self.stats.idf(kv[0]))[:MAX_QUERY_TERMS]
        should = [(tantivy.Occur.Should, _boosted(self.schema, "body", t, w))
                  for t, w in heaviest if t in self.stats.df]
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
        return [e for e in (self.by_slot[s] for s in slots) if e is not None]


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


class Engine:
    """Firms and demands of one process, and the ranking of each against the other."""

    def __init__(self, text: Analyser | None = None) -> None:
        self.analyser = text or analyser()
        self.firms = Collection()
        self.demands = Collection()
        self.feedback: FeedbackLookup = no_feedback
        # Moves whenever what a ranking reads changes (firms, demands, feedback): remembered lists of an older
        # generation are never served.
        self.generation = 0
        self.remembered: OrderedDict[tuple[Any, ...], Ranked] = OrderedDict()
        self.remember = REMEMBERED

    def refresh(self) -> None:
        self.firms.refresh()
        self.demands.refresh()

    def close(self) -> None:
        """Release the indexes' writer threads; the engine is not used after this."""
        self.firms.close()
        self.demands.close()

    def changed(self) -> None:
        """Something a ranking reads changed: forget every list ranked before."""
        self.generation += 1
        self.remembered.clear()

    def _recall(self, key: tuple[Any, ...]) -> Ranked | None:
        found = self.remembered.get(key)
        if found is not None:
            self.remembered.move_to_end(key)
        return found

    def _keep(self, key: tuple[Any, ...], ranked: Ranked) -> Ranked:
        if self.remember:
            self.remembered[key] = ranked
            if len(self.remembered) > self.remember:
                self.remembered.popitem(last=False)
        return ranked

    # Firms for a demand ------------------------------------------------------------------------------------

    def candidates(self, need: Need, *, k: int, filters: Filters | None = None) -> Ranked:
        filters = filters or Filters()
        if need.publisher_uscc:
            # A demand often repeats its publisher's own profile: the publisher is never its own candidate.
            filters.exclude_keys = (*filters.exclude_keys, need.publisher_uscc)
        # Only lists of indexed demands are remembered (a free-standing need, e.g. the evaluation's, is not).
        memo = ("candidates", need.key, tuple(filters.any_of), filters.exclude_keys, k)
        if self.demands.get(need.key) is not None and (found := self._recall(memo)) is not None:
            return found
        entries = self.firms.retrieve(need.terms, filters)
        weighed = ranking.weigh(need, self.firms.stats)
        scored = [ranking.score(need, e.profile, self.firms.stats, self.feedback(need.key, e.profile.key),
                                weighed=weighed) for e in entries]
        ranked = ranking.rank(scored)[:k]
        result = Ranked([(s, self.firms.entries[s.key]) for s in ranked], ranking.verdict(ranked), len(entries))
        return self._keep(memo, result) if self.demands.get(need.key) is not None else result

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
        for entry in entries:
            need = entry.need
            if need is None or need.publisher_uscc == firm_key:
                continue
            pair = ranking.score(need, firm.profile, self.firms.stats, self.feedback(need.key, firm_key))
            scored.append(replace(pair, key=entry.profile.key))  # the list ranks demands: keyed by the demand
        ranked = ranking.rank(scored)[:k]
        return Ranked([(s, self.demands.entries[s.key]) for s in ranked], ranking.verdict(ranked), len(entries))

    # Free text -----------------------------------------------------------------------------------------------

    def query_need(self, text: str) -> Need:
        return ranking.make_need(self.analyser, key="query", title=text, description=None)

    def search(self, collection: Collection, text: str, *, k: int, filters: Filters | None = None) -> Ranked:
        """Free text over a collection: the text signal alone orders the results (a query has no sector, tags or
        district to compare), with its matched terms."""
        need = self.query_need(text)
        entries = collection.retrieve(need.terms, filters or Filters())
        weighed = ranking.weigh(need, collection.stats)
        scored = []
        for entry in entries:
            text_signal, matched = ranking.text_match(need, entry.profile, collection.stats, weighed)
            signals = {s: 0.0 for s in ranking.SIGNALS} | {"text": text_signal}
            scored.append(Scored(key=entry.profile.key, score=round(ranking.WEIGHTS["text"] * text_signal, 6),
                                 signals=signals, matched=matched, words=need.words, matched_tags=()))
        scored = sorted((s for s in scored if s.signals["text"] >= ranking.MIN_TEXT), key=lambda s: (-s.score, s.key))
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


def put_firm(engine: Engine, firm: Mapping[str, Any], *, stamp: Any = None) -> None:
    """Index a firm given as the enterprise read model's fields (a row's attributes or a dict)."""
    held = tuple(sorted(firm.get("held_tiers") or ()))
    profile = ranking.make_profile(
        engine.analyser, key=firm["uscc"], main_products=firm.get("main_products"),
        technical_capabilities=firm.get("technical_capabilities"), product_tags=list(firm.get("product_tags") or ()),
        capability_tags=list(firm.get("capability_tags") or ()), name=firm.get("name"), sector=firm.get("sector"), cluster=firm.get("cluster"),
        industry_code=firm.get("industry_code"), district_code=firm.get("district_code"), held_tiers=held,
        pool=firm.get("pool"), size_class=firm.get("size_class"))
    engine.firms.upsert(profile, facets=firm_facets(firm, held), stamp=stamp, info={"enterprise_id": firm.get("enterprise_id"), "name": firm.get("name")})


def demand_need(engine: Engine, demand: Mapping[str, Any], key: str | None = None) -> Need:
    """A demand (scenario, challenge, or an evaluation set's demand dict) as the formula's ``Need``."""
    return ranking.make_need(
        engine.analyser, key=key or str(demand["id"]), title=demand.get("title"),
        description=demand.get("description"), capability_tags=list(demand.get("capability_tags") or ()),
        industry_chain=demand.get("industry_chain"), sector=demand.get("sector"), cluster=demand.get("cluster"),
        industry_code=demand.get("industry_code"), district_code=demand.get("district_code"),
        publisher_uscc=demand.get("publisher_uscc"))


def put_demand(engine: Engine, kind: str, demand: Mapping[str, Any], *, stamp: Any = None,
               info: Mapping[str, Any] | None = None) -> None:
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
    engine.demands.upsert(profile, facets=facets, stamp=stamp, need=need,
                          info=dict(info or {}) | {"kind": kind, "id": demand["id"], "title": demand.get("title")})
