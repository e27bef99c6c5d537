"""A form for each step, made from its declaration's input model, and the step read back from it.

Nothing here knows a particular step: a field's widget follows its type (a date, a choice, a
yes/no, a number of days for a duration, a number, a text), a choice of variants (a CDAPH decision
or an SPE prescription) becomes a choice and the fields of each, and fields that name something
of the case (a request, an employer, a référent) offer what the case and the directory hold.
A new step in steps.py gets its form with no change here.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from starter.annotations import plain
from web.words import FIELD_LABELS, label, step_title
from workflows.case.model import Actor, StepInput
from workflows.case.steps import StepDeclaration

Widget = Literal["date", "select", "checkbox", "text", "number", "days"]


@dataclass(frozen=True)
class FormField:
    name: str
    """The form's name for it: the model's field, dotted inside a variant (`prescription.decision_date`)."""
    label: str
    widget: Widget
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    value: str = ""
    help: str = ""
    variant: str = ""
    """For a variant's field: the variant's label (« Si décision de la CDAPH »)."""


@dataclass(frozen=True)
class StepForm:
    declaration: StepDeclaration
    fields: list[FormField]

    @property
    def name(self) -> str:
        return self.declaration.name

    @property
    def title(self) -> str:
        return step_title(self.declaration.step)


@dataclass(frozen=True)
class CaseChoices:
    """What fields naming the case's things may offer: (value, label) pairs."""

    requests: tuple[tuple[str, str], ...] = ()
    employers: tuple[tuple[str, str], ...] = ()
    referents: tuple[tuple[str, str], ...] = ()
    structures: tuple[tuple[str, str], ...] = ()
    today: date = field(default_factory=date.today)

    def for_field(self, name: str) -> tuple[tuple[str, str], ...]:
        return {"request_id": self.requests, "employer_id": self.employers, "referent_id": self.referents,
                "structure_id": self.structures}.get(name, ())  # fmt: skip


def form_for(declaration: StepDeclaration, choices: CaseChoices) -> StepForm:
    return StepForm(declaration, fields_of(declaration.input, choices))


def fields_of(model: type[BaseModel], choices: CaseChoices) -> list[FormField]:
    """The form fields of any of our models: a step's input, a directory entry."""
    return [made for name, info in _fields(model) for made in _widgets(name, info, choices)]


def _fields(model: type[BaseModel]) -> list[tuple[str, FieldInfo]]:
    return [(name, info) for name, info in model.model_fields.items() if name != "actor" and not info.deprecated]


def _variants(kind: Any) -> list[type[BaseModel]]:
    """The models of a choice of variants (`A | B`), or none."""
    members = typing.get_args(kind) if typing.get_origin(kind) is not None else ()
    return [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]


def _widgets(name: str, info: FieldInfo, choices: CaseChoices, variant: str = "") -> list[FormField]:
    kind, required = plain(info.annotation), info.is_required()
    title, help = FIELD_LABELS.get(name, name.replace("_", " ").capitalize()), info.description or ""
    if variants := _variants(kind):
        routes = [(m.model_fields["route"].default, label(m.model_fields["route"].default)) for m in variants]
        made = [FormField(f"{name}.route", FIELD_LABELS["route"], "select", True, tuple(routes))]
        for model, (_route, route_label) in zip(variants, routes, strict=True):
            for inner, inner_info in _fields(model):
                if inner != "route":
                    made += [_dotted(w, name) for w in _widgets(inner, inner_info, choices, variant=f"Si {route_label.lower()}")]
        return made
    default = info.default if not required and info.default is not None else None
    common = {"name": name, "label": title, "required": required, "help": help, "variant": variant}
    if kind is date:
        return [FormField(**common, widget="date", value=str(choices.today) if required else "")]
    if kind is bool:
        return [FormField(**common, widget="checkbox", value="on" if default else "")]
    if kind is timedelta:
        return [FormField(**common, widget="days")]
    options = _options(kind) or choices.for_field(name)
    if options:
        value = default.value if isinstance(default, Enum) else ""
        return [FormField(**common, widget="select", choices=options, value=value)]
    if kind in (int, float):
        return [FormField(**common, widget="number", value="" if default is None else str(default))]
    return [FormField(**common, widget="text", value="" if default is None else str(default))]


def _dotted(made: FormField, prefix: str) -> FormField:
    return FormField(**{**made.__dict__, "name": f"{prefix}.{made.name}"})


def _options(kind: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(kind, type) and issubclass(kind, Enum):
        return tuple((member.value, label(member)) for member in kind)
    if typing.get_origin(kind) is Literal:
        return tuple((getattr(value, "value", value), label(value)) for value in typing.get_args(kind))
    return ()


def read_step(declaration: StepDeclaration, form: Mapping[str, str], actor: Actor) -> StepInput:
    """The step this form asks for, validated by the step's own model (pydantic's ValidationError
    otherwise); the actor is the signed-in person's, never a field of the form."""
    return read_model(declaration.input, form, actor=actor)  # type: ignore[return-value]


def read_model(model: type[BaseModel], form: Mapping[str, str], **fixed: Any) -> BaseModel:
    """The model this form fills in (an empty field takes the model's default); `fixed` fields are
    the application's to set, whatever the form says."""
    fields: dict[str, Any] = {}
    for name, info in _fields(model):
        kind = plain(info.annotation)
        if variants := _variants(kind):
            fields[name] = _variant_fields(name, variants, form)
        elif kind is bool:
            fields[name] = form.get(name) == "on"
        elif (value := form.get(name, "").strip()) != "":
            fields[name] = f"P{value}D" if kind is timedelta and value.isdigit() else value
    return model.model_validate({**fields, **fixed})


def _variant_fields(name: str, variants: list[type[BaseModel]], form: Mapping[str, str]) -> dict[str, Any]:
    route = form.get(f"{name}.route", "")
    chosen = next((m for m in variants if m.model_fields["route"].default == route), None)
    inner = [n for n, _ in _fields(chosen)] if chosen else []
    values = {n: form[f"{name}.{n}"].strip() for n in inner if form.get(f"{name}.{n}", "").strip()}
    return {**values, "route": route}
