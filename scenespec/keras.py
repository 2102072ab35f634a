"""A Keras 3 callback that records the user's own `fit` as a scenespec trace and renders a spec from it.

Article 002's tool is a Keras callback: the user trains *their* network and the figure shows it learning.
`SceneCallback` records, at the batches its `every` rule keeps, the fields the built-in `mlp` trainer
records (docs/learner.md), under the same names, so a spec written for `kind = "trainer"` draws a Keras
run unchanged; it adds the activations of named layers (`act_<layer>`), which Keras's own TensorBoard
callback no longer offers. At the end of `fit` it renders the spec with the recording as the source.

Keras is imported here only, never by `import scenespec`. The backend is Keras's choice
(`KERAS_BACKEND`, set before keras is first imported); it is tested on torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scenespec.api import Animation, Spec, read_spec
from scenespec.errors import did_you_mean
from scenespec.live_view import LiveViewer
from scenespec.pipeline import check_scene
from scenespec.record.rules import Keeper, RecordRule
from scenespec.resolve.trace import Trace
from scenespec.training.mlp import eval_indices

try:
    import keras
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "scenespec.keras needs Keras 3: pip install keras (and a backend: torch, jax or tensorflow)"
    ) from error

PREDICT_CHUNK = 4096
"""Points per forward pass when predicting on the data: bounds the memory one recording takes."""

ACT_PREFIX = "act_"


class SceneCallback(keras.callbacks.Callback):
    """Record `fit` every `every` batches (and the first and last) and render `spec` when training ends.

    - `spec`: a `scenespec.Spec`, or what `scenespec.load` takes (a path, spec text, a dict).
    - `source`: the spec's source the recording replaces (`traces={source: trace}`).
    - `data`: `(x, y)`, the data the whole-dataset `loss` is computed on (usually the training data); gives
      the static fields `x` and `y`.
    - `x_eval`, `y_eval`: where `pred` is drawn. By default `eval_points` points of `data` evenly spaced in
      x, as the built-in trainer takes them; `error` = (y_eval − pred)² and `abs_error` = |y_eval − pred|
      need `y_eval`.
    - `layers`: names of layers whose activations on `sample` (default `x_eval`) are recorded as
      `act_<name>` (sample × units per step).
    - `out`: the file written at the end of `fit` (None: render only; `animation` holds the result).
    - `live`: show the newest recorded batch while training, in one notebook output updated in place (in
      Jupyter) or in one window, drawn by a separate process so that training does not wait for it;
      `out` still holds every recorded batch, written when `fit` ends.
    """

    def __init__(
        self,
        spec: Spec | str | Path | dict[str, Any],
        source: str = "net",
        *,
        data: tuple[Any, Any] | None = None,
        x_eval: Any = None,
        y_eval: Any = None,
        eval_points: int = 200,
        every: int = 10,
        layers: Sequence[str] = (),
        sample: Any = None,
        out: str | Path | None = "keras_learner.gif",
        live: bool = False,
    ) -> None:
        super().__init__()
        self.source = source
        self.rule = RecordRule(every=every)  # the built-in trainer's and the Recorder's rule
        self.layer_names = tuple(layers)
        self.out = out
        self.animation: Animation | None = None
        self.trace: Trace | None = None
        self._keep_inputs(data, x_eval, y_eval, eval_points, sample)
        self.stepped = self._stepped_names(data is not None)
        self.spec = self._checked(spec)
        self.viewer = LiveViewer() if live else None  # a window that cannot open fails here, not mid-training

    def _keep_inputs(self, data: tuple[Any, Any] | None, x_eval: Any, y_eval: Any, points: int, sample: Any) -> None:
        """Keep the inputs as the model sees them, and the static fields as 1-D arrays when they have one feature."""
        self._data = None if data is None else (np.asarray(data[0]), np.asarray(data[1]))
        if x_eval is None:
            if self._data is None:
                raise ValueError("SceneCallback needs x_eval, or data to take the evaluation sample from")
            idx = eval_indices(_flat(self._data[0]), points) if _flat(self._data[0]).ndim == 1 else np.arange(points)
            x_eval, y_eval = self._data[0][idx], self._data[1][idx]
        self._x_eval = np.asarray(x_eval)
        self._y_eval = None if y_eval is None else _flat(np.asarray(y_eval))
        self._sample = self._x_eval if sample is None else np.asarray(sample)
        static = {"eval_x": _flat(self._x_eval)}
        if self._y_eval is not None:
            static["eval_y"] = self._y_eval
        if self._data is not None:
            static["x"], static["y"] = _flat(self._data[0]), _flat(self._data[1])
        self.static_fields = static

    def _stepped_names(self, has_data: bool) -> list[str]:
        names = ["pred", "batch_loss", "batch", "epoch"]
        if self._y_eval is not None:
            names += ["error", "abs_error"]
        if has_data:
            names.append("loss")
        return names + [ACT_PREFIX + name for name in self.layer_names]

    def _checked(self, spec: Spec | str | Path | dict[str, Any]) -> Spec:
        """The spec, its bindings to `source` checked against what this callback records, before training.

        A binding to a field the callback does not record is a `SpecError` naming it. The source's own
        declaration is not run or read (its `path`, if any, need not exist): the recording replaces it.
        """
        loaded = spec.loaded if isinstance(spec, Spec) else read_spec(spec)
        placeholder = Trace(
            steps=np.array([1]),
            static=self.static_fields,
            stepped={name: np.zeros(1) for name in self.stepped},
        )
        return Spec(loaded, check_scene(loaded, {self.source: placeholder}))

    # Keras hooks

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._probes = {name: self._probe(name) for name in self.layer_names}
        self._tracker = _loss_tracker(self.model)
        self._rows: dict[str, list[Any]] = {name: [] for name in self.stepped}
        self._steps: list[int] = []
        self._keeper = Keeper(self.rule)
        self._batch = 0
        self._epoch = 0
        self._seen = (0.0, 0.0)  # the loss tracker's (total, count) after the previous batch
        self._last: tuple[int, float] | None = None
        if self.viewer is not None:
            self.viewer.start(self.spec, self.source, self.static_fields, self.stepped)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch + 1
        self._seen = (0.0, 0.0)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._batch += 1
        batch_loss = self._batch_loss(logs or {})
        if self._keeper.keep(self._batch):
            self._record(self._batch, batch_loss)
        else:
            self._last = (self._batch, batch_loss)
        if self.viewer is not None:
            self.viewer.poll()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._last is not None and self._last[0] == self._batch:
            self._record(*self._last)  # the last batch, which the rule skipped
        if self.viewer is not None:
            self.viewer.finish()  # the last batch on screen
        self.trace = Trace(
            steps=np.asarray(self._steps, dtype=np.int64),
            static=self.static_fields,
            stepped={name: np.asarray(rows) for name, rows in self._rows.items()},
        )
        self.animation = self.spec.render(self.out, traces={self.source: self.trace})
        if self.viewer is not None:
            self.viewer.show_animation(self.animation)

    # What one step records

    def _record(self, batch: int, batch_loss: float) -> None:
        self._last = None
        pred = _flat(self._predict(self.model, self._x_eval))
        row: dict[str, Any] = {"pred": pred, "batch_loss": batch_loss, "batch": batch, "epoch": self._epoch}
        if self._y_eval is not None:
            row["error"] = (self._y_eval - pred) ** 2
            row["abs_error"] = np.abs(self._y_eval - pred)
        if self._data is not None:
            row["loss"] = self._whole_loss()
        for name, probe in self._probes.items():
            row[ACT_PREFIX + name] = self._predict(probe, self._sample)
        if self.viewer is not None:
            self.viewer.append(batch, row)
        self._steps.append(batch)
        for name, value in row.items():
            self._rows[name].append(value)

    def _batch_loss(self, logs: dict[str, Any]) -> float:
        """The loss of the batch just trained.

        Keras 3 reports in `logs["loss"]` the mean over the epoch so far, weighted by batch size; its loss
        tracker holds that mean's total and count, whose increments are this batch's own loss.
        """
        if self._tracker is None:
            return float(logs.get("loss", math.nan))
        total = float(keras.ops.convert_to_numpy(self._tracker.total))
        count = float(keras.ops.convert_to_numpy(self._tracker.count))
        before_total, before_count = self._seen
        self._seen = (total, count)
        if count <= before_count:
            return float(logs.get("loss", math.nan))
        return (total - before_total) / (count - before_count)

    def _whole_loss(self) -> float:
        """The model's own loss function on all of `data`, averaged over the points (no regularization term)."""
        assert self._data is not None
        x, y = self._data
        loss = keras.losses.get(self.model.loss)
        values = []
        for start in range(0, len(x), PREDICT_CHUNK):
            y_true = y[start : start + PREDICT_CHUNK]
            y_pred = self._predict(self.model, x[start : start + PREDICT_CHUNK])
            value = loss(keras.ops.convert_to_tensor(y_true.reshape(y_pred.shape)), keras.ops.convert_to_tensor(y_pred))
            per_point = np.broadcast_to(keras.ops.convert_to_numpy(value), (len(y_true),))
            values.append(per_point.astype(np.float64))
        return float(np.mean(np.concatenate(values)))

    @staticmethod
    def _predict(model: Any, x: np.ndarray) -> np.ndarray:
        """A forward pass in inference mode, in chunks; a plain call, cheaper than `predict`'s data pipeline."""
        parts = [
            np.asarray(keras.ops.convert_to_numpy(model(x[start : start + PREDICT_CHUNK], training=False)))
            for start in range(0, len(x), PREDICT_CHUNK)
        ]
        return np.concatenate(parts).astype(np.float64)

    def _probe(self, name: str) -> Any:
        """A model from the inputs to layer `name`'s output, built once (its weights are the training model's)."""
        names = [layer.name for layer in self.model.layers]
        if name not in names:
            raise ValueError(f"SceneCallback layers: the model has no layer {name!r}{did_you_mean(name, names)} "
                             f"(its layers: {', '.join(names)})")  # fmt: skip
        inputs = self.model.inputs
        return keras.Model(inputs[0] if len(inputs) == 1 else inputs, self.model.get_layer(name).output)


def _flat(values: np.ndarray) -> np.ndarray:
    """One feature or one output as a 1-D array (what a line or scatter binds); more features stay as they are."""
    values = np.asarray(values)
    return values.reshape(len(values)) if values.ndim == 2 and values.shape[1] == 1 else values


def _loss_tracker(model: Any) -> Any:
    """The `Mean` metric Keras 3 keeps the running epoch loss in (None if this model has no such tracker)."""
    for metric in getattr(model, "metrics", []):
        if metric.name == "loss" and hasattr(metric, "total") and hasattr(metric, "count"):
            return metric
    return None


__all__ = ["SceneCallback"]
