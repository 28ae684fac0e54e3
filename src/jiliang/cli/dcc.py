"""``jiliang dcc``: validate, sign, verify, render and migrate digital calibration certificates.

Exit status: 0 only when the file is valid (or the action succeeded), 1 when the file is invalid
or does not verify (the report says why), 2 for unusable input (one line ``error: …``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from jiliang.cli.common import clock, console, emit_json, fail

app = typer.Typer(name="dcc", help="Digital calibration certificates (PTB DCC 3.3.0).", no_args_is_help=True)
ca_app = typer.Typer(name="ca", help="Local test CA and time-stamping authority.", no_args_is_help=True)
app.add_typer(ca_app)

MAX_FILE_BYTES = 20 * 1024 * 1024


def _read(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a file, refusing more than ``limit`` bytes before reading it whole."""
    try:
        if not path.is_file():
            fail(f"{path}: no such file")
        size = path.stat().st_size
        if size > limit:
            fail(f"{path}: {size} bytes is more than the limit of {limit} bytes")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    if len(data) > limit:
        fail(f"{path}: more than the limit of {limit} bytes")
    return data


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--at {value!r} is not a date (YYYY-MM-DD) or ISO date-time")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")


@app.command("validate")
def validate_cmd(
    file: Path = typer.Argument(..., help="DCC XML file."),
    engine: str = typer.Option("lxml", "--engine", help="XSD engine: lxml or xmlschema."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable report."),
) -> None:
    """Validate against the XSD of its schemaVersion, then the business rules."""
    from jiliang.dcc.validate import validate

    if engine not in ("lxml", "xmlschema"):
        fail(f"--engine {engine!r} is not lxml or xmlschema")
    report = validate(_read(file), engine=engine)
    if json_out:
        emit_json(report.as_dict())
    else:
        for p in report.problems:
            console.print(str(p), markup=False, highlight=False, soft_wrap=True)
    if not report.valid:
        fail(
            f"{file}: not valid ({len(report.errors)} error(s)); first: {report.errors[0].xpath}: {report.errors[0].message}",
            1,
        )
    if not json_out:
        console.print(f"{file}: valid DCC {report.schema_version}", markup=False, highlight=False)


@app.command("sign")
def sign_cmd(
    file: Path = typer.Argument(..., help="DCC 3.3.0 XML file to sign."),
    key: Path = typer.Option(..., "--key", help="PEM private key (ECDSA P-256)."),
    cert: Path = typer.Option(
        ..., "--cert", help="PEM certificate of the key (further certificates = chain)."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the signed XML."),
    tsa: str | None = typer.Option(None, "--tsa", help="RFC 3161 time-stamping URL (B-T/B-LT)."),
    chain: Path | None = typer.Option(None, "--chain", help="PEM bundle of CA certificates to embed (B-LT)."),
    crl: list[Path] = typer.Option([], "--crl", help="CRL file (DER or PEM) to embed (B-LT); repeatable."),
) -> None:
    """Sign as enveloped XAdES (ECDSA P-256 / SHA-256); with --tsa, --chain and --crl: B-LT."""
    from cryptography import x509

    from jiliang.dcc.pki import load_pem_bundle, request_timestamp_http
    from jiliang.dcc.signing import EcdsaSigner, sign

    signer = EcdsaSigner.from_pem(_read(key, 1 << 20), _read(cert, 1 << 20))
    certificates = [*signer.chain, *(load_pem_bundle(_read(chain, 1 << 20)) if chain else [])]
    crls = []
    for path in crl:
        raw = _read(path)
        try:
            crls.append(
                x509.load_pem_x509_crl(raw) if raw.startswith(b"-----") else x509.load_der_x509_crl(raw)
            )
        except ValueError as exc:
            fail(f"{path}: not a CRL: {exc}")
    stamp = None
    if tsa:
        url = tsa

        def stamp(digest: bytes) -> bytes:
            return request_timestamp_http(url, digest)

    signed = sign(
        _read(file),
        signer,
        signing_time=clock().now(),
        timestamp=stamp,
        certificates=certificates,
        crls=crls,
    )
    _write(out, signed)
    level = "B-LT" if stamp is not None and crls and certificates else ("B-T" if stamp is not None else "B-B")
    console.print(f"signed ({level}) -> {out}", markup=False, highlight=False)


@app.command("verify")
def verify_cmd(
    file: Path = typer.Argument(..., help="Signed DCC XML file."),
    trust: Path = typer.Option(..., "--trust", help="PEM bundle of trusted certificates (one or several)."),
    at: str | None = typer.Option(
        None, "--at", help="Validation time YYYY-MM-DD (default: timestamp, else now)."
    ),
    require_timestamp: bool = typer.Option(
        False, "--require-timestamp", help="Fail without a signature timestamp."
    ),
    policy: str = typer.Option(
        "B-LT",
        "--policy",
        help="Level the signature must meet: B-LT (timestamp, chain, revocation data), B-T, B-B.",
    ),
    fetch_crls: bool = typer.Option(
        True, "--fetch-crls/--no-fetch-crls", help="Fetch the CRLs named in the certificates (3 s timeout)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable report."),
) -> None:
    """Verify signature, chain, revocation and content at the timestamp's time (or --at)."""
    from jiliang.dcc.verify import POLICIES, RevocationSources, verify

    if policy not in POLICIES:
        fail(f"--policy {policy!r} is not one of {', '.join(POLICIES)}")
    report = verify(
        _read(file),
        _read(trust, 1 << 20),
        now=clock().now(),
        at=_when(at),
        policy=policy,
        revocation=RevocationSources(fetch=fetch_crls),
        require_timestamp=require_timestamp,
    )
    if json_out:
        emit_json(report.as_dict())
    else:
        anchors = ", ".join(a["subject"] for a in report.policy.get("trust_anchors", []))
        console.print(
            f"policy   {policy} (trust anchors: {anchors})", markup=False, highlight=False, soft_wrap=True
        )
        for c in report.checks:
            console.print(
                f"{c.status:8} {c.name:11} {c.detail}", markup=False, highlight=False, soft_wrap=True
            )
    if not report.valid:
        first = report.failures[0]
        fail(f"{file}: does not verify: {first.name}: {first.detail}", 1)
    if not json_out:
        console.print(
            f"{file}: valid signature by {report.signer_subject} (certificate {report.certificate_number}, "
            f"validated at {report.validation_time.isoformat() if report.validation_time else '?'} from {report.time_source})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command("render")
def render_cmd(
    file: Path = typer.Argument(..., help="DCC XML file (3.0 - 3.3)."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Write a PDF here."),
    html: Path | None = typer.Option(None, "--html", help="Write an HTML page here."),
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Public base URL for the QR code (default: JILIANG_PUBLIC_BASE_URL)."
    ),
    trust: Path | None = typer.Option(
        None, "--trust", help="Verify the signature against this PEM bundle and show who signed."
    ),
) -> None:
    """Render a print-ready PDF and/or HTML with a signature block and a QR code to the verification page."""

    from jiliang.cli.common import settings
    from jiliang.dcc.reader import from_xml
    from jiliang.dcc.render import render_html, render_pdf, signature_info
    from jiliang.dcc.verify import verify

    if pdf is None and html is None:
        fail("give --pdf OUT and/or --html OUT")
    if lang not in ("zh", "en"):
        fail(f"--lang {lang!r} is not zh or en")
    config = settings()
    base_url = base_url or config.public_base_url
    if not base_url:
        fail("give --base-url URL or set JILIANG_PUBLIC_BASE_URL (the address of the public check page)")
    data = _read(file)
    cert = from_xml(data)
    signature = (
        signature_info(verify(data, _read(trust), now=clock().now(), policy=config.signature_policy))
        if trust is not None
        else None
    )
    if pdf is not None:
        out = render_pdf(cert, lang=lang, base_url=base_url, signature=signature, font=config.dcc_pdf_font)  # type: ignore[arg-type]
        _write(pdf, out)
        console.print(f"PDF -> {pdf}", markup=False, highlight=False)
    if html is not None:
        _write(html, render_html(cert, lang=lang, base_url=base_url, signature=signature).encode())  # type: ignore[arg-type]
        console.print(f"HTML -> {html}", markup=False, highlight=False)


@app.command("migrate")
def migrate_cmd(
    file: Path = typer.Argument(..., help="DCC 3.0 - 3.2 XML file."),
    to: str = typer.Option("3.3.0", "--to", help="Target version (3.3.0)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write (default: stdout)."),
) -> None:
    """Migrate to DCC 3.3.0 keeping every value; exit 1 if the result is not valid."""
    import sys

    from jiliang.dcc.migrate import migrate
    from jiliang.dcc.validate import validate

    result = migrate(_read(file), to=to)
    report = validate(result.xml)
    if out is not None:
        _write(out, result.xml)
        for change in result.changes:
            console.print(f"changed: {change}", markup=False, highlight=False)
        for p in report.problems:
            console.print(str(p), markup=False, highlight=False, soft_wrap=True)
    else:
        sys.stdout.buffer.write(result.xml)
        sys.stdout.flush()
    if not report.valid:
        fail(f"migrated file is not valid: {report.errors[0].xpath}: {report.errors[0].message}", 1)


@ca_app.command("init")
def ca_init(
    folder: Path = typer.Argument(..., help="Folder for the CA files (created)."),
    lab_name: str = typer.Option("Jiliang Test Laboratory", "--lab-name", help="Subject CN of the signer."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing CA."),
) -> None:
    """Create a test root CA, issuing CA, lab signer, TSA and CRLs (keys unencrypted: tests only)."""
    from jiliang.dcc.pki import create_test_pki

    if (folder / "root.key").exists() and not force:
        fail(f"{folder} already holds a CA; use --force to replace it")
    pki = create_test_pki(now=clock().now(), lab_name=lab_name)
    try:
        pki.save(folder)
    except OSError as exc:
        fail(f"{folder}: {exc.strerror or exc}")
    console.print(
        f"test CA in {folder}: trust.pem (root+issuing CA), signer.key/.pem, tsa.key/.pem, sub.crl, root.crl",
        markup=False,
        highlight=False,
    )


@ca_app.command("tsa")
def ca_tsa(
    folder: Path = typer.Argument(..., help="CA folder made by `jiliang dcc ca init`."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8318, "--port", min=0, max=65535),
) -> None:
    """Serve the test TSA over HTTP (RFC 3161, POST application/timestamp-query) until Ctrl-C."""
    import time

    from jiliang.dcc.pki import load_test_pki, serve_tsa

    server = serve_tsa(load_test_pki(folder).tsa(), host, port)
    console.print(f"TSA on http://{host}:{server.server_address[1]}/", markup=False, highlight=False)
    try:
        while True:
            time.sleep(3600)
    finally:
        server.shutdown()
        server.server_close()
