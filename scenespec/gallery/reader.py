"""What a gallery page hands its reader: the spec's text as it works outside this repository, and the command that
renders it again.

A spec's editor schema pointer (`#:schema ../docs/scenespec.schema.json`, JSON's `"$schema"`) is relative to the
repository that holds it, so in a reader's copy it points at nothing. It is left out rather than rewritten: a URL
needs the network and knows none of the reader's plug-ins, while `scenespec init NAME --from FILE` writes a copy
with a schema of the reader's own installation beside it (docs/packages.md). A pointer that is already a URL works
anywhere and is kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_TOML_SCHEMA = re.compile(r"#:schema[ \t]+(?P<target>\S+)[ \t]*")
_JSON_SCHEMA = re.compile(r'(?m)^[ \t]*"\$schema"[ \t]*:[ \t]*"(?:[^"\\]|\\.)*"[ \t]*,[ \t]*\r?\n')


def reader_text(text: str, language: str) -> str:
    """`text` without a schema pointer that only works in its own folder (see the module's docstring)."""
    return _json_without_schema(text) if language == "json" else _toml_without_schema(text)


def _toml_without_schema(text: str) -> str:
    """Drop `#:schema PATH` lines from the leading comments (where Taplo reads them), never from the spec's body."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):  # the body starts: everything after stays as written
            kept.extend(lines[i:])
            break
        match = _TOML_SCHEMA.fullmatch(stripped)
        if match is None or _URL.match(match["target"]):
            kept.append(line)
    return "".join(kept)


def _json_without_schema(text: str) -> str:
    """Drop a top-level `"$schema"` member that is a path: its own line when it has one (the rest keeps its layout),
    else the document is written out again without it. Text that is not a JSON object is left alone."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict) or not isinstance(data.get("$schema"), str) or _URL.match(data["$schema"]):
        return text
    expected = {key: value for key, value in data.items() if key != "$schema"}
    edited = _JSON_SCHEMA.sub("", text, count=1)
    try:
        if json.loads(edited) == expected:
            return edited
    except ValueError:
        pass
    return json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def spec_reference(spec: Path, download: str, packages: dict[Path, str]) -> str:
    """What a reader's command names: `PACKAGE:NAME` for a spec an installed package ships (scenespec's own are
    `scenespec:NAME`), found with the data files it reads in any install, else the downloaded copy's file name."""
    package = packages.get(spec.resolve().parent)
    return f"{package}:{spec.stem}" if package is not None else download


def spec_packages() -> dict[Path, str]:
    """The folders of the installed spec packages (resolved) and their short names. A package whose entry point
    does not load is left out: its specs' pages name their files, and rendering them reports the package."""
    from scenespec.errors import PluginError, SpecError
    from scenespec.packages import installed, package_folders

    folders: dict[Path, str] = {}
    for package in installed():
        try:
            found = package_folders(package)
        except (PluginError, SpecError):
            continue
        folders.update({folder.resolve(): package for folder in found})
    return folders
