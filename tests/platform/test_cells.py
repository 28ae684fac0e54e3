"""One rule for formula-like cells (imports refuse, exports escape) and the identity form of serials."""

from __future__ import annotations

import doctest

import pytest

from jiliang.platform import cells
from jiliang.platform.cells import formula_like, identity_text, safe_cell


def test_docstring_examples():
    result = doctest.testmod(cells)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@A1",
        "\t=1",
        "\r=1",
        "\tplain",
        "\rplain",
        " =1",
        "\n=1",
        "\u00a0=1",
        "\u3000=1",
        "\u2003=1",
        "\u200b=1",
        "\u200d\u2060=1",
        "\ufeff=1",
        "＝1",
        "＋1",
        "－1",
        "＠A1",
        "\u3000\u200b＝HYPERLINK(1)",
    ],
)
def test_formula_like_cells(text):
    assert formula_like(text)
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["", " ", "\u200b", "SN-1", "(−20~60)℃", "(-20~60)℃", "A=B", "电子秤", "'=1"]
)
def test_harmless_cells(text):
    assert not formula_like(text)
    assert safe_cell(text) == text


def test_non_text_values_are_kept():
    assert [safe_cell(v) for v in (None, -2, -2.5, True)] == ["", -2, -2.5, True]


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["SN01", "sn01", "ＳＮ０１", "SN\u200b01", " SN01\u3000", "S\u00adN01", "\ufeffSn01"], "sn01"),
        (["AB  12", "ab\u300012", "AB\u00a012"], "ab 12"),
        (["STRASSE-1", "straße-1"], "strasse-1"),
    ],
)
def test_identity_form(spellings, key):
    assert {identity_text(s) for s in spellings} == {key}


def test_identity_keeps_real_differences():
    assert identity_text("SN01") != identity_text("SN1")
    assert identity_text("SN-01") != identity_text("SN01")
