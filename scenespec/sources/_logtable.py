"""What the training-log sources (`csv`, `jsonl`, `tensorboard`) share: a table of numbers, one row per step.

A log is read once per render into a `LogTable`; its columns become stepped fields, named by `field_name`. Each
kind only parses its format into named columns of numbers and says where a value came from; the checks that make the
steps a timeline (whole numbers, strictly increasing) and the names bindable are here, so all three agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape
from scenespec.validate.base import field_name


@dataclass(frozen=True)
class LogTable:
    """A log read into numbers: step per row, and each field's rows (its first axis runs over the steps)."""

    steps: np.ndarray
    columns: dict[str, np.ndarray]
    origins: dict[str, str]
    """Field name -> the column, key or tag it comes from (only where they differ)."""

    def trace(self) -> Trace:
        return Trace(steps=self.steps, stepped=dict(self.columns))


class LogError(ValueError):
    """A problem with the log's content; `key` is the setting to blame (`path` unless said)."""

    def __init__(self, message: str, key: str = "path") -> None:
        super().__init__(message)
        self.key = key


def whole_steps(values: list[float], where: Callable[[int], str], step_key: str) -> np.ndarray:
    """The step of each row as int64: finite whole numbers, strictly increasing; `where(i)` names row i."""
    for i, value in enumerate(values):
        if not math.isfinite(value) or value != round(value):
            raise LogError(f"{where(i)}: step column {step_key!r} holds {value:g}, not a whole number")
        if i and value <= values[i - 1]:
            raise LogError(
                f"{where(i)}: step {value:g} after step {values[i - 1]:g}: steps must be strictly increasing "
                "(one row per step, in order)"
            )
    return np.asarray(values, dtype=np.int64)


def named_columns(columns: dict[str, np.ndarray], what: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Columns keyed by field name, and the original names that differ; two originals with one name are refused."""
    named: dict[str, np.ndarray] = {}
    origins: dict[str, str] = {}
    firsts: dict[str, str] = {}
    for original, values in columns.items():
        name = field_name(original)
        if name in firsts:
            raise LogError(
                f"{what} {firsts[name]!r} and {original!r} both become field {name!r} (a field name keeps only "
                f"letters, digits and _); rename one in the log"
            )
        firsts[name] = original
        named[name] = values
        if name != original:
            origins[name] = original
    return named, origins


class LogSource(SourceSpec):
    """Base of the sources that read a training log: `path` relative to the spec, a table read once per render."""

    path: str = Field(description="The log, relative to the spec file.")

    cacheable: ClassVar[bool] = False
    """Reading a log is as cheap as reading a cached trace, and always sees the file as it is now."""

    def file(self, ctx: ResolveContext) -> Path:
        """`path` relative to the spec's folder (an absolute `path` stays as it is)."""
        return ctx.folder("path") / self.path

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        return [self.file(ctx)]

    def followed(self, ctx: ResolveContext) -> list[Path]:
        return [self.file(ctx)]  # a file, or a TensorBoard run folder (followed with its sub-folders)

    def table(self, ctx: ResolveContext) -> LogTable:
        """The log's numbers, read once per render (for `fields` when validating, then for `resolve`)."""
        table = self.once(("table", ctx.base_dir), partial(self._table, ctx))
        self._memo["origins"] = table.origins
        return table

    def _table(self, ctx: ResolveContext) -> LogTable:
        try:
            return self.read_table(ctx)
        except LogError as exc:
            raise ctx.error(str(exc), exc.key) from None

    def read_table(self, ctx: ResolveContext) -> LogTable:
        """Parse the log; raise LogError (or a located SpecError) for what the user must fix."""
        raise NotImplementedError

    def read_text(self, ctx: ResolveContext) -> str:
        """The log file as text: checked against `max_trace_bytes` before it is read (its numbers take about as
        much memory as its text), and read through `read_input` so that it is read once."""
        file = self.file(ctx)
        try:
            size = file.stat().st_size
            if size > ctx.limits.value("max_trace_bytes"):
                raise ctx.too_large(repr(str(file)), size)
            data = self.read_input(file)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ctx.error(f"cannot read {str(file)!r}: {reason}", "path") from None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ctx.error(f"{file.name} is not UTF-8 text ({exc.reason} at byte {exc.start})", "path") from None

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        return dict.fromkeys(self.table(ctx).columns, True)

    def field_origins(self) -> dict[str, str]:
        origins: dict[str, str] = self._memo.get("origins", {})
        return origins

    def trace_shape(self, ctx: ResolveContext) -> TraceShape:
        """The table's size (the file is read at `validate` anyway, to know its fields)."""
        table = self.table(ctx)
        shapes = {name: values.shape[1:] for name, values in table.columns.items()}
        return TraceShape.of(len(table.steps), {}, shapes, ("path",))

    def resolve(self, ctx: ResolveContext) -> Trace:
        return self.table(ctx).trace()


def cell_number(text: str) -> float | None:
    """A logged number: NaN for an empty cell or `nan` (nothing logged there), None for text that is no number."""
    text = text.strip()
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def series_steps(values: list[float], where: Callable[[int], str], step_key: str) -> np.ndarray:
    """`whole_steps`, after refusing a row with no step (an empty cell, a missing key)."""
    for i, value in enumerate(values):
        if math.isnan(value):
            raise LogError(f"{where(i)}: no step: every row needs a number in {step_key!r}")
    return whole_steps(values, where, step_key)
