"""Article 004's figure 6-5 (bowl_paths_article) runs the article's own settings, and its paths are the ones the
article's code draws (its update rules written out here with numpy); the book's figure 6-8 (bowl_paths) shows
every optimizer at step 0, where all four heads sit on one point."""

from __future__ import annotations

import tomllib
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_hex, to_rgba

from scenespec.paint.path import PathPainter
from scenespec.pipeline import build, prepare, scene_style

SPECS = Path(__file__).resolve().parents[1] / "specs"
ROOT = SPECS.parent
THEME_COLOURS = tomllib.loads((ROOT / "scenespec/themes/light.toml").read_text(encoding="utf-8"))["optimizers"]


def gradient(p: np.ndarray) -> np.ndarray:
    """Of x²/20 + y²."""
    return np.array([p[0] / 10, 2 * p[1]])


def article_path(rule: str, lr: float, steps: int, moment: float = 0.9) -> np.ndarray:
    """The article's `gradient_descent` from (−7, 2), with its sgd / momentum / adagrad (positions 0..steps)."""
    x, v = np.array([-7.0, 2.0]), np.zeros(2)
    history = [x.copy()]
    for _ in range(steps):
        g = gradient(x)
        if rule == "sgd":
            x = x - lr * g
        elif rule == "momentum":
            v = moment * v - lr * g
            x = x + v
        else:
            v = v + g * g
            x = x - lr * g / (np.sqrt(v) + 1e-7)
        history.append(x.copy())
    return np.array(history)


def test_figure_6_5_has_the_article_settings_and_paths() -> None:
    spec = tomllib.loads((SPECS / "bowl_paths_article.toml").read_text(encoding="utf-8"))
    settings = {name: (source["steps"], source["optimizers"]) for name, source in spec["sources"].items()}
    assert settings == {
        "sgd": (100, [{"name": "sgd", "lr": 0.9, "label": "SGD"}]),
        "momentum": (20, [{"name": "momentum", "lr": 0.2, "momentum": 0.9, "label": "Momentum"}]),
        "adagrad": (100, [{"name": "adagrad", "lr": 0.9, "label": "AdaGrad"}]),
    }
    prepared = prepare(SPECS / "bowl_paths_article.toml", ("sources.sgd.resolution=5",))
    for name, (steps, [optimizer]) in settings.items():
        trace = prepared.traces[name]
        got = np.column_stack([trace.stepped["x"][:, 0], trace.stepped["y"][:, 0]])
        want = article_path(optimizer["name"], optimizer["lr"], steps)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5, err_msg=name)
    # each panel its own source and contours, the heads in the theme's colour of their optimizer
    panels = spec["panels"]
    assert [p["name"] for p in panels] == ["sgd", "momentum", "adagrad"]
    for panel in panels:
        kinds = [layer["kind"] for layer in panel["layers"]]
        assert kinds == ["contour", "path", "counter"]
        assert {layer.get("x", panel["name"] + ".").split(".")[0] for layer in panel["layers"][:2]} == {panel["name"]}
        assert all("color" not in layer for layer in panel["layers"] if layer["kind"] == "path")


def test_momentum_holds_its_last_step_while_the_others_go_on() -> None:
    prepared = prepare(SPECS / "bowl_paths_article.toml")
    with scene_style(prepared.scene):
        graph = build(prepared)
    last = prepared.frames[-1]
    assert last.step == 100
    graph.show(last)
    momentum = next(p for p in graph.panels[1].painters if isinstance(p, PathPainter))
    head = momentum.heads[0].get_data()
    want = article_path("momentum", 0.2, 20)[-1]
    np.testing.assert_allclose([head[0][0], head[1][0]], want, atol=1e-6)


def test_every_optimizer_shows_at_step_0_of_figure_6_8() -> None:
    prepared = prepare(SPECS / "bowl_paths.toml")
    with scene_style(prepared.scene):
        graph = build(prepared)
        graph.show(prepared.frames[0])
        canvas = graph.figure.canvas
        canvas.draw()
        renderer = canvas.get_renderer()  # type: ignore[attr-defined]
        path = next(p for p in graph.panels[0].painters if isinstance(p, PathPainter))
        assert path.head_labels is not None
        texts = path.head_labels.texts
        boxes = [t.get_window_extent(renderer) for t in texts]
    kinds = [o.name for o in prepared.scene.sources["bowl"].optimizers]  # type: ignore[union-attr]
    assert kinds == ["sgd", "momentum", "adagrad", "adam"]
    heads = np.array([[h.get_xdata()[0], h.get_ydata()[0]] for h in path.heads])
    assert np.allclose(heads, [-7.0, 2.0])  # all four heads on one point: only the labels tell them apart
    assert [t.get_text() for t in texts] == ["SGD", "Momentum", "AdaGrad", "Adam"]
    assert all(t.get_visible() for t in texts)
    assert [to_hex(t.get_color()) for t in texts] == [THEME_COLOURS[k] for k in kinds]
    for a, b in combinations(boxes, 2):
        assert not a.overlaps(b), (a.bounds, b.bounds)
    axes_box = graph.panels[0].ax.get_window_extent()
    assert all(axes_box.contains(b.x0, b.y0) and axes_box.contains(b.x1, b.y1) for b in boxes)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB colours (rows)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("name", ["bowl_paths", "bowl_paths_article"])
def test_every_contour_level_stands_out_from_the_panel(name: str) -> None:
    """The innermost levels were near-white (Greys): each level's line, as drawn, has >= 3:1 contrast on the panel."""
    prepared = prepare(SPECS / f"{name}.toml")
    with scene_style(prepared.scene):
        graph = build(prepared)
    for panel in graph.panels:
        contour = next(p for p in panel.painters if p.spec.kind == "contour")
        lines = contour.contours
        assert list(lines.levels) == list(range(1, 10))  # the article's heights (0 is a point)
        colours = np.asarray(lines.get_edgecolor())
        assert len(colours) == len(lines.levels)
        background = np.asarray(to_rgba(panel.ax.get_facecolor()))[:3]
        seen = colours[:, :3] * colours[:, 3:] + background * (1 - colours[:, 3:])
        lum, back = relative_luminance(seen), relative_luminance(background[None, :])[0]
        ratios = (np.maximum(lum, back) + 0.05) / (np.minimum(lum, back) + 0.05)
        assert ratios.min() >= 3.0, ratios
