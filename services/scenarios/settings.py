from decimal import Decimal
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.scenarios.domain.challenges import ChallengeRules, OnFailedMilestone
from services.scenarios.domain.reviews import ReviewRules
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDBED_SCENARIOS_", extra="ignore", env_parse_none_str="none")
    service_name: ClassVar[str] = "scenarios"

    # 揭榜挂帅 parameters REFERENCE §7 leaves open ([U]); the defaults and their grounds are domain.challenges'
    # ChallengeRules and domain.reviews' ReviewRules. ``none`` (e.g. SEEDBED_SCENARIOS_CHALLENGE_MIN_ISSUER_SHARE=none)
    # drops an optional limit.
    challenge_min_issuer_share: Decimal | None = Field(Decimal("0.80"), ge=0, le=1)
    challenge_reduced_min_issuer_share: Decimal = Field(Decimal("0.60"), ge=0, le=1)
    challenge_max_public_fen: int | None = Field(None, ge=0)
    challenge_max_parallel_teams: int = Field(5, ge=1)
    challenge_max_milestone_gap_months: int = Field(12, ge=1)
    challenge_max_duration_months: int | None = Field(None, ge=1)
    challenge_on_failed_milestone: OnFailedMilestone = OnFailedMilestone.STOP
    challenge_require_commitment: bool = True
    challenge_max_partners: int | None = Field(None, ge=1)
    review_trim_from: int = Field(5, ge=3)
    review_min_sheets: int = Field(1, ge=1)
    review_pass_mark: Decimal | None = Field(None, ge=0, le=100)

    def challenge_rules(self) -> ChallengeRules:
        return ChallengeRules(
            min_issuer_share=self.challenge_min_issuer_share,
            reduced_min_issuer_share=self.challenge_reduced_min_issuer_share,
            max_public_fen=self.challenge_max_public_fen, max_parallel_teams=self.challenge_max_parallel_teams,
            max_milestone_gap_months=self.challenge_max_milestone_gap_months,
            max_duration_months=self.challenge_max_duration_months,
            on_failed_milestone=self.challenge_on_failed_milestone,
            require_commitment=self.challenge_require_commitment, max_partners=self.challenge_max_partners)

    def review_rules(self) -> ReviewRules:
        return ReviewRules(trim_from=self.review_trim_from, min_sheets=self.review_min_sheets,
                           pass_mark=self.review_pass_mark)


def rules_of(settings: ServiceSettings) -> tuple[ChallengeRules, ReviewRules]:
    """The programme's challenge and review rules from the service's settings (a worker's or a test's settings
    object may be the kit's base class: then the defaults)."""
    if isinstance(settings, Settings):
        return settings.challenge_rules(), settings.review_rules()
    return ChallengeRules(), ReviewRules()
