from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDBED_LICENSING_", extra="ignore")
    service_name: ClassVar[str] = "licensing"

    # 先用后转: how many days before a free trial's last day its reminder goes out (no rule found, [U]).
    trial_reminder_days: int = 14
