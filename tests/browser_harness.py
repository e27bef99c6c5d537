"""What the browser tests share: the machine's Chromium (Debian's `chromium`, never a downloaded
one) driven by Playwright, the application served by uvicorn on a free port (on the session's
Temporal dev server, worker and registry), a folder of screenshots per test, and axe-core.

The fixtures are imported by name into each browser test module (`from tests.browser_harness
import chromium, ...`): each module then has its own Chromium and its own server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from activities.registry.journal import Registry
from starter import system_packages
from starter.devserver import free_port
from starter.scripted import Cases
from tests.web_harness import make_web
from web.app import create_app
from web.state import Web

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
SERIOUS = ("serious", "critical")
expect.set_options(timeout=10_000)
"""What a page is waited for (Playwright's default is 5 s): a step goes through Temporal and a worker,
on a machine that may be busy running the rest of the suite."""


# --- The server -------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Ctrl-C stays pytest's: the server runs inside the test session's event loop."""
        yield


@contextlib.asynccontextmanager
async def served(web: Web) -> AsyncIterator[str]:
    """This application over real HTTP on a free port of 127.0.0.1, as `ea web` serves it: its base URL."""
    port = free_port()
    server = _Server(uvicorn.Config(create_app(web), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # the reason it could not start
            raise AssertionError("uvicorn stopped before it started")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture(scope="module")
def cases_module(client: Any, task_queue: str, registry: Registry) -> Cases:
    return Cases(client, task_queue, registry.engine)


@pytest.fixture(scope="module")
async def site(cases_module: Cases) -> AsyncIterator[str]:
    """The application (staff and parties alike) over real HTTP: its base URL."""
    async with served(make_web(cases_module.client, cases_module.task_queue, cases_module.registry)) as url:
        yield url


# --- The browser, the artefacts ---------------------------------------------------------------


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is missing: " + system_packages.install_command([system_packages.CHROMIUM]))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    """This test's folder of screenshots, emptied first; its path is printed."""
    folder = ARTEFACTS / re.sub(r"\W+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder
    with capsys.disabled():
        print(f"\n  screenshots: {folder.relative_to(ROOT)}/ ({len(list(folder.glob('*.png')))} files)")


@contextlib.asynccontextmanager
async def tab(chromium: Browser, **options: Any) -> AsyncIterator[Page]:
    """A fresh browser context (its own cookies) and a page in it, in French."""
    context: BrowserContext = await chromium.new_context(locale="fr-FR", accept_downloads=True, **options)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def snap(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=folder / f"{name}.png", full_page=True)


def errors_of(page: Page) -> list[str]:
    """What goes wrong in the page from now on: a style or script the CSP blocked, a response in error
    (the browser's own request for /favicon.ico aside)."""
    errors: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:  # a response in error is listed below
            errors.append(message.text)

    def response(answer: Any) -> None:
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    return errors


# --- Accessibility ----------------------------------------------------------------------------


def _serious(results: Any) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {', '.join(str(t) for node in v['nodes'] for t in node['target'])} — {v['help']}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]  # fmt: skip


class Audit:
    """axe-core run on pages as a person reaches them; serious and critical violations collected by page.

    Playwright's evaluate is not the page's script: axe runs under the application's own CSP, so it
    judges the page as a person sees it (a style the CSP blocked is not there for axe either)."""

    def __init__(self, shots: Path) -> None:
        self.axe = Axe()
        self.shots = shots
        self.found: dict[str, list[str]] = {}
        self.minor: dict[str, set[str]] = {}
        """Moderate and minor violations: rule → pages, printed, not failed on."""
        self.pages: list[str] = []

    async def check(self, page: Page, name: str) -> None:
        await page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # every step's form shown
        self.pages.append(name)
        await snap(page, self.shots, f"{len(self.pages):02d}-{name}")
        results = await self.axe.run(page)
        kept = {"violations": results.response["violations"], "incomplete": results.response["incomplete"],
                "passes": [rule["id"] for rule in results.response["passes"]]}  # fmt: skip
        (self.shots / f"{len(self.pages):02d}-{name}.axe.json").write_text(json.dumps(kept, indent=1, ensure_ascii=False))
        if violations := _serious(results):
            self.found[f"{name} ({page.url})"] = violations
        for violation in results.response["violations"]:
            if violation["impact"] not in SERIOUS:
                self.minor.setdefault(f"{violation['id']} ({violation['impact']})", set()).add(name)

    def report_minor(self) -> str:
        return "; ".join(f"{rule} on {', '.join(sorted(pages))}" for rule, pages in self.minor.items())

    def report(self) -> str:
        return "\n".join(f"{page}:\n  " + "\n  ".join(lines) for page, lines in self.found.items())
