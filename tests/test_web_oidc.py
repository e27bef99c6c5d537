"""Signing in through the platform's identity provider (OpenID Connect): a small provider of our
own on loopback (discovery, authorize, token, keys; RS256 ID tokens signed with joserfc, authlib's own)
stands in for the platform's, and the application talks to it over real HTTP."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from activities.registry.journal import Registry
from starter.devserver import free_port
from starter.scripted import Cases
from tests.web_harness import Browser, Staff, hire_staff, make_web
from web.settings import OidcSettings, WebSettings

CLIENT_ID, CLIENT_SECRET = "ea-staff", secrets.token_urlsafe(16)


class Provider:
    """Signs in whoever the test says (`self.who`), as an identity provider would after its own login page."""

    def __init__(self, port: int) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.codes: dict[str, tuple[str, str]] = {}
        self.who = ""
        self.app = Starlette(routes=[Route("/.well-known/openid-configuration", self.discovery), Route("/authorize", self.authorize),
                                     Route("/token", self.token, methods=["POST"]), Route("/jwks", self.jwks)])  # fmt: skip

    async def discovery(self, _request: Request) -> JSONResponse:
        return JSONResponse({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                             "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                             "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
                             "subject_types_supported": ["public"]})  # fmt: skip

    async def authorize(self, request: Request) -> RedirectResponse:
        query = request.query_params
        assert query["client_id"] == CLIENT_ID and "openid" in query["scope"]
        code = secrets.token_urlsafe(12)
        self.codes[code] = (self.who, query["nonce"])
        return RedirectResponse(f"{query['redirect_uri']}?code={code}&state={query['state']}")

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        email, nonce = self.codes.pop(str(form["code"]))
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": f"sub-{email}", "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce, "email": email}
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return JSONResponse({"access_token": secrets.token_urlsafe(12), "token_type": "Bearer", "expires_in": 300, "id_token": id_token})

    async def jwks(self, _request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[Provider]:
    port = free_port()
    made = Provider(port)
    server = uvicorn.Server(uvicorn.Config(made.app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield made
    server.should_exit = True
    await serving


async def _through_provider(browser: Browser, provider: Provider, who: str) -> httpx.Response:
    provider.who = who
    start = await browser.get("/connexion/sso")
    assert start.status_code == 302 and start.headers["location"].startswith(provider.issuer)
    async with httpx.AsyncClient() as outside:  # the browser at the provider's
        back = await outside.get(start.headers["location"])
    returned = urlparse(back.headers["location"])
    assert returned.path == "/connexion/sso/retour" and "code" in parse_qs(returned.query)
    return await browser.get(f"{returned.path}?{returned.query}")


async def test_staff_sign_in_through_the_identity_provider(cases: Cases, registry: Registry, provider: Provider) -> None:
    staff: Staff = hire_staff(registry.engine)
    settings = WebSettings(oidc=OidcSettings(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, name="Annuaire test"))
    web = make_web(cases.client, cases.task_queue, cases.registry, settings=settings)
    browser = Browser(web, address="10.8.0.1")
    assert "Se connecter avec Annuaire test" in (await browser.get("/connexion")).text

    signed = await _through_provider(browser, provider, staff.emails["coordinator_a"])
    assert signed.status_code == 303 and browser.session
    assert (await browser.get("/ma-journee")).status_code == 200

    stranger = Browser(web, address="10.8.0.2")
    refused = await _through_provider(stranger, provider, "not.an.account@elsewhere.fr")
    assert refused.status_code == 403 and "Aucun compte actif" in refused.text and not stranger.session
    for each in (browser, stranger):
        await each.close()
