"""Shared fixtures: the example specs and a way to prepare them quickly."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


@pytest.fixture
def linreg_path() -> Path:
    return SPECS / "linreg.toml"
