"""The files a spec is built from: where an `extends` or `include` entry points, and reading one.

A spec may build on other files (a base it extends, fragments it includes). Each is named relative to the folder
of the file that names it, so a spec and its parts can move together to another project.
"""

from __future__ import annotations

import os
from pathlib import Path

from scenespec.errors import SpecError
from scenespec.packages import is_packaged, packaged_file

FORMATS = {".toml": "toml", ".json": "json"}


class Unreadable(Exception):
    """A file named by a spec cannot be read as one (missing, a folder, an unknown format); the message says why."""


def locate_included(reference: str, relative_to: Path) -> Path:
    """The file an `extends` or `include` entry names: a path relative to `relative_to` (the folder of the file
    that wrote the entry); an absolute path, or one starting with `~`, stays as it is.

    `PACKAGE:NAME` names a spec or fragment an installed package ships (docs/packages.md), unless a file of that
    name exists where a relative path would point.
    """
    target = Path(os.path.abspath(relative_to / Path(reference).expanduser()))
    if _packaged(reference, target):
        try:
            return packaged_file(reference)
        except SpecError as exc:
            raise Unreadable(exc.problems[0].message) from None
    return target


def _packaged(reference: str, target: Path) -> bool:
    return is_packaged(reference) and not target.exists()


def label_for(reference: str, target: Path, parent: str | None) -> str:
    """How errors name an included file: joined to the name of the file that includes it when both are relative
    (`specs/derived/../base/base.toml` reads `specs/base/base.toml`), else its absolute path."""
    if parent is None or parent.startswith("<") or os.path.isabs(reference) or reference.startswith("~"):
        return str(target)
    if _packaged(reference, Path(os.path.dirname(parent)) / reference):  # a package's file: its real place
        return str(target)
    return os.path.normpath(os.path.join(os.path.dirname(parent), reference))


def format_of(path: Path) -> str:
    """`toml` or `json`, from the file's suffix."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        expected = ", ".join(FORMATS)
        raise Unreadable(f"unknown spec format {path.suffix!r}; expected one of {expected}")
    return fmt


def read_text(path: Path) -> str:
    """The file's text; a missing file, a folder or bytes that are not UTF-8 raise `Unreadable`."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Unreadable("no such spec file") from None
    except IsADirectoryError:
        raise Unreadable("is a folder, not a spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"cannot read spec: {exc}") from None
