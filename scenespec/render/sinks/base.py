"""A sink receives finished frames in order and writes them somewhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scenespec.render.atomic import commit_dir, commit_file, discard, temp_dir_for, temp_file_for
from scenespec.schedule.frames import Frame

if TYPE_CHECKING:
    from scenespec.validate.scene import Scene


class Sink:
    """Frames arrive as RGB uint8 arrays (height, width, 3); `close` finishes, `abort` cleans up."""

    def __init__(self, target: Path, loop: bool = True) -> None:
        self.target = target
        self.loop = loop
        self.frames_written = 0

    @classmethod
    def options(cls, scene: Scene) -> dict[str, Any]:
        """Constructor arguments besides the target that this sink takes from the scene."""
        return {"loop": scene.frames.loop}

    def open(self) -> None: ...

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None: ...

    def abort(self) -> None: ...


class AtomicSink(Sink):
    """A sink that builds its output beside the target and moves it into place on close."""

    make_temp = staticmethod(temp_file_for)
    commit = staticmethod(commit_file)

    def open(self) -> None:
        self.temp = self.make_temp(self.target)

    def close(self) -> None:
        self.commit(self.temp, self.target)

    def abort(self) -> None:
        discard(self.temp)


class FileSink(AtomicSink):
    """A sink whose output is one file."""


class DirSink(AtomicSink):
    """A sink whose output is a folder of files, swapped in whole."""

    make_temp = staticmethod(temp_dir_for)
    commit = staticmethod(commit_dir)
