"""Source `trace`: a trace saved earlier as `.npz`, so an expensive run is done once."""

from __future__ import annotations

import zipfile
from typing import Literal

from pydantic import Field

from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, register_source


@register_source
class SavedTraceSource(SourceSpec):
    """Load a trace written by `Trace.save` (static and stepped arrays, and the step numbers).

    Trace fields: whatever the saved trace holds.
    """

    example = """
[sources.run]
kind = "trace"
path = "runs/linreg.npz"
"""

    kind: Literal["trace"]
    path: str = Field(description="The `.npz` file, relative to the spec file.")

    def _load(self, ctx: ResolveContext) -> Trace:
        file = ctx.base_dir / self.path
        try:
            return Trace.load(file)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ctx.error(f"cannot load trace {str(file)!r}: {exc}", "path") from None

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        trace = self._load(ctx)
        return {name: name in trace.stepped for name in trace.names}

    def resolve(self, ctx: ResolveContext) -> Trace:
        return self._load(ctx)
