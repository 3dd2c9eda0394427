"""The committed JSON Schemas (docs/schemas/) are exactly what the records produce."""

from __future__ import annotations

from pathlib import Path

from codelewm.artifacts.schemas import schema_documents
from codelewm.cli.schemas import all_schemas
from codelewm.records import EXPORTED_SCHEMAS

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
FIX = "Run `codelewm schemas export docs/schemas` and commit the result."


def test_schema_file_set_matches_the_records() -> None:
    committed = sorted(p.name for p in DOCS.glob("*.schema.json"))
    expected = sorted(schema_documents(all_schemas()))
    assert committed == expected, (
        f"docs/schemas/ has {sorted(set(committed) - set(expected))} extra and "
        f"{sorted(set(expected) - set(committed))} missing. {FIX} "
        "(delete the files of records that no longer exist)"
    )


def test_schema_files_equal_the_code() -> None:
    for name, text in schema_documents(all_schemas()).items():
        path = DOCS / name
        assert path.is_file(), f"{path} is missing. {FIX}"
        assert path.read_text(encoding="utf-8") == text, f"{path} drifted from records.py. {FIX}"


def test_every_exported_record_names_its_schema() -> None:
    for name, model in EXPORTED_SCHEMAS.items():
        assert model.model_fields["schema_version"].default == name


def test_every_schema_file_is_named_for_its_schema_version() -> None:
    for name, model in all_schemas().items():
        field = model.model_fields["schema_version"]
        if field.is_required():  # one report model shared by protocols: "codelewm.eval.<name>.v1"
            assert name.startswith("codelewm.eval."), name
        else:
            assert field.default == name, (name, field.default)
