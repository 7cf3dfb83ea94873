"""The rule sets, one module per tier and policy version. Each module exposes ``RULE_SET``."""

from services.registry.domain.evaluation.rulesets import (
    hnte_2016,
    innovative_sme_2022,
    little_giant_2022,
    little_giant_2026,
    srdi_2022,
    srdi_2026,
    tech_sme_2017,
)

ALL_RULE_SETS = (
    tech_sme_2017.RULE_SET,
    innovative_sme_2022.RULE_SET,
    srdi_2022.RULE_SET,
    srdi_2026.RULE_SET,
    little_giant_2022.RULE_SET,
    little_giant_2026.RULE_SET,
    hnte_2016.RULE_SET,
)
