"""The JSON Schema of a spec (docs/scenespec.schema.json), generated from the pydantic models.

Editors use it for completion and checking: a JSON spec names it with a top-level `"$schema"` key
(which the loader strips), a TOML spec with a first line `#:schema ../docs/scenespec.schema.json`
(Taplo / Even Better TOML). Regenerate with `python -m scenespec schema > docs/scenespec.schema.json`;
a test fails when the committed file differs from what the models say.
"""

from __future__ import annotations

import json
from typing import Any

from scenespec.load.reuse_schema import with_reuse_keys
from scenespec.validate.scene import scene_model

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""pydantic generates draft 2020-12 (`prefixItems` for tuples, `$defs`)."""
TITLE = "scenespec spec"


def schema() -> dict[str, Any]:
    """The spec's JSON Schema as a dict: the Scene model's, plus the `$schema` key a JSON spec may carry and the
    keys of a spec built from others (`extends`, `include`, `set`, `name+`)."""
    generated = scene_model().model_json_schema()
    generated.pop("title", None)
    generated.pop("$id", None)
    properties = {
        "$schema": {
            "type": "string",
            "description": "The JSON Schema this spec follows, for editors; ignored by scenespec.",
        },
        **generated.pop("properties"),
    }
    return with_reuse_keys({"$schema": DIALECT, "title": TITLE, **generated, "properties": properties})


def generate() -> str:
    """The schema as committed in docs/scenespec.schema.json.

    Keys sorted, two-space indent, ASCII only (other characters as \\u escapes), a final newline.
    """
    return json.dumps(schema(), indent=2, sort_keys=True, allow_nan=False) + "\n"


if __name__ == "__main__":
    print(generate(), end="")
