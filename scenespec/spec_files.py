"""Which files are specs, for commands given folders (`validate DIR`, `gallery DIR`).

A folder of specs often holds other TOML and JSON too (a pyproject.toml, a package.json, a saved gallery
manifest). Checking those as specs would report them as broken specs, so a file found in a folder that parses
but has none of a spec's top-level keys is skipped, and said to be. A file that does not parse is kept: it may
be a broken spec, and checking it reports the syntax error. A file named on the command line is always kept.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SUFFIXES = (".toml", ".json")


@dataclass
class SpecFiles:
    specs: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    """Found in a folder, parsed, and not a spec."""


def spec_keys() -> list[str]:
    """The top-level keys of a spec (`scene`, `sources`, …, from the spec's model), and `extends`: a spec that builds
    on another may hold nothing else."""
    from scenespec.validate.scene import Scene

    return [*(info.alias or name for name, info in Scene.model_fields.items()), "extends"]


def find_spec_files(items: Sequence[str | Path]) -> SpecFiles:
    """Files named in `items` as they are; for each folder, the *.toml and *.json below it that may be specs."""
    found = SpecFiles()
    keys = set(spec_keys())
    for item in items:
        path = Path(item)
        if not path.is_dir():
            found.specs.append(path)
            continue
        for file in sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
            (found.skipped if _parses_without(file, keys) else found.specs).append(file)
    return found


def _parses_without(file: Path, keys: set[str]) -> bool:
    """True when `file` is valid TOML/JSON whose top level has none of `keys`."""
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text) if file.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError):  # TOMLDecodeError and JSONDecodeError are ValueErrors
        return False
    return not (isinstance(data, dict) and keys & set(data))


def skipped_note(file: Path) -> str:
    return f"skipped: {file} (not a spec: none of the top-level keys {', '.join(spec_keys())})"
