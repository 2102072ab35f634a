"""The trace cache: a source resolved once is read back from disk, until its spec section, an input file
or the scenespec version changes; `--no-cache` bypasses it; a broken or unwritable cache never fails a render.

Every test gets its own empty cache folder through SCENESPEC_CACHE_DIR (the autouse `trace_cache` fixture).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import platformdirs
import pytest
from helpers import LINREG, SPEC, run_cli, spec_variant, write_spec

import scenespec
from scenespec.cli import main
from scenespec.errors import SpecError
from scenespec.pipeline import load_and_validate, prepare, render, write_traces
from scenespec.resolve import cache as cache_module
from scenespec.resolve.cache import ENV_VAR, TraceCache, cache_dir, cache_key
from scenespec.resolve.resolve import context
from scenespec.resolve.trace import Trace
from scenespec.sources.optimizer import OptimizerSource
from scenespec.sources.trainer import TrainerSource

CSV_SPEC = spec_variant(
    (
        'data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }',
        'data = { kind = "csv", path = "points.csv" }',
    )
)
CSV_TEXT = "x,y\n0,1\n1,2.5\n2,3\n3,5.5\n"

FIT = SPEC[SPEC.index("[sources.fit]") : SPEC.index("[frames]")]
TWO_TRAINERS = spec_variant(
    ("[frames]", FIT.replace("[sources.fit]", "[sources.other]").replace("seed = 0", "seed = 1") + "[frames]"),
    ('  { kind = "text"', '  { kind = "scatter", x = "other.x", y = "other.y" },\n  { kind = "text"'),
)

BOWL_SPEC = """\
[sources.bowl]
kind = "optimizer"
objective = "elliptic"
resolution = 9
start = [-7.0, 2.0]
steps = 6
optimizers = [{ name = "sgd", lr = 0.95 }]

[[panels]]
layers = [{ kind = "path", x = "bowl.x", y = "bowl.y", color = "k" }]
"""


class Calls:
    """Counts the runs of a source kind's `resolve`, which still does the real work."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, model: type) -> None:
        self.count = 0
        original: Callable[..., Trace] = model.resolve

        def counting(spec: object, ctx: object) -> Trace:
            self.count += 1
            return original(spec, ctx)

        monkeypatch.setattr(model, "resolve", counting)


@pytest.fixture
def trainer_calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return Calls(monkeypatch, TrainerSource)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, SPEC)


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.npz"))


def assert_same_trace(a: Trace, b: Trace) -> None:
    np.testing.assert_array_equal(a.steps, b.steps)
    assert a.static.keys() == b.static.keys()
    assert a.stepped.keys() == b.stepped.keys()
    for name in a.static:
        assert a.static[name].dtype == b.static[name].dtype
        np.testing.assert_array_equal(a.static[name], b.static[name])
    for name in a.stepped:
        assert a.stepped[name].dtype == b.stepped[name].dtype
        np.testing.assert_array_equal(a.stepped[name], b.stepped[name])


def test_second_prepare_reads_the_cache_and_equals_a_fresh_run(
    spec: Path, trace_cache: Path, trainer_calls: Calls
) -> None:
    first = prepare(spec)
    assert trainer_calls.count == 1
    assert len(entries(trace_cache)) == 1
    second = prepare(spec)
    assert trainer_calls.count == 1  # not trained again
    fresh = prepare(spec, cache=False)
    assert trainer_calls.count == 2
    assert_same_trace(second.traces["fit"], first.traces["fit"])
    assert_same_trace(second.traces["fit"], fresh.traces["fit"])
    assert [f.step for f in second.frames] == [f.step for f in first.frames]


def test_second_render_does_not_train_and_writes_the_same_gif(
    spec: Path, tmp_path: Path, trace_cache: Path, trainer_calls: Calls
) -> None:
    render(spec, out=str(tmp_path / "a.gif"), progress=False)
    render(spec, out=str(tmp_path / "b.gif"), progress=False)
    assert trainer_calls.count == 1
    assert len(entries(trace_cache)) == 1
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()


@pytest.mark.parametrize(
    "override",
    [
        "panels.0.layers.0.color=blue",
        "frames.fps=20",
        "frames.steps.every=5",
        "scene.dpi=40",
        'panels.0.xlabel="x"',
        'panels.0.layers.4={ kind = "text", text = "hello", at = [1, 1] }',
    ],
)
def test_changes_outside_the_source_hit(spec: Path, trace_cache: Path, trainer_calls: Calls, override: str) -> None:
    prepare(spec)
    prepare(spec, [override])
    assert trainer_calls.count == 1
    assert len(entries(trace_cache)) == 1


def test_comments_and_formatting_of_the_source_hit(tmp_path: Path, trace_cache: Path, trainer_calls: Calls) -> None:
    prepare(write_spec(tmp_path, SPEC, "a.toml"))
    reformatted = spec_variant(
        ("epochs = 20", "epochs   =   20   # fewer epochs, faster tests"),
        ('loss = "sse"', "loss = 'sse'"),
    )
    prepare(write_spec(tmp_path, reformatted, "b.toml"))
    assert trainer_calls.count == 1


@pytest.mark.parametrize(
    "override", ["sources.fit.epochs=21", "sources.fit.optimizer.lr=2e-4", "sources.fit.data.seed=1"]
)
def test_changes_to_the_source_miss(spec: Path, trace_cache: Path, trainer_calls: Calls, override: str) -> None:
    base = prepare(spec)
    changed = prepare(spec, [override])
    assert trainer_calls.count == 2
    assert len(entries(trace_cache)) == 2
    assert not np.array_equal(base.traces["fit"].stepped["w"], changed.traces["fit"].stepped["w"])


def test_optimizer_lr_misses(tmp_path: Path, trace_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls(monkeypatch, OptimizerSource)
    spec = write_spec(tmp_path, BOWL_SPEC)
    prepare(spec)
    prepare(spec, ["panels.0.layers.0.color=red"])
    assert calls.count == 1
    lower = prepare(spec, ["sources.bowl.optimizers.0.lr=0.5"])
    assert calls.count == 2
    assert len(entries(trace_cache)) == 2
    assert_same_trace(
        lower.traces["bowl"], prepare(spec, ["sources.bowl.optimizers.0.lr=0.5"], cache=False).traces["bowl"]
    )


def test_editing_the_csv_file_misses(tmp_path: Path, trace_cache: Path, trainer_calls: Calls) -> None:
    data = tmp_path / "points.csv"
    data.write_text(CSV_TEXT, encoding="utf-8")
    spec = write_spec(tmp_path, CSV_SPEC)
    prepare(spec)
    prepare(spec)
    assert trainer_calls.count == 1
    data.write_text(CSV_TEXT.replace("5.5", "6.5"), encoding="utf-8")
    edited = prepare(spec)
    assert trainer_calls.count == 2
    assert len(entries(trace_cache)) == 2
    assert edited.traces["fit"].static["y"][-1] == 6.5


def test_a_missing_csv_file_is_still_reported(tmp_path: Path, trace_cache: Path) -> None:
    spec = write_spec(tmp_path, CSV_SPEC)
    with pytest.raises(SpecError, match="cannot read CSV file"):
        prepare(spec)
    assert entries(trace_cache) == []


def test_another_scenespec_version_misses(
    spec: Path, trace_cache: Path, trainer_calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(spec)
    monkeypatch.setattr(scenespec, "__version__", "999.0.0")
    prepare(spec)
    assert trainer_calls.count == 2
    assert len(entries(trace_cache)) == 2


def test_an_explicit_default_that_changes_behaviour_misses(tmp_path: Path) -> None:
    """Model `mlp` trains with batches of 32 when `batch_size` is not given (its default), on the full batch when
    it says "full" (the `linear` model's default): the keys differ."""
    mlp = spec_variant(('model = "linear"', 'model = "mlp"'), ("batch_size = 1\n", ""), ('loss = "sse"\n', ""))
    mlp = mlp.replace('optimizer = { name = "sgd", lr = 1e-4 }\n', "").replace("init = { w = -1.0, b = 1.0 }\n", "")
    keys = set()
    for extra in ("", 'batch_size = "full"\n'):
        path = write_spec(tmp_path, mlp.replace("epochs = 20\n", f"epochs = 20\n{extra}"))
        loaded, scene = load_and_validate(path)
        keys.add(cache_key(scene.sources["fit"], context("fit", loaded)))
    assert len(keys) == 2


def test_no_cache_neither_reads_nor_writes(spec: Path, trace_cache: Path, trainer_calls: Calls) -> None:
    prepare(spec, cache=False)
    prepare(spec, cache=False)
    assert trainer_calls.count == 2
    assert entries(trace_cache) == []
    prepare(spec)  # fills the cache
    prepare(spec, cache=False)  # and --no-cache does not read it
    assert trainer_calls.count == 4


def test_no_cache_flag_on_render_and_trace(
    spec: Path, tmp_path: Path, trace_cache: Path, trainer_calls: Calls, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", str(spec), "-o", str(tmp_path / "x.png"), "--no-cache", "-q"]) == 0
    assert main(["trace", str(spec), "-o", str(tmp_path / "x.npz"), "--no-cache", "-q"]) == 0
    assert trainer_calls.count == 2
    assert entries(trace_cache) == []
    assert main(["trace", str(spec), "-o", str(tmp_path / "y.npz"), "-q"]) == 0
    assert main(["render", str(spec), "-o", str(tmp_path / "y.png"), "-q"]) == 0
    assert trainer_calls.count == 3
    assert len(entries(trace_cache)) == 1
    assert capsys.readouterr().err == ""


def test_write_traces_uses_the_cache(spec: Path, tmp_path: Path, trainer_calls: Calls) -> None:
    fresh = write_traces(spec, tmp_path / "a.npz")
    cached = write_traces(spec, tmp_path / "b.npz")
    assert trainer_calls.count == 1
    assert_same_trace(cached.traces["fit"], fresh.traces["fit"])


def test_a_corrupt_entry_is_recomputed_and_rewritten(spec: Path, trace_cache: Path, trainer_calls: Calls) -> None:
    fresh = prepare(spec).traces["fit"]
    [entry] = entries(trace_cache)
    entry.write_bytes(b"PK\x03\x04 not really a zip file")
    again = prepare(spec).traces["fit"]
    assert trainer_calls.count == 2
    assert_same_trace(again, fresh)
    assert_same_trace(Trace.load(entry), fresh)  # rewritten whole
    prepare(spec)
    assert trainer_calls.count == 2


def test_an_empty_entry_is_recomputed(spec: Path, trace_cache: Path, trainer_calls: Calls) -> None:
    prepare(spec)
    [entry] = entries(trace_cache)
    entry.write_bytes(b"")
    prepare(spec)
    assert trainer_calls.count == 2
    assert entry.stat().st_size > 0


def test_a_cache_hit_still_checks_the_promised_fields(spec: Path, trace_cache: Path) -> None:
    loaded, scene = load_and_validate(spec)
    key = cache_key(scene.sources["fit"], context("fit", loaded))
    assert key is not None
    TraceCache(trace_cache).put(key, Trace(steps=np.arange(3), static={"x": np.zeros(2)}))
    with pytest.raises(SpecError, match="source did not record"):
        prepare(spec)


def test_an_unwritable_cache_warns_once_and_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], trainer_calls: Calls
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(blocker / "traces"))
    spec = write_spec(tmp_path, TWO_TRAINERS)
    assert main(["render", str(spec), "-o", str(tmp_path / "out.gif"), "-q"]) == 0
    assert (tmp_path / "out.gif").stat().st_size > 0
    assert trainer_calls.count == 2
    err = capsys.readouterr().err
    assert err.count("warning: cannot write the trace cache") == 1, err
    assert "Traceback" not in err
    assert str(blocker / "traces") in err


def test_a_failing_write_leaves_no_entry_and_no_temporary_file(
    spec: Path, trace_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache_module.os, "replace", refuse)
    prepare(spec)
    assert list(trace_cache.iterdir()) == []
    assert "Permission denied" in capsys.readouterr().err


def test_the_trace_source_is_not_cached(tmp_path: Path, trace_cache: Path) -> None:
    spec = write_spec(tmp_path, SPEC)
    write_traces(spec, tmp_path / "run.npz", cache=False)
    saved = spec_variant((FIT, '[sources.fit]\nkind = "trace"\npath = "run.npz"\n\n'))
    prepare(write_spec(tmp_path, saved, "saved.toml"))
    assert entries(trace_cache) == []


def test_old_entries_are_pruned_when_a_new_one_is_written(spec: Path, trace_cache: Path) -> None:
    old = trace_cache / ("0" * 64 + ".npz")
    Trace(steps=np.arange(2)).save(old)
    recent = trace_cache / ("1" * 64 + ".npz")
    Trace(steps=np.arange(2)).save(recent)
    long_ago = time.time() - 31 * 86400
    os.utime(old, (long_ago, long_ago))
    prepare(spec)
    assert not old.exists()
    assert recent.exists()
    assert len(entries(trace_cache)) == 2


def test_the_default_location_is_the_platform_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR)
    assert cache_dir() == Path(platformdirs.user_cache_dir("scenespec", appauthor=False)) / "traces"
    monkeypatch.setenv(ENV_VAR, "~/somewhere")
    assert cache_dir() == Path.home() / "somewhere"


def test_the_cli_renders_twice_from_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(folder))  # run_cli passes os.environ on
    first = run_cli(["render", str(LINREG), "-o", "x.gif", "-q"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(entries(folder)) == 1
    gif = (tmp_path / "x.gif").read_bytes()
    second = run_cli(["render", str(LINREG), "-o", "x.gif", "-q"], tmp_path)
    assert second.returncode == 0, second.stderr
    assert len(entries(folder)) == 1
    assert (tmp_path / "x.gif").read_bytes() == gif
    assert first.stderr == second.stderr == ""
