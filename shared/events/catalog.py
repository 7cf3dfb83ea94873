"""The topic catalogue: every topic the suite uses, with partitions and retention.

Topics are created explicitly by ``seedbed topics create`` (and by Strimzi KafkaTopic resources in Kubernetes),
never by broker auto-creation (DESIGN §5). A consumed topic gets a dead-letter twin ``<topic>.dlq``.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000


# A topic's dead letters go to the topic of the same name with this suffix (shared/bus/consumer.py writes them,
# shared/bus/dead_letters.py reads them back).
DEAD_LETTER_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    producer: str
    description: str
    partitions: int = 6
    # Integration events are the source for rebuilding read models, so they are kept long (a year).
    retention_ms: int = 365 * DAY_MS

    def dead_letter(self) -> TopicSpec:
        return TopicSpec(
            name=self.name + DEAD_LETTER_SUFFIX,
            producer=self.producer,
            description=f"Dead letters of {self.name}: records a consumer gave up on, with the error in headers.",
            partitions=1,
            retention_ms=30 * DAY_MS,
        )


REGISTRY_ENTERPRISE = TopicSpec(
    "seedbed.registry.enterprise", "registry", "Enterprise lifecycle: registration, updates, figures, tiers, pools."
)
REGISTRY_PLATFORM = TopicSpec("seedbed.registry.platform", "registry", "Platforms (播种平台): parks, incubators.")

SCENARIOS_SCENARIO = TopicSpec(
    "seedbed.scenarios.scenario", "scenarios",
    "Scenarios (产业链场景应用清单 entries): published on the list, closed with their outcome.")

SCENARIOS_CHALLENGE = TopicSpec(
    "seedbed.scenarios.challenge", "scenarios",
    "Challenges (揭榜挂帅): published, applications submitted, teams appointed, acceptance passed or failed.")

FUNDING_RESOURCE = TopicSpec(
    "seedbed.funding.resource", "funding",
    "Innovation resources (创新要素供给池): instruments, facilities, testing, data sets, compute listed and withdrawn.")
FUNDING_VOUCHER = TopicSpec(
    "seedbed.funding.voucher", "funding", "Innovation vouchers (创新券): issued to firms, redeemed by providers.")

FUNDING_APPLICATION = TopicSpec(
    "seedbed.funding.application", "funding",
    "Applications (申报) and awards (免申即享 and challenge bounties included): submitted, approved, rejected.")
FUNDING_FUND = TopicSpec(
    "seedbed.funding.fund", "funding",
    "Money of an award moving to or from a firm: a tranche disbursed (拨付), money clawed back (追回). Keyed by the "
    "application.")

LICENSING_PATENT = TopicSpec(
    "seedbed.licensing.patent", "licensing",
    "Patents of universities and institutes: listed (挂牌) with the modes offered, delisted; open licences declared "
    "and withdrawn (开放许可).")
LICENSING_LICENCE = TopicSpec(
    "seedbed.licensing.licence", "licensing",
    "Licences and transfers: granted, trial ending (先用后转), converted, lapsed, terminated.")
LICENSING_EQUITY = TopicSpec(
    "seedbed.licensing.equity", "licensing", "Equity contributions (作价入股): the IP transfer registered.")

MATCHING_MATCH = TopicSpec(
    "seedbed.matching.match", "matching",
    "Matches: strong candidates recommended for a newly published scenario or challenge, and feedback on matches.")

EVENT_TOPICS: tuple[TopicSpec, ...] = (REGISTRY_ENTERPRISE, REGISTRY_PLATFORM, SCENARIOS_SCENARIO, SCENARIOS_CHALLENGE,
                                       FUNDING_RESOURCE, FUNDING_VOUCHER, FUNDING_APPLICATION, FUNDING_FUND,
                                       LICENSING_PATENT, LICENSING_LICENCE, LICENSING_EQUITY, MATCHING_MATCH)

# Every topic, with a dead-letter twin for each event topic (any of them may gain consumers).
ALL_TOPICS: tuple[TopicSpec, ...] = EVENT_TOPICS + tuple(t.dead_letter() for t in EVENT_TOPICS)


def topic_by_name(name: str) -> TopicSpec:
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)
