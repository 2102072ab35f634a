"""Source `jsonl`: a training log written as JSON Lines, one object per step; its keys become stepped fields."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import Field

from scenespec.errors import did_you_mean
from scenespec.sources._logtable import LogError, LogSource, LogTable, named_columns, series_steps
from scenespec.sources.base import ResolveContext, register_source


@register_source
class JsonlLogSource(LogSource):
    """A training log as JSON Lines: one object per line, one line per step, e.g.
    `{"step": 3, "loss": 0.41, "pred": [0.1, 0.7, 0.2]}`.

    Trace fields: every key whose values are numbers or lists of numbers (an array per step: predictions,
    weights), recorded per step (the step key too), named as `csv` names its columns. `null`, `NaN` or a key left
    out of a line is NaN at that step (an array: all NaN). A key holding only text is left out. A last line
    with no newline that is not JSON yet is a writer caught mid-append: it is ignored. Any other line that is not
    a JSON object is an error naming its line.
    """

    example = """
[sources.log]
kind = "jsonl"
path = "runs/log.jsonl"   # {"step": 0, "loss": 1.3, "pred": [0.1, 0.4, 0.2]}
"""

    kind: Literal["jsonl"]
    step: str = Field("step", description="The key holding each line's step: whole numbers, increasing.")

    def read_table(self, ctx: ResolveContext) -> LogTable:
        text = self.read_text(ctx)
        name = self.file(ctx).name
        lines = text.split("\n")
        torn = not text.endswith("\n")  # the last piece has no newline: the writer may still be writing it
        records: list[tuple[int, dict[str, Any]]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, RecursionError) as exc:
                if torn and number == len(lines):
                    break
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or type(exc).__name__
                raise LogError(f"{name}:{number}: not a line of JSON: {reason}") from None
            if not isinstance(record, dict):
                raise LogError(f"{name}:{number}: expected a JSON object {{...}}, got {_json_type(record)}")
            records.append((number, record))
        if not records:
            raise LogError(f"{name} has no complete line: the log is empty")
        keys: dict[str, _Key] = {}
        for row, (number, record) in enumerate(records):
            for key, value in record.items():
                keys.setdefault(key, _Key()).add(row, number, value, f"{name}:{number}: key {key!r}")
        if self.step not in keys:
            hint = did_you_mean(self.step, keys)
            raise LogError(f"{name} has no key {self.step!r}{hint} (keys: {', '.join(keys)})", "step")
        numbers = [number for number, _ in records]
        columns = {key: found.array(len(records)) for key, found in keys.items() if found.shape is not None}
        if self.step not in columns or columns[self.step].ndim != 1:
            raise LogError(f"{name}: key {self.step!r} must hold one number per line, its step", "step")
        steps = series_steps(list(columns[self.step]), lambda i: f"{name}:{numbers[i]}", self.step)
        named, origins = named_columns(columns, "keys")
        return LogTable(steps, named, origins)


@dataclass
class _Key:
    """What one key holds over the lines: numbers of one shape (`shape`), or text (`text_line`), never both."""

    shape: tuple[int, ...] | None = None
    first_line: int = 0
    text_line: int = 0
    rows: dict[int, np.ndarray] = field(default_factory=dict)

    def add(self, row: int, line: int, value: Any, where: str) -> None:
        if value is None:
            return
        if isinstance(value, str):
            if self.shape is not None:
                raise LogError(f"{where}: text {value!r}, and numbers on line {self.first_line}")
            self.text_line = self.text_line or line
            return
        array = _numbers(value, where)
        if self.text_line:
            raise LogError(f"{where}: numbers, and text on line {self.text_line}")
        if self.shape is None:
            self.shape, self.first_line = array.shape, line
        elif array.shape != self.shape:
            raise LogError(
                f"{where}: shape {_shape(array.shape)}, and shape {_shape(self.shape)} on line {self.first_line}"
            )
        self.rows[row] = array

    def array(self, rows: int) -> np.ndarray:
        """Every line's value, NaN where a line has none."""
        assert self.shape is not None
        out = np.full((rows, *self.shape), np.nan)
        for row, value in self.rows.items():
            out[row] = value
        return out


MAX_DEPTH = 32
"""Dimensions a logged array may have (numpy's own limit is 64)."""


def _numbers(value: Any, where: str) -> np.ndarray:
    """A number or a rectangular list of numbers (`null` inside is NaN) as a float array; else LogError."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise LogError(f"{where}: lists nested more than {MAX_DEPTH} deep")
            stack.extend((inner, depth + 1) for inner in item)
        elif item is not None and (isinstance(item, bool) or not isinstance(item, int | float)):
            raise LogError(f"{where}: expected a number or a list of numbers, got {_json_type(item)}")
        elif (isinstance(item, float) and math.isinf(item)) or (isinstance(item, int) and abs(item) > 1e308):
            raise LogError(f"{where}: not a finite number: {item}")
    try:
        array = np.array(value, dtype=float)
    except ValueError:
        raise LogError(f"{where}: a list whose rows have different lengths") from None
    return array


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "an object", list: "a list", str: "text", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _shape(shape: tuple[int, ...]) -> str:
    return "a single number" if not shape else "×".join(map(str, shape))
