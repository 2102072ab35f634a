"""Source `projector`: a TensorBoard projector log folder, each embedding of its config a checkpoint.

So an embedding exported for TensorBoard (by `SummaryWriter.add_embedding`, by `scenespec projector`, by hand) can
be animated across training; reading is scenespec/projector/read.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from scenespec.projector.read import Projected, ReadError, TooLarge, read_folder
from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source


@register_source
class ProjectorSource(SourceSpec):
    """A TensorBoard projector log folder: the folder holding `projector_config.pbtxt` (the folder given to
    `SummaryWriter` for `add_embedding`, or written by `scenespec projector`).

    Trace fields: stepped `embedding` ((steps, n, d), one checkpoint per embedding of the config; steps from the
    tensor names when each ends in a number, as `add_embedding`'s `tag:00010`, else 0, 1, 2… in config order);
    static `labels` ((n,) int64 from the metadata's label column; text labels become codes into a static
    `label_names`), one static float field per other numeric metadata column (named like `csv` columns), and static
    `images` ((n, h, w) in [0, 1], or (n, h, w, 3) for a colour sprite) cut from the sprite by `single_image_dim`.
    """

    example = """
[sources.run]
kind = "projector"
path = "runs/digits"       # the folder holding projector_config.pbtxt
label = "label"            # the metadata column of the labels (default: the first)
"""

    kind: Literal["projector"]
    path: str = Field(description="The projector log folder, relative to the spec file.")
    label: str | None = Field(
        None,
        description="The metadata column holding the labels. Default: the first column (a metadata file without "
        "a header has only one).",
    )
    tensor: str | None = Field(
        None,
        description="Which tensors, by name without the step number (`default` for add_embedding's default tag): "
        "needed when the config holds several series of checkpoints.",
    )

    cacheable = False  # reading the files is as quick as reading a cached trace

    def folder(self, ctx: ResolveContext) -> Path:
        return ctx.folder("path") / self.path

    def _read(self, ctx: ResolveContext) -> Projected:
        return self.once(("projected", ctx.base_dir), lambda: self._load(ctx))

    def _load(self, ctx: ResolveContext) -> Projected:
        try:
            return read_folder(
                self.folder(ctx), label=self.label, tensor=self.tensor, max_bytes=ctx.limits.value("max_trace_bytes")
            )
        except TooLarge as exc:
            raise ctx.too_large(exc.what, exc.nbytes) from None
        except ReadError as exc:
            raise ctx.error(str(exc), *([exc.key] if exc.key else [])) from None

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        return self._read(ctx).inputs

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        projected = self._read(ctx)
        return {"embedding": True} | {name: False for name in projected.static}

    def field_origins(self) -> dict[str, str]:
        read = [value for key, value in self._memo.items() if isinstance(key, tuple) and key[0] == "projected"]
        return dict(read[0].origins) if read else {}

    def trace_shape(self, ctx: ResolveContext) -> TraceShape:
        projected = self._read(ctx)
        static = {name: values.shape for name, values in projected.static.items()}
        return TraceShape.of(len(projected.steps), static, {"embedding": projected.embedding.shape[1:]}, ("path",))

    def resolve(self, ctx: ResolveContext) -> Trace:
        return self._read(ctx).trace()
