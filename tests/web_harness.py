"""The staff application in the tests: served in-process over ASGI (httpx), on the session's real
Temporal dev server and registry, with a staff of known accounts on two structures."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from temporalio.client import Client

from activities.registry import accounts
from activities.registry.accounts import StaffRole
from activities.registry.directory import ReferentEntry, StructureEntry, upsert
from activities.registry.schema import Beneficiary, Document
from tests.notify_harness import Inbox
from web.app import create_app
from web.settings import WebSettings
from web.state import Web

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_web(client: Client, task_queue: str, registry: Engine, now: Callable[[], datetime] | None = None,
             settings: WebSettings | None = None) -> Web:  # fmt: skip
    async def connect() -> Client:
        return client

    web = Web(registry=registry, connect=connect, task_queue=task_queue, settings=settings or WebSettings(step_wait=20), capacity=20)
    if now is not None:
        web.now = now
    return web


class Browser:
    """One person's browser: its cookies, and the CSRF token of the last page it read."""

    def __init__(self, web: Web, address: str = "127.0.0.1") -> None:
        transport = httpx.ASGITransport(app=create_app(web), client=(address, 50000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False)
        self.csrf = ""

    async def get(self, url: str) -> httpx.Response:
        response = await self.http.get(url)
        if found := _CSRF.search(response.text):
            self.csrf = found.group(1)
        return response

    async def post(self, url: str, data: dict[str, str], csrf: str | None = None) -> httpx.Response:
        return await self.http.post(url, data={"csrf": self.csrf if csrf is None else csrf, **data})

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/connexion")
        return await self.post("/connexion", {"email": email, "password": password})

    def use_session(self, token: str) -> None:
        """Present this session token, as a browser given (or planted with) it would."""
        self.http.cookies.set("ea_session", token, domain="testserver.local")

    @property
    def session(self) -> str | None:
        return self.http.cookies.get("ea_session", domain="testserver.local")

    async def close(self) -> None:
        await self.http.aclose()


@dataclass
class Staff:
    """Accounts on structure A (two référents, a coordinator), structure B (one of each) and an admin."""

    structure_a: str
    structure_b: str
    referent_a: str
    referent_a2: str
    referent_b: str
    emails: dict[str, str]
    """Role name (referent_a, referent_a2, coordinator_a, referent_b, coordinator_b, admin) → e-mail."""


def hire_staff(registry: Engine) -> Staff:
    tag = uuid.uuid4().hex[:6]
    a, b = f"struct-a-{tag}", f"struct-b-{tag}"
    ref_a, ref_a2, ref_b = f"ref-a-{tag}", f"ref-a2-{tag}", f"ref-b-{tag}"
    for structure in (a, b):
        upsert(registry, StructureEntry(id=structure, name=f"Plateforme {structure}", department="75"))
    for referent, structure in ((ref_a, a), (ref_a2, a), (ref_b, b)):
        upsert(registry, ReferentEntry(id=referent, name=f"Référent {referent}", structure_id=structure, email=f"{referent}@example.fr"))
    now = datetime.now(timezone.utc)
    emails = {}
    for key, role, structure, referent in (
        ("referent_a", StaffRole.REFERENT, None, ref_a),
        ("referent_a2", StaffRole.REFERENT, None, ref_a2),
        ("coordinator_a", StaffRole.COORDINATOR, a, None),
        ("referent_b", StaffRole.REFERENT, None, ref_b),
        ("coordinator_b", StaffRole.COORDINATOR, b, None),
        ("admin", StaffRole.ADMIN, None, None),
    ):
        emails[key] = f"{key}.{tag}@plateforme.fr"
        accounts.add_account(registry, email=emails[key], name=f"{key} {tag}", role=role, password=PASSWORD, now=now,
                             structure_id=structure, referent_id=referent)  # fmt: skip
    return Staff(a, b, ref_a, ref_a2, ref_b, emails)


# --- The parties' space: sign-in links by e-mail -------------------------------------------------

_LINK = re.compile(r"/espace/lien/([A-Za-z0-9_-]+)")


async def link_for(browser: Browser, inbox: Inbox, email: str) -> str:
    """Ask for a sign-in link in this browser and read it from the message sent."""
    await browser.get("/espace")
    before = len(inbox.messages)
    answer = await browser.post("/espace", {"email": email})
    assert answer.status_code == 200 and "Si cette adresse est connue" in answer.text
    for _ in range(50):
        if len(inbox.messages) > before:
            break
        await asyncio.sleep(0.05)
    body = inbox.bodies()[-1]
    found = _LINK.search(body)
    assert found is not None, body
    return found.group(1)


async def signed_in_by_link(browser: Browser, inbox: Inbox, email: str) -> None:
    """Sign this browser in as the party at `email`, by the link sent there."""
    token = await link_for(browser, inbox, email)
    assert (await browser.get(f"/espace/lien/{token}")).status_code == 200, "opening the link's page signs nobody in"
    opened = await browser.post("/espace/lien", {"token": token})
    assert opened.status_code == 303 and opened.headers["location"] == "/espace/accueil"


def set_email(web: Web, beneficiary_id: str, email: str) -> None:
    """Give the person an address their space can send a link to."""
    with Session(web.registry) as session, session.begin():
        session.execute(update(Beneficiary).where(Beneficiary.id == beneficiary_id).values(email=email))


async def document_of(web: Web, case_id: str, template: str) -> Document:
    """The case's document made from `template`, once the documents worker has made it."""
    for _ in range(300):
        with Session(web.registry) as session:
            found = session.scalars(select(Document).where(Document.case_id == case_id, Document.template == template)).first()
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {template} for {case_id}")
