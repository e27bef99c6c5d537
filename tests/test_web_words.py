"""The staff application's French: every refusal the core can make has its sentence, every step
its title, every code of the domain its label (a new one added to the core fails here first)."""

from __future__ import annotations

import string
import typing
from enum import StrEnum

import pytest

from starter import refusals
from web.words import CHOICES, DATE_NAMES, EARLIER_NAMES, EVENTS, REFUSALS, STEP_TITLES, refusal_text
from workflows.case import dates, model
from workflows.case.events import Event
from workflows.case.refusals import RefusalCode, refusal
from workflows.case.model import Step


@pytest.mark.parametrize("code", list(RefusalCode))
def test_every_refusal_has_a_french_sentence_with_its_parameters(code: RefusalCode) -> None:
    names = [field for _, field, _, _ in string.Formatter().parse(REFUSALS[code]) if field]
    sentence = refusal_text(refusal(code, **dict.fromkeys(names, "x")))
    assert "{" not in sentence and sentence.endswith((".", "!")), sentence


def test_every_step_has_a_title_and_every_event_a_label() -> None:
    assert set(Step) <= set(STEP_TITLES)
    kinds = {member.model_fields["type"].default for member in typing.get_args(typing.get_args(Event)[0])}
    assert kinds <= set(EVENTS), sorted(kinds - set(EVENTS))


def test_every_code_of_the_domain_has_a_label() -> None:
    enums = [value for value in vars(model).values() if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum]
    worded_elsewhere = (model.Step, model.AlertKind)  # step titles, and the events' labels
    missing = {member.value for enum in enums if enum not in worded_elsewhere for member in enum} - set(CHOICES)
    assert not missing, sorted(missing)


def test_every_date_the_core_names_has_its_words_in_french_and_english() -> None:
    named = {rule.what for rule in dates.RULES.values()} | {dates.Dated.JOB_END}  # the job loss's own check names it too
    assert named <= set(DATE_NAMES) and named <= set(refusals.DATE_NAMES), sorted(named - set(DATE_NAMES) & set(refusals.DATE_NAMES))
    assert dates.EARLIER <= set(EARLIER_NAMES) and dates.EARLIER <= set(refusals.EARLIER_NAMES)
    sentence = refusal_text(refusal(RefusalCode.DATE_BEFORE, what=dates.Dated.REVIEW, date="2026-11-30",
                                    earlier=dates.Dated.OPENING, earlier_date="2026-12-02"))  # fmt: skip
    assert sentence == "Date du point d'étape : le 30 novembre 2026 précède l'ouverture du dossier (le 2 décembre 2026)."
