"""Source `recording`: a run recorded by `scenespec.Recorder` from the user's own training loop."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import Field

from scenespec.record.layout import NotARecording
from scenespec.record.reader import EmptyRecording, RecordingIndex, index_recording
from scenespec.resolve.npz import NotATrace, TooLarge
from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source


@register_source
class RecordingSource(SourceSpec):
    """Read a run recorded with `scenespec.Recorder` (docs/your-own-training.md): the steps complete when the
    spec is rendered, even while the run is still going or after it was killed.

    Trace fields: what the recording holds, its `static(...)` fields static and its `log(...)` fields per step.
    Given in memory instead (`Spec.render(traces={"fit": recorder.trace()})`), the folder is not read.
    """

    example = """
[sources.fit]
kind = "recording"
path = "runs/fit"     # the folder given to scenespec.Recorder("runs/fit")
"""

    kind: Literal["recording"]
    path: str = Field(description="The recording's folder, relative to the spec file.")

    cacheable = False  # it is on disk already, and it may still be growing

    def folder(self, ctx: ResolveContext) -> Path:
        """`path` relative to the spec's folder (an absolute `path` stays as it is)."""
        return ctx.folder("path") / self.path

    def followed(self, ctx: ResolveContext) -> list[Path]:
        return [self.folder(ctx)]

    def index(self, ctx: ResolveContext) -> RecordingIndex:
        """The recording as measured once per render: its fields and complete steps (later steps are not read)."""
        return self.once(("index", ctx.base_dir), partial(self._index, ctx))

    def _index(self, ctx: ResolveContext) -> RecordingIndex:
        folder = self.folder(ctx)
        name = repr(str(folder))
        try:
            return index_recording(folder, ctx.limits.value("max_trace_bytes"))
        except FileNotFoundError:
            raise ctx.error(f"no recording at {name}: the folder does not exist", "path") from None
        except (NotARecording, NotATrace) as exc:
            raise ctx.error(f"{name} is not a scenespec recording: {exc}", "path") from None
        except EmptyRecording as exc:
            raise ctx.error(f"the recording {name} is empty: {exc}; nothing to draw", "path") from None
        except TooLarge as exc:
            raise ctx.too_large(name, exc.nbytes, exc.what) from None
        except OSError as exc:
            raise ctx.error(f"cannot read the recording {name}: {exc.strerror or exc}", "path") from None

    def fields_known(self, ctx: ResolveContext) -> bool:
        """Not until the run has begun: no folder yet, or no complete step (a spec fed by `traces=`, or loaded
        before its run, is valid; rendering it from the folder then needs the recording)."""
        try:
            index_recording(self.folder(ctx))
        except (FileNotFoundError, EmptyRecording):
            return False
        except (ValueError, OSError):
            return True  # `fields` reports what is wrong
        return True

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        index = self.index(ctx)
        return {name: False for name in index.static_shapes} | {name: True for name in index.stepped_shapes}

    def trace_shape(self, ctx: ResolveContext) -> TraceShape:
        """The size of the complete steps, from the manifest and the files' lengths (no data read)."""
        index = self.index(ctx)
        return TraceShape.of(index.steps, index.static_shapes, index.stepped_shapes, ("path",))

    def resolve(self, ctx: ResolveContext) -> Trace:
        index = self.index(ctx)
        try:
            return self.once(("trace", ctx.base_dir), index.load)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ctx.error(f"cannot read the recording {str(index.folder)!r}: {reason}", "path") from None
