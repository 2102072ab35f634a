"""`scenespec projector SPEC -o LOGDIR`: resolve the spec's embedding source and write it as a projector folder."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from scenespec.errors import RenderError, SpecError, did_you_mean
from scenespec.load import LoadedSpec
from scenespec.projector.config import FILENAME
from scenespec.projector.events import PREFIX
from scenespec.projector.export import METADATA, SPRITE, TENSORS, Exported, export
from scenespec.render.progress import Phase
from scenespec.resolve.resolve import resolve_sources
from scenespec.validate.references import SourceFields

FIELD = "embedding"
WRITTEN = {FILENAME, METADATA, SPRITE, TENSORS}
"""What an export holds: an existing folder holding nothing else may be replaced."""


@dataclass(frozen=True)
class ProjectorResult:
    source: str
    exported: Exported
    seconds: float


def pick_source(fields: SourceFields, chosen: str | None, locate: LoadedSpec) -> str:
    """The source to export: `chosen` (which must record a stepped `embedding`), or the only source that does."""
    with_embedding = [name for name, known in fields.items() if known.get(FIELD)]
    if chosen is not None:
        if chosen not in fields:
            hint = did_you_mean(chosen, list(fields))
            raise RenderError(f"--source {chosen}: the spec has no such source{hint} (it has {', '.join(fields)})")
        if not fields[chosen].get(FIELD):
            what = "records `embedding` once, not per step" if FIELD in fields[chosen] else "records no `embedding`"
            others = f" (sources with one: {', '.join(with_embedding)})" if with_embedding else ""
            message = f"--source {chosen}: this source {what}; the projector exports a stepped `embedding`{others}"
            raise SpecError([locate.problem(message, ("sources", chosen))])
        return chosen
    if not with_embedding:
        message = (
            "no source records a stepped `embedding` to export (sources: "
            f"{', '.join(fields) or 'none'}); add one, such as a `classifier`, a `projector` or a saved `trace`"
        )
        raise SpecError([locate.problem(message, ("sources",))])
    if len(with_embedding) > 1:
        message = f"several sources record an `embedding` ({', '.join(with_embedding)}); choose one with --source"
        raise SpecError([locate.problem(message, ("sources",))])
    return with_embedding[0]


def check_target(out: Path) -> None:
    """Refuse a target that cannot be written or that holds anything an export would not (it is replaced whole)."""
    parent = out.resolve().parent
    if not parent.is_dir():
        raise RenderError(f"cannot write {out}: folder {parent} does not exist")
    if out.exists() and not out.is_dir():
        raise RenderError(f"cannot write {out}: it is a file (a projector log is a folder)")
    if out.is_dir():
        foreign = sorted(
            entry.name for entry in out.iterdir() if entry.name not in WRITTEN and not entry.name.startswith(PREFIX)
        )
        if foreign:
            raise RenderError(
                f"will not replace {out}: it holds {', '.join(foreign[:3])}{'…' if len(foreign) > 3 else ''}, which "
                "an export does not write; name a new or empty folder, or one written by `scenespec projector`"
            )


def write_projector(
    path: str | Path,
    out: str | Path,
    overrides: Sequence[str] = (),
    source: str | None = None,
    *,
    cache: bool = True,
    progress: bool | None = False,
) -> ProjectorResult:
    """Resolve the spec's embedding source (through the trace cache unless `cache=False`) and export it to `out`."""
    from scenespec.checking import given_fields, load_and_validate

    started = time.perf_counter()
    loaded, scene = load_and_validate(path, overrides)
    fields = given_fields(loaded, scene, {})
    name = pick_source(fields, source, loaded)
    target = Path(out)
    check_target(target)
    phase = partial(Phase, enabled=progress)
    trace = resolve_sources(scene, loaded, fields, [name], cache=cache, phase=phase)[name]
    shape = trace.stepped[FIELD].shape
    if len(shape) != 3:
        per_step = "×".join(map(str, shape[1:])) or "one number"
        message = f"its `embedding` holds {per_step} per step; the projector exports (n points, d dims) per step"
        raise SpecError([loaded.problem(message, ("sources", name))])
    exported = export(trace, target, field_name=FIELD)
    return ProjectorResult(name, exported, time.perf_counter() - started)
