"""The `scenespec` command line, run for real in subprocesses (`python -m scenespec ...`).

Every command the tests need is started once, concurrently, by the module fixture `runs`
in a scratch folder; the tests then inspect exit codes, messages and the files written.
Frame counts, sizes and durations are computed independently from the spec and the scheduler.
The atomic-output tests run in-process so they can break the GIF sink halfway.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from helpers import FAST, LINREG, SPEC, line_of, run_cli, run_cli_many, spec_variant, write_spec
from PIL import Image

import scenespec
from scenespec.errors import RenderError
from scenespec.pipeline import load_and_validate
from scenespec.pipeline import render as render_in_process
from scenespec.render.sinks.gif import GifSink
from scenespec.schedule import Frame, select_steps

SET_FAST = tuple(arg for item in FAST for arg in ("--set", item))

SCATER = spec_variant(('{ kind = "scatter"', '{ kind = "scater"'))
BROKEN = spec_variant(("dpi = 50", "dpi = = 50"))
# Diverges during training, so a command that fails with exit 1 on this spec stopped before training.
DIVERGES = spec_variant(("lr = 1e-4", "lr = 1e3"))
COLR = spec_variant(('color = "red"', 'colr = "red"'))
BAD_JSON = '{\n  "scene": {\n    "dpi": oops\n  }\n}\n'

SPEC_FILES = {
    "linreg.toml": LINREG.read_text(encoding="utf-8"),
    "spec.toml": SPEC,
    "scater.toml": SCATER,
    "broken.toml": BROKEN,
    "diverges.toml": DIVERGES,
}


@dataclass(frozen=True)
class ErrorCase:
    args: tuple[str, ...]
    code: int
    where: str  # what follows "error: " on stderr: file:line: key: (or the --set / output it concerns)
    message: str


ERROR_CASES = {
    "unknown-layer-kind": ErrorCase(
        ("render", "scater.toml"),
        2,
        f"scater.toml:{line_of(SCATER, 'scater')}: panels[0].layers[0].kind: ",
        "unknown layer kind 'scater'; did you mean 'scatter'?",
    ),
    "toml-syntax": ErrorCase(
        ("render", "broken.toml"), 2, f"broken.toml:{line_of(BROKEN, 'dpi = = 50')}: ", "TOML syntax error"
    ),
    "training-diverges": ErrorCase(
        ("render", "diverges.toml"),
        2,
        f"diverges.toml:{line_of(DIVERGES, 'lr = 1e3')}: sources.fit.optimizer.lr: ",
        "training diverged",
    ),
    "bad-set-value": ErrorCase(
        ("render", "spec.toml", "--set", "frames.fps=abc"),
        2,
        "--set frames.fps=abc: frames.fps: ",
        "expected a number; got the string 'abc'",
    ),
    "set-is-validated": ErrorCase(
        ("render", "spec.toml", "--set", "scene.title=42"),
        2,
        "--set scene.title=42: scene.title: ",
        "expected a string; got 42",
    ),
    "malformed-set": ErrorCase(
        ("render", "spec.toml", "--set", "frames.fps"), 2, "--set frames.fps: ", "expected KEY.PATH=VALUE"
    ),
    "missing-spec": ErrorCase(("render", "nope.toml"), 2, "nope.toml: ", "no such spec file"),
    "output-folder-missing": ErrorCase(
        ("render", "diverges.toml", "-o", "nowhere/out.gif"), 1, "cannot write nowhere/out.gif: ", "does not exist"
    ),
    "output-is-a-folder": ErrorCase(
        ("render", "diverges.toml", "-o", "taken.gif"), 1, "cannot write taken.gif: ", "it is a folder"
    ),
}

RENDERS = {
    "gif": ("render", "linreg.toml", *SET_FAST),
    "once": (
        "render",
        "linreg.toml",
        "-o",
        "once.gif",
        *SET_FAST,
        "--set",
        "frames.loop=false",
        "--set",
        "frames.fps=10",
        "--dpi",
        "30",
    ),
    "last": ("render", "linreg.toml", "-o", "last.png", *SET_FAST),
    "first": ("render", "linreg.toml", "--frame", "0", "-o", "first.png", *SET_FAST),
    "sequence": ("render", "linreg.toml", "-o", "frames_dir", "--format", "png-sequence", *SET_FAST),
    "frame999": ("render", "linreg.toml", "--frame", "999", *SET_FAST),
    "validate-folder": ("validate", "batch"),
    "help-render": ("render", "--help"),
    "help-validate": ("validate", "--help"),
    "version": ("--version",),
}


@dataclass
class Runs:
    folder: Path
    results: dict[str, subprocess.CompletedProcess[str]]

    def __getitem__(self, name: str) -> subprocess.CompletedProcess[str]:
        return self.results[name]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every subprocess of this module, run concurrently in one scratch folder."""
    folder = tmp_path_factory.mktemp("cli")
    for name, text in SPEC_FILES.items():
        write_spec(folder, text, name)
    (folder / "taken.gif").mkdir()
    batch = folder / "batch"
    batch.mkdir()
    write_spec(batch, SPEC, "good.toml")
    write_spec(batch, COLR, "bad.toml")
    write_spec(batch, BAD_JSON, "bad.json")
    commands = {**{name: case.args for name, case in ERROR_CASES.items()}, **RENDERS}
    results = run_cli_many([(args, folder) for args in commands.values()])
    return Runs(folder, dict(zip(commands, results, strict=True)))


def expected_frames(spec: Path, overrides: tuple[str, ...]) -> tuple[int, tuple[int, int], float, float]:
    """Frame count, pixel size, fps and end pause, from the spec and `select_steps` (nothing rendered)."""
    _, scene = load_and_validate(spec, overrides)
    epochs = scene.sources["fit"].epochs
    count = len(select_steps(scene.frames.steps, np.arange(epochs + 1)))  # a trainer records steps 0..epochs
    width, height = scene.scene.size
    pixels = (round(width * scene.scene.dpi), round(height * scene.scene.dpi))
    return count, pixels, scene.frames.fps, scene.frames.end_pause


def gif_durations(path: Path) -> list[int]:
    with Image.open(path) as image:
        durations = []
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
        return durations


def pixels_of(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def assert_clean_error(result: subprocess.CompletedProcess[str], code: int, where: str, message: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: {where}" in result.stderr
    assert message in result.stderr


# --- GIF ----------------------------------------------------------------------------------------


def test_render_gif_to_default_name(runs: Runs) -> None:
    result = runs["gif"]
    assert result.returncode == 0, result.stderr
    gif = runs.folder / "linreg.gif"
    count, (width, height), fps, end_pause = expected_frames(runs.folder / "linreg.toml", FAST)
    assert count > 2
    assert re.fullmatch(
        rf"wrote linreg\.gif \(gif\): {count} frames, {width}×{height} px, in \d+\.\d s\n", result.stdout
    ), result.stdout
    with Image.open(gif) as image:
        assert image.format == "GIF"
        assert image.n_frames == count
        assert image.size == (width, height)
        assert image.info.get("loop") == 0  # frames.loop = true: loop forever
    frame_ms = round(1000 / fps)
    assert gif_durations(gif) == [frame_ms] * (count - 1) + [frame_ms + round(end_pause * 1000)]


def test_play_once_with_set_and_dpi(runs: Runs) -> None:
    """`--set frames.loop=false --set frames.fps=10 --dpi 30` each change the GIF."""
    assert runs["once"].returncode == 0, runs["once"].stderr
    count, pixels, _, end_pause = expected_frames(
        runs.folder / "linreg.toml", (*FAST, "frames.loop=false", "scene.dpi=30")
    )
    with Image.open(runs.folder / "once.gif") as image:
        assert "loop" not in image.info  # frames.loop = false: play once
        assert image.n_frames == count
        assert image.size == pixels
    with Image.open(runs.folder / "linreg.gif") as default:
        assert default.size != pixels
    frame_ms = round(1000 / 10)  # --set frames.fps=10
    assert gif_durations(runs.folder / "once.gif") == [frame_ms] * (count - 1) + [frame_ms + round(end_pause * 1000)]


# --- PNG ----------------------------------------------------------------------------------------


def assert_same_picture(single: np.ndarray, in_sequence: np.ndarray) -> None:
    """A lone frame is drawn in full; a sequence's frames by the engine, whose pre-drawn overlays
    (the legend) are blended in numpy: equal up to the blend's rounding, nowhere more than 3/255."""
    difference = np.abs(single.astype(int) - in_sequence.astype(int))
    assert difference.max() <= 3 and difference.mean() < 0.05, (difference.max(), difference.mean())


def test_png_is_the_last_frame(runs: Runs) -> None:
    result = runs["last"]
    assert result.returncode == 0, result.stderr
    count, (width, height), _, _ = expected_frames(runs.folder / "linreg.toml", FAST)
    assert result.stdout.startswith(f"wrote last.png (png): 1 frame, {width}×{height} px")
    last = pixels_of(runs.folder / "last.png")
    assert last.shape == (height, width, 3)
    sequence_last = pixels_of(runs.folder / "frames_dir" / f"frame_{count - 1:05d}.png")
    assert_same_picture(last, sequence_last)


def test_frame_zero(runs: Runs) -> None:
    assert runs["first"].returncode == 0, runs["first"].stderr
    first = pixels_of(runs.folder / "first.png")
    assert_same_picture(first, pixels_of(runs.folder / "frames_dir" / "frame_00000.png"))
    last = pixels_of(runs.folder / "last.png")
    assert first.shape == last.shape
    assert not np.array_equal(first, last)


def test_frame_out_of_range(runs: Runs) -> None:
    count, _, _, _ = expected_frames(runs.folder / "linreg.toml", FAST)
    message = f"the scene has {count} frames (0..{count - 1}, or -1 for the last)"
    assert_clean_error(runs["frame999"], 1, "--frame 999: ", message)
    assert not (runs.folder / "linreg.png").exists()


def test_png_sequence_and_clean_rerender(runs: Runs, tmp_path: Path) -> None:
    assert runs["sequence"].returncode == 0, runs["sequence"].stderr
    count, _, _, _ = expected_frames(runs.folder / "linreg.toml", FAST)
    written = sorted(p.name for p in (runs.folder / "frames_dir").iterdir())
    assert written == [f"frame_{i:05d}.png" for i in range(count)]

    # Re-render fewer frames into a copy of that folder: it is replaced, not merged.
    shutil.copytree(runs.folder / "frames_dir", tmp_path / "frames_dir")
    shutil.copy(runs.folder / "linreg.toml", tmp_path)
    fewer = ("sources.fit.epochs=5", "frames.steps=all", "scene.dpi=30")
    args = ["render", "linreg.toml", "-o", "frames_dir", "--format", "png-sequence", "-q"]
    result = run_cli([*args, *(a for item in fewer for a in ("--set", item))], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # -q
    new_count, _, _, _ = expected_frames(tmp_path / "linreg.toml", fewer)
    assert new_count == 6 < count
    assert sorted(p.name for p in (tmp_path / "frames_dir").iterdir()) == [
        f"frame_{i:05d}.png" for i in range(new_count)
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames_dir", "linreg.toml"]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_error_is_clean(runs: Runs, name: str) -> None:
    case = ERROR_CASES[name]
    assert_clean_error(runs[name], case.code, case.where, case.message)


def test_unwritable_outputs_write_nothing(runs: Runs) -> None:
    assert not (runs.folder / "nowhere").exists()
    assert list((runs.folder / "taken.gif").iterdir()) == []


def test_no_temporary_files_left(runs: Runs) -> None:
    leftovers = [p.name for p in runs.folder.rglob("*") if p.name.startswith(".") or p.suffix in (".part", ".old")]
    assert leftovers == []


# --- atomic output ------------------------------------------------------------------------------


@pytest.fixture
def good_gif(tmp_path: Path) -> Iterator[tuple[Path, Path, bytes]]:
    spec = write_spec(tmp_path, SPEC_FILES["linreg.toml"], "linreg.toml")
    out = tmp_path / "out.gif"
    result = render_in_process(spec, out=str(out), overrides=FAST, progress=False)
    assert result.target.path == out
    yield spec, out, out.read_bytes()


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_failed_render_keeps_earlier_output(
    good_gif: tuple[Path, Path, bytes], monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    spec, out, before = good_gif
    original = GifSink.write
    written: list[int] = []

    def write_two_then_fail(self: GifSink, frame: Frame, rgb: np.ndarray) -> None:
        if len(written) == 2:
            raise failure
        original(self, frame, rgb)
        written.append(frame.index)

    monkeypatch.setattr(GifSink, "write", write_two_then_fail)
    rc_before = dict(matplotlib.rcParams)
    with pytest.raises(type(failure)) as raised:
        render_in_process(spec, out=str(out), overrides=(*FAST, "scene.title=Changed"), progress=False)
    assert written == [0, 1]
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["linreg.toml", "out.gif"]
    # the scene's style was left with the render, while the exception (and the frames it stopped) is still held
    assert raised.value is failure
    assert logging.getLogger("matplotlib.mathtext").filters == []
    assert dict(matplotlib.rcParams) == rc_before


def test_a_folder_of_other_files_is_never_replaced(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC_FILES["linreg.toml"], "linreg.toml")
    folder = tmp_path / "important"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(
        RenderError, match=r"will not replace .*important: the folder holds files scenespec did not write"
    ):
        render_in_process(spec, out=str(folder), overrides=FAST, progress=False)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_folder_of_earlier_frames_is_replaced(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC_FILES["linreg.toml"], "linreg.toml")
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(40):
        (folder / f"frame_{index:05d}.png").write_bytes(b"old")
    result = render_in_process(spec, out=str(folder), overrides=FAST, progress=False)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(result.frames)]
    assert all((folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in names)


# --- validate, help, version --------------------------------------------------------------------


def test_validate_folder_lists_each_file(runs: Runs) -> None:
    result = runs["validate-folder"]
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    batch = Path("batch")
    assert result.stdout == f"ok: {batch / 'good.toml'}\n"
    colr_line = line_of(COLR, "colr")
    assert f"error: {batch / 'bad.toml'}:{colr_line}: panels[0].layers[0].colr: unknown key 'colr'" in result.stderr
    assert f"error: {batch / 'bad.json'}:{line_of(BAD_JSON, 'oops')}: JSON syntax error" in result.stderr


def test_help_mentions_options(runs: Runs) -> None:
    render_help, validate_help = runs["help-render"], runs["help-validate"]
    assert render_help.returncode == validate_help.returncode == 0
    for option in ("--output", "--format", "--dpi", "--frame", "--set", "--quiet", "png-sequence"):
        assert option in render_help.stdout
    for option in ("specs", "--set"):
        assert option in validate_help.stdout


def test_version(runs: Runs) -> None:
    assert runs["version"].returncode == 0
    assert runs["version"].stdout == f"scenespec {scenespec.__version__}\n"
    assert scenespec.__version__ == version("scenespec")


def test_as_the_process_command_the_collector_stops_walking_what_was_imported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python's last collection walks every object the imports made; a process that ends has nothing to free."""
    import gc

    from scenespec.cli import main

    before = gc.get_freeze_count()
    try:
        assert main(["validate", str(LINREG)]) == 0  # called from Python: the collector is left alone
        assert gc.get_freeze_count() == before
        monkeypatch.setattr("sys.argv", ["scenespec", "validate", str(LINREG)])
        assert main() == 0  # the process's own command
        assert gc.get_freeze_count() > before + 10_000  # the imported modules, classes and functions
        assert capsys.readouterr().out.count("ok:") == 2
    finally:
        gc.unfreeze()
