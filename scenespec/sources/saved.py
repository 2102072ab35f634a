"""Source `trace`: a trace saved earlier as `.npz`, so an expensive run is done once."""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import Field

from scenespec.resolve.npz import ArrayHeader, NotATrace, TooLarge, read_headers
from scenespec.resolve.trace import STATIC_PREFIX, STEPPED_PREFIX, STEPS_KEY, Trace, trace_prefix
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source
from scenespec.validate.limits import FieldSize


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
        return ctx.folder("path") / self.path

    def _load(self, ctx: ResolveContext) -> Saved:
        """The file's headers and the trace, read once per render (for `fields` when validating, then for
        `resolve`) from one opening of the file."""
        return self.once(("trace", ctx.base_dir), partial(self._read, ctx))

    def _read(self, ctx: ResolveContext) -> Saved:
        """Check the headers (kind of file, budget) and find the source before loading a byte of data."""
        file = self.file(ctx)
        try:
            with open(file, "rb") as handle:
                headers = read_headers(handle, ctx.limits.value("max_trace_bytes"))
                prefix = trace_prefix(list(headers), self.source)
                handle.seek(0)
                trace = Trace.load(handle, self.source, max_bytes=ctx.limits.value("max_trace_bytes"))
        except NotATrace as exc:
            raise ctx.error(f"{str(file)!r} is not a scenespec trace (.npz): {exc}", "path") from None
        except TooLarge as exc:
            raise ctx.too_large(repr(str(file)), exc.nbytes, exc.what) from None
        except KeyError as exc:
            raise ctx.error(f"cannot load trace {str(file)!r}: {exc.args[0]}", "source") from None
        except (OSError, ValueError, zipfile.BadZipFile) as exc:  # unreadable, or data that does not match its header
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ctx.error(f"cannot load trace {str(file)!r}: {reason}", "path") from None
        mine = {name.removeprefix(prefix): header for name, header in headers.items() if name.startswith(prefix)}
        return Saved(mine, trace)

    def trace_shape(self, ctx: ResolveContext) -> TraceShape:
        """The shapes the file's headers declare (checked against the budget before the file was loaded)."""
        headers = self._load(ctx).headers
        steps_header = headers[STEPS_KEY]
        steps = steps_header.shape[0] if steps_header.shape else 1
        sizes = {}
        for name, header in headers.items():
            if name.startswith(STEPPED_PREFIX):
                sizes[name.removeprefix(STEPPED_PREFIX)] = FieldSize(
                    math.prod(header.shape[1:]), steps, tuple(header.shape[1:])
                )
            elif name.startswith(STATIC_PREFIX):
                sizes[name.removeprefix(STATIC_PREFIX)] = FieldSize(math.prod(header.shape), shape=tuple(header.shape))
        return TraceShape(steps, sizes, sum(header.nbytes for header in headers.values()), ("path",))

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        trace = self._load(ctx).trace
        return {name: name in trace.stepped for name in trace.names}

    def resolve(self, ctx: ResolveContext) -> Trace:
        return self._load(ctx).trace


@dataclass(frozen=True)
class Saved:
    """What was read of the file: the headers of this source's arrays (keys without the source's prefix)
    and its trace."""

    headers: dict[str, ArrayHeader]
    trace: Trace
