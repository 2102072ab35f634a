"""Regenerate the committed files that come from the models and matplotlib: the spec reference, the JSON Schema
and the table of matplotlib's names.

    python -m scenespec.regenerate            # write docs/reference.md, docs/scenespec.schema.json and
                                              # scenespec/validate/mpl_names.py
    python -m scenespec.regenerate --check    # exit 1 naming the stale files, write nothing

Run it after adding or changing a layer, source, transform or output kind, or after upgrading matplotlib; tests
fail while any is stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from scenespec.mpl_names_source import generate as mpl_names
from scenespec.reference import generate as reference
from scenespec.schema import generate as schema

GENERATED: dict[str, Callable[[], str]] = {
    "docs/reference.md": reference,
    "docs/scenespec.schema.json": schema,
    "scenespec/validate/mpl_names.py": mpl_names,
}


def stale(root: Path) -> list[str]:
    """The generated files whose committed text differs from what the models give now."""
    out = []
    for name, generate in GENERATED.items():
        file = root / name
        if not file.exists() or file.read_text(encoding="utf-8") != generate():
            out.append(name)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenespec.regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the repository's folder (default: the current one)")
    parser.add_argument("--check", action="store_true", help="only say which files are stale (exit 1 if any)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if args.check:
        names = stale(root)
        for name in names:
            print(f"stale: {name} (run python -m scenespec.regenerate)", file=sys.stderr)
        return 1 if names else 0
    for name, generate in GENERATED.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(generate(), encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
