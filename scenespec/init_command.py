"""`scenespec init NAME [--from SPEC] [--dir DIR] [--force]`: start a spec in a user's own project.

The new spec must work where it is written, with nothing from this repository: it is a copy (a built-in spec, an
installed package's, a file, or a small starter), the data files it reads are copied beside it under the same
relative paths, and its schema reference points at a copy of this installation's JSON Schema (plug-in kinds
included) in `DIR/.scenespec/`. A path into site-packages would break at the next upgrade and a URL would not
know the installed plug-ins; a file in the project moves with it and works offline.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenespec.errors import Problem, RenderError, SpecError
from scenespec.load import LoadedSpec
from scenespec.load.loader import open_spec
from scenespec.packages import BUILTIN, is_packaged
from scenespec.toml_writer import NotToml, dumps

SCHEMA_FILE = Path(".scenespec") / "scenespec.schema.json"
"""Where the installation's schema is written, relative to the new spec's folder."""
SCHEMA_REFERENCE = "./" + SCHEMA_FILE.as_posix()
"""The spec's `#:schema` line (TOML, as Taplo / Even Better TOML read it) or `"$schema"` (JSON): relative to it."""

STARTER = """\
# A first scene: a line learns to fit noisy points by gradient descent.
# Change the data, the optimizer or the layers, then: scenespec render {file}
# Your editor completes and checks every key from the schema named on the first line
# (`scenespec schema` prints it); docs/reference.md in scenespec's repository describes them.

[scene]
title = "My first scene"
size = [6.4, 4.8]   # inches; pixels = size × dpi
dpi = 80

# A source makes the numbers: here a linear model trained on 40 points of y = 0.8·x + 1 plus noise.
[sources.fit]
kind = "trainer"
model = "linear"
data = {{ kind = "line", slope = 0.8, intercept = 1.0, noise = 1.0, n = 40, x = [0, 10], seed = 0 }}
optimizer = {{ name = "sgd", lr = 0.01 }}
epochs = 60

# Which training steps become frames: the first 10, then every 5th.
[frames]
source = "fit"
steps = {{ first = 10, every = 5 }}
fps = 8
end_pause = 1.5

# A panel draws layers bound to the source's fields ("fit.x" is field x of source fit).
[[panels]]
xlabel = "x"
ylabel = "y"
legend = "upper left"
layers = [
  {{ kind = "scatter", x = "fit.x", y = "fit.y", color = "C0", label = "data" }},
  {{ kind = "line", x = "fit.x", y = "fit.pred", style = "r-", label = "the model" }},
  {{ kind = "text", text = "loss: {{fit.loss:.3f}}", at = [6, 1] }},
]
"""


@dataclass
class Started:
    """What `init` wrote, for the command's report."""

    spec: Path
    origin: str
    schema: Path
    data: list[Path] = field(default_factory=list)
    not_copied: list[Path] = field(default_factory=list)
    """Files the spec reads from outside its folder (an absolute path): used from where they are."""


def spec_file(name: str, folder: Path) -> Path:
    """NAME.toml in `folder` (NAME.json when NAME ends so; NAME.toml as given)."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise _error(f"the spec's NAME is a file name, not a path: {name!r} (choose the folder with --dir)")
    if Path(name).suffix.lower() in (".toml", ".json"):
        return folder / name
    return folder / f"{name}.toml"


def origin_of(source: str) -> str | Path:
    """What `--from` names: `PACKAGE:NAME`, a file, or a bare name of scenespec's own specs (`linreg`)."""
    if is_packaged(source):
        return source
    path = Path(source)
    if path.suffix == "" and not path.exists() and "/" not in source and "\\" not in source:
        return f"{BUILTIN}:{source}"
    if not path.is_file():
        raise _error(f"--from {source}: no such spec file")
    return path


def start_spec(name: str, source: str | None = None, folder: str | Path = ".", *, force: bool = False) -> Started:
    """Write a new spec NAME in `folder` (from `source`, or the starter), its data files and the schema."""
    folder = Path(folder)
    target = spec_file(name, folder)
    loaded = None if source is None else open_spec(origin_of(source))
    text = _text_for(target, loaded)
    data = [] if loaded is None else _data_files(loaded)
    # a data file already there with the same bytes (the same file, or one an earlier `init` copied) is kept as is
    inside = [(file, rel) for file, rel in data if rel is not None and not _same(file, folder / rel)]
    targets = [target, *(folder / rel for _, rel in inside)]
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        shown = ", ".join(str(path) for path in existing)
        raise RenderError(f"will not overwrite {shown}: choose another NAME or --dir, or add --force")
    folder.mkdir(parents=True, exist_ok=True)
    schema = _write_schema(folder)
    copied = []
    for file, rel in inside:
        destination = folder / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        if file.is_dir():
            shutil.copytree(file, destination, dirs_exist_ok=True)
        else:
            shutil.copyfile(file, destination)
        copied.append(destination)
    target.write_text(text, encoding="utf-8")
    origin = "the starter" if loaded is None else loaded.reference or str(loaded.file)
    return Started(target, origin, schema, copied, [file for file, rel in data if rel is None])


def _text_for(target: Path, loaded: LoadedSpec | None) -> str:
    """The new spec's text, in the target's format, pointing at the schema; TOML comments kept when both are TOML."""
    if loaded is None:
        text, toml = STARTER.format(file=target.name), True
    else:
        text, toml = loaded.text, str(loaded.file).lower().endswith(".toml")
    if target.suffix.lower() == ".toml" and toml:
        lines = text.splitlines(keepends=True)
        if lines and lines[0].startswith("#:schema"):
            lines = lines[1:]
        return f"#:schema {SCHEMA_REFERENCE}\n" + "".join(lines)
    data: dict[str, Any] = tomllib.loads(text) if toml else json.loads(text)
    data.pop("$schema", None)
    if target.suffix.lower() == ".json":
        return json.dumps({"$schema": SCHEMA_REFERENCE, **data}, indent=2, ensure_ascii=False) + "\n"
    try:
        return f"#:schema {SCHEMA_REFERENCE}\n" + dumps(data)
    except NotToml as exc:
        assert loaded is not None
        raise SpecError([loaded.problem(f"{exc}; name the new spec NAME.json to keep it JSON", exc.path)]) from None


def _data_files(loaded: LoadedSpec) -> list[tuple[Path, Path | None]]:
    """The files and folders the spec's sources read, and the bases and fragments it builds on, each with its path
    relative to the spec's folder (None when outside it: an absolute path stays valid wherever the spec goes)."""
    from scenespec.checking import check_scene
    from scenespec.resolve.resolve import context

    scene = check_scene(loaded)
    found: dict[Path, Path | None] = {}
    base = loaded.base_dir.resolve()
    for name, source in scene.sources.items():
        ctx = context(name, loaded, scene.limits)
        for path in [*source.inputs(ctx), *source.followed(ctx)]:
            if not path.exists():
                continue  # a log or recording not written yet: the spec waits for it wherever it is
            resolved = path.resolve()
            found[resolved] = resolved.relative_to(base) if resolved.is_relative_to(base) else None
    for path in loaded.files:  # what `extends` and `include` name, next to the spec as they were
        resolved = path.resolve()
        if loaded.file is not None and resolved != Path(loaded.file).resolve():
            found[resolved] = resolved.relative_to(base) if resolved.is_relative_to(base) else None
    # a folder copied whole covers the files in it
    folders = [path for path in found if path.is_dir()]
    return [
        (path, rel)
        for path, rel in sorted(found.items())
        if not any(path != folder and path.is_relative_to(folder) for folder in folders)
    ]


def _same(file: Path, destination: Path) -> bool:
    """True when `destination` is `file`, or a file with the same bytes."""
    if not destination.exists():
        return False
    if destination.resolve() == file.resolve():
        return True
    return file.is_file() and destination.is_file() and filecmp.cmp(file, destination, shallow=False)


def _write_schema(folder: Path) -> Path:
    """This installation's JSON Schema, plug-in kinds included; always rewritten, since it describes the scenespec
    installed now (it is scenespec's file, not the user's)."""
    from scenespec.schema import generate

    path = folder / SCHEMA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate(), encoding="utf-8")
    return path


def _error(message: str) -> SpecError:
    return SpecError([Problem(message)])
