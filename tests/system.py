"""System packages some tests use, which pip cannot install: `sh tests/setup.sh` installs them.

A missing one is a test *failure* that names the Debian package and the set-up command, never an error raised
while a fixture sets up (which reads like a broken test) and never a skip (which hides that nothing was checked).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

SETUP_COMMAND = "sh tests/setup.sh"


@dataclass(frozen=True)
class SystemPackage:
    """A Debian package, known by a file it installs that the tests use."""

    package: str
    file: str
    use: str

    def missing(self) -> bool:
        return not Path(self.file).exists()


CHROMIUM = SystemPackage("chromium", "/usr/bin/chromium", "plays videos and the gallery in a real browser")
FONT = SystemPackage("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Chromium's page text")
XVFB = SystemPackage("xvfb", "/usr/bin/Xvfb", "a virtual X display for the window test")


def missing(*packages: SystemPackage) -> list[SystemPackage]:
    return [package for package in packages if package.missing()]


def missing_message(packages: list[SystemPackage]) -> str:
    names = " ".join(package.package for package in packages)
    lines = [f"{package.file} is missing ({package.use}): Debian package {package.package}" for package in packages]
    return "\n".join([*lines, f"install with: {SETUP_COMMAND}  (or: apt-get install {names})"])


def require(*packages: SystemPackage) -> None:
    """Fail the calling test, saying what to install, when any of `packages` is missing."""
    absent = missing(*packages)
    if absent:
        pytest.fail(missing_message(absent), pytrace=False)
