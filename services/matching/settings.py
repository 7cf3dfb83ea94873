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
