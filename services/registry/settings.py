from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDBED_REGISTRY_", extra="ignore")
    service_name: ClassVar[str] = "registry"

    # Validity of a certified tier when the certificate does not state it (REFERENCE: 3 years, [M]).
    certificate_validity_years: int = 3
