"""The projector export and source without a server: the sprite's size limit (scaled thumbnails, a stratified
sample), located errors of the command and of the source, atomic replacement, and the config's text format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from google.protobuf import text_format
from helpers import assert_located, line_of, run_cli, run_cli_many, write_spec
from PIL import Image
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

import scenespec.projector.export as export_module
from scenespec.errors import SpecError
from scenespec.pipeline import load_and_validate, write_traces
from scenespec.projector.config import EmbeddingInfo, parse_pbtxt, to_pbtxt
from scenespec.projector.export import export
from scenespec.projector.read import read_folder
from scenespec.projector.sprite import MAX_SIDE, plan_sprite, stratified_sample
from scenespec.projector.tsv import metadata_text, read_metadata
from scenespec.resolve.trace import Trace


def small_trace(points: int = 20, steps: tuple[int, ...] = (0, 4), images: bool = True, seed: int = 0) -> Trace:
    rng = np.random.default_rng(seed)
    static: dict[str, np.ndarray] = {"labels": np.arange(points) % 3}
    if images:
        static["images"] = rng.uniform(0, 1, (points, 4, 4))
    return Trace(steps=list(steps), static=static, stepped={"embedding": rng.normal(size=(len(steps), points, 3))})


# --- the sprite limit --------------------------------------------------------------------------------------------


def test_sprite_plan_at_tensorboards_limit() -> None:
    """8192² points fit at 1 px each; one more does not fit at all; digits fit untouched."""
    assert MAX_SIDE == 8192
    assert plan_sprite(8192 * 8192, 28, 28) is not None
    one_px = plan_sprite(8192 * 8192, 28, 28)
    assert one_px is not None and (one_px.columns, one_px.width, one_px.height) == (8192, 1, 1)
    assert plan_sprite(8192 * 8192 + 1, 28, 28) is None
    digits = plan_sprite(1797, 8, 8)
    assert digits is not None and (digits.columns, digits.width, digits.height, digits.pixels) == (43, 8, 8, (344, 344))


def test_big_set_gets_scaled_thumbnails_within_8192_px(tmp_path: Path) -> None:
    """10,000 thumbnails of 96×96 would make a 9600 px sprite: scaled to 81×81 (100 × 81 = 8100 px), said in a
    warning. The images are one broadcast thumbnail (left half black, right half white), so the set costs no memory."""
    count, side = 10_000, 96
    thumbnail = np.zeros((side, side))
    thumbnail[:, side // 2 :] = 1.0
    trace = Trace(
        steps=[0],
        static={"labels": np.arange(count) % 10, "images": np.broadcast_to(thumbnail, (count, side, side))},
        stepped={"embedding": np.zeros((1, count, 2))},
    )
    result = export(trace, tmp_path / "big")
    assert result.sprite is not None and result.sprite.pixels == (8100, 8100)
    assert result.points == count
    assert result.warnings == [
        "thumbnails scaled down from 96×96 to 81×81 px so that the sprite (100×100 thumbnails, 8100×8100 px) fits "
        "TensorBoard's 8192×8192 px limit"
    ]
    sprite = np.asarray(Image.open(tmp_path / "big" / "sprite.png"))
    assert sprite.shape == (8100, 8100)
    last = sprite[99 * 81 : 100 * 81, 99 * 81 : 100 * 81]  # point 9999
    assert last[:, :40].max() == 0 and last[:, 41:].min() == 255  # halves kept; column 40 straddles the edge
    assert "single_image_dim: 81" in (tmp_path / "big" / "projector_config.pbtxt").read_text()


def test_stratified_sample_keeps_each_labels_share() -> None:
    labels = np.repeat([0, 1, 2], [900, 90, 10])
    sample = stratified_sample(labels, len(labels), 100)
    assert len(sample) == 100 and np.all(np.diff(sample) > 0)
    assert np.bincount(labels[sample]).tolist() == [90, 9, 1]
    # largest remainders: shares 33.3, 33.3, 33.3 of 100 -> 34, 33, 33
    assert np.bincount((np.arange(300) % 3)[stratified_sample(np.arange(300) % 3, 300, 100)]).tolist() == [34, 33, 33]


def test_too_many_points_for_1px_thumbnails_exports_a_stratified_sample(tmp_path: Path) -> None:
    """With a 40 px limit, 2,000 points need 45 columns even at 1 px: 1,600 (40²) are kept, tensors and metadata
    alike, by label; the `index` column says which."""
    count = 2000
    rng = np.random.default_rng(5)
    labels = rng.choice(4, count, p=[0.5, 0.3, 0.15, 0.05])
    trace = Trace(
        steps=[0, 1],
        static={"labels": labels, "images": rng.uniform(0, 1, (count, 8, 8))},
        stepped={"embedding": rng.normal(size=(2, count, 3))},
    )
    result = export(trace, tmp_path / "sampled", max_side=40)
    assert result.points == 1600
    assert result.sprite is not None and result.sprite.pixels == (40, 40)
    assert len(result.warnings) == 1 and "exported a sample of 1600 points, stratified by label" in result.warnings[0]
    read = read_folder(tmp_path / "sampled")
    keep = read.static["index"].astype(int)
    assert len(keep) == 1600 and np.all(np.diff(keep) > 0)
    assert np.array_equal(read.embedding, trace.stepped["embedding"][:, keep])
    assert np.array_equal(read.static["labels"], labels[keep])
    shares = np.bincount(labels, minlength=4) * 1600 / count
    assert np.all(np.abs(np.bincount(labels[keep], minlength=4) - shares) < 1)
    assert read.static["images"].shape == (1600, 1, 1)


# --- the command ---------------------------------------------------------------------------------------------------

SPEC = """\
[sources.run]
kind = "trace"
path = "run.npz"

[sources.other]
kind = "trace"
path = "other.npz"

[[panels]]
layers = [{ kind = "line", x = "other.loss", y = "other.loss" }]
"""


def write_runs(folder: Path, images: bool = True) -> Path:
    small_trace(images=images).save(folder / "run.npz")
    Trace(steps=[0, 4], stepped={"loss": np.array([2.0, 1.0])}).save(folder / "other.npz")
    return write_spec(folder, SPEC)


def test_command_without_images_writes_no_sprite_and_warns(tmp_path: Path) -> None:
    spec = write_runs(tmp_path, images=False)
    result = run_cli(["projector", str(spec), "-o", "out"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: no sprite: the trace has no per-point `images` field")
    assert "no sprite" in result.stdout
    folder = tmp_path / "out"
    assert not (folder / "sprite.png").exists()
    config = (folder / "projector_config.pbtxt").read_text()
    assert "sprite" not in config and config.count("embeddings {") == 2
    assert read_folder(folder).static.keys() == {"labels", "index"}


def test_command_errors_are_located(tmp_path: Path) -> None:
    spec = write_runs(tmp_path)
    none = write_spec(tmp_path, SPEC.replace('path = "run.npz"', 'path = "other.npz"'), "none.toml")
    other, unknown, missing = run_cli_many(
        [
            (["projector", str(spec), "-o", "out", "--source", "other"], tmp_path),
            (["projector", str(spec), "-o", "out", "--source", "rn"], tmp_path),
            (["projector", str(none), "-o", "out"], tmp_path),
        ]
    )
    assert other.returncode == 2
    line = line_of(SPEC, "[sources.other]")
    assert other.stderr == (
        f"error: {spec}:{line}: sources.other: --source other: this source records no `embedding`; the projector "
        "exports a stepped `embedding` (sources with one: run)\n"
    )
    assert unknown.returncode == 1
    assert "--source rn: the spec has no such source; did you mean 'run'?" in unknown.stderr
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: {none}:1: sources: no source records a stepped `embedding` to export")
    assert not (tmp_path / "out").exists()


def test_command_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    spec = write_runs(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    result = run_cli(["projector", str(spec), "-o", "out"], cwd=tmp_path)
    assert result.returncode == 1
    assert "will not replace out: it holds notes.txt" in result.stderr
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_export_replaces_a_folder_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    export(small_trace(steps=(0, 4, 9)), out)
    assert sorted(p.name for p in (out / "tensors").iterdir()) == ["step_00000.tsv", "step_00004.tsv", "step_00009.tsv"]
    export(small_trace(steps=(0, 4)), out)
    assert sorted(p.name for p in (out / "tensors").iterdir()) == ["step_00000.tsv", "step_00004.tsv"]
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "build_sprite", broken)
    with pytest.raises(OSError, match="disk full"):
        export(small_trace(steps=(0, 1, 2, 3), seed=9), out)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


# --- the source ------------------------------------------------------------------------------------------------------


def source_spec(folder: Path, options: str = "") -> Path:
    text = (
        f'[sources.tb]\nkind = "projector"\npath = "exported"\n{options}\n'
        '[[panels]]\nlayers = [{ kind = "scatter", x = "tb.labels", y = "tb.labels" }]\n'
    )
    return write_spec(folder, text)


def test_source_missing_config_is_located(tmp_path: Path) -> None:
    (tmp_path / "exported").mkdir()
    spec = source_spec(tmp_path)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(caught.value, spec, 3, "sources.tb.path", "no projector_config.pbtxt in", "not a projector log")


def test_source_tensor_of_the_wrong_shape_is_located(tmp_path: Path) -> None:
    export(small_trace(steps=(0, 4, 9)), tmp_path / "exported")
    tensor = tmp_path / "exported" / "tensors" / "step_00004.tsv"
    lines = tensor.read_text().splitlines()
    tensor.write_text("\n".join(lines[:-1]) + "\n")  # one point short
    spec = source_spec(tmp_path)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(
        caught.value, spec, 3, "sources.tb.path", "tensor file 'tensors/step_00004.tsv' is 19×3, but", "is 20×3"
    )
    tensor.write_text("\n".join([*lines[:3], "1.0\t2.0", *lines[4:]]) + "\n")  # a row of 2 numbers
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(
        caught.value, spec, 3, "sources.tb.path", "step_00004.tsv': line 4: 2 numbers, but the first line has 3"
    )


def test_source_metadata_rows_must_match_the_points(tmp_path: Path) -> None:
    export(small_trace(), tmp_path / "exported")
    metadata = tmp_path / "exported" / "metadata.tsv"
    metadata.write_text("\n".join(metadata.read_text().splitlines()[:-2]) + "\n")
    spec = source_spec(tmp_path)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(
        caught.value, spec, 3, "sources.tb.path", "metadata file 'metadata.tsv' has 18 rows", "the tensors have 20"
    )


def test_source_label_column_did_you_mean(tmp_path: Path) -> None:
    export(small_trace(), tmp_path / "exported")
    spec = source_spec(tmp_path, 'label = "lable"')
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(
        caught.value, spec, 4, "sources.tb.label", "no column 'lable'; did you mean 'label'?", "columns: label, index"
    )


def test_source_label_column_picks_the_labels(tmp_path: Path) -> None:
    folder = tmp_path / "exported"
    folder.mkdir()
    (folder / "t.tsv").write_text("1\t2\n3\t4\n5\t6\n")
    (folder / "meta.tsv").write_text(metadata_text({"name": ["b", "a", "b"], "digit": ["7", "3", "7"]}))
    (folder / "projector_config.pbtxt").write_text(
        to_pbtxt([EmbeddingInfo(tensor_name="words", tensor_path="t.tsv", metadata_path="meta.tsv")])
    )
    spec = source_spec(tmp_path, 'label = "digit"')
    trace = write_traces(spec, tmp_path / "t.npz").traces["tb"]
    assert trace.steps.tolist() == [0]  # a name without a number: counted from 0
    assert trace.static["labels"].tolist() == [7, 3, 7]
    assert "label_names" not in trace.static  # whole numbers stay numbers
    default = write_traces(source_spec(tmp_path), tmp_path / "t.npz").traces["tb"]
    assert default.static["labels"].tolist() == [1, 0, 1] and default.static["label_names"].tolist() == ["a", "b"]
    assert default.static["digit"].tolist() == [7.0, 3.0, 7.0]


def test_source_with_several_series_asks_which(tmp_path: Path) -> None:
    folder = tmp_path / "exported"
    folder.mkdir()
    infos = []
    for tag in ("logits", "hidden"):
        for step in (0, 5):
            (folder / f"{tag}{step}.tsv").write_text(f"{step}\t1\n2\t3\n")
            infos.append(EmbeddingInfo(f"{tag}:{step:05d}", f"{tag}{step}.tsv", metadata_path="meta.tsv"))
    (folder / "meta.tsv").write_text("1\n2\n")
    (folder / "projector_config.pbtxt").write_text(to_pbtxt(infos))
    spec = source_spec(tmp_path)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(caught.value, spec, 1, "sources.tb", "several series of tensors (logits, hidden)")
    picked = write_traces(source_spec(tmp_path, 'tensor = "hidden"'), tmp_path / "t.npz").traces["tb"]
    assert picked.steps.tolist() == [0, 5]
    assert picked.stepped["embedding"][:, 0, 0].tolist() == [0.0, 5.0]
    with pytest.raises(SpecError) as caught:
        load_and_validate(source_spec(tmp_path, 'tensor = "hiden"'))
    assert "no tensor named 'hiden'; did you mean 'hidden'?" in str(caught.value)


def test_source_refuses_paths_leading_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "exported"
    folder.mkdir()
    (tmp_path / "secret.tsv").write_text("1\t2\n")
    (folder / "projector_config.pbtxt").write_text(to_pbtxt([EmbeddingInfo("x", "../secret.tsv")]))
    with pytest.raises(SpecError) as caught:
        load_and_validate(source_spec(tmp_path))
    assert "'../secret.tsv' (in projector_config.pbtxt) leads outside the folder" in str(caught.value)


def test_colour_sprite_reads_as_rgb(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (5, 3, 2, 3)) / 255  # (n, h, w, 3)
    trace = Trace(steps=[0], static={"images": images}, stepped={"embedding": rng.normal(size=(1, 5, 2))})
    export(trace, tmp_path / "colour")
    read = read_folder(tmp_path / "colour")
    assert read.static["images"].shape == (5, 3, 2, 3)
    assert np.allclose(read.static["images"], images)


# --- file formats ----------------------------------------------------------------------------------------------------


def test_config_text_agrees_with_protobuf() -> None:
    """What we write parses with protobuf's own text format into the same fields; what protobuf writes (and a config
    with comments, angle brackets, single quotes and list syntax) parses here."""
    infos = [
        EmbeddingInfo('a "quoted" name:00001', "t/a.tsv", "m.tsv", [3, 2], "s.png", [8, 6]),
        EmbeddingInfo("plain", "t/b.tsv"),
    ]
    config = ProjectorConfig()
    text_format.Parse(to_pbtxt(infos), config)
    assert [e.tensor_name for e in config.embeddings] == ['a "quoted" name:00001', "plain"]
    assert list(config.embeddings[0].sprite.single_image_dim) == [8, 6]
    assert parse_pbtxt(text_format.MessageToString(config)) == infos
    hand = """
    # a comment
    model_checkpoint_path: "ckpt"
    embeddings < tensor_name: 'x:3' tensor_path: "x.tsv" tensor_shape: [4, 2]
      sprite { image_path: "s.png" single_image_dim: [5, 5] } >
    """
    assert parse_pbtxt(hand) == [EmbeddingInfo("x:3", "x.tsv", "", [4, 2], "s.png", [5, 5])]


def test_metadata_single_column_has_no_header() -> None:
    """TensorBoard takes a first line with a tab as the header: a lone column must not have one."""
    assert metadata_text({"label": ["3", "1"]}) == "3\n1\n"
    assert metadata_text({"label": ["3", "1"], "note": ["a\tb", "c"]}) == "label\tnote\n3\ta b\n1\tc\n"


def test_read_metadata_without_header_is_one_label_column(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv"
    path.write_text("7\n2\n\n9\n")
    assert read_metadata(path) == {"label": ["7", "2", "9"]}


def test_tensor_names_show_the_step_and_sort_by_it(tmp_path: Path) -> None:
    """Zero-padded to five digits (add_embedding's width), or more when a step needs them."""
    short = export(small_trace(steps=(0, 9, 10)), tmp_path / "short").names
    assert list(short.values()) == ["embedding step 00000", "embedding step 00009", "embedding step 00010"]
    long = export(small_trace(steps=(7, 123456)), tmp_path / "long").names
    assert list(long.values()) == ["embedding step 000007", "embedding step 123456"]
    assert read_folder(tmp_path / "long").steps.tolist() == [7, 123456]


def test_source_holds_the_sprite_to_the_trace_budget(tmp_path: Path) -> None:
    """The thumbnails as float64 are counted before the sprite is decoded: 20 × 4 × 4 grey pixels are 2,560 bytes,
    more than a 3,000-byte budget leaves once the tensor files (2 × 20 × 3 numbers as text) are counted."""
    export(small_trace(), tmp_path / "exported")
    spec = source_spec(tmp_path, "")
    text = spec.read_text() + "\n[limits]\nmax_trace_bytes = 3000\n"
    spec.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    message = str(caught.value)
    assert "the 20 thumbnails of sprite 'sprite.png' as floats: 2.6 kB" in message
    assert "max_trace_bytes" in message


def test_metadata_column_named_twice_is_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv"
    path.write_text("a\ta\tb\n1\t2\t3\n")
    assert read_metadata(path) == {"a": ["1"], "a_2": ["2"], "b": ["3"]}


def test_command_refuses_an_embedding_that_is_not_points_by_dims(tmp_path: Path) -> None:
    Trace(steps=[0, 1], stepped={"embedding": np.zeros((2, 5))}).save(tmp_path / "run.npz")
    spec = write_spec(
        tmp_path, SPEC.replace('path = "other.npz"', 'path = "run.npz"').replace("other.loss", "run.embedding")
    )
    result = run_cli(["projector", str(spec), "-o", "out", "--source", "run"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {spec}:1: sources.run: its `embedding` holds 5 per step; the projector exports (n points, d dims) "
        "per step\n"
    )
