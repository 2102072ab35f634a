"""A real notebook, executed by nbclient on an ipykernel: a cell ending in an Animation shows it inline."""

from __future__ import annotations

import base64
import io
import re

import nbformat
from conftest import SPECS
from nbclient import NotebookClient
from PIL import Image

CELLS = [
    "import scenespec",
    f"spec = scenespec.load({str(SPECS / 'linreg.toml')!r}).with_values("
    "{'sources.fit.epochs': 40, 'frames.steps': {'first': 4, 'every': 12}, 'scene.dpi': 40})",
    "spec.render(workers=1)",
    "from IPython.display import HTML\nHTML(spec.render(workers=1).to_html('scrubber'))",
]


def test_a_cell_ending_in_an_animation_shows_it() -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    outputs = notebook.cells[2].outputs
    assert [o.output_type for o in outputs] == ["execute_result"]
    data = outputs[0].data
    assert data["text/plain"] == "<scenespec.Animation 'linreg': 8 frames, 256×192 px, 5 fps>"
    gif = base64.b64decode(re.search(r'src="data:image/gif;base64,([^"]+)"', data["text/html"]).group(1))
    with Image.open(io.BytesIO(gif)) as image:
        assert image.format == "GIF" and image.size == (256, 192) and image.n_frames == 8
    scrubber = notebook.cells[3].outputs[0].data["text/html"]
    assert scrubber.count('type="range"') == 1 and 'max="7"' in scrubber
