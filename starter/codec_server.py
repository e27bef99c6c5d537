"""The codec server: lets an operator holding the token read encrypted payloads in the Temporal
UI or the `temporal` CLI, and nobody else.

POST /encode and /decode (the UI adds `?preserveStorageRefs=true`: the query string is ignored),
body and reply `{"payloads": [...]}` in proto-JSON. Authentication: `Authorization: Bearer
<token>`, or the token as the first path segment (`http://host:8234/<token>/decode`) for the
dev server's UI, which sends no header. CORS only for the configured UI origins.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from starter.local_http import LocalHTTPServer
from workflows.encryption import EncryptionCodec, Keyring
from workflows.private_files import var_dir, write_private

log = logging.getLogger("ea.codec")
ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization"


def codec_token_file() -> str:
    """Where the token is read from: the environment, or var/codec-token."""
    if os.environ.get("EA_CODEC_TOKEN"):
        return "EA_CODEC_TOKEN"
    return str(var_dir() / "codec-token")


def codec_token() -> str:
    """EA_CODEC_TOKEN, or a token kept in var/codec-token (mode 0600 before its first byte)."""
    configured = os.environ.get("EA_CODEC_TOKEN")
    if configured:
        return configured
    path = Path(codec_token_file())
    if not path.exists():
        write_private(path, secrets.token_urlsafe(32))
    return path.read_text().strip()


def ui_origins(ui_port: int) -> tuple[str, ...]:
    """The origins the Temporal UI is served from: the dev server's under both spellings of the
    loopback address (browsers treat them as two origins), and those of EA_CODEC_ORIGINS
    (comma-separated, e.g. https://temporal.example.org)."""
    configured = [origin.strip() for origin in os.environ.get("EA_CODEC_ORIGINS", "").split(",") if origin.strip()]
    return (f"http://localhost:{ui_port}", f"http://127.0.0.1:{ui_port}", *configured)


class CodecServer(LocalHTTPServer):
    def __init__(self, keyring: Keyring, token: str, origins: Sequence[str], host: str = "127.0.0.1", port: int = 8234) -> None:
        super().__init__((host, port), _Handler)
        self.codec = EncryptionCodec(keyring)
        self.token = token
        self.origins = frozenset(origin.rstrip("/") for origin in origins)


class _Handler(BaseHTTPRequestHandler):
    server: CodecServer
    protocol_version = "HTTP/1.1"

    def do_OPTIONS(self) -> None:  # noqa: N802 (the http.server naming)
        """The UI's CORS preflight: answered for the UI's origins only."""
        self._reply(HTTPStatus.NO_CONTENT, b"")

    def do_POST(self) -> None:  # noqa: N802
        segments = [s for s in self.path.split("?", 1)[0].split("/") if s]
        presented = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if len(segments) == 2:
            presented, segments = segments[0], segments[1:]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not presented or not hmac.compare_digest(presented.encode(), self.server.token.encode()):
            self._reply(HTTPStatus.UNAUTHORIZED, b'{"error": "a valid token is required"}')
            return
        if segments not in (["encode"], ["decode"]):
            self._reply(HTTPStatus.NOT_FOUND, b'{"error": "POST /encode or /decode"}')
            return
        try:
            payloads = json_format.Parse(body or b"{}", Payloads())
            codec = self.server.codec
            work = codec.encode if segments == ["encode"] else codec.decode
            result = Payloads(payloads=asyncio.run(work(list(payloads.payloads))))
        except Exception as error:  # a bad body or an unknown key: the caller's problem, said plainly
            self._reply(HTTPStatus.BAD_REQUEST, json.dumps({"error": f"{type(error).__name__}: {error}"}).encode())
            return
        self._reply(HTTPStatus.OK, json_format.MessageToJson(result).encode())

    def _reply(self, status: HTTPStatus, body: bytes) -> None:
        self.send_response(status)
        origin = self.headers.get("Origin", "").rstrip("/")
        if origin in self.server.origins:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # Never the path: it may carry the token.
        log.info("codec %s %s", self.command, args[1] if len(args) > 1 else "")
