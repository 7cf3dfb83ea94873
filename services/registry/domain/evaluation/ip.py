"""Which IP counts, and as what: Ⅰ类 / Ⅱ类 / 自主研发 / 高价值, per rule set.

Each rule set names an ``IpPolicy`` (data). A holding whose class depends on a missing fact counts as
"possible": the tally is an interval [certain, possible], so the engine can tell when the gap matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.registry.domain.dates import add_years
from services.registry.domain.evaluation.tri import Tri, tri_all, tri_any
from services.registry.domain.figures import AcquisitionMethod, IpHolding, IpKind

CLASS_I_KINDS = frozenset(
    {
        IpKind.INVENTION_PATENT,
        IpKind.DEFENCE_PATENT,
        IpKind.PLANT_VARIETY,
        IpKind.NATIONAL_CROP_VARIETY,
        IpKind.NATIONAL_NEW_DRUG,
        IpKind.GRADE_ONE_PROTECTED_TCM,
        IpKind.IC_LAYOUT_DESIGN,
    }
)
CLASS_II_KINDS = frozenset({IpKind.SOFTWARE_COPYRIGHT, IpKind.UTILITY_MODEL, IpKind.DESIGN_PATENT})


@dataclass(frozen=True)
class IpPolicy:
    name: str
    class_i_kinds: frozenset[IpKind] = CLASS_I_KINDS
    class_ii_kinds: frozenset[IpKind] = CLASS_II_KINDS
    class_ii_years_after_grant: tuple[tuple[IpKind, int], ...] = ()
    """Ⅱ类 kinds that count only when maintained MORE than N years after grant (MIIT 2022: 实用新型/外观设计 > 2)."""
    recent_transfer_excluded_years: int | None = None  # MIIT 2022: transferred in < 1 year earlier does not count
    transfers_excluded: bool = False  # MIIT 2026: Ⅰ类 excludes IP acquired by transfer (转入)
    max_rights_holder_rank: int | None = None  # MIIT 2026: the applicant ranks in the top 3 rights holders
    require_applied_with_benefit: bool = False  # "actually applied and generating economic benefit"
    exclude_disputed: bool = False  # tech SME: "无争议"
    high_value_years_maintained: int = 10  # MIIT §1.1: maintained MORE than 10 years is 高价值
    # IP the firm holds a licence to (被许可, not owned) counts, as acquired rather than self-developed. [U] for the
    # MIIT standards ("有效知识产权" without saying "所有权"); the HNTE and tech-SME rules ask for ownership.
    licences_count: bool = True
    notes: tuple[str, ...] = field(default=())

    def years_after_grant(self, kind: IpKind) -> int | None:
        return dict(self.class_ii_years_after_grant).get(kind)


@dataclass(frozen=True)
class Interval:
    certain: int
    possible: int

    def __str__(self) -> str:
        return str(self.certain) if self.certain == self.possible else f"{self.certain}–{self.possible}"


@dataclass(frozen=True)
class IpTally:
    """Counts of qualifying holdings, each as [certain, possible]."""

    class_i: Interval
    class_i_self_developed: Interval
    class_i_high_value: Interval
    class_ii: Interval
    any_class: Interval  # Ⅰ类 or Ⅱ类
    any_self_developed: Interval  # HNTE 获得方式: 有自主研发

    def get(self, key: str) -> Interval:
        return getattr(self, key)

    def __str__(self) -> str:
        return (
            f"Ⅰ类 {self.class_i} (自主研发 {self.class_i_self_developed}, 高价值 {self.class_i_high_value}); "
            f"Ⅱ类 {self.class_ii}"
        )


TALLY_KEYS = ("class_i", "class_i_self_developed", "class_i_high_value", "class_ii", "any_class", "any_self_developed")


def tally(holdings: tuple[IpHolding, ...], policy: IpPolicy, day: date) -> tuple[IpTally, tuple[str, ...]]:
    """Count the holdings under ``policy`` on ``day``; return the tally and the inputs whose absence left a
    holding undecided."""
    low = dict.fromkeys(TALLY_KEYS, 0)
    high = dict.fromkeys(TALLY_KEYS, 0)
    missing: list[str] = []
    for holding in holdings:
        verdicts, absent = _classify(holding, policy, day)
        for key, verdict in verdicts.items():
            low[key] += verdict is True
            high[key] += verdict is not False
        missing.extend(name for name in absent if name not in missing)
    return IpTally(**{key: Interval(low[key], high[key]) for key in TALLY_KEYS}), tuple(missing)


def _classify(holding: IpHolding, policy: IpPolicy, day: date) -> tuple[dict[str, Tri], list[str]]:
    name = f"ip[{holding.ref}]"
    in_class_i = holding.kind in policy.class_i_kinds
    in_class_ii = holding.kind in policy.class_ii_kinds
    if not (in_class_i or in_class_ii):
        return dict.fromkeys(TALLY_KEYS, False), []
    if holding.acquisition is AcquisitionMethod.LICENSED_IN and not policy.licences_count:
        return dict.fromkeys(TALLY_KEYS, False), []

    # Each factor: (verdict, the input whose absence makes it None)
    base: list[tuple[Tri, str | None]] = [
        (holding.in_force, None),
        (holding.related_to_main_product, f"{name}.related_to_main_product"),
    ]
    if policy.exclude_disputed:
        base.append((not holding.disputed, None))
    transferred: Tri = None if holding.acquisition is None else holding.acquisition is AcquisitionMethod.TRANSFERRED_IN
    if policy.transfers_excluded:
        base.append((None if transferred is None else not transferred, f"{name}.acquisition"))
    if policy.recent_transfer_excluded_years is not None and transferred is not False:
        if transferred is None:
            base.append((None, f"{name}.acquisition"))
        elif holding.transferred_in_on is None:
            base.append((None, f"{name}.transferred_in_on"))
        else:
            base.append((add_years(holding.transferred_in_on, policy.recent_transfer_excluded_years) <= day, None))
    if policy.max_rights_holder_rank is not None:
        rank = holding.rights_holder_rank
        base.append((None if rank is None else rank <= policy.max_rights_holder_rank, f"{name}.rights_holder_rank"))
    if policy.require_applied_with_benefit:
        base.append((holding.applied_with_economic_benefit, f"{name}.applied_with_economic_benefit"))

    class_i_factors = [*base, (in_class_i, None)]
    class_ii_factors = [*base, (in_class_ii, None)]
    years = policy.years_after_grant(holding.kind) if in_class_ii else None
    if years is not None:
        maintained = None if holding.granted_on is None else add_years(holding.granted_on, years) < day
        class_ii_factors.append((maintained, f"{name}.granted_on"))
    self_developed: Tri = None if holding.acquisition is None else holding.acquisition is AcquisitionMethod.SELF_DEVELOPED
    old_enough: Tri = (
        None if holding.granted_on is None else add_years(holding.granted_on, policy.high_value_years_maintained) < day
    )
    high_value = tri_any([holding.high_value, old_enough])

    factor_sets = {
        "class_i": class_i_factors,
        "class_i_self_developed": [*class_i_factors, (self_developed, f"{name}.acquisition")],
        "class_i_high_value": [*class_i_factors, (high_value, f"{name}.high_value")],
        "class_ii": class_ii_factors,
    }
    verdicts = {key: tri_all([v for v, _ in factors]) for key, factors in factor_sets.items()}
    verdicts["any_class"] = tri_any([verdicts["class_i"], verdicts["class_ii"]])
    verdicts["any_self_developed"] = tri_all([verdicts["any_class"], self_developed])
    factor_sets["any_self_developed"] = [*base, (self_developed, f"{name}.acquisition")]

    missing: list[str] = []
    for key, verdict in verdicts.items():
        if verdict is None:
            for value, input_name in factor_sets.get(key, base):
                if value is None and input_name and input_name not in missing:
                    missing.append(input_name)
    return verdicts, missing
