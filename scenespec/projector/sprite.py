"""The sprite: every point's thumbnail in one PNG, a square grid in point order, as the projector reads it.

TensorBoard's projector refuses a sprite over 8192×8192 px (a limit of the browser textures it draws with), which
`add_embedding` ignores. A sprite here always fits: thumbnails are scaled down until the grid does, and when even
1 px thumbnails would not fit, a sample of the points, stratified by label, is exported instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

MAX_SIDE = 8192
"""The largest sprite width and height TensorBoard's projector shows (its frontend's limit)."""


@dataclass(frozen=True)
class SpritePlan:
    """How the sprite is laid out: `columns` thumbnails per row (and as many rows), each `width`×`height` px."""

    columns: int
    width: int
    height: int

    @property
    def pixels(self) -> tuple[int, int]:
        """(width, height) of the sprite."""
        return self.columns * self.width, self.columns * self.height


def grid_columns(count: int) -> int:
    """Thumbnails per row of a square grid of `count`, as TensorBoard and `add_embedding` lay them out."""
    return max(1, math.ceil(math.sqrt(count)))


def plan_sprite(count: int, height: int, width: int, max_side: int = MAX_SIDE) -> SpritePlan | None:
    """The largest thumbnails (at most the images' own size, same aspect) whose square grid of `count` fits in
    `max_side`², or None when not even 1 px thumbnails fit (more than `max_side`² points)."""
    columns = grid_columns(count)
    if columns > max_side:
        return None
    scale = min(1.0, max_side / (columns * width), max_side / (columns * height))
    return SpritePlan(columns, max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))


def stratified_sample(labels: np.ndarray | None, count: int, size: int) -> np.ndarray:
    """`size` of `count` point indices, in order, each label keeping its share (largest remainders), spread evenly
    over that label's points: deterministic, so the same trace always exports the same points."""
    if labels is None:
        return np.unique(np.linspace(0, count - 1, size).round().astype(np.int64))
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    shares = counts * (size / count)
    quotas = np.floor(shares).astype(np.int64)
    for label in np.argsort(-(shares - quotas), kind="stable")[: size - int(quotas.sum())]:
        quotas[label] += 1
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    chosen = [
        order[starts[label] : starts[label + 1]][np.linspace(0, counts[label] - 1, quotas[label]).round().astype(int)]
        for label in range(len(values))
        if quotas[label]
    ]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def _pixels(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] as 8-bit pixels."""
    return np.round(np.clip(np.asarray(images, dtype=np.float64), 0.0, 1.0) * 255).astype(np.uint8)


def _thumbnail(pixels: np.ndarray, plan: SpritePlan) -> np.ndarray:
    if pixels.shape[:2] == (plan.height, plan.width):
        return pixels
    resized = Image.fromarray(pixels).resize((plan.width, plan.height), Image.Resampling.BOX)  # area average
    return np.asarray(resized)


def build_sprite(images: np.ndarray, plan: SpritePlan) -> Image.Image:
    """The sprite of `images` ((n, h, w) grey or (n, h, w, 3) colour, in [0, 1]): row by row, so a large set is
    never converted whole."""
    colour = images.ndim == 4
    width, height = plan.pixels
    sheet = np.zeros((height, width, 3) if colour else (height, width), dtype=np.uint8)
    for row in range(math.ceil(len(images) / plan.columns)):
        chunk = _pixels(images[row * plan.columns : (row + 1) * plan.columns])
        for column, pixels in enumerate(chunk):
            top, left = row * plan.height, column * plan.width
            sheet[top : top + plan.height, left : left + plan.width] = _thumbnail(pixels, plan)
    return Image.fromarray(sheet, "RGB" if colour else "L")


def split_sprite(sprite: Image.Image, count: int, width: int, height: int) -> np.ndarray:
    """The `count` thumbnails of a sprite, `width`×`height` px each, in row-major order, as floats in [0, 1]: (n, h, w)
    when the sprite is grey (or colour with equal channels, as `add_embedding` writes grey images), else (n, h, w, 3).

    Raises ValueError when the sprite holds fewer thumbnails than points."""
    if sprite.mode not in ("L", "RGB"):
        sprite = sprite.convert("RGBA" if "A" in sprite.mode or sprite.mode == "P" else "RGB").convert("RGB")
    pixels = np.asarray(sprite)
    columns, rows = sprite.width // width, sprite.height // height
    if columns * rows < count:
        raise ValueError(
            f"a sprite of {sprite.width}×{sprite.height} px holds {columns}×{rows} = {columns * rows} thumbnails of "
            f"{width}×{height} px, fewer than the {count} points"
        )
    if (
        pixels.ndim == 3
        and np.array_equal(pixels[..., 0], pixels[..., 1])
        and np.array_equal(pixels[..., 0], pixels[..., 2])
    ):
        pixels = pixels[..., 0]
    cells = pixels[: rows * height, : columns * width].reshape(rows, height, columns, width, *pixels.shape[2:])
    thumbnails = cells.swapaxes(1, 2).reshape(rows * columns, height, width, *pixels.shape[2:])[:count]
    return thumbnails.astype(np.float64) / 255.0
