"""The command line itself: version, a misspelt command, and which files a folder given to `validate` or
`gallery` contributes (specs, and files that may be broken specs; never a pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SPEC, run_cli, run_cli_many, write_spec

import scenespec
from scenespec.spec_files import find_spec_files, spec_keys
from scenespec.validate.scene import Scene

NOT_SPECS = {
    "pyproject.toml": '[project]\nname = "example"\n',
    "tools/package.json": '{"name": "example", "version": "1.0.0"}\n',
    "list.json": "[1, 2, 3]\n",
}
KEYS = "scene, sources, transforms, frames, panels, output, sweep, limits, extends"


def folder_with_other_files(root: Path) -> Path:
    folder = root / "work"
    for name, text in NOT_SPECS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_version_long_and_short(tmp_path: Path) -> None:
    long, short = run_cli_many([(["--version"], tmp_path), (["-V"], tmp_path)])
    assert long.returncode == short.returncode == 0
    assert long.stdout == short.stdout == f"scenespec {scenespec.__version__}\n"


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("rendr", "; did you mean 'render'?"),
        ("galery", "; did you mean 'gallery'?"),
        ("int", "; did you mean 'init'?"),
        ("frobnicate", ""),
    ],
)
def test_a_misspelt_command_suggests_the_right_one(tmp_path: Path, typed: str, hint: str) -> None:
    result = run_cli([typed, "x"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"scenespec: error: unknown command {typed!r}{hint} "
        "(commands: render, trace, projector, validate, watch, schema, gallery, init)"
    )


def test_spec_keys_come_from_the_scene_model() -> None:
    assert spec_keys() == [*Scene.model_fields, "extends"]  # a spec that builds on another may hold only that
    assert ", ".join(spec_keys()) == KEYS


def test_folders_contribute_specs_and_files_that_do_not_parse(tmp_path: Path) -> None:
    folder = folder_with_other_files(tmp_path)
    write_spec(folder, SPEC, "good.toml")
    write_spec(folder, "x = = 1\n", "broken.toml")  # may be a broken spec: kept, to be reported
    write_spec(folder, '{"panels": 3}\n', "half.json")  # a spec key: a spec, however wrong
    named = write_spec(tmp_path, '{"name": "x"}\n', "named.json")  # named on the command line: always kept
    found = find_spec_files([folder, named])
    assert found.specs == [folder / "broken.toml", folder / "good.toml", folder / "half.json", named]
    assert found.skipped == [folder / "list.json", folder / "pyproject.toml", folder / "tools" / "package.json"]


def test_validate_a_folder_skips_other_files_and_says_so(tmp_path: Path) -> None:
    folder = folder_with_other_files(tmp_path)
    write_spec(folder, SPEC, "good.toml")
    write_spec(folder, "x = = 1\n", "broken.toml")
    result = run_cli(["validate", "work"], tmp_path)
    assert result.returncode == 2, result.stderr
    work = Path("work")
    assert result.stdout.splitlines() == [
        f"skipped: {work / 'list.json'} (not a spec: none of the top-level keys {KEYS})",
        f"skipped: {work / 'pyproject.toml'} (not a spec: none of the top-level keys {KEYS})",
        f"skipped: {work / 'tools' / 'package.json'} (not a spec: none of the top-level keys {KEYS})",
        f"ok: {work / 'good.toml'}",
    ]
    assert result.stderr == f"error: {work / 'broken.toml'}:1: TOML syntax error: Invalid value\n"


def test_validate_a_folder_of_a_spec_and_a_pyproject_passes(tmp_path: Path) -> None:
    folder = folder_with_other_files(tmp_path)
    write_spec(folder, SPEC, "good.toml")
    result = run_cli(["validate", "work"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"ok: {Path('work') / 'good.toml'}"


def test_gallery_of_a_folder_without_specs_renders_nothing(tmp_path: Path) -> None:
    folder_with_other_files(tmp_path)
    result = run_cli(["gallery", "work", "-o", "site"], tmp_path)
    assert result.returncode == 2
    assert result.stdout.count("skipped: ") == len(NOT_SPECS)
    assert result.stderr == "error: no spec files found\n"
    assert not (tmp_path / "site").exists()
