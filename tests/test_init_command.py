"""`scenespec init`: a new spec in a user's folder, from a built-in spec, a file or the starter, that renders
there as written and names a schema file that describes it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from helpers import REPO
from PIL import Image

from scenespec.cli import main
from scenespec.init_command import SCHEMA_REFERENCE
from scenespec.schema import generate
from scenespec.toml_writer import dumps

SCHEMA = Path(".scenespec") / "scenespec.schema.json"


def spec_data(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    data: dict[str, object] = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    return data


def valid_against_schema(spec: Path) -> None:
    schema = json.loads((spec.parent / SCHEMA).read_text())
    jsonschema.validate(spec_data(spec), schema, cls=jsonschema.Draft202012Validator)


def test_init_from_linreg_renders_in_the_new_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "fit", "--from", "linreg"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "wrote fit.toml (from scenespec:linreg)",
        f"wrote {SCHEMA} (this installation's JSON Schema, named by the spec for editors)",
        "next: scenespec render fit.toml",
    ]
    original = (REPO / "specs" / "linreg.toml").read_text()
    written = (tmp_path / "fit.toml").read_text()
    assert written == f"#:schema {SCHEMA_REFERENCE}\n" + original.split("\n", 1)[1]  # comments kept
    assert (tmp_path / SCHEMA).read_text() == generate()  # this installation's schema
    valid_against_schema(tmp_path / "fit.toml")
    assert main(["render", "fit.toml", "-q", "--workers", "1"]) == 0
    with Image.open(tmp_path / "fit.gif") as gif:
        assert gif.size == (640, 480) and gif.n_frames > 10


def test_the_starter_renders_and_follows_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "first", "--dir", "project"]) == 0
    spec = tmp_path / "project" / "first.toml"
    lines = spec.read_text().splitlines()
    assert lines[0] == "#:schema ./.scenespec/scenespec.schema.json"
    assert "then: scenespec render first.toml" in lines[2]
    valid_against_schema(spec)
    monkeypatch.chdir(tmp_path / "project")
    assert main(["render", "first.toml", "--frame", "-1", "-q"]) == 0
    with Image.open(tmp_path / "project" / "first.png") as png:
        assert png.size == (512, 384)


def test_init_copies_the_data_files_beside_the_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "log", "--from", str(REPO / "specs" / "training_log.toml"), "--dir", "p"]) == 0
    copied = tmp_path / "p" / "data" / "training_log.csv"
    assert copied.read_bytes() == (REPO / "specs" / "data" / "training_log.csv").read_bytes()
    assert sorted(p.name for p in (tmp_path / "p" / "data").iterdir()) == ["training_log.csv"]  # not the script
    monkeypatch.chdir(tmp_path / "p")
    assert main(["trace", "log.toml", "-q"]) == 0  # reads the copied CSV
    # a second spec reading the same data: the identical copy is kept, not refused; a changed one is refused
    assert main(["init", "again", "--from", "log.toml"]) == 0
    copied.write_text("epoch,train_loss\n1,0.5\n")
    assert main(["init", "third", "--from", "training_log"]) == 1
    assert not (tmp_path / "p" / "third.toml").exists()


def test_init_from_a_spec_that_extends_another_copies_its_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """race_rosenbrock_dark builds on race_rosenbrock: the base comes along, and the new spec draws the dark race."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "mine", "--from", "race_rosenbrock_dark", "--dir", "p"]) == 0
    assert "wrote p/race_rosenbrock.toml (a file the spec reads or builds on)" in capsys.readouterr().out
    base = tmp_path / "p" / "race_rosenbrock.toml"
    assert base.read_bytes() == (REPO / "specs" / "race_rosenbrock.toml").read_bytes()
    monkeypatch.chdir(tmp_path / "p")
    assert main(["render", "mine.toml", "--frame", "0", "-o", "first.png", "-q"]) == 0
    with Image.open("first.png") as image:
        corner = image.convert("RGB").getpixel((2, 2))
    assert max(corner) < 60  # the dark theme's background, from the spec; the race itself from the copied base


def test_a_json_spec_from_a_toml_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "fit.json", "--from", "scenespec:linreg"]) == 0
    data = json.loads((tmp_path / "fit.json").read_text())
    assert next(iter(data)) == "$schema" and data.pop("$schema") == SCHEMA_REFERENCE
    assert data == spec_data(REPO / "specs" / "linreg.toml")
    valid_against_schema(tmp_path / "fit.json")
    assert main(["validate", "fit.json"]) == 0


def test_a_toml_spec_from_a_json_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "contours", "--from", "bowl_contour_json"]) == 0
    written = tmp_path / "contours.toml"
    assert written.read_text().startswith(f"#:schema {SCHEMA_REFERENCE}\n[scene]\n")
    original = spec_data(REPO / "specs" / "bowl_contour_json.json")
    original.pop("$schema")
    assert spec_data(written) == original
    assert main(["validate", "contours.toml"]) == 0


@pytest.mark.parametrize("spec", sorted((REPO / "specs").glob("*.*")), ids=lambda path: path.name)
def test_every_spec_survives_the_toml_writer(spec: Path) -> None:
    data = spec_data(spec)
    data.pop("$schema", None)
    assert tomllib.loads(dumps(data)) == data


def test_the_toml_writer_quotes_and_escapes() -> None:
    data = {
        "scene": {"title": 'a "quoted" \\ title\twith\x7f', "size": [6.5, 4.0]},
        "weird key": {"a.b": True, "inf": float("inf"), "n": -3, "empty": [], "table": {}},
        "panels": [{"layers": [{"kind": "text", "at": [0, 1]}], "options": {"x": {"y": 1}}}, {}],
    }
    assert tomllib.loads(dumps(data)) == data


def test_null_cannot_be_written_as_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "given.json"
    source.write_text('{\n  "scene": {\n    "title": null\n  }\n}\n')
    assert main(["init", "x", "--from", str(source), "--dir", str(tmp_path / "out")]) == 2
    assert f"{source}:3: scene.title:" in capsys.readouterr().err  # located; the spec itself is invalid anyway


def test_existing_files_are_kept_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fit.toml").write_text("# mine\n")
    assert main(["init", "fit", "--from", "linreg"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: will not overwrite fit.toml: choose another NAME or --dir, or add --force"
    )
    assert (tmp_path / "fit.toml").read_text() == "# mine\n"
    assert not (tmp_path / ".scenespec").exists()  # nothing written at all
    assert main(["init", "fit", "--from", "linreg", "--force"]) == 0
    assert (tmp_path / "fit.toml").read_text().startswith(f"#:schema {SCHEMA_REFERENCE}\n# Article 001")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "a/b"], "error: the spec's NAME is a file name, not a path: 'a/b' (choose the folder with --dir)"),
        (["init", "x", "--from", "missing.toml"], "error: --from missing.toml: no such spec file"),
        (["init", "x", "--from", "lnreg"], "error: scenespec:lnreg: package 'scenespec' has no spec 'lnreg'; did "),
    ],
)
def test_mistakes_are_named(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert capsys.readouterr().err.startswith(message)
    assert list(tmp_path.iterdir()) == []
