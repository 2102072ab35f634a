"""`scenespec.Recorder`: a user's own training loop logs its numbers; scenespec animates them.

`static(...)` once for what does not change (the data), `log(step, ...)` per step for what does (loss,
predictions). Each kept step is written as it is logged (`store.py`), so a run killed at any moment leaves
every completed step readable; the same steps are available in memory as a `Trace` or, while the run goes,
as a `StreamingTrace` for a live render. A `RecordRule` (shared with the built-in trainer) picks the steps kept.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from scenespec.record.layout import NUMERIC_KINDS, FieldLayout
from scenespec.record.rules import Keeper, RecordRule
from scenespec.record.store import FolderStore, MemoryStore
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace
from scenespec.validate.base import FIELD_NAME_RE

if TYPE_CHECKING:
    from scenespec.api import Animation, Spec
    from scenespec.live_view import LiveViewer


class Recorder:
    """Record a training run step by step, into the folder `path` (a `recording` source reads it) or, with no
    path, in memory only.

    `every=n` keeps every n-th step; `record=RecordRule(...)` any rule (a list of steps, a mask, a relative
    change of the loss). The first step is always kept, and so is the last one logged: a skipped step's values
    are held until the next step is logged, and `close()` writes them if no later step came (`keep_last=False`
    drops them and saves the copy). `sync_every=n` also fsyncs the files every n kept steps (a power loss,
    not only a crash of the process; `close` always does).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        every: int | None = None,
        record: RecordRule | None = None,
        keep_last: bool = True,
        sync_every: int | None = None,
    ) -> None:
        if every is not None and record is not None:
            raise ValueError("give either every or record, not both")
        if sync_every is not None and sync_every < 1:
            raise ValueError(f"sync_every must be at least 1; got {sync_every!r}")
        self.rule = record if record is not None else RecordRule(every=every)
        self.path = Path(path) if path is not None else None
        self.keep_last = keep_last
        self.sync_every = sync_every
        self.closed = False
        self._store: FolderStore | MemoryStore = FolderStore(self.path) if self.path is not None else MemoryStore()
        self._keeper: Keeper = self.rule.keeper()
        self._static: dict[str, np.ndarray] = {}
        self._layouts: dict[str, FieldLayout] = {}
        self._first: dict[str, int] = {}
        self._last_step: int | None = None
        self._pending: tuple[int, dict[str, np.ndarray]] | None = None
        self._kept = 0
        self._stream: StreamingTrace | None = None
        self._failed: BaseException | None = None
        self._show: _Show | None = None
        self.animation: Animation | None = None
        """What `show(..., out=...)` wrote when the recorder closed."""

    def static(self, **values: Any) -> None:
        """Record fields that do not change over the run (the data set, an evaluation sample): arrays or numbers."""
        self._check_open()
        arrays = {}
        for name, value in values.items():
            _check_name(name)
            if name in self._static or name in self._layouts:
                kind = "static" if name in self._static else "stepped"
                raise ValueError(f"field {name!r} is already recorded as a {kind} field")
            arrays[name] = _numeric(name, np.array(as_array(value)), "static value")
        self._store.write_static(self._static | arrays)
        self._static |= arrays
        if self._stream is not None:
            self._stream.static.update(arrays)

    def log(self, step: int, **values: Any) -> None:
        """Record step `step` (steps increase strictly): every stepped field's value, a number or an array
        (numpy, or anything with `__array__`, or a torch tensor: detached and copied to the CPU).

        The first logged step fixes the fields and each one's shape and dtype; later steps give the same
        fields with the same shapes, and values that convert to the dtype without loss.
        """
        self._check_open()
        try:
            number = operator.index(step)
        except TypeError:
            raise TypeError(f"step must be a whole number, not {type(step).__name__}") from None
        if isinstance(step, bool):
            raise TypeError("step must be a whole number, not bool")
        if self._last_step is not None and number <= self._last_step:
            raise ValueError(f"step {number} after step {self._last_step}: steps must increase")
        if self._show is not None and self._show.viewer.process is not None:
            self._show.viewer.poll()  # the newest frame into the notebook; a failed drawing raises here
        rows = self._rows(number, values)
        loss = self._watched(number, rows) if self.rule.needs_loss else None
        if not self._layouts:
            self._start(number, rows)
        self._last_step = number
        if self._keeper.keep(number, loss):
            self._pending = None
            self._write(number, rows)
        elif self.keep_last:
            self._pending = (number, {name: row.copy() for name, row in rows.items()})

    def close(self) -> None:
        """End the recording: write the last logged step if the rule skipped it, sync the files, close the
        stream (a live render writes its last frame and its file). Closing twice does nothing."""
        if self.closed:
            return
        self.closed = True
        try:
            if self._pending is not None and self._failed is None:
                self._write(*self._pending)
                self._pending = None
        finally:
            self._store.close()
            if self._stream is not None:
                self._stream.close()
        if self._show is not None and self._failed is None:
            self._finish_show(self._show)

    def show(
        self,
        spec: Spec | str | Path | dict[str, Any],
        source: str,
        *,
        out: str | Path | None = None,
        view: str | None = None,
    ) -> LiveViewer:
        """Show the run while it is recorded: `spec`, with its source `source` fed by the kept steps, drawn in a
        separate process (training never waits for a frame; when it falls behind it skips to the newest step)
        and shown in one notebook output or one window (`view`: "notebook", "window" or "none"; by default where
        the code runs). When the recorder closes, `out` is written with every kept step, and in a notebook the
        output then holds that animation. Call before the first `log`; a window that cannot open fails here.
        """
        from scenespec.api import Spec, read_spec
        from scenespec.live_view import LiveViewer

        if self._layouts:
            raise ValueError("show the run before its first log: the view starts with the first step")
        loaded = spec.loaded if isinstance(spec, Spec) else read_spec(spec)
        viewer = LiveViewer(view)  # type: ignore[arg-type]
        self._show = _Show(loaded, source, viewer, out)
        return viewer

    def _start_show(self, show: _Show) -> None:
        """At the first kept step: check the spec's bindings against what is recorded, then start drawing."""
        from scenespec.api import Spec
        from scenespec.pipeline import check_scene

        first = self.trace()
        show.spec = Spec(show.loaded, check_scene(show.loaded, {show.source: first}))
        show.viewer.start(show.spec, show.source, dict(self._static), list(self._layouts))

    def _finish_show(self, show: _Show) -> None:
        if show.viewer.process is None:
            return
        show.viewer.finish()
        if show.spec is not None:
            self.animation = show.spec.render(show.out, traces={show.source: self.trace()})
            show.viewer.show_animation(self.animation)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def steps(self) -> list[int]:
        """The steps kept so far."""
        return self.trace().steps.tolist()

    def trace(self) -> Trace:
        """A `Trace` of the steps kept so far and the static fields, for `Spec.render(traces={...})`."""
        return self._store.trace()

    def stream(self, fields: Iterable[str] | None = None) -> StreamingTrace:
        """A `StreamingTrace` that receives every kept step as it is logged (and the steps kept before), for
        `Spec.live(traces={...})`; it closes when the recorder does. The same one each call.

        Made before the first `log`, it needs the stepped `fields` the steps will record, so that a live render
        can check the spec's bindings before any step arrives; after it, the fields are known.
        """
        if self._stream is None:
            done = self.trace()
            names = list(self._layouts) or (list(fields) if fields is not None else None)
            if names is not None:
                for name in names:
                    _check_name(name)
            stream = StreamingTrace(static=dict(self._static), stepped=names)
            for index, step in enumerate(done.steps.tolist()):
                stream.append(step, **{name: rows[index] for name, rows in done.stepped.items()})
            if self.closed:
                stream.close()
            self._stream = stream
        return self._stream

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("the recorder is closed")
        if self._failed is not None:
            raise ValueError(f"the recorder stopped after an earlier error: {self._failed}") from self._failed

    def _rows(self, step: int, values: dict[str, Any]) -> dict[str, np.ndarray]:
        """Each value as an array of its field's dtype, checked against the fields' first steps."""
        if not values:
            raise ValueError(f"step {step}: no field given")
        if self._layouts:
            missing, extra = sorted(set(self._layouts) - set(values)), sorted(set(values) - set(self._layouts))
            if missing or extra:
                raise ValueError(
                    f"step {step}: every step records the fields of the first ({', '.join(self._layouts)}); "
                    f"missing {missing}, unexpected {extra}"
                )
        rows = {}
        for name, value in values.items():
            array = np.asarray(as_array(value))
            layout = self._layouts.get(name)
            if layout is None:
                _check_name(name)
                if name in self._static:
                    raise ValueError(f"field {name!r} is already recorded as a static field")
                array = _numeric(name, array, f"step {step}")
                rows[name] = array
                continue
            first = self._first[name]
            if array.shape != layout.shape:
                raise ValueError(
                    f"field {name!r} at step {step} has shape {array.shape}; its first step ({first}) had "
                    f"shape {layout.shape}, which every step keeps"
                )
            if not np.can_cast(array.dtype, layout.dtype, "safe"):
                raise ValueError(
                    f"field {name!r} at step {step} holds {array.dtype} values; its first step ({first}) fixed "
                    f"its dtype as {layout.dtype.name}, which they do not convert to without loss"
                )
            rows[name] = array.astype(layout.dtype, copy=False)
        return rows

    def _start(self, step: int, rows: dict[str, np.ndarray]) -> None:
        """The first step fixes the fields, their shapes and dtypes (little-endian on disk)."""
        expected = self._stream.stepped_names if self._stream is not None else ()
        if expected and set(expected) != set(rows):
            raise ValueError(f"step {step}: the stream was made for fields {sorted(expected)}; got {sorted(rows)}")
        for name, row in rows.items():
            dtype = row.dtype.newbyteorder("<") if row.dtype.byteorder != "|" else row.dtype
            self._layouts[name] = FieldLayout(dtype, row.shape)
            self._first[name] = step
            rows[name] = row.astype(dtype, copy=False)
        self._store.start(self._layouts)

    def _watched(self, step: int, rows: dict[str, np.ndarray]) -> float:
        """The value the `change` rule watches at this step."""
        field = self.rule.field
        if field not in rows:
            raise ValueError(f"step {step}: the change rule watches {field!r}, which this step does not log")
        if rows[field].size != 1:
            raise ValueError(f"the change rule watches {field!r}, which must be one number; it has {rows[field].shape}")
        return float(rows[field].reshape(()))

    def _write(self, step: int, rows: dict[str, np.ndarray]) -> None:
        try:
            self._store.append(step, rows)
            self._kept += 1
            if self.sync_every is not None and self._kept % self.sync_every == 0:
                self._store.sync()
        except BaseException as error:  # a half-written step would misalign later ones: stop here
            self._failed = error
            raise
        if self._stream is not None:
            self._stream.append(step, **{name: row.copy() for name, row in rows.items()})
        if self._show is not None:
            if self._show.viewer.process is None:
                self._start_show(self._show)
            self._show.viewer.append(step, rows)


@dataclass
class _Show:
    """A live view the recorder drives (`Recorder.show`)."""

    loaded: Any
    source: str
    viewer: LiveViewer
    out: str | Path | None
    spec: Spec | None = None


def as_array(value: Any) -> Any:
    """A value as something numpy reads: a torch tensor is detached and moved to the CPU first (duck-typed, so
    torch is never imported here); other values (numbers, arrays, anything with `__array__`) as they are."""
    if hasattr(value, "detach") and callable(value.detach):
        value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        if hasattr(value, "numpy"):
            return value.numpy()
    return value


def _check_name(name: str) -> None:
    if not FIELD_NAME_RE.fullmatch(name):
        raise ValueError(f"{name!r} is not a field name: letters, digits and underscores, not starting with a digit")


def _numeric(name: str, array: np.ndarray, where: str) -> np.ndarray:
    if array.dtype.kind not in NUMERIC_KINDS:
        raise ValueError(f"field {name!r} ({where}): {array.dtype} values; a field holds numbers or booleans")
    return array
