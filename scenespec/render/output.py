"""Where a render goes and in which format: from the command line, the spec, or defaults."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from scenespec.errors import RenderError, SpecError
from scenespec.load.loader import LoadedSpec
from scenespec.validate.scene import OUTPUT_FORMATS, Scene

EXTENSIONS = {".gif": "gif", ".png": "png", ".mp4": "mp4", ".webm": "webm"}
FRAME_NAME = re.compile(r"frame_\d{5,}\.png")


@dataclass(frozen=True)
class Target:
    path: Path | None  # None for the screen
    format: str


def infer_format(path: Path) -> str:
    """`.gif` -> gif, `.png` -> png, `.mp4` -> mp4, `.webm` -> webm, no extension -> a folder of PNGs."""
    if path.suffix.lower() in EXTENSIONS:
        return EXTENSIONS[path.suffix.lower()]
    if path.suffix == "" or path.is_dir():
        return "png-sequence"
    raise RenderError(
        f"{path}: cannot tell the format from {path.suffix!r}; use --format ({', '.join(OUTPUT_FORMATS)})"
    )


def resolve_target(scene: Scene, loaded: LoadedSpec, out: str | None, fmt: str | None, frame: int | None) -> Target:
    """Decide and check the output before any expensive work starts."""
    fmt = fmt or ("png" if frame is not None and out is None else None)
    if fmt == "screen" or (fmt is None and out is None and scene.output.format == "screen"):
        return Target(None, "screen")
    from_spec = out is None and scene.output.path is not None
    if out is not None:
        path = Path(out)
    elif from_spec:
        path = loaded.base_dir / str(scene.output.path)
    else:
        fmt = fmt or scene.output.format or "gif"
        suffix = {"gif": ".gif", "png": ".png", "png-sequence": "_frames", "mp4": ".mp4", "webm": ".webm"}[fmt]
        path = Path(loaded.name + suffix)
    fmt = fmt or (scene.output.format if out is None else None) or infer_format(path)
    try:
        check_writable(path, fmt)
    except RenderError as exc:
        if from_spec:
            raise SpecError([loaded.problem(str(exc), ("output", "path"))]) from None
        raise
    return Target(path, fmt)


def check_writable(path: Path, fmt: str) -> None:
    parent = path.resolve().parent
    if not parent.is_dir():
        raise RenderError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise RenderError(f"cannot write {path}: folder {parent} is not writable")
    if fmt != "png-sequence" and path.is_dir():
        raise RenderError(f"cannot write {path}: it is a folder (a {fmt} output is a file)")
    if fmt == "png-sequence" and path.exists() and not path.is_dir():
        raise RenderError(f"cannot write {path}: it is a file (png-sequence writes a folder)")
    if fmt == "png-sequence" and path.is_dir() and not is_frame_folder(path):
        raise RenderError(
            f"will not replace {path}: the folder holds files scenespec did not write; "
            "name a new or empty folder, or one holding only frame_*.png"
        )


def is_frame_folder(path: Path) -> bool:
    """An empty folder, or one holding only frames of an earlier png-sequence render."""
    return all(child.is_file() and FRAME_NAME.fullmatch(child.name) for child in path.iterdir())
