"""Hand-written matplotlib baselines: what a user writes without scenespec (run with MPLBACKEND=Agg).

Each function draws the same scene as its spec (same size, dpi, frames and numbers)
the usual way: pyplot figure, artists updated with `set_data` in a `FuncAnimation`
callback ("reset redraw", article 001), saved with `PillowWriter`. The numbers come
from scenespec's trace, computed before the clock starts, so only drawing and
encoding are compared.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from scipy.interpolate import PchipInterpolator

from scenespec.pipeline import Prepared


def _save(fig, update: Callable[[int], object], count: int, fps: float, out: Path) -> None:
    animation = FuncAnimation(fig, update, frames=count, blit=False)
    animation.save(out, writer=PillowWriter(fps=fps))
    plt.close(fig)


def linreg(prepared: Prepared, out: Path) -> None:
    """Article 001: red points, dashed fit line, twin-axis PCHIP cost curve, legend, text."""
    trace = prepared.traces["fit"]
    steps = [f.step for f in prepared.frames]
    x, y = trace.static["x"], trace.static["y"]
    pred, loss = trace.stepped["pred"], trace.stepped["loss"]
    shown_loss = loss[steps]
    fig, ax = plt.subplots(figsize=prepared.scene.scene.size, dpi=prepared.scene.scene.dpi)
    fig.suptitle(prepared.scene.scene.title)
    ax2 = ax.twinx()
    ax.scatter(x, y, color="red", label="Original data")
    (line,) = ax.plot(x, pred[steps[0]], "g--", lw=2, label="Fitting line")
    (cost,) = ax2.plot([], [], color="b", label="Cost line")
    text = ax.text(6, -2, "", fontsize=16, color="r")
    ax.set_xlabel("X data")
    ax.set_ylabel("Y data")
    ax2.set_ylabel("Cost")
    ax.set_ylim(min(y.min(), pred[steps].min()) - 1, max(y.max(), pred[steps].max()) + 1)
    ax2.set_ylim(shown_loss.min() * 0.95, shown_loss.max() * 1.05)
    xs = np.linspace(x.min(), x.max(), len(steps))
    curve = PchipInterpolator(xs, shown_loss)
    ax2.legend(handles=[ax.collections[0], line, cost], loc="upper center")

    def update(i: int) -> None:
        line.set_ydata(pred[steps[i]])
        dense = np.linspace(xs[0], xs[i], 400) if i else xs[:1]
        cost.set_data(dense, curve(dense))
        text.set_text(f"Cost: {loss[steps[i]]:.3f}")

    _save(fig, update, len(steps), prepared.scene.frames.fps, out)


def learner(prepared: Prepared, out: Path) -> None:
    """Article 002: big scatter, prediction line, loss band, two loss panels (mosaic)."""
    trace = prepared.traces["net"]
    steps = [f.step for f in prepared.frames]
    rows = np.searchsorted(trace.steps, steps)
    ex, pred, error = trace.static["eval_x"], trace.stepped["pred"], trace.stepped["error"]
    batch, loss, batch_loss = trace.stepped["batch"], trace.stepped["loss"], trace.stepped["batch_loss"]
    fig, axes = plt.subplot_mosaic(
        [["main", "loss"], ["main", "batch"]],
        width_ratios=[2, 1],
        figsize=prepared.scene.scene.size,
        dpi=prepared.scene.scene.dpi,
        layout="constrained",
    )
    main, ax_loss, ax_batch = axes["main"], axes["loss"], axes["batch"]
    main.scatter(trace.static["x"], trace.static["y"], s=8, color="lightgray", zorder=1)
    main.set_ylim(-10, 14)
    smooth = np.ones(15) / 15
    band = [main.fill_between(ex, pred[rows[0]], pred[rows[0]], color="steelblue", alpha=0.3, zorder=10)]
    (line,) = main.plot(ex, pred[rows[0]], color="steelblue", lw=4, zorder=15)
    lines = []
    for ax, values, colour in ((ax_loss, loss, "steelblue"), (ax_batch, batch_loss, "darkorange")):
        ax.set_yscale("log")
        ax.set_xlim(0, batch[rows[-1]] * 1.05)
        ax.set_ylim(values[rows].min() * 0.8, values[rows].max() * 1.25)
        lines.append((ax.plot([], [], color=colour)[0], values))

    def update(i: int) -> None:
        row = rows[i]
        spread = np.convolve(error[row], smooth, mode="same")
        band[0].remove()
        band[0] = main.fill_between(ex, pred[row] - spread, pred[row] + spread, color="steelblue", alpha=0.3, zorder=10)
        line.set_ydata(pred[row])
        for curve, values in lines:
            curve.set_data(batch[: row + 1], values[: row + 1])

    _save(fig, update, len(steps), prepared.scene.frames.fps, out)


def race(prepared: Prepared, out: Path) -> None:
    """Optimizers on Rosenbrock: filled log contours, contour lines, colorbar, growing paths."""
    from matplotlib.colors import LogNorm

    trace = prepared.traces["race"]
    steps = [f.step for f in prepared.frames]
    X, Y, Z = trace.static["X"], trace.static["Y"], trace.static["Z"]
    px, py = trace.stepped["x"], trace.stepped["y"]
    fig, ax = plt.subplots(figsize=prepared.scene.scene.size, dpi=prepared.scene.scene.dpi, layout="constrained")
    levels = np.logspace(-5, 4, 19)
    filled = ax.contourf(X, Y, np.maximum(Z, 1e-5), levels=levels, norm=LogNorm(), cmap="Greys", alpha=0.6)
    ax.contour(X, Y, np.maximum(Z, 1e-5), levels=levels, colors="white", alpha=0.5, linewidths=0.5)
    fig.colorbar(filled, ax=ax, label="f(x, y)")
    paths, heads = [], []
    for k, colour in enumerate(["C0", "C1", "C3", "C2"]):
        paths.append(ax.plot([], [], color=colour, lw=2, label=str(trace.static["names"][k]))[0])
        heads.append(ax.plot([], [], "o", color=colour, ms=8, mec="white")[0])
    ax.legend(loc="lower right")
    text = ax.text(0.03, 0.95, "", transform=ax.transAxes, va="top")

    def update(i: int) -> None:
        step = steps[i]
        for k, (path, head) in enumerate(zip(paths, heads, strict=True)):
            path.set_data(px[: step + 1, k], py[: step + 1, k])
            head.set_data(px[step : step + 1, k], py[step : step + 1, k])
        text.set_text(f"step {step}")

    _save(fig, update, len(steps), prepared.scene.frames.fps, out)


def surface_path(prepared: Prepared, out: Path) -> None:
    """Article 004, figure 6-9: 3D surface (bwr) with the SGD path growing on it, colorbar."""
    trace = prepared.traces["bowl"]
    steps = [f.step for f in prepared.frames]
    X, Y, Z = trace.static["X"], trace.static["Y"], trace.static["Z"]
    px, py, pz = trace.stepped["x"][:, 0], trace.stepped["y"][:, 0], trace.stepped["loss"][:, 0]
    fig = plt.figure(figsize=prepared.scene.scene.size, dpi=prepared.scene.scene.dpi)
    ax = fig.add_subplot(111, projection="3d")
    ax.computed_zorder = False
    surf = ax.plot_surface(X, Y, Z, cmap="bwr", linewidth=0, alpha=0.85)
    fig.colorbar(surf, shrink=0.6)
    ax.view_init(elev=35, azim=-70)
    (path,) = ax.plot([], [], [], "-ro", ms=4)

    def update(i: int) -> None:
        step = steps[i]
        path.set_data_3d(px[: step + 1], py[: step + 1], pz[: step + 1])

    _save(fig, update, len(steps), prepared.scene.frames.fps, out)


def _cubic_in_out(t: float) -> float:
    """The easing the specs tween with: slow start, slow end."""
    return 4 * t**3 if t < 0.5 else 1 - (2 - 2 * t) ** 3 / 2


def _projector(prepared: Prepared, out: Path, highlight: int | None, dim_alpha: float, thumbnails: int) -> None:
    """Article 003 animated: the projected checkpoints as a scatter per digit (tab10, legend), eased in-between
    frames, optional thumbnails (`AnnotationBbox` of `OffsetImage`, framed in the digit's colour) and the
    held-out accuracy beside it. The layouts come from the scene's `projection` transform, computed before the
    clock starts, so both sides draw the same points."""
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    from scenespec.paint._classes import stratified  # the same thumbnails as the spec's `sample`

    scene, digits = prepared.scene, prepared.traces["digits"]
    layouts = np.asarray(prepared.traces["transforms"].field("layout").data)  # checkpoints × points × 2
    labels, images = digits.static["labels"], digits.static["images"]
    accuracy, epoch = digits.stepped["accuracy"], digits.stepped["epoch"]
    main_spec, acc_spec = scene.panels
    between = scene.frames.tween.between if scene.frames.tween else 0
    places = [(i, _cubic_in_out(k / (between + 1))) for i in range(len(layouts) - 1) for k in range(between + 1)]
    places.append((len(layouts) - 1, 0.0))
    assert len(places) == len(prepared.frames)

    fig, (ax, ax_acc) = plt.subplots(
        1, 2, width_ratios=[2.1, 1], figsize=scene.scene.size, dpi=scene.scene.dpi, layout="constrained"
    )
    fig.suptitle(scene.scene.title)
    ax.set_title(main_spec.title)
    ax.set_xlabel(main_spec.xlabel or "")
    ax.set_ylabel(main_spec.ylabel or "")
    ax.set_xlim(*main_spec.xlim)
    ax.set_ylim(*main_spec.ylim)
    colours = plt.get_cmap("tab10").colors
    digits_shown = np.unique(labels)
    dots = {}
    for d in digits_shown:
        bright = highlight is None or d == highlight
        dots[d] = ax.scatter(
            *layouts[0, labels == d].T, s=14, color=colours[d], linewidths=0, label=str(d),
            alpha=(0.85 if highlight is None else None) if bright else dim_alpha, zorder=2 if bright else 1,
        )  # fmt: skip
    ax.legend(loc="upper left")
    sample = stratified(labels, len(labels), thumbnails) if thumbnails else np.arange(0)
    boxes = []
    for i in sample:
        image = OffsetImage(images[i], cmap="gray_r", zoom=2 * 72 / scene.scene.dpi, interpolation="nearest")
        box = AnnotationBbox(
            image, layouts[0, i], frameon=True, pad=0.1, zorder=5,
            bboxprops={"edgecolor": colours[labels[i]], "linewidth": 72 / scene.scene.dpi},
        )  # fmt: skip
        ax.add_artist(box)
        boxes.append(box)
    epoch_text = ax.text(0.98, 0.03, "", transform=ax.transAxes, ha="right", va="bottom", size=12)

    ax_acc.set_title(acc_spec.title)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylim(0, 1)
    ax_acc.set_xlim(epoch[0] - 0.05 * (epoch[-1] - epoch[0]), epoch[-1] + 0.05 * (epoch[-1] - epoch[0]))
    (curve,) = ax_acc.plot([], [], color="black")
    (dot,) = ax_acc.plot([], [], "o", color="black", ms=5)
    acc_text = ax_acc.text(0.95, 0.06, "", transform=ax_acc.transAxes, ha="right", size=12)

    def update(f: int) -> None:
        i, t = places[f]
        points = layouts[i] if t == 0 else (1 - t) * layouts[i] + t * layouts[i + 1]
        for d, scatter in dots.items():
            scatter.set_offsets(points[labels == d])
        for box, j in zip(boxes, sample, strict=True):
            box.xy = box.xybox = points[j]  # xybox: where the image sits (set from xy only at creation)
        epoch_text.set_text(f"epoch {epoch[i]}")
        curve.set_data(epoch[: i + 1], accuracy[: i + 1])
        dot.set_data(epoch[i : i + 1], accuracy[i : i + 1])
        acc_text.set_text(f"{accuracy[i]:.1%}")

    _save(fig, update, len(places), scene.frames.fps, out)


def projector_pca(prepared: Prepared, out: Path) -> None:
    """Article 003 by PCA: points by digit, tweened between checkpoints, accuracy beside."""
    _projector(prepared, out, highlight=None, dim_alpha=1.0, thumbnails=0)


def projector_tsne(prepared: Prepared, out: Path) -> None:
    """Article 003 by t-SNE: the 3s highlighted, the rest at alpha 0.25, 60 framed thumbnails."""
    _projector(prepared, out, highlight=3, dim_alpha=0.25, thumbnails=60)
