"""`scenespec watch SPEC [-o OUT]`: set up the watch, pick where it shows, run it until closed or Ctrl-C."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from scenespec.api import read_spec
from scenespec.errors import RenderError
from scenespec.output import resolve_target
from scenespec.watch.present import AnimationPresenter, StillPresenter, WindowPresenter
from scenespec.watch.session import Presenter, Watch, run


def watch(spec: Path, overrides: Sequence[str], out: str | None, format: str | None, *, quiet: bool = False) -> int:
    """Run a watch until its window is closed (returns 0) or it is interrupted (raises KeyboardInterrupt)."""

    def report(line: str) -> None:
        if not quiet or line.startswith("waiting"):
            print(line, file=sys.stderr, flush=True)

    loaded = read_spec(spec, overrides)
    session = Watch(loaded, report)
    presenter = _presenter(session, out, format)
    where = ", ".join(str(path) for path in session.paths)
    report(f"watching {where} (Ctrl-C to stop)")
    try:
        run(session, presenter)
    except KeyboardInterrupt:
        if out is not None and session.shown is not None:
            print(f"\nstopped watching: {session.shown}", file=sys.stderr)
        raise  # the command line says it was interrupted, and exits 130 (143 for SIGTERM)
    return 0


def _presenter(session: Watch, out: str | None, format: str | None) -> Presenter:
    if out is None:
        return WindowPresenter()
    target = resolve_target(session.structure, session.loaded, out, format, None)
    if target.path is None or target.format == "screen":
        raise RenderError("watch -o writes a file; leave -o out to watch in a window")
    if target.format == "png":
        return StillPresenter(target.path)
    return AnimationPresenter(target.path, target.format)
