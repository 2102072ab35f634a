"""Image regression tests: frames of every example spec against committed baselines.

Baselines depend on matplotlib (and the FreeType it bundles), pinned by the `test`
extra. Regenerate them after a deliberate visual change with:

    pytest tests/test_images.py --mpl-generate-path=tests/baseline
"""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from scenespec.pipeline import build, prepare, scene_style

SPECS = Path(__file__).resolve().parent.parent / "specs"

# RMS (of 0..255) allowed between a frame and its baseline. With the pinned matplotlib every frame matches its
# baseline pixel for pixel (RMS 0); a real change is far above this: the fit line drawn `darkgreen` instead of
# `g` is RMS 0.84-0.86 (about 1 500 pixels), which the former tolerance of 2 let through.
TOLERANCE = 0.1


def frame_figure(spec: str, which: str) -> Figure:
    prepared = prepare(SPECS / spec)
    frames = prepared.frames
    frame = {"first": frames[0], "middle": frames[len(frames) // 2], "last": frames[-1]}[which]
    with scene_style(prepared.scene):
        graph = build(prepared)
    graph.show(frame)
    return graph.figure


@pytest.mark.parametrize("which", ["first", "middle", "last"])
@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_linreg_frame(which: str) -> Figure:
    return frame_figure("linreg.toml", which)


ARTICLE_004_FRAMES = [
    ("bowl_wireframe.toml", "last"),  # figure 6-1
    ("bowl_surface.toml", "last"),  # figure 6-2
    ("bowl_contour.toml", "last"),  # figure 6-3
    ("bowl_gradient.toml", "last"),  # figure 6-4
    ("bowl_paths.toml", "middle"),  # figure 6-5, animated
    ("bowl_sgd_zigzag.toml", "last"),  # the article's own SGD run
    ("bowl_path_3d.toml", "middle"),  # figure 6-9, animated, camera turning
    ("race_rosenbrock.toml", "middle"),
]


@pytest.mark.parametrize(
    ("spec", "which"), ARTICLE_004_FRAMES, ids=[s.removesuffix(".toml") for s, _ in ARTICLE_004_FRAMES]
)
@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_article_004_frame(spec: str, which: str) -> Figure:
    return frame_figure(spec, which)


ARTICLE_002_FRAMES = [("learner_linear.toml", "middle"), ("learner_sine.toml", "middle")]


@pytest.mark.parametrize(
    ("spec", "which"), ARTICLE_002_FRAMES, ids=[s.removesuffix(".toml") for s, _ in ARTICLE_002_FRAMES]
)
@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_article_002_frame(spec: str, which: str) -> Figure:
    return frame_figure(spec, which)


ARTICLE_003_FRAMES = [("projector_digits_pca.toml", "last"), ("projector_digits_tsne.toml", "middle")]


@pytest.mark.parametrize(
    ("spec", "which"), ARTICLE_003_FRAMES, ids=[s.removesuffix(".toml") for s, _ in ARTICLE_003_FRAMES]
)
@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_article_003_frame(spec: str, which: str) -> Figure:
    return frame_figure(spec, which)


@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_sweep_frame() -> Figure:
    """A sweep's small multiples: three learning rates side by side, axes shared (the middle frame)."""
    return frame_figure("linreg_lr_sweep.toml", "middle")
