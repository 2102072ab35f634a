"""The transform stage: each kind against a computation written here, chains, layers bound to transforms, errors.

Expected values come from plain Python loops over lists (or a closed form), never from the functions under
test. Scenes read a small trace written to tmp_path with `Trace.save`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec

from scenespec.compile import ArtistGraph
from scenespec.errors import SpecError
from scenespec.pipeline import Prepared, build, load_and_validate, prepare, resolve_and_schedule, scene_style
from scenespec.render.renderer import frame_pixels
from scenespec.resolve.trace import Trace
from scenespec.transform import apply as transform_apply
from scenespec.transform.apply import apply_transforms, clear_memo
from scenespec.transform.cumulative import cumulative
from scenespec.transform.difference import difference
from scenespec.transform.ema import EmaTransform, ema
from scenespec.transform.moving_average import moving_average
from scenespec.transform.running_max import running_max
from scenespec.transform.running_min import running_min
from scenespec.transform.trailing_average import trailing_average

NAN = float("nan")


# --- independent computations -------------------------------------------------------------------------------------


def centred_loop(values: list[float], width: int) -> list[float]:
    """np.convolve(v, ones(w)/w, mode="same") by hand: entry i sums entries i - w//2 .. i + (w-1)//2, zeros outside."""
    n = len(values)
    out = []
    for i in range(n):
        total = 0.0
        for j in range(i - width // 2, i + (width - 1) // 2 + 1):
            if 0 <= j < n:
                total += values[j]
        out.append(total / width)
    return out


def trailing_loop(values: list[float], width: int) -> list[float]:
    out = []
    for i in range(len(values)):
        window = values[max(0, i - width + 1) : i + 1]
        out.append(sum(window) / len(window))
    return out


def tensorboard_ema(values: list[float], weight: float) -> list[float]:
    """TensorBoard's scalar smoothing, re-written from its description (data_transformer.ts, classicSmoothing)."""
    if all(v == values[0] for v in values):
        return list(values)  # a constant series is shown as it is (TensorBoard #786)
    last, count, out = 0.0, 0, []
    for value in values:
        if math.isnan(value) or math.isinf(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight**count))
    return out


def ema_closed_form(values: list[float], weight: float) -> list[float]:
    """The same average in closed form: the finite values seen so far, weighted weight**age, normalised."""
    out = []
    for t in range(len(values)):
        seen = [v for v in values[: t + 1] if math.isfinite(v)]
        weights = [weight ** (len(seen) - 1 - k) for k in range(len(seen))]
        out.append(sum(w * v for w, v in zip(weights, seen, strict=True)) / sum(weights))
    return out


def running_loop(values: list[float], better) -> list[float]:
    """Best value so far, skipping NaN; NaN until the first number."""
    best, out = NAN, []
    for value in values:
        if not math.isnan(value) and (math.isnan(best) or better(value, best)):
            best = value
        out.append(best)
    return out


def cumulative_loop(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def difference_loop(values: list[float]) -> list[float]:
    return [NAN] + [values[i] - values[i - 1] for i in range(1, len(values))]


def columns(array: np.ndarray) -> list[list[float]]:
    return [array[:, j].tolist() for j in range(array.shape[1])]


def from_columns(cols: list[list[float]]) -> np.ndarray:
    return np.array(cols).T


SERIES = np.random.default_rng(3).lognormal(0, 1, 29)
TABLE = np.random.default_rng(4).normal(0, 2, (23, 3))  # steps × 3 series (e.g. one column per optimizer)


# --- each kind ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 3, 4, 7, 29])
def test_moving_average_along_steps_matches_a_loop(width: int) -> None:
    np.testing.assert_allclose(moving_average(SERIES, width), centred_loop(SERIES.tolist(), width), rtol=1e-12)
    if width <= len(TABLE):  # each column of a table on its own
        expected = from_columns([centred_loop(c, width) for c in columns(TABLE)])
        np.testing.assert_allclose(moving_average(TABLE, width), expected, rtol=1e-12, atol=1e-14)
    else:
        with pytest.raises(ValueError, match="larger than"):
            moving_average(TABLE, width)


def test_moving_average_along_points_smooths_each_step() -> None:
    values = np.random.default_rng(5).uniform(0, 3, (6, 17))  # steps × points, like a per-point error
    expected = np.array([centred_loop(row, 5) for row in values.tolist()])
    np.testing.assert_allclose(moving_average(values, 5, axis=-1), expected, rtol=1e-12)
    # the edges: width 3 over [3, 1, 4, 1, 5] -> (0+3+1)/3 first, (1+5+0)/3 last
    out = moving_average(np.array([3.0, 1.0, 4.0, 1.0, 5.0]), 3)
    assert out.tolist() == pytest.approx([4 / 3, 8 / 3, 2.0, 10 / 3, 2.0])
    with pytest.raises(ValueError, match="larger than"):
        moving_average(values, 18, axis=-1)


@pytest.mark.parametrize("width", [1, 2, 5, 40])
def test_trailing_average_matches_a_loop(width: int) -> None:
    np.testing.assert_allclose(trailing_average(SERIES, width), trailing_loop(SERIES.tolist(), width), rtol=1e-12)
    expected = from_columns([trailing_loop(c, width) for c in columns(TABLE)])
    np.testing.assert_allclose(trailing_average(TABLE, width), expected, rtol=1e-12, atol=1e-14)


def test_ema_by_hand() -> None:
    # weight 0.5 over [1, 2, 4]:
    #   last = 0.5·0 + 0.5·1 = 0.5,    debias 1 - 0.5   = 0.5   -> 1
    #   last = 0.5·0.5 + 0.5·2 = 1.25, debias 1 - 0.25  = 0.75  -> 5/3
    #   last = 0.5·1.25 + 0.5·4 = 2.625, debias 1 - 0.125 = 0.875 -> 3
    assert ema(np.array([1.0, 2.0, 4.0]), 0.5).tolist() == pytest.approx([1.0, 5 / 3, 3.0], rel=1e-15)
    # a non-finite value is passed through and skipped: the next values are smoothed as if it were absent
    out = ema(np.array([1.0, NAN, 2.0, np.inf, 4.0]), 0.5)
    assert math.isnan(out[1]) and out[3] == np.inf
    assert out[[0, 2, 4]].tolist() == pytest.approx([1.0, 5 / 3, 3.0], rel=1e-15)
    # weight 0 is no smoothing; a constant series is left exactly as it is
    assert ema(SERIES, 0.0).tolist() == SERIES.tolist()
    assert ema(np.full(7, 0.1), 0.9).tolist() == [0.1] * 7


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.999])
def test_ema_matches_tensorboard_and_the_closed_form(weight: float) -> None:
    values = SERIES.tolist()
    values[4], values[11] = NAN, -np.inf
    out = ema(np.array(values), weight)
    expected = tensorboard_ema(values, weight)
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    finite = [i for i, v in enumerate(values) if math.isfinite(v)]
    np.testing.assert_allclose(out[finite], np.array(ema_closed_form(values, weight))[finite], rtol=1e-9)
    table = from_columns([tensorboard_ema(c, weight) for c in columns(TABLE)])
    np.testing.assert_allclose(ema(TABLE, weight), table, rtol=1e-13)


def test_ema_rejects_a_weight_outside_0_1() -> None:
    for weight in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"\[0, 1\)"):
            ema(SERIES, weight)


def test_running_min_max_cumulative_difference_match_loops() -> None:
    values = SERIES.tolist()
    values[0], values[9] = NAN, NAN  # before the first number, and in the middle
    array = np.array(values)
    np.testing.assert_array_equal(running_min(array), running_loop(values, lambda a, b: a < b))
    np.testing.assert_array_equal(running_max(array), running_loop(values, lambda a, b: a > b))
    clean = SERIES.tolist()
    np.testing.assert_allclose(cumulative(SERIES), cumulative_loop(clean), rtol=1e-13)
    np.testing.assert_allclose(difference(SERIES), difference_loop(clean), rtol=1e-13)
    assert math.isnan(difference(SERIES)[0]) and math.isnan(difference(np.array([2.0]))[0])
    for function, loop in (
        (running_min, lambda c: running_loop(c, lambda a, b: a < b)),
        (running_max, lambda c: running_loop(c, lambda a, b: a > b)),
        (cumulative, cumulative_loop),
        (difference, difference_loop),
    ):
        np.testing.assert_allclose(function(TABLE), from_columns([loop(c) for c in columns(TABLE)]), rtol=1e-13)


# --- scenes -------------------------------------------------------------------------------------------------------

STEPS = np.array([0, 1, 2, 5, 10, 20, 35, 50, 70, 90])
N = 40


def make_trace(path: Path) -> Trace:
    rng = np.random.default_rng(11)
    k = len(STEPS)
    ex = np.sort(rng.uniform(-3, 3, N))
    pred = np.linspace(0, 1, k)[:, None] * (2 * ex + 1) + rng.normal(0, 0.1, (k, N))
    error = (2 * ex + 1 - pred) ** 2
    loss = error.mean(axis=1) + rng.uniform(0, 0.5, k)
    loss[6:8] += 6.0  # a spike: smoothed, the loss rises for a while, so its running minimum differs from it
    trace = Trace(
        steps=STEPS,
        static={"ex": ex},
        stepped={"pred": pred, "error": error, "loss": loss, "batch": STEPS * 3 + 1},
    )
    trace.save(path)
    return trace


HEAD = """\
[scene]
size = [4.0, 3.0]
dpi = 40

[sources.net]
kind = "trace"
path = "run.npz"

[frames]
source = "net"
steps = "all"
"""


def scene_text(transforms: str, *panels: list[str]) -> str:
    text = HEAD + transforms
    for layers in panels:
        text += "\n[[panels]]\nlayers = [\n" + "".join(f"  {layer},\n" for layer in layers) + "]\n"
    return text


def compiled(tmp_path: Path, text: str) -> tuple[Prepared, ArtistGraph, Trace]:
    trace = make_trace(tmp_path / "run.npz")
    prepared = prepare(write_spec(tmp_path, text))
    with scene_style(prepared.scene):
        graph = build(prepared)
    return prepared, graph, trace


def painters(graph: ArtistGraph, kind: str) -> list:
    return [n.painter for n in graph.layers if n.painter.spec.kind == kind]


CHAIN = """
[transforms.loss_ema]
kind = "ema"
of = "net.loss"
weight = 0.7

[transforms.best]
kind = "running_min"
of = "transforms.loss_ema"
"""


def test_metric_and_text_show_transformed_values(tmp_path: Path) -> None:
    layers = [
        '{ kind = "metric", x = "net.batch", y = "transforms.loss_ema" }',
        '{ kind = "metric", x = "net.batch", y = "transforms.best" }',
        '{ kind = "text", text = "ema {transforms.loss_ema:.6f} best {transforms.best:.6f}", at = [0.1, 0.1], '
        'coords = "axes" }',
    ]
    prepared, graph, trace = compiled(tmp_path, scene_text(CHAIN, layers))
    smoothed = tensorboard_ema(trace.stepped["loss"].tolist(), 0.7)
    best = running_loop(smoothed, lambda a, b: a < b)
    ema_metric, best_metric = painters(graph, "metric")
    (text,) = painters(graph, "text")
    for index in (0, 4, len(STEPS) - 1):
        graph.show(prepared.frames[index])
        shown = slice(0, index + 1)
        np.testing.assert_allclose(ema_metric.line.get_ydata(), smoothed[shown], rtol=1e-12)
        np.testing.assert_allclose(best_metric.line.get_ydata(), best[shown], rtol=1e-12)
        np.testing.assert_array_equal(ema_metric.line.get_xdata(), (STEPS * 3 + 1)[shown])
        assert text.artists[0].get_text() == f"ema {smoothed[index]:.6f} best {best[index]:.6f}"
    assert best != smoothed  # the chain did something: the running minimum holds where the EMA rises


def test_band_smooth_equals_a_moving_average_transform_along_points(tmp_path: Path) -> None:
    transform = '\n[transforms.error_smooth]\nkind = "moving_average"\nof = "net.error"\nwidth = 7\nalong = "points"\n'
    own = '{ kind = "band", x = "net.ex", y = "net.pred", spread = "net.error", smooth = 7 }'
    bound = '{ kind = "band", x = "net.ex", y = "net.pred", spread = "transforms.error_smooth" }'
    prepared, graph, trace = compiled(tmp_path, scene_text(transform, [own], [bound]))
    first, second = painters(graph, "band")
    with graph.styled():
        for frame in prepared.frames[::3]:
            frame_pixels(graph, frame)
            a = first.artists[0].get_paths()[0].vertices
            b = second.artists[0].get_paths()[0].vertices
            np.testing.assert_array_equal(a, b)
            index = int(np.searchsorted(STEPS, frame.step))
            lower = trace.stepped["pred"][index] - centred_loop(trace.stepped["error"][index].tolist(), 7)
            np.testing.assert_allclose(a[1 : N + 1, 1], lower, rtol=1e-12)  # fill_between(x, y - s, y + s)
    assert first.artists[0].axes.get_ylim() == second.artists[0].axes.get_ylim()


def test_metric_smooth_equals_a_trailing_average_transform(tmp_path: Path) -> None:
    transform = '\n[transforms.loss_avg]\nkind = "trailing_average"\nof = "net.loss"\nwidth = 4\n'
    own = '{ kind = "metric", y = "net.loss", smooth = 4 }'
    bound = '{ kind = "metric", y = "transforms.loss_avg" }'
    prepared, graph, trace = compiled(tmp_path, scene_text(transform, [own, bound]))
    first, second = painters(graph, "metric")
    graph.show(prepared.frames[-1])
    np.testing.assert_array_equal(first.line.get_ydata(), second.line.get_ydata())
    np.testing.assert_allclose(second.line.get_ydata(), trailing_loop(trace.stepped["loss"].tolist(), 4), rtol=1e-12)


def test_transforms_are_computed_once_and_only_when_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = EmaTransform.compute

    def counting(self, values, stepped):
        calls.append(self.of)
        return real(self, values, stepped)

    monkeypatch.setattr(EmaTransform, "compute", counting)
    clear_memo()
    transforms = CHAIN + '\n[transforms.unused]\nkind = "ema"\nof = "net.batch"\n'
    layers = [  # the EMA is bound twice and read by the chain: still computed once
        '{ kind = "metric", y = "transforms.loss_ema" }',
        '{ kind = "metric", y = "transforms.best" }',
        '{ kind = "text", text = "{transforms.loss_ema:.3f}", at = [0, 0] }',
    ]
    make_trace(tmp_path / "run.npz")
    spec = write_spec(tmp_path, scene_text(transforms, layers))
    loaded, scene = load_and_validate(spec)
    first = resolve_and_schedule(loaded, scene)
    assert calls == ["net.loss"]  # `unused` is bound by no layer: not computed
    assert first.traces["transforms"].names == ["best", "loss_ema"]
    second = resolve_and_schedule(loaded, scene)  # same input: not computed again
    assert calls == ["net.loss"]
    assert second.traces["transforms"].field("loss_ema").data is first.traces["transforms"].field("loss_ema").data
    # a changed input is recomputed
    changed = dict(second.traces)
    old = second.traces["net"]
    changed["net"] = Trace(steps=old.steps, static=old.static, stepped={**old.stepped, "loss": old.stepped["loss"] * 2})
    redone = apply_transforms(scene, {"net": changed["net"]})
    assert calls == ["net.loss", "net.loss"]
    np.testing.assert_allclose(
        redone["transforms"].field("loss_ema").data, tensorboard_ema((old.stepped["loss"] * 2).tolist(), 0.7)
    )
    assert len(transform_apply._memo) >= 2


def test_a_source_used_only_through_a_transform_is_resolved(tmp_path: Path) -> None:
    text = HEAD.replace('[frames]\nsource = "net"\n', "[frames]\n")
    text = text.replace(
        "\n[frames]", '\n[sources.other]\nkind = "trace"\npath = "other.npz"\n\n[frames]\nsource = "other"'
    )
    text += '\n[transforms.total]\nkind = "cumulative"\nof = "net.loss"\n'
    text += '\n[[panels]]\nlayers = [{ kind = "metric", y = "transforms.total" }]\n'
    trace = make_trace(tmp_path / "run.npz")
    Trace(steps=np.arange(5), stepped={"v": np.arange(5.0)}).save(tmp_path / "other.npz")
    prepared = prepare(write_spec(tmp_path, text))
    assert set(prepared.traces) == {"net", "other", "transforms"}
    np.testing.assert_allclose(
        prepared.traces["transforms"].field("total").data, cumulative_loop(trace.stepped["loss"].tolist())
    )
    np.testing.assert_array_equal(prepared.traces["transforms"].field("total").steps, STEPS)


# --- located errors -----------------------------------------------------------------------------------------------

METRIC = ['{ kind = "metric", y = "transforms.loss_ema" }']


def check_error(tmp_path: Path, text: str, needle: str, key: str, *fragments: str, run: bool = False) -> None:
    make_trace(tmp_path / "run.npz")
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        prepare(spec) if run else load_and_validate(spec)
    assert_located(info.value, spec, line_of(text, needle), key, *fragments)


def test_unknown_input_field(tmp_path: Path) -> None:
    text = scene_text(CHAIN.replace('of = "net.loss"', 'of = "net.lost"'), METRIC)
    check_error(tmp_path, text, 'of = "net.lost"', "transforms.loss_ema.of", "no field 'lost'", "did you mean 'loss'")


def test_unknown_input_transform(tmp_path: Path) -> None:
    text = scene_text(CHAIN.replace('of = "transforms.loss_ema"', 'of = "transforms.loss_emma"'), METRIC)
    check_error(
        tmp_path, text, "transforms.loss_emma", "transforms.best.of", "no transform named 'loss_emma'", "'loss_ema'"
    )


def test_binding_to_an_unknown_transform(tmp_path: Path) -> None:
    text = scene_text(CHAIN, ['{ kind = "metric", y = "transforms.bets" }'])
    check_error(
        tmp_path, text, "transforms.bets", "panels[0].layers[0].y", "no transform named 'bets'", "did you mean 'best'"
    )


def test_static_input_where_steps_are_needed(tmp_path: Path) -> None:
    text = scene_text(CHAIN.replace('of = "net.loss"', 'of = "net.ex"'), METRIC)
    check_error(tmp_path, text, 'of = "net.ex"', "transforms.loss_ema.of", "'net.ex' is static", "per step")


def test_static_input_along_points_is_fine_and_stays_static(tmp_path: Path) -> None:
    transform = '\n[transforms.ex_smooth]\nkind = "moving_average"\nof = "net.ex"\nwidth = 3\nalong = "points"\n'
    text = scene_text(transform, ['{ kind = "line", x = "net.ex", y = "transforms.ex_smooth" }'])
    prepared, graph, trace = compiled(tmp_path, text)
    field = prepared.traces["transforms"].field("ex_smooth")
    assert not field.stepped
    (line,) = painters(graph, "line")
    np.testing.assert_allclose(line.artists[0].get_ydata(), centred_loop(trace.static["ex"].tolist(), 3), rtol=1e-12)


def test_cycles_are_located(tmp_path: Path) -> None:
    loop = CHAIN.replace('of = "net.loss"', 'of = "transforms.best"')
    text = scene_text(loop, METRIC)
    check_error(
        tmp_path, text, 'of = "transforms.best"', "transforms.loss_ema.of", "loss_ema → best → loss_ema", "cycle"
    )
    itself = scene_text(CHAIN.replace('of = "net.loss"', 'of = "transforms.loss_ema"'), METRIC)
    spec = write_spec(tmp_path, itself)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    # the first `of = "transforms.loss_ema"` line is the self-reference
    line = next(n for n, t in enumerate(itself.splitlines(), 1) if t == 'of = "transforms.loss_ema"')
    assert_located(info.value, spec, line, "transforms.loss_ema.of", "derives from itself")


def test_a_source_named_transforms_is_a_located_clash(tmp_path: Path) -> None:
    text = scene_text(CHAIN, METRIC) + '\n[sources.transforms]\nkind = "trace"\npath = "run.npz"\n'
    check_error(tmp_path, text, "[sources.transforms]", "sources.transforms", "cannot be named 'transforms'")


def test_frames_cannot_follow_the_transforms(tmp_path: Path) -> None:
    text = scene_text(CHAIN, METRIC).replace('source = "net"\nsteps', 'source = "transforms"\nsteps')
    check_error(tmp_path, text, 'source = "transforms"', "frames.source", "no source named 'transforms'")


@pytest.mark.parametrize("weight", ["1.0", "-0.1"])
def test_weight_outside_0_1_is_located(tmp_path: Path, weight: str) -> None:
    text = scene_text(CHAIN.replace("weight = 0.7", f"weight = {weight}"), METRIC)
    expected = "less than 1" if weight == "1.0" else "greater than or equal to 0"
    check_error(tmp_path, text, f"weight = {weight}", "transforms.loss_ema.weight", expected)


def test_unknown_kind_and_bad_name_are_located(tmp_path: Path) -> None:
    text = scene_text(CHAIN.replace('kind = "ema"', 'kind = "emma"'), METRIC)
    check_error(tmp_path, text, 'kind = "emma"', "transforms.loss_ema.kind", "unknown transform kind", "'ema'")
    named = scene_text(CHAIN.replace("[transforms.best]", "[transforms.best-so-far]"), METRIC)
    check_error(tmp_path, named, "[transforms.best-so-far]", "transforms.best-so-far", "letters, digits or _")


def test_data_problems_are_located_when_the_transform_runs(tmp_path: Path) -> None:
    wide = '\n[transforms.loss_ema]\nkind = "moving_average"\nof = "net.loss"\nwidth = 11\n'
    check_error(
        tmp_path, scene_text(wide, METRIC), "width = 11", "transforms.loss_ema.width", "larger than", "(10)", run=True
    )
    points = '\n[transforms.loss_ema]\nkind = "moving_average"\nof = "net.loss"\nwidth = 3\nalong = "points"\n'
    check_error(
        tmp_path,
        scene_text(points, METRIC),
        'along = "points"',
        "transforms.loss_ema.along",
        "one number per step",
        run=True,
    )
