"""pypinyin's dictionaries parsed in pieces (models.pinyin) are exactly what pypinyin loads
itself, and the conversions the phrase and style searches use answer the same."""
from __future__ import annotations

import subprocess
import sys


def _in_fresh_process(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_the_dictionaries_loaded_in_pieces_are_pypinyins_own():
    probe = ("import hashlib, json, pypinyin.constants as c; "
             "print(len(c.PHRASES_DICT), len(c.PINYIN_DICT), "
             "hashlib.sha256(json.dumps([sorted(c.PHRASES_DICT.items()), sorted(c.PINYIN_DICT.items())], "
             "ensure_ascii=False).encode()).hexdigest())")
    own = _in_fresh_process(probe)
    ours = _in_fresh_process("from workstation.models import pinyin; pinyin._ensure_loaded(); import sys; "
                             "print(hasattr(sys.modules['pypinyin.phrases_dict'], '_load_phrases_dict')); " + probe)
    loaded_its_own_way, ours = ours.split("\n", 1)
    assert loaded_its_own_way == "False"  # ours were used
    assert own == ours
    assert int(own.split()[0]) > 40_000  # the phrase dictionary really is there (polyphones)


def test_initials_and_syllables_of_what_agents_type():
    from workstation.models.pinyin import lazy_pinyin

    assert "".join(lazy_pinyin("快递查询", initials=True)) == "kdcx"
    assert "".join(lazy_pinyin("银行卡")) == "yinhangka"  # a polyphone read as the phrase says
    assert "".join(lazy_pinyin("重新发货", initials=True)) == "cxfh"
    assert lazy_pinyin("T恤 XL") == ["T", "xu", " XL"]
