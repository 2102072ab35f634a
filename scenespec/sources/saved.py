"""Source `trace`: a trace saved earlier as `.npz`, so an expensive run is done once."""

from __future__ import annotations

import math
import zipfile
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import Field

from scenespec.resolve.npz import ArrayHeader, NotATrace, TooLarge, read_headers
from scenespec.resolve.trace import STATIC_PREFIX, STEPPED_PREFIX, STEPS_KEY, Trace, trace_prefix
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source
from scenespec.validate.limits import FieldSize, byte_size, over_limit


@register_source
class SavedTraceSource(SourceSpec):
    """Load a trace saved earlier: a file written by `scenespec trace` (one source of it) or by `Trace.save`.

    Trace fields: whatever the saved trace holds.
    """

    example = """
[sources.run]
kind = "trace"
path = "runs/linreg.npz"     # written by `scenespec trace specs/linreg.toml -o runs/linreg.npz`
source = "fit"
"""

    kind: Literal["trace"]
    path: str = Field(description="The `.npz` file, relative to the spec file.")
    source: str | None = Field(
        None, description="Which source of a file written by `scenespec trace` (needed when it holds several)."
    )

    cacheable = False  # it is a file on disk already: caching would only copy it

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        return [self.file(ctx)]

    def file(self, ctx: ResolveContext) -> Path:
        """The `.npz`: `path` relative to the spec's folder (an absolute `path` stays as it is)."""
        return ctx.base_dir / self.path

    def _headers(self, ctx: ResolveContext) -> dict[str, ArrayHeader]:
        """The file's array headers, checked (kind of file, budget) before anything is loaded; read once."""
        return self.once(("headers", ctx.base_dir), partial(self._read_headers, ctx))

    def _read_headers(self, ctx: ResolveContext) -> dict[str, ArrayHeader]:
        file = self.file(ctx)
        try:
            return read_headers(file, ctx.limits.value("max_trace_bytes"))
        except NotATrace as exc:
            raise ctx.error(f"{str(file)!r} is not a scenespec trace (.npz): {exc}", "path") from None
        except TooLarge as exc:
            estimate = f"{str(file)!r}: {exc.what} {byte_size(exc.nbytes)}"
            raise ctx.error(over_limit(estimate, "max_trace_bytes", ctx.limits), "path") from None
        except OSError as exc:
            raise ctx.error(f"cannot load trace {str(file)!r}: {exc.strerror or exc}", "path") from None

    def _prefix(self, ctx: ResolveContext) -> str:
        try:
            return trace_prefix(list(self._headers(ctx)), self.source)
        except NotATrace as exc:
            raise ctx.error(f"{str(self.file(ctx))!r} is not a scenespec trace (.npz): {exc}", "path") from None
        except KeyError as exc:
            raise ctx.error(f"cannot load trace {str(self.file(ctx))!r}: {exc.args[0]}", "source") from None

    def trace_shape(self, ctx: ResolveContext, *, read: bool = False) -> TraceShape:
        """The shapes the file's headers declare (read without loading the arrays)."""
        headers, prefix = self._headers(ctx), self._prefix(ctx)
        mine = {name.removeprefix(prefix): header for name, header in headers.items() if name.startswith(prefix)}
        steps = mine[STEPS_KEY].shape[0] if mine[STEPS_KEY].shape else 1
        sizes = {
            name.removeprefix(group): FieldSize(
                math.prod(header.shape[1 if stepped else 0 :]), steps if stepped else None
            )
            for name, header in mine.items()
            for group, stepped in ((STATIC_PREFIX, False), (STEPPED_PREFIX, True))
            if name.startswith(group)
        }
        return TraceShape(steps, sizes, sum(header.nbytes for header in mine.values()), ("path",))

    def _load(self, ctx: ResolveContext) -> Trace:
        """The saved trace, read once per render (for `fields` when validating, then for `resolve`)."""
        return self.once(("trace", ctx.base_dir), partial(self._read, ctx))

    def _read(self, ctx: ResolveContext) -> Trace:
        file = self.file(ctx)
        self._prefix(ctx)  # the headers checked, and the source found, before loading
        try:
            return Trace.load(file, self.source, max_bytes=ctx.limits.value("max_trace_bytes"))
        except (OSError, ValueError, zipfile.BadZipFile) as exc:  # changed since its headers were read
            raise ctx.error(f"cannot load trace {str(file)!r}: {exc}", "path") from None

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        trace = self._load(ctx)
        return {name: name in trace.stepped for name in trace.names}

    def resolve(self, ctx: ResolveContext) -> Trace:
        return self._load(ctx)
