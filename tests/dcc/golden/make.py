"""Make the golden DCC files of this writer version — only on purpose, never from a test.

    PYTHONPATH=src python tests/dcc/golden/make.py --write    # writes the files below
    PYTHONPATH=src python tests/dcc/golden/make.py            # checks only; exit 1 on difference

Files of the writer's current revision, r2 (DCC 3.3.0, the version the writer writes):

* ``dcc_3.3.0_r2_unsigned.xml`` — ``to_xml(build_certificate(golden_record()))``; the writer must
  reproduce it byte for byte (``tests/dcc/test_golden.py``).
* ``dcc_3.3.0_r2_signed_B-LT.xml`` — that file signed as XAdES B-LT (ECDSA P-256, RFC 3161 timestamp,
  chain and CRLs embedded) at :data:`CLOCK`, with the test PKI kept in ``pki_r2/`` (``trust.pem`` is
  the trust bundle; keys are test keys). It must verify at the pinned time for as long as the
  verifier lives: a change that breaks it breaks every certificate already issued.

A new writer version gets new files named after its schema version and revision; the old ones
stay (:data:`ISSUED`) and must go on verifying. Revision r1 (``dcc_3.3.0_unsigned.xml``,
``dcc_3.3.0_signed_B-LT.xml``, ``pki/``) wrote ids nothing referred to and the release ``0.1.0``,
which PTB's Schematron rules refuse (``tests/dcc/test_ptb_schematron.py``); r2 writes neither.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).parent
CLOCK = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
"""The pinned time: the certificate is signed and timestamped at it."""
UNSIGNED = HERE / "dcc_3.3.0_r2_unsigned.xml"
SIGNED = HERE / "dcc_3.3.0_r2_signed_B-LT.xml"
PKI_DIR = HERE / "pki_r2"
ISSUED = ((HERE / "dcc_3.3.0_unsigned.xml", HERE / "dcc_3.3.0_signed_B-LT.xml", HERE / "pki"),)
"""Earlier revisions' (unsigned, signed, PKI): certificates already issued, never rewritten."""


def golden_record():  # type: ignore[no-untyped-def]
    """The calibration record of the golden files (self-contained: not shared with other tests)."""
    from jiliang.dcc import (
        CalibrationPoint,
        CalibrationRecordInput,
        ConditionInput,
        ConformityInput,
        PartyInput,
        StandardInput,
    )

    return CalibrationRecordInput(
        number="GOLDEN-2026-000001",
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


def unsigned_xml() -> bytes:
    """What this writer writes for :func:`golden_record`."""
    from jiliang.dcc import build_certificate, to_xml

    return to_xml(build_certificate(golden_record()))


def signed_xml(unsigned: bytes, pki_dir: Path) -> bytes:
    """Sign ``unsigned`` as B-LT at :data:`CLOCK` with a fresh test PKI saved in ``pki_dir``."""
    from jiliang.dcc import EcdsaSigner, create_test_pki, sign

    pki = create_test_pki(now=CLOCK - timedelta(days=30), lab_name="Binjiang Institute of Metrology")
    pki.save(pki_dir)
    tsa = pki.tsa()
    return sign(
        unsigned,
        EcdsaSigner(pki.signer_key, pki.signer, (pki.sub,)),
        signing_time=CLOCK,
        timestamp=lambda digest: tsa.stamp(digest, at=CLOCK),
        certificates=(pki.sub, pki.root, pki.tsa_cert),
        crls=pki.crls,
    )


def main(argv: list[str]) -> int:
    current = unsigned_xml()
    if "--write" not in argv:
        same = UNSIGNED.exists() and UNSIGNED.read_bytes() == current
        print("unsigned golden file matches the writer" if same else "the writer's output differs")
        return 0 if same else 1
    UNSIGNED.write_bytes(current)
    SIGNED.write_bytes(signed_xml(current, PKI_DIR))
    print(f"wrote {UNSIGNED.name}, {SIGNED.name} and {PKI_DIR.name}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
