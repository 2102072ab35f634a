"""Quality presets (`--quality`, `Spec.render(quality=...)`) and GIF size budgets (`--max-size`).

Pixel sizes and frame durations are read back from the written GIFs with Pillow and compared with what the
table in docs/animation.md computes from the spec's own size, dpi and fps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO, run_cli_many, spec_variant, write_spec
from PIL import Image

import scenespec
from scenespec.errors import RenderError, SpecError
from scenespec.frame import Frame
from scenespec.size_budget import COLOURS, SCALES, thinned
from scenespec.sizes import parse_size, show_size

# 11 frames (the first 10 epochs and the last) at 20 dpi, 128×96 px, 20 fps: each frame shows 50 ms.
SMALL = spec_variant(("dpi = 50", "dpi = 20"), ("fps = 5", "fps = 20"), ("end_pause = 2.0", "end_pause = 0.5"))
FRAMES = 11


def gif_facts(path: Path) -> tuple[tuple[int, int], int, list[int]]:
    """Pixel size, frame count and per-frame durations (ms) of a GIF."""
    with Image.open(path) as image:
        durations = []
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
        return image.size, image.n_frames, durations


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> scenespec.Spec:
    return scenespec.load(write_spec(tmp_path_factory.mktemp("quality"), SMALL))


@pytest.mark.parametrize(
    ("quality", "pixels", "frame_ms"),
    [
        ("draft", (64, 48), 100),  # dpi 20 / 2 = 10; 20 fps capped at 10
        ("standard", (128, 96), 50),  # the spec as written
        ("high", (256, 192), 50),  # dpi 40: twice the pixels per side, the same fps
    ],
)
def test_presets_give_the_tables_pixels_and_fps(
    spec: scenespec.Spec, tmp_path: Path, quality: str, pixels: tuple[int, int], frame_ms: int
) -> None:
    out = tmp_path / f"{quality}.gif"
    animation = spec.render(out, quality=quality, workers=1)
    size, count, durations = gif_facts(out)
    assert size == pixels
    assert animation.result is not None and animation.result.pixels == pixels
    assert count == FRAMES  # the same steps at every quality
    assert durations[:-1] == [frame_ms] * (FRAMES - 1)
    assert durations[-1] == frame_ms + 500  # the end pause is kept


def test_4k_is_3840_pixels_wide_keeping_the_aspect(spec: scenespec.Spec) -> None:
    meta = spec.with_quality("4k").scene.scene
    assert meta.dpi == 600  # 3840 / 6.4 in
    assert (round(meta.size[0] * meta.dpi), round(meta.size[1] * meta.dpi)) == (3840, 2880)
    assert spec.with_quality("4k").scene.frames.fps == 20


def test_4k_of_a_narrow_figure_is_refused_by_the_dpi_limit(tmp_path: Path) -> None:
    narrow = scenespec.load(write_spec(tmp_path, spec_variant(("size = [6.4, 4.8]", "size = [3.0, 2.0]"), base=SMALL)))
    with pytest.raises(SpecError) as caught:
        narrow.with_quality("4k")  # 3840 px / 3 in = 1280 dpi, above scene.dpi's 1000
    assert "quality '4k'" in str(caught.value) and "scene.dpi" in str(caught.value)


def test_4k_of_a_sweep_is_the_width_of_its_output() -> None:
    sweep = REPO / "specs" / "linreg_lr_sweep.toml"  # three 4 in panels side by side
    multiples = scenespec.load(sweep).with_quality("4k").scene.scene
    assert (multiples.size[0], multiples.dpi) == (12.0, 320)  # one 3840 px image
    points = scenespec.load(sweep, split=True).with_quality("4k").points()
    assert len(points) == 3 and {(p.scene.scene.size[0], p.scene.scene.dpi) for p in points} == {(4.0, 960)}


def test_explicit_dpi_wins_over_the_preset(spec: scenespec.Spec) -> None:
    scene = spec.with_quality("draft", dpi=30).scene
    assert scene.scene.dpi == 30
    assert scene.frames.fps == 10  # the preset's fps still holds


def test_sizes_are_parsed() -> None:
    assert parse_size("5MB") == 5_000_000
    assert parse_size("500kB") == 500_000
    assert parse_size("2MiB") == 2 * 1024 * 1024
    assert parse_size("1.5 MB") == 1_500_000
    assert parse_size("123456") == 123456
    assert parse_size("64KiB") == 65536
    for bad in ("5 parsecs", "MB", "0", "-1MB", ""):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_thinning_keeps_first_and_last_and_the_total_time() -> None:
    frames = [Frame(i, 10 * i, 50 + (1000 if i == 6 else 0), count=7) for i in range(7)]
    kept = thinned(frames, 4)
    assert [f.step for f in kept] == [0, 40, 60]
    assert [f.duration_ms for f in kept] == [200, 100, 1050]
    assert [f.index for f in kept] == [0, 1, 2] and {f.count for f in kept} == {3}
    assert sum(f.duration_ms for f in kept) == sum(f.duration_ms for f in frames)


def test_a_budget_below_the_full_gif_takes_fewer_colours_or_a_lower_scale(spec: scenespec.Spec, tmp_path: Path) -> None:
    full = len(spec.render(workers=1).to_bytes("gif"))
    scales = []
    # two fifths: a third was met only to the byte, and the legend built anew at frame 1 (when the cost line
    # starts) costs some bytes at small scales, where only dropping frames then fits
    for budget in (full - 1, full * 2 // 5):
        out = tmp_path / f"fit{budget}.gif"
        result = spec.render(out, max_size=budget, workers=1).result
        assert result is not None and result.fit is not None
        fit = result.fit
        assert out.stat().st_size == len(fit.data) <= budget
        assert (fit.colours, fit.scale) != (COLOURS[0], 1.0)
        assert fit.colours in COLOURS and fit.scale in SCALES and fit.every == 1
        dpi = round(20 * fit.scale)
        size, count, _ = gif_facts(out)
        assert size == result.pixels
        assert abs(size[0] - 6.4 * dpi) < 1 and abs(size[1] - 4.8 * dpi) < 1  # the canvas truncates fractions
        assert count == result.frames == FRAMES
        with Image.open(out) as image:
            assert len(image.getpalette() or []) // 3 <= fit.colours + 1  # + the "unchanged" index
        scales.append(fit.scale)
    assert scales[1] < 1  # two fifths of the bytes: colours alone cannot do it


def test_a_budget_that_cannot_be_met_writes_nothing(spec: scenespec.Spec, tmp_path: Path) -> None:
    out = tmp_path / "earlier.gif"
    out.write_bytes(b"an earlier output")
    with pytest.raises(RenderError, match=r"--max-size 100 B: the smallest GIF tried \(31 colours, 0.25 scale"):
        spec.render(out, max_size=100, workers=1)
    assert out.read_bytes() == b"an earlier output"
    assert [p.name for p in tmp_path.iterdir()] == ["earlier.gif"]  # no temporary file left


def test_only_a_gif_has_a_budget(spec: scenespec.Spec, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="only a GIF output has a size budget"):
        spec.render(tmp_path / "poster.png", max_size="1MB", workers=1)
    assert not (tmp_path / "poster.png").exists()


def test_command_line_quality_dpi_and_budget(spec: scenespec.Spec, tmp_path: Path) -> None:
    path = write_spec(tmp_path, SMALL)
    budget = len(spec.render(workers=1).to_bytes("gif")) - 1  # met with fewer colours: frames drawn once
    (tmp_path / "tiny.gif").write_bytes(b"kept")
    draft, fit, tiny, bad = run_cli_many([
        (["render", str(path), "-o", "draft.gif", "--quality", "draft", "--dpi", "30", "--workers", "1"], tmp_path),
        (["render", str(path), "-o", "fit.gif", "--max-size", str(budget), "--workers", "1"], tmp_path),
        (["render", str(path), "-o", "tiny.gif", "--max-size", "100", "--workers", "1"], tmp_path),
        (["render", str(path), "-o", "bad.gif", "--max-size", "5 parsecs"], tmp_path),
    ])  # fmt: skip
    assert draft.returncode == 0, draft.stderr
    size, _, durations = gif_facts(tmp_path / "draft.gif")
    assert size == (192, 144)  # --dpi 30 wins over draft's 10
    assert durations[0] == 100  # draft's 10 fps still holds
    assert fit.returncode == 0, fit.stderr
    assert (tmp_path / "fit.gif").stat().st_size <= budget
    assert f"(fit {show_size(budget)}: 127 colours)" in fit.stdout
    size, _, _ = gif_facts(tmp_path / "fit.gif")
    assert f"{size[0]}×{size[1]} px" in fit.stdout
    assert tiny.returncode == 1 and "nothing was written" in tiny.stderr and "Traceback" not in tiny.stderr
    assert (tmp_path / "tiny.gif").read_bytes() == b"kept"
    assert bad.returncode == 2 and "'5 parsecs' is not a size" in bad.stderr
    assert not (tmp_path / "bad.gif").exists()
