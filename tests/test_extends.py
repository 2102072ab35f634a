"""Specs built from several files: `extends`, `include`, `name+` appends and `[set]` patches; every key located in the
file it came from, and relative paths followed from the file that wrote them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, SPEC, line_of, replace_once, spec_variant, write_spec

from scenespec.api import read_spec
from scenespec.errors import SpecError, format_path
from scenespec.gallery import build_gallery
from scenespec.load import load_data, load_spec, load_text
from scenespec.output import resolve_target
from scenespec.pipeline import load_and_validate, prepare
from scenespec.spec_files import find_spec_files

CSV_POINTS = "x,y\n0,1\n1,3\n2,5\n3,7\n"

DERIVED = """\
extends = "../shared/linreg.toml"

[scene]
title = "A faster learning rate"

[sources.fit.optimizer]
lr = 3e-4
"""


def error_of(path: Path, overrides: tuple[str, ...] = ()) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_and_validate(path, overrides)
    return info.value


def where(error: SpecError) -> tuple[str | None, int | None, str]:
    """The one problem's file, line and key path."""
    assert len(error.problems) == 1, str(error)
    problem = error.problems[0]
    return problem.file, problem.line, format_path(problem.path)


def two_folders(tmp_path: Path, base: str = SPEC, derived: str = DERIVED) -> tuple[Path, Path]:
    """A base spec in `shared/`, a spec in `project/` extending it."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "project").mkdir()
    return write_spec(tmp_path / "shared", base, "linreg.toml"), write_spec(tmp_path / "project", derived, "spec.toml")


# --- extends ---------------------------------------------------------------------------------------------------------


def test_a_spec_in_another_folder_builds_on_a_base(tmp_path: Path) -> None:
    base, derived = two_folders(tmp_path)
    loaded, scene = load_and_validate(derived)
    assert scene.scene.title == "A faster learning rate"
    fit = loaded.data["sources"]["fit"]
    assert fit["optimizer"] == {"name": "sgd", "lr": 3e-4}  # tables merge key by key
    assert fit["epochs"] == 20 and len(loaded.data["panels"][0]["layers"]) == 4  # the rest is inherited
    assert "extends" not in loaded.data
    assert loaded.files == [derived.absolute(), base.absolute()]
    assert loaded.base_dir == derived.parent.resolve()  # still the spec's own folder


def test_a_chain_of_bases_and_where_each_key_came_from(tmp_path: Path) -> None:
    write_spec(tmp_path, SPEC, "a.toml")
    write_spec(tmp_path, 'extends = "a.toml"\n\n[frames]\nfps = 7\n', "b.toml")
    c = write_spec(tmp_path, 'extends = "b.toml"\n\n[scene]\ndpi = 40\n', "c.toml")
    loaded = load_spec(c)
    assert (loaded.data["frames"]["fps"], loaded.data["scene"]["dpi"], loaded.data["sources"]["fit"]["epochs"]) == (
        7,
        40,
        20,
    )
    assert loaded.locations[("frames", "fps")] == (str(tmp_path / "b.toml"), 4)
    assert loaded.locations[("scene", "dpi")] == (str(c), 4)
    assert loaded.locations[("sources", "fit", "epochs")] == (str(tmp_path / "a.toml"), line_of(SPEC, "epochs = 20"))
    assert [p.name for p in loaded.files] == ["c.toml", "b.toml", "a.toml"]


def test_a_cycle_is_refused_with_its_chain_at_the_extends_key(tmp_path: Path) -> None:
    a = write_spec(tmp_path, 'extends = "b.toml"\n', "a.toml")
    b = write_spec(tmp_path, '# b\nextends = "a.toml"\n', "b.toml")
    error = error_of(a)
    assert where(error) == (str(b), 2, "extends")
    assert "a.toml → b.toml → a.toml: a file cannot build on itself" in str(error)
    itself = write_spec(tmp_path, 'extends = "./self.toml"\n', "self.toml")
    assert "self.toml → self.toml" in str(error_of(itself))


@pytest.mark.parametrize(
    ("base_name", "base_text", "message"),
    [
        (None, None, "base.toml: no such spec file"),
        ("base.yaml", "a: 1\n", "unknown spec format '.yaml'"),
    ],
)
def test_a_missing_or_unknown_base_is_located_at_extends(
    tmp_path: Path, base_name: str | None, base_text: str | None, message: str
) -> None:
    reference = base_name or "base.toml"
    if base_name is not None and base_text is not None:
        write_spec(tmp_path, base_text, base_name)
    derived = write_spec(tmp_path, f'# the base\nextends = "{reference}"\n\n[scene]\ntitle = "t"\n')
    error = error_of(derived)
    assert where(error) == (str(derived), 2, "extends")
    assert message in str(error)


def test_extends_below_a_table_header_is_explained(tmp_path: Path) -> None:
    write_spec(tmp_path, SPEC, "base.toml")
    derived = write_spec(tmp_path, '[scene]\ntitle = "t"\nextends = "base.toml"\n')
    error = error_of(derived)
    assert where(error) == (str(derived), 3, "scene.extends")
    assert "`extends` belongs at the top of a spec, before its first [table]" in str(error)


def test_a_folder_is_no_base(tmp_path: Path) -> None:
    (tmp_path / "base.toml").mkdir()
    derived = write_spec(tmp_path, 'extends = "base.toml"\n')
    assert "is a folder, not a spec file" in str(error_of(derived))


def test_errors_inside_a_base_name_the_base_file_and_line(tmp_path: Path) -> None:
    base = write_spec(tmp_path, "[scene]\ntitle = = 1\n", "base.toml")
    derived = write_spec(tmp_path, 'extends = "base.toml"\n')
    assert where(error_of(derived))[:2] == (str(base), 2)
    write_spec(tmp_path, "[1, 2]\n", "list.json")
    listed = write_spec(tmp_path, 'extends = "list.json"\n', "listed.toml")
    error = error_of(listed)
    assert where(error)[:2] == (str(tmp_path / "list.json"), 1)
    assert "must be an object" in str(error)
    number = write_spec(tmp_path, "extends = 3\n", "number.toml")
    assert where(error_of(number)) == (str(number), 1, "extends")


def test_an_error_in_an_inherited_panel_names_the_base_file_and_line(tmp_path: Path) -> None:
    broken = spec_variant(('color = "red"', 'color = "reed"'))
    base, derived = two_folders(tmp_path, base=broken)
    error = error_of(derived)
    assert where(error) == (str(base), line_of(broken, '"reed"'), "panels[0].layers[0].color")
    # The derived spec's own mistakes are its own.
    typo = write_spec(tmp_path / "project", DERIVED + "epohcs = 3\n", "typo.toml")
    problem = error_of(typo, ()).problems[0]
    assert (problem.file, problem.line) == (str(typo), line_of(DERIVED + "epohcs = 3\n", "epohcs"))


def test_a_json_spec_extends_a_toml_base_and_the_reverse(tmp_path: Path) -> None:
    write_spec(tmp_path, SPEC, "base.toml")
    derived = {"extends": "base.toml", "frames": {"fps": 9}}
    loaded, scene = load_and_validate(write_spec(tmp_path, json.dumps(derived, indent=2), "derived.json"))
    assert scene.frames.fps == 9 and scene.sources["fit"].kind == "trainer"
    again = write_spec(tmp_path, 'extends = "derived.json"\n[frames]\nend_pause = 0.5\n', "again.toml")
    loaded, scene = load_and_validate(again)
    assert (scene.frames.fps, scene.frames.end_pause) == (9, 0.5)
    assert loaded.locations[("frames", "fps")] == (str(tmp_path / "derived.json"), 4)


# --- merge rules -----------------------------------------------------------------------------------------------------


def test_arrays_and_values_replace_and_name_plus_appends(tmp_path: Path) -> None:
    write_spec(tmp_path, SPEC, "base.toml")
    derived = write_spec(
        tmp_path,
        'extends = "base.toml"\n\n[scene]\nsize = [4, 3]\n\n'
        '[["panels+"]]\nlayers = [{ kind = "line", x = "fit.x", y = "fit.pred" }]\n',
    )
    loaded, scene = load_and_validate(derived)
    assert scene.scene.size == (4, 3)  # an array is replaced, not merged element by element
    assert len(scene.panels) == 2 and [layer.kind for layer in scene.panels[1].layers] == ["line"]
    assert loaded.locations[("panels", 1)] == (str(derived), 6)
    assert loaded.locations[("panels", 0)][0] == str(tmp_path / "base.toml")
    replaced = write_spec(tmp_path, 'extends = "base.toml"\n[[panels]]\nlayers = []\n', "replaced.toml")
    assert load_spec(replaced).data["panels"] == [{"layers": []}]


def test_appending_to_nothing_or_to_a_table_and_giving_both(tmp_path: Path) -> None:
    write_spec(tmp_path, SPEC, "base.toml")
    alone = write_spec(tmp_path, '[scene]\n"size+" = [4, 3]\n', "alone.toml")
    assert load_spec(alone).data["scene"] == {"size": [4, 3]}  # nothing inherited: the array as it is
    table = write_spec(tmp_path, 'extends = "base.toml"\n[sources]\n"fit+" = [1]\n', "table.toml")
    error = error_of(table)
    assert where(error) == (str(table), 3, "sources.fit+")
    assert "the inherited 'fit' is a table, not an array" in str(error)
    both = write_spec(tmp_path, '[scene]\nsize = [1, 2]\n"size+" = [3]\n', "both.toml")
    assert where(error_of(both)) == (str(both), 3, "scene.size+")
    assert "give 'size' (replace) or 'size+' (append), not both" in str(error_of(both))


def test_set_changes_one_layer_of_an_inherited_panel(tmp_path: Path) -> None:
    text = DERIVED + (
        '\n[set]\n"panels[0].layers[0].color" = "blue"\n"panels.0.title" = "Fit"\n'
        '"panels[0].layers+" = [{ kind = "text", text = "lr 3e-4", at = [1, 5] }]\n'
    )
    base, derived = two_folders(tmp_path, derived=text)
    loaded, scene = load_and_validate(derived)
    layers = scene.panels[0].layers
    assert (layers[0].color, scene.panels[0].title, len(layers), layers[4].kind) == ("blue", "Fit", 5, "text")
    assert layers[1].style == "g--"  # the other layers as inherited
    assert "set" not in loaded.data
    assert loaded.locations[("panels", 0, "layers", 0, "color")] == (str(derived), line_of(text, '"blue"'))
    assert loaded.locations[("panels", 0, "layers", 4)] == (str(derived), line_of(text, "lr 3e-4"))
    assert loaded.locations[("panels", 0, "layers", 1)][0] == str(base)


def test_an_error_in_a_patched_value_is_located_at_its_set_entry(tmp_path: Path) -> None:
    text = DERIVED + '\n[set]\n"panels[0].layers[1].style" = "g-?"\n'
    _, derived = two_folders(tmp_path, derived=text)
    assert where(error_of(derived)) == (str(derived), line_of(text, "g-?"), "panels[0].layers[1].style")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('"panels[7].title" = "x"', "no element [7]: the array has 1"),
        ('"panels[0].layers[0].kind.more" = 1', "cannot index a str with 'more'"),
        ('"panels[0]..title" = 1', 'expected a key path such as "panels[0].title"'),
        ('"frames.fps+" = [1]', "cannot append: the value at this path is a int"),
    ],
)
def test_a_set_entry_that_cannot_apply_is_located(tmp_path: Path, entry: str, message: str) -> None:
    text = DERIVED + f"\n[set]\n{entry}\n"
    _, derived = two_folders(tmp_path, derived=text)
    error = error_of(derived)
    assert where(error)[:2] == (str(derived), line_of(text, entry)), str(error)
    assert message in str(error)


def test_command_line_overrides_apply_after_set(tmp_path: Path) -> None:
    _, derived = two_folders(tmp_path, derived=DERIVED + '\n[set]\n"frames.fps" = 3\n')
    assert load_spec(derived).data["frames"]["fps"] == 3
    assert load_spec(derived, ["frames.fps=9"]).data["frames"]["fps"] == 9


def test_an_override_wins_over_set_and_is_named_in_its_error(tmp_path: Path) -> None:
    _, derived = two_folders(tmp_path, derived=DERIVED + '\n[set]\n"frames.fps" = 3\n')
    error = error_of(derived, ("frames.fps=-1",))
    assert where(error) == ("--set frames.fps=-1", None, "frames.fps")


# --- includes --------------------------------------------------------------------------------------------------------

FRAGMENT_SPEC = """\
[scene]
include = "parts/scene.toml"
title = "Own title"

[sources.fit]
include = "parts/sources/sgd.toml"
epochs = 20

[frames]
source = "fit"

[[panels]]
include = ["parts/panels/axes.toml", "parts/panels/fit.toml"]
layers = [
  { include = "parts/layers/points.toml", color = "red" },
  { kind = "line", x = "fit.x", y = "fit.pred" },
]
"""

FRAGMENTS = {
    "parts/scene.toml": 'title = "Fragment title"\ndpi = 40\nsize = [4, 3]\n',
    "parts/sources/sgd.toml": (
        'include = "common.toml"\nkind = "trainer"\nmodel = "linear"\noptimizer = { name = "sgd", lr = 1e-3 }\n'
    ),
    "parts/sources/common.toml": 'data = { kind = "line", n = 30 }\nepochs = 999\n',
    "parts/panels/axes.toml": 'xlabel = "x"\nylabel = "y"\ntitle = "axes"\n',
    "parts/panels/fit.toml": 'title = "fit"\nlegend = "upper left"\n',
    "parts/layers/points.toml": '# a scatter\nkind = "scatter"\nx = "fit.x"\ny = "fit.y"\ncolor = "green"\n',
}


def write_fragments(folder: Path, changes: dict[str, str] | None = None) -> None:
    for name, text in {**FRAGMENTS, **(changes or {})}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def test_includes_at_each_level_with_the_tables_own_keys_winning(tmp_path: Path) -> None:
    write_fragments(tmp_path)
    spec = write_spec(tmp_path, FRAGMENT_SPEC)
    loaded, scene = load_and_validate(spec)
    assert (scene.scene.title, scene.scene.dpi, scene.scene.size) == ("Own title", 40, (4, 3))
    fit = loaded.data["sources"]["fit"]
    assert (fit["kind"], fit["data"], fit["epochs"]) == ("trainer", {"kind": "line", "n": 30}, 20)
    panel = scene.panels[0]
    assert (panel.xlabel, panel.title, panel.legend) == ("x", "fit", "upper left")  # later fragments win
    assert (panel.layers[0].kind, panel.layers[0].color) == ("scatter", "red")
    assert "include" not in json.dumps(loaded.data)
    assert {p.relative_to(tmp_path).as_posix() for p in loaded.files} == {"spec.toml", *FRAGMENTS}
    fragment = str(tmp_path / "parts/layers/points.toml")
    assert loaded.locations[("panels", 0, "layers", 0, "x")] == (fragment, 3)
    assert loaded.locations[("sources", "fit", "data")] == (str(tmp_path / "parts/sources/common.toml"), 1)


def test_an_error_in_an_included_source_names_the_fragment_line(tmp_path: Path) -> None:
    write_fragments(tmp_path, {"parts/sources/sgd.toml": 'kind = "trainer"\nmodel = "linear"\nepochz = 3\n'})
    error = error_of(write_spec(tmp_path, FRAGMENT_SPEC))
    assert where(error) == (str(tmp_path / "parts/sources/sgd.toml"), 3, "sources.fit.epochz")
    assert "did you mean 'epochs'?" in str(error)


def test_a_missing_fragment_and_an_include_cycle_are_located(tmp_path: Path) -> None:
    write_fragments(tmp_path, {"parts/panels/fit.toml": 'include = "../panels/fit.toml"\n'})
    spec = write_spec(tmp_path, FRAGMENT_SPEC)
    error = error_of(spec)
    assert where(error) == (str(tmp_path / "parts/panels/fit.toml"), 1, "panels[0].include")
    assert "parts/panels/fit.toml → parts/panels/fit.toml: a file cannot build on itself" in str(error)
    write_fragments(tmp_path, {"parts/panels/fit.toml": 'include = "gone.toml"\n'})
    error = error_of(spec)
    assert where(error) == (str(tmp_path / "parts/panels/fit.toml"), 1, "panels[0].include")
    assert "gone.toml: no such spec file" in str(error)
    bad = write_spec(tmp_path, spec_variant(("[frames]\n", "[frames]\ninclude = 3\n")), "bad.toml")
    assert where(error_of(bad)) == (str(bad), line_of(SPEC, "[frames]") + 1, "frames.include")


def test_a_fragment_cannot_extend(tmp_path: Path) -> None:
    write_fragments(tmp_path, {"parts/scene.toml": 'extends = "../spec.toml"\n'})
    error = error_of(write_spec(tmp_path, FRAGMENT_SPEC))
    assert where(error) == (str(tmp_path / "parts/scene.toml"), 1, "scene.extends")


def test_a_json_fragment_in_a_toml_spec(tmp_path: Path) -> None:
    write_fragments(tmp_path, {"parts/axes.json": json.dumps({"xlabel": "from json"})})
    text = replace_once(FRAGMENT_SPEC, '"parts/panels/axes.toml"', '"parts/axes.json"')
    _, scene = load_and_validate(write_spec(tmp_path, text))
    assert scene.panels[0].xlabel == "from json"


# --- relative paths --------------------------------------------------------------------------------------------------


def test_a_data_path_in_a_base_is_read_from_the_base_folder(tmp_path: Path) -> None:
    csv_data = '{ kind = "csv", path = "data/points.csv" }'
    base_text = spec_variant(
        (
            'data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }',
            f"data = {csv_data}",
        ),
    )
    base, derived = two_folders(tmp_path, base=base_text)
    (tmp_path / "shared" / "data").mkdir()
    (tmp_path / "shared" / "data" / "points.csv").write_text(CSV_POINTS, encoding="utf-8")
    prepared = prepare(derived, cache=False)
    assert np.array_equal(prepared.traces["fit"].static["x"], [0, 1, 2, 3])
    assert np.array_equal(prepared.traces["fit"].static["y"], [1, 3, 5, 7])
    loaded = prepared.loaded
    assert loaded.folder_of(("sources", "fit", "data", "path")) == base.parent.resolve()
    assert loaded.folder_of(("frames", "fps")) == base.parent.resolve()
    assert loaded.folder_of(("scene", "title")) == derived.parent.resolve()
    # A path given with --set is the spec's own, relative to its folder.
    moved = loaded.folder_of(("sources", "fit", "data", "path"))
    overridden = load_spec(derived, ["sources.fit.data.path=mine.csv"])
    assert overridden.folder_of(("sources", "fit", "data", "path")) == derived.parent.resolve() != moved


def test_an_output_path_in_a_base_is_relative_to_the_base(tmp_path: Path) -> None:
    base, derived = two_folders(tmp_path, base=SPEC + '\n[output]\npath = "out/linreg.gif"\n')
    (tmp_path / "shared" / "out").mkdir()
    loaded, scene = load_and_validate(derived)
    target = resolve_target(scene, loaded, None, None, None)
    assert target.path == base.parent.resolve() / "out" / "linreg.gif"


# --- text and dicts --------------------------------------------------------------------------------------------------


def test_text_and_dicts_extend_and_include_relative_to_base_dir(tmp_path: Path) -> None:
    write_spec(tmp_path, SPEC, "base.toml")
    write_fragments(tmp_path)
    text = 'extends = "base.toml"\n\n[sources.fit]\ninclude = "parts/sources/sgd.toml"\n'
    loaded = load_text(text, base_dir=tmp_path)
    assert loaded.data["sources"]["fit"]["optimizer"]["lr"] == 1e-3
    assert loaded.locations[("sources", "fit")] == ("<text>", 3)
    from_dict = load_data({"extends": "base.toml", "frames": {"fps": 2}}, base_dir=tmp_path)
    assert from_dict.data["frames"]["fps"] == 2 and from_dict.data["sources"]["fit"]["epochs"] == 20
    assert from_dict.problem("bad", ("frames", "fps")).file is None  # the dict's own key: no file, no line
    inherited = from_dict.problem("bad", ("frames", "end_pause"))
    assert (inherited.file, inherited.line) == (str(tmp_path / "base.toml"), line_of(SPEC, "end_pause"))
    with pytest.raises(SpecError) as info:
        read_spec({"extends": "nowhere.toml"}, base_dir=tmp_path)
    assert str(info.value).startswith("extends: nowhere.toml: no such spec file")


# --- what reads a spec knows its files -------------------------------------------------------------------------------


def test_the_gallery_renders_a_spec_again_when_its_base_changes(tmp_path: Path) -> None:
    fast = spec_variant(("epochs = 20", "epochs = 3"), ("size = [6.4, 4.8]", "size = [3.2, 2.4]"))
    base, derived = two_folders(tmp_path, base=fast)
    lines: list[str] = []
    build_gallery([derived], tmp_path / "site", workers=1, report=lines.append)
    build_gallery([derived], tmp_path / "site", workers=1, report=lines.append)
    base.write_text(fast.replace("fps = 5", "fps = 6"), encoding="utf-8")
    build_gallery([derived], tmp_path / "site", workers=1, report=lines.append)
    assert [line.split()[0] for line in lines] == ["rendered", "unchanged", "rendered"], lines


def test_the_gallery_renders_a_spec_again_when_its_theme_file_changes(tmp_path: Path) -> None:
    fast = spec_variant(("epochs = 20", "epochs = 3"), ("size = [6.4, 4.8]", "size = [3.2, 2.4]"))
    theme = tmp_path / "themes" / "lab.toml"
    theme.parent.mkdir()
    theme.write_text('base = "dark"\n', encoding="utf-8")
    spec = tmp_path / "themed.toml"
    spec.write_text(fast.replace("[scene]\n", '[scene]\ntheme = "themes/lab.toml"\n', 1), encoding="utf-8")
    lines: list[str] = []
    build_gallery([spec], tmp_path / "site", workers=1, report=lines.append)
    build_gallery([spec], tmp_path / "site", workers=1, report=lines.append)
    theme.write_text('base = "light"\n', encoding="utf-8")
    build_gallery([spec], tmp_path / "site", workers=1, report=lines.append)
    assert [line.split()[0] for line in lines] == ["rendered", "unchanged", "rendered"], lines


def test_the_schema_accepts_the_reuse_keys_and_still_refuses_typos(tmp_path: Path) -> None:
    write_fragments(tmp_path)
    text = DERIVED + '\n[[panels]]\ninclude = "p.toml"\n"layers+" = []\n\n[set]\n"frames.fps" = 3\n'
    good = [write_spec(tmp_path, FRAGMENT_SPEC, "included.toml"), write_spec(tmp_path, text, "derived.toml")]
    typo = write_spec(tmp_path, DERIVED.replace("lr = 3e-4", "lrr = 3e-4"), "typo.toml")
    schema = REPO / "docs" / "scenespec.schema.json"

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(path)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    for path in good:
        assert check(path).returncode == 0, check(path).stdout
    assert check(typo).returncode == 1
    no_panels = write_spec(tmp_path, '[scene]\ntitle = "no panels, no base"\n', "alone.toml")
    assert check(no_panels).returncode == 1  # a spec that builds on nothing still needs its panels


def test_set_on_the_command_line_takes_brackets_too(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC)
    loaded = load_spec(spec, ["panels[0].layers[0].color=blue", "panels.0.title=Fit"])
    assert (loaded.data["panels"][0]["layers"][0]["color"], loaded.data["panels"][0]["title"]) == ("blue", "Fit")


def test_a_folder_of_specs_counts_a_spec_that_only_extends(tmp_path: Path) -> None:
    _, derived = two_folders(tmp_path, derived='extends = "../shared/linreg.toml"\n\n[set]\n"frames.fps" = 2\n')
    write_fragments(tmp_path / "project")
    found = find_spec_files([tmp_path / "project"])
    assert found.specs == [derived]
    assert len(found.skipped) == len(FRAGMENTS)  # fragments hold none of a spec's top-level keys
