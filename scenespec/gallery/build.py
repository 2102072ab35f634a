"""Build the gallery: render each spec once into a GIF, an MP4 and a poster PNG (one render through a tee), each
spec a task of a task runner (this process, local processes or a Dask cluster) whose bytes are written here, then
write the HTML pages from jinja2 templates.

Unchanged specs (same bytes, same scenespec version) reuse their outputs, recorded in `<out>/.gallery.json`.
Pages and the index are always rewritten. Everything taken from a spec is escaped (jinja2 autoescape).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

from scenespec import __version__
from scenespec.errors import RenderError, SpecError
from scenespec.gallery.reader import reader_text, spec_packages, spec_reference
from scenespec.gallery.task import ANIMATION, POSTER, SpecTask, render_spec
from scenespec.render.atomic import commit_file, discard, temp_file_for
from scenespec.tasks import TaskRunner
from scenespec.tasks.local import local_runner

if TYPE_CHECKING:
    from scenespec.load import LoadedSpec
    from scenespec.tasks.payload import SpecPayload
    from scenespec.validate.scene import Scene

MANIFEST = ".gallery.json"
STYLE = "style.css"
SCRIPT = "gallery.js"
SPEC_SUFFIXES = (".toml", ".json")


@dataclass
class Entry:
    """One spec of the gallery: what the pages show about it."""

    path: Path
    name: str
    title: str
    description: str | None = None
    source_kinds: list[str] = field(default_factory=list)
    layer_kinds: list[str] = field(default_factory=list)
    facts: dict[str, Any] | None = None  # frames, width, height, seconds, animated
    error: str | None = None
    error_kind: str | None = None  # "spec" or "render"
    status: str = "rendered"  # rendered, unchanged or failed
    ran_in: str | None = None  # host:pid of the process that rendered it, or failed to (None: not in this build)


@dataclass(frozen=True)
class GalleryResult:
    out: Path
    entries: list[Entry]

    @property
    def failed(self) -> list[Entry]:
        return [e for e in self.entries if e.error is not None]

    def count(self, status: str) -> int:
        return sum(e.status == status for e in self.entries)


SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
"""A spec's folder in the gallery: letters, digits, _ and -, never starting with - (no `.`, so never `.`, `..`,
hidden, or one of the site's own files)."""


def _names(files: Sequence[Path]) -> list[str]:
    """A folder name per spec: its file name's stem made safe (other characters become `_`; a stem of nothing
    but dots is `spec`), unique with -2, -3, … when stems repeat (ignoring case, for case-insensitive disks)."""
    names: list[str] = []
    taken: set[str] = set()
    for file in files:
        base = re.sub(r"[^A-Za-z0-9_-]", "_", file.stem).lstrip("-")
        if not base.strip("_"):
            base = "spec"
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}"
        names.append(name)
        taken.add(name.lower())
    return names


def _remove_spec_folder(out: Path, name: object) -> None:
    """Remove what the gallery wrote for a spec that is gone: only its own files, only inside `out`, and the
    folder only if that leaves it empty. A manifest entry that is not a safe name is ignored."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        return
    folder = out / name
    if folder.is_symlink() or not folder.is_dir() or folder.resolve().parent != out.resolve():
        return
    for file in (*GALLERY_FILES, *(name + suffix for suffix in SPEC_SUFFIXES)):
        with contextlib.suppress(OSError):
            (folder / file).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # fails, and keeps the folder, if anything else is in it


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != __version__ or not isinstance(data.get("specs"), dict):
        return {}
    return data["specs"]


def _write_manifest(out: Path, specs: dict[str, Any]) -> None:
    temp = out / (MANIFEST + ".part")
    try:
        text = json.dumps({"version": __version__, "specs": specs}, indent=1, sort_keys=True)
        temp.write_text(text, encoding="utf-8")
        temp.replace(out / MANIFEST)
    except BaseException:  # a full disk, Ctrl-C or SIGTERM: no half-written manifest left beside the old one
        temp.unlink(missing_ok=True)
        raise


GALLERY_FILES = (*ANIMATION, POSTER, "index.html")
"""The files the gallery writes in every spec's folder; with the reader's copy of the spec (`<name>.toml` or
`<name>.json`), all that it ever deletes there."""


def _outputs(facts: dict[str, Any]) -> list[str]:
    return [POSTER, *ANIMATION] if facts.get("animated") else [POSTER]


def _write_outputs(folder: Path, files: dict[str, bytes]) -> None:
    """Put a spec's rendered files in its folder: each written beside its place, then all moved in (none if any
    write fails). A one-frame scene's stale GIF and MP4 from an earlier build are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    temps: dict[Path, Path] = {}
    try:
        for name, data in files.items():
            target = folder / name
            temps[target] = temp_file_for(target)
            temps[target].write_bytes(data)
        for target, temp in temps.items():
            commit_file(temp, target)
    except BaseException:
        for temp in temps.values():
            discard(temp)
        raise
    if not any(name in files for name in ANIMATION):
        for stale in ANIMATION:
            (folder / stale).unlink(missing_ok=True)


def _fail(entry: Entry, exc: BaseException) -> None:
    """Record a spec's failure on its card: a spec error (it cannot be read or is invalid) or a render error."""
    if isinstance(exc, SpecError):
        entry.error, entry.error_kind = str(exc), "spec"
    elif isinstance(exc, OSError) and not entry.path.is_file():
        entry.error, entry.error_kind = f"{entry.path}: cannot read the spec: {exc.strerror or exc}", "spec"
    else:
        entry.error, entry.error_kind = f"{entry.path}: {exc}", "render"
    entry.status, entry.facts = "failed", None


@dataclass
class _Pending:
    """A spec to render: its entry, its manifest key and digest."""

    entry: Entry
    key: str
    digest: str


def build_gallery(
    files: Sequence[str | Path],
    out: str | Path,
    *,
    workers: int | None = None,
    runner: TaskRunner | None = None,
    report: Callable[[str], None] | None = None,
) -> GalleryResult:
    """Render `files` into `out` and write `out/index.html` and `out/<name>/index.html`.

    Each spec to render is a task (`render_spec`) of `runner` (default: a local runner of `workers` processes,
    one per core by default); its outputs come back as bytes and are written here. `report` gets one line per
    spec (`rendered …`, `unchanged …`, `failed …`). Spec and render errors are caught and shown on the spec's
    card; other errors (the output folder cannot be written) propagate.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    own_runner = runner is None
    runner = runner if runner is not None else local_runner(workers)
    try:
        return _build(files, out, workers, runner, report or (lambda line: None))
    finally:
        if own_runner:
            runner.close()


def _build(
    files: Sequence[str | Path], out: Path, workers: int | None, runner: TaskRunner, say: Callable[[str], None]
) -> GalleryResult:
    from scenespec.pipeline import load_and_validate
    from scenespec.tasks.payload import payload_for

    old = _read_manifest(out)
    new: dict[str, Any] = {}
    entries: list[Entry] = []
    pending: list[_Pending] = []
    payloads: list[SpecPayload] = []
    paths = [Path(f) for f in files]
    for path, name in zip(paths, _names(paths), strict=True):
        key = str(path.resolve())
        entry = Entry(path=path, name=name, title=path.name)
        entries.append(entry)
        try:
            data = path.read_bytes()
            loaded, scene = load_and_validate(path)
            digest = _digest(data, loaded, scene)
            entry.title = scene.scene.title or path.name
            entry.description = scene.scene.description
            entry.source_kinds = sorted({source.kind for source in scene.sources.values()})
            entry.layer_kinds = sorted({layer.kind for panel in scene.panels for layer in panel.layers})
            previous = old.get(key)
            folder = out / name
            if (
                previous
                and previous.get("sha256") == digest
                and previous.get("name") == name
                and all((folder / f).is_file() for f in _outputs(previous["facts"]))
            ):
                entry.facts, entry.status = previous["facts"], "unchanged"
                new[key] = {"sha256": digest, "name": name, "facts": entry.facts}
                say(f"unchanged {name}")
            else:
                payloads.append(payload_for(loaded, scene))  # what the sources read, read here
                pending.append(_Pending(entry, key, digest))
        except (SpecError, RenderError, OSError) as exc:
            _fail(entry, exc)
            say(f"failed {name}: {entry.error}")
    # Where the specs render in this process one after another, each may draw its frames on every core.
    frame_workers = workers if runner.runs_here(len(payloads)) else 1
    tasks = [SpecTask(item.entry.name, payload, frame_workers) for item, payload in zip(pending, payloads, strict=True)]
    for item, outputs in zip(pending, runner.map(render_spec, tasks), strict=True):
        entry = item.entry
        entry.ran_in = outputs.ran_in
        try:
            if outputs.failure is not None:
                raise outputs.failure
            _write_outputs(out / entry.name, outputs.files)
        except (SpecError, RenderError, OSError) as exc:
            _fail(entry, exc)
            say(f"failed {entry.name}: {entry.error}")
        else:
            entry.facts = outputs.facts
            new[item.key] = {"sha256": item.digest, "name": entry.name, "facts": entry.facts}
            assert entry.facts is not None
            frames, seconds = entry.facts["frames"], entry.facts["seconds"]
            say(f"rendered {entry.name} ({frames} {'frame' if frames == 1 else 'frames'}, {seconds:.1f} s)")
        _write_manifest(out, {**old, **new})  # after each spec, so an interrupted build keeps what it rendered
    # Specs no longer in the gallery: forget them and remove the folders this builder made for them.
    names = {e.name for e in entries}
    for key, record in old.items():
        if key not in new and record.get("name") not in names:
            _remove_spec_folder(out, record.get("name"))
    _write_manifest(out, new)
    _write_site(out, entries)
    return GalleryResult(out, entries)


# --- HTML --------------------------------------------------------------------------------------------------------

_TOML_TOKENS = re.compile(
    r'(?P<string>"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\')'
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<table>^[ \t]*\[\[?[^\]\n]*\]\]?)"
    r"|(?P<key>[A-Za-z_][\w-]*(?=[ \t]*=(?!=)))",
    re.MULTILINE,
)


def highlight_toml(text: str) -> Markup:
    """TOML with `<span class="tok-…">` around strings, comments, table headers and keys; everything escaped."""
    parts: list[str] = []
    last = 0
    for match in _TOML_TOKENS.finditer(text):
        parts.append(str(escape(text[last : match.start()])))
        kind = match.lastgroup
        parts.append(f'<span class="tok-{kind}">{escape(match.group())}</span>')
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("scenespec.gallery", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _write_text(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".part")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


@dataclass(frozen=True)
class _Page:
    """What a spec's page shows beyond its entry: the spec as the reader gets it and how to render it again."""

    source: Markup  # the reader's text, highlighted and escaped
    language: str
    download: str  # the reader's copy's file name, in the spec's folder
    reference: str  # what `scenespec render` and `scenespec init --from` are given: a file name or PACKAGE:NAME
    schema_dropped: bool
    prev: Entry | None
    next: Entry | None


def _write_site(out: Path, entries: list[Entry]) -> None:
    env = _environment()
    for asset in (STYLE, SCRIPT):
        text = resources.files("scenespec.gallery").joinpath("templates", asset).read_text(encoding="utf-8")
        _write_text(out / asset, text)
    template = env.get_template("page.html")
    shown = [entry for entry in entries if entry.error is None]
    packages = spec_packages()
    for i, entry in enumerate(shown):
        language = "json" if entry.path.suffix.lower() == ".json" else "toml"
        original = entry.path.read_text(encoding="utf-8", errors="replace")
        text = reader_text(original, language)
        download = entry.name + (".json" if language == "json" else ".toml")
        folder = out / entry.name
        _write_text(folder / download, text)
        (folder / (entry.name + (".toml" if language == "json" else ".json"))).unlink(missing_ok=True)
        page = _Page(
            source=highlight_toml(text) if language == "toml" else Markup(escape(text)),
            language=language,
            download=download,
            reference=spec_reference(entry.path, download, packages),
            schema_dropped=text != original,
            prev=shown[i - 1] if i > 0 else None,
            next=shown[i + 1] if i + 1 < len(shown) else None,
        )
        html = template.render(entry=entry, page=page, version=__version__, root="../")
        _write_text(folder / "index.html", html)
    sources = sorted({kind for entry in entries for kind in entry.source_kinds})
    layers = sorted({kind for entry in entries for kind in entry.layer_kinds})
    html = env.get_template("index.html").render(
        entries=entries, sources=sources, layers=layers, version=__version__, root=""
    )
    _write_text(out / "index.html", html)


def _digest(data: bytes, loaded: LoadedSpec, scene: Scene) -> str:
    """The sha256 of a spec's bytes, of the other files it is read from (a base it extends, fragments it
    includes), of its theme's settings and of every file its sources read (a CSV, a training log): a spec is
    unchanged only if all are. A file that cannot be read counts as changed (rendering reports it)."""
    from scenespec.resolve.resolve import context

    digest = hashlib.sha256(data)
    for file in loaded.files[1:]:  # the first is the spec itself
        try:
            digest.update(hashlib.sha256(file.read_bytes()).digest())
        except OSError:
            digest.update(os.urandom(16))
    theme = scene.scene.resolved_theme
    if theme is not None:  # what its theme file (and the themes it builds on) set, wherever they are
        digest.update(repr((sorted(theme.rc.items()), sorted(theme.optimizer_colors.items()))).encode())
    for name, source in scene.sources.items():
        ctx = context(name, loaded, scene.limits)
        for file in source.inputs(ctx):
            try:
                digest.update(hashlib.sha256(source.read_input(file)).digest())
            except OSError:
                digest.update(os.urandom(16))
    return digest.hexdigest()
