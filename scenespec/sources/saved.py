"""Source `trace`: a trace saved earlier as `.npz`, so an expensive run is done once."""

from __future__ import annotations

import zipfile
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import Field

from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, register_source


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
        return [ctx.base_dir / self.path]

    def _load(self, ctx: ResolveContext) -> Trace:
        """The saved trace, read once per render (for `fields` when validating, then for `resolve`)."""
        return self.once(("trace", ctx.base_dir), partial(self._read, ctx))

    def _read(self, ctx: ResolveContext) -> Trace:
        file = ctx.base_dir / self.path
        try:
            return Trace.load(file, self.source)
        except KeyError as exc:
            raise ctx.error(f"cannot load trace {str(file)!r}: {exc.args[0]}", "source") from None
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ctx.error(f"cannot load trace {str(file)!r}: {exc}", "path") from None

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        trace = self._load(ctx)
        return {name: name in trace.stepped for name in trace.names}

    def resolve(self, ctx: ResolveContext) -> Trace:
        return self._load(ctx)
