"""How the worker and `ea` reach a Temporal cluster or Temporal Cloud: mTLS or an API key, from the
variables the `temporal` CLI reads too, and one clear line when they cannot work."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from temporalio.service import TLSConfig

from starter.exits import EXIT_UNREACHABLE, EXIT_USAGE
from starter.settings import AccessMisconfigured, ClusterAccess
from tests.cli_runner import Ea


def test_a_client_certificate_and_its_key_give_mtls_with_the_files_contents(tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"CERT")
    (tmp_path / "client.key").write_bytes(b"KEY")
    (tmp_path / "ca.pem").write_bytes(b"CA")
    access = ClusterAccess.from_env({"TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "client.pem"),
                                     "TEMPORAL_TLS_CLIENT_KEY_PATH": str(tmp_path / "client.key"),
                                     "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(tmp_path / "ca.pem"),
                                     "TEMPORAL_TLS_SERVER_NAME": "temporal.internal"})  # fmt: skip
    options = access.connect_options()
    assert options == {"api_key": None, "tls": TLSConfig(client_cert=b"CERT", client_private_key=b"KEY", server_root_ca_cert=b"CA",
                                                         domain="temporal.internal")}  # fmt: skip
    assert access.describe() == "mTLS"


def test_an_api_key_turns_tls_on_unless_told_otherwise() -> None:
    cloud = ClusterAccess.from_env({"TEMPORAL_API_KEY": "secret"})
    assert cloud.connect_options() == {"api_key": "secret", "tls": TLSConfig()} and cloud.describe() == "API key"
    assert "secret" not in cloud.describe()
    assert ClusterAccess.from_env({"TEMPORAL_API_KEY": "secret", "TEMPORAL_TLS": "false"}).connect_options()["tls"] is False
    assert ClusterAccess.from_env({}).connect_options() == {"api_key": None, "tls": False}


def test_a_certificate_without_its_key_or_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"CERT")
    with pytest.raises(AccessMisconfigured, match="both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH"):
        ClusterAccess.from_env({"TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "client.pem")}).connect_options()
    with pytest.raises(AccessMisconfigured, match=r"TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read .*absent\.key"):
        ClusterAccess.from_env({"TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "client.pem"),
                                "TEMPORAL_TLS_CLIENT_KEY_PATH": str(tmp_path / "absent.key")}).connect_options()  # fmt: skip


async def test_ea_sends_the_api_key_and_says_so_when_tls_is_refused(cli: Ea, tmp_path: Path) -> None:
    cli.env |= {"TEMPORAL_API_KEY": "dev-server-ignores-it", "TEMPORAL_TLS": "false"}
    assert (await cli("list", "--limit", "1")).exit_code == 0, "the key travels as a header; the dev server lets it pass"
    cli.env["TEMPORAL_TLS"] = "true"
    refused = await cli("list", "--limit", "1")
    assert refused.exit_code == EXIT_UNREACHABLE and "(API key)" in refused.stderr and "dev-server-ignores-it" not in refused.stderr
    cli.env |= {"TEMPORAL_API_KEY": "", "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "absent.pem")}
    misconfigured = await cli("list")
    assert misconfigured.exit_code == EXIT_USAGE and "cluster access: mTLS needs both" in misconfigured.stderr


def certificate(name: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
                ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:  # fmt: skip
    """A certificate for `name` signed by `issuer` (a CA of its own when None)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_cert, signer_key = issuer or (None, key)
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(signer_cert.subject if signer_cert else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True))  # fmt: skip
    if issuer is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return builder.sign(signer_key, hashes.SHA256()), key


def write_pem(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    (directory / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / f"{stem}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                              serialization.NoEncryption()))  # fmt: skip
    return directory / f"{stem}.pem", directory / f"{stem}.key"


@dataclass
class MtlsFront:
    address: str
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
    ca_file: Path


@asynccontextmanager
async def mtls_front(target: str, directory: Path) -> AsyncIterator[MtlsFront]:
    """A TLS front to the dev server admitting only clients with a certificate from its CA, as a
    cluster configured for mTLS does."""
    ca = certificate("ea-test-ca")
    ca_file, _ = write_pem(directory, "ca", *ca)
    server_file, server_key = write_pem(directory, "server", *certificate("localhost", ca))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_file))
    context.load_cert_chain(server_file, server_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    host, port = target.rsplit(":", 1)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    front = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=context)
    async with front:
        yield MtlsFront(f"localhost:{front.sockets[0].getsockname()[1]}", ca, ca_file)


async def test_ea_reaches_a_cluster_that_requires_a_client_certificate(cli: Ea, tmp_path: Path) -> None:
    async with mtls_front(cli.prefix[1], tmp_path) as front:
        cli.prefix[1] = front.address
        cli.env["TEMPORAL_TLS_SERVER_CA_CERT_PATH"] = str(front.ca_file)
        without_certificate = await cli("list", "--limit", "1")
        assert without_certificate.exit_code == EXIT_UNREACHABLE and "(TLS)" in without_certificate.stderr
        client_file, client_key = write_pem(tmp_path, "client", *certificate("ea-worker", front.ca))
        cli.env |= {"TEMPORAL_TLS_CLIENT_CERT_PATH": str(client_file), "TEMPORAL_TLS_CLIENT_KEY_PATH": str(client_key)}
        listed = await cli("list", "--limit", "1", "--json")
        assert listed.exit_code == 0, listed.stderr
