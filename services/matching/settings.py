from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDBED_MATCHING_", extra="ignore")
    service_name: ClassVar[str] = "matching"

    # How often each API process reads the rows changed since its last look into its search index (the freshness
    # of results after a commit is at most this plus one poll's work).
    index_poll_seconds: float = 0.1
    # Candidate lists remembered per process until the index changes (0: rank every request afresh).
    remembered_lists: int = 20_000
    # The semantic signal's vectors are computed by the worker (its ``embeddings`` consumer, and a new demand's
    # before its recommendation). False: nothing is embedded; the index ranks with the vectors already stored (none
    # on a new database: words only). docs/operations.md, "The semantic signal".
    semantic: bool = True
    # Free-text search embeds each new query (~18–90 ms of one core, one query at a time per process; repeated
    # queries are remembered). False: search ranks by words alone (candidates and opportunities keep the signal).
    search_semantic: bool = True
