"""``jiliang dcc``: exit 0 only when valid; one ``error:`` line on stderr otherwise, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dcc.conftest import DATA, SIGNED_PTB

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "jiliang", "dcc", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def assert_one_error(r: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ca") / "ca"
    r = run("ca", "init", str(folder))
    assert r.returncode == 0, r.stderr
    return folder


def test_validate_valid_and_invalid(tmp_path, unsigned_xml):
    good = tmp_path / "good.xml"
    good.write_bytes(unsigned_xml)
    r = run("validate", str(good))
    assert r.returncode == 0 and "valid DCC 3.3.0" in r.stdout
    bad = tmp_path / "bad.xml"
    bad.write_bytes(unsigned_xml.replace(b"<si:coverageFactor>2<", b"<si:coverageFactor>0.5<", 1))
    line = assert_one_error(run("validate", str(bad)), 1)
    assert "not valid" in line
    r = run("validate", str(bad), "--json")
    assert r.returncode == 1 and '"coverage-factor"' in r.stdout


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>', "document type declaration"),
        (b"<truncated", "malformed XML"),
        (b"", "empty"),
    ],
)
def test_validate_hostile(tmp_path, content, reason):
    f = tmp_path / "x.xml"
    f.write_bytes(content)
    assert reason in assert_one_error(run("validate", str(f)), 1)


def test_missing_file_and_bad_options(tmp_path):
    assert "no such file" in assert_one_error(run("validate", str(tmp_path / "nope.xml")))
    assert "--engine" in assert_one_error(
        run("validate", str(DATA / "dcc_minimal_v3.3.0.xml"), "--engine", "x")
    )


@pytest.mark.slow
def test_sign_and_verify_with_http_tsa(tmp_path, unsigned_xml, ca):
    from jiliang.dcc import load_test_pki
    from jiliang.dcc.pki import serve_tsa

    src = tmp_path / "c.xml"
    src.write_bytes(unsigned_xml)
    out = tmp_path / "signed.xml"
    server = serve_tsa(load_test_pki(ca).tsa())
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        r = run(
            "sign", str(src), "--key", str(ca / "signer.key"), "--cert", str(ca / "signer.pem"),
            "--chain", str(ca / "trust.pem"), "--crl", str(ca / "sub.crl"), "--tsa", url, "--out", str(out),
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert r.returncode == 0 and "B-LT" in r.stdout, r.stderr
    r = run("verify", str(out), "--trust", str(ca / "trust.pem"))
    assert r.returncode == 0 and "from timestamp" in r.stdout, r.stdout + r.stderr
    tampered = tmp_path / "t.xml"
    tampered.write_bytes(out.read_bytes().replace(b"100.072", b"100.071"))
    assert "content changed" in assert_one_error(
        run("verify", str(tampered), "--trust", str(ca / "trust.pem")), 1
    )


def test_sign_refuses_bad_key_and_unreachable_tsa(tmp_path, unsigned_xml, ca):
    src = tmp_path / "c.xml"
    src.write_bytes(unsigned_xml)
    junk = tmp_path / "junk.key"
    junk.write_text("not a key")
    line = assert_one_error(
        run(
            "sign",
            str(src),
            "--key",
            str(junk),
            "--cert",
            str(ca / "signer.pem"),
            "--out",
            str(tmp_path / "o.xml"),
        )
    )
    assert "private key" in line
    line = assert_one_error(
        run(
            "sign",
            str(src),
            "--key",
            str(ca / "signer.key"),
            "--cert",
            str(ca / "signer.pem"),
            "--tsa",
            "http://127.0.0.1:9/",
            "--out",
            str(tmp_path / "o.xml"),
        )
    )
    assert "cannot be reached" in line
    assert not (tmp_path / "o.xml").exists()


@pytest.mark.slow
def test_verify_ptb_example_with_a_bundle_and_at(tmp_path):
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(
        (DATA / "trusted_certs" / "root.crt").read_bytes() + (DATA / "trusted_certs" / "sub.crt").read_bytes()
    )
    # The PTB file is XAdES B-B (no timestamp, no revocation data): valid only under a policy
    # named as weaker than the default B-LT.
    line = assert_one_error(run("verify", str(SIGNED_PTB), "--trust", str(bundle), "--at", "2023-03-28"), 1)
    assert "policy B-LT: no signature timestamp" in line
    r = run("verify", str(SIGNED_PTB), "--trust", str(bundle), "--at", "2023-03-28", "--policy", "B-B")
    assert r.returncode == 0, r.stderr
    assert "policy   B-B" in r.stdout
    line = assert_one_error(run("verify", str(SIGNED_PTB), "--trust", str(bundle), "--policy", "B-B"), 1)
    assert "is not valid at" in line
    assert "--at" in assert_one_error(
        run("verify", str(SIGNED_PTB), "--trust", str(bundle), "--at", "yesterday")
    )


def test_render_pdf_has_chinese_text(tmp_path, unsigned_xml):
    src = tmp_path / "c.xml"
    src.write_bytes(unsigned_xml)
    pdf = tmp_path / "c.pdf"
    r = run(
        "render",
        str(src),
        "--pdf",
        str(pdf),
        "--html",
        str(tmp_path / "c.html"),
        "--base-url",
        "https://dcc.example",
    )
    assert r.returncode == 0, r.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    html = (tmp_path / "c.html").read_text("utf-8")
    assert "工业铂电阻温度计" in html and "https://dcc.example/verify/BJ-2026-000001" in html
    assert "--lang" in assert_one_error(run("render", str(src), "--pdf", str(pdf), "--lang", "fr"))
    assert "--base-url" in assert_one_error(run("render", str(src), "--pdf", str(pdf)))


def test_render_with_trust_names_who_signed(tmp_path):
    from tests.dcc.golden import make

    html = tmp_path / "g.html"
    r = run(
        "render",
        str(make.SIGNED),
        "--html",
        str(html),
        "--lang",
        "en",
        "--base-url",
        "https://dcc.example",
        "--trust",
        str(make.PKI_DIR / "trust.pem"),
    )
    assert r.returncode == 0, r.stderr
    page = html.read_text("utf-8")
    assert "CN=Binjiang Institute of Metrology" in page and "2026-03-05 08:00:00 UTC" in page
    assert "valid signature" in page


def test_migrate(tmp_path):
    out = tmp_path / "m.xml"
    r = run("migrate", str(DATA / "dcc_gp_humidity_v1.0.xml"), "--to", "3.3.0", "--out", str(out))
    assert r.returncode == 0 and "schemaVersion 3.1.2 -> 3.3.0" in r.stdout, r.stderr
    assert b'schemaVersion="3.3.0"' in out.read_bytes()
    assert "3.3.0 only" in assert_one_error(
        run("migrate", str(DATA / "dcc_gp_humidity_v1.0.xml"), "--to", "2.0.0")
    )


def test_ca_init_refuses_to_overwrite(ca):
    assert "already holds a CA" in assert_one_error(run("ca", "init", str(ca)))


def test_huge_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.xml"
    with big.open("wb") as fh:  # sparse: 30 MB on paper, nothing written
        fh.truncate(30 * 1024 * 1024)
    assert "more than the limit" in assert_one_error(run("validate", str(big)))
    assert "more than the limit" in assert_one_error(run("verify", str(big), "--trust", str(big)))
