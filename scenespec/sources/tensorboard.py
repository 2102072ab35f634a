"""Source `tensorboard`: the scalars of a TensorBoard event-file folder, read with TensorBoard's own reader.

`tensorboard` is imported only when such a source is read, so that scenespec does not need it otherwise.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np
from pydantic import Field

from scenespec.errors import did_you_mean
from scenespec.sources._logtable import LogError, LogSource, LogTable, named_columns
from scenespec.sources.base import ResolveContext, register_source

EVENTS_MARK = "tfevents"
"""What an event file's name holds (`events.out.tfevents.…`), as TensorBoard recognises them."""


@register_source
class TensorBoardSource(LogSource):
    """The scalars of a TensorBoard log folder (written by `torch.utils.tensorboard.SummaryWriter`, Keras's
    `TensorBoard` callback, `tf.summary`), read with TensorBoard's `EventAccumulator`: every scalar point.

    Trace fields: one per scalar tag, recorded per step, named after the tag with every run of characters other
    than letters, digits and `_` turned into one `_` (`loss/train` -> `loss_train`). The steps are every step
    any tag was logged at; a tag not logged at a step is NaN there. A run is a sub-folder holding event files:
    `run` picks one (`path` alone must then hold event files itself). Needs `pip install tensorboard`
    (TensorFlow is not needed).
    """

    example = """
[sources.tb]
kind = "tensorboard"
path = "runs"         # the folder given to SummaryWriter or to `tensorboard --logdir`
run = "lr_0.01"       # the sub-folder of one run
"""

    kind: Literal["tensorboard"]
    path: str = Field(description="The log folder (TensorBoard's `--logdir`), relative to the spec file.")
    run: str | None = Field(
        None,
        description="The run: a sub-folder of `path` holding event files (as TensorBoard names runs, e.g. "
        "`lr_0.01` or `lr_0.01/train`). Default: `path` itself, which must then hold event files.",
    )

    def run_folder(self, ctx: ResolveContext) -> Path:
        folder = self.file(ctx)
        return folder / self.run if self.run is not None else folder

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        return event_files(self.run_folder(ctx))

    def read_table(self, ctx: ResolveContext) -> LogTable:
        module = reader_module(ctx)
        folder = self.file(ctx)
        if not folder.is_dir():
            raise LogError(f"{str(folder)!r} is not a folder" if folder.exists() else f"no folder {str(folder)!r}")
        runs = find_runs(folder)
        if self.run is None and "." not in runs:
            if not runs:
                raise LogError(f"no TensorBoard event files in {str(folder)!r} or its sub-folders")
            raise LogError(
                f"{str(folder)!r} holds no event files itself; choose a run with `run =` (runs: {', '.join(runs)})"
            )
        if self.run is not None and self.run not in runs:
            named = [run for run in runs if run != "."]
            hint = did_you_mean(self.run, named)
            listed = f"runs: {', '.join(named)}" if named else "it has no runs in sub-folders"
            raise LogError(f"{str(folder)!r} has no run {self.run!r}{hint} ({listed})", "run")
        run_folder = self.run_folder(ctx)
        size = sum(file.stat().st_size for file in event_files(run_folder))
        if size > ctx.limits.value("max_trace_bytes"):
            raise ctx.too_large(f"the event files of {str(run_folder)!r}", size)
        accumulator = module.EventAccumulator(str(run_folder), size_guidance={module.SCALARS: 0, module.TENSORS: 0})
        try:
            accumulator.Reload()
        except OSError as exc:
            raise LogError(f"cannot read the event files of {str(run_folder)!r}: {exc.strerror or exc}") from None
        series = scalar_series(accumulator, module)
        if not series:
            raise LogError(f"the event files of {str(run_folder)!r} hold no scalars: the log is empty")
        steps = np.array(sorted({step for points in series.values() for step in points}), dtype=np.int64)
        index = {int(step): i for i, step in enumerate(steps)}
        columns: dict[str, np.ndarray] = {}
        for tag, points in series.items():
            values = np.full(len(steps), np.nan)
            for step, value in points.items():  # a step logged twice keeps its last value
                if math.isinf(value):
                    raise LogError(f"tag {tag!r} at step {step}: not a finite number: {value}")
                values[index[step]] = value
            columns[tag] = values
        fields, origins = named_columns(columns, "tags")
        return LogTable(steps, fields, origins)


def reader_module(ctx: ResolveContext) -> ModuleType:
    """TensorBoard's event accumulator, imported now: a located error at `kind` when it is not installed."""
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError as exc:
        message = (
            f"reading TensorBoard event files needs the tensorboard package, which cannot be imported ({exc}): "
            "pip install tensorboard"
        )
        raise ctx.error(message, "kind") from None
    return event_accumulator


def scalar_series(accumulator: Any, module: ModuleType) -> dict[str, dict[int, float]]:
    """Tag -> step -> value of every scalar: those written the old way (a `simple_value`: torch's `add_scalar`)
    and the new way (a one-number tensor of the `scalars` plug-in: `tf.summary.scalar`, Keras, `new_style=True`)."""
    from tensorboard.util import tensor_util

    tags = accumulator.Tags()
    series = {
        tag: {int(event.step): float(event.value) for event in accumulator.Scalars(tag)}
        for tag in tags.get(module.SCALARS, [])
    }
    for tag in tags.get(module.TENSORS, []):
        if tag not in series and accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
            points = ((event.step, tensor_util.make_ndarray(event.tensor_proto)) for event in accumulator.Tensors(tag))
            series[tag] = {int(step): float(value.reshape(-1)[0]) for step, value in points if value.size == 1}
    return series


def event_files(folder: Path) -> list[Path]:
    """The event files directly in `folder`, by name (TensorBoard reads them in that order)."""
    try:
        return sorted(entry for entry in folder.iterdir() if EVENTS_MARK in entry.name and entry.is_file())
    except OSError:
        return []


def find_runs(folder: Path) -> list[str]:
    """Every folder under `folder` holding event files, relative to it (`.` for `folder` itself), sorted."""
    runs = [folder, *(sub for sub in sorted(folder.rglob("*")) if sub.is_dir())]
    return [sub.relative_to(folder).as_posix() for sub in runs if event_files(sub)]
