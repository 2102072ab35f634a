"""Image regression tests: frames of every example spec against committed baselines.

Baselines depend on matplotlib (and the FreeType it bundles), pinned by the `test`
extra. Regenerate them after a deliberate visual change with:

    pytest tests/test_images.py --mpl-generate-path=tests/baseline
"""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from scenespec.pipeline import build, prepare, scene_style

SPECS = Path(__file__).resolve().parent.parent / "specs"


def frame_figure(spec: str, which: str) -> Figure:
    prepared = prepare(SPECS / spec)
    frames = prepared.frames
    frame = {"first": frames[0], "middle": frames[len(frames) // 2], "last": frames[-1]}[which]
    with scene_style(prepared.scene):
        graph = build(prepared)
    graph.show(frame)
    return graph.figure


@pytest.mark.parametrize("which", ["first", "middle", "last"])
@pytest.mark.mpl_image_compare(style="default", tolerance=2)
def test_linreg_frame(which: str) -> Figure:
    return frame_figure("linreg.toml", which)
