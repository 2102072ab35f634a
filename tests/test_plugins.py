"""Other packages add kinds through entry points: a layer kind from an installed distribution becomes part of the
spec language (validation, schema, reference) and renders, with nothing changed in scenespec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = '''
"""A third-party layer kind: a horizontal line at a fixed height."""
from typing import Literal
from pydantic import Field
from scenespec.frame import Frame
from scenespec.layers.base import LayerSpec, register_layer
from scenespec.paint.base import BuildContext, Painter


class HLineLayer(LayerSpec):
    kind: Literal["hline"]
    at: float = Field(description="Height of the line.")
    channels = ()


class HLinePainter(Painter[HLineLayer]):
    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.artists = [ctx.ax.axhline(self.spec.at, color="purple")]


register_layer(HLineLayer, HLinePainter)
'''

CHECK = """
import json, scenespec
from scenespec.schema import generate
from scenespec.reference import generate as reference
spec = scenespec.load('''
[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "line", n = 10 }
epochs = 3
[[panels]]
layers = [{ kind = "scatter", x = "fit.x", y = "fit.y" }, { kind = "hline", at = 2.5 }]
''')
prepared = spec.prepare()
with scenespec.scene_style(prepared.scene):
    graph = scenespec.build(prepared)
line = graph.layers[1].painter.artists[0]
try:
    scenespec.load({"sources": {"fit": {"kind": "trainer", "data": {"kind": "line"}}},
                    "panels": [{"layers": [{"kind": "hlin", "at": 1}]}]})
except scenespec.SpecError as error:
    message = str(error)
print(json.dumps({"y": list(line.get_ydata()), "schema": '"hline"' in generate(),
                  "reference": "### Layer `hline`" in reference(), "message": message}))
"""


def install_plugin(site: Path, module: str, body: str, group: str) -> None:
    """A minimal installed distribution: the module and a dist-info naming it as an entry point."""
    (site / f"{module}.py").write_text(textwrap.dedent(body))
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{module} = {module}\n")


def run_with(site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    return subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=300)


def test_a_layer_kind_from_an_entry_point_joins_the_spec_language(tmp_path: Path) -> None:
    install_plugin(tmp_path, "scenespec_hline", PLUGIN, "scenespec.layers")
    result = run_with(tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["y"] == [2.5, 2.5]
    assert report["schema"] and report["reference"]
    assert "unknown layer kind 'hlin'; did you mean 'hline'?" in report["message"]


def test_a_broken_plugin_is_named(tmp_path: Path) -> None:
    install_plugin(tmp_path, "scenespec_broken", "raise RuntimeError('oops')\n", "scenespec.layers")
    result = run_with(tmp_path)
    assert result.returncode != 0
    named = "the layer plug-in 'scenespec_broken' (scenespec_broken, entry point group scenespec.layers)"
    assert named in result.stderr
    assert "RuntimeError: oops" in result.stderr


def test_the_command_line_names_a_broken_plugin_without_a_traceback(tmp_path: Path) -> None:
    install_plugin(tmp_path, "scenespec_broken", "raise RuntimeError('oops')\n", "scenespec.layers")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    spec = Path(__file__).resolve().parent.parent / "specs" / "linreg.toml"
    result = subprocess.run(
        [sys.executable, "-m", "scenespec", "validate", str(spec)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: the layer plug-in 'scenespec_broken'") and "Traceback" not in result.stderr
