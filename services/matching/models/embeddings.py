"""Embeddings of the texts matching ranks (services/matching/semantic.py), computed once by the worker.

Keyed by the text itself (semantic.text_key: model, role, exact text), not by firm or demand: a firm whose profile
did not change keeps its vector across tier or pool changes, a rebuild of the read models recomputes nothing, and
every API replica and restart reads the vectors instead of running the model (~36–130 ms a text).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from services.matching.models.base import Base
from shared.db import UTCDateTime, utcnow


class TextEmbedding(Base):
    """One text's vector: 384 float16 (768 bytes), L2-normalised."""

    __tablename__ = "text_embeddings"

    text_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # Each API process polls the vectors stored since it last looked (service/indexing.py), as it polls the rows.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
