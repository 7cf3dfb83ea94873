"""Plain BM25, the yardstick of bench_matching_quality: what an index gives with no knowledge of the domain.

tantivy (BM25, k1=1.2, b=0.75) over one text field per firm: name + main products + technical capabilities,
segmented by rjieba's default dictionary (accurate mode), punctuation dropped, lower-cased. No domain dictionary, no
Traditional→Simplified folding, no tags, no sector/cluster/district, no publisher exclusion (``exclude_publisher``
turns on that one filter, reported as a second line so the effect of the filter alone is visible). The query is the
demand's title and description, segmented the same way, each distinct term once, OR-ed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import rjieba
import tantivy

DEPTH = 100  # how many firms a query returns at most (the metrics look at the top 10)


def tokens(text: str) -> list[str]:
    """rjieba words with at least one letter or digit (CJK counts), lower-cased; punctuation and spaces dropped."""
    return [w.lower() for w in rjieba.cut(text or "") if any(ch.isalnum() for ch in w)]


def firm_text(firm: dict) -> str:
    return " ".join(filter(None, (firm.get("name"), firm.get("main_products"), firm.get("technical_capabilities"))))


def demand_text(demand: dict) -> str:
    return f"{demand.get('title', '')} {demand.get('description', '')}"


def build_bm25(firms: Iterable[dict], *, exclude_publisher: bool = False) -> Callable[[dict], list[str]]:
    """An in-memory tantivy index of ``firms``; the callable ranks USCCs for one demand (best first, score > 0)."""
    scores = build_bm25_scores(firms)

    def rank(demand: dict) -> list[str]:
        ranked = [uscc for uscc, _ in sorted(scores(demand).items(), key=lambda kv: -kv[1])]
        if exclude_publisher and demand.get("publisher_uscc"):
            ranked = [uscc for uscc in ranked if uscc != demand["publisher_uscc"]]
        return ranked[:DEPTH]

    return rank


def build_bm25_scores(firms: Iterable[dict]) -> Callable[[dict], dict[str, float]]:
    """The same index; the callable gives every matching firm's BM25 score (the hybrids z-score them)."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("uscc", stored=True, tokenizer_name="raw")
    # Pre-segmented text joined by spaces: the whitespace tokenizer keeps rjieba's words as they are.
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    schema = builder.build()
    index = tantivy.Index(schema)  # in RAM
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    for firm in firms:
        writer.add_document(tantivy.Document(uscc=firm["uscc"], body=" ".join(tokens(firm_text(firm)))))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def scores(demand: dict) -> dict[str, float]:
        terms = list(dict.fromkeys(tokens(demand_text(demand))))
        if not terms:
            return {}
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", term)) for term in terms])
        hits = searcher.search(query, searcher.num_docs or 1).hits
        return {searcher.doc(address)["uscc"][0]: score for score, address in hits if score > 0}

    return scores
