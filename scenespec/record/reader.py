"""Read a recording: only the steps whose number and every field's row are fully on disk.

A writer may still be appending, or may have been killed mid-step: the reader measures each file once,
takes the smallest count of complete records, and reads exactly that prefix of every file, so what it
returns is consistent however the writer is interrupted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scenespec.record.layout import MANIFEST, STATIC, STEP_DTYPE, STEPS, Manifest, NotARecording, field_file
from scenespec.resolve.npz import read_headers
from scenespec.resolve.trace import Trace


class EmptyRecording(ValueError):
    """The recording has no complete step yet."""


@dataclass(frozen=True)
class RecordingIndex:
    """What a recording holds now, measured without reading its data: `steps` complete steps, the shape of one
    step of each stepped field, and each static field's shape."""

    folder: Path
    manifest: Manifest
    steps: int
    static_shapes: dict[str, tuple[int, ...]]

    @property
    def stepped_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: field.shape for name, field in self.manifest.stepped.items()}

    def load(self) -> Trace:
        """The trace of the `steps` complete steps (later appends are not read) and the static fields."""
        count = self.steps
        steps = _prefix(self.folder / STEPS, STEP_DTYPE, (), count)
        stepped = {
            name: _prefix(field_file(self.folder, name), field.dtype, field.shape, count)
            for name, field in self.manifest.stepped.items()
        }
        static: dict[str, np.ndarray] = {}
        if self.manifest.static:
            with np.load(self.folder / STATIC, allow_pickle=False) as npz:
                static = {name: npz[name] for name in self.manifest.static}
        return Trace(steps=steps, static=static, stepped=stepped)


def index_recording(folder: str | Path, max_bytes: float = math.inf) -> RecordingIndex:
    """Measure the recording in `folder`: raises FileNotFoundError (no such folder), `NotARecording`,
    `EmptyRecording` (no complete step), or `resolve.npz.TooLarge` (static arrays past `max_bytes`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {str(folder)!r}")
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        if not any(folder.iterdir()):
            raise EmptyRecording("the folder is empty") from None  # made for a run that has not begun
        raise NotARecording(f"it has no {MANIFEST}") from None
    except UnicodeDecodeError:
        raise NotARecording(f"its {MANIFEST} is not text") from None
    manifest = Manifest.from_json(text)
    if not manifest.stepped:
        raise EmptyRecording("no step was recorded")
    counts = [_size(folder / STEPS) // STEP_DTYPE.itemsize]
    for name, field in manifest.stepped.items():
        if field.row_bytes:
            counts.append(_size(field_file(folder, name)) // field.row_bytes)
    steps = min(counts)
    if steps == 0:
        raise EmptyRecording("no step is complete yet")
    static_shapes: dict[str, tuple[int, ...]] = {}
    if manifest.static:
        headers = read_headers(folder / STATIC, max_bytes)
        missing = [name for name in manifest.static if name not in headers]
        if missing:
            raise NotARecording(f"its {STATIC} lacks the static field {missing[0]!r} its manifest lists")
        static_shapes = {name: headers[name].shape for name in manifest.static}
    return RecordingIndex(folder, manifest, steps, static_shapes)


def read_recording(folder: str | Path) -> Trace:
    """The complete steps of the recording in `folder` as a `Trace` (see `index_recording` for the errors)."""
    return index_recording(folder).load()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _prefix(path: Path, dtype: np.dtype, shape: tuple[int, ...], count: int) -> np.ndarray:
    """The first `count` records of an append-only file, as an array of `count` rows of `shape`."""
    nbytes = count * math.prod(shape) * dtype.itemsize
    with open(path, "rb") as handle:
        data = handle.read(nbytes) if nbytes else b""
    if len(data) != nbytes:
        raise NotARecording(f"{path.name} shrank while it was read")
    return np.frombuffer(data, dtype=dtype).reshape(count, *shape).astype(dtype.newbyteorder("="), copy=True)
