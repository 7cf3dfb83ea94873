"""Double-support detection on realistic Chinese project titles (services.funding.domain.double_support)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funding.domain.double_support import (
    DEFAULT_THRESHOLD,
    FundedProject,
    SimilarityPolicy,
    bigrams,
    find_double_support,
    normalise_title,
    same_title,
    scan,
    similar,
    title_similarity,
)

# One firm's project described twice, in other words (reordered, full-width brackets, 研发 → 开发, 及产业化 added …).
SAME_PROJECT = [
    ("基于机器视觉的纺织品瑕疵在线检测系统研发", "纺织品瑕疵在线检测系统（基于机器视觉）的研发与产业化"),
    ("高性能锂电池隔膜涂覆工艺关键技术研究", "锂电池隔膜高性能涂覆工艺研发及产业化项目"),
    ("年产500吨生物基可降解材料中试线建设", "生物基可降解材料５００吨／年中试线建设项目"),
    ("智能仓储AGV调度系统研发", "ＡＧＶ智能仓储调度系统的研发与应用"),
    ("竹纤维复合板材防霉关键技术研发", "竹纤维复合板材防霉技术研究及产业化"),
    ("新能源汽车电机控制器功率模块研发", "新能源汽车电机控制器用功率模块的开发"),
]
# Different projects of one firm, in the same field (so sharing words).
DIFFERENT_PROJECTS = [
    ("基于机器视觉的纺织品瑕疵在线检测系统研发", "纺织印染废水深度处理与回用技术研发"),
    ("高性能锂电池隔膜涂覆工艺关键技术研究", "锂电池正极材料回收再利用关键技术研究"),
    ("智能仓储AGV调度系统研发", "智能仓储穿梭车高速定位控制技术研发"),
    ("新能源汽车电机控制器功率模块研发", "新能源汽车轻量化铝合金电池托盘研发"),
    ("竹纤维复合板材防霉关键技术研发", "竹木家具智能化柔性生产线改造"),
    ("数字化车间建设项目", "智能工厂建设项目"),
    ("年产500吨生物基可降解材料中试线建设", "生物基可降解材料在食品包装中的应用研究"),
]


@pytest.mark.parametrize(("a", "b"), SAME_PROJECT)
def test_the_same_project_reworded_is_flagged(a: str, b: str) -> None:
    assert similar(a, b)
    assert title_similarity(a, b) >= Decimal("0.6")  # well clear of the 0.5 threshold


@pytest.mark.parametrize(("a", "b"), DIFFERENT_PROJECTS)
def test_different_projects_of_one_firm_are_not(a: str, b: str) -> None:
    assert not similar(a, b)
    assert title_similarity(a, b) <= Decimal("0.3")


def test_normalisation() -> None:
    assert normalise_title("ＡＧＶ智能仓储（调度）系统——研发 ") == "agv智能仓储调度系统"
    assert normalise_title("年产５００吨／年", generic_terms=()) == "年产500吨年"
    assert normalise_title("关键技术研究", generic_terms=("技术", "关键技术")) == "研究"  # longer terms first
    assert normalise_title("零\u200b宽") == "零宽"  # a zero-width space from a copy-paste


def test_bigrams() -> None:
    assert bigrams("检测系统") == {"检测", "测系", "系统"}
    assert bigrams("膜") == {"膜"}
    assert bigrams("") == frozenset()


def test_titles_that_vanish_are_not_similar() -> None:
    assert title_similarity("研发项目", "关键技术研究") == 0
    assert not similar("研发项目", "研发项目")
    assert not same_title("研发项目", "研发项目")


def test_same_title_is_equality_after_normalisation() -> None:
    assert same_title("智能仓储AGV调度系统研发", "智能仓储ＡＧＶ调度系统的研发项目")
    assert not same_title(*SAME_PROJECT[0])


def test_the_threshold_is_a_parameter() -> None:
    a, b = DIFFERENT_PROJECTS[-1]  # 0.29
    assert not similar(a, b)
    assert similar(a, b, SimilarityPolicy(threshold=Decimal("0.25")))
    assert DEFAULT_THRESHOLD == Decimal("0.5")
    with pytest.raises(ValueError):
        SimilarityPolicy(threshold=Decimal("1.5"))
    with pytest.raises(ValueError):
        SimilarityPolicy(threshold=Decimal(0))
    with pytest.raises(TypeError):
        SimilarityPolicy(threshold=0.5)  # type: ignore[arg-type]


def test_the_decision_uses_the_exact_fraction() -> None:
    # 2 shared bigrams of 4: exactly 0.5 meets a 0.5 threshold.
    assert title_similarity("甲乙丙", "乙丙丁", SimilarityPolicy(generic_terms=())) == Decimal("0.3333")
    assert similar("甲乙丙丁", "乙丙丁戊", SimilarityPolicy(generic_terms=()))  # {乙丙 丙丁} / 4 = 0.5


def _project(reference: str, title: str, enterprise: str = "ent-1", programme: str = "prog-a") -> FundedProject:
    return FundedProject(reference, enterprise, programme, title)


def test_find_double_support_compares_within_one_enterprise_only() -> None:
    new = _project("app-new", SAME_PROJECT[0][1], programme="prog-b")
    funded = [_project("app-1", SAME_PROJECT[0][0]), _project("app-2", DIFFERENT_PROJECTS[0][1]),
              _project("app-3", SAME_PROJECT[0][0], enterprise="ent-2"), new]
    (flag,) = find_double_support(new, funded)
    assert flag.other.reference == "app-1" and not flag.same_programme and not flag.identical
    assert "title similarity 0.8" in flag.reason() and "programme prog-a" in flag.reason()


def test_scan_lists_each_similar_pair_once_per_enterprise() -> None:
    projects = [_project("a1", SAME_PROJECT[1][0]), _project("a2", SAME_PROJECT[1][1], programme="prog-b"),
                _project("a3", DIFFERENT_PROJECTS[1][1]), _project("b1", SAME_PROJECT[2][0], "ent-2"),
                _project("b2", SAME_PROJECT[2][1], "ent-2"), _project("c1", SAME_PROJECT[3][0], "ent-3")]
    flags = scan(projects)
    assert [(f.project.reference, f.other.reference) for f in flags] == [("a1", "a2"), ("b1", "b2")]
    assert flags[1].same_programme


titles = st.text(alphabet=st.sampled_from(list("纺织品瑕疵在线检测系统研发锂电池隔膜工艺智能仓储AGV的与及（）")), max_size=20)


@given(titles, titles)
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert title_similarity(a, b) == title_similarity(b, a)
    assert Decimal(0) <= title_similarity(a, b) <= Decimal(1)
    assert similar(a, b) == similar(b, a)


@given(titles)
def test_a_title_is_similar_to_itself_unless_nothing_is_left(a: str) -> None:
    assert similar(a, a) == bool(normalise_title(a))
