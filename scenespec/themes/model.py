"""The theme file language: a pydantic model of what a theme sets, and the rcParams it stands for.

A theme names things in a spec author's words (`colors.text`, `font.ticks`) and turns them into the rcParams
matplotlib reads; anything else goes in its `rc` table under matplotlib's own names. Every rcParam a theme gives,
named or raw, is checked with matplotlib's own validators (`matplotlib.rcParams.validate`), so a bad colour is a
located error when the spec is validated, not a crash while a frame is drawn. Colours are checked without
matplotlib (`validate/colors.py`); matplotlib is imported only for a theme's `rc` table.
"""

from __future__ import annotations

from typing import Annotated, Any

from cycler import cycler
from pydantic import AfterValidator, Field

from scenespec.errors import did_you_mean
from scenespec.simulate.optimizers import OPTIMIZER_NAMES
from scenespec.validate.base import SpecModel
from scenespec.validate.colors import NOT_A_COLOR, is_color

FontSize = Annotated[float, Field(gt=0, le=200)]
Width = Annotated[float, Field(ge=0, le=50)]


def check_colour(value: str) -> str:
    """A colour matplotlib understands (a name, `C0`, `#1f77b4`), else a ValueError in the spec's words."""
    if not is_color(value):
        raise ValueError(f"{value!r} {NOT_A_COLOR}")
    return value


Colour = Annotated[str, AfterValidator(check_colour)]


class ThemeFont(SpecModel):
    """Font family (a fallback list) and the sizes of each role, in points."""

    family: list[str] | None = Field(
        None,
        min_length=1,
        description='Font families, first found wins per glyph, e.g. `["DejaVu Serif", "serif"]` (`font.family`).',
    )
    size: FontSize | None = Field(None, description="Base font size (`font.size`).")
    title: FontSize | None = Field(None, description="Panel titles (`axes.titlesize`).")
    figure_title: FontSize | None = Field(None, description="The scene's title (`figure.titlesize`).")
    labels: FontSize | None = Field(None, description="Axis labels (`axes.labelsize`).")
    ticks: FontSize | None = Field(None, description="Tick labels (`xtick.labelsize`, `ytick.labelsize`).")
    legend: FontSize | None = Field(None, description="Legend entries (`legend.fontsize`).")


class ThemeColours(SpecModel):
    """Colours of the figure's parts."""

    figure: Colour | None = Field(None, description="Figure background (`figure.facecolor`, `savefig.facecolor`).")
    axes: Colour | None = Field(None, description="Panel background (`axes.facecolor`; 3D panes too).")
    text: Colour | None = Field(
        None, description="Titles, labels, legend and text layers (`text.color`, `axes.labelcolor`)."
    )
    ticks: Colour | None = Field(None, description="Ticks and tick labels (`xtick.color`, `ytick.color`).")
    grid: Colour | None = Field(None, description="Grid lines (`grid.color`).")
    spines: Colour | None = Field(None, description="Panel frame (`axes.edgecolor`).")
    legend: Colour | None = Field(None, description="Legend background (`legend.facecolor`).")
    legend_edge: Colour | None = Field(None, description="Legend frame (`legend.edgecolor`).")
    cycle: list[Colour] | None = Field(
        None, min_length=1, description="Colours lines and points take in turn (`axes.prop_cycle`)."
    )


class ThemeLines(SpecModel):
    """Widths and sizes of lines and markers, in points."""

    width: Width | None = Field(None, description="Lines, paths and curves (`lines.linewidth`).")
    marker_size: Width | None = Field(None, description="Markers (`lines.markersize`).")
    axes_width: Width | None = Field(None, description="Panel frame (`axes.linewidth`).")
    grid_width: Width | None = Field(None, description="Grid lines (`grid.linewidth`).")


class ThemeFile(SpecModel):
    """A theme file: what it builds on, and what it sets. Every table is optional."""

    description: str | None = Field(None, description="What the theme is for.")
    base: str | None = Field(
        None, description="A theme this one builds on: a built-in name or a theme file relative to this one."
    )
    font: ThemeFont = Field(default_factory=ThemeFont, description="Font family and sizes.")
    colors: ThemeColours = Field(default_factory=ThemeColours, description="Backgrounds, text, frame, cycle.")
    lines: ThemeLines = Field(default_factory=ThemeLines, description="Line widths and marker sizes.")
    optimizers: dict[str, Colour] = Field(
        default_factory=dict,
        description='The colour of each optimizer\'s paths and series, by optimizer name (`sgd = "#e05a6a"`).',
    )
    rc: dict[str, Any] = Field(
        default_factory=dict, description='Any other rcParams, by matplotlib\'s names (`axes.titleweight = "bold"`).'
    )

    def named_rc(self) -> dict[str, Any]:
        """The rcParams the named settings (font, colors, lines) stand for, then the raw `rc` table on top."""
        font, colours, lines = self.font, self.colors, self.lines
        named: dict[str, Any] = {
            "font.family": font.family,
            "font.size": font.size,
            "axes.titlesize": font.title,
            "figure.titlesize": font.figure_title,
            "axes.labelsize": font.labels,
            "xtick.labelsize": font.ticks,
            "ytick.labelsize": font.ticks,
            "legend.fontsize": font.legend,
            "figure.facecolor": colours.figure,
            "savefig.facecolor": colours.figure,
            "axes.facecolor": colours.axes,
            "axes3d.xaxis.panecolor": colours.axes,
            "axes3d.yaxis.panecolor": colours.axes,
            "axes3d.zaxis.panecolor": colours.axes,
            "text.color": colours.text,
            "axes.labelcolor": colours.text,
            "axes.titlecolor": colours.text,
            "xtick.color": colours.ticks,
            "ytick.color": colours.ticks,
            "grid.color": colours.grid,
            "axes.edgecolor": colours.spines,
            "legend.facecolor": colours.legend,
            "legend.edgecolor": colours.legend_edge,
            "axes.prop_cycle": None if colours.cycle is None else cycler(color=colours.cycle),
            "lines.linewidth": lines.width,
            "lines.markersize": lines.marker_size,
            "axes.linewidth": lines.axes_width,
            "grid.linewidth": lines.grid_width,
        }
        rc = {key: check_rc(key, item) for key, item in named.items() if item is not None}
        rc.update({key: check_rc(key, item) for key, item in self.rc.items()})
        return rc

    def problems(self) -> list[tuple[tuple[str, ...], str]]:
        """(key path, message) for each optimizer the theme names that scenespec does not know, and each `rc`
        entry that is not an rcParam or that matplotlib's validator refuses."""
        found: list[tuple[tuple[str, ...], str]] = []
        for name in self.optimizers:
            if name not in OPTIMIZER_NAMES:
                known = f"{did_you_mean(name, OPTIMIZER_NAMES)} (known: {', '.join(OPTIMIZER_NAMES)})"
                found.append((("optimizers", name), f"unknown optimizer {name!r}{known}"))
        for key, item in self.rc.items():
            try:
                check_rc(key, item)
            except ValueError as exc:
                found.append((("rc", key), str(exc)))
        return found


def check_rc(key: str, value: Any) -> Any:
    """`value` as matplotlib's validator for rcParam `key` makes it; a ValueError for an unknown key or a bad value."""
    import matplotlib  # only a theme that gives rcParams needs matplotlib's validators

    validators = matplotlib.rcParams.validate
    if key not in validators:
        raise ValueError(f"unknown rcParam {key!r}{did_you_mean(key, list(validators))}")
    try:
        return validators[key](value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"matplotlib refuses {value!r} for {key!r}: {exc}") from None
