from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDBED_FUNDING_", extra="ignore")
    service_name: ClassVar[str] = "funding"
    # How many hours ahead a booking must start when its resource says nothing (most providers' terms read
    # "提前一个工作日预约"); a resource sets its own with ``lead_time_hours``.
    booking_lead_time_hours: int = Field(24, ge=0, le=24 * 90)
