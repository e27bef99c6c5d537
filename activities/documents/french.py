"""French a template cannot write by hand: the preposition before a value it only knows at
render time. « en raison de » + « le retrait … » is « en raison du retrait … »; « de » +
« Élodie » is « d'Élodie »; « à » + « les employeurs » is « aux employeurs ».

One filter, `prep`: `{{ labels.closure[reason] | prep("de") }}`. Elision before a vowel only:
a word in h is left whole, since an h aspiré (« de handicap », « de Hugo ») cannot be told from
a mute one by its spelling, and « de Hélène » reads better than « d'handicap ».
"""

from __future__ import annotations

VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüÿæœ")
CONTRACTIONS = {("de", "le"): "du", ("de", "les"): "des", ("à", "le"): "au", ("à", "les"): "aux"}
ELIDED = {"de": "d'"}


def prep(value: object, preposition: str) -> str:
    """`preposition` followed by `value`, contracted (du, des, au, aux) or elided (d')."""
    text = str(value).strip()
    article, _, rest = text.partition(" ")
    contracted = CONTRACTIONS.get((preposition, article.lower()))
    if contracted is not None and rest:
        return f"{contracted} {rest}"
    if preposition in ELIDED and text[:1].lower() in VOWELS:
        return ELIDED[preposition] + text
    return f"{preposition} {text}"
