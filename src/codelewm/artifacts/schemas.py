"""Export JSON Schemas (committed under docs/schemas/): the records', and any others the caller adds
(the CLI adds the reports and the view model, which live in higher layers)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.records import EXPORTED_SCHEMAS


def schema_documents(models: Mapping[str, type[BaseModel]] | None = None) -> dict[str, str]:
    """File name -> canonical JSON text of its schema (default: the records of records.py)."""
    chosen = EXPORTED_SCHEMAS if models is None else models
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True)
        + "\n"
        for name, model in chosen.items()
    }


def export_schemas(
    out_dir: Path, models: Mapping[str, type[BaseModel]] | None = None
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents(models).items():
        path = out_dir / name
        atomic_write_text(path, text)
        written.append(path)
    return written
