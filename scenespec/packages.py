"""Specs and themes shipped by installed Python packages, named `PACKAGE:NAME` (docs/packages.md).

A package announces a folder of `*.toml`/`*.json` files through an entry point: in the group `scenespec.specs`
(or `scenespec.themes`) the entry point's name is the package's short name and its value an importable package
whose folder holds the files. `scenespec:linreg` is `linreg.toml` of scenespec's own specs. Entry points
rather than paths, because the same reference must work wherever pip put the package (site-packages, a
user's folder, an editable checkout).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from scenespec.errors import PluginError, Problem, SpecError, did_you_mean

SPECS = "scenespec.specs"
THEMES = "scenespec.themes"
SUFFIXES = (".toml", ".json")
BUILTIN = "scenespec"
"""The short name of scenespec's own specs (the repository's `specs/`, installed as the package `scenespec.specs`)."""

_WHAT = {SPECS: "spec", THEMES: "theme"}
_REFERENCE = re.compile(r"(?P<package>[A-Za-z_][A-Za-z0-9_.-]+):(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)")


@dataclass(frozen=True)
class Reference:
    """`PACKAGE:NAME`, split."""

    package: str
    name: str

    def __str__(self) -> str:
        return f"{self.package}:{self.name}"


def parse_reference(reference: str) -> Reference | None:
    """The parts of `PACKAGE:NAME`, or None when `reference` is a path.

    A path is anything with a slash or backslash (`./a:b.toml`, `C:\\x.toml`), a one-letter "package" (`C:x.toml`,
    a Windows drive), a NAME with a spec's suffix (`a:b.toml`), or a file that exists (a file named `a:b`)."""
    match = _REFERENCE.fullmatch(reference)
    if match is None or match["name"].lower().endswith(SUFFIXES) or Path(reference).exists():
        return None
    return Reference(match["package"], match["name"])


def is_packaged(reference: str | Path) -> bool:
    """True for `PACKAGE:NAME`, False for a path (see `parse_reference`)."""
    return parse_reference(str(reference)) is not None


def installed(group: str = SPECS) -> list[str]:
    """The short names of the packages shipping files in `group`, sorted; scenespec's own specs always count."""
    names = {point.name for point in entry_points(group=group)}
    if group == SPECS:
        names.add(BUILTIN)
    return sorted(names)


def package_folders(package: str, group: str = SPECS, *, reference: str | None = None) -> list[Path]:
    """The folders of an installed package's specs (or themes). An unknown package is a SpecError listing those
    installed; an entry point that does not import, or names no folder, a PluginError naming it."""
    if package == BUILTIN and group == SPECS:
        return [_builtin_folder()]  # its entry point is for listing: an editable install cannot import it
    points = [point for point in entry_points(group=group) if point.name == package]
    if not points:
        known = installed(group)
        listed = ", ".join(known) if known else "none"
        raise _problem(
            reference or package,
            f"no installed package ships {_WHAT.get(group, group)}s as {package!r}"
            f"{did_you_mean(package, known)} (installed in entry point group {group}: {listed})",
        )
    point = points[0]
    try:
        module = importlib.import_module(point.module)
    except Exception as exc:
        raise PluginError(_broken(point.name, point.value, group, f"{type(exc).__name__}: {exc}")) from exc
    folders = [Path(entry) for entry in getattr(module, "__path__", [])]
    if not folders:
        raise PluginError(_broken(point.name, point.value, group, f"{point.value} is a module, not a package folder"))
    return folders


def names(package: str, group: str = SPECS) -> list[str]:
    """The NAMEs a package ships in `group`: its files' stems, sorted."""
    return sorted({file.stem for folder in package_folders(package, group) for file in _files(folder)})


def packaged_file(reference: str, group: str = SPECS) -> Path:
    """The file `PACKAGE:NAME` names in `group` (`scenespec.specs` or `scenespec.themes`).

    Errors say what is installed: an unknown package lists the packages of the group, an unknown name the
    package's names (with a "did you mean"); a name given as both .toml and .json is refused as ambiguous."""
    parsed = parse_reference(reference)
    if parsed is None:
        raise ValueError(f"{reference!r} is not a PACKAGE:NAME reference")
    what = _WHAT.get(group, group)
    found = [
        file
        for folder in package_folders(parsed.package, group, reference=reference)
        for file in _files(folder)
        if file.stem == parsed.name
    ]
    if len(found) > 1:
        shown = " and ".join(file.name for file in found)
        raise _problem(reference, f"package {parsed.package!r} ships {shown}; keep one of them")
    if not found:
        known = names(parsed.package, group)
        listed = ", ".join(known) if known else "none"
        raise _problem(
            reference,
            f"package {parsed.package!r} has no {what} {parsed.name!r}{did_you_mean(parsed.name, known)} "
            f"(its {what}s: {listed})",
        )
    return found[0]


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(file for file in folder.iterdir() if file.suffix.lower() in SUFFIXES and file.is_file())


def _builtin_folder() -> Path:
    """scenespec's own specs: the package `scenespec.specs` of an install (the repository's `specs/` mapped into
    the package, see setup.py), or, run from a checkout that was not installed, `specs/` beside the package."""
    try:
        module = importlib.import_module("scenespec.specs")
    except ImportError:
        import scenespec

        return Path(scenespec.__file__).resolve().parent.parent / "specs"
    return Path(next(iter(module.__path__)))


def _broken(name: str, value: str, group: str, why: str) -> str:
    return f"the {_WHAT.get(group, group)} package {name!r} ({value}, entry point group {group}) failed to load: {why}"


def _problem(reference: str, message: str) -> SpecError:
    return SpecError([Problem(message, file=reference)])
