"""Layers band and metric, and scatter's max_points (article 002), compiled and checked against numpy.

Each scene reads a small trace written to tmp_path with `Trace.save`; expected values are computed
here independently (a plain loop for the moving averages) from the arrays that were saved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import line_of, run_cli_many, write_spec

from scenespec.compile import ArtistGraph
from scenespec.errors import SpecError, format_path
from scenespec.pipeline import Prepared, build, load_and_validate, prepare, scene_style
from scenespec.render.renderer import frame_pixels
from scenespec.resolve.trace import Trace
from scenespec.schedule import Frame
from scenespec.transform.moving_average import moving_average
from scenespec.transform.trailing_average import trailing_average

N = 60  # evaluation points
STEPS = np.array([0, 1, 2, 5, 10, 20, 35, 50])


def make_trace(path: Path, n: int = N, scatter_points: int = 0) -> Trace:
    """A fake run: a line learning y = 2x + 1, its per-point squared error, losses that fall to exactly 0."""
    rng = np.random.default_rng(7)
    ex = np.sort(rng.uniform(-3, 3, n))
    truth = 2 * ex + 1
    k = len(STEPS)
    progress = np.linspace(0, 1, k)[:, None]
    pred = progress * truth + (1 - progress) * 0.2 * ex + rng.normal(0, 0.05, (k, n))
    error = (truth - pred) ** 2
    loss = error.mean(axis=1)
    loss[-1] = 0.0  # a zero: not shown on a log axis, but must not break it
    batch_loss = loss * rng.uniform(0.5, 1.5, k)
    static = {"ex": ex}
    if scatter_points:
        sx = rng.normal(size=scatter_points)
        static |= {"sx": sx, "sy": 2 * sx + 1 + rng.normal(size=scatter_points)}
    trace = Trace(
        steps=STEPS,
        static=static,
        stepped={"pred": pred, "error": error, "loss": loss, "batch_loss": batch_loss, "batch": STEPS * 4 + 3},
    )
    trace.save(path)
    return trace


def spec_text(*panels: tuple[list[str], str]) -> str:
    text = '[scene]\nsize = [4.0, 3.0]\ndpi = 40\n\n[sources.net]\nkind = "trace"\npath = "run.npz"\n'
    text += '\n[frames]\nsource = "net"\nsteps = "all"\n'
    for layers, extra in panels:
        text += "\n[[panels]]\n" + extra + "layers = [\n" + "".join(f"  {layer},\n" for layer in layers) + "]\n"
    return text


def compiled(tmp_path: Path, text: str, **trace_args: int) -> tuple[Prepared, ArtistGraph, Trace]:
    trace = make_trace(tmp_path / "run.npz", **trace_args)
    prepared = prepare(write_spec(tmp_path, text))
    with scene_style(prepared.scene):
        graph = build(prepared)
    return prepared, graph, trace


def painter(graph: ArtistGraph, kind: str):
    return next(n.painter for n in graph.layers if n.painter.spec.kind == kind)


def show(graph: ArtistGraph, frame: Frame) -> np.ndarray:
    """Show `frame` and draw the figure, as the renderer does."""
    with graph.styled():
        return frame_pixels(graph, frame)


# --- moving averages ----------------------------------------------------------------------------------------------


def centred_by_loop(values: np.ndarray, width: int) -> np.ndarray:
    """np.convolve(..., mode='same') by hand: output i is centred on input i, missing neighbours are 0."""
    n = len(values)
    left = (width - 1) // 2  # 'same' keeps the middle of the full convolution (length n + width - 1)
    offset = width - 1 - left
    out = np.zeros(n)
    for i in range(n):
        total = 0.0
        for j in range(i - offset, i - offset + width):
            if 0 <= j < n:
                total += values[j]
        out[i] = total / width
    return out


@pytest.mark.parametrize("width", [2, 3, 4, 5, 8, 11])
def test_moving_average_matches_a_loop(width: int) -> None:
    values = np.random.default_rng(width).uniform(0, 5, 23)
    np.testing.assert_allclose(moving_average(values, width), centred_by_loop(values, width), rtol=1e-12)


def test_moving_average_edges_and_identity() -> None:
    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0])
    np.testing.assert_array_equal(moving_average(values, 1), values)
    # width 3: the first output averages (0, 3, 1), the last (9, 2, 0)
    out = moving_average(values, 3)
    assert out[0] == pytest.approx(4 / 3) and out[-1] == pytest.approx(11 / 3)
    assert out[3] == pytest.approx((4 + 1 + 5) / 3)
    with pytest.raises(ValueError, match="larger than"):
        moving_average(values, 8)


def test_trailing_average_matches_a_loop() -> None:
    values = np.random.default_rng(1).uniform(0, 1, 17)
    for width in (1, 2, 5):
        expected = [np.mean(values[max(0, i - width + 1) : i + 1]) for i in range(len(values))]
        np.testing.assert_allclose(trailing_average(values, width), expected, rtol=1e-12)


# --- band ---------------------------------------------------------------------------------------------------------


def band_edges(collection, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, first and second edge of a fill_between polygon of `n` points, read back from its path's vertices."""
    (path,) = collection.get_paths()
    verts = path.vertices
    # fill_between's polygon: start, (x, y1) forwards, end, (x, y2) backwards (then maybe a closing vertex)
    assert len(verts) in (2 * n + 2, 2 * n + 3)
    forward = verts[1 : n + 1]
    backward = verts[n + 2 : 2 * n + 2][::-1]
    np.testing.assert_array_equal(forward[:, 0], backward[:, 0])
    return forward[:, 0], forward[:, 1], backward[:, 1]


@pytest.mark.parametrize(("smooth", "scale"), [(1, 1.0), (7, 1.0), (4, 0.5)])
def test_band_edges_are_prediction_plus_minus_smoothed_error(tmp_path: Path, smooth: int, scale: float) -> None:
    layers = [
        '{ kind = "line", x = "net.ex", y = "net.pred" }',
        f'{{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.error", smooth = {smooth}, scale = {scale} }}',
    ]
    prepared, graph, trace = compiled(tmp_path, spec_text((layers, "")))
    band = painter(graph, "band")
    artist = band.artists[0]
    ax = artist.axes
    count = len(ax.collections)
    assert [f.step for f in prepared.frames] == STEPS.tolist()
    for index in (0, 3, 7, 5):
        frame = prepared.frames[index]
        show(graph, frame)
        assert band.artists[0] is artist and len(ax.collections) == count
        pred, error = trace.stepped["pred"][index], trace.stepped["error"][index]
        spread = scale * centred_by_loop(error, smooth)
        x, lower, upper = band_edges(artist, N)  # fill_between(x, y - s, y + s)
        np.testing.assert_array_equal(x, trace.static["ex"])
        np.testing.assert_allclose(upper, pred + spread, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(lower, pred - spread, rtol=1e-10, atol=1e-12)
    # limits cover the band at every frame
    y0, y1 = ax.get_ylim()
    spreads = np.array([scale * centred_by_loop(e, smooth) for e in trace.stepped["error"]])
    assert y0 <= (trace.stepped["pred"] - spreads).min() and (trace.stepped["pred"] + spreads).max() <= y1


def test_band_defaults(tmp_path: Path) -> None:
    layers = ['{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.error", label = "loss" }']
    _, graph, _ = compiled(tmp_path, spec_text((layers, "legend = true\n")))
    band = painter(graph, "band")
    assert (band.spec.smooth, band.spec.scale, band.style("color"), band.style("alpha")) == (1, 1.0, "steelblue", 0.3)
    assert band.artists[0].get_alpha() == pytest.approx(0.3)
    assert band.artists[0].axes.get_legend() is not None


def test_band_of_mismatched_lengths_is_a_clear_error(tmp_path: Path) -> None:
    layers = ['{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.loss" }']
    make_trace(tmp_path / "run.npz")
    text = spec_text((layers, ""))
    spec = write_spec(tmp_path, text)
    prepared = prepare(spec)
    with pytest.raises(SpecError) as info, scene_style(prepared.scene):
        build(prepared)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(spec), line_of(text, 'spread = "net.loss"'))
    assert format_path(problem.path) == "panels[0].layers[0].spread"
    assert problem.message == (
        f"band layer: spread = 'net.loss' has shape () per step; expected the shape of x = 'net.ex': ({N},)"
    )


def test_band_smooth_wider_than_the_data(tmp_path: Path) -> None:
    layers = ['{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.error", smooth = 61 }']
    make_trace(tmp_path / "run.npz")
    prepared = prepare(write_spec(tmp_path, spec_text((layers, ""))))
    with pytest.raises(SpecError, match="smooth = 61 is wider than the 60 points"), scene_style(prepared.scene):
        build(prepared)


# --- metric -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_x", [True, False])
def test_metric_shows_values_up_to_the_frame(tmp_path: Path, with_x: bool) -> None:
    x = ', x = "net.batch"' if with_x else ""
    layers = [f'{{ kind = "metric", y = "net.batch_loss"{x}, color = "purple" }}']
    prepared, graph, trace = compiled(tmp_path, spec_text((layers, "")))
    metric = painter(graph, "metric")
    line, dot = metric.artists
    ax = line.axes
    limits = (ax.get_xlim(), ax.get_ylim())
    xs_all = trace.stepped["batch"] if with_x else STEPS
    ys_all = trace.stepped["batch_loss"]
    for index in (0, 4, 2, 7):
        show(graph, prepared.frames[index])
        np.testing.assert_array_equal(line.get_xdata(), xs_all[: index + 1])
        np.testing.assert_array_equal(line.get_ydata(), ys_all[: index + 1])
        np.testing.assert_array_equal(dot.get_xdata(), [xs_all[index]])
        np.testing.assert_array_equal(dot.get_ydata(), [ys_all[index]])
        assert (ax.get_xlim(), ax.get_ylim()) == limits
    (x0, x1), (y0, y1) = limits
    assert x0 < xs_all.min() and xs_all.max() < x1 and y0 <= ys_all.min() and ys_all.max() < y1
    assert line.get_color() == dot.get_color() == "purple"


def test_metric_on_a_log_axis_with_a_zero(tmp_path: Path) -> None:
    layers = ['{ kind = "metric", y = "net.loss", x = "net.batch", smooth = 3 }']
    prepared, graph, trace = compiled(tmp_path, spec_text((layers, 'yscale = "log"\n')))
    metric = painter(graph, "metric")
    line, dot = metric.artists
    ax = line.axes
    assert ax.get_yscale() == "log"
    limits = ax.get_ylim()
    smoothed = np.array(
        [np.mean(trace.stepped["loss"][max(0, i - 2) : i + 1]) for i in range(len(STEPS))]
    )  # the zero at the end is averaged with earlier values: still positive
    raw = trace.stepped["loss"]
    assert 0 < limits[0] <= smoothed.min() and smoothed.max() <= limits[1]
    for index, frame in enumerate(prepared.frames):
        show(graph, frame)
        np.testing.assert_allclose(line.get_ydata(), smoothed[: index + 1], rtol=1e-12)
        np.testing.assert_allclose(dot.get_ydata(), smoothed[index : index + 1], rtol=1e-12)
        assert ax.get_ylim() == limits
    assert raw[-1] == 0.0


def test_metric_hides_non_positive_values_on_a_log_axis(tmp_path: Path) -> None:
    layers = ['{ kind = "metric", y = "net.loss" }']
    prepared, graph, trace = compiled(tmp_path, spec_text((layers, 'yscale = "log"\n')))
    line, dot = painter(graph, "metric").artists
    limits = line.axes.get_ylim()
    positive = trace.stepped["loss"][:-1]
    assert 0 < limits[0] <= positive.min() and positive.max() <= limits[1]
    show(graph, prepared.frames[-1])  # the last value is exactly 0
    ys = np.asarray(line.get_ydata(), dtype=float)
    np.testing.assert_array_equal(ys[:-1], positive)
    assert np.isnan(ys[-1]) and np.isnan(dot.get_ydata()[0])
    assert line.axes.get_ylim() == limits


def test_metric_side_panels_next_to_band(tmp_path: Path) -> None:
    main = [
        '{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.error", smooth = 5, zorder = 1 }',
        '{ kind = "line", x = "net.ex", y = "net.pred", color = "steelblue", zorder = 15 }',
    ]
    side = ['{ kind = "metric", y = "net.loss", label = "loss" }']
    batch = ['{ kind = "metric", y = "net.batch_loss", x = "net.batch", marker = false }']
    prepared, graph, _ = compiled(tmp_path, spec_text((main, ""), (side, 'yscale = "log"\n'), (batch, "")))
    assert len(graph.panels) == 3
    assert len(painter(graph, "band").artists) == 1
    metrics = [n.painter for n in graph.layers if n.painter.spec.kind == "metric"]
    assert [len(p.artists) for p in metrics] == [2, 1]
    for frame in prepared.frames:
        show(graph, frame)


# --- scatter max_points -------------------------------------------------------------------------------------------


def test_scatter_max_points_draws_a_stable_subset(tmp_path: Path) -> None:
    layers = [
        '{ kind = "scatter", x = "net.sx", y = "net.sy", max_points = 500, color = "gray" }',
        '{ kind = "line", x = "net.ex", y = "net.pred" }',
    ]
    prepared, graph, trace = compiled(tmp_path, spec_text((layers, "")), scatter_points=10_000)
    scatter = painter(graph, "scatter")
    node = next(n for n in graph.layers if n.painter is scatter)
    assert not node.dynamic  # static data: drawn once
    offsets = np.asarray(scatter.artists[0].get_offsets())
    assert offsets.shape == (500, 2)
    data = {(float(a), float(b)) for a, b in zip(trace.static["sx"], trace.static["sy"], strict=True)}
    assert all((float(a), float(b)) in data for a, b in offsets)
    assert len({tuple(p) for p in offsets}) == 500
    expected = np.unique(np.linspace(0, 9_999, 500).round().astype(int))
    np.testing.assert_array_equal(offsets[:, 0], trace.static["sx"][expected])
    show(graph, prepared.frames[5])
    np.testing.assert_array_equal(np.asarray(scatter.artists[0].get_offsets()), offsets)
    show(graph, prepared.frames[-1])
    np.testing.assert_array_equal(np.asarray(scatter.artists[0].get_offsets()), offsets)


def test_scatter_without_max_points_draws_all(tmp_path: Path) -> None:
    layers = ['{ kind = "scatter", x = "net.sx", y = "net.sy" }']
    _, graph, trace = compiled(tmp_path, spec_text((layers, "")), scatter_points=10_000)
    offsets = np.asarray(painter(graph, "scatter").artists[0].get_offsets())
    np.testing.assert_array_equal(offsets, np.column_stack([trace.static["sx"], trace.static["sy"]]))


def test_scatter_max_points_with_stepped_points(tmp_path: Path) -> None:
    layers = ['{ kind = "scatter", x = "net.ex", y = "net.pred", max_points = 10 }']
    prepared, graph, trace = compiled(tmp_path, spec_text((layers, "")))
    scatter = painter(graph, "scatter")
    index = np.unique(np.linspace(0, N - 1, 10).round().astype(int))
    for i in (0, 6):
        show(graph, prepared.frames[i])
        offsets = np.asarray(scatter.artists[0].get_offsets())
        np.testing.assert_array_equal(offsets, np.column_stack([trace.static["ex"], trace.stepped["pred"][i]])[index])


# --- validation ---------------------------------------------------------------------------------------------------


INVALID = [
    (
        '{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.error", smooth = 0 }',
        "smooth = 0",
        "panels[0].layers[0].smooth",
        "greater than or equal to 1",
    ),
    (
        '{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.error", smooth = 100000 }',
        "smooth = 100000",
        "panels[0].layers[0].smooth",
        "less than or equal to 10000",
    ),
    ('{ kind = "metric", y = "net.loss", smooth = 0 }', "smooth = 0", "panels[0].layers[0].smooth", "1"),
    (
        '{ kind = "scatter", x = "net.ex", y = "net.ex", max_points = 0 }',
        "max_points = 0",
        "panels[0].layers[0].max_points",
        "greater than 0",
    ),
    ('{ kind = "metric", y = "net.ex" }', "net.ex", "panels[0].layers[0].y", "step"),
]


@pytest.mark.parametrize(("layer", "needle", "key", "fragment"), INVALID)
def test_validation_errors_are_located(tmp_path: Path, layer: str, needle: str, key: str, fragment: str) -> None:
    make_trace(tmp_path / "run.npz")
    text = spec_text(([layer], ""))
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, format_path(problem.path)) == (str(spec), line_of(text, needle), key)
    assert str(info.value).startswith(f"{spec}:{problem.line}: {key}: ") and fragment in str(info.value)


def test_validation_errors_exit_2_from_the_command_line(tmp_path: Path) -> None:
    runs, expected = [], []
    for number, (layer, needle, key, fragment) in enumerate([INVALID[0], INVALID[2]]):  # smooth = 0, both kinds
        folder = tmp_path / str(number)
        folder.mkdir()
        make_trace(folder / "run.npz")
        text = spec_text(([layer], ""))
        spec = write_spec(folder, text)
        runs.append((["validate", str(spec)], folder))
        expected.append((f"{spec}:{line_of(text, needle)}: {key}: ", fragment))
    for result, (where, fragment) in zip(run_cli_many(runs), expected, strict=True):
        assert result.returncode == 2, result.stderr
        assert where in result.stderr and fragment in result.stderr
        assert "Traceback" not in result.stderr


def test_learner_spec_draws_its_big_scatter_once() -> None:
    """Article 002: the scatter of the data is static (drawn once); the model, band, metrics and counter move."""
    prepared = prepare(Path(__file__).resolve().parents[1] / "specs" / "learner_linear.toml", ["sources.net.epochs=1"])
    with scene_style(prepared.scene):
        graph = build(prepared)
    roles = sorted((n.painter.spec.kind, n.dynamic) for n in graph.layers)
    assert roles == [
        ("band", True),
        ("counter", True),
        ("line", True),
        ("metric", True),
        ("metric", True),
        ("scatter", False),
    ]
    scatter = next(n.painter for n in graph.layers if n.painter.spec.kind == "scatter")
    assert len(scatter.artists[0].get_offsets()) == 1000  # max_points of 2,000 training points
