"""What a task carries so that a worker needs no shared disk: the loaded spec, and the files' contents.

A spec's sources may read files (a CSV log, a TensorBoard run, a recording, saved traces, a trainer's CSV data)
that exist only on the machine that submits the work. Two kinds are handled differently, both here:

- Sources that read files and are not worth caching (`cacheable = False`: csv, jsonl, tensorboard, recording,
  embeddings, projector, saved traces) are resolved on the submitting machine, and their `Trace`s travel with the
  task. Reading them is quick, their traces hold what the worker needs and no more, and a folder source (a
  recording, a TensorBoard run, a projector log) is read whole, whatever its layout and wherever its path points
  (`..`, an absolute path), without the worker recreating files.
- Sources that compute (a trainer, the optimizer simulator) run on the worker, which is where the time goes. Those
  that read an input file (the trainer's `data = { kind = "csv", … }`) get its bytes sent with the task, keyed by
  the path the spec names; the worker reads them through `SourceSpec.read_input` (`provided_inputs`), so its trace
  cache key and its messages are the same as here.

The spec travels as the `LoadedSpec` (data, locations, overrides), not as text, so a spec built from other files
is sent as it was assembled here. The worker validates it again (cheap), with the given traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scenespec.load import LoadedSpec
from scenespec.pipeline import Prepared, check_scene, given_fields, resolve_and_schedule
from scenespec.resolve.resolve import context, resolve_sources, used_sources
from scenespec.resolve.trace import Trace
from scenespec.sources._inputs import provided_inputs
from scenespec.validate.references import frames_source
from scenespec.validate.scene import Scene


@dataclass(frozen=True)
class SpecPayload:
    """A spec as a worker gets it: picklable, self-contained."""

    loaded: LoadedSpec
    traces: dict[str, Trace] = field(default_factory=dict)
    """The file-reading sources' traces, resolved where the files are."""
    inputs: dict[str, bytes] = field(default_factory=dict)
    """The input files of the sources that run on the worker: path as the spec names it -> bytes."""


def payload_for(loaded: LoadedSpec, scene: Scene, *, cache: bool = True) -> SpecPayload:
    """Read here what the spec's used sources read from disk: file-reading sources as traces, the computing
    sources' input files as bytes. Raises the SpecError a render here would raise for a missing or broken file."""
    fields = given_fields(loaded, scene, {})
    needed = used_sources(scene, frames_source(scene, fields))
    readers = [name for name in needed if not scene.sources[name].cacheable]
    traces = resolve_sources(scene, loaded, fields, readers, cache=cache)
    inputs: dict[str, bytes] = {}
    for name in needed:
        if name in traces:
            continue
        source = scene.sources[name]
        for path in source.inputs(context(name, loaded, scene.limits)):
            try:
                inputs[str(path)] = source.read_input(path)
            except OSError:
                continue  # the worker reports it, located, when the source reads it
    return SpecPayload(loaded, traces, inputs)


def prepare_payload(payload: SpecPayload, *, cache: bool = True) -> Prepared:
    """On the worker: validate the spec against the given traces, run its other sources (their input files
    taken from the payload), and schedule the frames."""
    with provided_inputs(payload.inputs):
        scene = check_scene(payload.loaded, payload.traces)
        return resolve_and_schedule(payload.loaded, scene, cache=cache, traces=payload.traces)
