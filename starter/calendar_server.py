"""Serves the référents' calendar feeds: GET /calendar/<token>.ics. A token unknown or revoked is
a 404 like any other path, so the server says nothing about which tokens exist. `ea run` starts
it on 127.0.0.1:8235 (EA_CALENDAR_PORT); `ea calendar serve` alone."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

from sqlalchemy import Engine

from starter.local_http import LocalHTTPServer

from activities.notifications.calendar import feed_for_token

log = logging.getLogger("ea.calendar")
FEED_PATH = re.compile(r"^/calendar/([A-Za-z0-9_-]{20,100})\.ics$")


class CalendarServer(LocalHTTPServer):
    def __init__(self, engine: Engine, with_names: bool = False, host: str = "127.0.0.1", port: int = 8235) -> None:
        super().__init__((host, port), _Handler)
        self.engine = engine
        self.with_names = with_names

    def feed_url(self, token: str) -> str:
        return f"{self.url}/calendar/{token}.ics"


class _Handler(BaseHTTPRequestHandler):
    server: CalendarServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
        match = FEED_PATH.match(self.path.split("?", 1)[0])
        body = feed_for_token(self.server.engine, match.group(1), self.server.with_names) if match else None
        if body is None:
            self._reply(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
        else:
            self._reply(HTTPStatus.OK, body, "text/calendar; charset=utf-8")

    def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "private, max-age=300")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.info("calendar %s %s", self.command, args[1] if len(args) > 1 else "")  # never the path: it carries the token
