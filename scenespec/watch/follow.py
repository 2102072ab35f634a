"""Know when followed files change, from the operating system's file events (inotify on Linux), not by polling.

A followed path may not exist yet (watch started before training): the nearest folder that exists is watched
until the path appears, then the path itself. Opening or reading a file is an event too; only writes, creations,
moves and deletions count, or reading a log after its change would announce another change.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

CHANGES = {EVENT_TYPE_CLOSED, EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED}


def anchor(path: Path) -> tuple[Path, bool]:
    """The folder to watch for `path`, and whether recursively: a folder itself (its whole tree), a file's
    folder, or, while `path` does not exist, the nearest folder above it that does."""
    if path.is_dir():
        return path, True
    if path.exists():
        return path.parent, False
    for parent in path.parents:
        if parent.is_dir():
            return parent, False
    return Path(path.anchor or "."), False


def concerns(event_path: Path, kind: str, followed: Path) -> bool:
    """An event of `kind` on `event_path` may change `followed`: it is the path or inside it, or a folder on the way
    to it was made, moved or removed (a folder above is also "modified" whenever any file in it changes)."""
    if event_path == followed or followed in event_path.parents:
        return True
    return event_path in followed.parents and kind in (EVENT_TYPE_CREATED, EVENT_TYPE_MOVED, EVENT_TYPE_DELETED)


class Follower(FileSystemEventHandler):
    """Sets `changed` whenever one of `paths` (files or folders) may have changed; `wait` blocks until then."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = [Path(path).absolute() for path in paths]
        self.changed = threading.Event()
        self._observer: Any = Observer()
        self._watches: dict[tuple[Path, bool], Any] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self._observer.start()
        self._arm()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a change (True) or the timeout (False); the change is then taken (cleared)."""
        if self.changed.wait(timeout):
            self.changed.clear()
            return True
        return False

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGES:
            return
        touched = [_path(event.src_path)] + ([_path(event.dest_path)] if event.dest_path else [])
        if any(concerns(path, event.event_type, followed) for path in touched for followed in self.paths):
            if event.is_directory or event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MOVED, EVENT_TYPE_DELETED):
                self._arm()  # a path appeared or went: watch where it is now
            self.changed.set()

    def _arm(self) -> None:
        """Watch the anchors of the followed paths as they are now; drop the watches no longer needed.

        A folder made between working out an anchor and watching it sends no event to anyone, so the anchors are
        worked out again after each new watch, until they stand still (a watch is live once `schedule` returns).
        """
        with self._lock:
            while True:
                wanted = {anchor(path) for path in self.paths}
                for key in set(self._watches) - wanted:
                    with contextlib.suppress(KeyError, OSError):
                        self._observer.unschedule(self._watches.pop(key))
                for folder, recursive in wanted - set(self._watches):
                    with contextlib.suppress(OSError):  # went away again: the next event re-arms
                        self._watches[(folder, recursive)] = self._observer.schedule(
                            self, str(folder), recursive=recursive
                        )
                if {anchor(path) for path in self.paths} == wanted:
                    return
                self.changed.set()  # something appeared meanwhile: read it


def _path(raw: str | bytes) -> Path:
    return Path(raw.decode() if isinstance(raw, bytes) else raw).absolute()
