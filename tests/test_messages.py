"""Error messages: every problem in a file in one run, in the file's order, in the spec's own words."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FAST, LINREG, line_of, spec_variant, write_spec

from scenespec.errors import MAX_LISTED, SpecError, format_path
from scenespec.pipeline import load_and_validate
from scenespec.render.sinks.video import diagnosis

PYDANTIC_WORDS = ("literal[", "StepRule", "list[int]", "constrained-", "function-", "instance of", "valid dictionary")


def problems_of(path: Path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(SpecError) as caught:
        load_and_validate(path)
    return [(p.line, format_path(p.path), p.message) for p in caught.value.problems]


def printed(path: Path) -> str:
    with pytest.raises(SpecError) as caught:
        load_and_validate(path)
    return str(caught.value)


def test_structural_and_binding_problems_are_reported_in_one_run(tmp_path: Path) -> None:
    text = spec_variant(
        ("dpi = 50", "dpi = 'many'"),
        ("fps = 5", "fps = 5\nspeed = 2"),
        ('legend = "upper center"', 'legend = "upper centre"'),
        ('x = "fit.x", y = "fit.y"', 'x = "fit.x", y = "fit.yy"'),
        ('text = "Cost: {fit.loss:.3f}"', 'text = "Cost: {fit.los:.3f}"'),
    )
    spec = write_spec(tmp_path, text)
    found = problems_of(spec)
    keys = [key for _, key, _ in found]
    assert set(keys) == {
        "scene.dpi",
        "frames.speed",
        "panels[0].legend",
        "panels[0].layers[0].y",
        "panels[0].layers[3].text",
    }, found
    lines = {key: line for line, key, _ in found}
    assert lines["scene.dpi"] == line_of(text, "dpi =")
    assert lines["panels[0].layers[0].y"] == line_of(text, "fit.yy")
    messages = {key: message for _, key, message in found}
    assert "source 'fit' has no field 'yy'; did you mean 'y'?" in messages["panels[0].layers[0].y"]
    assert "did you mean 'loss'?" in messages["panels[0].layers[3].text"]
    # printed in the order of the file
    printed_lines = [int(line.split(":")[1]) for line in printed(spec).splitlines()]
    assert printed_lines == sorted(printed_lines) and len(printed_lines) == 5


def test_an_unknown_key_does_not_hide_the_rest_of_its_table(tmp_path: Path) -> None:
    text = spec_variant(('ylabel = "Y data"', 'ylabel = "Y data"\naspect = "round"\nylim = "tall"\nxlabl = "x"'))
    found = problems_of(write_spec(tmp_path, text))
    assert {key for _, key, _ in found} == {"panels[0].aspect", "panels[0].ylim", "panels[0].xlabl"}, found


def test_bindings_to_a_broken_source_are_not_judged(tmp_path: Path) -> None:
    """The source's own problem is reported; its bindings would only repeat it, wrongly ("no field …")."""
    text = spec_variant(("epochs = 20", "epochs = 20\nepocs = 3"), ('y = "fit.y"', 'y = "fit.yy"'))
    found = problems_of(write_spec(tmp_path, text))
    assert [(key, message) for _, key, message in found] == [
        ("sources.fit.epocs", "unknown key 'epocs'; did you mean 'epochs'?")
    ]


def test_a_broken_layer_keeps_the_other_layers_in_place(tmp_path: Path) -> None:
    text = spec_variant(
        ('color = "red", label = "Original data"', 'color = "red", label = "Original data", size = "big"'),
        ('y = "fit.pred"', 'y = "fit.prd"'),
    )
    found = problems_of(write_spec(tmp_path, text))
    keys = [key for _, key, _ in found]
    assert keys == ["panels[0].layers[0].size", "panels[0].layers[1].y"], found


def test_many_problems_are_capped_in_print(tmp_path: Path) -> None:
    extra = "\n".join(f"junk_{i} = {i}" for i in range(MAX_LISTED + 12))
    spec = write_spec(tmp_path, spec_variant(("fps = 5", "fps = 5\n" + extra)))
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    # pydantic stops a table at its first unknown key; each round with the earlier ones set aside finds the next
    assert len(caught.value.problems) == MAX_LISTED + 12
    lines = str(caught.value).splitlines()
    assert len(lines) == MAX_LISTED + 1
    assert lines[-1] == "… and 12 more problems"


def test_more_than_the_cap_says_how_many_more(tmp_path: Path) -> None:
    layers = "\n".join(f'  {{ kind = "scatter", x = "fit.x", y = "fit.q{i}" }},' for i in range(MAX_LISTED + 5))
    text = spec_variant(("layers = [\n", "layers = [\n" + layers + "\n"))
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert len(caught.value.problems) == MAX_LISTED + 5
    lines = str(caught.value).splitlines()
    assert len(lines) == MAX_LISTED + 1
    assert lines[-1] == "… and 5 more problems"
    assert "fit.q0" in lines[0]


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        (
            "steps = { first = 10, every = 40 }",
            'steps = [1, "a"]',
            "frames.steps[1]",
            "expected a whole number; got the string 'a'",
        ),
        (
            "steps = { first = 10, every = 40 }",
            "steps = { first = -1, every = 40 }",
            "frames.steps.first",
            "expected greater than or equal to 0; got -1",
        ),
        (
            "steps = { first = 10, every = 40 }",
            'steps = "al"',
            "frames.steps",
            "expected 'all', or a table, or a list; got 'al'; did you mean 'all'?",
        ),
        ("size = [6.4, 4.8]", 'size = [6.4, "a"]', "scene.size[1]", "expected a number; got the string 'a'"),
        ("at = [6, -2]", 'at = "x"', "panels[0].layers[3].at", "expected a list; got the string 'x'"),
        ("x = [0, 10], seed = 0", "x = [0, 10, 3], seed = 0", "sources.fit.data.x", "expected at most 2 values; got 3"),
        ("batch_size = 1", 'batch_size = "x"', "sources.fit.batch_size", "expected a whole number, or 'full'; got 'x'"),
    ],
)
def test_union_errors_speak_the_spec_language(tmp_path: Path, old: str, new: str, key: str, message: str) -> None:
    text = spec_variant((old, new))
    found = problems_of(write_spec(tmp_path, text))
    assert found == [(line_of(text, new), key, message)]
    assert not any(word in key + text for word in PYDANTIC_WORDS for _, key, text in found)


def test_a_missing_key_at_the_top_points_at_the_first_line(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, '{"scene": {"title": "x"},\n "panels": [{"layers": []}]}', name="spec.json")
    assert problems_of(spec) == [(1, "sources", "missing required key")]


def test_a_missing_key_in_a_table_points_at_the_table(tmp_path: Path) -> None:
    text = spec_variant(('x = "fit.x", y = "fit.y", color', 'x = "fit.x", color'))
    found = problems_of(write_spec(tmp_path, text))
    assert found == [(line_of(text, 'kind = "scatter"'), "panels[0].layers[0].y", "missing required key")]


@pytest.mark.parametrize(
    ("code", "said", "cause"),
    [
        (1, ["out.mp4: No space left on device"], "the disk is full"),
        (1, ["Error writing trailer: Disk quota exceeded"], "the disk quota is used up"),
        (1, ["av_interleaved_write_frame(): File too large"], "largest file allowed"),
        (1, ["[out#0] Error opening output out.mp4: Permission denied"], "permission denied"),
        (-9, [], "stopped by signal SIGKILL"),
        (1, ["Conversion failed!"], ""),
    ],
)
def test_ffmpeg_failures_are_explained(code: int, said: list[str], cause: str) -> None:
    found = diagnosis(code, said)
    assert (cause in found and found) if cause else found == ""


def test_a_video_past_the_file_size_limit_says_so(tmp_path: Path) -> None:
    """A real ffmpeg hits `ulimit -f` (SIGXFSZ): the error says why, and no partial file is left."""
    (tmp_path / "out.mp4").write_bytes(b"earlier")

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    command = [sys.executable, "-m", "scenespec", "render", str(LINREG), "-o", "out.mp4", "--no-cache", "-q"]
    for override in FAST:
        command += ["--set", override]
    done = subprocess.run(
        command, cwd=tmp_path, preexec_fn=limit_file_size, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot write out.mp4: the file grew past the largest file allowed here" in done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.mp4"]
    assert (tmp_path / "out.mp4").read_bytes() == b"earlier"


def test_a_broken_layer_does_not_make_its_panel_settings_wrong(tmp_path: Path) -> None:
    """The twin-axis spline is set aside; `twin_ylabel`, which needs a layer on the twin axis, is not blamed."""
    text = spec_variant(('color = "b", label = "Cost line"', 'colour = "b", label = "Cost line"'))
    found = problems_of(write_spec(tmp_path, text))
    assert [key for _, key, _ in found] == ["panels[0].layers[2].colour"], found
