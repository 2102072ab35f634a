"""A render reads each input file once and works out each source's fields once.

The trace cache's key hashes a CSV file's bytes and the trainer parses the same bytes, so editing the file
between the two cannot pair a key with other data. Reads are counted at `open` (`io.open`, which
`Path.open` and `Path.read_bytes` call, and the builtin), whoever reads.
"""

from __future__ import annotations

import builtins
import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import spec_variant, write_spec

import scenespec.sources.datasets
from scenespec.pipeline import render, write_traces
from scenespec.sources.saved import SavedTraceSource
from scenespec.sources.trainer import LinearTrainer

CSV_SPEC = spec_variant(
    (
        'data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }',
        'data = { kind = "csv", path = "points.csv" }',
    ),
    ("epochs = 20", "epochs = 3"),
)
CSV_TEXT = "x,y\n0,1\n1,2.5\n2,3\n3,5.5\n"

TRACE_SPEC = """\
[sources.run]
kind = "trace"
path = "run.npz"
source = "fit"

[[panels]]
layers = [{ kind = "scatter", x = "run.x", y = "run.y" }, { kind = "line", x = "run.x", y = "run.pred" }]
"""


class Opens:
    """Counts the files opened, by resolved path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: Counter[Path] = Counter()
        original = io.open

        def counting(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, str | Path):
                self.paths[Path(file).resolve()] += 1
            return original(file, *args, **kwargs)

        monkeypatch.setattr(io, "open", counting)
        monkeypatch.setattr(builtins, "open", counting)

    def __getitem__(self, path: Path) -> int:
        return self.paths[path.resolve()]


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> Callable[[], int]:
    """Count the calls of `owner.name`, which still does its work."""
    calls = 0
    original = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return lambda: calls


@pytest.fixture
def csv_spec(tmp_path: Path) -> Path:
    (tmp_path / "points.csv").write_text(CSV_TEXT, encoding="utf-8")
    return write_spec(tmp_path, CSV_SPEC)


@pytest.mark.parametrize("cache", [True, False])
def test_a_render_reads_and_parses_the_csv_file_once(
    csv_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    opens = Opens(monkeypatch)
    parses = count_calls(monkeypatch, scenespec.sources.datasets.csv, "reader")
    fields = count_calls(monkeypatch, LinearTrainer, "fields")
    render(csv_spec, out=str(tmp_path / "out.png"), progress=False, workers=1, cache=cache)
    assert opens[tmp_path / "points.csv"] == 1
    assert parses() == 1
    assert fields() == 1
    assert opens[csv_spec] == 1


def test_a_render_from_the_cache_reads_the_csv_file_once_and_does_not_parse_it(
    csv_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render(csv_spec, out=str(tmp_path / "first.png"), progress=False, workers=1)
    opens = Opens(monkeypatch)
    parses = count_calls(monkeypatch, scenespec.sources.datasets.csv, "reader")
    render(csv_spec, out=str(tmp_path / "second.png"), progress=False, workers=1)
    assert opens[tmp_path / "points.csv"] == 1  # hashed for the cache key
    assert parses() == 0


def test_a_render_reads_a_saved_trace_once_and_works_out_fields_once(
    csv_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_traces(csv_spec, tmp_path / "run.npz")
    spec = write_spec(tmp_path, TRACE_SPEC, "replay.toml")
    opens = Opens(monkeypatch)
    fields = count_calls(monkeypatch, SavedTraceSource, "fields")
    render(spec, out=str(tmp_path / "out.png"), progress=False, workers=1)
    assert opens[tmp_path / "run.npz"] == 1
    assert fields() == 1
