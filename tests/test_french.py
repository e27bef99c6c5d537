"""French prepositions before values the templates only know at render time: contracted (du, des,
au, aux) and elided (d'), by the one `prep` filter the templates use; no template writes « de »
by hand before a value, and no label reads « de le », « de les » or « de » before a vowel after it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.documents.french import VOWELS, prep
from activities.documents.rendering import TEMPLATES
from workflows.wording import LABELS_FR

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàçôÉÈÀ", min_size=1, max_size=12).filter(lambda w: w.lower() not in ("le", "les"))
"""A word that is not itself an article (articles are the other property's)."""
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


BARE_PREPOSITION = re.compile(r"(?<![\w'])(de|à) \{\{(?![^}]*\|\s*(date_fr|duration_fr|hours))[^}]*\}\}")
"""`de {{ value }}` written by hand; a date or a duration (« du 3 mars », « de 30 jours ») reads right."""


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_no_template_writes_a_preposition_by_hand_before_a_value(template: str) -> None:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert BARE_PREPOSITION.findall(text) == [], f"{template}: use {{{{ value | prep('de') }}}}"


@pytest.mark.parametrize(("group", "code"), [(group, code) for group in ("closure", "request", "prescriber", "outcome", "phase")
                                             for code in LABELS_FR[group]])  # fmt: skip
def test_every_label_reads_right_after_de(group: str, code: str) -> None:
    phrase = prep(LABELS_FR[group][code], "de")
    assert not UNGRAMMATICAL.search(phrase), phrase
