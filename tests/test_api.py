"""The Python API: specs from paths, dicts and text with located errors, with_values, in-memory traces,
outputs as bytes equal to files, frames, executors, and the doc's examples run as written."""

from __future__ import annotations

import base64
import io
import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SPECS
from PIL import Image

import scenespec
from scenespec.errors import SpecError
from scenespec.sources.trainer import TrainerSource

FAST = {"sources.fit.epochs": 40, "frames.steps": {"first": 4, "every": 12}, "scene.dpi": 40}


@pytest.fixture(scope="module")
def quick() -> scenespec.Spec:
    return scenespec.load(SPECS / "linreg.toml").with_values(FAST)


def test_a_path_a_dict_and_text_give_the_same_scene_and_frames() -> None:
    path = SPECS / "linreg.toml"
    text = path.read_text()
    data = tomllib.loads(text)
    specs = [
        scenespec.load(path),
        scenespec.load(str(path)),
        scenespec.load(text),
        scenespec.load(data),
        scenespec.load(json.dumps(data)),
    ]
    assert all(s.scene == specs[0].scene for s in specs)
    assert [s.name for s in specs] == ["linreg", "linreg", "scene", "scene", "scene"]
    frames = [next(s.with_values(FAST).render(workers=1).frames()) for s in (specs[0], specs[2], specs[3])]
    np.testing.assert_array_equal(frames[0], frames[1])
    np.testing.assert_array_equal(frames[0], frames[2])


def test_load_leaves_the_callers_dict_alone() -> None:
    data = tomllib.loads((SPECS / "linreg.toml").read_text())
    before = json.dumps(data, sort_keys=True)
    scenespec.load(data, ["frames.fps=20"]).with_values({"scene.title": "changed"})
    assert json.dumps(data, sort_keys=True) == before


def test_errors_in_a_dict_name_the_key_path_without_a_line() -> None:
    data = tomllib.loads((SPECS / "linreg.toml").read_text())
    data["panels"][0]["layers"][1]["colr"] = "red"
    data["frames"]["fps"] = 0
    with pytest.raises(SpecError) as error:
        scenespec.load(data)
    lines = str(error.value).splitlines()
    assert "panels[0].layers[1].colr: unknown key 'colr'; did you mean 'color'?" in lines
    assert any(line.startswith("frames.fps: expected greater than 0") for line in lines)
    assert all(problem.file is None and problem.line is None for problem in error.value.problems)


def test_errors_in_text_name_the_line() -> None:
    text = (SPECS / "linreg.toml").read_text().replace('color = "red"', 'colr = "red"')
    line = next(i for i, row in enumerate(text.splitlines(), 1) if 'colr = "red"' in row)
    with pytest.raises(SpecError) as error:
        scenespec.load(text)
    assert str(error.value) == f"<text>:{line}: panels[0].layers[0].colr: unknown key 'colr'; did you mean 'color'?"
    bad_json = '{\n  "sources": {},\n  "panels": [\n  ]\n}'
    with pytest.raises(SpecError) as error:
        scenespec.load(bad_json)
    assert {(p.file, p.line) for p in error.value.problems} == {("<text>", 2), ("<text>", 3)}
    with pytest.raises(SpecError, match=r"^<text>:3: TOML syntax error"):
        scenespec.load("[scene]\ntitle = 'x'\n= 3\n")


def test_with_values_returns_a_new_validated_spec(quick: scenespec.Spec) -> None:
    faster = quick.with_values({"frames.fps": 25, "panels.0.title": "Fit"})
    assert (faster.scene.frames.fps, faster.scene.panels[0].title) == (25, "Fit")
    assert (quick.scene.frames.fps, quick.scene.panels[0].title) == (5, None)
    with pytest.raises(SpecError) as error:
        quick.with_values({"frames.fps": 0})
    assert str(error.value).startswith("with_values frames.fps=0: frames.fps: expected greater than 0")
    with pytest.raises(SpecError, match=r"panels\[0\]\.layers\[0\]\.x: 'fit.nothing': source 'fit' has no field"):
        quick.with_values({"panels.0.layers.0.x": "fit.nothing"})


def test_render_without_out_writes_nothing(quick: scenespec.Spec, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    animation = quick.render()
    assert animation.result is None and list(tmp_path.iterdir()) == []
    assert [f.step for f in animation.prepared.frames] == [0, 1, 2, 3, 12, 24, 36, 40]  # first 4, every 12, last
    assert len(animation) == 8
    assert repr(animation) == "<scenespec.Animation 'linreg': 8 frames, 256×192 px, 5 fps>"
    frames = list(animation.frames())
    assert len(frames) == len(animation) and frames[0].shape == (192, 256, 3) and frames[0].dtype == np.uint8
    assert not np.array_equal(frames[0], frames[-1])


@pytest.mark.parametrize("fmt", ["gif", "png", "mp4", "webm"])
def test_bytes_equal_the_file_for_every_format(quick: scenespec.Spec, tmp_path: Path, fmt: str) -> None:
    animation = quick.render(workers=1)
    data = animation.to_bytes(fmt)
    result = animation.save(tmp_path / f"out.{fmt}")
    assert result.target.format == fmt and result.frames == (1 if fmt == "png" else len(animation))
    assert data == (tmp_path / f"out.{fmt}").read_bytes()
    signature = {"gif": b"GIF89a", "png": b"\x89PNG", "mp4": b"ftyp", "webm": b"\x1aE\xdf\xa3"}[fmt]
    assert signature in data[:12]
    if fmt in ("gif", "png"):
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (256, 192)
            assert getattr(image, "n_frames", 1) == (len(animation) if fmt == "gif" else 1)


def test_render_with_out_writes_the_file_and_reports_it(quick: scenespec.Spec, tmp_path: Path) -> None:
    animation = quick.render(tmp_path / "fit.gif", workers=1)
    assert animation.result is not None
    assert animation.result.target.path == tmp_path / "fit.gif" and animation.result.pixels == (256, 192)
    assert (tmp_path / "fit.gif").read_bytes() == animation.to_bytes("gif")


def test_in_memory_traces_replace_the_source(quick: scenespec.Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the source ran although a trace was given")

    monkeypatch.setattr(TrainerSource, "resolve", refuse)
    x = np.linspace(0, 10, 12)
    steps = np.array([0, 1, 2, 3, 12, 24, 36, 40])
    slopes = np.linspace(-1, 1, len(steps))
    trace = scenespec.Trace(
        steps=steps,
        static={"x": x, "y": x - 2},
        stepped={"pred": slopes[:, None] * x, "loss": 10.0 / (1 + steps), "w": slopes, "b": 0 * slopes},
    )
    prepared = quick.prepare({"fit": trace})
    assert [f.step for f in prepared.frames] == [0, 1, 2, 3, 12, 24, 36, 40]
    with scenespec.scene_style(prepared.scene):
        graph = scenespec.build(prepared)
        line = next(n.painter for n in graph.layers if n.painter.spec.kind == "line").artists[0]
        text = next(n.painter for n in graph.layers if n.painter.spec.kind == "text").artists[0]
        graph.show(prepared.frames[4])
        np.testing.assert_allclose(line.get_ydata(), slopes[4] * x)
        assert text.get_text() == f"Cost: {10.0 / 13:.3f}"


def test_in_memory_traces_are_checked_against_the_bindings(quick: scenespec.Spec) -> None:
    trace = scenespec.Trace(steps=[0, 1], static={"x": np.arange(3.0)}, stepped={"loss": np.ones(2)})
    with pytest.raises(SpecError) as error:
        quick.render(traces={"fit": trace})
    text = str(error.value)
    assert "panels[0].layers[0].y: 'fit.y': source 'fit' has no field 'y'" in text
    assert "panels[0].layers[1].y: 'fit.pred': source 'fit' has no field 'pred'" in text
    with pytest.raises(SpecError, match=r"traces: no source named 'fits'; did you mean 'fit'\?"):
        quick.render(traces={"fits": trace})


def test_spawned_workers_give_the_bytes_of_one_process(quick: scenespec.Spec) -> None:
    serial = quick.render(executor=scenespec.SerialExecutor()).to_bytes("gif")
    spawned = quick.render(executor=scenespec.ProcessExecutor(2, start_method="spawn")).to_bytes("gif")
    forkserver = quick.render(executor=scenespec.ProcessExecutor(2, start_method="forkserver")).to_bytes("gif")
    assert serial == spawned == forkserver


def test_notebook_html_is_size_aware(quick: scenespec.Spec) -> None:
    animation = quick.render(workers=1)
    gif = animation.to_bytes("gif")
    html = animation._repr_html_()
    assert html.startswith('<img alt="Linear regression by gradient descent" src="data:image/gif;base64,')
    assert len(gif) < 3_000_000
    video = animation.to_html("video")
    assert video.startswith("<video controls") and "data:video/mp4;base64," in video
    scrubber = animation.to_html("scrubber")
    frames = json.loads(re.search(r"var frames = (\[.*?\]),", scrubber).group(1))
    assert len(frames) == len(animation)
    assert f'src="data:image/png;base64,{frames[0]}"' in scrubber  # the first frame shows before any script runs
    for encoded, rgb in zip(frames, animation.frames(), strict=True):
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
            np.testing.assert_array_equal(np.asarray(image.convert("RGB")), rgb)
    mp4 = animation.to_bytes("mp4")
    assert len(scrubber) > 2 * len(mp4)  # so a limit between the two makes the scrubber fall back to the video
    assert animation.to_html("scrubber", embed_limit=len(mp4) * 3 // 2).startswith("<video controls")
    note = animation.to_html("video", embed_limit=1000)
    assert "over the 0 MB embed limit" in note and "<video" not in note
    bundle = animation._repr_mimebundle_()
    assert bundle["text/html"] == html and bundle["text/plain"] == repr(animation)


def doc_examples() -> list[str]:
    text = (ROOT / "docs" / "python-api.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("index", range(len(doc_examples())))
def test_the_docs_examples_run(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(doc_examples()[index], f"python-api.md example {index + 1}", "exec"), {})
