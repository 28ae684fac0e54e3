"""PTB's Schematron rules for DCCs (tests/dcc/data/SOURCES.md): what the writer writes breaks none.

The XSD says what may appear; PTB's rules add what a DCC must mean: every ``id`` is referenced by a
``refId``, the software release reads like ``v1.2.3``, methods and software are declared where the
results need them. An error is a failed assertion or a report of role ``error``; PTB's warnings and
information reports are listed in the failure message only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree
from saxonche import PySaxonProcessor

import jiliang.dcc as dcc
from tests.dcc.golden import make

RULES = Path(__file__).parent / "data" / "ptb_schematron" / "dcc.svrl"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"

Check = Callable[[bytes], list[str]]


@pytest.fixture(scope="module")
def schematron() -> Iterator[Check]:
    with PySaxonProcessor(license=False) as proc:
        rules = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(RULES))

        def errors(xml: bytes) -> list[str]:
            report = etree.fromstring(
                rules.transform_to_string(xdm_node=proc.parse_xml(xml_text=xml.decode())).encode()
            )
            found = []
            for el in report.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
                role = el.get("role") or "error"
                if (
                    el.tag == f"{SVRL}failed-assert" and role not in ("information", "warning")
                ) or role == "error":
                    text = " ".join("".join(el.itertext()).split())
                    found.append(f"{el.get('location')}: {text}")
            return found

        yield errors


def test_the_writers_certificate_breaks_no_ptb_rule(schematron: Check):
    assert schematron(make.unsigned_xml()) == []


def test_a_certificate_with_conformity_asset_and_several_standards_breaks_no_ptb_rule(schematron: Check):
    from dataclasses import replace

    rec = make.golden_record()
    rec = replace(rec, asset_number="ZC-0042", standards=rec.standards * 2, conformity=None)
    assert schematron(dcc.to_xml(dcc.build_certificate(rec))) == []


def test_the_rules_do_catch_an_unreferenced_id_and_a_bad_release(schematron: Check):
    """The check is live: PTB's rules flag what the writer of the first golden file wrote."""
    errors = schematron((make.HERE / "dcc_3.3.0_unsigned.xml").read_bytes())
    assert any("not linked to a refId" in e for e in errors)
    assert any("release version" in e for e in errors)
