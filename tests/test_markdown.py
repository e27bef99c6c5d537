"""The Markdown export is as safe as the HTML: whatever a name holds, a CommonMark reader
(markdown-it, as rich and most viewers use) shows it as the text it is, never as markup."""

from __future__ import annotations

import html
import string

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from activities.documents.markdown import escape_markdown

COMMONMARK = MarkdownIt("commonmark")
TEXT = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " éÉçœ", min_size=1, max_size=60)


def as_read(markdown: str) -> str:
    """What a reader of the rendered paragraph sees, and raw HTML would show up as tags."""
    rendered = COMMONMARK.render(markdown).strip()
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    inner = rendered.removeprefix("<p>").removesuffix("</p>")
    assert "<" not in inner, f"markup got through: {inner}"
    return html.unescape(inner)


@given(value=TEXT.map(str.strip).filter(bool).filter(lambda text: "  " not in text))
def test_any_value_reads_as_itself(value: str) -> None:
    assert as_read(escape_markdown(value)) == value


@given(before=TEXT.map(str.strip).filter(bool), value=TEXT.map(str.strip).filter(bool))
def test_a_value_stays_text_wherever_wrapping_puts_it(before: str, value: str) -> None:
    """Wrapping may start a line with any word of a value: a list, a heading, a quote must not open."""
    for line in str(escape_markdown(value)).split(" "):
        document = f"{escape_markdown(before)}\n{line}"
        assert "<" not in COMMONMARK.render(document).removeprefix("<p>").removesuffix("</p>\n"), document


def test_a_script_in_a_name_is_text() -> None:
    assert as_read(escape_markdown("<script>alert('x')</script>")) == "<script>alert('x')</script>"
    assert as_read(escape_markdown("[clic](javascript:alert(1)) **gras**")) == "[clic](javascript:alert(1)) **gras**"
