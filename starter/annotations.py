"""Reading a step's input model to build its edges: the CLI's options and the web's form fields."""

from __future__ import annotations

import types
import typing
from typing import Any


def plain(annotation: Any) -> Any:
    """`X | None` → X, `Annotated[X, ...]` → X; anything else unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        annotation = members[0] if len(members) == 1 else annotation
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation
