"""Model, writer, reader, migration and validation of DCC files."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from decimal import Decimal

import pytest

import jiliang.dcc as dcc
from jiliang.dcc import DccError
from jiliang.dcc.migrate import values_of
from tests.dcc.conftest import DATA, make_record


def test_all_is_curated():
    public = {
        n
        for n, v in vars(dcc).items()
        if not n.startswith("_") and getattr(v, "__module__", "").startswith("jiliang.dcc")
    }
    assert set(dcc.__all__) == public


def test_schema_files_are_the_recorded_ones():
    """The vendored XSDs are byte-identical to the sha256 list in schemas/SOURCES.md."""
    from jiliang.dcc.schemas import SCHEMA_DIR

    listing = (SCHEMA_DIR / "SOURCES.md").read_text("utf-8").split("```")[1]
    rows = [line.split() for line in listing.strip().splitlines()]
    assert len(rows) == 10
    for digest, rel in rows:
        assert hashlib.sha256((SCHEMA_DIR / rel).read_bytes()).hexdigest() == digest, rel


def test_written_certificate_is_valid_3_3_0_and_has_every_part(unsigned_xml):
    report = dcc.validate(unsigned_xml)
    assert report.valid and report.schema_version == "3.3.0", report.problems
    text = unsigned_xml.decode()
    for element in (
        "si:hybrid",
        "si:realListXMLList",
        "si:expandedMU",
        "si:coverageFactor",
        "si:coverageProbability",
        "dcc:conformity",
        "dcc:convention",  # the decision rule
        "dcc:traceable",
        "dcc:usedMethod",
        "dcc:measuringEquipment",
        "dcc:referralID",
        "dcc:influenceCondition",
        'lang="zh"',
        'lang="en"',
    ):
        assert element in text, element
    assert "ab" * 32 in text  # the hash of the standard's own certificate


def test_written_certificate_is_valid_with_xmlschema_too(unsigned_xml):
    assert dcc.validate(unsigned_xml, engine="xmlschema").valid


def test_round_trip_keeps_the_model(record, unsigned_xml):
    assert dcc.from_xml(unsigned_xml) == dcc.build_certificate(record)


# Exact decimal arithmetic: the kelvin column must equal t/°C + 273.15 to the last digit.
KELVIN_TOLERANCE = Decimal(0)


def test_hybrid_gives_kelvin_for_celsius(unsigned_xml):
    """Reference value: ISO 80000-5:2019, item 5-2, Celsius temperature t = T - T0 with
    T0 = 273.15 K exactly (page not cited: the clause/item is the stable reference)."""
    cert = dcc.from_xml(unsigned_xml)
    ref = cert.measurement_results[0].results[0].quantities[0].value
    assert isinstance(ref, dcc.Hybrid)
    celsius, kelvin = ref.members
    assert kelvin.units == ("\\kelvin",)
    for t, T in zip(celsius.values, kelvin.values, strict=True):
        assert abs(T - (t + Decimal("273.15"))) <= KELVIN_TOLERANCE
    assert kelvin.values == (Decimal("273.150"), Decimal("373.150"))


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("dcc_gp_temperature_typical_v12.xml", "3.1.1"),
        ("dcc_gp_humidity_v1.0.xml", "3.1.2"),
        ("dcc_gp_temperature_typical_v12_adapted_v3.3.0.xml", "3.3.0"),
        ("dcc_gp_temperature_typical_v12_v3.2.0_signed.xml", "3.2.0"),
        ("dcc_minimal_v3.3.0.xml", "3.3.0"),
    ],
)
def test_reads_ptb_examples_and_rewrites_them_as_valid_3_3_0(name, version):
    cert = dcc.from_xml((DATA / name).read_bytes())
    assert cert.schema_version == version
    again = dcc.validate(dcc.to_xml(cert))
    assert again.valid, again.errors


def test_deprecated_expanded_unc_is_read_as_expanded_mu():
    """3.1.1 GP file: the first list's expandedUncXMLList values are read into ExpandedMUList."""
    cert = dcc.from_xml((DATA / "dcc_gp_temperature_typical_v12.xml").read_bytes())
    lists = [
        q.value
        for r in cert.measurement_results[0].results
        for q in r.quantities
        if isinstance(q.value, dcc.RealList)
    ]
    assert any(v.uncertainty is not None for v in lists)


@pytest.mark.parametrize(
    "name",
    [
        "dcc_gp_temperature_typical_v12.xml",
        "dcc_gp_humidity_v1.0.xml",
        "dcc_gp_temperature_typical_v12_v3.2.0_signed.xml",
    ],
)
def test_migration_keeps_every_value_and_validates(name):
    from lxml import etree

    raw = (DATA / name).read_bytes()
    result = dcc.migrate(raw)
    after = etree.fromstring(result.xml)
    assert after.get("schemaVersion") == "3.3.0"
    assert values_of(after) == values_of(etree.fromstring(raw))
    assert "expandedUnc" not in result.xml.decode().replace("<!--", "\n").split("-->")[-1]
    report = dcc.validate(result.xml)
    assert report.valid, report.errors
    assert any("expandedUncXMLList" in c for c in result.changes)


def test_migration_from_3_0_0():
    """A 3.0.0-labelled file (the mandatory skeleton with the old si:expandedUnc) migrates.

    It is not itself valid against XSD 3.0.0 (3.0.0 still required dcc:eMail in contacts), so
    only the migration, the kept values and the 3.3.0 validity of the result are checked.
    """
    from lxml import etree

    raw = (DATA / "dcc_mandatory_only_v3.3.0.xml").read_bytes()
    old = (
        raw.replace(b'schemaVersion="3.3.0"', b'schemaVersion="3.0.0"')
        .replace(b"<si:measurementUncertaintyUnivariate><si:expandedMU>", b"<si:expandedUnc>")
        .replace(b"</si:expandedMU></si:measurementUncertaintyUnivariate>", b"</si:expandedUnc>")
        .replace(b"valueExpandedMU>", b"uncertainty>")
    )
    assert b"si:expandedUnc" in old
    result = dcc.migrate(old)
    assert values_of(etree.fromstring(result.xml)) == values_of(etree.fromstring(old))
    assert dcc.validate(result.xml).valid
    assert dcc.from_xml(result.xml).measurement_results == dcc.from_xml(old).measurement_results


def test_migrate_refuses_other_targets():
    with pytest.raises(DccError, match=r"3\.3\.0 only"):
        dcc.migrate((DATA / "dcc_minimal_v3.3.0.xml").read_bytes(), to="3.4.0")


def test_ptb_examples_have_a_duplicated_language_reported_as_warning():
    """PTB GP temperature example, statement 2: two dcc:content lang="de" (one is English)."""
    report = dcc.validate((DATA / "dcc_gp_temperature_typical_v12.xml").read_bytes())
    assert report.valid
    dup = [p for p in report.problems if "appears twice" in p.message]
    assert dup and dup[0].xpath.endswith("dcc:statement[2]/dcc:declaration")


def _problems(xml: bytes, rule: str):  # type: ignore[no-untyped-def]
    return [p for p in dcc.validate(xml).problems if p.rule == rule]


def test_rule_ref_id_must_resolve(unsigned_xml):
    bad = unsigned_xml.replace(b'refId="std1"', b'refId="std9"')
    found = _problems(bad, "refId")
    assert len(found) == 1 and "'std9'" in found[0].message and found[0].xpath.endswith("/@refId")


def test_rule_unit_must_be_d_si(unsigned_xml):
    bad = unsigned_xml.replace(b"<si:unit>\\degreecelsius</si:unit>", b"<si:unit>\\degC</si:unit>", 1)
    found = _problems(bad, "unit")
    assert found and "degC" in found[0].message and "si:unit" in found[0].xpath


def test_rule_language_must_be_used(unsigned_xml):
    bad = unsigned_xml.replace(b'lang="en"', b'lang="fr"', 1)
    assert _problems(bad, "language")


def test_rule_mandatory_language_in_every_text(unsigned_xml):
    bad = unsigned_xml.replace(b'<dcc:content lang="zh">', b'<dcc:content lang="en">', 1)
    found = _problems(bad, "language")
    assert any("'zh'" in p.message for p in found)


def test_coverage_factor_below_one_is_reported_with_its_xpath(unsigned_xml):
    bad = unsigned_xml.replace(
        b"<si:coverageFactor>2</si:coverageFactor>", b"<si:coverageFactor>0.5</si:coverageFactor>", 1
    )
    report = dcc.validate(bad)
    assert not report.valid
    rule = [p for p in report.problems if p.rule == "coverage-factor"]
    assert rule and rule[0].xpath.endswith("si:coverageFactor")
    assert any(p.rule == "schema" for p in report.problems)  # the XSD agrees (minInclusive 1)


def test_xsd_error_has_an_xpath(unsigned_xml):
    bad = unsigned_xml.replace(b"<dcc:uniqueIdentifier>BJ-2026-000001</dcc:uniqueIdentifier>", b"")
    report = dcc.validate(bad)
    assert not report.valid
    assert report.errors[0].rule == "schema" and report.errors[0].xpath.startswith(
        "/dcc:digitalCalibrationCertificate"
    )


def test_model_refuses_coverage_factor_below_one():
    with pytest.raises(DccError, match=r"coverage factor 0\.9 is below 1"):
        dcc.ExpandedMU(Decimal("0.1"), Decimal("0.9"), Decimal("0.95"))


def test_model_refuses_bad_inputs():
    with pytest.raises(DccError, match="no calibration point"):
        make_record(points=())
    with pytest.raises(DccError, match="out of order"):
        make_record(issued=make_record().received.replace(year=2020))
    with pytest.raises(DccError, match="conformity 'ok'"):
        dcc.Statement(conformity="ok")
    with pytest.raises(DccError, match="2 units for 3 values"):
        dcc.RealList((Decimal(1), Decimal(2), Decimal(3)), ("\\metre", "\\metre"))
    with pytest.raises(DccError, match="not a SHA-256"):
        replace(make_record().standards[0], certificate_sha256="xyz")
