"""The console is Chinese by default and complete in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jiliang.web.i18n import LANGUAGES, catalog, choose_language

WEB = Path(__file__).resolve().parents[2] / "src" / "jiliang" / "web"
KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]*[a-z0-9_])['"]""")


def test_catalogs_have_the_same_keys_and_no_empty_text():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    for lang in LANGUAGES:
        assert all(v.strip() for v in catalog(lang).values()), lang


def test_chinese_catalog_is_chinese_and_english_is_not():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    zh, en = catalog("zh"), catalog("en")
    assert sum(bool(cjk.search(v)) for v in zh.values()) > 0.8 * len(zh)
    local = re.compile(r"JJ[FG]\([\u4e00-\u9fff]\)")  # local regulations: JJF(冀)174-2020
    untranslated = [k for k, v in en.items() if cjk.search(local.sub("", v)) and k != "lang.switch"]
    assert untranslated == []


def test_every_key_used_exists():
    used = set()
    for path in list(WEB.rglob("*.html")) + list(WEB.rglob("*.py")):
        used.update(KEY.findall(path.read_text("utf-8")))
    assert used, "no keys found"
    missing = sorted(used - set(catalog("zh")))
    assert missing == []


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "zh"),
        ("en", None, None, "en"),
        (None, "en", "zh-CN", "en"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR, en;q=0.5, zh;q=0.8", "zh"),
        ("klingon", None, "de", "zh"),
        (None, None, "en;q=abc", "en"),
    ],
)
def test_language_choice(query, cookie, accept, expected):
    assert choose_language(query, cookie, accept, "zh") == expected
