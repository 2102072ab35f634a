"""Image regression tests: frames of every example spec against committed baselines.

Baselines depend on matplotlib (and the FreeType it bundles), pinned by the `test`
extra. Regenerate them after a deliberate visual change with:

    pytest tests/test_images.py --mpl-generate-path=tests/baseline
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from system import CJK_FONT, require

import scenespec
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
    ("bowl_paths_article.toml", "middle"),  # figure 6-5 with the article's settings, animated
    ("bowl_paths.toml", "middle"),  # the book's figure 6-8, animated
    ("bowl_sgd_zigzag.toml", "last"),  # the article's own SGD run
    ("bowl_path_3d.toml", "middle"),  # figure 6-9, animated, camera turning
    ("bowl_camera_tour.toml", "middle"),  # the same run, the camera moved by eased keys
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


THEMED_FRAMES = [("race_rosenbrock_dark.toml", "middle")]  # the dark theme: light text, frame and paths on near-black


@pytest.mark.parametrize(("spec", "which"), THEMED_FRAMES, ids=[s.removesuffix(".toml") for s, _ in THEMED_FRAMES])
@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_themed_frame(spec: str, which: str) -> Figure:
    return frame_figure(spec, which)


SCRIPTS_SPEC = """
[scene]
title = "机器学习过程可视化：线性回归"
size = [5.0, 3.6]
dpi = 80

[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 30, x = [0, 10], seed = 0 }
optimizer = { name = "sgd", lr = 1e-3 }
epochs = 20

[[panels]]
xlabel = "エポックごとのデータ"
ylabel = "손실 함수"
legend = "upper left"
layers = [
  { kind = "scatter", x = "fit.x", y = "fit.y", color = "red", label = "Δ 数据 αβγ" },
  { kind = "line", x = "fit.x", y = "fit.pred", style = "g--", label = "拟合直线" },
]
"""


@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_scripts_frame() -> Figure:
    """A Chinese title, a Japanese x label, a Korean y label and Greek in a legend, drawn with the installed CJK font
    found for them (no font named in the spec), without a single missing-glyph warning."""
    require(CJK_FONT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepared = scenespec.load(SCRIPTS_SPEC).prepare()
        recipe = prepared.recipe()
        with recipe.styled():
            graph = recipe.build()
            graph.show(prepared.frames[-1])
            graph.figure.canvas.draw()
    assert [str(warning.message) for warning in caught] == []
    return graph.figure


@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_sweep_frame() -> Figure:
    """A sweep's small multiples: three learning rates side by side, axes shared (the middle frame)."""
    return frame_figure("linreg_lr_sweep.toml", "middle")


@pytest.mark.mpl_image_compare(style="default", tolerance=TOLERANCE)
def test_tweened_frame() -> Figure:
    """momentum_glide's middle frame, an in-between frame of `frames.tween`: the head between two recorded steps,
    the line reaching it, the head label's and the counter's loss blended, the step whole."""
    prepared = prepare(SPECS / "momentum_glide.toml")
    assert prepared.frames[len(prepared.frames) // 2].toward is not None
    return frame_figure("momentum_glide.toml", "middle")
