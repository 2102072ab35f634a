"""The `classifier` source, checked against independent computations.

The replay below trains scikit-learn's MLPClassifier in a plain loop, following what the source documents
(scenespec/training/classifier.py): the digits divided by 16, `train_test_split(stratify=labels,
random_state=seed)`, one `partial_fit` per epoch on the training rows in the order of `default_rng(seed)`'s
next permutation. Embeddings are compared with a forward pass written here from the replayed weights.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from scenespec.errors import SpecError
from scenespec.pipeline import load_and_validate, prepare
from scenespec.resolve.trace import Trace
from scenespec.sources.classifier import ClassifierSource
from scenespec.steps_done import listening
from scenespec.training.classifier import DIGITS_COUNT, initial_weights


def spec_text(*lines: str) -> str:
    body = "\n".join(lines)
    return f"""
[sources.clf]
kind = "classifier"
{body}

[[panels]]
layers = [{{ kind = "metric", y = "clf.accuracy", x = "clf.epoch" }}]
"""


def resolve(tmp_path: Path, *lines: str, name: str = "t.toml") -> Trace:
    spec = write_spec(tmp_path, spec_text(*lines), name)
    return prepare(spec, cache=False).traces["clf"]


def relu_forward(x: np.ndarray, coefs: list[np.ndarray], intercepts: list[np.ndarray], upto: int) -> np.ndarray:
    """Layers 1..upto of the network: ReLU after every layer but the output one."""
    for i in range(upto):
        x = x @ coefs[i] + intercepts[i]
        if i < len(coefs) - 1:
            x = np.maximum(x, 0)
    return x


@dataclass
class Replay:
    test_x: np.ndarray
    test_y: np.ndarray
    test_index: np.ndarray
    nets: dict[int, MLPClassifier]  # epoch -> a copy of the network after it


def replay(*, epochs: int, seed: int = 0, test_size: float = 0.3, hidden: tuple[int, ...] = (64,)) -> Replay:
    digits = load_digits()
    x = digits.data / 16.0
    y = digits.target
    train_x, test_x, train_y, test_y, _, test_index = train_test_split(
        x, y, np.arange(len(y)), test_size=test_size, stratify=y, random_state=seed
    )
    rng = np.random.default_rng(seed)
    net = MLPClassifier(
        hidden_layer_sizes=hidden, learning_rate_init=1e-3, batch_size=32, random_state=seed, shuffle=False
    )
    nets = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: one iteration per call
        for epoch in range(1, epochs + 1):
            rows = rng.permutation(len(train_y))
            net.partial_fit(train_x[rows], train_y[rows], classes=np.arange(10))
            nets[epoch] = MLPClassifier(hidden_layer_sizes=hidden)
            nets[epoch].coefs_ = [c.copy() for c in net.coefs_]
            nets[epoch].intercepts_ = [b.copy() for b in net.intercepts_]
            nets[epoch].loss_ = net.loss_
            nets[epoch].predicted = net.predict(test_x)  # type: ignore[attr-defined]
    return Replay(test_x, test_y, test_index, nets)


def test_logits_at_every_checkpoint_equal_a_forward_pass_of_a_replayed_network(tmp_path: Path) -> None:
    trace = resolve(tmp_path, "epochs = 4", "seed = 3")
    expected = replay(epochs=4, seed=3)
    np.testing.assert_array_equal(trace.steps, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(trace.stepped["epoch"], trace.steps)
    np.testing.assert_array_equal(trace.static["index"], expected.test_index)
    np.testing.assert_array_equal(trace.static["labels"], expected.test_y)
    for row in range(1, 5):
        net = expected.nets[row]
        logits = relu_forward(expected.test_x, net.coefs_, net.intercepts_, 2)
        recorded = trace.stepped["embedding"][row]
        np.testing.assert_allclose(recorded, logits, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(np.argmax(recorded, axis=1), net.predicted)  # type: ignore[attr-defined]
        score = accuracy_score(expected.test_y, net.predicted)  # type: ignore[attr-defined]
        assert trace.stepped["accuracy"][row] == score
        assert trace.stepped["loss"][row] == net.loss_


def test_step_zero_is_the_network_scikit_learn_starts_from(tmp_path: Path) -> None:
    """scikit-learn's first `partial_fit` initialises and trains in one call; with a learning rate of 1e-300 its
    update is below float64 resolution for every weight, so the twin keeps the weights training starts from."""
    trace = resolve(tmp_path, "epochs = 1", "seed = 7", "hidden = [20, 12]")
    expected = replay(epochs=1, seed=7, hidden=(20, 12))
    twin = MLPClassifier(hidden_layer_sizes=(20, 12), learning_rate_init=1e-300, batch_size=32, random_state=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin.partial_fit(expected.test_x, expected.test_y, classes=np.arange(10))  # any data: only the init counts
    coefs, intercepts = initial_weights((20, 12), 7)
    for ours, theirs in zip(coefs + intercepts, twin.coefs_ + twin.intercepts_, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-250)
    logits = relu_forward(expected.test_x, twin.coefs_, twin.intercepts_, 3)
    np.testing.assert_allclose(trace.stepped["embedding"][0], logits, rtol=0, atol=1e-12)
    assert trace.stepped["accuracy"][0] == accuracy_score(expected.test_y, np.argmax(logits, axis=1))
    assert math.isnan(trace.stepped["loss"][0])
    assert not np.allclose(trace.stepped["embedding"][0], trace.stepped["embedding"][1], atol=1e-3)


def test_split_is_stratified_deterministic_by_seed_and_keeps_the_images(tmp_path: Path) -> None:
    digits = load_digits()
    first = resolve(tmp_path, "epochs = 1", "seed = 4", name="a.toml")
    again = resolve(tmp_path, "epochs = 1", "seed = 4", name="b.toml")
    other = resolve(tmp_path, "epochs = 1", "seed = 5", name="c.toml")
    half = resolve(tmp_path, "epochs = 1", "test_size = 0.5", name="d.toml")
    index = first.static["index"]
    assert len(index) == math.ceil(0.3 * 1797) == 540 and len(set(index.tolist())) == 540
    np.testing.assert_array_equal(first.static["labels"], digits.target[index])
    np.testing.assert_array_equal(first.static["images"], digits.images[index] / 16.0)
    assert first.static["images"].min() == 0.0 and first.static["images"].max() == 1.0
    held = np.bincount(first.static["labels"], minlength=10)
    total = np.bincount(digits.target, minlength=10)
    assert np.all(np.abs(held - 0.3 * total) <= 1), (held, total)  # each class in its share
    np.testing.assert_array_equal(again.static["index"], index)
    assert not np.array_equal(np.sort(other.static["index"]), np.sort(index))
    assert len(half.static["index"]) == 899
    assert len(digits.target) == DIGITS_COUNT


def test_the_trace_has_the_shared_layout(tmp_path: Path) -> None:
    trace = resolve(tmp_path, "epochs = 2")
    assert trace.steps.dtype == np.int64
    expected = {
        "labels": ((540,), np.int64),
        "images": ((540, 8, 8), np.float64),
        "index": ((540,), np.int64),
        "embedding": ((3, 540, 10), np.float64),
        "accuracy": ((3,), np.float64),
        "loss": ((3,), np.float64),
        "epoch": ((3,), np.int64),
    }
    arrays = trace.static | trace.stepped
    assert {name: (arrays[name].shape, arrays[name].dtype) for name in arrays} == expected
    source = ClassifierSource.model_validate({"kind": "classifier", "epochs": 2})
    assert source.fields(None) == {name: name in trace.stepped for name in expected}  # type: ignore[arg-type]
    shape = source.trace_shape(None)  # type: ignore[arg-type]
    assert shape.steps == 3
    assert {name: size.per_step for name, size in shape.fields.items()} == {
        name: math.prod(value.shape[1:] if name in trace.stepped else value.shape) for name, value in arrays.items()
    }


@pytest.mark.parametrize(
    ("rule", "epochs", "steps"),
    [
        ("{ every = 3 }", 7, [0, 3, 6, 7]),
        ("{ every = 2 }", 4, [0, 2, 4]),
        ("{ epochs = [5, 2, 2] }", 6, [0, 2, 5, 6]),
        ("{ epochs = [0, 1] }", 3, [0, 1, 3]),
    ],
)
def test_steps_follow_the_record_rule_with_epoch_zero_and_the_last(
    tmp_path: Path, rule: str, epochs: int, steps: list[int]
) -> None:
    kept = resolve(tmp_path, f"epochs = {epochs}", f"record = {rule}", "hidden = [16]", name="kept.toml")
    full = resolve(tmp_path, f"epochs = {epochs}", "hidden = [16]", name="full.toml")
    np.testing.assert_array_equal(kept.steps, steps)
    np.testing.assert_array_equal(full.steps, np.arange(epochs + 1))
    for name in ("embedding", "accuracy", "loss", "epoch"):
        np.testing.assert_array_equal(kept.stepped[name], full.stepped[name][steps])
    source = ClassifierSource.model_validate(
        {"kind": "classifier", "epochs": epochs, "record": {"every": 3} if "every = 3" in rule else {"epochs": [1]}}
    )
    assert source.trace_shape(None).steps == len(source.record.kept(epochs))  # type: ignore[arg-type]


def test_the_same_spec_twice_gives_identical_traces(tmp_path: Path) -> None:
    first = resolve(tmp_path, "epochs = 3", "hidden = [16, 8]", 'embedding = "hidden"', name="a.toml")
    again = resolve(tmp_path, "epochs = 3", "hidden = [16, 8]", 'embedding = "hidden"', name="b.toml")
    np.testing.assert_array_equal(first.steps, again.steps)
    for name, value in (first.static | first.stepped).items():
        np.testing.assert_array_equal(value, (again.static | again.stepped)[name])


def test_with_the_defaults_accuracy_rises_from_chance_to_above_ninety_percent(tmp_path: Path) -> None:
    """Measured (seed 0, scikit-learn 1.9): 0.076 held-out accuracy at epoch 0, 0.580 after 1, 0.974 after 30."""
    trace = resolve(tmp_path)
    np.testing.assert_array_equal(trace.steps, np.arange(31))
    accuracy = trace.stepped["accuracy"]
    assert accuracy[0] < 0.2
    assert accuracy[-1] > 0.9
    assert trace.stepped["loss"][-1] < trace.stepped["loss"][1]


@pytest.mark.parametrize(("embedding", "layer", "width"), [("hidden", 2, 8), ("hidden:1", 1, 16), ("hidden:2", 2, 8)])
def test_a_hidden_embedding_is_that_layers_relu_activations(
    tmp_path: Path, embedding: str, layer: int, width: int
) -> None:
    trace = resolve(tmp_path, "epochs = 2", "hidden = [16, 8]", f'embedding = "{embedding}"', "seed = 1")
    expected = replay(epochs=2, seed=1, hidden=(16, 8))
    assert trace.stepped["embedding"].shape == (3, 540, width)
    net = expected.nets[2]
    activations = relu_forward(expected.test_x, net.coefs_, net.intercepts_, layer)
    np.testing.assert_allclose(trace.stepped["embedding"][2], activations, rtol=0, atol=1e-12)
    assert trace.stepped["embedding"].min() == 0.0  # ReLU: some units are off
    logits = relu_forward(expected.test_x, net.coefs_, net.intercepts_, 3)
    assert trace.stepped["accuracy"][2] == accuracy_score(expected.test_y, np.argmax(logits, axis=1))


def test_progress_is_reported_per_epoch(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    with listening(lambda done, total: seen.append((done, total))):
        resolve(tmp_path, "epochs = 3", "hidden = [8]")
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def validation_error(tmp_path: Path, *lines: str) -> tuple[SpecError, Path, str]:
    text = spec_text(*lines)
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    return info.value, spec, text


@pytest.mark.parametrize(
    ("lines", "line", "key", "fragments"),
    [
        (
            ('embedding = "hidden:3"',),
            "embedding",
            "sources.clf.embedding",
            ("hidden layer 3", "the network has 1 hidden layer (hidden = [64]); use hidden:1"),
        ),
        (
            ("hidden = [8, 8]", 'embedding = "hidden:5"'),
            "embedding",
            "sources.clf.embedding",
            ("the network has 2 hidden layers", "hidden:1 to hidden:2"),
        ),
        (('embedding = "hidden:0"',), "embedding", "sources.clf.embedding", ("`hidden:K`",)),
        (('embedding = "pca"',), "embedding", "sources.clf.embedding", ("`logits`, `hidden`", "'pca'")),
        (("test_size = 0.001",), "test_size", "sources.clf.test_size", ("holds out 2 of the 1797", "at least 10")),
        (("test_size = 1.0",), "test_size", "sources.clf.test_size", ("less than 1",)),
        (('data = "mnist"',), "data", "sources.clf.data", ("digits",)),
        (("record = { every = 2, epochs = [3] }",), "record", "sources.clf.record", ("exactly one of",)),
        (("record = { batches = [3] }",), "record", "sources.clf.record.batches", ("unknown key",)),
        (
            ("epochs = 5", "record = { epochs = [2, 9, 7] }"),
            "record",
            "sources.clf.record.epochs",
            ("epoch 7 is beyond the last epoch", "5 epochs"),
        ),
        (("hidden = []",), "hidden", "sources.clf.hidden", ("at least 1",)),
        (("lr = 0",), "lr", "sources.clf.lr", ("greater than 0",)),
        (
            ("epochs = 100000", "batch_size = 1", "record = { every = 1000 }"),
            "epochs",
            "sources.clf.epochs",
            ("1,257 training images", "125,700,000 updates", "limits.max_training_batches"),
        ),
        (
            ("epochs = 20000", "hidden = [10000]", 'embedding = "hidden"', "batch_size = 2000"),
            "epochs",
            "sources.clf.epochs",
            ("20,001 recorded steps", "limits.max_trace_bytes"),
        ),
        (
            (
                "epochs = 20000",
                "hidden = [10000]",
                'embedding = "hidden"',
                "batch_size = 2000",
                "record = { every = 1 }",
            ),
            "record",
            "sources.clf.record",
            ("20,001 recorded steps", "limits.max_trace_bytes"),
        ),
    ],
)
def test_bad_settings_are_errors_at_their_key(
    tmp_path: Path, lines: tuple[str, ...], line: str, key: str, fragments: tuple[str, ...]
) -> None:
    error, spec, text = validation_error(tmp_path, *lines)
    where = line_of(text, f"{line} =") if f"{line} =" in text else line_of(text, "[sources.clf]")
    assert_located(error, spec, where, key, *fragments)


def test_divergence_is_an_error_at_the_learning_rate(tmp_path: Path) -> None:
    text = spec_text("epochs = 3", "lr = 1e300")
    spec = write_spec(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning escapes either
        with pytest.raises(SpecError) as info:
            prepare(spec, cache=False)
    assert_located(info.value, spec, line_of(text, "lr ="), "sources.clf.lr", "diverged at epoch 1")


def test_the_json_schema_checks_the_embedding_as_the_model_does(tmp_path: Path) -> None:
    schema = Path(__file__).resolve().parents[1] / "docs" / "scenespec.schema.json"
    good = write_spec(tmp_path, spec_text("hidden = [8, 8]", 'embedding = "hidden:2"'), "good.toml")
    bad = write_spec(tmp_path, spec_text('embedding = "hidden:0"'), "bad.toml")

    def check(spec: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(spec)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    passed = check(good)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    result = check(bad)
    assert result.returncode == 1 and "hidden:0" in result.stdout, result.stdout + result.stderr
