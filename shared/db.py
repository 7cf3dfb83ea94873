"""Database plumbing shared by the services: engines, sessions, column types and naming.

Each service declares its own ``Base`` (its own metadata: a service never sees another's tables) with
:data:`NAMING_CONVENTION`, so that Alembic names constraints the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event, false
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite keeps naive text, so values are normalised to UTC on the way in and
    marked UTC on the way out. Naive datetimes are refused: they are a bug, not a local time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_dumps(value: Any) -> str:
    """JSON columns: UTF-8 text as is (not \\u escapes, DESIGN §4.6), and fast: evaluations store large documents.
    Values JSON cannot hold (dates, UUIDs, Decimals) are written as their text."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(url: str, pool_size: int = 10, **kwargs: Any) -> AsyncEngine:
    # A failed statement's error would otherwise print its values, and they may be personal data (DESIGN §6).
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the worker read while the API writes; foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    # No pre-ping: it costs a round trip per checkout on every request. A connection broken by a database restart
    # fails its request once and SQLAlchemy then discards the whole stale pool; pool_recycle bounds idle age.
    return create_async_engine(url, pool_size=pool_size, max_overflow=max(pool_size // 4, 1), pool_recycle=1800, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: use cases return rows after the commit without another round trip.
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine_or_session: AsyncEngine | AsyncSession) -> bool:
    bind = engine_or_session.bind if isinstance(engine_or_session, AsyncSession) else engine_or_session
    return bind.dialect.name == "postgresql"


class Versioned:
    """A record other callers change too (DESIGN §6, ETag/If-Match): ``version`` is its ETag.

    Every ORM UPDATE of the row says ``WHERE version = <the version this session read>``, so a writer that lost a
    race finds no row and fails (``StaleDataError``, answered 412 by the unit of work) instead of silently
    overwriting the winner: on every backend, whatever lock the read took. The version moves only when a use case
    moves it (``shared.repository.apply_changes``): derived columns (a size class) change without a new ETag.
    """

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}


# The execution option marking a statement that writes nothing and only takes a lock (the unit of work's audit
# check passes it over).
LOCK_ONLY = "seedbed_lock_only"


async def hold_write_lock(session: AsyncSession, table: Any) -> None:
    """SQLite: take the database's one write lock now, for the rest of the transaction (a write that matches no
    row of ``table`` takes it). Its driver opens a transaction only at the first write, so without this a use case
    that checks and then writes reads outside any lock, and two of them pass the same check. PostgreSQL locks rows
    instead (``FOR UPDATE``, advisory locks): nothing to do there."""
    if not is_postgres(session):
        await session.execute(table.delete().where(false()).execution_options(**{LOCK_ONLY: True}))

