"""The on-disk layout of a recording, shared by the writer and the reader.

A recording is a folder:

- `manifest.json`: the stepped fields (dtype, shape of one step) and the static fields' names, replaced
  atomically whenever it changes (when the first step fixes the fields, when static fields are added);
- `static.npz`: the static fields, replaced atomically;
- `fields/<name>.bin`: one append-only file per stepped field, each step's value as raw bytes;
- `steps.i64`: the step numbers, little-endian int64, appended *after* the step's values.

A step is complete when its number and every field's row are on disk: the reader takes the smallest count
of complete records over these files, so a step torn by a crash is ignored.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "scenespec-recording"
VERSION = 1
MANIFEST = "manifest.json"
STATIC = "static.npz"
STEPS = "steps.i64"
FIELDS = "fields"
STEP_DTYPE = np.dtype("<i8")
NUMERIC_KINDS = "biuf"
"""Booleans, integers and floats: what a trace's fields hold."""


class NotARecording(ValueError):
    """The folder is not a scenespec recording (or its manifest is damaged): the message says why."""


@dataclass(frozen=True)
class FieldLayout:
    """A stepped field: the dtype and shape of one step's value."""

    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def row_bytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


@dataclass(frozen=True)
class Manifest:
    """What a recording holds: its stepped fields in logging order and its static fields' names."""

    stepped: dict[str, FieldLayout]
    static: tuple[str, ...] = ()

    def to_json(self) -> str:
        stepped = {name: {"dtype": f.dtype.str, "shape": list(f.shape)} for name, f in self.stepped.items()}
        return json.dumps({"format": FORMAT, "version": VERSION, "stepped": stepped, "static": list(self.static)})

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
        except ValueError:
            raise NotARecording(f"its {MANIFEST} is not JSON") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise NotARecording(f"its {MANIFEST} is not a scenespec recording's")
        if data.get("version") != VERSION:
            raise NotARecording(f"it is a recording of format version {data.get('version')!r}; this reads {VERSION}")
        try:
            stepped = {str(name): _layout(field) for name, field in data["stepped"].items()}
            static = tuple(str(name) for name in data["static"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise NotARecording(f"its {MANIFEST} is damaged") from None
        return cls(stepped, static)


def _layout(field: Any) -> FieldLayout:
    dtype = np.dtype(field["dtype"])
    shape = tuple(int(n) for n in field["shape"])
    if dtype.kind not in NUMERIC_KINDS or any(n < 0 for n in shape):
        raise ValueError(field)
    return FieldLayout(dtype, shape)


def field_file(folder: Path, name: str) -> Path:
    """Where a stepped field's rows go (names are field names: letters, digits, underscores)."""
    return folder / FIELDS / f"{name}.bin"
