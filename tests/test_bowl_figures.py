"""Article 004's figure 6-5 (bowl_paths_article) runs the article's own settings, and its paths are the ones the
article's code draws (its update rules written out here with numpy); the book's figure 6-8 (bowl_paths) shows
every optimizer at step 0, where all four heads sit on one point."""

from __future__ import annotations

import tomllib
from itertools import combinations
from pathlib import Path

import numpy as np
from matplotlib.colors import to_hex

from scenespec.layers.path import PathPainter
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
