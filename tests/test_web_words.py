"""The staff application's French: every refusal the core can make has its sentence, every step
its title, every code of the domain its label (a new one added to the core fails here first)."""

from __future__ import annotations

import string
import typing
from enum import StrEnum

import pytest

from web.words import CHOICES, DATES, EVENTS, REFUSALS, STEP_TITLES, refusal_text
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


def test_every_date_the_core_names_has_its_french() -> None:
    named = {rule.what for rule in dates.RULES.values()}
    earlier = {"the opening of the case", "the consent", "the prescription", "the evaluation", "the start of the job"}
    assert named | earlier <= set(DATES), sorted((named | earlier) - set(DATES))
    sentence = refusal_text(refusal(RefusalCode.DATE_BEFORE, what="the review date", date="2026-11-30",
                                    earlier="the opening of the case", earlier_date="2026-12-02"))  # fmt: skip
    assert sentence == "Date du point d'étape : le 30 novembre 2026 précède l'ouverture du dossier (le 2 décembre 2026)."
