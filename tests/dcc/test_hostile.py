"""Hostile and broken input: rejected with a reason, quickly, without reading files or the network."""

from __future__ import annotations

import pytest

import jiliang.dcc as dcc
from jiliang.dcc.errors import DccSizeError, UnsafeXmlError
from jiliang.dcc.xmlsafe import MAX_XML_BYTES, parse_xml
from tests.dcc.conftest import NOW

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc" schemaVersion="3.3.0">&x;</dcc:digitalCalibrationCertificate>"""

XXE_NET = b"""<?xml version="1.0"?>
<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">
<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc" schemaVersion="3.3.0"/>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<lolz>&lol9;</lolz>"""

XXE_UTF16 = XXE_FILE.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")


@pytest.mark.parametrize(
    "data", [XXE_FILE, XXE_NET, LAUGHS, XXE_UTF16], ids=["xxe-file", "xxe-net", "laughs", "xxe-utf16"]
)
def test_dtd_and_entities_are_refused(data):
    with pytest.raises(UnsafeXmlError, match="document type declaration"):
        parse_xml(data)
    report = dcc.validate(data)
    assert not report.valid and report.problems[0].rule == "xml"
    with pytest.raises(dcc.DccError):
        dcc.from_xml(data)


def test_passwd_content_never_appears(unsigned_xml, pki):
    report = dcc.verify(XXE_FILE, pki.trust_pem, now=NOW)
    assert not report.valid and "root:" not in str(report.as_dict())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"<dcc:digitalCalibrationCertificate xmlns:dcc='https://ptb.de/dcc'", "malformed"),
        (b"\x00\x01\x02binary", "malformed"),
        (b"<a><b></a>", "malformed"),
        ("<a>é</a>".encode("latin-1"), "malformed"),
    ],
)
def test_malformed_xml_is_a_reason(data, reason):
    report = dcc.validate(data)
    assert not report.valid and reason in report.problems[0].message


def test_truncated_certificate(unsigned_xml):
    report = dcc.validate(unsigned_xml[: len(unsigned_xml) // 2])
    assert not report.valid and "malformed XML" in report.problems[0].message


def test_truncated_signed_certificate(signed_xml, pki):
    report = dcc.verify(signed_xml[:-40], pki.trust_pem, now=NOW)
    assert not report.valid and report.failures[0].name == "parse"


def test_wrong_namespace(unsigned_xml):
    bad = unsigned_xml.replace(b'xmlns:dcc="https://ptb.de/dcc"', b'xmlns:dcc="https://example.org/dcc"')
    report = dcc.validate(bad)
    assert not report.valid and "not dcc:digitalCalibrationCertificate" in report.problems[0].message
    with pytest.raises(dcc.DccError, match="not dcc:digitalCalibrationCertificate"):
        dcc.from_xml(bad)
    with pytest.raises(dcc.DccError, match="not dcc:digitalCalibrationCertificate"):
        dcc.migrate(bad)


@pytest.mark.parametrize("version", ["9.9.9", "3.3", "", "3.3.0 "])
def test_unknown_schema_version(unsigned_xml, version):
    bad = unsigned_xml.replace(b'schemaVersion="3.3.0"', f'schemaVersion="{version}"'.encode())
    report = dcc.validate(bad)
    assert not report.valid and report.problems[0].rule == "version"
    assert repr(version) in report.problems[0].message
    with pytest.raises(dcc.DccError, match="unknown schemaVersion"):
        dcc.from_xml(bad)
    with pytest.raises(dcc.DccError, match="unknown schemaVersion"):
        dcc.migrate(bad)


def test_missing_schema_version(unsigned_xml):
    report = dcc.validate(unsigned_xml.replace(b' schemaVersion="3.3.0"', b""))
    assert not report.valid and "schemaVersion attribute is missing" in report.problems[0].message


def test_huge_file_is_refused_before_parsing():
    huge = b"<a>" + b"x" * MAX_XML_BYTES + b"</a>"
    with pytest.raises(DccSizeError, match="more than the limit"):
        parse_xml(huge)
    with pytest.raises(DccSizeError):
        dcc.validate(huge)


def test_deep_nesting_is_refused():
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(dcc.DccError, match="malformed XML"):
        parse_xml(deep)


def test_schema_import_of_unknown_url_is_refused():
    from lxml import etree

    from jiliang.dcc.schemas import _resolver_class

    resolver = _resolver_class()({})
    with pytest.raises(dcc.DccError, match="not available offline"):
        resolver.resolve("https://evil.example/x.xsd", None, None)
    assert etree  # lxml is the engine being guarded


def test_signed_root_with_nested_signature_is_refused(signed_xml, pki):
    from lxml import etree

    root = etree.fromstring(signed_xml)
    sig = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    holder = etree.SubElement(root, "{https://ptb.de/dcc}comment")
    holder.append(etree.fromstring(etree.tostring(sig)))
    report = dcc.verify(etree.tostring(root), pki.trust_pem, now=NOW)
    assert not report.valid and "outside the root's children" in report.failures[0].detail


def test_bad_trust_bundle_is_a_reason(signed_xml):
    report = dcc.verify(signed_xml, b"not a certificate", now=NOW)
    assert not report.valid and report.failures[0].name == "trust"


def _mutations(data: bytes, n: int, seed: int):  # type: ignore[no-untyped-def]
    import random

    rng = random.Random(seed)
    for _ in range(n):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            b[i] = rng.choice(b"<>/=\"'&;:#x0A \x00\xff" + bytes([rng.randrange(256)]))
        yield bytes(b)


def test_mutated_signed_files_never_raise(signed_xml, pki):
    """Random byte changes (seeded): verify and validate answer with a report, never an exception;
    the reader raises only DccError."""
    for data in _mutations(signed_xml, 150, 2035):
        report = dcc.verify(data, pki.trust_pem, now=NOW)
        if data != signed_xml:
            assert isinstance(report.valid, bool)
        dcc.validate(data)
        try:
            dcc.from_xml(data)
        except dcc.DccError:
            pass


def test_garbage_in_signature_fields_is_a_reason(signed_xml, pki):
    from lxml import etree

    for xpath in (
        ".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp",
        ".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate",
        ".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue",
        ".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedCRLValue",
        ".//{http://www.w3.org/2000/09/xmldsig#}CanonicalizationMethod",
    ):
        root = etree.fromstring(signed_xml)
        el = root.find(xpath)
        if el.get("Algorithm"):
            el.set("Algorithm", "urn:bogus")
        else:
            el.text = "!!not base64!!"
        report = dcc.verify(etree.tostring(root), pki.trust_pem, now=NOW)
        assert report.checks, xpath
        if "CRL" not in xpath:
            assert not report.valid, xpath
