"""The linear trainer checked against independent computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenespec.errors import SpecError
from scenespec.pipeline import prepare
from scenespec.resolve.trace import Trace

SPEC = """
[sources.fit]
kind = "trainer"
data = {{ kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, seed = 0 }}
optimizer = {{ lr = {lr} }}
batch_size = {batch}
loss = "{loss}"
init = {{ w = -1.0, b = 1.0 }}
epochs = {epochs}
shuffle = {shuffle}

[[panels]]
layers = [{{ kind = "line", x = "fit.x", y = "fit.pred" }}]
"""


def trace_for(
    tmp_path: Path, lr: float = 0.01, batch: str = '"full"', loss: str = "mse", epochs: int = 10, shuffle: str = "false"
) -> Trace:
    spec = tmp_path / "t.toml"
    spec.write_text(SPEC.format(lr=lr, batch=batch, loss=loss, epochs=epochs, shuffle=shuffle))
    return prepare(spec).traces["fit"]


def test_data_is_the_articles_line_with_seeded_noise(tmp_path: Path) -> None:
    trace = trace_for(tmp_path)
    x, y = trace.static["x"], trace.static["y"]
    np.testing.assert_allclose(x, np.linspace(0, 10, 50))
    expected_noise = np.random.default_rng(0).normal(0.0, 1.0, 50)
    np.testing.assert_allclose(y, x - 2.0 + expected_noise)


def test_full_batch_converges_to_the_closed_form_least_squares_fit(tmp_path: Path) -> None:
    trace = trace_for(tmp_path, lr=0.02, epochs=20000)
    x, y = trace.static["x"], trace.static["y"]
    design = np.column_stack([x, np.ones_like(x)])
    (w_star, b_star), *_ = np.linalg.lstsq(design, y, rcond=None)
    assert trace.stepped["w"][-1] == pytest.approx(w_star, abs=1e-8)
    assert trace.stepped["b"][-1] == pytest.approx(b_star, abs=1e-8)


@pytest.mark.parametrize("loss", ["mse", "sse"])
def test_recorded_loss_and_predictions_equal_those_recomputed_from_recorded_weights(tmp_path: Path, loss: str) -> None:
    trace = trace_for(tmp_path, lr=1e-4, batch="1", loss=loss, epochs=30)
    x, y = trace.static["x"], trace.static["y"]
    w, b = trace.stepped["w"], trace.stepped["b"]
    for step in range(len(trace.steps)):
        pred = w[step] * x + b[step]
        residual_sq = (pred - y) ** 2
        expected = residual_sq.mean() if loss == "mse" else residual_sq.sum()
        np.testing.assert_allclose(trace.stepped["pred"][step], pred)
        assert trace.stepped["loss"][step] == pytest.approx(expected, rel=1e-12)


def test_per_sample_sgd_matches_a_plain_python_loop(tmp_path: Path) -> None:
    """Article 001's loop: one update per point, in order, on the squared error of that point."""
    trace = trace_for(tmp_path, lr=1e-4, batch="1", loss="sse", epochs=5)
    x, y = trace.static["x"].tolist(), trace.static["y"].tolist()
    w, b = -1.0, 1.0
    for epoch in range(1, 6):
        for xi, yi in zip(x, y, strict=True):
            err = w * xi + b - yi
            w, b = w - 1e-4 * 2 * err * xi, b - 1e-4 * 2 * err
        assert trace.stepped["w"][epoch] == pytest.approx(w, rel=1e-12)
        assert trace.stepped["b"][epoch] == pytest.approx(b, rel=1e-12)


def test_step_zero_is_the_initial_model_and_steps_count_epochs(tmp_path: Path) -> None:
    trace = trace_for(tmp_path, epochs=7)
    assert trace.steps.tolist() == list(range(8))
    assert (trace.stepped["w"][0], trace.stepped["b"][0]) == (-1.0, 1.0)


def test_minibatch_with_shuffle_is_deterministic_and_differs_from_unshuffled(tmp_path: Path) -> None:
    first = trace_for(tmp_path, batch="8", epochs=5, shuffle="true")
    again = trace_for(tmp_path, batch="8", epochs=5, shuffle="true")
    ordered = trace_for(tmp_path, batch="8", epochs=5, shuffle="false")
    np.testing.assert_array_equal(first.stepped["w"], again.stepped["w"])
    assert not np.allclose(first.stepped["w"][1:], ordered.stepped["w"][1:])


def test_loss_falls_under_the_articles_settings(linreg_path: Path) -> None:
    trace = prepare(linreg_path).traces["fit"]
    loss = trace.stepped["loss"]
    assert loss[-1] < loss[0] / 50
    assert np.all(np.diff(loss[:20]) < 0)


def test_divergence_is_a_spec_error_at_the_learning_rate(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        trace_for(tmp_path, lr=5.0, epochs=200)
    assert info.value.problems[0].path == ("sources", "fit", "optimizer", "lr")
    assert "diverged" in str(info.value)


def test_csv_data_next_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "pts.csv").write_text("a,b\n0,1\n1,3\n2,5\n3,7\n")
    spec = tmp_path / "c.toml"
    spec.write_text(
        '[sources.fit]\nkind = "trainer"\ndata = { kind = "csv", path = "pts.csv", x = "a", y = "b" }\n'
        "optimizer = { lr = 0.05 }\nepochs = 5000\n"
        '[[panels]]\nlayers = [{ kind = "line", x = "fit.x", y = "fit.pred" }]\n'
    )
    trace = prepare(spec).traces["fit"]
    np.testing.assert_array_equal(trace.static["x"], [0, 1, 2, 3])
    assert trace.stepped["w"][-1] == pytest.approx(2.0, abs=1e-6)
    assert trace.stepped["b"][-1] == pytest.approx(1.0, abs=1e-6)


def test_saved_trace_round_trips_and_is_a_source(tmp_path: Path) -> None:
    trace = trace_for(tmp_path, epochs=12)
    trace.save(tmp_path / "run.npz")
    loaded = Trace.load(tmp_path / "run.npz")
    np.testing.assert_array_equal(loaded.steps, trace.steps)
    for name in trace.names:
        np.testing.assert_array_equal(loaded.field(name).data, trace.field(name).data)
    spec = tmp_path / "s.toml"
    spec.write_text(
        '[sources.run]\nkind = "trace"\npath = "run.npz"\n'
        '[[panels]]\nlayers = [{ kind = "line", x = "run.x", y = "run.pred" }]\n'
    )
    prepared = prepare(spec)
    np.testing.assert_array_equal(prepared.traces["run"].stepped["pred"], trace.stepped["pred"])
    assert [f.step for f in prepared.frames] == list(range(13))
