"""docs/scenespec.schema.json: generated from the models, printed by `scenespec schema`, and checked by a real
JSON Schema validator (check-jsonschema) against every example spec, TOML and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SPEC, spec_variant, write_spec

from scenespec.load.loader import load_spec
from scenespec.schema import generate

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "docs" / "scenespec.schema.json"
SPECS = REPO / "specs"
JSON_SPEC = SPECS / "bowl_contour_json.json"
REGENERATE = "python -m scenespec schema > docs/scenespec.schema.json"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=REPO, check=False)


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    return run("-m", "check_jsonschema", "--schemafile", SCHEMA, *files)


def test_committed_schema_matches_the_models() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == generate(), f"docs/scenespec.schema.json is stale: run `{REGENERATE}`"


def test_schema_command_prints_the_committed_schema() -> None:
    result = run("-m", "scenespec", "schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SCHEMA.read_text(encoding="utf-8")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    assert "$id" not in schema
    assert schema["properties"]["$schema"]["type"] == "string"  # a JSON spec may name its schema
    assert schema["additionalProperties"] is False


def test_every_example_spec_validates_against_the_schema() -> None:
    toml_specs, json_specs = sorted(SPECS.glob("*.toml")), sorted(SPECS.glob("*.json"))
    assert toml_specs and JSON_SPEC in json_specs
    for spec in toml_specs:
        assert spec.read_text(encoding="utf-8").startswith("#:schema ../docs/scenespec.schema.json\n"), spec.name
    result = check_jsonschema(*toml_specs, *json_specs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("unknown-kind.toml", spec_variant(('{ kind = "scatter"', '{ kind = "scater"'))),
        ("wrong-type.toml", spec_variant(("dpi = 50", 'dpi = "fifty"'))),
        ("unknown-key.toml", spec_variant(('color = "red"', 'colr = "red"'))),
        ("no-panels.json", json.dumps({"sources": {"fit": {"kind": "trainer"}}, "panels": []})),
    ],
)
def test_schema_rejects_broken_specs(tmp_path: Path, name: str, text: str) -> None:
    good = write_spec(tmp_path, SPEC, "good.toml")
    assert check_jsonschema(good).returncode == 0
    bad = write_spec(tmp_path, text, name)
    result = check_jsonschema(bad)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors" in result.stdout + result.stderr


def test_json_example_spec_validates_and_copies_the_toml_one() -> None:
    result = run("-m", "scenespec", "validate", JSON_SPEC)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok: {JSON_SPEC}\n"
    assert load_spec(JSON_SPEC).data == load_spec(SPECS / "bowl_contour.toml").data
