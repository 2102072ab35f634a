"""Where a render goes and in which format: from the command line, the spec, or defaults.

The formats, their extensions and default names come from the sink registry (`scenespec.render.sinks`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scenespec.errors import RenderError, SpecError
from scenespec.load.loader import LoadedSpec
from scenespec.render.sinks.base import DirSink, sink_kinds
from scenespec.validate.scene import Scene

DEFAULT_FORMAT = "gif"


@dataclass(frozen=True)
class Target:
    path: Path | None  # None for the screen
    format: str


def infer_format(path: Path) -> str:
    """The format whose extension `path` has (`.gif` -> gif, …); no extension, or a folder: the folder format."""
    kinds = sink_kinds()
    for name, kind in kinds.items():
        if path.suffix.lower() in kind.extensions:
            return name
    folders = [name for name, kind in kinds.items() if kind.writes == "folder"]
    if (path.suffix == "" or path.is_dir()) and folders:
        return folders[0]
    raise RenderError(f"{path}: cannot tell the format from {path.suffix!r}; use --format ({', '.join(kinds)})")


def resolve_target(scene: Scene, loaded: LoadedSpec, out: str | None, fmt: str | None, frame: int | None) -> Target:
    """Decide and check the output before any expensive work starts."""
    fmt = fmt or ("png" if frame is not None and out is None else None)
    if fmt == "screen" or (fmt is None and out is None and scene.output.format == "screen"):
        return Target(None, "screen")
    from_spec = out is None and scene.output.path is not None
    if out is not None:
        path = Path(out)
    elif from_spec:
        # a package's spec writes here, not into the package's folder (site-packages is no place for outputs)
        path = (Path.cwd() if loaded.reference else loaded.folder_of(("output", "path"))) / str(scene.output.path)
    else:
        fmt = fmt or scene.output.format or DEFAULT_FORMAT
        path = Path(loaded.name + sink_kinds()[fmt].default_suffix)
    fmt = fmt or (scene.output.format if out is None else None) or infer_format(path)
    try:
        check_writable(path, fmt)
    except RenderError as exc:
        if from_spec:
            raise SpecError([loaded.problem(str(exc), ("output", "path"))]) from None
        raise
    return Target(path, fmt)


def check_writable(path: Path, fmt: str) -> None:
    """Fail early if `path` cannot take a `fmt` output (a registered format, or any other file such as `npz`)."""
    parent = path.resolve().parent
    if not parent.is_dir():
        raise RenderError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise RenderError(f"cannot write {path}: folder {parent} is not writable")
    kind = sink_kinds().get(fmt)
    if kind is None or kind.writes != "folder":
        if path.is_dir():
            raise RenderError(f"cannot write {path}: it is a folder (a {fmt} output is a file)")
        return
    if path.exists() and not path.is_dir():
        raise RenderError(f"cannot write {path}: it is a file ({fmt} writes a folder)")
    assert kind.sink is not None and issubclass(kind.sink, DirSink)
    if path.is_dir() and not kind.sink.may_replace(path):
        raise RenderError(
            f"will not replace {path}: the folder holds files scenespec did not write; name {kind.sink.replaceable}"
        )
