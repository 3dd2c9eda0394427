"""Export the records' JSON Schemas (committed under docs/schemas/)."""

from __future__ import annotations

import json
from pathlib import Path

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.records import EXPORTED_SCHEMAS


def schema_documents() -> dict[str, str]:
    """File name -> canonical JSON text of its schema."""
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True)
        + "\n"
        for name, model in EXPORTED_SCHEMAS.items()
    }


def export_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = out_dir / name
        atomic_write_text(path, text)
        written.append(path)
    return written
