"""docs/reference.md is generated from the models and must not go stale."""

from __future__ import annotations

from pathlib import Path

from scenespec.layers.base import LAYERS
from scenespec.reference import generate, nested_models
from scenespec.sources.base import SOURCES

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference.md"


def test_committed_reference_matches_the_models() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == generate(), (
        "docs/reference.md is stale: run `python -m scenespec.regenerate`"
    )


def test_every_kind_and_field_is_documented() -> None:
    text = generate()
    for kind in LAYERS.load():
        assert f"### Layer `{kind}`" in text
    for kind, source in SOURCES.load().items():
        assert f"### Source `{kind}`" in text
        for model in nested_models(source.spec_annotation()):  # the source, or each of its variants
            for name in model.model_fields:
                assert f"| `{name}` |" in text
    assert "| `end_pause` | number (≥ 0) | `0.0` |" in text


def test_one_command_regenerates_every_generated_file(tmp_path: Path) -> None:
    from scenespec.regenerate import main, stale

    root = REFERENCE.parent.parent
    assert stale(root) == []
    assert main(["--root", str(root), "--check"]) == 0
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "reference.md").write_text("old", encoding="utf-8")
    assert stale(tmp_path) == ["docs/reference.md", "docs/scenespec.schema.json", "scenespec/validate/mpl_names.py"]
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert main(["--root", str(tmp_path)]) == 0
    assert stale(tmp_path) == []
    assert (tmp_path / "docs" / "reference.md").read_text(encoding="utf-8") == REFERENCE.read_text(encoding="utf-8")
    table = Path("scenespec") / "validate" / "mpl_names.py"
    assert (tmp_path / table).read_text(encoding="utf-8") == (root / table).read_text(encoding="utf-8")
