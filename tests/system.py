"""System packages some tests use, which pip cannot install: `sh tests/setup.sh` installs them.

A missing one is a test *failure* that names the Debian package and the set-up command, never an error raised
while a fixture sets up (which reads like a broken test) and never a skip (which hides that nothing was checked).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
CJK_FONT = SystemPackage(
    "fonts-noto-cjk", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Chinese, Japanese and Korean glyphs"
)
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


@contextmanager
def x_server(display: str) -> Iterator[str]:
    """An Xvfb server on `display` (`:93`) while the block runs; waits (up to 5 s) for its socket."""
    server = subprocess.Popen([XVFB.file, display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"])
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
                break
            time.sleep(0.1)
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)
