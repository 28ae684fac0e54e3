"""Shared inputs for the DCC tests: golden files, a calibration record, a test PKI."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SIGNED_PTB = DATA / "dcc_gp_temperature_typical_v12_v3.2.0_signed.xml"
PTB_TRUST = (DATA / "trusted_certs" / "root.crt").read_bytes() + (
    DATA / "trusted_certs" / "sub.crt"
).read_bytes()
# The PTB example carries xades:SigningTime 2023-03-27T15:14:30Z; its signer certificate is valid
# 2021-12-02 .. 2024-12-02 (read from the file). A day after signing is inside both.
PTB_AT = datetime(2023, 3, 28, tzinfo=UTC)
NOW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def make_record(number: str = "BJ-2026-000001", **changes):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from jiliang.dcc import (
        CalibrationPoint,
        CalibrationRecordInput,
        ConditionInput,
        ConformityInput,
        PartyInput,
        StandardInput,
    )

    rec = CalibrationRecordInput(
        number=number,
        laboratory=PartyInput(
            "滨江市计量检测研究院",
            "Binjiang Institute of Metrology",
            "滨江市",
            "江城区计量路1号",
            accreditation_code="CNAS L0001",
        ),
        customer=PartyInput("滨江精密机械有限公司", "Binjiang Precision Machinery Co.", "滨江市"),
        instrument_name_zh="工业铂电阻温度计",
        instrument_name_en="Industrial platinum resistance thermometer",
        serial_number="SN 12345",
        manufacturer="华星仪表",
        model="PT100-A",
        received=date(2026, 3, 2),
        calibrated_from=date(2026, 3, 3),
        calibrated_to=date(2026, 3, 3),
        issued=date(2026, 3, 5),
        quantity_zh="温度",
        quantity_en="temperature",
        unit="\\degreecelsius",
        points=(
            CalibrationPoint(Decimal("0.000"), Decimal("0.012"), Decimal("0.020")),
            CalibrationPoint(Decimal("100.000"), Decimal("100.072"), Decimal("0.061")),
        ),
        method_zh="液体恒温槽比较法",
        method_en="Comparison in a stirred liquid bath",
        method_norm="JJF 1000-0000",
        performer="陈工",
        approver="李工",
        standards=(
            StandardInput(
                "标准铂电阻温度计",
                "Standard platinum resistance thermometer",
                "INV-0815",
                "NIM-2025-0042",
                "中国计量科学研究院",
                "ab" * 32,
            ),
        ),
        conditions=(
            ConditionInput(
                "环境温度",
                "Ambient temperature",
                Decimal("23.0"),
                "\\degreecelsius",
                Decimal("1.0"),
                ref_type="basic_temperature",
            ),
        ),
        conformity=ConformityInput(
            "JJG 229-2010 A级",
            "ILAC-G8:09/2019 simple acceptance (w = 0)",
            "pass",
            "符合A级允差要求",
            "Within the class A tolerance",
        ),
        customer_order="PO-4711",
    )
    return replace(rec, **changes) if changes else rec


@pytest.fixture(scope="session")
def record():  # type: ignore[no-untyped-def]
    return make_record()


@pytest.fixture(scope="session")
def unsigned_xml(record) -> bytes:  # type: ignore[no-untyped-def]
    from jiliang.dcc import build_certificate, to_xml

    return to_xml(build_certificate(record))


@pytest.fixture(scope="session")
def pki():  # type: ignore[no-untyped-def]
    from jiliang.dcc import create_test_pki

    return create_test_pki(now=datetime(2026, 1, 1, tzinfo=UTC))


def sign_blt(xml: bytes, pki, at: datetime = NOW, signer=None) -> bytes:  # type: ignore[no-untyped-def]
    from jiliang.dcc import EcdsaSigner, sign

    tsa = pki.tsa()
    return sign(
        xml,
        signer or EcdsaSigner(pki.signer_key, pki.signer, (pki.sub,)),
        signing_time=at,
        timestamp=lambda d: tsa.stamp(d, at=at),
        certificates=(pki.sub, pki.root, pki.tsa_cert),
        crls=pki.crls,
    )


@pytest.fixture(scope="session")
def signed_xml(unsigned_xml, pki) -> bytes:  # type: ignore[no-untyped-def]
    return sign_blt(unsigned_xml, pki)


@pytest.fixture
def settings(settings, platform_ca):  # type: ignore[no-untyped-def]
    """The app's settings, with the platform CA in ``<data_dir>/dcc-ca`` (the certificate tests issue)."""
    platform_ca.save(settings.data_dir / "dcc-ca")
    return settings
