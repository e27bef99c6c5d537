"""Markdown as safe as the HTML: a value printed into a Markdown document cannot become markup.

The Markdown environment autoescapes like the HTML one, with a `finalize` that backslash-escapes
the characters CommonMark reads as markup (and raw HTML such as `<script>`); what the templates
write themselves, and what their macros return, is already markup and passes unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, pass_environment
from jinja2.filters import do_wordwrap
from markupsafe import Markup

ANYWHERE = re.compile(r"([\\`*_\[\]<>#|~&])")
"""What opens markup anywhere in a line: emphasis, code, links, raw HTML, entities, tables."""
WORD_START = re.compile(r"(?<!\S)([-+=]|\d+(?=[.)]))")
"""What opens a list or a heading at the start of a line, where wrapping may put any word."""
LINE_BREAKS = re.compile(r"[\r\n]+")


def escape_markdown(value: Any) -> Markup:
    """A value as literal Markdown text: every markup character escaped, on one line."""
    if isinstance(value, Markup):
        return value
    text = ANYWHERE.sub(r"\\\1", LINE_BREAKS.sub(" ", str(value)))
    return Markup(WORD_START.sub(_escape_word_start, text))


def _escape_word_start(match: re.Match[str]) -> str:
    opener = match.group(1)
    return f"{opener}\\" if opener[0].isdigit() else f"\\{opener}"


def markdown_environment(environment: Environment) -> Environment:
    """Turn an autoescaping environment into a Markdown one."""
    environment.finalize = escape_markdown

    @pass_environment
    def wordwrap(environment: Environment, text: Any, *args: Any, **kwargs: Any) -> Any:
        """Jinja's, keeping a paragraph already made safe from being escaped a second time."""
        wrapped = do_wordwrap(environment, text, *args, **kwargs)
        return Markup(wrapped) if isinstance(text, Markup) else wrapped

    environment.filters["wordwrap"] = wordwrap
    return environment
