"""`codelewm schemas export DIR`: write the JSON Schema of every record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from codelewm.artifacts.schemas import export_schemas
from codelewm.cli._common import JsonOpt, console, handle_errors, print_json

app = typer.Typer(
    help="JSON Schemas of the records codelewm reads and writes.", no_args_is_help=True
)


@app.command("export")
@handle_errors
def export(
    out_dir: Annotated[
        Path, typer.Argument(help="Directory to write <schema>.schema.json files into.")
    ],
    json_output: JsonOpt = False,
) -> None:
    """Write one `<schema_version>.schema.json` per record type."""
    written = export_schemas(out_dir)
    if json_output:
        print_json({"written": [str(p) for p in written]})
        return
    for path in written:
        console.print(f"wrote {path}")
