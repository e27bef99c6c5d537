"""Writes the README's table of steps from the declarations (`make readme`)."""

from __future__ import annotations

from pathlib import Path

from starter.commands.lifecycle import steps_markdown

README = Path(__file__).parents[1] / "README.md"
BEGIN, END = "<!-- steps: begin -->\n", "<!-- steps: end -->"


def steps_block(readme: str) -> str:
    return readme.split(BEGIN)[1].split(END)[0]


def main() -> None:
    readme = README.read_text(encoding="utf-8")
    README.write_text(readme.replace(BEGIN + steps_block(readme) + END, BEGIN + steps_markdown() + END), encoding="utf-8")


if __name__ == "__main__":
    main()
