"""The codec server over real HTTP on 127.0.0.1: no token, no payload; the right token decodes,
for the UI (CORS, token in the path, query string ignored) and for the `temporal` CLI."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from starter.cases import workflow_id
from starter.codec_server import CodecServer, ui_origins
from starter.devserver import free_port, temporal_binary
from workflows.encryption import encrypted_converter
from starter.scripted import Cases, cdaph
from tests.harness import TEST_KEYS
from workflows.case.model import Phase, Situation

TOKEN = "s3cret-token-for-tests"
UI = "http://localhost:8233"
CONFIGURED = "https://temporal.example.org"


@pytest.fixture(scope="module")
def codec() -> Iterator[CodecServer]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EA_CODEC_ORIGINS", f" {CONFIGURED}/ , ")
        origins = ui_origins(8233)
    server = CodecServer(TEST_KEYS, TOKEN, origins, port=free_port())
    server.start_in_background()
    yield server
    server.shutdown()
    server.server_close()


def encrypted_body() -> bytes:
    converter = encrypted_converter(TEST_KEYS)
    payloads = converter.payload_converter.to_payloads([{"reference": "CDAPH-2026-00042"}])
    import asyncio

    sealed = asyncio.run(converter.payload_codec.encode(payloads))  # type: ignore[union-attr]
    return json_format.MessageToJson(Payloads(payloads=sealed)).encode()


def post(url: str, body: bytes, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_no_token_or_a_wrong_one_decodes_nothing(codec: CodecServer) -> None:
    body = encrypted_body()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN[:-1]}):
        status, reply, _ = post(f"{codec.url}/decode", body, **headers)
        assert status == 401 and b"CDAPH" not in reply
    status, reply, _ = post(f"{codec.url}/not-the-token/decode", body)
    assert status == 401


def test_the_right_token_decodes(codec: CodecServer) -> None:
    body = encrypted_body()
    assert b"CDAPH" not in body
    for url, headers in ((f"{codec.url}/decode", {"Authorization": f"Bearer {TOKEN}"}),
                         (f"{codec.url}/{TOKEN}/decode?preserveStorageRefs=true", {"X-Namespace": "default"})):  # fmt: skip
        status, reply, _ = post(url, body, **headers)
        assert status == 200
        decoded = json_format.Parse(reply, Payloads())
        assert json.loads(decoded.payloads[0].data) == {"reference": "CDAPH-2026-00042"}


def test_encode_then_decode_round_trips(codec: CodecServer) -> None:
    plain = Payloads(payloads=encrypted_converter(TEST_KEYS).payload_converter.to_payloads(["bonjour"]))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, sealed, _ = post(f"{codec.url}/encode", json_format.MessageToJson(plain).encode(), **auth)
    assert status == 200 and b"bonjour" not in sealed
    status, opened, _ = post(f"{codec.url}/decode", sealed, **auth)
    assert json_format.Parse(opened, Payloads()) == plain


def preflight(codec: CodecServer, origin: str) -> dict[str, str]:
    request = urllib.request.Request(f"{codec.url}/decode", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
        return dict(response.headers)


@pytest.mark.parametrize("origin", [UI, "http://127.0.0.1:8233", CONFIGURED])
def test_cors_answers_every_origin_the_ui_is_served_from(codec: CodecServer, origin: str) -> None:
    """`make run` binds the UI to 127.0.0.1 and prints localhost: the browser sends either origin."""
    headers = preflight(codec, origin)
    assert headers["Access-Control-Allow-Origin"] == origin
    assert "Authorization" in headers["Access-Control-Allow-Headers"]
    assert "X-Namespace" in headers["Access-Control-Allow-Headers"]
    status, _, headers = post(f"{codec.url}/decode", encrypted_body(), Origin=origin, Authorization=f"Bearer {TOKEN}")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == origin


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(origin=st.one_of(st.from_regex(r"\Ahttps?://[a-z0-9.-]{1,30}(:[0-9]{1,5})?\Z"), st.text(max_size=40)))
def test_cors_answers_no_other_origin(codec: CodecServer, origin: str) -> None:
    assume(origin.rstrip("/") not in codec.origins)
    assume(origin.isprintable() and origin.isascii() and origin == origin.strip())  # what an HTTP header carries
    assert "Access-Control-Allow-Origin" not in preflight(codec, origin)


async def test_an_operator_reads_a_case_with_the_temporal_cli(codec: CodecServer, cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.CONVENTION, cdaph())
    address = cases.client.service_client.config.target_host
    show = [temporal_binary(), "workflow", "show", "--address", address, "-w", workflow_id(case_id), "--detailed"]
    blind = subprocess.run(show, capture_output=True, text=True, check=True, timeout=30).stdout
    assert "CDAPH-2026-00042" not in blind
    seen = subprocess.run([*show, "--codec-endpoint", codec.url, "--codec-auth", f"Bearer {TOKEN}"],
                          capture_output=True, text=True, check=True, timeout=30).stdout  # fmt: skip
    assert "CDAPH-2026-00042" in seen
