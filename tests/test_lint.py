"""The code base stays `ruff` clean (lint and formatting) and `mypy` clean, as the project's conventions require."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """`mypy` with pydantic's plugin, configured in pyproject.toml ([tool.mypy]).

    Its cache lives in the temporary folder, one per checkout: a warm run takes seconds, a cold one a minute.
    """
    cache = Path(tempfile.gettempdir()) / f"scenespec-mypy-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "-p", "scenespec"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
