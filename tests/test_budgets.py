"""Budgets: each limit stops a spec before the heavy work, names the key, the estimate and the limit, and a
raised limit lets the same spec through (checked with `validate`, which runs nothing, so the tests stay cheap)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import REPO, SPEC, assert_located, line_of, run_cli, spec_variant, write_spec

from scenespec.api import load
from scenespec.errors import SpecError, format_path
from scenespec.sources.trainer import LinearTrainer
from scenespec.validate.limits import LIMITS, Limits

DATA = 'data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }'
RULE = "steps = { first = 10, every = 40 }"
BOWL = REPO / "specs" / "bowl_contour.toml"


def spec_error(spec: Path, overrides: tuple[str, ...] = ()) -> SpecError:
    with pytest.raises(SpecError) as info:
        load(spec, list(overrides))
    return info.value


def with_limits(text: str, **limits: float) -> str:
    return text + "\n[limits]\n" + "".join(f"{name} = {value:g}\n" for name, value in limits.items())


def check(
    tmp_path: Path,
    text: str,
    needle: str,
    key: str,
    fragment: str,
    lowered: dict[str, float] | None = None,
    **raised: float,
) -> None:
    """`text` (with `lowered` limits) fails validation at the line of `needle`, at `key`, with `fragment`; with
    `raised` limits it passes."""
    spec = write_spec(tmp_path, with_limits(text, **lowered) if lowered else text)
    assert_located(spec_error(spec), spec, line_of(text, needle), key, fragment)
    load(write_spec(tmp_path, with_limits(text, **(lowered or {}) | raised), "raised.toml"))


def test_pixels_per_frame(tmp_path: Path) -> None:
    text = spec_variant(("size = [6.4, 4.8]", "size = [9000, 9000]"))
    check(
        tmp_path,
        text,
        "size = [9000, 9000]",
        "scene.size",
        "scene.size: 450000 × 450000 pixels per frame (size × dpi) is over the limit of 50,000,000 "
        "(limits.max_pixels_per_frame; raise it if you mean it)",
        max_pixels_per_frame=1e12,
    )


def test_frames_of_every_recorded_step(tmp_path: Path) -> None:
    text = spec_variant(
        ("epochs = 20", "epochs = 110000"), (RULE, 'steps = "all"'), ("batch_size = 1", 'batch_size = "full"')
    )
    check(
        tmp_path,
        text,
        "epochs = 110000",
        "sources.fit.epochs",
        "110,001 frames (every recorded step of 'fit') is over the limit of 100,000 (limits.max_frames;",
        max_frames=1e6,
    )


def test_frames_listed(tmp_path: Path) -> None:
    text = spec_variant((RULE, "steps = [0, 1, 2, 3, 4, 5]"))
    spec = write_spec(tmp_path, with_limits(text, max_frames=5))
    assert_located(
        spec_error(spec), spec, line_of(text, "steps = [0, 1"), "frames.steps",
        "6 frames (listed in frames.steps) is over the limit of 5 (limits.max_frames; raise it if you mean it)",
    )  # fmt: skip


def test_frames_scheduled_by_a_rule_are_checked_before_drawing(tmp_path: Path) -> None:
    """A rule's frame count is known once the steps are recorded: checked then, before any frame is drawn."""
    text = with_limits(SPEC, max_frames=5)
    spec = write_spec(tmp_path, text)
    loaded = load(spec)  # validate cannot know it
    with pytest.raises(SpecError) as info:
        loaded.prepare()
    assert_located(
        info.value, spec, line_of(text, RULE), "frames.steps",
        "11 frames (scheduled by frames.steps) is over the limit of 5 (limits.max_frames",
    )  # fmt: skip


def test_total_pixels(tmp_path: Path) -> None:
    text = spec_variant((RULE, 'steps = "all"'))
    check(
        tmp_path,
        text,
        "epochs = 20",
        "sources.fit.epochs",
        "21 frames of 320 × 240 pixels (1,612,800 pixels) is over the limit of 1,000,000 (limits.max_total_pixels;",
        {"max_total_pixels": 1e6},
        max_total_pixels=2e6,
    )


def test_points_per_frame_sum_over_layers(tmp_path: Path) -> None:
    text = spec_variant((DATA, DATA.replace("n = 50", "n = 1500000")), ("batch_size = 1", 'batch_size = "full"'))
    check(
        tmp_path,
        text,
        '{ kind = "line", x = "fit.x"',
        "panels[0].layers[1].x",
        "3,000,401 points drawn per frame (this layer: 1,500,000) is over the limit of 2,000,000 "
        "(limits.max_points_per_frame; raise it if you mean it)",
        max_points_per_frame=4e6,
    )


def test_a_scatter_drawing_fewer_points_stays_within_the_budget(tmp_path: Path) -> None:
    text = spec_variant(
        (DATA, DATA.replace("n = 50", "n = 1500000")),
        ("batch_size = 1", 'batch_size = "full"'),
        ('label = "Original data" }', 'label = "Original data", max_points = 1000 }'),
    )
    load(write_spec(tmp_path, text))


def test_points_known_only_from_the_data_are_checked_before_drawing(tmp_path: Path) -> None:
    (tmp_path / "points.csv").write_text("x,y\n" + "".join(f"{i},{2 * i}\n" for i in range(30)), encoding="utf-8")
    text = with_limits(spec_variant((DATA, 'data = { kind = "csv", path = "points.csv" }')), max_points_per_frame=450)
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load(spec).prepare()
    assert_located(
        info.value, spec, line_of(text, '{ kind = "spline"'), "panels[0].layers[2].y",
        "461 points drawn per frame (this layer: 400) is over the limit of 450 (limits.max_points_per_frame",
    )  # fmt: skip


def test_grid_points(tmp_path: Path) -> None:
    spec = BOWL
    error = spec_error(spec, ("sources.bowl.resolution=2000",))
    assert str(error) == (
        "--set sources.bowl.resolution=2000: sources.bowl.resolution: a 2000 × 2000 grid (4,000,000 points) is over "
        "the limit of 1,000,000 (limits.max_grid_points; raise it if you mean it)"
    )
    load(spec, ["sources.bowl.resolution=2000", "limits.max_grid_points=4e6", "limits.max_points_per_frame=1e7"])


def test_spline_samples(tmp_path: Path) -> None:
    text = spec_variant(('along = "frames",', 'along = "frames", samples = 1000000000,'))
    check(
        tmp_path,
        text,
        "samples = 1000000000",
        "panels[0].layers[2].samples",
        "1,000,000,000 samples is over the limit of 100,000 (limits.max_spline_samples; raise it if you mean it)",
        max_spline_samples=1e9,
        max_points_per_frame=1e10,
    )


def test_string_length(tmp_path: Path) -> None:
    title = "A" * 20_000
    text = spec_variant(('title = "Linear regression by gradient descent"', f'title = "{title}"'))
    check(
        tmp_path,
        text,
        title,
        "scene.title",
        "a string of 20,000 characters is over the limit of 10,000 (limits.max_text_length; raise it if you mean it)",
        max_text_length=1e5,
    )


def test_string_length_of_a_key(tmp_path: Path) -> None:
    text = spec_variant(("[sources.fit]", f"[sources.{'f' * 10_001}]"))
    spec = write_spec(tmp_path, text)
    error = spec_error(spec)
    assert len(error.problems) == 1
    assert format_path(error.problems[0].path) == "sources"
    assert "a key of 10,001 characters is over the limit of 10,000 (limits.max_text_length" in str(error)


def test_list_length(tmp_path: Path) -> None:
    ticks = ", ".join(str(i) for i in range(100_001))
    text = spec_variant(('ylabel = "Y data"', f'ylabel = "Y data"\nxticks = [{ticks}]'))
    check(
        tmp_path,
        text,
        "xticks = [",
        "panels[0].xticks",
        "a list of 100,001 items is over the limit of 100,000 (limits.max_list_length; raise it if you mean it)",
        max_list_length=2e5,
    )


def test_trace_memory(tmp_path: Path) -> None:
    text = spec_variant(
        (DATA, DATA.replace("n = 50", "n = 10000000")),
        ("batch_size = 1", 'batch_size = "full"'),
        ("epochs = 20", "epochs = 100"),
    )
    check(
        tmp_path,
        text,
        "epochs = 100",
        "sources.fit.epochs",
        "a trace of about 8.2 GB (101 recorded steps × 10,000,003 numbers per step × 8 bytes, and its static arrays) "
        "is over the limit of 2.0 GB (limits.max_trace_bytes; raise it if you mean it)",
        max_trace_bytes=1e10,
        max_points_per_frame=1e8,
    )


def test_training_batches(tmp_path: Path) -> None:
    text = spec_variant(("epochs = 20", "epochs = 1000000"))
    check(
        tmp_path,
        text,
        "epochs = 1000000",
        "sources.fit.epochs",
        "1,000,000 epochs × 50 batches (50 points, batch_size 1) = 50,000,000 updates is over the limit of "
        "1,000,000 (limits.max_training_batches; raise it if you mean it)",
        max_training_batches=1e8,
    )


def test_an_mlp_recording_a_billion_batches_is_stopped_before_training(tmp_path: Path) -> None:
    text = """\
[sources.net]
kind = "trainer"
model = "mlp"
data = { kind = "function", n = 10000000 }
epochs = 1000
batch_size = 10
record = { every = 1 }

[[panels]]
layers = [{ kind = "metric", y = "net.loss" }]
"""
    spec = write_spec(tmp_path, text)
    error = spec_error(spec)
    messages = {format_path(p.path): p.message for p in error.problems}
    assert set(messages) == {"sources.net.epochs", "sources.net.record"}, str(error)
    assert messages["sources.net.epochs"].startswith("1,000 epochs × 1,000,000 batches")
    # per step: pred, error and abs_error at the 200 evaluation points, and loss, batch_loss, batch, epoch
    per_step = 3 * 200 + 4
    assert per_step == 604 and 1e9 * per_step * 8 / 1e12 == pytest.approx(4.8, abs=0.05)
    assert messages["sources.net.record"].startswith(
        "a trace of about 4.8 TB (1,000,000,000 recorded steps × 604 numbers per step × 8 bytes"
    )


def test_a_csv_trainer_is_checked_once_the_file_is_read_and_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "points.csv").write_text("x,y\n" + "".join(f"{i},{2 * i}\n" for i in range(100)), encoding="utf-8")
    text = with_limits(spec_variant((DATA, 'data = { kind = "csv", path = "points.csv" }')), max_training_batches=50)
    spec = write_spec(tmp_path, text)
    trained: list[int] = []
    monkeypatch.setattr(LinearTrainer, "train", lambda self, ctx, x, y: trained.append(len(x)))
    loaded = load(spec)  # the number of points is not known yet
    with pytest.raises(SpecError) as info:
        loaded.prepare(cache=False)
    assert_located(
        info.value, spec, line_of(text, "epochs = 20"), "sources.fit.epochs",
        "20 epochs × 100 batches (100 points, batch_size 1) = 2,000 updates is over the limit of 50",
    )  # fmt: skip
    assert trained == []


def test_the_cli_reports_a_budget_and_set_raises_it(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, spec_variant(("size = [6.4, 4.8]", "size = [9000, 9000]")))
    refused = run_cli(["validate", str(spec)], cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: {spec}:5: scene.size: 450000 × 450000 pixels per frame")
    assert "Traceback" not in refused.stderr
    raised = run_cli(["validate", str(spec), "--set", "limits.max_pixels_per_frame=1e12"], cwd=tmp_path)
    assert raised.returncode == 0, raised.stderr


def test_a_malformed_limit_is_located(tmp_path: Path) -> None:
    text = with_limits(SPEC, max_frames=-1)
    spec = write_spec(tmp_path, text)
    assert_located(spec_error(spec), spec, line_of(text, "max_frames"), "limits.max_frames", "greater than 0")


def test_every_spec_in_specs_passes_with_the_defaults() -> None:
    for spec in sorted((REPO / "specs").glob("*.*")):
        load(spec)


def test_the_limits_model_and_the_table_agree() -> None:
    assert list(Limits.model_fields) == [limit.name for limit in LIMITS]
    assert all(Limits().value(limit.name) == limit.default for limit in LIMITS)


def test_docs_list_every_limit_with_its_default() -> None:
    text = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([\d,]+) \|", section, re.MULTILINE)}
    assert rows == {limit.name: f"{limit.default:,.0f}" for limit in LIMITS}


def test_an_infinite_size_is_a_located_error_not_a_crash(tmp_path: Path) -> None:
    text = spec_variant(("size = [6.4, 4.8]", "size = [inf, 4.8]"))
    spec = write_spec(tmp_path, text)
    error = spec_error(spec)
    assert [(p.line, format_path(p.path)) for p in error.problems] == [(line_of(text, "size = [inf"), "scene.size[0]")]
    assert "finite" in str(error)
