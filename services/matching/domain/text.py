"""Chinese text as matching indexes and queries it: normalisation, segmentation, the domain dictionary, stop words.

One analyser serves documents (firm profiles, scenarios, challenges, patents) and queries alike, so that a term is
spelled the same way on both sides:

1. **Normalise**: NFKC (full-width letters, digits and punctuation become ASCII), Traditional → Simplified with
   Taiwan phrases mapped to mainland ones (OpenCC ``tw2sp``: 碳化矽 → 碳化硅, 軟體 → 软件), lower case.
2. **Segment** with rjieba (jieba's dictionary plus ``data/dictionary.txt``, the project's domain terms, which win
   over jieba's own splits: 专精特新 stays whole instead of 专精 + 特新).
3. **Expand** a long term with the dictionary words inside it (碳化硅衬底 → 碳化硅, 衬底), so a query for the
   shorter term finds the longer one and the reverse.
4. **Fall back to character bigrams** for what no dictionary knows (a word jieba's HMM guessed, or a run of single
   characters): a new product name still matches on its parts.
5. **Drop stop words** (``data/stopwords.txt``): function words and the boilerplate every record shares.
6. **ASCII words and model numbers** are kept whole without punctuation (``ABC-200X`` → ``abc200x``), and by
   their parts (``abc``, ``200x``), so ``abc200x``, ``ABC-200x`` and ``ABC 200X`` meet.

Pure: no I/O after the data files are read once, when the first analyser is made.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import opencc
import rjieba

DATA = Path(__file__).resolve().parent.parent / "data"
DICTIONARY_FILE = DATA / "dictionary.txt"
STOPWORDS_FILE = DATA / "stopwords.txt"

# High enough that a dictionary term beats jieba's split of it (jieba's most frequent words are in the 10^5–10^6).
DOMAIN_TERM_FREQUENCY = 2_000_000

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII_WORD = re.compile(r"[a-z0-9]+(?:[-_./+][a-z0-9]+)*")
_ASCII_PART = re.compile(r"[a-z0-9]+")


def read_word_list(path: Path) -> list[str]:
    """The words of a data file: one a line, ``#`` comments and blank lines skipped, normalised like text."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(normalise(line))
    return words


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("tw2sp")


def normalise(text: str) -> str:
    """The form in which text is compared: half-width, Simplified (mainland phrasing), lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _converter().convert(text)
    return " ".join(text.lower().split())


def is_cjk(token: str) -> bool:
    return _CJK.search(token) is not None


def bigrams(word: str) -> list[str]:
    return [word[i:i + 2] for i in range(len(word) - 1)]


@dataclass(frozen=True)
class Analysis:
    """A text's terms, in order, with repeats (what is indexed and what a query weighs), and its *headline* terms:
    the whole words before expansion, which an explanation shows a reader."""

    terms: tuple[str, ...]
    words: tuple[str, ...]


class Analyser:
    """Turns text into index terms. Build one per process (:func:`analyser`): loading the dictionary takes ~0.5 s."""

    def __init__(self, dictionary: Iterable[str], stopwords: Iterable[str]) -> None:
        self._jieba = rjieba.Jieba()
        self.dictionary = frozenset(dictionary)
        for term in self.dictionary:
            self._jieba.add_word(term, DOMAIN_TERM_FREQUENCY, "nz")
        self.stopwords = frozenset(stopwords)
        self._inside_seen: dict[str, list[str]] = {}

    def known(self, word: str) -> bool:
        return word in self.dictionary or self._jieba.has_word(word)

    def analyse(self, text: str | None) -> Analysis:
        if not text:
            return Analysis((), ())
        terms: list[str] = []
        words: list[str] = []
        singles: list[str] = []  # a run of single CJK characters, joined into bigrams when it ends

        def end_run() -> None:
            # A lone character can be a whole word (锂, 泵, 阀); a run of them is most likely an unknown word cut up.
            if len(singles) == 1:
                terms.append(singles[0])
            elif singles:
                terms.extend(t for t in bigrams("".join(singles)) if t not in self.stopwords)
            singles.clear()

        for token in self._jieba.cut(normalise(text), True):
            token = token.strip()
            if not token:
                continue
            if is_cjk(token):
                if not self.known(token) and any(ch in self.stopwords for ch in token):
                    # A guess of jieba's HMM that glued a function word to its neighbour (与阀): take it apart.
                    for ch in token:
                        if ch in self.stopwords:
                            end_run()
                        else:
                            singles.append(ch)
                    continue
                if len(token) == 1:
                    if token not in self.stopwords:
                        singles.append(token)
                    else:
                        end_run()
                    continue
                end_run()
                if token in self.stopwords:
                    continue
                terms.append(token)
                words.append(token)
                terms.extend(self._inside(token))
            else:
                end_run()
                for word in _ASCII_WORD.findall(token):
                    self._ascii(word, terms, words)
        end_run()
        return Analysis(tuple(terms), tuple(words))

    def _inside(self, token: str) -> list[str]:
        """Dictionary words inside a long term, or its bigrams when no dictionary knows the term (remembered:
        a corpus repeats its words, and this is most of the analysis time)."""
        found = self._inside_seen.get(token)
        if found is None:
            found = self._inside_seen[token] = self._expand(token)
        return found

    def _expand(self, token: str) -> list[str]:
        if not self.known(token):
            return [b for b in bigrams(token) if b != token and b not in self.stopwords] if len(token) > 2 else []
        if len(token) < 3:
            return []
        return [w for w in self._jieba.cut_all(token)
                if 1 < len(w) < len(token) and w not in self.stopwords and self.known(w)]

    def _ascii(self, word: str, terms: list[str], words: list[str]) -> None:
        parts = _ASCII_PART.findall(word)
        whole = "".join(parts)
        if whole in self.stopwords or (len(whole) < 2 and not whole.isdigit()):
            return
        terms.append(whole)
        words.append(word)
        if len(parts) > 1:
            terms.extend(p for p in parts if p not in self.stopwords and len(p) > 1)

    def terms(self, text: str | None) -> list[str]:
        return list(self.analyse(text).terms)


@cache
def analyser() -> Analyser:
    """The process's analyser, with the project's dictionary and stop words."""
    return Analyser(read_word_list(DICTIONARY_FILE), read_word_list(STOPWORDS_FILE))


@lru_cache(maxsize=65_536)
def normalise_tag(tag: str) -> str:
    """A tag as tags are compared: normalised, without spaces."""
    return normalise(tag).replace(" ", "")
