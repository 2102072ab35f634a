"""Regenerate the committed docs that come from the models: the spec reference and the JSON Schema.

    python -m scenespec.regenerate            # write docs/reference.md and docs/scenespec.schema.json
    python -m scenespec.regenerate --check    # exit 1 naming the stale files, write nothing

Run it after adding or changing a layer, source, transform or output kind; tests fail while either is stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from scenespec.reference import generate as reference
from scenespec.schema import generate as schema

GENERATED: dict[str, Callable[[], str]] = {
    "docs/reference.md": reference,
    "docs/scenespec.schema.json": schema,
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
        (root / name).write_text(generate(), encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
