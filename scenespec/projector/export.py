"""Write a trace's embedding as a TensorBoard projector log folder: one tensor per checkpoint, shared metadata and
sprite, and the config that ties them together. The folder is written beside its target and swapped in whole.

Layout (every path in the config is relative to the folder, as the plugin requires):

    projector_config.pbtxt
    metadata.tsv            label, index, then the trace's other per-point static fields
    sprite.png              the `images` field's thumbnails (when the trace has images)
    tensors/step_00010.tsv  the embedding at step 10, one per checkpoint
    events.out.tfevents.…   an empty event log, which makes the folder a TensorBoard run (events.py)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scenespec.projector.config import FILENAME, EmbeddingInfo, to_pbtxt
from scenespec.projector.events import write_event_file
from scenespec.projector.sprite import MAX_SIDE, SpritePlan, build_sprite, plan_sprite, stratified_sample
from scenespec.projector.tsv import metadata_text, tensor_text
from scenespec.render.atomic import commit_dir, discard, temp_dir_for
from scenespec.resolve.trace import Trace

METADATA = "metadata.tsv"
SPRITE = "sprite.png"
TENSORS = "tensors"


@dataclass
class Exported:
    """What was written: the folder, the tensor names by step, the points kept, the sprite's layout (None: no
    sprite) and what the user should be told (a sample, scaled thumbnails, no images)."""

    folder: Path
    names: dict[int, str]
    points: int
    dims: int
    sprite: SpritePlan | None
    warnings: list[str] = field(default_factory=list)


def tensor_name(name: str, step: int, width: int) -> str:
    """`embedding step 00010`: zero-padded, so TensorBoard's list of tensors sorts by step and the step shows."""
    return f"{name} step {step:0{width}d}"


def export(trace: Trace, out: Path, *, field_name: str = "embedding", max_side: int = MAX_SIDE) -> Exported:
    """Write `trace`'s stepped `field_name` ((steps, n, d)) with its static `labels`, `images` and other per-point
    fields as a projector folder at `out` (replacing it whole). `max_side`: the sprite's largest side."""
    embedding = np.asarray(trace.stepped[field_name])
    count = embedding.shape[1]
    labels = _per_point(trace, "labels", count)
    images = trace.static.get("images")
    warnings: list[str] = []
    keep = np.arange(count)
    plan: SpritePlan | None = None
    if images is None or not _thumbnails(images, count):
        warnings.append(
            f"no sprite: the trace has no per-point `images` field ((n, h, w) or (n, h, w, 3) for its {count} points); "
            "the tensors and metadata are written without thumbnails"
        )
        images = None
    else:
        height, width = images.shape[1:3]
        plan = plan_sprite(count, height, width, max_side)
        if plan is None:
            sample = max_side * max_side
            keep = stratified_sample(labels, count, sample)
            plan = plan_sprite(len(keep), height, width, max_side)
            assert plan is not None
            warnings.append(
                f"the sprite of {count} thumbnails does not fit TensorBoard's {max_side}×{max_side} px limit even at "
                f"1 px each: exported a sample of {len(keep)} points, stratified by label (the `index` column of "
                f"{METADATA} gives each point's index in the trace)"
            )
        elif (plan.width, plan.height) != (width, height):
            warnings.append(
                f"thumbnails scaled down from {width}×{height} to {plan.width}×{plan.height} px so that the sprite "
                f"({plan.columns}×{plan.columns} thumbnails, {plan.pixels[0]}×{plan.pixels[1]} px) fits TensorBoard's "
                f"{max_side}×{max_side} px limit"
            )
    steps = [int(step) for step in trace.steps]
    width_digits = max(5, len(str(max(steps, default=0))))
    names = {step: tensor_name(field_name, step, width_digits) for step in steps}
    temp = temp_dir_for(out)
    try:
        _write(temp, trace, embedding, keep, labels, images, plan, names, width_digits)
        commit_dir(temp, out)
    except BaseException:
        discard(temp)
        raise
    return Exported(out, names, len(keep), embedding.shape[2], plan, warnings)


def _thumbnails(images: np.ndarray, count: int) -> bool:
    """Whether `images` holds one grey (h, w) or colour (h, w, 3) thumbnail per point."""
    return len(images) == count and (images.ndim == 3 or (images.ndim == 4 and images.shape[3] == 3))


def _per_point(trace: Trace, name: str, count: int) -> np.ndarray | None:
    values = trace.static.get(name)
    return np.asarray(values) if values is not None and np.ndim(values) == 1 and len(values) == count else None


def _write(
    folder: Path,
    trace: Trace,
    embedding: np.ndarray,
    keep: np.ndarray,
    labels: np.ndarray | None,
    images: np.ndarray | None,
    plan: SpritePlan | None,
    names: dict[int, str],
    digits: int,
) -> None:
    (folder / METADATA).write_text(metadata_text(_metadata(trace, keep, labels, embedding.shape[1])), encoding="utf-8")
    if images is not None and plan is not None:
        build_sprite(images[keep] if len(keep) != len(images) else images, plan).save(folder / SPRITE)
    (folder / TENSORS).mkdir()
    infos = []
    for row, (step, name) in enumerate(names.items()):
        path = f"{TENSORS}/step_{step:0{digits}d}.tsv"
        (folder / path).write_text(tensor_text(embedding[row][keep]), encoding="utf-8")
        infos.append(
            EmbeddingInfo(
                tensor_name=name,
                tensor_path=path,
                metadata_path=METADATA,
                tensor_shape=[len(keep), embedding.shape[2]],
                sprite_path=SPRITE if plan is not None else "",
                single_image_dim=[plan.width, plan.height] if plan is not None else [],
            )
        )
    (folder / FILENAME).write_text(to_pbtxt(infos), encoding="utf-8")
    write_event_file(folder)


def _metadata(trace: Trace, keep: np.ndarray, labels: np.ndarray | None, count: int) -> dict[str, list[str]]:
    """`label` (when the trace has labels), `index` (each point's index in the trace), then every other static
    per-point field of one value per point (numbers or text)."""
    columns: dict[str, list[str]] = {}
    if labels is not None:
        columns["label"] = [_text(value) for value in labels[keep].tolist()]
    columns["index"] = [str(int(i)) for i in keep]
    for name, values in trace.static.items():
        if name in ("labels", "images", "label", "index") or np.ndim(values) != 1 or len(values) != count:
            continue
        columns[name] = [_text(value) for value in np.asarray(values)[keep].tolist()]
    return columns


def _text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)
