"""One `scenespec watch` run: read the followed source again at each change, and show its newest step.

The spec is checked once for its structure. Its followed sources (logs and recordings: `SourceSpec.followed`) may
not exist yet or be empty; until they can be read, watch says what it waits for and goes on waiting. A later
problem in a log (a malformed row being fixed, say) is shown the same way without ending the watch; a problem in
the spec itself ends it. The timeline's steps go into a `StreamingTrace` as they appear; a log rewritten from
the start (a new run) starts the drawing again. Drawing skips to the newest step: when steps arrive faster than
frames are drawn, the frames in between are not drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from scenespec.api import Spec
from scenespec.errors import Problem, SpecError
from scenespec.live import LiveRender
from scenespec.load import LoadedSpec
from scenespec.pipeline import check_scene, given_fields
from scenespec.resolve.resolve import context, resolve_sources
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace
from scenespec.validate.references import frames_source
from scenespec.validate.scene import Scene
from scenespec.validate.validate import validate
from scenespec.watch.follow import Follower

FOLLOWED_KINDS = "csv, jsonl, tensorboard, embeddings and recording"


class Presenter(Protocol):
    """Where watch shows the newest step: a window, a PNG file, an animation file."""

    tick: float | None
    """How often to look after the presenter while no change comes (a window's events); None: never."""

    def present(self, watch: Watch) -> str | None:
        """Show what `watch` holds now; returns a status line (None: nothing new shown)."""
        ...

    def idle(self) -> bool:
        """Between changes; False when the user closed the view (watch then ends)."""
        ...


class Watch:
    """The state of a watch: the spec, the followed sources, and the timeline's steps read so far."""

    def __init__(self, loaded: LoadedSpec, report: Callable[[str], None]) -> None:
        self.loaded = loaded
        self.report = report
        structure = validate(loaded)  # structural problems end the watch at once
        self.structure = structure
        self.followed: dict[str, list[Path]] = {}
        for name, source in structure.sources.items():
            paths = source.followed(context(name, loaded, structure.limits))
            if paths:
                self.followed[name] = paths
        if not self.followed:
            kinds = ", ".join(f"{name} ({source.kind})" for name, source in structure.sources.items())
            raise SpecError([loaded.problem(
                f"watch follows {FOLLOWED_KINDS} sources that another process writes; this spec has {kinds or 'none'}",
                ("sources",),
            )])  # fmt: skip
        self.scene: Scene | None = None
        self.timeline: str | None = None
        self.stream: StreamingTrace | None = None
        self.live: LiveRender | None = None
        self.restarts = 0
        self.shown: str | None = None
        """What the last redraw showed, as reported."""
        self._said: str | None = None

    @property
    def paths(self) -> list[Path]:
        return [path for paths in self.followed.values() for path in paths]

    @property
    def spec(self) -> Spec:
        assert self.scene is not None
        return Spec(self.loaded, self.scene)

    def update(self) -> bool:
        """Read the timeline's source again; True when it has steps not seen before (or started again)."""
        if self.scene is None and not self._check():
            return False
        try:
            trace = self._read()
        except SpecError as error:
            self._waiting(error)
            return False
        return self._extend(trace)

    def _check(self) -> bool:
        """Check the bindings once the followed sources can be read; until then, say what is awaited."""
        try:
            scene = check_scene(self.loaded)
            fields = given_fields(self.loaded, scene, {})
        except SpecError as error:
            self._waiting(error)
            return False
        timeline = frames_source(scene, fields)
        if timeline not in self.followed:
            raise SpecError([self.loaded.problem(
                f"the frames follow source {timeline!r}, which watch cannot follow: watch redraws as the steps of a "
                f"{FOLLOWED_KINDS} source arrive (followed here: {', '.join(self.followed)})",
                ("frames", "source") if scene.frames.source is not None else ("sources", str(timeline)),
            )])  # fmt: skip
        self.scene, self.timeline = scene, timeline
        return True

    def _waiting(self, error: SpecError) -> None:
        """A problem with a followed source: say it (once) and wait for the next change; any other: raise."""
        if not all(self._about_followed(problem) for problem in error.problems):
            raise error
        said = f"waiting: {error}"
        if said != self._said:
            self._said = said
            self.report(said)

    def _about_followed(self, problem: Problem) -> bool:
        return len(problem.path) >= 2 and problem.path[0] == "sources" and problem.path[1] in self.followed

    def _read(self) -> Trace:
        """The timeline's source as it is on disk now (a fresh copy of the source: nothing remembered)."""
        assert self.scene is not None and self.timeline is not None
        fresh = self.scene.sources[self.timeline].model_copy()
        scene = self.scene.model_copy(update={"sources": {**self.scene.sources, self.timeline: fresh}})
        fields = given_fields(self.loaded, scene, {})
        return resolve_sources(scene, self.loaded, fields, [self.timeline], cache=False)[self.timeline]

    def _extend(self, trace: Trace) -> bool:
        """Append the steps after those seen; start again if the source no longer begins with them."""
        assert self.timeline is not None
        self._said = None
        seen = len(self.stream) if self.stream is not None else 0
        if self.stream is None or not _continues(self.stream, trace):
            if self.stream is not None:
                self.restarts += 1
                self.report(f"{self.timeline} started again: drawing from its first step")
            self.stream = StreamingTrace(static=trace.static, stepped=list(trace.stepped))
            self.live = self.spec.live({self.timeline: self.stream}, newest=True)
            seen = 0
        for index in range(seen, len(trace.steps)):
            self.stream.append(int(trace.steps[index]), **{name: rows[index] for name, rows in trace.stepped.items()})
        return len(trace.steps) > seen


def _continues(stream: StreamingTrace, trace: Trace) -> bool:
    """`trace` is `stream` with steps added at the end (same static fields, same first steps and values)."""
    before = stream.snapshot()
    count = len(before.steps)
    if len(trace.steps) < count or set(trace.static) != set(before.static) or set(trace.stepped) != set(before.stepped):
        return False
    if not np.array_equal(trace.steps[:count], before.steps):
        return False
    same_static = all(np.array_equal(trace.static[name], before.static[name], equal_nan=True) for name in trace.static)
    last = count - 1
    same_last = count == 0 or all(
        np.array_equal(trace.stepped[name][last], before.stepped[name][last], equal_nan=True) for name in trace.stepped
    )
    return same_static and same_last


def run(watch: Watch, presenter: Presenter) -> None:
    """Redraw at every change of the followed paths until the view is closed (or Ctrl-C)."""
    follower = Follower(watch.paths)
    follower.start()
    try:
        changed = True
        while True:
            if changed and watch.update():
                status = presenter.present(watch)
                if status is not None:
                    watch.shown = status
                    watch.report(status)
            if not presenter.idle():
                return
            changed = follower.wait(presenter.tick)
    finally:
        follower.stop()
