"""A rule set's content fingerprint (RuleSet.fingerprint): every threshold, band edge, point value and date of a rule
set is in it, so is the kind of every condition and measure; it is computed once per rule set object and is the
same in every process (no id(), no hash() randomisation, no set ordering)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from services.registry.domain.evaluation import RuleSet, list_rule_sets
from services.registry.domain.evaluation import ruleset as ruleset_module
from services.registry.domain.evaluation.conditions import AtLeast, AtMost, Check
from services.registry.domain.evaluation.fingerprint import canonical_text, content_fingerprint
from services.registry.domain.evaluation.measures import AverageGrowthRate, CompoundGrowthRate

REPO = Path(__file__).resolve().parents[3]
RULE_SETS = list_rule_sets()
Path_ = tuple[Any, ...]  # field names, tuple indexes and mapping keys from the rule set down to a value


def numeric_leaves(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every number (not bool) and date in a rule set, with the path to it."""
    if isinstance(value, bool | str | Enum) or value is None:
        return
    if isinstance(value, int | Decimal | date):
        yield path, value
    elif is_dataclass(value):
        for f in fields(value):
            yield from numeric_leaves(getattr(value, f.name), (*path, f.name))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from numeric_leaves(item, (*path, i))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from numeric_leaves(item, (*path, key))


def replaced_at(value: Any, path: Path_, new: Any) -> Any:
    """A copy of ``value`` with the value at ``path`` replaced by ``new``, built without re-running validation (a
    band edge moved past its neighbour is still a different rule set) and without any cached fingerprint."""
    if not path:
        return new
    step, rest = path[0], path[1:]
    if is_dataclass(value):
        changed = copy.copy(value)
        vars(changed).pop("fingerprint", None)
        object.__setattr__(changed, step, replaced_at(getattr(value, step), rest, new))
        return changed
    if isinstance(value, tuple):
        return (*value[:step], replaced_at(value[step], rest, new), *value[step + 1:])
    return {**value, step: replaced_at(value[step], rest, new)}


def nudged(value: Any) -> Any:
    if isinstance(value, date):
        return value + timedelta(days=1)
    return value + 1


def test_every_rule_set_has_its_own_fingerprint() -> None:
    prints = [rule_set.fingerprint for rule_set in RULE_SETS]
    assert all(len(p) == 64 and int(p, 16) >= 0 for p in prints)
    assert len(set(prints)) == len(RULE_SETS)


@pytest.mark.parametrize("rule_set", RULE_SETS, ids=lambda rs: rs.id)
def test_changing_any_threshold_changes_the_fingerprint(rule_set: RuleSet) -> None:
    leaves = list(numeric_leaves(rule_set))
    assert len(leaves) > 10  # limits, band edges, points, pass marks, years, dates
    for path, value in leaves:
        changed = replaced_at(rule_set, path, nudged(value))
        assert changed.id == rule_set.id  # same version: only the content tells them apart
        assert changed.fingerprint != rule_set.fingerprint, path


def test_a_threshold_changed_through_replace_changes_the_fingerprint() -> None:
    """The way a rule set is edited in code or patched in a test: a new frozen object, a new fingerprint."""
    tech_sme = next(rs for rs in RULE_SETS if rs.id == "most-2017-115/tech_sme")
    path, limit = next((p, v) for p, v in numeric_leaves(tech_sme) if p[-2:] == ("test", "limit"))
    assert replaced_at(tech_sme, path, limit).fingerprint == tech_sme.fingerprint  # same content, same fingerprint
    assert replace(tech_sme, scoring=replace(tech_sme.scoring, pass_score=61)).fingerprint != tech_sme.fingerprint


def test_the_kind_of_a_test_or_measure_is_part_of_the_content() -> None:
    """Plain conversion (domain.plain) writes AtLeast(5) and AtMost(5) alike; the fingerprint must not."""
    assert canonical_text(AtLeast(5)) != canonical_text(AtMost(5))
    assert content_fingerprint(AverageGrowthRate("operating_revenue_fen")) != content_fingerprint(
        CompoundGrowthRate("operating_revenue_fen"))
    check = Check("c", "label", AverageGrowthRate("operating_revenue_fen"), AtLeast(Decimal("0.1")))
    assert content_fingerprint(check) != content_fingerprint(replace(check, test=AtMost(Decimal("0.1"))))
    assert content_fingerprint(check) != content_fingerprint(replace(check, test=AtLeast(Decimal("0.2"))))
    assert content_fingerprint((True,)) != content_fingerprint((1,))


def test_code_is_refused_rather_than_fingerprinted() -> None:
    with pytest.raises(TypeError, match="plain data"):
        content_fingerprint({"rule": lambda x: x})


def test_the_fingerprint_is_computed_once_per_rule_set_object(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []

    def counting(value: Any) -> str:
        calls.append(value)
        return content_fingerprint(value)

    monkeypatch.setattr(ruleset_module, "content_fingerprint", counting)
    fresh = replace(RULE_SETS[0], title=RULE_SETS[0].title + " ")
    assert {fresh.fingerprint for _ in range(1000)} == {fresh.fingerprint}
    assert calls == [fresh]
    assert fresh.fingerprint != RULE_SETS[0].fingerprint  # even a title is content: it is shown in every result


PRINT_IN_A_NEW_PROCESS = """
import json
from services.registry.domain.evaluation import list_rule_sets
from services.registry.domain.evaluation.fingerprint import content_fingerprint
from services.registry.domain.figures import IpKind
prints = {rs.id: rs.fingerprint for rs in list_rule_sets()}
prints["a set of strings"] = content_fingerprint(frozenset(f"member {i}" for i in range(64)))
prints["a set of enums"] = content_fingerprint(frozenset(IpKind))
print(json.dumps(prints))
"""


def test_the_fingerprint_is_the_same_in_every_process() -> None:
    """str hashes (and so set order) change with PYTHONHASHSEED; the fingerprints must not."""
    from services.registry.domain.figures import IpKind

    here = {rs.id: rs.fingerprint for rs in RULE_SETS}
    here["a set of strings"] = content_fingerprint(frozenset(f"member {i}" for i in range(64)))
    here["a set of enums"] = content_fingerprint(frozenset(IpKind))
    for seed in ("0", "1", "4242", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        out = subprocess.run([sys.executable, "-c", PRINT_IN_A_NEW_PROCESS], env=env, cwd=REPO, check=True,
                             capture_output=True, text=True).stdout
        assert json.loads(out) == here, seed
