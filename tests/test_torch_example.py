"""examples/torch_trajectory.py: a torch.nn.Linear trained by torch.optim.SGD with momentum, recorded with
scenespec.Recorder and rendered by examples/torch_trajectory.toml.

Every recorded number is checked against numpy: the weights against SGD with momentum written out by hand
(torch's rule: v = μ·v + g, p = p − lr·v), the loss and the line against the weights, the loss surface
against the data, the least-squares point against `np.polyfit`.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

import scenespec
from scenespec.record.reader import read_recording

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "torch_trajectory.py"
STEPS, EVERY = 20, 3
KEPT = [0, 3, 6, 9, 12, 15, 18, 20]  # every 3rd step, and the last


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("torch_trajectory", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_example()


@pytest.fixture(scope="module")
def run(example: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[scenespec.Trace, Path]:
    """The example's `main` with a short run, writing into a fresh folder laid out as the repository is: the
    spec in examples/, the output (and so the recording) one level up."""
    folder = tmp_path_factory.mktemp("torch")
    (folder / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "torch_trajectory.toml", folder / "examples")
    trace = example.main(out=folder / "torch_trajectory.gif", steps=STEPS, every=EVERY)
    return trace, folder


def momentum_sgd(
    x: np.ndarray, y: np.ndarray, start: tuple[float, float], lr: float, mu: float, steps: int
) -> np.ndarray:
    """(w, b) after 0, 1, …, `steps` full-batch updates of the mean squared error, in numpy."""
    w, b = start
    vw = vb = 0.0
    path = [(w, b)]
    for _ in range(steps):
        residual = w * x + b - y
        gw, gb = np.mean(2 * residual * x), np.mean(2 * residual)
        vw, vb = mu * vw + gw, mu * vb + gb
        w, b = w - lr * vw, b - lr * vb
        path.append((w, b))
    return np.array(path)


def test_the_every_rule_keeps_every_third_step_and_the_last(run) -> None:
    trace, _ = run
    assert trace.steps.tolist() == KEPT


def test_the_weights_follow_sgd_with_momentum_computed_in_numpy(run, example: ModuleType) -> None:
    trace, _ = run
    x, y = trace.static["x"], trace.static["y"]
    expected = momentum_sgd(x, y, (-1.5, 3.0), lr=0.02, mu=0.9, steps=STEPS)[KEPT]
    np.testing.assert_allclose(trace.stepped["w"], expected[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.stepped["b"], expected[:, 1], rtol=1e-12, atol=1e-12)
    assert (example.LR, example.MOMENTUM, example.START) == (0.02, 0.9, (-1.5, 3.0))  # the numbers used above


def test_the_loss_and_the_line_are_those_of_the_recorded_weights(run) -> None:
    trace, _ = run
    x, y = trace.static["x"], trace.static["y"]
    assert x.shape == (40,) and np.all(np.diff(x) >= 0)
    w, b = trace.stepped["w"], trace.stepped["b"]
    pred = w[:, None] * x[None, :] + b[:, None]
    np.testing.assert_allclose(trace.stepped["pred"], pred, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.stepped["loss"], np.mean((pred - y) ** 2, axis=1), rtol=1e-12)
    assert trace.stepped["loss"][-1] < trace.stepped["loss"][0] / 5


def test_the_loss_surface_is_the_mean_squared_error_at_each_grid_point(run) -> None:
    trace, _ = run
    x, y = trace.static["x"], trace.static["y"]
    grid_w, grid_b, grid_loss = trace.static["grid_w"], trace.static["grid_b"], trace.static["grid_loss"]
    assert grid_w.shape == grid_b.shape == grid_loss.shape == (121, 121)
    for i, j in [(0, 0), (0, 120), (120, 0), (60, 60), (17, 93)]:
        w, b = grid_w[i, j], grid_b[i, j]
        assert grid_loss[i, j] == pytest.approx(
            sum((w * xi + b - yi) ** 2 for xi, yi in zip(x, y, strict=True)) / len(x)
        )
    assert (grid_w[0, 0], grid_w[0, -1], grid_b[0, 0], grid_b[-1, 0]) == (-2.5, 4.0, -3.0, 4.0)


def test_the_least_squares_point_is_the_fit_of_the_data(run) -> None:
    trace, _ = run
    slope, intercept = np.polyfit(trace.static["x"], trace.static["y"], 1)
    np.testing.assert_allclose(trace.static["w_best"], [slope], rtol=1e-10)
    np.testing.assert_allclose(trace.static["b_best"], [intercept], rtol=1e-10)


def test_the_gif_has_one_frame_per_recorded_step_at_the_spec_size(run) -> None:
    _, folder = run
    scene = scenespec.load(folder / "examples" / "torch_trajectory.toml").scene.scene
    with Image.open(folder / "torch_trajectory.gif") as gif:
        assert gif.n_frames == len(KEPT)
        assert gif.size == (round(scene.size[0] * scene.dpi), round(scene.size[1] * scene.dpi)) == (1100, 550)


def test_the_spec_renders_the_recording_folder_the_example_left(run) -> None:
    """The spec's `recording` source (`../runs/torch_trajectory`, relative to the spec) finds the folder the
    example wrote beside its output, and reads the same numbers it rendered from memory."""
    trace, folder = run
    assert read_recording(folder / "runs" / "torch_trajectory").steps.tolist() == KEPT
    animation = scenespec.load(folder / "examples" / "torch_trajectory.toml").render()
    assert len(animation) == len(KEPT)
    read = animation.traces["fit"]
    assert read.steps.tolist() == KEPT
    for name, values in trace.stepped.items():
        np.testing.assert_array_equal(read.stepped[name], values)
    for name, values in trace.static.items():
        np.testing.assert_array_equal(read.static[name], values)


def test_the_spec_loads_before_any_recording_exists(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "torch_trajectory.toml", tmp_path / "examples")
    spec = scenespec.load(tmp_path / "examples" / "torch_trajectory.toml")
    with pytest.raises(
        scenespec.SpecError,
        match=r"torch_trajectory.toml:\d+: sources.fit.path: no recording at .*the folder does not exist",
    ):
        spec.render()


def test_the_full_run_overshoots_the_minimum_and_settles_on_it(example: ModuleType) -> None:
    """With the example's own settings the path is worth watching: momentum carries (w, b) past the
    least-squares point along the valley and back, inside the drawn loss surface, and ends on it."""
    rec = example.train(None)
    trace = rec.trace()
    assert trace.steps.tolist() == list(range(0, 121, 2))
    w, b = trace.stepped["w"], trace.stepped["b"]
    w_best, b_best = trace.static["w_best"][0], trace.static["b_best"][0]
    assert w.max() > w_best + 0.5 and b.min() < b_best - 0.5  # it overshoots
    assert abs(w[-1] - w_best) < 0.01 and abs(b[-1] - b_best) < 0.01  # and settles
    assert np.all((w >= -2.5) & (w <= 4.0) & (b >= -3.0) & (b <= 4.0))  # on the drawn surface
    np.testing.assert_allclose(
        momentum_sgd(trace.static["x"], trace.static["y"], (-1.5, 3.0), 0.02, 0.9, 120)[::2],
        np.stack([w, b], axis=1),
        rtol=1e-11,
        atol=1e-11,
    )
