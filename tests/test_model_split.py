"""Checking a spec imports no matplotlib: layer models apart from their painters, matplotlib's names as a table.

Each command runs in a fresh process that prints the modules it ended with (`sys.modules`), so what a command
imported is read from the interpreter itself. The tables and the colour and marker checks that replace matplotlib
are compared with matplotlib's own answers.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.style
import pytest
from helpers import FAST, LINREG, REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import cbook
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle

from scenespec.layers.base import LayerKind, LayerSpec
from scenespec.validate import mpl_names
from scenespec.validate.colors import is_color
from scenespec.validate.drawable import is_math_text, marker_problem

HEAVY = {"matplotlib", "mpl_toolkits", "scipy", "sklearn", "torch"}
"""What checking a spec must not import."""

RUN = """
import json, sys
from scenespec.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

DERANDOMIZED = settings(max_examples=3000, deadline=None, database=None, derandomize=True)


def command_modules(args: list[str], cwd: Path, path: Sequence[str] = ()) -> tuple[int, set[str], str]:
    """Run `scenespec ARGS` in a fresh process: its exit code, the modules imported by its end, its stderr."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join([*path, str(REPO), *sys.path])}
    run = subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.stdout.strip(), run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), run.stderr


def heavy(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in HEAVY}


SPECS = sorted(p.name for p in (REPO / "specs").iterdir() if p.suffix in (".toml", ".json"))
THEME_WITH_RC = {"race_rosenbrock_dark.toml"}
"""Specs whose theme gives raw rcParams (`dark`'s `[rc]`): only matplotlib's validators can judge those."""


@pytest.mark.parametrize("name", [name for name in SPECS if name not in THEME_WITH_RC])
def test_validate_imports_no_matplotlib_scipy_sklearn_or_torch(name: str, tmp_path: Path) -> None:
    code, modules, stderr = command_modules(["validate", str(REPO / "specs" / name)], tmp_path)
    assert code == 0, stderr
    assert {"scenespec.checking", "scenespec.layers.scatter", "pydantic"} <= modules  # it did check
    assert heavy(modules) == set()
    assert not any(name.startswith("scenespec.paint") for name in modules)


def test_a_theme_with_rcparams_still_has_them_checked_by_matplotlib(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    theme = tmp_path / "odd.toml"
    theme.write_text('[rc]\n"lines.linewidth" = "thick"\n')
    spec.write_text(
        (REPO / "specs" / "linreg.toml").read_text().replace("[scene]\n", '[scene]\ntheme = "odd.toml"\n', 1)
    )
    code, modules, stderr = command_modules(["validate", str(spec)], tmp_path)
    assert code == 2 and "matplotlib refuses 'thick' for 'lines.linewidth'" in stderr
    assert "matplotlib" in modules and "scipy" not in modules


def test_a_render_imports_the_painters_of_the_kinds_it_draws_only(tmp_path: Path) -> None:
    sets = [arg for item in FAST for arg in ("--set", item)]
    code, modules, stderr = command_modules(["render", str(LINREG), *sets, "-o", "out.gif", "-q"], tmp_path)
    assert code == 0, stderr
    assert (tmp_path / "out.gif").stat().st_size > 0
    kinds = {layer["kind"] for panel in tomllib.loads(LINREG.read_text())["panels"] for layer in panel["layers"]}
    painters = {name.rsplit(".", 1)[1] for name in modules if name.startswith("scenespec.paint.")}
    assert {p for p in painters if not p.startswith("_") and p != "base"} == kinds
    assert "scenespec.layers.contour" in modules  # every model is known: the spec language has every kind


MODEL = '''
"""A plug-in kind whose painter is named, not imported: checking a spec with it needs no matplotlib."""
from typing import Literal
from pydantic import Field
from scenespec.layers.base import LayerSpec, register_layer


class VLineLayer(LayerSpec):
    kind: Literal["vline"]
    at: float = Field(description="Where the line crosses the x axis.")
    channels = ()


register_layer(VLineLayer, "scenespec_vline_paint:VLinePainter")
'''

PAINTER = """
from pathlib import Path
from scenespec.paint.base import Painter


class VLinePainter(Painter):
    def build(self, ctx, frame):
        self.artists = [ctx.ax.axvline(self.spec.at, color="purple")]
        Path("drawn.txt").write_text(f"vline drawn at {self.artists[0].get_xdata()[0]}")
"""


def test_a_plugin_kind_with_a_named_painter_is_checked_without_matplotlib_and_drawn(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "scenespec_vline.py").write_text(textwrap.dedent(MODEL))
    (site / "scenespec_vline_paint.py").write_text(textwrap.dedent(PAINTER))
    info = site / "scenespec_vline-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scenespec_vline\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[scenespec.layers]\nvline = scenespec_vline\n")
    text = LINREG.read_text().replace(
        '  { kind = "scatter"', '  { kind = "vline", at = 4.5 },\n  { kind = "scatter"', 1
    )
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    code, modules, stderr = command_modules(["validate", str(spec)], tmp_path, [str(site)])
    assert code == 0, stderr
    assert "scenespec_vline" in modules and "scenespec_vline_paint" not in modules and heavy(modules) == set()
    sets = [arg for item in FAST for arg in ("--set", item)]
    code, modules, stderr = command_modules(["render", str(spec), *sets, "-o", "o.gif", "-q"], tmp_path, [str(site)])
    assert code == 0, stderr
    assert "scenespec_vline_paint" in modules
    assert (tmp_path / "drawn.txt").read_text() == "vline drawn at 4.5"


def test_a_painter_is_a_class_or_module_and_class() -> None:
    with pytest.raises(ValueError, match="a class or 'module:Class'"):
        LayerKind(LayerSpec, "scenespec.paint.line.LinePainter")
    kind = LayerKind(LayerSpec, "scenespec.paint.line:LinePainter")
    from scenespec.paint.line import LinePainter

    assert kind.painter is LinePainter


# --- the tables equal matplotlib's ----------------------------------------------------------------------------------


def test_the_tables_are_the_installed_matplotlibs() -> None:
    assert matplotlib.__version__ == mpl_names.MATPLOTLIB_VERSION
    assert set(mpl_names.COLOR_NAMES) == set(mcolors.get_named_colors_mapping())
    assert {"xkcd:robin's egg", "tab:blue", "rebeccapurple", "r"} <= set(mpl_names.COLOR_NAMES)
    assert set(mpl_names.COLORMAPS) == set(matplotlib.colormaps)
    assert {"viridis", "viridis_r", "bwr"} <= set(mpl_names.COLORMAPS)
    assert tuple(m for m in MarkerStyle.markers if isinstance(m, str)) == mpl_names.MARKERS
    assert tuple(Line2D.lineStyles) == mpl_names.LINE_STYLES
    assert tuple(Legend.codes) == mpl_names.LEGEND_LOCATIONS
    shipped = Path(matplotlib.get_data_path()) / "stylelib"
    assert set(mpl_names.STYLES) == {
        name for name in matplotlib.style.available if (shipped / f"{name}.mplstyle").exists()
    }


# --- colours, markers and math as matplotlib reads them -------------------------------------------------------------

HEX = "0123456789abcdefABCDEFgx"

colour_like = st.one_of(
    st.sampled_from(mpl_names.COLOR_NAMES).map(lambda name: name.upper() if len(name) % 3 == 0 else name.title()),
    st.sampled_from(mpl_names.COLOR_NAMES),
    st.text(alphabet=HEX, max_size=10).map(lambda digits: "#" + digits),
    st.integers(-3, 150).map(lambda n: f"C{n}"),
    st.text(alphabet="C0123456789 ", max_size=4),
    st.floats(-2, 3).map(str),
    st.sampled_from(["nan", "inf", "-0", "1e-1", " 0.5 ", "0_5", "0.0_1", "1.", ".5", "none", "NONE", "None", "R"]),
    st.text(max_size=8),
)


@DERANDOMIZED
@given(colour_like)
def test_a_colour_is_what_matplotlib_takes(value: str) -> None:
    assert is_color(value) == mcolors.is_color_like(value)


def _matplotlib_marker(marker: str) -> bool:
    try:
        MarkerStyle(marker)
    except ValueError:
        return False
    return True


@DERANDOMIZED
@given(st.one_of(st.sampled_from(mpl_names.MARKERS), st.text(alphabet="ov^<>1234sphHDdPX+x|_*.,Nnoe 0", max_size=4)))
def test_a_marker_without_math_is_what_matplotlib_takes(marker: str) -> None:
    assert (marker_problem(marker) is None) == _matplotlib_marker(marker)


@DERANDOMIZED
@given(st.text(alphabet="$\\ab{}", max_size=10))
def test_math_is_told_from_text_as_matplotlib_does(text: str) -> None:
    assert is_math_text(text) == cbook.is_math_text(text)


def test_the_schema_and_load_and_validate_import_no_matplotlib(tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from scenespec.checking import load_and_validate\n"
        "from scenespec.schema import generate\n"
        f"loaded, scene = load_and_validate({str(REPO / 'specs' / 'bowl_path_3d.toml')!r})\n"
        "print(json.dumps({'kinds': sorted({layer.kind for panel in scene.panels for layer in panel.layers}),\n"
        "                  'schema': '\"surface\"' in generate(), 'modules': sorted(sys.modules)}))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path])}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert "path" in report["kinds"] and "surface" in report["kinds"] and report["schema"]
    assert heavy(set(report["modules"])) == set()


CHECKING_MODULES = [
    *sorted((REPO / "scenespec" / "layers").glob("*.py")),
    *sorted((REPO / "scenespec" / "validate").glob("*.py")),
    *sorted((REPO / "scenespec" / "themes").glob("*.py")),
    REPO / "scenespec" / "checking.py",
]
PAINTERS_ONLY = {"_classes.py"}
"""A helper of the embedding and sprites painters that stayed in layers/ (benchmarks import it from there)."""


def top_level_imports(file: Path) -> set[str]:
    """Modules a file imports when it is imported: its module-level imports, not those in functions or under
    `if TYPE_CHECKING:`."""
    names: set[str] = set()
    for node in ast.parse(file.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


@pytest.mark.parametrize("file", CHECKING_MODULES, ids=lambda file: f"{file.parent.name}/{file.name}")
def test_models_import_neither_painters_nor_matplotlib(file: Path) -> None:
    if file.name in PAINTERS_ONLY:
        assert "matplotlib" in top_level_imports(file)  # still true: or it can leave this list
        return
    refused = [
        name
        for name in top_level_imports(file)
        if name.split(".")[0] in HEAVY or name.startswith(("scenespec.paint", "scenespec.compile"))
    ]
    assert refused == []
