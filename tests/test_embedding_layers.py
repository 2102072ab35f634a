"""The `embedding` and `sprites` layers (article 003's projector): colours by label, legend, highlight, label texts,
thumbnails pasted at their points, samples, tweened positions, 3D, and located errors.

Each scene reads a synthetic trace laid out as an embedding source records it (static `labels` and `images`,
stepped points), saved to tmp_path. Expected values are computed here from the saved arrays and matplotlib's own
colormaps; pixels are read from rendered frames.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
from helpers import assert_located, line_of, run_cli, write_spec
from matplotlib.colors import to_rgba
from mpl_toolkits.mplot3d import Axes3D

from scenespec.compile import ArtistGraph
from scenespec.errors import SpecError
from scenespec.frame import Frame
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.render.engine import FrameEngine
from scenespec.render.renderer import frame_pixels
from scenespec.resolve.trace import Trace

STEPS = np.array([0, 1, 4])
N = 40
LABELS = np.array([i % 5 for i in range(N)], dtype=np.int64)  # classes 0..4, eight points each
TAB10 = matplotlib.colormaps["tab10"].colors


def arrays() -> dict[str, np.ndarray]:
    """Points that move from step to step, with labels 0..4, 8×8 grey thumbnails and a few wrong shapes."""
    rng = np.random.default_rng(5)
    k = len(STEPS)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0], [3.0, 3.0]])
    spread = np.array([2.0, 1.0, 0.3])[:, None, None]
    moving = centres[LABELS][None] + rng.normal(size=(k, N, 2)) * spread
    return {
        "labels": LABELS,
        "images": rng.uniform(0, 1, (N, 8, 8)),
        "p2": moving,
        "p3": np.concatenate([moving, rng.normal(size=(k, N, 1))], axis=2),
        "p4": rng.normal(size=(k, N, 4)),
        "short": LABELS[:-3],
        "halves": LABELS + 0.5,
        "big": rng.uniform(0, 16, (N, 8, 8)),
        "flat": rng.uniform(0, 1, (N, 64)),
    }


STATIC = ("labels", "images", "short", "halves", "big", "flat")


def write_trace(folder: Path, values: dict[str, np.ndarray] | None = None, steps: np.ndarray = STEPS) -> None:
    data = arrays() if values is None else values
    static = {k: v for k, v in data.items() if k in STATIC}
    stepped = {k: v for k, v in data.items() if k not in STATIC}
    Trace(steps=steps, static=static, stepped=stepped).save(folder / "net.npz")


def scene(*layers: str, size: str = "[4.0, 4.0]", dpi: int = 50, panel: str = "") -> str:
    text = f'[scene]\nsize = {size}\ndpi = {dpi}\n\n[sources.net]\nkind = "trace"\npath = "net.npz"\n'
    text += '\n[frames]\nsource = "net"\nsteps = "all"\n\n[[panels]]\n' + panel
    return text + "layers = [\n" + "".join(f"  {layer},\n" for layer in layers) + "]\n"


def compiled(tmp_path: Path, *layers: str, **options: object) -> tuple[Prepared, ArtistGraph]:
    if not (tmp_path / "net.npz").exists():
        write_trace(tmp_path)
    prepared = prepare(write_spec(tmp_path, scene(*layers, **options)), cache=False)  # type: ignore[arg-type]
    with scene_style(prepared.scene):
        return prepared, build(prepared)


def failure(tmp_path: Path, layer: str) -> tuple[SpecError, Path, str]:
    """The SpecError of a scene with one layer, its spec file and text."""
    write_trace(tmp_path)
    text = scene(layer)
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as error:
        prepared = prepare(spec, cache=False)
        with scene_style(prepared.scene):
            build(prepared)
    return error.value, spec, text


def facecolors(collection) -> np.ndarray:
    return np.asarray(collection.get_facecolor())


EMBEDDING = '{ kind = "embedding", points = "net.p2", labels = "net.labels"'


# --- embedding: colours, legend, highlight, texts -------------------------------------------------------------------


def test_each_point_takes_its_labels_colour_of_the_palette(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + " }")
    painter = graph.layers[0].painter
    np.testing.assert_array_equal(facecolors(painter.dots)[:, :3], np.array(TAB10)[LABELS])
    np.testing.assert_array_equal(np.asarray(painter.dots.get_offsets()), arrays()["p2"][0])


def test_a_list_palette_colours_label_v_with_its_vth_colour(tmp_path: Path) -> None:
    palette = ["red", "green", "blue"]
    _, graph = compiled(tmp_path, EMBEDDING + ', palette = ["red", "green", "blue"] }')
    expected = np.array([to_rgba(palette[v % 3]) for v in LABELS])  # labels 3 and 4 start the list again
    np.testing.assert_array_equal(facecolors(graph.layers[0].painter.dots), expected)


def test_labels_recorded_per_step_recolour_the_points_each_frame(tmp_path: Path) -> None:
    values = arrays()
    values["moving_labels"] = np.stack([LABELS, (LABELS + 1) % 5, LABELS[::-1]])  # stepped: not in STATIC
    write_trace(tmp_path, values)
    prepared, graph = compiled(tmp_path, '{ kind = "embedding", points = "net.p2", labels = "net.moving_labels" }')
    painter = graph.layers[0].painter
    for row in (1, 2, 0):
        graph.show(prepared.frames[row])
        np.testing.assert_array_equal(facecolors(painter.dots)[:, :3], np.array(TAB10)[values["moving_labels"][row]])


def test_a_continuous_palette_is_sampled_evenly_over_the_labels(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + ', palette = "viridis" }')
    expected = matplotlib.colormaps["viridis"](np.linspace(0, 1, 5))[LABELS]
    np.testing.assert_array_equal(facecolors(graph.layers[0].painter.dots), expected)


def test_the_legend_lists_each_class_once_in_label_order(tmp_path: Path) -> None:
    values = arrays()
    values["labels"] = np.array([4, 2, 2, 0, 4] * 8)  # out of order, 1 and 3 absent
    write_trace(tmp_path, values)
    names = '["zero", "one", "two", "three", "four"]'
    _, graph = compiled(tmp_path, EMBEDDING + f", names = {names} }}")
    legend = graph.panels[0].ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["zero", "two", "four"]
    assert [to_rgba(h.get_markerfacecolor()) for h in legend.legend_handles] == [to_rgba(TAB10[v]) for v in (0, 2, 4)]


def test_without_names_the_legend_shows_the_label_values(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + " }")
    assert [t.get_text() for t in graph.panels[0].ax.get_legend().get_texts()] == ["0", "1", "2", "3", "4"]


def test_legend_false_leaves_the_classes_out(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + ", legend = false }")
    assert graph.panels[0].ax.get_legend() is None


def test_a_highlight_draws_its_class_in_full_above_the_dimmed_rest(tmp_path: Path) -> None:
    prepared, graph = compiled(tmp_path, EMBEDDING + ", highlight = { labels = [3] } }", dpi=60)
    painter = graph.layers[0].painter
    chosen = LABELS == 3
    np.testing.assert_array_equal(np.asarray(painter.top.get_offsets()), arrays()["p2"][0][chosen])
    np.testing.assert_array_equal(np.asarray(painter.dots.get_offsets()), arrays()["p2"][0][~chosen])
    np.testing.assert_array_equal(facecolors(painter.top)[:, :3], np.tile(TAB10[3], (chosen.sum(), 1)))
    assert painter.top.get_alpha() is None  # full colour
    assert painter.dots.get_alpha() == 0.12
    assert painter.top.get_zorder() > painter.dots.get_zorder()
    legend = graph.panels[0].ax.get_legend()
    assert [h.get_alpha() for h in legend.legend_handles] == [0.12, 0.12, 0.12, None, 0.12]
    # pixels: class 3's colour is drawn; where a dimmed point lies alone, the picture is light
    with graph.styled():
        frame = prepared.frames[-1]
        pixels = frame_pixels(graph, frame).astype(int)
        red = np.array(to_rgba(TAB10[3])[:3]) * 255
        assert np.any(np.abs(pixels - red).sum(axis=2) < 6)
        height = pixels.shape[0]
        xy = graph.panels[0].ax.transData.transform(arrays()["p2"][-1])
        for i in np.flatnonzero(~chosen):
            x, y = xy[i]
            others = np.delete(xy, i, axis=0)
            if np.min(np.hypot(*(others - xy[i]).T)) > 8:  # alone: nothing else drawn on it
                centre = pixels[int(height - y), int(x)]
                assert centre.min() > 200, (i, centre)  # faint, not the full class colour


def test_a_highlight_by_indices_and_a_dim_colour(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + ', highlight = { indices = [0, 7] }, dim_color = "grey" }')
    painter = graph.layers[0].painter
    np.testing.assert_array_equal(np.asarray(painter.top.get_offsets()), arrays()["p2"][0][[0, 7]])
    np.testing.assert_array_equal(facecolors(painter.top)[:, :3], np.array(TAB10)[LABELS[[0, 7]]])
    assert np.all(facecolors(painter.dots)[:, :3] == to_rgba("grey")[:3])


def test_label_texts_stand_at_their_points_in_place_of_markers(tmp_path: Path) -> None:
    prepared, graph = compiled(tmp_path, EMBEDDING + ', text = true, names = ["a", "b", "c", "d", "e"] }')
    painter = graph.layers[0].painter
    (texts,) = painter.texts
    points = arrays()["p2"]
    assert len(painter.dots.get_offsets()) == 0  # every point is written, none marked
    for row in (2, 0, 1):
        graph.show(prepared.frames[row])
        np.testing.assert_array_equal(texts.offsets, points[row])
        np.testing.assert_array_equal(texts.which, LABELS)  # the stamp of each point's label


def test_a_label_text_is_drawn_centred_on_its_point_in_its_colour(tmp_path: Path) -> None:
    values = {"labels": np.array([3]), "p2": np.array([[[0.3, 0.6]], [[0.7, 0.4]], [[0.5, 0.5]]])}
    write_trace(tmp_path, values)
    layer = '{ kind = "embedding", points = "net.p2", labels = "net.labels", text = true, text_size = 30.0 }'
    prepared, graph = compiled(tmp_path, layer, dpi=100, panel="xlim = [0.0, 1.0]\nylim = [0.0, 1.0]\nlegend = false\n")
    red = np.array(TAB10[3]) * 255
    with graph.styled():
        for row in (1, 0):
            pixels = frame_pixels(graph, prepared.frames[row]).astype(int)
            x, y = graph.panels[0].ax.transData.transform(values["p2"][row][0])
            rows, cols = np.nonzero(np.abs(pixels - red).sum(axis=2) < 30)  # the glyph, in the class colour
            assert 100 < len(rows) < 1000  # a "3" of 30 points, not a dot, not a block
            assert abs((cols.min() + cols.max() + 1) / 2 - x) <= 1.5  # centred on the point
            assert abs((rows.min() + rows.max() + 1) / 2 - (pixels.shape[0] - y)) <= 1.5
            assert 25 < rows.max() - rows.min() < 35  # as tall as a digit of 30 points at 100 dpi (≈ 29 px)


def test_a_text_count_labels_a_stratified_sample_and_marks_the_rest(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + ", text = 10 }")
    painter = graph.layers[0].painter
    (texts,) = painter.texts
    assert np.bincount(LABELS[painter.text_index]).tolist() == [2, 2, 2, 2, 2]  # each class its share
    assert len(painter.dots.get_offsets()) == N - 10
    assert len(texts.offsets) == 10
    np.testing.assert_array_equal(texts.offsets, arrays()["p2"][0][painter.text_index])


# --- positions: tweening, limits, 3D ----------------------------------------------------------------------------


def test_a_tweened_frame_shows_the_points_part_way(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + ", text = 5 }")
    painter = graph.layers[0].painter
    points = arrays()["p2"]
    graph.show(Frame(index=1, step=1, duration_ms=100, position=1.75, count=3))  # a quarter of the way to step 4
    between = points[1] + (points[2] - points[1]) * 0.25
    np.testing.assert_allclose(np.asarray(painter.dots.get_offsets()), between[painter.marked], rtol=1e-12)
    np.testing.assert_allclose(painter.texts[0].offsets, between[painter.text_index], rtol=1e-12)


def test_the_limits_cover_every_frames_points(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, EMBEDDING + " }")
    ax = graph.panels[0].ax
    points = arrays()["p2"]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < points[..., 0].min() and points[..., 0].max() < x1
    assert y0 < points[..., 1].min() and points[..., 1].max() < y1


def test_three_dimensional_points_are_drawn_on_a_3d_panel(tmp_path: Path) -> None:
    prepared, graph = compiled(
        tmp_path, '{ kind = "embedding", points = "net.p3", labels = "net.labels", dims = 3, text = 5 }'
    )
    ax = graph.panels[0].ax
    assert isinstance(ax, Axes3D)
    painter = graph.layers[0].painter
    points = arrays()["p3"]
    for row in (2, 0):
        graph.show(prepared.frames[row])
        np.testing.assert_array_equal(np.column_stack(painter.dots._offsets3d), points[row][painter.marked])
        np.testing.assert_array_equal(painter.texts[0].offsets, points[row][painter.text_index])
    z0, z1 = ax.get_zlim()
    assert z0 < points[..., 2].min() and points[..., 2].max() < z1
    with graph.styled():
        pixels = frame_pixels(graph, prepared.frames[-1]).astype(int)
    assert np.any(np.abs(pixels - np.array(TAB10[0]) * 255).sum(axis=2) < 6)  # class 0's colour drawn


def test_the_frame_engine_draws_what_a_full_redraw_draws(tmp_path: Path) -> None:
    layers = (
        EMBEDDING + ", highlight = { labels = [1] }, text = 6 }",
        '{ kind = "sprites", points = "net.p2", images = "net.images", labels = "net.labels", sample = 12 }',
    )
    prepared, graph = compiled(tmp_path, *layers, panel='legend = "upper left"\n')  # "best" is found per draw
    with graph.styled():
        engine = FrameEngine(graph)
        assert engine.blits
        for frame in (prepared.frames[2], prepared.frames[0], prepared.frames[1]):
            fast = engine.pixels(frame).astype(int)
            np.testing.assert_allclose(fast, frame_pixels(graph, frame).astype(int), atol=2)


# --- sprites ------------------------------------------------------------------------------------------------------


def test_a_thumbnail_is_pasted_pixel_for_pixel_at_its_point(tmp_path: Path) -> None:
    """One bright thumbnail on white at dpi 72, 32 points: each image pixel is a 4 × 4 block of the frame."""
    image = np.zeros((8, 8))
    image[1, 2:6] = 1.0  # a bar near the top, so an upside-down paste would show
    image[5:7, 6] = 0.5
    values = {
        "labels": np.array([0]),
        "images": image[None],
        "p2": np.array([[[0.3, 0.7]], [[0.6, 0.2]], [[0.5, 0.5]]]),
    }
    write_trace(tmp_path, values)
    layer = '{ kind = "sprites", points = "net.p2", images = "net.images", size = 32.0, cmap = "gray" }'
    prepared, graph = compiled(tmp_path, layer, dpi=72, panel="xlim = [0.0, 1.0]\nylim = [0.0, 1.0]\n")
    expected = np.kron(matplotlib.colormaps["gray"](image, bytes=True)[..., :3], np.ones((4, 4, 1), dtype=np.uint8))
    ax = graph.panels[0].ax
    with graph.styled():
        for row in (1, 0, 2):
            pixels = frame_pixels(graph, prepared.frames[row])
            x, y = ax.transData.transform(values["p2"][row][0])
            top, left = round(pixels.shape[0] - y - 16), round(x - 16)
            found = [(t, c) for t in range(top - 1, top + 2) for c in range(left - 1, left + 2)
                     if np.array_equal(pixels[t : t + 32, c : c + 32], expected)]  # fmt: skip
            assert found, row  # the thumbnail, exactly, centred on its point (to a pixel's rounding)
            t, c = found[0]
            outside = np.ones(pixels.shape[:2], dtype=bool)
            outside[t : t + 32, c : c + 32] = False
            inside_axes = pixels[30:-30, 30:-30]
            assert np.all(inside_axes[outside[30:-30, 30:-30]] == 255)  # nothing else drawn: white around it


def test_a_sample_is_stratified_by_label_and_the_same_in_every_frame(tmp_path: Path) -> None:
    values = arrays()
    values["labels"] = np.repeat([0, 1, 2], [20, 12, 8])  # shares 50 %, 30 %, 20 %
    write_trace(tmp_path, values)
    layer = '{ kind = "sprites", points = "net.p2", images = "net.images", labels = "net.labels", sample = 10 }'
    prepared, graph = compiled(tmp_path, layer)
    painter = graph.layers[0].painter
    assert np.bincount(values["labels"][painter.index]).tolist() == [5, 3, 2]
    assert painter.index.tolist() == [0, 5, 10, 14, 19, 20, 26, 31, 32, 39]  # evenly spaced within each class
    for row in (2, 0, 1):
        graph.show(prepared.frames[row])
        np.testing.assert_array_equal(painter.sheet.offsets, values["p2"][row][painter.index])


def test_without_labels_a_sample_takes_evenly_spaced_points(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, '{ kind = "sprites", points = "net.p2", images = "net.images", sample = 5 }')
    assert graph.layers[0].painter.index.tolist() == [0, 10, 20, 29, 39]


def test_sprites_move_with_tweened_frames(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, '{ kind = "sprites", points = "net.p2", images = "net.images" }')
    points = arrays()["p2"]
    graph.show(Frame(index=0, step=0, duration_ms=100, position=0.5, count=3))
    np.testing.assert_allclose(graph.layers[0].painter.sheet.offsets, (points[0] + points[1]) / 2, rtol=1e-12)


def test_a_border_takes_the_class_colour_and_ink_draws_the_image_in_it(tmp_path: Path) -> None:
    image = np.zeros((8, 8))
    image[3:5, 3:5] = 1.0
    values = {"labels": np.array([2]), "images": image[None], "p2": np.full((3, 1, 2), 0.5)}
    write_trace(tmp_path, values)
    green = np.round(np.array(TAB10[2]) * 255).astype(int)
    base = '{ kind = "sprites", points = "net.p2", images = "net.images", labels = "net.labels", size = 32.0'
    for mark, centre, corner in (("border", 0, green), ("ink", green, 255)):
        folder = tmp_path / mark
        folder.mkdir()
        write_trace(folder, values)
        prepared, graph = compiled(folder, base + f', mark = "{mark}" }}', dpi=72)
        with graph.styled():
            pixels = frame_pixels(graph, prepared.frames[0]).astype(int)
        x, y = graph.panels[0].ax.transData.transform([0.5, 0.5])
        row, col = round(pixels.shape[0] - y), round(x)
        np.testing.assert_array_equal(pixels[row - 1 : row + 1, col - 1 : col + 1], np.broadcast_to(centre, (2, 2, 3)))
        np.testing.assert_array_equal(pixels[row - 15, col - 15], np.broadcast_to(corner, 3))


def test_see_through_thumbnails_show_what_is_below(tmp_path: Path) -> None:
    image = np.zeros((8, 8))
    image[0, :] = 1.0  # ink on the top row only
    values = {"labels": np.array([0]), "images": image[None], "p2": np.full((3, 1, 2), 0.5)}
    write_trace(tmp_path, values)
    below = '{ kind = "embedding", points = "net.p2", labels = "net.labels", size = 400.0, legend = false }'
    above = '{ kind = "sprites", points = "net.p2", images = "net.images", size = 32.0, opaque = false }'
    prepared, graph = compiled(tmp_path, below, above, dpi=72)
    with graph.styled():
        pixels = frame_pixels(graph, prepared.frames[0]).astype(int)
    x, y = graph.panels[0].ax.transData.transform([0.5, 0.5])
    row, col = round(pixels.shape[0] - y), round(x)
    np.testing.assert_array_equal(pixels[row, col], np.round(np.array(TAB10[0]) * 255))  # the dot shows through
    np.testing.assert_array_equal(pixels[row - 15, col], [0, 0, 0])  # the ink covers


# --- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "key", "fragments"),
    [
        (
            '{ kind = "embedding", points = "net.p4", labels = "net.labels" }',
            "points",
            ["embedding layer: points = 'net.p4' has shape (40, 4) per step; expected (40, 2)"],
        ),
        (
            '{ kind = "embedding", points = "net.p3", labels = "net.labels" }',
            "points",
            ["has shape (40, 3) per step; expected (40, 2)", "set dims = 3"],
        ),
        (
            '{ kind = "embedding", points = "net.labels" }',
            "points",
            ["embedding layer: points = 'net.labels' has shape (40,); expected a 2-D grid"],
        ),
        (
            '{ kind = "embedding", points = "net.p2", labels = "net.short" }',
            "labels",
            ["labels = 'net.short' has 37 values; expected one per point of points = 'net.p2': 40"],
        ),
        (
            '{ kind = "embedding", points = "net.p2", labels = "net.halves" }',
            "labels",
            ["labels = 'net.halves' holds numbers that are not whole"],
        ),
        (
            '{ kind = "embedding", points = "net.p2", labels = "net.labels", names = ["a", "b"] }',
            "names",
            ["2 names for labels up to 4"],
        ),
        (
            '{ kind = "embedding", points = "net.p2", labels = "net.labels", highlight = { labels = [7] } }',
            "highlight.labels",
            ["no point has label 7 (labels present: 0, 1, 2, 3, 4)"],
        ),
        (
            '{ kind = "embedding", points = "net.p2", highlight = { indices = [3, 40] } }',
            "highlight.indices",
            ["index 40 is past the last point (40 points: indices 0..39)"],
        ),
        (
            '{ kind = "sprites", points = "net.p3", images = "net.images" }',
            "points",
            ["sprites layer: points = 'net.p3' has shape (40, 3) per step; expected (40, 2)"],
        ),
        (
            '{ kind = "sprites", points = "net.p2", images = "net.flat" }',
            "images",
            ["images = 'net.flat' has shape (40, 64); expected (n, h, w) grey"],
        ),
        (
            '{ kind = "sprites", points = "net.p2", images = "net.big" }',
            "images",
            ["images = 'net.big' holds values from", "expected values in [0, 1] (e.g. digits divided by 16)"],
        ),
        (
            '{ kind = "sprites", points = "net.p2", images = "net.images", labels = "net.short" }',
            "labels",
            ["sprites layer: labels = 'net.short' has 37 values; expected one per point"],
        ),
    ],
    ids=[
        "points-4d", "points-3d-without-dims", "points-1d", "labels-short", "labels-not-whole", "names-short",
        "highlight-absent-label", "highlight-index-past-end", "sprites-3d", "images-flat", "images-range",
        "sprites-labels-short",
    ],
)  # fmt: skip
def test_mistakes_are_located(tmp_path: Path, layer: str, key: str, fragments: list[str]) -> None:
    error, spec, text = failure(tmp_path, layer)
    line = line_of(text, layer)
    assert_located(error, spec, line, f"panels[0].layers[0].{key}", *fragments)


@pytest.mark.parametrize("setting", ["highlight = { labels = [3] }", "text = true", 'names = ["a"]'])
def test_settings_that_need_labels_say_so(tmp_path: Path, setting: str) -> None:
    layer = f'{{ kind = "embedding", points = "net.p2", {setting} }}'
    error, spec, text = failure(tmp_path, layer)
    key = setting.split(" ")[0]
    assert_located(error, spec, line_of(text, layer), f"panels[0].layers[0].{key}", "bind `labels`")


def test_the_cli_reports_a_located_error_without_a_traceback(tmp_path: Path) -> None:
    write_trace(tmp_path)
    layer = '{ kind = "embedding", points = "net.p2", labels = "net.short" }'
    text = scene(layer)
    write_spec(tmp_path, text)
    result = run_cli(["render", "spec.toml", "-o", "out.gif"], cwd=tmp_path)
    assert result.returncode == 2
    assert f"spec.toml:{line_of(text, layer)}: panels[0].layers[0].labels: embedding layer:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.gif").exists()
