"""The text pipeline: normalisation, the domain dictionary, the bigram fallback, stop words, mixed scripts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from services.matching.domain.text import DICTIONARY_FILE, analyser, normalise, read_word_list

ROOT = Path(__file__).resolve().parents[3]


def terms(text: str) -> list[str]:
    return analyser().terms(text)


def test_normalise_folds_width_case_and_traditional_characters() -> None:
    assert normalise("ＡＢＣ－２００Ｘ") == "abc-200x"
    assert normalise("碳化矽襯底") == "碳化硅衬底"         # Taiwan's 矽 is the mainland's 硅
    assert normalise("軟體開發　雷射切割") == "软件开发 激光切割"  # phrases too, and the ideographic space
    assert normalise("新能源汽车零部件") == "新能源汽车零部件"   # Simplified text is left alone


def test_domain_terms_stay_whole() -> None:
    for term in ("专精特新", "揭榜挂帅", "碳化硅衬底", "喷气织机", "新能源汽车零部件"):
        assert term in terms(f"本项目涉及{term}的研制"), term


def test_a_long_term_is_also_indexed_by_the_dictionary_words_inside_it() -> None:
    found = terms("碳化硅衬底")
    assert {"碳化硅衬底", "碳化硅", "衬底"} <= set(found)
    found = terms("新能源汽车零部件")
    assert {"新能源汽车", "零部件", "汽车"} <= set(found)


def test_traditional_and_simplified_texts_give_the_same_terms() -> None:
    assert terms("碳化矽襯底與噴氣織機") == terms("碳化硅衬底与喷气织机")


def test_unknown_words_fall_back_to_bigrams() -> None:
    # 钛酸锂 is in no dictionary: the parts still match a text that names 钛酸 or 锂.
    found = terms("钛酸锂负极")
    assert "钛酸" in found and "锂" in found and "负极" in found
    # A run of characters jieba could not group is indexed by its bigrams.
    assert analyser()._inside("缂丝绢纺") == ["缂丝", "丝绢", "绢纺"]


def test_stop_words_and_punctuation_are_dropped() -> None:
    assert terms("！！！，。。……") == []
    assert terms("的和与及等") == []
    found = terms("湖州市某某有限公司主要从事的业务")
    assert "有限公司" not in found and "的" not in found and "湖州市" not in found


def test_model_numbers_and_english_words_meet_however_written() -> None:
    a, b, c = terms("ABC-200X型控制器"), terms("abc200x"), terms("ＡＢＣ－２００Ｘ")
    assert "abc200x" in a and "abc200x" in b and "abc200x" in c
    assert {"abc", "200x"} <= set(a)
    mixed = terms("基于PLC的喷气织机控制, SiC MOSFET驱动")
    assert {"plc", "喷气织机", "sic", "mosfet"} <= set(mixed)


def test_the_dictionary_file_is_the_projects_and_is_large() -> None:
    words = read_word_list(DICTIONARY_FILE)
    assert len(words) >= 300
    assert len(set(words)) == len(words), "no term twice"
    assert {"专精特新", "揭榜挂帅", "碳化硅衬底", "喷气织机", "新能源汽车零部件"} <= set(words)


@given(st.text(max_size=200))
def test_any_text_is_analysed_without_error_into_non_blank_terms(text: str) -> None:
    for term in terms(text):
        assert term and term == term.strip() and " " not in term


def test_the_domain_layer_is_pure() -> None:
    modules = sorted(p.stem for p in (ROOT / "services/matching/domain").glob("*.py") if p.stem != "__init__")
    forbidden = ("fastapi", "starlette", "sqlalchemy", "pydantic", "aiokafka", "httpx", "alembic", "tantivy")
    imports = "; ".join(f"import services.matching.domain.{name}" for name in modules)
    probe = f"import sys; {imports}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert found.strip() == ""
