"""Where a Recorder's steps go: a folder written as the run goes (crash-safe), or memory only."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from scenespec.record.layout import FIELDS, MANIFEST, STATIC, STEP_DTYPE, STEPS, FieldLayout, Manifest, field_file
from scenespec.record.reader import read_recording
from scenespec.render.atomic import commit_file, discard, temp_file_for
from scenespec.resolve.trace import Trace


class MemoryStore:
    """Rows kept in lists: `Recorder()` with no folder."""

    def __init__(self) -> None:
        self.static: dict[str, np.ndarray] = {}
        self.layouts: dict[str, FieldLayout] = {}
        self.steps: list[int] = []
        self.rows: dict[str, list[np.ndarray]] = {}

    def write_static(self, static: dict[str, np.ndarray]) -> None:
        self.static = dict(static)

    def start(self, layouts: dict[str, FieldLayout]) -> None:
        self.layouts = dict(layouts)
        self.rows = {name: [] for name in layouts}

    def append(self, step: int, rows: dict[str, np.ndarray]) -> None:
        for name, row in rows.items():
            self.rows[name].append(row.copy())  # the caller's array may change in place after this step
        self.steps.append(step)

    def trace(self) -> Trace:
        stepped = {
            name: np.stack(rows) if rows else np.zeros((0, *self.layouts[name].shape), self.layouts[name].dtype)
            for name, rows in self.rows.items()
        }
        return Trace(steps=np.asarray(self.steps, dtype=np.int64), static=dict(self.static), stepped=stepped)

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


class FolderStore:
    """A recording folder (`record/layout.py`): each step's rows are appended with unbuffered writes, so they
    are in the operating system's hands when `log` returns and survive the process being killed; the step
    number goes last, which is what makes the step complete. `sync` (fsync) also survives a power loss."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        prepare_folder(folder)
        self.static_names: tuple[str, ...] = ()
        self.layouts: dict[str, FieldLayout] = {}
        self.files: dict[str, io.FileIO] = {}
        self.steps_file: io.FileIO | None = None
        self._write_manifest()  # the folder is a recording (with no step yet) from the start

    def write_static(self, static: dict[str, np.ndarray]) -> None:
        temp = temp_file_for(self.folder / STATIC)
        try:
            with open(temp, "wb") as handle:
                np.savez(handle, allow_pickle=False, **static)
            commit_file(temp, self.folder / STATIC)
        except BaseException:
            discard(temp)
            raise
        self.static_names = tuple(static)
        self._write_manifest()

    def start(self, layouts: dict[str, FieldLayout]) -> None:
        self.layouts = dict(layouts)
        (self.folder / FIELDS).mkdir(exist_ok=True)
        self.files = {name: io.FileIO(field_file(self.folder, name), "wb") for name in layouts}
        self.steps_file = io.FileIO(self.folder / STEPS, "wb")
        self._write_manifest()

    def append(self, step: int, rows: dict[str, np.ndarray]) -> None:
        assert self.steps_file is not None
        for name, row in rows.items():
            _write_all(self.files[name], row.tobytes())
        _write_all(self.steps_file, np.asarray(step, dtype=STEP_DTYPE).tobytes())

    def trace(self) -> Trace:
        if not self.layouts:
            return Trace(steps=np.zeros(0, dtype=np.int64), static=_read_static(self.folder, self.static_names))
        return read_recording(self.folder)

    def sync(self) -> None:
        for handle in [*self.files.values(), *([self.steps_file] if self.steps_file else [])]:
            os.fsync(handle.fileno())

    def close(self) -> None:
        try:
            self.sync()
        finally:
            for handle in [*self.files.values(), *([self.steps_file] if self.steps_file else [])]:
                handle.close()

    def _write_manifest(self) -> None:
        target = self.folder / MANIFEST
        temp = temp_file_for(target)
        try:
            temp.write_text(Manifest(self.layouts, self.static_names).to_json(), encoding="utf-8")
            commit_file(temp, target)
        except BaseException:
            discard(temp)
            raise


def prepare_folder(folder: Path) -> None:
    """Make `folder` ready for a fresh recording: created if missing; an earlier recording in it is replaced;
    a folder holding anything else is refused (nothing but a recording's own files is ever deleted)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / MANIFEST).exists():
        if any(folder.iterdir()):
            raise FileExistsError(f"{str(folder)!r} is not empty and holds no recording: choose a new folder")
        return
    for name in (STEPS, STATIC, MANIFEST):
        (folder / name).unlink(missing_ok=True)
    if (folder / FIELDS).is_dir():
        for file in (folder / FIELDS).glob("*.bin"):
            file.unlink()


def _read_static(folder: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not names:
        return {}
    with np.load(folder / STATIC, allow_pickle=False) as npz:
        return {name: npz[name] for name in names}


def _write_all(handle: io.FileIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = handle.write(view)
        if not written:
            raise OSError(f"could not write to {handle.name}")
        view = view[written:]
