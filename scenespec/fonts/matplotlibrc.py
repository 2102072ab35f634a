"""The user's own matplotlibrc font settings, which a scene's styling lays on matplotlib's defaults.

A scene is drawn from matplotlib's defaults, so that it looks the same whatever the calling program set; the
`font.*` lines of the user's matplotlibrc file (the one matplotlib itself reads: `$MATPLOTLIBRC`, then
`./matplotlibrc`, then the user's config folder) are kept, because the fonts a user has chosen for their
machine are theirs to choose. Settings a program makes at run time (`plt.rcParams[...] = ...`) are not: the
frames are drawn in worker processes that never see them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib


def user_font_rc() -> dict[str, Any]:
    """The `font.*` settings of the user's matplotlibrc file, validated by matplotlib; {} when there is none."""
    path = Path(matplotlib.matplotlib_fname())
    if path == Path(matplotlib.get_data_path()) / "matplotlibrc":
        return {}  # matplotlib's own template: its defaults, not the user's choice
    try:
        params = matplotlib.rc_params_from_file(str(path), fail_on_error=False, use_default_template=False)
    except OSError:
        return {}
    return {key: params[key] for key in sorted(params.keys()) if key.startswith("font.")}
