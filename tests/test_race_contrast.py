"""race_rosenbrock's paths stand out from the filled contours they cross: each optimizer's theme colour has a WCAG
contrast ratio of at least 3:1 against every fill colour under its path, as drawn (the band's face colour
composited over the panel's background), the band found from f(x, y) written out here."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb, to_rgba

from scenespec.pipeline import build, prepare, scene_style

ROOT = Path(__file__).resolve().parents[1]
THEME_COLOURS = tomllib.loads((ROOT / "scenespec/themes/light.toml").read_text(encoding="utf-8"))["optimizers"]
SAMPLES_PER_SEGMENT = 10


def rosenbrock(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB colours (rows)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def test_the_formulas_give_known_ratios() -> None:
    black, white = np.array([[0.0, 0, 0]]), np.array([[1.0, 1, 1]])
    assert contrast(black, white)[0] == pytest.approx(21.0)
    assert contrast(np.array([to_rgb("#777777")]), white)[0] == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("name", ["race_rosenbrock", "race_rosenbrock_dark"])
def test_every_optimizer_contrasts_with_the_fills_along_its_path(name: str) -> None:
    prepared = prepare(ROOT / "specs" / f"{name}.toml")
    with scene_style(prepared.scene):
        graph = build(prepared)
    filled = [p for p in graph.panels[0].painters if p.spec.kind == "contour" and p.spec.filled]
    assert len(filled) == 1
    contours = filled[0].contours
    levels = np.asarray(contours.levels)
    faces = np.asarray(contours.get_facecolor())
    assert len(faces) == len(levels) - 1  # one face colour per band
    background = np.array(to_rgba(graph.panels[0].ax.get_facecolor()))[:3]
    seen = faces[:, :3] * faces[:, 3:] + background * (1 - faces[:, 3:])  # each band as it shows on the panel
    trace = prepared.traces["race"]
    names = list(trace.static["names"])
    kinds = [o.name for o in prepared.scene.sources["race"].optimizers]  # type: ignore[union-attr]
    for index, (label, kind) in enumerate(zip(names, kinds, strict=True)):
        x, y = trace.stepped["x"][:, index], trace.stepped["y"][:, index]
        t = np.linspace(0, 1, SAMPLES_PER_SEGMENT, endpoint=False)
        px = (x[:-1, None] + t * (x[1:, None] - x[:-1, None])).ravel()
        py = (y[:-1, None] + t * (y[1:, None] - y[:-1, None])).ravel()
        bands = np.clip(np.searchsorted(levels, rosenbrock(px, py), side="right") - 1, 0, len(faces) - 1)
        crossed = np.unique(bands)
        colour = np.array([to_rgb(THEME_COLOURS[kind])])
        ratios = contrast(np.repeat(colour, len(crossed), axis=0), seen[crossed])
        assert ratios.min() >= 3.0, f"{label} ({THEME_COLOURS[kind]}) on bands {crossed}: ratios {ratios.round(2)}"
