"""The few system libraries that PyPI cannot bring: checked before anything is installed.

Runs with the standard library alone (`python3 starter/system_packages.py`), so that `make` can
stop at once with the one command that fixes it, instead of a failure deep inside a test.
WeasyPrint draws PDFs with Pango and HarfBuzz, and needs at least one font on the machine; the
browser tests drive the machine's Chromium (never a browser downloaded by Playwright).

`--debian` prints the missing Debian packages, one line, for `.ci/run` to install; `--for-tests`
counts what only the tests need (Chromium): `make test` asks for it, `make run` does not.
"""

from __future__ import annotations

import ctypes.util
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts")


@dataclass(frozen=True)
class Requirement:
    what: str
    debian: str
    brew: str
    needed_for: str = "PDF documents"

    def present(self) -> bool:
        if self.what == "a font":
            return any(
                path.suffix.lower() in {".ttf", ".otf", ".ttc"}
                for folder in FONT_FOLDERS
                if Path(folder).is_dir()
                for path in Path(folder).rglob("*")
            )
        if self.what == "chromium":
            return Path("/usr/bin/chromium").exists() or shutil.which("chromium") is not None
        return ctypes.util.find_library(self.what) is not None


CHROMIUM = Requirement("chromium", debian="chromium", brew="chromium", needed_for="the browser tests")
REQUIREMENTS = (
    Requirement("pango-1.0", debian="libpango-1.0-0", brew="pango"),
    Requirement("pangoft2-1.0", debian="libpangoft2-1.0-0", brew="pango"),
    Requirement("harfbuzz-subset", debian="libharfbuzz-subset0", brew="harfbuzz"),
    Requirement("a font", debian="fonts-dejavu-core", brew="font-dejavu"),
    CHROMIUM,
)


def missing(for_tests: bool = False) -> list[Requirement]:
    """What is absent for running the system (and, `for_tests`, for its tests too)."""
    return [r for r in REQUIREMENTS if (for_tests or r is not CHROMIUM) and not r.present()]


def install_command(absent: list[Requirement]) -> str:
    if platform.system() == "Darwin":
        return "brew install " + " ".join(dict.fromkeys(r.brew for r in absent))
    return "sudo apt-get install -y " + " ".join(r.debian for r in absent)


def main(arguments: list[str]) -> int:
    absent = missing(for_tests="--for-tests" in arguments)
    if "--debian" in arguments:
        print(" ".join(r.debian for r in absent))
        return 0
    if absent:
        needs: dict[str, list[str]] = {}
        for requirement in absent:
            needs.setdefault(requirement.needed_for, []).append(requirement.what)
        names = "; ".join(f"for {purpose}: {', '.join(whats)}" for purpose, whats in needs.items())
        print(f"missing {names}. Install them with: {install_command(absent)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
