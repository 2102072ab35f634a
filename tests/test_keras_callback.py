"""scenespec.keras.SceneCallback against real Keras 3 on the torch backend.

Every recorded number is checked against an independent recomputation: a second, plain callback keeps
the Dense weights after every batch, and numpy redoes the forward pass, the losses and the activations.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re

os.environ["KERAS_BACKEND"] = "torch"  # before keras is first imported (no TensorFlow here)

import subprocess
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from PIL import Image
from system import XVFB, require, x_server

import scenespec
from scenespec.keras import SceneCallback

N, BATCH, EPOCHS, EVERY = 200, 32, 3, 5
BATCHES_PER_EPOCH = 7  # ceil(200 / 32): six of 32 points, the last of 8
TOTAL = BATCHES_PER_EPOCH * EPOCHS

SPEC: dict[str, Any] = {
    "scene": {"size": [4.0, 3.0], "dpi": 50},
    "sources": {"net": {"kind": "trace", "path": "fed-by-the-callback.npz"}},
    "panels": [
        {
            "layers": [
                {"kind": "scatter", "x": "net.x", "y": "net.y"},
                {"kind": "line", "x": "net.eval_x", "y": "net.pred"},
                {"kind": "band", "x": "net.eval_x", "y": "net.pred", "spread": "net.error"},
                {"kind": "text", "text": "batch {net.batch}, epoch {net.epoch}", "at": [0.1, 0.9], "coords": "axes"},
            ]
        },
        {"layers": [{"kind": "metric", "x": "net.batch", "y": "net.loss"}]},
    ],
}


class Weights(keras.callbacks.Callback):
    """The model's weights before training and after every batch: what the recomputations start from."""

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.after = {0: [np.array(w, dtype=np.float64) for w in self.model.get_weights()]}
        self.batch = 0

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.batch += 1
        self.after[self.batch] = [np.array(w, dtype=np.float64) for w in self.model.get_weights()]


def forward(weights: list[np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first hidden layer's activations, prediction) of the Dense 8-8 tanh network, in numpy."""
    w1, b1, w2, b2, w3, b3 = weights
    hidden = np.tanh(x @ w1 + b1)
    return hidden, (np.tanh(hidden @ w2 + b2) @ w3 + b3).ravel()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SceneCallback, Weights, np.ndarray, np.ndarray, Path]:
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, (N, 1))
    y = np.sin(2 * x[:, 0]) + rng.normal(0, 0.1, N)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(8, activation="tanh", name="dense_1"),
            keras.layers.Dense(8, activation="tanh", name="dense_2"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    out = tmp_path_factory.mktemp("keras") / "learner.gif"
    scene = SceneCallback(SPEC, data=(x, y), eval_points=50, every=EVERY, layers=["dense_1"], out=out)
    weights = Weights()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[weights, scene])
    return scene, weights, x, y, out


def test_the_every_rule_keeps_the_first_the_last_and_every_nth_batch(run) -> None:
    scene, *_ = run
    assert scene.trace is not None
    assert scene.trace.steps.tolist() == [1, 5, 10, 15, 20, 21]
    assert scene.trace.stepped["batch"].tolist() == [1, 5, 10, 15, 20, 21]
    assert scene.trace.stepped["epoch"].tolist() == [1, 1, 2, 3, 3, 3]


def test_pred_is_the_model_at_that_batch_on_the_evaluation_sample(run) -> None:
    scene, weights, x, _, _ = run
    eval_x = scene.trace.static["eval_x"]
    assert eval_x.shape == (50,) and np.all(np.diff(eval_x) >= 0)  # evenly taken from the x-sorted data
    assert np.isin(eval_x, x[:, 0]).all()
    for row, batch in enumerate(scene.trace.steps):
        _, pred = forward(weights.after[batch], eval_x[:, None])
        np.testing.assert_allclose(scene.trace.stepped["pred"][row], pred, rtol=1e-4, atol=1e-5)
    assert not np.allclose(scene.trace.stepped["pred"][0], scene.trace.stepped["pred"][-1])  # it did learn


def test_loss_and_error_are_recomputed_from_the_predictions(run) -> None:
    scene, weights, x, y, _ = run
    eval_y = scene.trace.static["eval_y"]
    for row, batch in enumerate(scene.trace.steps):
        _, pred = forward(weights.after[batch], x)
        np.testing.assert_allclose(scene.trace.stepped["loss"][row], np.mean((y - pred) ** 2), rtol=1e-4)
        error = (eval_y - scene.trace.stepped["pred"][row]) ** 2
        np.testing.assert_allclose(scene.trace.stepped["error"][row], error, rtol=1e-6)
        _, eval_pred = forward(weights.after[batch], scene.trace.static["eval_x"][:, None])
        np.testing.assert_allclose(scene.trace.stepped["abs_error"][row], np.abs(eval_y - eval_pred), atol=1e-5)
    np.testing.assert_array_equal(scene.trace.static["x"], x[:, 0])
    np.testing.assert_array_equal(scene.trace.static["y"], y)


def test_batch_loss_is_the_batch_own_loss_before_its_update(run) -> None:
    """Keras's logs hold the epoch's running mean; the callback records each batch's own loss."""
    scene, weights, x, y, _ = run
    for row, batch in enumerate(scene.trace.steps):
        start = ((batch - 1) % BATCHES_PER_EPOCH) * BATCH  # shuffle=False: batches are consecutive slices
        _, pred = forward(weights.after[batch - 1], x[start : start + BATCH])
        expected = np.mean((y[start : start + BATCH] - pred) ** 2)
        np.testing.assert_allclose(scene.trace.stepped["batch_loss"][row], expected, rtol=1e-4)


def test_activations_of_a_named_layer_on_the_sample(run) -> None:
    scene, weights, *_ = run
    eval_x = scene.trace.static["eval_x"]
    acts = scene.trace.stepped["act_dense_1"]
    assert acts.shape == (6, 50, 8)
    for row, batch in enumerate(scene.trace.steps):
        hidden, _ = forward(weights.after[batch], eval_x[:, None])
        np.testing.assert_allclose(acts[row], hidden, rtol=1e-4, atol=1e-5)


def test_the_gif_has_one_frame_per_recorded_batch(run) -> None:
    scene, *_, out = run
    with Image.open(out) as gif:
        assert gif.n_frames == 6
    assert scene.animation is not None and len(scene.animation) == 6


def test_a_field_the_callback_does_not_record_is_an_error_before_training() -> None:
    spec = {**SPEC, "panels": [{"layers": [{"kind": "line", "x": "net.eval_x", "y": "net.weights"}]}]}
    x = np.linspace(-1, 1, 20).reshape(-1, 1)
    with pytest.raises(scenespec.SpecError) as error:
        SceneCallback(spec, data=(x, x[:, 0]), out=None)
    assert "panels[0].layers[0].y: 'net.weights': source 'net' has no field 'weights'" in str(error.value)


def test_activations_of_a_layer_not_bound_by_the_callback_are_an_error() -> None:
    spec = {**SPEC, "panels": [{"layers": [{"kind": "line", "x": "net.eval_x", "y": "net.act_dense_2"}]}]}
    x = np.linspace(-1, 1, 20).reshape(-1, 1)
    with pytest.raises(scenespec.SpecError, match="no field 'act_dense_2'"):
        SceneCallback(spec, data=(x, x[:, 0]), layers=["dense_1"], out=None)


def test_an_unknown_layer_name_is_refused_when_training_starts() -> None:
    x = np.linspace(-1, 1, 20).reshape(-1, 1)
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="mse")
    scene = SceneCallback(SPEC, data=(x, x[:, 0]), layers=["outt"], out=None)
    with pytest.raises(ValueError, match="no layer 'outt'; did you mean 'out'"):
        model.fit(x, x[:, 0], epochs=1, verbose=0, callbacks=[scene])


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())


def test_import_scenespec_does_not_import_keras() -> None:
    result = run_python("import sys, scenespec; print('keras' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_keras_the_import_error_says_how_to_install_it() -> None:
    code = "import sys\nsys.modules['keras'] = None  # as if not installed\n"
    code += "try:\n    import scenespec.keras\nexcept ImportError as e:\n    print(e)"
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "pip install keras" in result.stdout


LIVE_CELL = """
import os
import re
os.environ["KERAS_BACKEND"] = "torch"
import keras, numpy as np
from scenespec.keras import SceneCallback

x = np.linspace(-3, 3, 200).reshape(-1, 1)
y = np.sin(2 * x[:, 0])
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
record = SceneCallback(SPEC, data=(x, y), eval_points=50, every=EVERY, out=OUT, live=True)
model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, callbacks=[record])
"""


def test_live_in_a_notebook_updates_one_display_and_ends_holding_the_animation(tmp_path: Path) -> None:
    """Article 002's problem: a notebook filling with one figure per batch. Live mode keeps one output, which shows
    the newest batch while training (drawn by another process) and the whole animation once `fit` ends."""
    import nbformat
    from nbclient import NotebookClient

    out = tmp_path / "live.gif"
    source = f"SPEC = {SPEC!r}\nOUT = {str(out)!r}\nEVERY = {EVERY}\n" + LIVE_CELL
    report = "import json\nprint(json.dumps({'shown': record.viewer.process.shown.steps, "
    report += "'recorded': record.trace.steps.tolist(), 'pid': record.viewer.process.process.pid, 'me': os.getpid()}))"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (source, report)])
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    displays = [o for o in notebook.cells[0].outputs if o.output_type == "display_data"]
    assert len(displays) == 1  # one display, updated in place (the other output is fit's History)
    html = displays[0].data["text/html"]
    gif = base64.b64decode(re.search(r'src="data:image/gif;base64,([^"]+)"', html).group(1))
    with Image.open(io.BytesIO(gif)) as shown, Image.open(out) as written:
        assert shown.n_frames == written.n_frames == 6  # batches 1, 5, 10, 15, 20, 21
        assert shown.size == written.size == (200, 150)
    numbers = json.loads(notebook.cells[1].outputs[0].text)
    assert numbers["recorded"] == [1, 5, 10, 15, 20, 21]
    shown_steps = numbers["shown"]
    assert shown_steps and shown_steps[-1] == 21  # the last batch was on screen before the animation replaced it
    assert shown_steps == sorted(set(shown_steps)) and set(shown_steps) <= set(numbers["recorded"])
    assert numbers["pid"] != numbers["me"]  # drawn by another process than the kernel that trains


WINDOW = """
import json, os, sys, time
os.environ["KERAS_BACKEND"] = "torch"
import keras, numpy as np
import matplotlib.pyplot as plt
from PIL import Image, ImageGrab
from scenespec.keras import SceneCallback

spec = json.loads(sys.argv[1])
x = np.linspace(-3, 3, 200).reshape(-1, 1)
y = np.sin(2 * x[:, 0])
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
record = SceneCallback(spec, data=(x, y), eval_points=50, every=5, out=None, live=True)
model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, callbacks=[record])
time.sleep(1.0)  # the drawing process has shown the last frame (finish waited for it); let the window settle
# The frame the drawing process showed last, drawn again here the same way (live limits grow with the data).
from scenespec.resolve.stream import StreamingTrace
trace = record.trace
stream = StreamingTrace(static=trace.static, stepped=list(trace.stepped))
for i, step in enumerate(trace.steps.tolist()):
    stream.append(step, **{name: rows[i] for name, rows in trace.stepped.items()})
live = record.spec.live({"net": stream}, newest=True)
live.close()
last = live.last_rgb
height, width = last.shape[:2]
shot = np.asarray(ImageGrab.grab(xdisplay=sys.argv[2]).convert("RGB")).astype(int)
# The window is the screen's only non-black area (Xvfb, no window manager); Tk may scale it by the screen's dpi.
rows, cols = np.nonzero(shot.sum(axis=2) > 0)
box = shot[: rows.max() + 1, : cols.max() + 1].astype("uint8")
window = np.asarray(Image.fromarray(box).resize((width, height), Image.Resampling.BOX)).astype(int)
def red(pixels):
    pixels = pixels.reshape(-1, 3)
    return int(np.sum((pixels[:, 0] > 230) & (pixels[:, 1] < 30) & (pixels[:, 2] < 30)))
print(json.dumps({
    "figures_here": len(plt.get_fignums()),
    "shown": record.viewer.process.shown.steps,
    "drawer_alive": record.viewer.process.process.poll() is None,
    "red": red(shot),
    "red_in_frame": red(last.astype(int)),
    "difference": float(np.abs(window - last.astype(int)).mean()),
}))
"""


def test_live_outside_a_notebook_shows_each_frame_in_one_window(tmp_path: Path) -> None:
    require(XVFB)
    with x_server(":97") as display:
        spec = json.loads(json.dumps(SPEC))
        spec["panels"][0]["layers"][1]["color"] = "red"
        env = {**os.environ, "DISPLAY": display}
        env.pop("MPLBACKEND", None)
        result = subprocess.run(
            [sys.executable, "-c", WINDOW, json.dumps(spec), display],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["figures_here"] == 0  # the training process draws nothing: the drawing process does
    assert report["drawer_alive"]  # and keeps the window open until the training process ends
    shown = report["shown"]
    assert shown and shown[-1] == 21 and shown == sorted(set(shown)) and set(shown) <= {1, 5, 10, 15, 20, 21}
    # The window holds the last frame, 1:1 at the screen's top left (no window manager on Xvfb).
    assert report["red_in_frame"] > 20 and report["red"] > 20  # the model line, drawn red, is on screen
    assert report["difference"] < 6  # the same picture, resampled
