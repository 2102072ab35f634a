"""The trainer's `mlp` model and the `function` data, checked against independent computations.

The replay below re-trains scikit-learn's MLPRegressor in a plain loop, following the batching the
source documents (scenespec/training/mlp.py): a `default_rng(seed)` permutation per epoch, consecutive
slices of `batch_size` points, one `partial_fit` per slice, weights initialised by `random_state=seed`.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec
from pydantic import TypeAdapter
from sklearn.neural_network import MLPRegressor

from scenespec.errors import SpecError
from scenespec.pipeline import load_and_validate, prepare
from scenespec.resolve.trace import Trace
from scenespec.sources.trainer import LinearTrainer, MlpTrainer, TrainerModel

DATA = 'data = { kind = "function", target = "sine", n = 150, noise = 0.2, seed = 3 }'


def spec_text(*lines: str, data: str = DATA, model: str = "mlp") -> str:
    body = "\n".join(lines)
    return f"""
[sources.fit]
kind = "trainer"
model = "{model}"
{data}
{body}

[[panels]]
layers = [{{ kind = "line", x = "fit.x", y = "fit.y" }}]
"""


def resolve(tmp_path: Path, *lines: str, data: str = DATA, model: str = "mlp", name: str = "t.toml") -> Trace:
    spec = write_spec(tmp_path, spec_text(*lines, data=data, model=model), name)
    return prepare(spec).traces["fit"]


def validation_error(tmp_path: Path, text: str) -> tuple[SpecError, Path]:
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    return info.value, spec


def replay(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch: int,
    epochs: int,
    seed: int,
    hidden: tuple[int, ...] = (32, 32),
    activation: str = "relu",
    solver: str = "adam",
    lr: float = 1e-3,
    alpha: float = 0.0,
) -> dict[int, tuple[np.ndarray, float, int]]:
    """Batch number -> (prediction on all of x, mse on that batch after its update, epoch)."""
    rng = np.random.default_rng(seed)
    net = MLPRegressor(
        hidden_layer_sizes=hidden,
        activation=activation,
        solver=solver,
        learning_rate_init=lr,
        alpha=alpha,
        random_state=seed,
        shuffle=False,
    )
    features = x.reshape(-1, 1)
    out: dict[int, tuple[np.ndarray, float, int]] = {}
    number = 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            net.set_params(batch_size=len(idx))
            net.partial_fit(features[idx], y[idx])
            number += 1
            out[number] = (net.predict(features), float(np.mean((y[idx] - net.predict(features[idx])) ** 2)), epoch)
    return out


def test_eval_sample_is_evenly_spaced_in_sorted_order_and_error_is_the_squared_residual(tmp_path: Path) -> None:
    trace = resolve(tmp_path, "batch_size = 16", "epochs = 2", "eval_points = 40")
    x, y = trace.static["x"], trace.static["y"]
    order = np.argsort(x, kind="stable")
    picked = order[[round(i * (len(x) - 1) / 39) for i in range(40)]]
    np.testing.assert_array_equal(trace.static["eval_x"], x[picked])
    np.testing.assert_array_equal(trace.static["eval_y"], y[picked])
    assert np.all(np.diff(trace.static["eval_x"]) > 0)
    pred = trace.stepped["pred"]
    assert pred.shape == (len(trace.steps), 40)
    np.testing.assert_array_equal(trace.stepped["error"], (trace.static["eval_y"][None, :] - pred) ** 2)


def test_eval_sample_size_does_not_depend_on_the_data_and_is_all_of_small_data(tmp_path: Path) -> None:
    big = resolve(tmp_path, "epochs = 1", data='data = { kind = "function", n = 3000 }', name="big.toml")
    assert big.static["eval_x"].shape == (200,)
    small = resolve(tmp_path, "epochs = 1", "eval_points = 500", name="small.toml")
    np.testing.assert_array_equal(small.static["eval_x"], np.sort(small.static["x"]))


@pytest.mark.parametrize(
    ("network", "settings"),
    [
        ("", {}),
        (
            'network = { hidden = [8, 4], activation = "tanh", solver = "sgd", lr = 0.01, alpha = 0.001 }',
            {"hidden": (8, 4), "activation": "tanh", "solver": "sgd", "lr": 0.01, "alpha": 0.001},
        ),
        (
            'network = { hidden = [16], activation = "logistic", lr = 0.01 }',
            {"hidden": (16,), "activation": "logistic", "lr": 0.01},
        ),
    ],
)
def test_every_batch_matches_an_independent_partial_fit_replay(
    tmp_path: Path, network: str, settings: dict[str, object]
) -> None:
    trace = resolve(tmp_path, "batch_size = 32", "epochs = 3", "seed = 5", "eval_points = 50", network)
    x, y = trace.static["x"], trace.static["y"]
    expected = replay(x, y, batch=32, epochs=3, seed=5, **settings)  # type: ignore[arg-type]
    assert len(expected) == 3 * math.ceil(150 / 32)
    np.testing.assert_array_equal(trace.steps, np.arange(1, len(expected) + 1))
    np.testing.assert_array_equal(trace.stepped["batch"], trace.steps)
    picked = np.searchsorted(np.sort(x), trace.static["eval_x"])
    eval_positions = np.argsort(x, kind="stable")[picked]
    for row, step in enumerate(trace.steps):
        full, batch_loss, epoch = expected[int(step)]
        np.testing.assert_allclose(trace.stepped["pred"][row], full[eval_positions], rtol=0, atol=1e-12)
        assert trace.stepped["loss"][row] == pytest.approx(np.mean((y - full) ** 2), rel=1e-12, abs=1e-12)
        assert trace.stepped["batch_loss"][row] == pytest.approx(batch_loss, rel=1e-12, abs=1e-12)
        assert trace.stepped["epoch"][row] == epoch


def test_abs_error_is_the_absolute_residual_of_an_independent_replay(tmp_path: Path) -> None:
    """`abs_error` is |y - pred| at the evaluation sample, in y units, with pred from a replay of the training."""
    trace = resolve(tmp_path, "batch_size = 32", "epochs = 2", "seed = 4", "eval_points = 30")
    x, y = trace.static["x"], trace.static["y"]
    expected = replay(x, y, batch=32, epochs=2, seed=4)
    eval_positions = np.argsort(x, kind="stable")[[round(i * (len(x) - 1) / 29) for i in range(30)]]
    assert trace.stepped["abs_error"].shape == (len(trace.steps), 30)
    for row, step in enumerate(trace.steps):
        full = expected[int(step)][0]
        by_hand = np.abs(y[eval_positions] - full[eval_positions])
        np.testing.assert_allclose(trace.stepped["abs_error"][row], by_hand, rtol=0, atol=1e-12)
        np.testing.assert_allclose(trace.stepped["error"][row], by_hand**2, rtol=1e-12, atol=1e-15)
    assert trace.stepped["abs_error"][-1].max() > 0


def test_defaults_batch_32_shuffled_every_batch_recorded(tmp_path: Path) -> None:
    trace = resolve(tmp_path, "epochs = 2")
    x, y = trace.static["x"], trace.static["y"]
    expected = replay(x, y, batch=32, epochs=2, seed=0)
    np.testing.assert_array_equal(trace.steps, np.arange(1, 2 * 5 + 1))
    assert trace.stepped["loss"][-1] == pytest.approx(np.mean((y - expected[10][0]) ** 2), rel=1e-12)
    assert set(trace.names) == set(trainer(mlp_source()).fields(None))  # type: ignore[arg-type]


def test_unshuffled_batches_follow_the_data_order(tmp_path: Path) -> None:
    trace = resolve(tmp_path, "epochs = 2", "batch_size = 50", "shuffle = false", "eval_points = 150")
    x, y = trace.static["x"], trace.static["y"]
    net = MLPRegressor(hidden_layer_sizes=(32, 32), learning_rate_init=1e-3, alpha=0.0, random_state=0, shuffle=False)
    for _ in range(2):
        for start in range(0, 150, 50):
            net.set_params(batch_size=50)
            net.partial_fit(x[start : start + 50, None], y[start : start + 50])
    np.testing.assert_allclose(trace.stepped["pred"][-1], net.predict(np.sort(x)[:, None]), rtol=0, atol=1e-12)


def test_same_seed_same_trace_other_seed_other_trace(tmp_path: Path) -> None:
    first = resolve(tmp_path, "epochs = 2", "seed = 1", name="a.toml")
    again = resolve(tmp_path, "epochs = 2", "seed = 1", name="b.toml")
    other = resolve(tmp_path, "epochs = 2", "seed = 2", name="c.toml")
    np.testing.assert_array_equal(first.steps, again.steps)
    for name in first.stepped:
        np.testing.assert_array_equal(first.stepped[name], again.stepped[name])
    for name in first.static:
        np.testing.assert_array_equal(first.static[name], again.static[name])
    assert not np.array_equal(first.stepped["pred"], other.stepped["pred"])


def test_record_every_n_keeps_first_and_last(tmp_path: Path) -> None:
    # 150 points in batches of 32: 5 batches per epoch, 4 epochs -> batches 1..20.
    every = resolve(tmp_path, "epochs = 4", "record = { every = 3 }", name="every.toml")
    np.testing.assert_array_equal(every.steps, [1, 3, 6, 9, 12, 15, 18, 20])
    np.testing.assert_array_equal(every.stepped["batch"], every.steps)
    np.testing.assert_array_equal(every.stepped["epoch"], [1, 1, 2, 2, 3, 3, 4, 4])
    full = resolve(tmp_path, "epochs = 4", name="full.toml")
    rows = every.steps - 1
    for name in ("pred", "error", "abs_error", "loss", "batch_loss", "epoch"):
        np.testing.assert_array_equal(every.stepped[name], full.stepped[name][rows])


def test_record_explicit_batches_plus_first_and_last(tmp_path: Path) -> None:
    listed = resolve(tmp_path, "epochs = 4", "record = { batches = [7, 2, 5, 7] }", name="list.toml")
    np.testing.assert_array_equal(listed.steps, [1, 2, 5, 7, 20])
    full = resolve(tmp_path, "epochs = 4", name="full.toml")
    np.testing.assert_array_equal(listed.stepped["loss"], full.stepped["loss"][listed.steps - 1])


@pytest.mark.parametrize("threshold", [0.01, 0.05, 0.2])
def test_record_on_change_picks_the_batches_the_rule_says(tmp_path: Path, threshold: float) -> None:
    full = resolve(tmp_path, "epochs = 6", "network = { lr = 0.01 }", name="full.toml")
    loss = full.stepped["loss"]
    total = len(loss)
    expected, last = [1], loss[0]
    for batch in range(2, total + 1):
        value = loss[batch - 1]
        if batch == total or abs(value - last) > threshold * abs(last):
            expected.append(batch)
            last = value
    changed = resolve(tmp_path, "epochs = 6", "network = { lr = 0.01 }", f"record = {{ change = {threshold} }}")
    np.testing.assert_array_equal(changed.steps, expected)
    np.testing.assert_array_equal(changed.stepped["loss"], loss[np.asarray(expected) - 1])
    assert 2 < len(expected) < total  # the rule really selects


def test_batches_beyond_the_last_batch_are_an_error_at_the_key(tmp_path: Path) -> None:
    text = spec_text("epochs = 2", "record = { batches = [1, 10, 11] }")
    spec = write_spec(tmp_path, text)
    load_and_validate(spec)
    with pytest.raises(SpecError) as info:
        prepare(spec)
    assert_located(info.value, spec, line_of(text, "record ="), "sources.fit.record.batches", "batch 11", "10 batches")


def mlp_source(**keys: object) -> dict[str, object]:
    return {"kind": "trainer", "model": "mlp", "data": {"kind": "function"}, **keys}


def trainer(data: dict[str, object]) -> LinearTrainer | MlpTrainer:
    """The trainer a spec's `[sources.NAME]` table makes (`model` picks the class)."""
    return TypeAdapter(TrainerModel).validate_python(data)


def test_model_picks_the_trainer_linear_by_default() -> None:
    assert type(trainer({"kind": "trainer", "data": {"kind": "function"}})) is LinearTrainer
    assert type(trainer({"kind": "trainer", "model": "linear", "data": {"kind": "function"}})) is LinearTrainer
    assert type(trainer(mlp_source())) is MlpTrainer


def test_fields_are_known_per_model_before_training() -> None:
    linear = trainer({"kind": "trainer", "data": {"kind": "function"}})
    assert linear.fields(None) == {"x": False, "y": False, "w": True, "b": True, "pred": True, "loss": True}  # type: ignore[arg-type]
    mlp = trainer(mlp_source())
    assert mlp.fields(None) == {  # type: ignore[arg-type]
        "x": False,
        "y": False,
        "eval_x": False,
        "eval_y": False,
        "pred": True,
        "error": True,
        "abs_error": True,
        "loss": True,
        "batch_loss": True,
        "batch": True,
        "epoch": True,
    }


@pytest.mark.parametrize(
    ("model", "line", "key", "fragment"),
    [
        ("mlp", "init = { w = 1.0 }", "sources.fit.init", 'setting of model = "linear"'),
        ("mlp", "optimizer = { lr = 0.1 }", "sources.fit.optimizer", 'setting of model = "linear"'),
        ("mlp", 'loss = "sse"', "sources.fit.loss", 'setting of model = "linear"'),
        ("linear", "network = { hidden = [4] }", "sources.fit.network", 'setting of model = "mlp"'),
        ("linear", "record = { every = 2 }", "sources.fit.record", 'setting of model = "mlp"'),
        ("linear", "eval_points = 50", "sources.fit.eval_points", 'setting of model = "mlp"'),
        ("mlp", "record = { every = 2, change = 0.1 }", "sources.fit.record", "exactly one of"),
        ("mlp", "record = { }", "sources.fit.record", "exactly one of"),
        ("mlp", "record = { every = 0 }", "sources.fit.record.every", "greater than 0"),
        ("mlp", "record = { batch = [1] }", "sources.fit.record.batch", "did you mean 'batches'"),
        ("mlp", 'network = { activation = "relu6" }', "sources.fit.network.activation", "relu"),
        ("mlp", "network = { hidden = [] }", "sources.fit.network.hidden", "at least 1"),
        ("mlp", 'network = { solver = "lbfgs" }', "sources.fit.network.solver", "adam"),
    ],
)
def test_settings_of_the_other_model_and_bad_settings_are_errors_at_their_key(
    tmp_path: Path, model: str, line: str, key: str, fragment: str
) -> None:
    text = spec_text(line, model=model)
    error, spec = validation_error(tmp_path, text)
    assert_located(error, spec, line_of(text, line), key, fragment)


def test_a_key_of_the_other_model_is_unknown_at_the_users_path(tmp_path: Path) -> None:
    """`model` left out is `linear`; the path printed is the spec's, without pydantic's union tags."""
    text = spec_text("eval_points = 50", model="linear").replace('model = "linear"\n', "")
    error, spec = validation_error(tmp_path, text)
    assert_located(error, spec, line_of(text, "eval_points"), "sources.fit.eval_points")
    problem = error.problems[0]
    assert problem.message == (
        'unknown key \'eval_points\'; it is a setting of model = "mlp", not of model = "linear" (the default)'
    )
    assert problem.path == ("sources", "fit", "eval_points")


def test_an_unknown_model_is_an_error_at_model_with_a_suggestion(tmp_path: Path) -> None:
    text = spec_text(model="mpl")
    error, spec = validation_error(tmp_path, text)
    assert_located(error, spec, line_of(text, "mpl"), "sources.fit.model")
    assert error.problems[0].message == "unknown model 'mpl'; did you mean 'mlp'? (expected one of: linear, mlp)"


def test_linear_model_trains_on_function_data(tmp_path: Path) -> None:
    data = 'data = { kind = "function", target = "linear", n = 40, noise = 0.0, spacing = "even" }'
    trace = resolve(tmp_path, "optimizer = { lr = 0.05 }", "epochs = 3000", data=data, model="linear")
    assert set(trace.names) == {"x", "y", "w", "b", "pred", "loss"}
    assert trace.stepped["w"][-1] == pytest.approx(2.0, abs=1e-6)
    assert trace.stepped["b"][-1] == pytest.approx(1.0, abs=1e-6)


def test_no_warning_escapes_even_with_sgd_and_a_tiny_network(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve(tmp_path, "epochs = 3", 'network = { hidden = [2], solver = "sgd", lr = 0.1, activation = "identity" }')


def test_divergence_is_an_error_at_the_learning_rate(tmp_path: Path) -> None:
    data = 'data = { kind = "function", x = [0, 1000], n = 100 }'
    text = spec_text("epochs = 5", 'network = { solver = "sgd", lr = 10.0 }', data=data)
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        prepare(spec)
    assert_located(info.value, spec, line_of(text, "network ="), "sources.fit.network.lr", "diverged at batch")


# --- data kind `function` ---------------------------------------------------------------------------------


def data_of(tmp_path: Path, data: str) -> tuple[np.ndarray, np.ndarray]:
    trace = resolve(tmp_path, "epochs = 1", data=f"data = {{ kind = 'function', {data} }}")
    return trace.static["x"], trace.static["y"]


@pytest.mark.parametrize(
    ("target", "truth"),
    [
        ("linear", lambda x: 2 * x + 1),
        ("sine", lambda x: np.sin(2 * x)),
        ("step", lambda x: (x >= 0).astype(float)),
    ],
)
def test_targets_equal_their_formulas_without_noise(tmp_path: Path, target: str, truth: object) -> None:
    x, y = data_of(tmp_path, f'target = "{target}", noise = 0.0, n = 301')
    assert x.min() >= -3 and x.max() <= 3 and len(x) == 301
    np.testing.assert_array_equal(y, truth(x))  # type: ignore[operator]


def test_default_points_are_sorted_uniform_draws_and_noise_is_seeded(tmp_path: Path) -> None:
    x, y = data_of(tmp_path, "n = 500, noise = 0.3, seed = 9")
    rng = np.random.default_rng(9)
    expected_x = np.sort(rng.uniform(-3, 3, 500))
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_allclose(y, 2 * expected_x + 1 + 0.3 * rng.normal(0.0, 1.0, 500), rtol=0, atol=1e-12)


def test_even_spacing_and_a_formula_target(tmp_path: Path) -> None:
    x, y = data_of(tmp_path, 'formula = "x**2 - abs(x)", noise = 0.0, spacing = "even", x = [-2, 4], n = 61')
    np.testing.assert_allclose(x, np.linspace(-2, 4, 61))
    np.testing.assert_allclose(y, x**2 - np.abs(x), rtol=0, atol=1e-12)


def test_noise_grows_with_x(tmp_path: Path) -> None:
    x, y = data_of(tmp_path, "n = 6000, noise = 0.2, noise_growth = 3.0, seed = 1")
    residual = y - (2 * x + 1)
    left, right = residual[x < -1], residual[x > 1]
    assert right.std() > 2 * left.std()
    # sd(x) = 0.2 · (1 + 3 · (x + 3) / 6); over a third, the residuals' sd is the root mean square of sd(x)
    sd = 0.2 * (1 + 3 * (x + 3) / 6)
    assert left.std() == pytest.approx(np.sqrt(np.mean(sd[x < -1] ** 2)), rel=0.1)
    assert right.std() == pytest.approx(np.sqrt(np.mean(sd[x > 1] ** 2)), rel=0.1)
    flat = data_of(tmp_path, "n = 6000, noise = 0.2, seed = 1")
    flat_residual = flat[1] - (2 * flat[0] + 1)
    assert flat_residual[flat[0] > 1].std() == pytest.approx(flat_residual[flat[0] < -1].std(), rel=0.1)


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("__import__('os').system('true')", "__import__"),
        ("x.__class__", "attribute access is not allowed"),
        ("x + y", "'y'"),
    ],
)
def test_hostile_or_unknown_formula_is_rejected_at_the_formula_key(tmp_path: Path, formula: str, fragment: str) -> None:
    data = f'data = {{ kind = "function", formula = "{formula}" }}'
    text = spec_text("epochs = 1", data=data)
    error, spec = validation_error(tmp_path, text)
    assert_located(error, spec, line_of(text, "data ="), "sources.fit.data.formula", fragment)


def test_formula_and_target_together_is_an_error(tmp_path: Path) -> None:
    data = 'data = { kind = "function", target = "sine", formula = "x" }'
    text = spec_text(data=data)
    error, spec = validation_error(tmp_path, text)
    assert_located(error, spec, line_of(text, "data ="), "sources.fit.data", "either `target`")


def test_formula_undefined_on_the_range_is_an_error_when_the_data_is_made(tmp_path: Path) -> None:
    data = 'data = { kind = "function", formula = "log(x)", x = [-1, 1] }'
    text = spec_text("epochs = 1", data=data)
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        prepare(spec)
    assert_located(info.value, spec, line_of(text, "data ="), "sources.fit.data.formula", "not a finite number")
