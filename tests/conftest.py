"""Shared fixtures: the example specs and a way to prepare them quickly; a temporary trace cache for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenespec.resolve.cache import ENV_VAR as CACHE_ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


@pytest.fixture
def linreg_path() -> Path:
    return SPECS / "linreg.toml"


@pytest.fixture(scope="session", autouse=True)
def session_trace_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test writes to the real user cache: module-scoped fixtures (and the CLI subprocesses they start,
    which inherit os.environ) use this session-wide temporary cache."""
    folder = tmp_path_factory.mktemp("trace-cache")
    before = os.environ.get(CACHE_ENV_VAR)
    os.environ[CACHE_ENV_VAR] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV_VAR, None)
    else:
        os.environ[CACHE_ENV_VAR] = before


@pytest.fixture(autouse=True)
def trace_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test starts with an empty trace cache of its own (not in tmp_path, which tests list)."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv(CACHE_ENV_VAR, str(folder))
    return folder
