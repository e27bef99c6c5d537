"""The staff application in a real browser: Playwright driving the machine's Chromium (Debian's
`chromium`, never a downloaded one) against the application served by uvicorn on a free port, on
the session's Temporal dev server, worker and registry.

A référent's day from sign-in to sign-out (the day, the keyboard's way in, a review, an answer to
an employer's request, the convention's PDF), an accessibility check of every page each role reaches
(axe-core: no serious or critical violation), and the day on a phone's screen. Screenshots (and
axe's findings, as JSON) are kept in test-artifacts/browser/<test>/, whose path each test prints; the
server, Chromium, the screenshots and axe come from tests/browser_harness.py.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from playwright.async_api import Browser, Page, expect

from activities.registry.journal import Registry
from starter import system_packages
from starter.scripted import CALM, Cases
from tests.browser_harness import ROOT, Audit, errors_of, snap, tab
from tests.browser_harness import cases_module, chromium, shots, site  # noqa: F401 (fixtures, asked for by name)
from tests.web_harness import PASSWORD, Staff, hire_staff
from workflows.case.model import Phase, RequestStatus

SOON = CALM.model_copy(update={"job_search_review_every": timedelta(days=3), "intensive_job_search_review_every": timedelta(days=3)})
"""A review due within the week: the day's table of reviews has a line (no timer fires during a test)."""


@pytest.fixture(scope="module")
def staff(registry: Registry) -> Staff:
    return hire_staff(registry.engine)


async def sign_in(page: Page, site: str, email: str) -> None:
    await page.goto(f"{site}/connexion")
    await page.get_by_label("Adresse électronique").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def step_form(page: Page, title: str) -> Any:
    """The <details> holding a step's form, found by its summary."""
    return page.locator("details", has=page.locator("summary", has_text=title))


async def open_step(page: Page, title: str) -> Any:
    details = step_form(page, title)
    await details.locator("summary").click()
    await expect(details.locator("form")).to_be_visible()
    return details


# --- A référent's day -------------------------------------------------------------------------


async def _followed_case_with_a_request(cases: Cases, staff: Staff) -> tuple[str, str]:
    """A case of referent_a's in work, with an open request from its employer: (case id, request id)."""
    employer = f"emp-browser-{uuid.uuid4().hex[:6]}"
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    await cases.hire(case_id, employer)
    acknowledged = await cases.request(case_id, employer)
    return case_id, acknowledged.request_id


async def _case_with_a_convention(cases: Cases, staff: Staff) -> str:
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.EVALUATION)  # every party signed: the convention is printed
    return case_id


async def _case_with_a_review_due(cases: Cases, staff: Staff) -> str:
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a, settings=SOON)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    return case_id


@dataclass(frozen=True)
class Day:
    """referent_a's cases, made once for the module's tests (concurrently: a few seconds)."""

    followed: str
    """In work, with an open request from its employer (request_id): the day's test answers it."""
    request_id: str
    pending: str
    """In work, with an open request left unanswered: the pages the other tests look at."""
    signed: str
    """In evaluation: its convention is signed and printed."""
    due: str
    """In job search, a review due within the week."""


@pytest.fixture(scope="module")
async def day(cases_module: Cases, staff: Staff) -> Day:
    (followed, request_id), (pending, _), signed, due = await asyncio.gather(
        _followed_case_with_a_request(cases_module, staff), _followed_case_with_a_request(cases_module, staff),
        _case_with_a_convention(cases_module, staff), _case_with_a_review_due(cases_module, staff))  # fmt: skip
    return Day(followed, request_id, pending, signed, due)


async def _document_link(page: Page, url: str, name: re.Pattern[str]) -> Any:
    """The document's link, once the documents worker has written it (a moment after the step)."""
    link = page.get_by_role("link", name=name)
    for _ in range(100):
        await page.goto(url)
        if await link.count():
            return link.first
        await asyncio.sleep(0.2)
    raise AssertionError(f"no document link {name.pattern} on {url}")


def _luminance(css: str) -> float:
    """The relative luminance (WCAG) of a computed colour, `rgb(r, g, b)`."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


BACKGROUND_AROUND = """e => {
    const box = e.getBoundingClientRect(), style = getComputedStyle(e);
    const gap = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth) + 2;
    let around = document.elementFromPoint(Math.min(box.right + gap, innerWidth - 1), box.top + box.height / 2);
    while (around && getComputedStyle(around).backgroundColor === "rgba(0, 0, 0, 0)") around = around.parentElement;
    return around ? getComputedStyle(around).backgroundColor : "rgb(255, 255, 255)";
}"""
"""The colour just outside an element's focus ring: the first opaque background under that point."""


async def _focus_contrast(focused: Any) -> float:
    """The contrast ratio of the focused element's outline with what surrounds it on the screen."""
    style, width, colour = await focused.evaluate("e => { const s = getComputedStyle(e); "
                                                  "return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
    assert style != "none" and float(width.removesuffix("px")) >= 2, f"no visible focus ring: {style} {width}"
    light, dark = sorted((_luminance(colour), _luminance(await focused.evaluate(BACKGROUND_AROUND))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


async def test_a_referents_day_in_a_real_browser(cases_module: Cases, staff: Staff, day: Day, site: str, chromium: Browser,
                                                 shots: Path) -> None:  # fmt: skip
    cases, followed, request_id, signed = cases_module, day.followed, day.request_id, day.signed

    async with tab(chromium) as page:
        failed = errors_of(page)

        await page.goto(f"{site}/dossiers/{followed}")  # not signed in: the sign-in page, then back here
        await expect(page).to_have_url(re.compile(r"/connexion\?suite="))
        await snap(page, shots, "01-connexion")
        await page.get_by_label("Adresse électronique").fill(staff.emails["referent_a"])
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await expect(page).to_have_url(f"{site}/dossiers/{followed}")

        response = await page.goto(f"{site}/ma-journee")
        assert response is not None and response.ok
        assert "script-src 'none'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ma journée")
        requests = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Demandes en attente")))
        row = requests.locator("tr", has=page.locator(f'a[href="/dossiers/{followed}#demandes"]'))
        await expect(row).to_contain_text(request_id)
        await expect(row).to_contain_text("l'employeur")
        reviews = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Points d'étape à tenir")))
        await expect(reviews.locator(f'a[href="/dossiers/{day.due}"]')).to_be_visible()
        await snap(page, shots, "02-ma-journee")
        await page.keyboard.press("Tab")  # the keyboard's first stop: the link past the banner, shown when focused
        skip = page.get_by_role("link", name="Aller au contenu")
        await expect(skip).to_be_focused()
        await expect(skip).to_be_in_viewport()
        assert await _focus_contrast(skip) >= 3, "the focus ring stands out from what surrounds it (WCAG 1.4.11)"
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("main")).to_be_focused()
        caseload = page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mon portefeuille")
        await caseload.focus()
        assert await _focus_contrast(caseload) >= 3, "the focus ring stands out from the banner (WCAG 1.4.11)"
        await row.get_by_role("link").focus()
        assert await _focus_contrast(row.get_by_role("link")) >= 3, "the focus ring stands out from the page (WCAG 1.4.11)"

        await row.get_by_role("link").click()  # from the day to the case
        await expect(page).to_have_url(re.compile(rf"/dossiers/{followed}#demandes$"))
        await expect(page.locator("#demandes")).to_contain_text(request_id)
        await snap(page, shots, "03-dossier")

        review = await open_step(page, "Enregistrer un point d'étape")
        await snap(page, shots, "04-point-d-etape")
        await review.get_by_role("button", name="Enregistrer un point d'étape").click()
        await expect(page.get_by_role("status")).to_have_text("« Enregistrer un point d'étape » : c'est enregistré.")
        await snap(page, shots, "05-point-d-etape-enregistre")

        answer = await open_step(page, "Répondre à une demande")
        await answer.get_by_label("Demande").select_option(request_id)
        await answer.get_by_label("Réponse").select_option(label="Rendez-vous fixé")
        await snap(page, shots, "06-reponse")
        await answer.get_by_role("button", name="Répondre à une demande").click()
        await expect(page.get_by_role("status")).to_have_text("« Répondre à une demande » : c'est enregistré.")
        await expect(page.locator("#demandes")).to_contain_text("Aucune demande ouverte.")
        await snap(page, shots, "07-reponse-enregistree")

        state = await cases.status(followed)
        assert state.review.held == 1
        assert [r.status for r in state.requests if r.request_id == request_id] == [RequestStatus.ANSWERED]

        link = await _document_link(page, f"{site}/dossiers/{signed}", re.compile(r"^Convention individuelle d'accompagnement"))
        await snap(page, shots, "08-documents")
        async with page.expect_download() as downloading:
            await link.click()
        download = await downloading.value
        assert re.fullmatch(rf"convention-{signed}-\d+\.pdf", download.suggested_filename), download.suggested_filename
        pdf = Path(await download.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        document = pypdfium2.PdfDocument(pdf)
        text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        assert "convention" in text.lower()

        await page.get_by_role("button", name="Se déconnecter").click()
        await expect(page).to_have_url(f"{site}/connexion?au-revoir=1")
        await expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté(e).")
        await snap(page, shots, "09-deconnecte")
        await page.goto(f"{site}/dossiers/{followed}")
        await expect(page).to_have_url(f"{site}/connexion?suite=/dossiers/{followed}")
        assert failed == [], f"the browser met errors (a blocked style or script, a page in error?): {failed}"


# --- Accessibility ----------------------------------------------------------------------------


async def test_every_page_has_no_serious_accessibility_violation(staff: Staff, day: Day, site: str, chromium: Browser, shots: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    followed, signed = day.pending, day.signed
    audit = Audit(shots)

    async with tab(chromium) as page:
        await page.goto(f"{site}/connexion")
        await audit.check(page, "connexion")
        await page.get_by_label("Adresse électronique").fill(staff.emails["referent_a"])
        await page.get_by_label("Mot de passe").fill("not the password")
        await page.get_by_role("button", name="Se connecter").click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await audit.check(page, "connexion-refusee")

        await sign_in(page, site, staff.emails["referent_a"])
        for path, name in (("/ma-journee", "ma-journee"), ("/portefeuille", "portefeuille"), (f"/dossiers/{followed}", "dossier"),
                           ("/dossiers/nouveau", "dossiers-nouveau"), ("/annuaire", "annuaire"), ("/dossiers/INCONNU", "introuvable"),
                           ("/journal-des-acces", "refuse")):  # fmt: skip
            await page.goto(f"{site}{path}")
            await audit.check(page, f"referent-{name}")
        await _document_link(page, f"{site}/dossiers/{signed}", re.compile(r"^Convention individuelle"))
        await audit.check(page, "referent-dossier-documents")

        await page.goto(f"{site}/dossiers/{followed}")  # a step sent with a missing field: the form comes back with its error
        review = await open_step(page, "Enregistrer un point d'étape")
        await review.get_by_label("Date du point d'étape").fill("")
        await review.get_by_role("button", name="Enregistrer un point d'étape").click()
        await expect(page.get_by_text("Ce champ est obligatoire.")).to_be_visible()
        await audit.check(page, "referent-dossier-erreur")
        await page.goto(f"{site}/dossiers/nouveau")
        await page.evaluate("document.querySelector('form.formulaire').noValidate = true")  # past the browser's own checks
        await page.get_by_role("button", name="Ouvrir le dossier").click()
        await expect(page.locator(".en-erreur").first).to_be_visible()
        await audit.check(page, "referent-dossiers-nouveau-erreurs")

    async with tab(chromium) as page:
        await sign_in(page, site, staff.emails["coordinator_a"])
        for path, name in (("/ma-journee", "ma-journee"), ("/portefeuille", "portefeuille"), (f"/dossiers/{followed}", "dossier"),
                           ("/dossiers/nouveau", "dossiers-nouveau"), ("/annuaire", "annuaire"), ("/journal-des-acces", "journal-des-acces"),
                           ("/rapport", "rapport"), ("/fidelite", "fidelite")):  # fmt: skip
            await page.goto(f"{site}{path}")
            await audit.check(page, f"coordinateur-{name}")

    async with tab(chromium) as page:
        await sign_in(page, site, staff.emails["admin"])
        for path, name in (("/comptes", "comptes"), ("/annuaire", "annuaire")):
            await page.goto(f"{site}{path}")
            await audit.check(page, f"admin-{name}")

    with capsys.disabled():
        print(f"\n  axe-core on {len(audit.pages)} pages; moderate or minor: {audit.report_minor() or 'none'}")
    assert not audit.found, f"serious or critical accessibility violations (axe-core):\n{audit.report()}"


# --- On a phone -------------------------------------------------------------------------------


async def test_the_day_fits_a_phone_screen(staff: Staff, day: Day, site: str, chromium: Browser, shots: Path) -> None:
    followed, due = day.pending, day.due
    async with tab(chromium, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True) as page:
        await sign_in(page, site, staff.emails["referent_a"])
        wide: dict[str, int] = {}
        for path, name in (("/ma-journee", "ma-journee"), ("/portefeuille", "portefeuille"), (f"/dossiers/{followed}", "dossier")):
            await page.goto(f"{site}{path}")
            await page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            await snap(page, shots, name)
            width = await page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                wide[name] = width
        await page.goto(f"{site}/ma-journee")
        await expect(page.locator(f'a[href="/dossiers/{due}"]')).to_be_visible()  # the review due this week is on the day
        assert not wide, f"pages wider than a 390 px phone screen (horizontal scroll): {wide}"


# --- Chromium among the system packages -------------------------------------------------------


def test_make_names_chromium_with_the_other_debian_packages_when_it_is_missing(monkeypatch: pytest.MonkeyPatch,
                                                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setattr(system_packages.Requirement, "present", lambda requirement: requirement is not system_packages.CHROMIUM)
    assert system_packages.main(["--debian", "--for-tests"]) == 0
    assert capsys.readouterr().out.split() == ["chromium"]
    monkeypatch.setattr(system_packages.Requirement, "present", lambda requirement: False)
    assert system_packages.main(["--debian", "--for-tests"]) == 0
    everything = capsys.readouterr().out.split()
    assert "chromium" in everything and "libpango-1.0-0" in everything
    assert system_packages.main(["--for-tests"]) == 1
    assert "chromium" in capsys.readouterr().err
    assert system_packages.main([]) == 1 and "chromium" not in capsys.readouterr().err, "make run needs no browser"
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"sudo apt-get install -y {' '.join(everything)}" in readme, "README's Debian line lists every system package"
