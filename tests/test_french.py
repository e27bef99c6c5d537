"""French prepositions before values the templates only know at render time: contracted (du, des,
au, aux) and elided (d'), by the one `prep` filter every template uses; and no document of any
closure reason or request kind reads « de le », « de les » or « de » before a vowel."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.documents.french import VOWELS, prep
from activities.documents.rendering import Renderer
from workflows.wording import LABELS_FR

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàçôÉÈÀ", min_size=1, max_size=12)
UNGRAMMATICAL = re.compile(r"\b(de|à) (le|les)\b|\bde [aeiouyàâäéèêëîïôöùûüAEIOUYÀÂÉÈÊÎÔÙÛ]", re.IGNORECASE)


@pytest.mark.parametrize(("preposition", "value", "expected"), [
    ("de", "le retrait de votre consentement", "du retrait de votre consentement"),
    ("de", "les conditions d'accès", "des conditions d'accès"),
    ("à", "le référent", "au référent"),
    ("à", "les employeurs", "aux employeurs"),
    ("de", "Élodie", "d'Élodie"),
    ("de", "adaptation du poste de travail", "d'adaptation du poste de travail"),
    ("de", "l'atteinte des objectifs", "de l'atteinte des objectifs"),
    ("de", "la mission locale", "de la mission locale"),
    ("de", "France Travail", "de France Travail"),
    ("de", "Hélène", "de Hélène"),  # h aspiré or mute cannot be told apart: never elided
    ("à", "Orléans", "à Orléans"),
    ("de", "Le Relais", "du Relais"),
    ("de", "Leclerc", "de Leclerc"),
])  # fmt: skip
def test_the_cases_a_letter_meets(preposition: str, value: str, expected: str) -> None:
    assert prep(value, preposition) == expected


@given(preposition=st.sampled_from(["de", "à"]), article=st.sampled_from(["le", "les", "Le", "Les"]), rest=WORD)
def test_de_le_and_a_les_are_always_contracted(preposition: str, article: str, rest: str) -> None:
    phrase = prep(f"{article} {rest}", preposition)
    assert phrase.split(" ", 1)[0] in {"du", "des", "au", "aux"} and phrase.endswith(f" {rest}")


@given(word=WORD)
def test_de_is_elided_before_a_vowel_and_only_there(word: str) -> None:
    phrase = prep(word, "de")
    assert phrase == (f"d'{word}" if word[0].lower() in VOWELS else f"de {word}")
    assert not UNGRAMMATICAL.search(phrase)


def closure_letter(reason: str, first_name: str) -> str:
    context = {
        "case": SimpleNamespace(case_id="C1", closure=SimpleNamespace(reason=reason)),
        "beneficiary": SimpleNamespace(first_name=first_name, last_name="Dupont", address=None),
        "structure": SimpleNamespace(name="Association Emploi Ouest", phone=None),
        "referent": SimpleNamespace(name="Karim Benali"),
        "entry": SimpleNamespace(at=datetime(2027, 3, 3, tzinfo=timezone.utc)),
        "today": datetime(2027, 3, 3).date(),
        "labels": LABELS_FR,
    }
    return Renderer().render("closure_letter", context).markdown


@pytest.mark.parametrize("reason", sorted(LABELS_FR["closure"]))
def test_every_closure_letter_reads_right(reason: str) -> None:
    letter = " ".join(closure_letter(reason, "Élodie").split())
    assert not UNGRAMMATICAL.search(letter), letter
    assert f"en raison {prep(LABELS_FR['closure'][reason], 'de')}" in letter
    if reason == "consent_withdrawn":
        assert "en raison du retrait de votre consentement" in letter
