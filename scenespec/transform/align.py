"""Alignment of one checkpoint's layout to the previous one, so that an animation of projections does not jump.

A PCA axis has no preferred sign, and two nearly equal variances may swap axes from one checkpoint to the next:
projected on their own, the clusters mirror or turn between frames although the embedding barely moved. The
orthogonal Procrustes problem finds the rotation (or reflection) R minimising ‖A·R − B‖ for the centred layouts
A (this checkpoint) and B (the previous one); R being orthogonal, distances within the layout are unchanged.
"""

from __future__ import annotations

import itertools

import numpy as np


def centred(layout: np.ndarray) -> np.ndarray:
    """The layout moved so that its points' mean is the origin."""
    return layout - layout.mean(axis=0, keepdims=True)


def procrustes_rotation(layout: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The orthogonal matrix R (dims × dims) that brings the centred `layout` closest to the centred `reference`."""
    from scipy.linalg import orthogonal_procrustes  # imported here: scipy takes a fifth of a second to import

    rotation, _ = orthogonal_procrustes(centred(layout), centred(reference))
    return np.asarray(rotation, dtype=float)


def align_to(layout: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`layout` centred and turned (rotation or reflection, no scaling) onto the centred `reference`."""
    return centred(layout) @ procrustes_rotation(layout, reference)


def align_chain(layouts: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """Each layout (steps × points × dims) centred and aligned to the previous one as already aligned.

    The first is only centred (or aligned to `previous`, the aligned layout before it): the chain keeps its
    orientation, and each later one follows its predecessor, so a layout never depends on later checkpoints (an
    animation of a growing run does not change what it showed).
    """
    out = np.empty_like(layouts, dtype=float)
    for index, layout in enumerate(layouts):
        before = out[index - 1] if index > 0 else previous
        out[index] = centred(layout) if before is None else align_to(layout, before)
    return out


def mean_displacement(layouts: np.ndarray) -> float:
    """How far points move between consecutive layouts, on average, relative to the layouts' size.

    The mean over consecutive pairs of the mean distance a point moves, divided by the root mean square distance
    of the points from their centre (averaged over the two layouts), so that layouts that grow are comparable.
    """
    moves = []
    for before, after in itertools.pairwise(layouts):
        size = (_radius(before) + _radius(after)) / 2
        moves.append(float(np.linalg.norm(after - before, axis=1).mean()) / size if size > 0 else 0.0)
    return float(np.mean(moves)) if moves else 0.0


def _radius(layout: np.ndarray) -> float:
    return float(np.sqrt((centred(layout) ** 2).sum(axis=1).mean()))
