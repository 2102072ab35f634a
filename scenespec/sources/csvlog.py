"""Source `csv`: a training log written as CSV, one row per step; every numeric column becomes a stepped field.

Not the trainer's `data = { kind = "csv" }` (two columns a trainer learns from): that is a data kind inside the
`trainer` source, this is a source kind of its own (`sources.NAME.kind`), so the two never meet in one union.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Literal

import numpy as np
from pydantic import Field

from scenespec.errors import did_you_mean
from scenespec.sources._logtable import LogError, LogSource, LogTable, cell_number, named_columns, series_steps
from scenespec.sources.base import ResolveContext, register_source


@register_source
class CsvLogSource(LogSource):
    """A training log as CSV: a header row, then one row per step (e.g. what a training loop or Keras's
    `CSVLogger` writes).

    Trace fields: every numeric column, recorded per step (the step column too), named after its header with
    every run of characters other than letters, digits and `_` turned into one `_` (`val loss` -> `val_loss`). An
    empty cell (or `nan`) is NaN: nothing logged at that step, e.g. a validation loss logged every 5 epochs. A
    column with no number at all (a timestamp, a phase name) is left out; a column with numbers and a cell that is
    not one is an error naming its row.
    """

    example = """
[sources.log]
kind = "csv"
path = "runs/training_log.csv"   # header: epoch,train_loss,val_loss
step = "epoch"
"""

    kind: Literal["csv"]
    step: str = Field("step", description="The column holding the step of each row: whole numbers, increasing.")

    def read_table(self, ctx: ResolveContext) -> LogTable:
        text = self.read_text(ctx)
        name = self.file(ctx).name
        reader = csv.reader(io.StringIO(text, newline=""))
        rows: list[tuple[int, list[str]]] = []
        try:
            header = next(reader, None)
            for cells in reader:
                if any(cell.strip() for cell in cells):  # a blank line is not a row
                    rows.append((reader.line_num, cells))
        except csv.Error as exc:  # a stray quote, a cell longer than the csv module's limit
            raise LogError(f"{name}:{reader.line_num}: not a CSV row: {exc}") from None
        if header is None:
            raise LogError(f"{name} is empty: a log needs a header row, then one row per step")
        header = [cell.strip() for cell in header]
        if not rows:
            raise LogError(f"{name} has a header row and no rows: the log is empty")
        for j, column in enumerate(header):
            if column and column in header[:j]:
                raise LogError(f"{name}: column {column!r} appears twice in the header")
        if self.step not in header:
            named = [column for column in header if column]
            hint = did_you_mean(self.step, named)
            raise LogError(f"{name} has no column {self.step!r}{hint} (columns: {', '.join(named)})", "step")
        for line, cells in rows:
            if len(cells) > len(header):
                raise LogError(f"{name}:{line}: {len(cells)} cells, and the header names {len(header)} columns")
        columns: dict[str, np.ndarray] = {}
        for j, column in enumerate(header):
            values = self._column(name, j, column, [(line, cells[j] if j < len(cells) else "") for line, cells in rows])
            if values is not None:
                columns[column] = values
        lines = [line for line, _ in rows]
        steps = series_steps(list(columns[self.step]), lambda i: f"{name}:{lines[i]}", self.step)
        fields, origins = named_columns(columns, "columns")
        return LogTable(steps, fields, origins)

    def _column(self, name: str, index: int, column: str, cells: list[tuple[int, str]]) -> np.ndarray | None:
        """A column's numbers (NaN where empty), or None for a column with no number in it (text, or nameless)."""
        values = [cell_number(cell) for _, cell in cells]
        numbers = [value for value in values if value is not None]
        if not column:
            if any(not math.isnan(value) for value in numbers) or len(numbers) < len(values):
                raise LogError(f"{name}: column {index + 1} has values and no name in the header row")
            return None
        if len(numbers) < len(values):
            if column != self.step and not any(not math.isnan(value) for value in numbers):
                return None  # a text column: a timestamp, a phase name
            line, cell = next(cells[i] for i, value in enumerate(values) if value is None)
            raise LogError(f"{name}:{line}: column {column!r}: not a number: {cell!r}")
        for (line, cell), value in zip(cells, numbers, strict=True):
            if math.isinf(value):
                raise LogError(f"{name}:{line}: column {column!r}: not a finite number: {cell!r}")
        return np.asarray(numbers, dtype=float)
