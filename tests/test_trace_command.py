"""`scenespec trace`: every source's numbers in one .npz, written atomically, and read back by source `trace`.

The file's arrays are compared with the traces resolved in-process, with frames rendered from a
reloaded trace, and (for linear regression) with the loss recomputed from the saved weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import LINREG, line_of, run_cli, write_spec

from scenespec.cli import main
from scenespec.errors import SpecError, format_path
from scenespec.pipeline import build, load_and_validate, prepare, scene_style
from scenespec.render.renderer import frame_pixels
from scenespec.resolve.trace import Trace

SPECS = Path(__file__).resolve().parents[1] / "specs"
BOWL_PATHS = SPECS / "bowl_paths.toml"
STATIC = ("X", "Y", "Z", "GX", "GY", "names", "optimizers")
STEPPED = ("x", "y", "loss", "grad_x", "grad_y")

TWO_SOURCES = """[sources.bowl]
kind = "optimizer"
objective = "elliptic"
resolution = 9
start = [-7.0, 2.0]
steps = 6
optimizers = [{ name = "sgd", lr = 0.95 }, { name = "adagrad", lr = 1.5 }]

[sources.race]
kind = "optimizer"
objective = "rosenbrock"
resolution = [7, 5]
start = [-1.2, 1.0]
steps = 4
optimizers = [{ name = "adam", lr = 0.1 }]

[[panels]]
layers = [{ kind = "path", x = "bowl.x", y = "bowl.y" }]
"""


def layout(source: str, static: tuple[str, ...] = STATIC, stepped: tuple[str, ...] = STEPPED) -> set[str]:
    """The documented keys of one source in a trace file."""
    return (
        {f"{source}/__steps__"} | {f"{source}/static/{k}" for k in static} | {f"{source}/stepped/{k}" for k in stepped}
    )


def npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def assert_same_trace(arrays: dict[str, np.ndarray], source: str, trace: Trace) -> None:
    np.testing.assert_array_equal(arrays[f"{source}/__steps__"], trace.steps)
    for group, fields in (("static", trace.static), ("stepped", trace.stepped)):
        for name, values in fields.items():
            saved = arrays[f"{source}/{group}/{name}"]
            assert saved.dtype == values.dtype and saved.shape == values.shape, name
            np.testing.assert_array_equal(saved, values, err_msg=name)


def trace_cli(*args: str) -> int:
    return main(["trace", *args])


# --- Writing ------------------------------------------------------------------------------------------------------


def test_trace_command_in_a_subprocess(tmp_path: Path) -> None:
    result = run_cli(["trace", str(BOWL_PATHS), "-o", "out.npz"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("wrote out.npz: 1 source in ")
    assert "bowl: 31 steps (0..30)" in result.stdout
    assert "bowl/stepped/x: 31×4 float64" in result.stdout
    assert "bowl/static/Z: 200×200 float64" in result.stdout
    arrays = npz(tmp_path / "out.npz")
    assert set(arrays) == layout("bowl")
    expected = prepare(BOWL_PATHS).traces["bowl"]
    assert_same_trace(arrays, "bowl", expected)
    assert arrays["bowl/static/names"].tolist() == ["SGD", "Momentum", "AdaGrad", "Adam"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]


def test_trace_command_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bowl.npz"
    overrides = ("--set", "sources.bowl.resolution=[30, 20]", "--set", "sources.bowl.steps=8")
    assert trace_cli(str(BOWL_PATHS), "-o", str(out), *overrides, "-q") == 0
    assert capsys.readouterr() == ("", "")
    arrays = npz(out)
    assert set(arrays) == layout("bowl")
    expected = prepare(BOWL_PATHS, ["sources.bowl.resolution=[30, 20]", "sources.bowl.steps=8"]).traces["bowl"]
    assert arrays["bowl/static/Z"].shape == (20, 30)
    assert arrays["bowl/stepped/loss"].shape == (9, 4)
    assert_same_trace(arrays, "bowl", expected)
    # Trace.load reads the same arrays back, with or without naming the only source.
    for loaded in (Trace.load(out), Trace.load(out, "bowl")):
        assert sorted(loaded.names) == sorted(STATIC + STEPPED)
        np.testing.assert_array_equal(loaded.stepped["x"], expected.stepped["x"])


def test_every_source_by_default_and_source_restricts(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, TWO_SOURCES)
    assert trace_cli(str(spec), "-o", str(tmp_path / "all.npz"), "-q") == 0
    everything = npz(tmp_path / "all.npz")
    assert set(everything) == layout("bowl") | layout("race")
    assert everything["race/stepped/x"].shape == (5, 1)
    assert everything["bowl/stepped/x"].shape == (7, 2)
    assert trace_cli(str(spec), "-o", str(tmp_path / "race.npz"), "--source", "race", "-q") == 0
    only = npz(tmp_path / "race.npz")
    assert set(only) == layout("race")
    for key, values in only.items():
        np.testing.assert_array_equal(values, everything[key])


def test_default_output_is_the_spec_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = write_spec(tmp_path, TWO_SOURCES, "two.toml")
    monkeypatch.chdir(tmp_path)
    assert trace_cli(str(spec), "-q") == 0
    assert set(npz(tmp_path / "two.npz")) == layout("bowl") | layout("race")


def test_unknown_source_is_refused_with_a_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, TWO_SOURCES)
    assert trace_cli(str(spec), "-o", str(tmp_path / "out.npz"), "--source", "rcae") == 1
    _, err = capsys.readouterr()
    assert err.startswith("error: --source rcae: the spec has no such source; did you mean 'race'?")
    assert "Traceback" not in err
    assert not (tmp_path / "out.npz").exists()


def test_output_must_be_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert trace_cli(str(BOWL_PATHS), "-o", str(tmp_path / "x.txt")) == 1
    _, err = capsys.readouterr()
    assert "a trace file ends in .npz" in err
    assert list(tmp_path.iterdir()) == []


def test_failed_trace_leaves_the_earlier_file_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.npz"
    assert trace_cli(str(BOWL_PATHS), "-o", str(out), "-q") == 0
    before = out.read_bytes()
    capsys.readouterr()
    diverge = "sources.bowl.optimizers.0.lr=1e6"
    assert trace_cli(str(BOWL_PATHS), "-o", str(out), "--set", diverge) == 2
    _, err = capsys.readouterr()
    assert err.startswith(f"error: --set {diverge}: sources.bowl.optimizers[0].lr: SGD diverged at step ")
    assert "Traceback" not in err
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]  # no temporary file left behind


# --- Reading back: source `trace` ---------------------------------------------------------------------------------


def from_trace_file(spec_text: str, npz_name: str, source: str | None) -> str:
    """`spec_text` with its `[sources.bowl]` table replaced by a `trace` source reading `npz_name`."""
    start, end = spec_text.index("[sources.bowl]"), spec_text.index("[frames]")
    table = f'[sources.bowl]\nkind = "trace"\npath = "{npz_name}"\n'
    if source is not None:
        table += f'source = "{source}"\n'
    return spec_text[:start] + table + "\n" + spec_text[end:]


def test_reloaded_trace_renders_the_same_frames(tmp_path: Path) -> None:
    fast = ["scene.dpi=40", "sources.bowl.resolution=60"]
    assert (
        trace_cli(str(BOWL_PATHS), "-o", str(tmp_path / "runs.npz"), "-q", *[a for f in fast for a in ("--set", f)])
        == 0
    )
    reloaded = write_spec(tmp_path, from_trace_file(BOWL_PATHS.read_text(encoding="utf-8"), "runs.npz", "bowl"))
    pictures = []
    for spec, overrides in ((BOWL_PATHS, fast), (reloaded, ["scene.dpi=40"])):
        prepared = prepare(spec, overrides)
        with scene_style(prepared.scene):
            graph = build(prepared)
        with graph.styled():
            pictures.append([frame_pixels(graph, prepared.frames[i]) for i in (0, 7, -1)])
    for original, again in zip(*pictures, strict=True):
        assert original.shape == again.shape
        np.testing.assert_array_equal(original, again)
    assert not np.array_equal(pictures[0][0], pictures[0][-1])  # the frames do differ: paths grow


def trace_error(spec: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)  # a trace source's fields are read from the file at validation
    return info.value


@pytest.mark.parametrize(
    ("source", "fragment"),
    [(None, "holds the traces of several sources (bowl, race); name one"), ("bowel", "has no source 'bowel'")],
)
def test_trace_source_must_name_one_source_of_the_file(tmp_path: Path, source: str | None, fragment: str) -> None:
    assert trace_cli(str(write_spec(tmp_path, TWO_SOURCES, "two.toml")), "-o", str(tmp_path / "two.npz"), "-q") == 0
    text = from_trace_file(BOWL_PATHS.read_text(encoding="utf-8"), "two.npz", source)
    spec = write_spec(tmp_path, text)
    error = trace_error(spec)
    assert len(error.problems) == 1, str(error)
    problem = error.problems[0]
    assert format_path(problem.path) == "sources.bowl.source"
    # A missing key is shown at its table, a wrong one at its own line.
    expected_line = line_of(text, "[sources.bowl]") if source is None else line_of(text, f'source = "{source}"')
    assert (problem.file, problem.line) == (str(spec), expected_line)
    assert str(error).startswith(f"{spec}:{expected_line}: sources.bowl.source: cannot load trace ")
    assert fragment in str(error)


# --- Linear regression --------------------------------------------------------------------------------------------


def test_linreg_trace_loss_is_the_sum_of_squared_errors_of_its_weights(tmp_path: Path) -> None:
    out = tmp_path / "linreg.npz"
    epochs = 40
    assert trace_cli(str(LINREG), "-o", str(out), "-q", "--set", f"sources.fit.epochs={epochs}") == 0
    arrays = npz(out)
    assert set(arrays) == layout("fit", static=("x", "y"), stepped=("w", "b", "pred", "loss"))
    x, y = arrays["fit/static/x"], arrays["fit/static/y"]
    w, b, loss = arrays["fit/stepped/w"], arrays["fit/stepped/b"], arrays["fit/stepped/loss"]
    np.testing.assert_array_equal(arrays["fit/__steps__"], np.arange(epochs + 1))
    assert x.shape == y.shape == (50,)
    assert (w[0], b[0]) == (-1.0, 1.0)  # the spec's init
    residuals = w[:, None] * x[None, :] + b[:, None] - y[None, :]
    np.testing.assert_allclose(loss, (residuals**2).sum(axis=1), rtol=1e-12)  # loss = "sse"
    np.testing.assert_allclose(arrays["fit/stepped/pred"], w[:, None] * x + b[:, None], rtol=1e-13)
    assert loss[-1] < loss[0] / 10  # it learned
