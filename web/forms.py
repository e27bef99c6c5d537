"""A form for each step, made from its declaration's input model, and the step read back from it.

Nothing here knows a particular step: a field's widget follows its type (a date, a choice, a
yes/no, a number of days for a duration, a number, a text), a choice of variants (a CDAPH decision
or an SPE prescription) becomes a choice and the fields of each, and fields that name something
of the case (a request, an employer, a référent) offer what the case and the directory hold.
A new step in steps.py gets its form with no change here.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from starter.annotations import plain
from web.words import FIELD_LABELS, label, step_title
from workflows.case.model import Actor, StepInput
from workflows.case.steps import StepDeclaration

Widget = Literal["date", "select", "checkbox", "text", "textarea", "lines", "number", "days"]


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
    """The fields a person fills in."""
    return [(name, info) for name, info in model.model_fields.items() if name not in SET_BY_THE_APPLICATION and not info.deprecated]


SET_BY_THE_APPLICATION = frozenset({"actor", "evidence"})
"""Who acts and an electronic signature's proof: never typed into a form."""
ROWS = 3
"""Rows offered for a list of records (objectives, agreed steps): a form without JavaScript cannot add one."""


def _variants(kind: Any) -> list[type[BaseModel]]:
    """The models of a choice of variants (`A | B`), or none."""
    members = typing.get_args(kind) if typing.get_origin(kind) in (typing.Union, types.UnionType) else ()
    return [m for m in members if _is_model(m)]


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _item(kind: Any) -> Any | None:
    """What a list holds (`list[X]` → X), or None for anything else."""
    return plain(typing.get_args(kind)[0]) if typing.get_origin(kind) is list else None


def _long(annotation: Any) -> bool:
    """A free text long enough to deserve a text area (findings, notes, opinions)."""
    found = [m.max_length for m in _metadata(annotation) if isinstance(m, annotated_types.MaxLen)]
    return bool(found) and max(found) > 200


def _metadata(annotation: Any) -> list[Any]:
    """Every constraint an annotation carries, through `X | None` and pydantic's Field()."""
    if typing.get_origin(annotation) is typing.Annotated:
        own = [m for meta in annotation.__metadata__ for m in (meta, *getattr(meta, "metadata", []))]
        return [*own, *_metadata(typing.get_args(annotation)[0])]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for member in typing.get_args(annotation) for m in _metadata(member)]
    return []


def _title(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def _widgets(name: str, info: FieldInfo, choices: CaseChoices, group: str = "") -> list[FormField]:
    kind, required = plain(info.annotation), info.is_required()
    title, help = _title(name), info.description or ""
    if variants := _variants(kind):
        routes = [(m.model_fields["route"].default, label(m.model_fields["route"].default)) for m in variants]
        made = [FormField(f"{name}.route", FIELD_LABELS["route"], "select", True, tuple(routes), variant=group)]
        for model, (_route, route_label) in zip(variants, routes, strict=True):
            made += [_dotted(w, name) for inner, inner_info in _fields(model) if inner != "route"
                     for w in _widgets(inner, inner_info, choices, group=f"Si {route_label.lower()}")]  # fmt: skip
        return made
    if _is_model(kind):
        return [_dotted(w, name) for inner, inner_info in _fields(kind) for w in _widgets(inner, inner_info, choices, group=title)]
    if (item := _item(kind)) is not None and _is_model(item):
        return [_dotted(w, f"{name}.{row}") for row in range(ROWS) for inner, inner_info in _fields(item)
                for w in _widgets(inner, inner_info, choices, group=f"{title} — {row + 1}")]  # fmt: skip
    default = info.default if not required and info.default is not None else None
    common = {"name": name, "label": title, "required": required, "help": help, "variant": group}
    if item is not None:
        return [FormField(**{**common, "help": help or "Un par ligne."}, widget="lines")]
    if kind is date:
        return [FormField(**common, widget="date", value=str(choices.today) if required and not group else "")]
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
    return [FormField(**common, widget="textarea" if _long(info.annotation) else "text", value="" if default is None else str(default))]


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
    return model.model_validate({**_read(model, form), **fixed})


def _read(model: type[BaseModel], form: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    """The fields the form filled in, nested as the model nests them; an empty group is left out."""
    fields: dict[str, Any] = {}
    for name, info in _fields(model):
        key, kind = prefix + name, plain(info.annotation)
        if variants := _variants(kind):
            route = form.get(f"{key}.route", "")
            chosen = next((m for m in variants if m.model_fields["route"].default == route), None)
            fields[name] = {**(_read(chosen, form, f"{key}.") if chosen else {}), "route": route}
        elif _is_model(kind):
            if inner := _read(kind, form, f"{key}."):
                fields[name] = inner
        elif (item := _item(kind)) is not None:
            if _is_model(item):
                rows = [_read(item, form, f"{key}.{index}.") for index in range(ROWS) if _given(item, form, f"{key}.{index}.")]
            else:
                rows = [line.strip() for line in form.get(key, "").splitlines() if line.strip()]
            if rows:
                fields[name] = rows
        elif kind is bool:
            if form.get(key) == "on" or not prefix:
                fields[name] = form.get(key) == "on"
        elif (value := form.get(key, "").strip()) != "":
            fields[name] = f"P{value}D" if kind is timedelta and value.isdigit() else value
    return fields


def _given(model: type[BaseModel], form: Mapping[str, str], prefix: str) -> bool:
    """A row of a list was filled in: one of its required fields (a choice preselected is not enough)."""
    names = [name for name, info in _fields(model) if info.is_required()] or [name for name, _ in _fields(model)]
    return any(form.get(prefix + name, "").strip() for name in names)
