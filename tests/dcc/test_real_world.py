"""Certificates written elsewhere: other schema versions, RSA time-stamping authorities and
signatures, names inherited from lists, per-point conformity with its limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree

import jiliang.dcc as dcc
from jiliang.dcc.signing import RSA_PSS_SHA256, RSA_SHA256, RsaSigner

from .conftest import DATA, NOW

GP_311 = DATA / "dcc_gp_temperature_typical_v12.xml"
D = "{https://ptb.de/dcc}"


def test_validate_accepts_a_valid_3_1_0_file_with_a_warning():
    data = GP_311.read_bytes().replace(b'schemaVersion="3.1.1"', b'schemaVersion="3.1.0"')
    report = dcc.validate(data)
    assert report.valid, report.errors
    notes = [p for p in report.problems if p.rule == "version"]
    assert [p.severity for p in notes] == ["warning"]
    assert "no XSD ships for schemaVersion 3.1.0; checked against the 3.1.2 schema" in notes[0].message


def test_validate_3_1_0_still_finds_schema_errors():
    data = GP_311.read_bytes().replace(b'schemaVersion="3.1.1"', b'schemaVersion="3.1.0"')
    broken = data.replace(b"<dcc:coreData>", b"<dcc:coreData><dcc:bogus/>", 1)
    report = dcc.validate(broken)
    assert not report.valid
    assert any(p.rule == "schema" and "bogus" in p.message for p in report.errors)


@pytest.mark.parametrize("version", ["3.2.0", "3.2.1", "3.4.0"])
def test_3x_without_a_schema_is_a_warning_not_an_error(version):
    data = GP_311.read_bytes().replace(b'schemaVersion="3.1.1"', f'schemaVersion="{version}"'.encode())
    report = dcc.validate(data)
    assert report.valid
    assert any(
        p.severity == "warning"
        and f"no XSD ships for schemaVersion {version}; schema not checked" in p.message
        for p in report.problems
    )


def test_cli_validate_accepts_3_1_0(tmp_path):
    from tests.dcc.test_cli import run

    path = tmp_path / "dcc310.xml"
    path.write_bytes(GP_311.read_bytes().replace(b'schemaVersion="3.1.1"', b'schemaVersion="3.1.0"'))
    result = run("validate", str(path))
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "no XSD ships for schemaVersion 3.1.0" in result.stdout


def _signed_with_tsa(xml, pki, tsa, signer=None):  # type: ignore[no-untyped-def]
    return dcc.sign(
        xml,
        signer or dcc.EcdsaSigner(pki.signer_key, pki.signer, (pki.sub,)),
        signing_time=NOW,
        timestamp=lambda d: tsa.stamp(d, at=NOW),
        certificates=(pki.sub, pki.root, tsa.cert),
        crls=pki.crls,
    )


@pytest.mark.parametrize("padding", ["pkcs1v15", "pss"])
def test_blt_certificate_timestamped_by_an_rsa_tsa_verifies(unsigned_xml, pki, padding):
    tsa = pki.issue_tsa("Binjiang RSA TSA", not_before=NOW - timedelta(days=30), rsa_padding=padding)
    signed = _signed_with_tsa(unsigned_xml, pki, tsa)
    report = dcc.verify(signed, pki.trust_pem, now=NOW + timedelta(days=1))
    assert report.valid, report.failures
    ts = next(c for c in report.checks if c.name == "timestamp")
    assert ts.status == "ok" and "Binjiang RSA TSA" in ts.detail
    assert report.time_source == "timestamp" and report.timestamp_time == NOW


def test_a_forged_rsa_timestamp_fails(unsigned_xml, pki):
    tsa = pki.issue_tsa("Binjiang RSA TSA", not_before=NOW - timedelta(days=30))
    other = pki.issue_tsa("Binjiang RSA TSA", not_before=NOW - timedelta(days=30))
    forged = replace(tsa, key=other.key)  # the certificate of one, the key of another
    report = dcc.verify(_signed_with_tsa(unsigned_xml, pki, forged), pki.trust_pem, now=NOW)
    ts = next(c for c in report.checks if c.name == "timestamp")
    assert ts.status == "failed" and "signature does not verify" in ts.detail


@pytest.mark.parametrize(("pss", "method"), [(False, RSA_SHA256), (True, RSA_PSS_SHA256)])
def test_rsa_xml_signatures_verify(unsigned_xml, pki, pss, method):
    key, cert = pki.issue_signer(
        "Binjiang RSA Laboratory", not_before=NOW - timedelta(days=30), key_type="rsa"
    )
    signed = _signed_with_tsa(unsigned_xml, pki, pki.tsa(), RsaSigner(key, cert, (pki.sub,), pss=pss))
    assert method.encode() in signed
    report = dcc.verify(signed, pki.trust_pem, now=NOW)
    assert report.valid, report.failures
    assert "Binjiang RSA Laboratory" in (report.signer_subject or "")
    tampered = signed.replace(b"100.072", b"100.071")
    assert not dcc.verify(tampered, pki.trust_pem, now=NOW).valid


def test_rsa_signer_refuses_an_ec_key(pki):
    with pytest.raises(dcc.SigningError, match="RSA"):
        RsaSigner(pki.signer_key, pki.signer)


def test_quantities_named_only_by_their_list_get_its_name(unsigned_xml):
    root = etree.fromstring(unsigned_xml)
    table = root.find(f".//{D}result/{D}data/{D}list")
    assert table is not None
    for q in table.findall(f"{D}quantity"):
        q.remove(q.find(f"{D}name"))
    name = etree.Element(f"{D}name")
    for lang, text in (("zh", "校准结果"), ("en", "Calibration results")):
        etree.SubElement(name, f"{D}content", lang=lang).text = text
    table.insert(0, name)
    data = etree.tostring(root)
    assert dcc.validate(data).valid
    cert = dcc.from_xml(data)
    columns = cert.measurement_results[0].results[0].quantities
    assert columns and all(q.name is not None and q.name.get("en") == "Calibration results" for q in columns)


def test_per_point_conformity_and_limits_are_read_from_ptb_example():
    cert = dcc.from_xml(GP_311.read_bytes())
    error = next(
        q for q in cert.measurement_results[0].results[0].quantities if q.ref_type == "basic_measurementError"
    )
    st = error.conformity
    assert st is not None and st.conformity_list == ("pass",)
    assert [(lim.kind, lim.ref_type) for lim in st.limits] == [
        ("lower", "basic_acceptanceLimitLower"),
        ("upper", "basic_acceptanceLimitUpper"),
    ]
    assert st.limits[0].at(3) == (Decimal("-0.30"), "\\kelvin")
    assert st.point_conformity(4) == "pass"


def _with_point_conformity(cert: dcc.Certificate) -> dcc.Certificate:
    mr = cert.measurement_results[0]
    table = mr.results[0]
    limits = (
        dcc.Limit(
            "lower",
            dcc.RealList((Decimal("-0.15"), Decimal("-0.35")), ("\\degreecelsius",)),
            None,
            "basic_acceptanceLimitLower",
        ),
        dcc.Limit(
            "upper",
            dcc.RealList((Decimal("0.15"), Decimal("0.35")), ("\\degreecelsius",)),
            None,
            "basic_acceptanceLimitUpper",
        ),
    )
    st = dcc.Statement(
        name=dcc.Text.of(zh="符合性", en="Conformity"),
        ref_type="basic_conformity",
        conformity_list=("pass", "pass"),
        limits=limits,
    )
    quantities = tuple(
        replace(q, conformity=st) if q.ref_type == "basic_measurementError" else q for q in table.quantities
    )
    assert any(q.conformity is st for q in quantities)
    new_mr = replace(mr, results=(replace(table, quantities=quantities), *mr.results[1:]))
    return replace(cert, measurement_results=(new_mr, *cert.measurement_results[1:]))


def test_per_point_conformity_round_trips_and_validates(record):
    cert = _with_point_conformity(dcc.build_certificate(record))
    xml = dcc.to_xml(cert)
    assert b"<dcc:conformityXMLList>pass pass</dcc:conformityXMLList>" in xml
    assert dcc.validate(xml).valid, dcc.validate(xml).errors
    assert dcc.from_xml(xml) == cert


def test_per_point_conformity_is_rendered(record):
    cert = _with_point_conformity(dcc.build_certificate(record))
    html = dcc.render_html(cert, lang="zh", base_url="https://jiliang.example")
    assert "符合性" in html and "合格" in html
    assert "-0.15 ~ 0.15 ℃" in html
    english = dcc.render_html(cert, lang="en", base_url="https://jiliang.example")
    assert "Conformity" in english and "pass" in english


def test_statement_refuses_both_single_and_per_point_conformity():
    with pytest.raises(dcc.DccError, match="either one conformity"):
        dcc.Statement(conformity="pass", conformity_list=("pass",))
    with pytest.raises(dcc.DccError, match="not one of"):
        dcc.Statement(conformity_list=("ok",))
